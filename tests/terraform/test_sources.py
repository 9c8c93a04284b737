"""Reading states: the S3 backend (moto server), GCS (gcp-storage-emulator), the azurerm
blob REST calls (a loopback server), local workspaces, and bad input."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest

from auditor.errors import UsageError
from auditor.terraform import sources, state

DATA = Path(__file__).parent / "data"
GCP_STATE = (DATA / "gcp" / "terraform.tfstate").read_bytes()


def _names(docs) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.source for d in docs]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_s3_backend_workspaces(moto_url: str) -> None:
    def client():  # type: ignore[no-untyped-def]
        return boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    s3 = client()
    s3.create_bucket(Bucket="tf-state")
    for key in ("net.tfstate", "env:/prod/net.tfstate", "env:/staging/net.tfstate", "env:/prod/other.tfstate"):
        s3.put_object(Bucket="tf-state", Key=key, Body=GCP_STATE)
    clients = sources.Clients(s3=client)
    docs = list(sources.read_states(["s3://tf-state/env:/*/net.tfstate", "s3://tf-state/net.tfstate"], clients))
    assert _names(docs) == ["s3://tf-state/env:/prod/net.tfstate", "s3://tf-state/env:/staging/net.tfstate",
                            "s3://tf-state/net.tfstate"]
    assert all(list(state.parse(d.data, d.source)) for d in docs)
    with pytest.raises(UsageError, match="s3://tf-state/absent.tfstate"):
        list(sources.read_states(["s3://tf-state/absent.tfstate"], clients))


def test_gcs_backend_workspaces() -> None:
    emulator = pytest.importorskip("gcp_storage_emulator.server")
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    server = emulator.create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    try:
        host, port = server._api._httpd.server_address[:2]  # noqa: SLF001 - the emulator has no public accessor

        def client():  # type: ignore[no-untyped-def]
            return storage.Client(project="p", credentials=AnonymousCredentials(),
                                  client_options={"api_endpoint": f"http://{host}:{port}"})

        bucket = client().create_bucket("tf-state-gcs")
        for name in ("ml/default.tfstate", "ml/dev.tfstate", "other/default.tfstate"):
            bucket.blob(name).upload_from_string(GCP_STATE)
        docs = list(sources.read_states(["gs://tf-state-gcs/ml/*.tfstate"], sources.Clients(gcs=client)))
        assert _names(docs) == ["gs://tf-state-gcs/ml/default.tfstate", "gs://tf-state-gcs/ml/dev.tfstate"]
        assert docs[0].data == GCP_STATE
    finally:
        server.stop()


class _Token:
    token = "test-token"


class _Credential:
    def get_token(self, *scopes: str) -> _Token:
        assert scopes == ("https://storage.azure.com/.default",)
        return _Token()


def test_azurerm_backend_blob_rest() -> None:
    blobs = {"prod.tfstate": GCP_STATE, "prod.tfstateenv:dev": GCP_STATE, "other.tfstate": b"{}"}
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_a) -> None:  # type: ignore[no-untyped-def]
            pass

        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.headers.get("Authorization", ""))
            parts = urlsplit(self.path)
            parts = parts._replace(path=unquote(parts.path))
            q = parse_qs(parts.query)
            if self.headers.get("Authorization") != "Bearer test-token":
                self.send_response(403)
                self.end_headers()
                return
            if parts.path == "/tfstate" and q.get("comp") == ["list"]:
                names = sorted(n for n in blobs if n.startswith(q.get("prefix", [""])[0]))
                body = ("<?xml version='1.0' encoding='utf-8'?><EnumerationResults><Blobs>"
                        + "".join(f"<Blob><Name>{n}</Name></Blob>" for n in names)
                        + "</Blobs><NextMarker /></EnumerationResults>").encode()
            elif parts.path.startswith("/tfstate/") and parts.path[9:] in blobs:
                body = blobs[parts.path[9:]]
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        clients = sources.Clients(azure_blob=lambda account: sources.AzureBlobReader(
            account, endpoint=endpoint, credential=_Credential()))
        docs = list(sources.read_states(["azurerm://stterraform/tfstate/prod.tfstate*"], clients))
        assert _names(docs) == ["azurerm://stterraform/tfstate/prod.tfstate",
                                "azurerm://stterraform/tfstate/prod.tfstateenv:dev"]
        assert seen and all(h == "Bearer test-token" for h in seen)
        with pytest.raises(UsageError, match="HTTP 404"):
            list(sources.read_states(["azurerm://stterraform/tfstate/absent.tfstate"], clients))
    finally:
        server.shutdown()


def test_local_directory_reads_every_workspace() -> None:
    docs = list(sources.read_states([str(DATA / "aws")]))
    assert [Path(d.source).relative_to(DATA).as_posix() for d in docs] == [
        "aws/terraform.tfstate", "aws/terraform.tfstate.d/staging/terraform.tfstate"]


@pytest.mark.parametrize("content, message", [
    (b"not json", "invalid JSON"),
    (json.dumps({"version": 3, "modules": []}).encode(), "version 3 is not supported"),
    (json.dumps({"version": 4, "resources": {}}).encode(), "'resources' is not a list"),
    (json.dumps({"version": 4, "resources": [{"mode": "managed", "type": "aws_s3_bucket", "name": "b",
                                              "instances": [{"attributes": "x"}]}]}).encode(),
     "aws_s3_bucket.b: field 'attributes'"),
])
def test_bad_state_is_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    f = tmp_path / "bad.tfstate"
    f.write_bytes(content)
    with pytest.raises(UsageError, match=message) as exc:
        list(state.parse(f.read_bytes(), str(f)))
    assert str(f) in str(exc.value) and "\n" not in str(exc.value)


def test_sensitive_paths_and_outputs_never_leave_the_reader() -> None:
    doc = {"version": 4, "outputs": {"pw": {"value": "OUT-SECRET", "sensitive": True}}, "resources": [
        {"module": "module.a", "mode": "managed", "type": "aws_instance", "name": "x", "provider": "p",
         "instances": [{"index_key": "k1", "attributes": {"user_data": "TOP-SECRET", "tags": {"t": "TAG-SECRET", "ok": "1"},
                                                          "blocks": [{"pw": "LIST-SECRET", "keep": 1}]},
                        "sensitive_attributes": [[{"type": "get_attr", "value": "user_data"}],
                                                 [{"type": "get_attr", "value": "tags"},
                                                  {"type": "index", "value": {"value": "t", "type": "string"}}],
                                                 [{"type": "get_attr", "value": "blocks"},
                                                  {"type": "index", "value": {"value": 0, "type": "number"}},
                                                  {"type": "get_attr", "value": "pw"}]]}]}]}
    (inst,) = state.parse(json.dumps(doc).encode(), "mem")
    assert inst.address == 'module.a.aws_instance.x["k1"]'
    text = json.dumps(inst.attributes)
    assert "SECRET" not in text and '"ok": "1"' in text and '"keep": 1' in text
