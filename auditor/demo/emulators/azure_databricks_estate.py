"""Azure Databricks workspaces of the seeded Azure estate: an unsafe workspace and its safe twin.

Shaped from the x-ms-examples of azure-rest-api-specs Microsoft.Databricks 2024-05-01
(WorkspaceGetParameters.json, WorkspaceManagedDiskEncryptionGet.json, EnableEncryption.json,
WorkspacesListBySubscription.json) with synthetic names; tests/azure/data/arm_data_fields.json
holds every field to the swagger's Workspace definitions.
"""

from __future__ import annotations

from typing import Any

from auditor.demo.emulators.azure_estate import _SYSTEM_DATA, rid

_WS = "Microsoft.Databricks/workspaces"
_CREATOR = {"oid": "22222222-2222-2222-2222-222222222222", "puid": "33333333",
            "applicationId": "44444444-4444-4444-4444-444444444444"}


def _string(value: str) -> dict[str, Any]:
    return {"type": "String", "value": value}


def workspace(sub: str, rg: str, name: str, display_location: str, workspace_id: str, *, vnet: str | None,
              no_public_ip: bool, public: bool, cmk_vault: str | None) -> dict[str, Any]:
    """One workspace; ``vnet`` injects it into a customer VNet, ``cmk_vault`` encrypts DBFS root,
    managed services and managed disks with keys from that vault."""
    params: dict[str, Any] = {"enableNoPublicIp": {"type": "Bool", "value": no_public_ip}}
    if vnet:
        params.update(customVirtualNetworkId=_string(vnet), customPublicSubnetName=_string(f"{name}-public"),
                      customPrivateSubnetName=_string(f"{name}-private"))
    p: dict[str, Any] = {
        "managedResourceGroupId": f"/subscriptions/{sub}/resourceGroups/databricks-rg-{name}",
        "parameters": params,
        "provisioningState": "Succeeded",
        "uiDefinitionUri": "https://path/to/workspaceCreateUiDefinition.json",
        "authorizations": [{"principalId": "00000000-0000-0000-0000-000000000000",
                            "roleDefinitionId": "11111111-1111-1111-1111-111111111111"}],
        "createdBy": dict(_CREATOR), "updatedBy": dict(_CREATOR),
        "createdDateTime": "2025-03-01T10:00:29.2858439Z",
        "workspaceId": workspace_id,
        "workspaceUrl": f"adb-{workspace_id}.19.azuredatabricks.net",
        "publicNetworkAccess": "Enabled" if public else "Disabled",
        "requiredNsgRules": "AllRules" if public else "NoAzureDatabricksRules",
        "isUcEnabled": True,
    }
    if cmk_vault:
        vault_uri = f"https://{cmk_vault}.vault.azure.net/"
        params["prepareEncryption"] = {"type": "Bool", "value": True}
        params["encryption"] = {"type": "Object", "value": {"keySource": "Microsoft.Keyvault", "keyvaulturi": vault_uri,
                                                            "KeyName": "dbfs-key", "keyversion": "0" * 32}}
        key = {"keyVaultUri": vault_uri, "keyVersion": "0" * 32}
        p["encryption"] = {"entities": {
            "managedServices": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {**key, "keyName": "services-key"}},
            "managedDisk": {"keySource": "Microsoft.Keyvault", "keyVaultProperties": {**key, "keyName": "disk-key"},
                            "rotationToLatestKeyVersionEnabled": True}}}
        p["diskEncryptionSetId"] = (f"/subscriptions/{sub}/resourceGroups/databricks-rg-{name}/providers/"
                                    f"Microsoft.Compute/diskEncryptionSets/{name}-des")
        p["storageAccountIdentity"] = {"principalId": "55555555-5555-5555-5555-555555555555",
                                       "tenantId": "66666666-6666-6666-6666-666666666666", "type": "SystemAssigned"}
    return {"id": rid(sub, rg, f"{_WS}/{name}"), "name": name, "type": _WS, "location": display_location,
            "tags": {}, "sku": {"name": "premium"}, "systemData": dict(_SYSTEM_DATA), "properties": p}


def databricks_resources(sub: str, rg: str) -> list[dict[str, Any]]:
    """The unsafe workspace (managed VNet, public IPs, open front end, Microsoft keys) and its safe twin."""
    vnet = rid(sub, rg, "Microsoft.Network/virtualNetworks/vnet-databricks")
    return [workspace(sub, rg, "dbw-analytics-open", "West Europe", "5555555555555555", vnet=None,
                      no_public_ip=False, public=True, cmk_vault=None),
            workspace(sub, rg, "dbw-analytics-locked", "North Europe", "6666666666666666", vnet=vnet,
                      no_public_ip=True, public=False, cmk_vault="kv-prod-locked")]
