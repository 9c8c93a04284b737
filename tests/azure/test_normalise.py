"""Facet normalisation from ARM JSON (no HTTP)."""

from __future__ import annotations

import pytest

from auditor.demo.emulators.azure_estate import security_rule, storage_account
from collectors.azure import normalise as n


def rules_of(**kw):  # type: ignore[no-untyped-def]
    return [(r["cidr"], r["protocol"], r["from_port"], r["to_port"], r["action"], r["priority"])
            for r in n.nsg_rule_facets(security_rule("/nsg", "r", priority=kw.pop("priority", 100), **kw))]


@pytest.mark.parametrize("source, cidrs", [
    ("*", ["0.0.0.0/0", "::/0"]),
    ("Internet", ["0.0.0.0/0", "::/0"]),
    ("0.0.0.0/0", ["0.0.0.0/0"]),
    ("10.1.2.3", ["10.1.2.3/32"]),
    ("VirtualNetwork", ["VirtualNetwork"]),
])
def test_sources(source: str, cidrs: list[str]) -> None:
    assert [r[0] for r in rules_of(source=source, ports="22")] == cidrs


@pytest.mark.parametrize("ports, expected", [("*", [(0, 65535)]), ("22", [(22, 22)]), ("1000-2000", [(1000, 2000)]),
                                             (["80", "443-444"], [(80, 80), (443, 444)])])
def test_ports(ports, expected) -> None:  # type: ignore[no-untyped-def]
    assert [(r[2], r[3]) for r in rules_of(source="10.0.0.0/8", ports=ports)] == expected


@pytest.mark.parametrize("protocol, expected", [("Tcp", {"tcp"}), ("TCP", {"tcp"}), ("Udp", {"udp"}),
                                                ("Icmp", {"icmp"}), ("*", {"tcp", "udp", "icmp"})])
def test_protocols(protocol: str, expected: set[str]) -> None:
    assert {r[1] for r in rules_of(source="10.0.0.0/8", ports="22", protocol=protocol)} == expected


def test_any_protocol_any_port_is_all() -> None:
    assert rules_of(source="*", protocol="*", ports="*", access="Deny", priority=4096) == [
        ("0.0.0.0/0", "all", 0, 65535, "deny", 4096), ("::/0", "all", 0, 65535, "deny", 4096)]


def test_prefix_lists_and_egress() -> None:
    rules = n.nsg_rule_facets(security_rule("/nsg", "r", priority=200, source=["10.0.0.0/8", "Internet"], ports="443"))
    assert [r["cidr"] for r in rules] == ["10.0.0.0/8", "0.0.0.0/0", "::/0"]
    out = n.nsg_rule_facets(security_rule("/nsg", "o", priority=300, direction="Outbound", destination="Internet",
                                          ports="443"))
    assert {(r["direction"], r["cidr"]) for r in out} == {("egress", "0.0.0.0/0"), ("egress", "::/0")}


def test_replicas_prefer_reported_secondary_then_pair_table() -> None:
    assert n.replica_locations("Standard_GRS", "northeurope", "westeurope") == ["westeurope"]
    assert n.replica_locations("Standard_RAGZRS", "brazilsouth", None) == ["southcentralus"]
    assert n.replica_locations("Standard_GZRS", "eastasia", None) == ["southeastasia"]
    assert n.replica_locations("Standard_LRS", "westeurope", None) == []
    assert n.replica_locations("Standard_ZRS", "westeurope", None) == []
    assert n.replica_locations("Standard_GRS", "italynorth", None) is None  # unpaired: a copy lands somewhere unknown


def test_storage_facets_unknowns_stay_none() -> None:
    doc = storage_account("s", "rg", "st", "westeurope", "Standard_LRS", allow_public=None, public_network=None)
    f = n.storage_account_facets(doc)
    assert f["public"] is None and f["public_access_blocked"] is None
    assert f["public_network_access"] is True  # defaultAction Allow and no publicNetworkAccess override
    off = storage_account("s", "rg", "st", "westeurope", "Standard_LRS", allow_public=False,
                          public_network="Enabled", default_action="Deny")
    f = n.storage_account_facets(off)
    assert f["public"] is False and f["public_access_blocked"] is True and f["public_network_access"] is False


def test_role_definition_admin() -> None:
    def rd(actions, not_actions=()):  # type: ignore[no-untyped-def]
        return {"id": "/providers/Microsoft.Authorization/roleDefinitions/x",
                "properties": {"permissions": [{"actions": list(actions), "notActions": list(not_actions)}]}}

    assert n.role_definition_admin(rd(["*"])) is True
    assert n.role_definition_admin(rd(["*"], ["Microsoft.Authorization/*/Write"])) is False
    assert n.role_definition_admin(rd(["*/read", "Microsoft.Authorization/*"])) is True
    assert n.role_definition_admin(rd(["Microsoft.Storage/*/read"])) is False
    assignment = {"properties": {"roleDefinitionId": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/unknown"}}
    assert n.role_assignment_admin(assignment) is None  # unknown custom role: not guessed


def test_to_rest_keeps_arm_shape_for_both_model_generations() -> None:
    from azure.mgmt.msi.models import Identity
    from azure.mgmt.storage.models import StorageAccount

    doc = storage_account("s", "rg", "st", "westeurope", "Standard_GRS", allow_public=True, secondary="northeurope")
    sa = n.to_rest(StorageAccount(doc))
    assert sa["properties"]["allowBlobPublicAccess"] is True and sa["properties"]["secondaryLocation"] == "northeurope"
    ident = Identity.deserialize({"id": "/x", "name": "i", "location": "eastus",
                                  "properties": {"clientId": "c", "principalId": "p", "tenantId": "t"}})
    assert n.to_rest(ident)["properties"] == {"clientId": "c", "principalId": "p", "tenantId": "t"}


def test_unmanaged_vm_disks_have_unknown_encryption() -> None:
    managed = {"storageProfile": {"osDisk": {"managedDisk": {"id": "/d/os"}}, "dataDisks": []}}
    assert n.vm_disk_encryption(managed) == "provider"
    cmk = {"storageProfile": {"osDisk": {"managedDisk": {"id": "/d/os", "diskEncryptionSet": {"id": "/des"}}}}}
    assert n.vm_disk_encryption(cmk) == "customer"
    unmanaged = {"storageProfile": {"osDisk": {"name": "os", "vhd": {"uri": "https://st.blob.core.windows.net/vhds/os.vhd"}}}}
    assert n.vm_disk_encryption(unmanaged) is None
    mixed = {"storageProfile": {"osDisk": {"managedDisk": {"id": "/d/os"}},
                                "dataDisks": [{"lun": 0, "vhd": {"uri": "https://st.blob.core.windows.net/vhds/d.vhd"}}]}}
    assert n.vm_disk_encryption(mixed) is None


def test_storage_key_creation_time_is_the_oldest_key() -> None:
    doc = storage_account("s", "rg", "st", "westeurope", "Standard_LRS", allow_public=False)
    doc["properties"]["keyCreationTime"] = {"key1": "2025-06-01T00:00:00Z", "key2": "2024-01-01T00:00:00Z"}
    assert n.storage_account_facets(doc)["key_created"] == "2024-01-01T00:00:00Z"
    doc["properties"]["keyCreationTime"] = {"key1": None, "key2": None}
    assert n.storage_account_facets(doc)["key_created"] is None
