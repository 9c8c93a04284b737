"""Fetch Terraform state documents from files and the S3, GCS and azurerm backends.

A STATE argument is one of:

- a local file, or a directory: its ``terraform.tfstate`` plus every workspace under
  ``terraform.tfstate.d/<workspace>/terraform.tfstate``;
- ``s3://bucket/key`` (boto3's standard credential chain); workspaces of the S3 backend
  live under ``env:/<workspace>/key``, so ``s3://bucket/env:/*/key`` reads them all;
- ``gs://bucket/path`` (Application Default Credentials); the GCS backend stores each
  workspace as ``<prefix>/<workspace>.tfstate``, so ``gs://bucket/prefix/*.tfstate``;
- ``azurerm://account/container/blob`` (DefaultAzureCredential, blob REST API); workspaces
  are ``<key>env:<workspace>`` blobs, so ``azurerm://acct/tfstate/prod.tfstate*``.

A ``*`` in the key lists the bucket/container by the prefix before it and keeps the
names that match (fnmatch). Clients are injectable so tests point them at emulators.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote, urlsplit

from auditor.errors import UsageError

MAX_STATE_BYTES = 512 * 1024 * 1024


@dataclass
class Clients:
    """Factories for the backends' clients (defaults use each cloud's standard chain)."""

    s3: Callable[[], Any] | None = None
    gcs: Callable[[], Any] | None = None
    azure_blob: Callable[[str], Any] | None = None  # account -> object with get(container, blob), list(container, prefix)
    cache: dict[str, Any] = field(default_factory=dict)

    def get(self, kind: str, *args: str) -> Any:
        key = kind + "|" + "|".join(args)
        if key not in self.cache:
            factory = {"s3": self.s3 or _default_s3, "gcs": self.gcs or _default_gcs,
                       "azure": self.azure_blob or AzureBlobReader}[kind]
            self.cache[key] = factory(*args)
        return self.cache[key]


def _default_s3() -> Any:
    import boto3

    return boto3.client("s3")


def _default_gcs() -> Any:
    from google.cloud import storage

    return storage.Client()


class AzureBlobReader:
    """The two blob REST calls the azurerm backend needs, with a DefaultAzureCredential token.

    (Keeps azure-storage-blob out of the dependencies: azure-identity and requests are there.)
    """

    def __init__(self, account: str, *, endpoint: str | None = None, credential: Any = None,
                 session: Any = None, verify: Any = True) -> None:
        import requests

        self.account = account
        self.endpoint = (endpoint or f"https://{account}.blob.core.windows.net").rstrip("/")
        self.credential = credential
        self.session = session or requests.Session()
        self.verify = verify

    def _headers(self) -> dict[str, str]:
        if self.credential is None:
            from azure.identity import DefaultAzureCredential

            self.credential = DefaultAzureCredential()
        token = self.credential.get_token("https://storage.azure.com/.default").token
        return {"Authorization": f"Bearer {token}", "x-ms-version": "2021-08-06"}

    def get(self, container: str, blob: str) -> bytes:
        r = self.session.get(f"{self.endpoint}/{quote(container)}/{quote(blob)}", headers=self._headers(),
                             timeout=60, verify=self.verify)
        if r.status_code != 200:
            raise UsageError(f"azurerm://{self.account}/{container}/{blob}: HTTP {r.status_code} reading the state blob")
        return r.content

    def list(self, container: str, prefix: str) -> list[str]:
        import xml.etree.ElementTree as ET

        names: list[str] = []
        marker = ""
        while True:
            params = {"restype": "container", "comp": "list", "prefix": prefix}
            if marker:
                params["marker"] = marker
            r = self.session.get(f"{self.endpoint}/{quote(container)}", params=params, headers=self._headers(),
                                 timeout=60, verify=self.verify)
            if r.status_code != 200:
                raise UsageError(f"azurerm://{self.account}/{container}: HTTP {r.status_code} listing blobs")
            root = ET.fromstring(r.content)
            names += [n.text or "" for n in root.iter("Name")]
            marker = (root.findtext("NextMarker") or "").strip()
            if not marker:
                return names


@dataclass(frozen=True, slots=True)
class StateDoc:
    source: str
    data: bytes


def _split_glob(key: str) -> tuple[str, bool]:
    star = key.find("*")
    return (key, False) if star < 0 else (key[:star], True)


def _local(path: Path) -> Iterator[StateDoc]:
    if path.is_dir():
        found = [path / "terraform.tfstate"] if (path / "terraform.tfstate").is_file() else []
        found += sorted(path.glob("terraform.tfstate.d/*/terraform.tfstate"))
        if not found:
            raise UsageError(f"{path}: no terraform.tfstate and no terraform.tfstate.d/*/terraform.tfstate in it")
        for f in found:
            yield from _local(f)
        return
    if not path.is_file():
        raise UsageError(f"{path}: no such state file")
    if path.stat().st_size > MAX_STATE_BYTES:
        raise UsageError(f"{path}: larger than {MAX_STATE_BYTES} bytes; refusing to read it")
    yield StateDoc(str(path), path.read_bytes())


def _s3(clients: Clients, bucket: str, key: str) -> Iterator[StateDoc]:
    s3 = clients.get("s3")
    prefix, is_glob = _split_glob(key)
    keys = [key]
    if is_glob:
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", []) if fnmatch.fnmatchcase(o["Key"], key)]
        if not keys:
            raise UsageError(f"s3://{bucket}/{key}: no state object matches")
    for k in sorted(keys):
        try:
            body = s3.get_object(Bucket=bucket, Key=k)["Body"].read()
        except Exception as exc:  # botocore ClientError and connection errors: one clear line
            raise UsageError(f"s3://{bucket}/{k}: cannot read the state ({exc})") from None
        yield StateDoc(f"s3://{bucket}/{k}", body)


def _gcs(clients: Clients, bucket: str, key: str) -> Iterator[StateDoc]:
    gcs = clients.get("gcs")
    prefix, is_glob = _split_glob(key)
    names = [key]
    if is_glob:
        names = sorted(b.name for b in gcs.list_blobs(bucket, prefix=prefix) if fnmatch.fnmatchcase(b.name, key))
        if not names:
            raise UsageError(f"gs://{bucket}/{key}: no state object matches")
    for n in names:
        try:
            body = gcs.bucket(bucket).blob(n).download_as_bytes()
        except Exception as exc:  # google.api_core errors and connection errors
            raise UsageError(f"gs://{bucket}/{n}: cannot read the state ({exc})") from None
        yield StateDoc(f"gs://{bucket}/{n}", body)


def _azure(clients: Clients, account: str, path: str) -> Iterator[StateDoc]:
    container, _, blob = path.partition("/")
    if not container or not blob:
        raise UsageError(f"azurerm://{account}/{path}: expected azurerm://ACCOUNT/CONTAINER/BLOB")
    reader = clients.get("azure", account)
    prefix, is_glob = _split_glob(blob)
    blobs = [blob]
    if is_glob:
        blobs = sorted(n for n in reader.list(container, prefix) if fnmatch.fnmatchcase(n, blob))
        if not blobs:
            raise UsageError(f"azurerm://{account}/{path}: no state blob matches")
    for b in blobs:
        yield StateDoc(f"azurerm://{account}/{container}/{b}", reader.get(container, b))


def read_states(locations: list[str], clients: Clients | None = None) -> Iterator[StateDoc]:
    """Every state document named by ``locations`` (see the module docstring)."""
    clients = clients or Clients()
    if not locations:
        raise UsageError("name at least one state: a file, a directory, s3://, gs:// or azurerm:// URL")
    for loc in locations:
        if "://" not in loc:
            yield from _local(Path(loc))
            continue
        parts = urlsplit(loc)
        bucket, key = parts.netloc, parts.path.lstrip("/")
        if not bucket or not key:
            raise UsageError(f"{loc}: expected SCHEME://BUCKET/KEY")
        if parts.scheme == "s3":
            yield from _s3(clients, bucket, key)
        elif parts.scheme == "gs":
            yield from _gcs(clients, bucket, key)
        elif parts.scheme == "azurerm":
            yield from _azure(clients, bucket, key)
        else:
            raise UsageError(f"{loc}: unsupported scheme {parts.scheme!r} (use a path, s3://, gs:// or azurerm://)")
