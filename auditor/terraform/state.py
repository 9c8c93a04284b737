"""Read Terraform state format version 4 into resource instances.

Only what the mapping needs leaves this module: managed resources' instances with their
attributes, minus every attribute path Terraform marks sensitive. Outputs (which may be
sensitive) and data sources are never read. Anything malformed is a one-line UsageError
naming the state and the object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import orjson

from auditor.errors import UsageError

SUPPORTED_VERSION = 4


@dataclass(frozen=True, slots=True)
class Instance:
    """One instance of a managed resource (a ``count``/``for_each`` element or the single one)."""

    source: str  # where the state came from (file path or URL), for messages
    address: str  # e.g. module.net.aws_security_group.web["api"]
    type: str
    provider: str  # provider configuration address, e.g. provider["registry.terraform.io/hashicorp/aws"].eu
    attributes: dict[str, Any]


def _index(key: Any) -> str:
    if key is None:
        return ""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    return "[" + orjson.dumps(str(key)).decode() + "]"


def _drop_path(node: Any, path: list[Any]) -> None:
    """Remove the value at a sensitive path (``[{"type": "get_attr", "value": "x"}, {"type": "index", ...}]``)."""
    if not path:
        return
    steps = []
    for step in path:
        if not isinstance(step, dict) or "value" not in step:
            return
        v = step["value"]
        steps.append(v["value"] if isinstance(v, dict) and "value" in v else v)
    parent = node
    for step in steps[:-1]:
        if isinstance(parent, dict) and step in parent:
            parent = parent[step]
        elif isinstance(parent, list) and isinstance(step, int) and 0 <= step < len(parent):
            parent = parent[step]
        else:
            return
    last = steps[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
        parent[last] = None


def parse(data: bytes, source: str) -> Iterator[Instance]:
    """Managed resource instances of one state document; sensitive attributes removed."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{source}: not a Terraform state (invalid JSON: {exc})") from None
    if not isinstance(doc, dict):
        raise UsageError(f"{source}: not a Terraform state (top level is not an object)")
    version = doc.get("version")
    if version != SUPPORTED_VERSION:
        raise UsageError(f"{source}: Terraform state format version {version!r} is not supported "
                         f"(only {SUPPORTED_VERSION}; run `terraform state pull` with Terraform >= 0.12)")
    resources = doc.get("resources", [])
    if not isinstance(resources, list):
        raise UsageError(f"{source}: field 'resources' is not a list")
    for i, res in enumerate(resources):
        if not isinstance(res, dict):
            raise UsageError(f"{source}: resources[{i}] is not an object")
        if res.get("mode") != "managed":
            continue  # data sources describe what Terraform read, not what it manages
        rtype, name = res.get("type"), res.get("name")
        if not isinstance(rtype, str) or not isinstance(name, str):
            raise UsageError(f"{source}: resources[{i}] lacks a string 'type' or 'name'")
        module = res.get("module")
        base = (f"{module}." if isinstance(module, str) and module else "") + f"{rtype}.{name}"
        instances = res.get("instances", [])
        if not isinstance(instances, list):
            raise UsageError(f"{source}: {base}: field 'instances' is not a list")
        for inst in instances:
            if not isinstance(inst, dict):
                raise UsageError(f"{source}: {base}: an instance is not an object")
            address = base + _index(inst.get("index_key"))
            if inst.get("deposed"):
                continue  # a deposed object is being replaced; the current one is declared
            attrs = inst.get("attributes")
            if attrs is None and "attributes_flat" in inst:
                raise UsageError(f"{source}: {address}: flat attributes (state format 3) are not supported")
            if not isinstance(attrs, dict):
                raise UsageError(f"{source}: {address}: field 'attributes' is not an object")
            for path in inst.get("sensitive_attributes") or []:
                if isinstance(path, list):
                    _drop_path(attrs, path)
            yield Instance(source=source, address=address, type=rtype, provider=str(res.get("provider", "")),
                           attributes=attrs)
