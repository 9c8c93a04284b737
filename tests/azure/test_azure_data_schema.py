"""Every fake payload of the data-store slice carries only fields the real API defines.

The allowed fields per shape are transcribed from the azure-rest-api-specs definitions into
tests/azure/data/arm_data_fields.json (each shape names its swagger definitions); a field the
real service does not send fails here, before any collector can come to rely on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from auditor.demo.emulators.azure_estate import SUB_PROD, TENANT, seeded_estate
from auditor.demo.emulators.azure_cis_estate import management_lock, site_diagnostic_setting, web_site
from auditor.demo.emulators.azure_data_estate import data_resources

SHAPES = json.loads((Path(__file__).parent / "data" / "arm_data_fields.json").read_text())["shapes"]
# the CIS estate's management locks, site diagnostic settings and public IPs (CIS Azure 6.2, 6.1.4, 7.7)
# are held to the same definitions
_SITE = web_site(SUB_PROD, "rg-prod", "func-prod", "westeurope", kind="functionapp,linux")
PAYLOADS = data_resources(SUB_PROD, "rg-prod", "westeurope", TENANT) + [
    management_lock(f"/subscriptions/{SUB_PROD}/resourceGroups/rg-prod", "rg-no-delete", "CanNotDelete", "Production"),
    management_lock(_SITE["id"], "site-read-only", "ReadOnly"),
    site_diagnostic_setting(_SITE, "func-logs", "/subscriptions/x/resourceGroups/rg/providers/"
                            "Microsoft.OperationalInsights/workspaces/law", ["FunctionAppLogs"])] + [
    # public IPs (CIS Azure 7.7): held by a NIC, by a Bastion host, and by nothing
    r for r in seeded_estate()["resources"] if r["type"] == "Microsoft.Network/publicIPAddresses"]


def at(doc: Any, path: str) -> Iterator[dict[str, Any]]:
    """Every dict found at ``path`` ('' = doc, 'a.b', 'a[]' = each item of list a)."""
    nodes = [doc]
    for part in [p for p in path.split(".") if p]:
        many = part.endswith("[]")
        key = part[:-2] if many else part
        nxt = []
        for n in nodes:
            v = n.get(key) if isinstance(n, dict) else None
            nxt += (v or []) if many else ([v] if v is not None else [])
        nodes = nxt
    yield from (n for n in nodes if isinstance(n, dict))


def test_every_payload_type_has_a_shape() -> None:
    assert {p["type"] for p in PAYLOADS} <= set(SHAPES)
    assert set(SHAPES) <= {p["type"] for p in PAYLOADS}  # no shape left unexercised


@pytest.mark.parametrize("doc", PAYLOADS, ids=lambda d: d["id"].split("/providers/", 1)[1])
def test_payload_fields_are_defined_by_the_api(doc: dict[str, Any]) -> None:
    shape = SHAPES[doc["type"]]["fields"]
    for path, allowed in shape.items():
        for node in at(doc, path):
            extra = sorted(set(node) - set(allowed))
            assert not extra, f"{doc['type']} {path or '<top>'}: fields the API does not define: {extra}"


@pytest.mark.parametrize("doc", PAYLOADS, ids=lambda d: d["id"].split("/providers/", 1)[1])
def test_enum_fields_hold_values_the_api_defines(doc: dict[str, Any]) -> None:
    for path, values in SHAPES[doc["type"]].get("enums", {}).items():
        parent, _, key = path.rpartition(".")
        for node in at(doc, parent):
            if key in node:
                assert node[key] in values, f"{doc['type']} {path}: {node[key]!r} is not one of {values}"


def test_secrets_never_carry_a_value() -> None:
    secrets = [p for p in PAYLOADS if p["type"] == "Microsoft.KeyVault/vaults/secrets"]
    assert secrets and all("value" not in p["properties"] for p in secrets)


def test_the_checker_refuses_an_invented_field() -> None:
    doc = dict(next(p for p in PAYLOADS if p["type"] == "Microsoft.Sql/servers"))
    doc["properties"] = {**doc["properties"], "firewallOpen": True}
    with pytest.raises(AssertionError, match="firewallOpen"):
        test_payload_fields_are_defined_by_the_api(doc)
    doc["properties"] = {**doc["properties"], "publicNetworkAccess": "Open"}
    with pytest.raises(AssertionError, match="Open"):
        test_enum_fields_hold_values_the_api_defines(doc)
