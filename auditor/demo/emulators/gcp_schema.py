"""Validate JSON payloads against Google's official discovery documents.

The Google clients silently drop unknown fields and accept invalid enum values, so a fake
that serves a misspelt ``sourceRange`` would make a collector look right while reading
nothing. Every payload the GCP fake serves is checked here against the discovery document
shipped with google-api-python-client: unknown fields, wrong JSON types and bad enum
values are violations.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterator

DOCUMENTS = {
    "compute": "compute.v1.json",
    "iam": "iam.v1.json",
    "storage": "storage.v1.json",
    "cloudresourcemanager": "cloudresourcemanager.v3.json",
    "aiplatform": "aiplatform.v1.json",
    "notebooks": "notebooks.v2.json",
    "container": "container.v1.json",
    "artifactregistry": "artifactregistry.v1.json",
    "sqladmin": "sqladmin.v1.json",
    "bigquery": "bigquery.v2.json",
    "cloudkms": "cloudkms.v1.json",
    "logging": "logging.v2.json",
    "monitoring": "monitoring.v3.json",
    "dns": "dns.v1.json",
    "apikeys": "apikeys.v2.json",
    "serviceusage": "serviceusage.v1.json",
    "essentialcontacts": "essentialcontacts.v1.json",
    "dataproc": "dataproc.v1.json",
    "accessapproval": "accessapproval.v1.json",
}

_INT_STRING = re.compile(r"^-?\d+$")


class SchemaViolation(ValueError):
    """A payload the real API would never send."""


@lru_cache(maxsize=None)
def load_document(api: str) -> dict[str, Any]:
    """The discovery document of ``api`` (read-only; cached because it never changes)."""
    name = DOCUMENTS[api]
    ref = resources.files("googleapiclient.discovery_cache").joinpath("documents", name)
    return json.loads(ref.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Method:
    api: str
    id: str
    http_method: str
    path: str  # flatPath where the document has one, relative to rootUrl
    response: str | None


def iter_methods(api: str) -> Iterator[Method]:
    doc = load_document(api)
    service_path = doc.get("servicePath", "")

    def walk(node: dict[str, Any]) -> Iterator[Method]:
        for res in node.get("resources", {}).values():
            for m in res.get("methods", {}).values():
                path = m.get("flatPath") or m["path"]
                yield Method(api, m["id"], m["httpMethod"], service_path + path, (m.get("response") or {}).get("$ref"))
            yield from walk(res)

    yield from walk(doc)


@lru_cache(maxsize=None)
def _methods_by_id(api: str) -> dict[str, Method]:
    return {m.id: m for m in iter_methods(api)}


def method(api: str, method_id: str) -> Method:
    try:
        return _methods_by_id(api)[method_id]
    except KeyError:
        raise KeyError(f"{method_id} is not a method of the {api} discovery document") from None


class Validator:
    """Checks payloads against the schemas of one discovery document."""

    def __init__(self, api: str) -> None:
        self.api = api
        self.schemas: dict[str, Any] = load_document(api)["schemas"]

    def errors(self, schema_name: str, payload: Any) -> list[str]:
        if schema_name not in self.schemas:
            raise KeyError(f"{self.api} has no schema {schema_name}")
        out: list[str] = []
        self._check({"$ref": schema_name}, payload, schema_name, out)
        return out

    def check(self, schema_name: str, payload: Any) -> None:
        errs = self.errors(schema_name, payload)
        if errs:
            raise SchemaViolation(f"{self.api} {schema_name}: " + "; ".join(errs[:10]))

    def _check(self, schema: dict[str, Any], value: Any, where: str, out: list[str]) -> None:
        if "$ref" in schema:
            schema = self.schemas[schema["$ref"]]
        typ = schema.get("type")
        fmt = schema.get("format")
        if typ in (None, "any") and "properties" not in schema:
            return
        if typ == "object" or "properties" in schema:
            if fmt == "google.protobuf.Any" or not isinstance(value, dict):
                if not isinstance(value, dict):
                    out.append(f"{where}: expected object, got {type(value).__name__}")
                return
            props = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for key, item in value.items():
                if key in props:
                    self._check(props[key], item, f"{where}.{key}", out)
                elif extra is not None:
                    self._check(extra, item, f"{where}.{key}", out)
                else:
                    out.append(f"{where}: unknown field {key!r}")
            return
        if typ == "array":
            if not isinstance(value, list):
                out.append(f"{where}: expected array, got {type(value).__name__}")
                return
            for i, item in enumerate(value):
                self._check(schema.get("items", {}), item, f"{where}[{i}]", out)
            return
        if typ == "string":
            if not isinstance(value, str):
                out.append(f"{where}: expected string, got {type(value).__name__}")
                return
            if fmt in ("int64", "uint64") and not _INT_STRING.match(value):
                out.append(f"{where}: {value!r} is not a {fmt} string")
            enum = schema.get("enum")
            if enum and value not in enum:
                out.append(f"{where}: {value!r} is not one of {enum[:8]}{'...' if len(enum) > 8 else ''}")
            return
        if typ == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(f"{where}: expected integer, got {type(value).__name__}")
            return
        if typ == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                out.append(f"{where}: expected number, got {type(value).__name__}")
            return
        if typ == "boolean" and not isinstance(value, bool):
            out.append(f"{where}: expected boolean, got {type(value).__name__}")
