"""The data-store slice of the seeded Azure estate: Key Vaults (keys, secrets), SQL, Cosmos DB, ML registries.

Builders follow the official x-ms-examples of azure-rest-api-specs (Microsoft.KeyVault 2023-07-01
getVault.json, updateVault.json, listKeys.json, getKey.json, getSecret.json; Microsoft.Insights
2021-05-01-preview listDiagnosticSettings.json for a vault's diagnostic settings; Microsoft.Sql 2021-11-01
ServerGet.json, FirewallRuleGet.json, AdministratorCreateOrUpdate.json,
EncryptionProtectorCreateOrUpdateServiceManaged.json, ServerBlobAuditingGet.json, CreateDatabaseMin.json,
FailoverGroupCreateOrUpdate.json; Microsoft.DocumentDB 2024-11-15 CosmosDBDatabaseAccountGet.json and
CreateMax.json; Microsoft.MachineLearningServices 2024-04-01 Registries/get-UserCreated.json) with
synthetic names. Each unsafe shape has a safe twin. tests/azure/data/arm_data_fields.json lists the
fields each shape may carry; a test holds every payload here to it.
"""

from __future__ import annotations

from typing import Any

from auditor.demo.emulators.azure_estate import _SYSTEM_DATA, rid

_KV = "Microsoft.KeyVault/vaults"
_SQL = "Microsoft.Sql/servers"
CREATED = 1740823200  # 2025-03-01T10:00:00Z, Key Vault attributes are epoch seconds
ONE_YEAR = 365 * 86400

# ---- Key Vault ---------------------------------------------------------------------------------


def vault(sub: str, rg: str, name: str, location: str, tenant: str, *, rbac: bool, purge_protection: bool,
          public: bool, private_endpoint: bool, user: str) -> dict[str, Any]:
    vid = rid(sub, rg, f"{_KV}/{name}")
    p: dict[str, Any] = {
        "sku": {"family": "A", "name": "standard"},
        "tenantId": tenant,
        "accessPolicies": [] if rbac else [{"tenantId": tenant, "objectId": user,
                                            "permissions": {"keys": ["get", "list", "create", "update"],
                                                            "secrets": ["get", "list", "set"],
                                                            "certificates": ["get", "list"]}}],
        "enabledForDeployment": False,
        "enabledForDiskEncryption": False,
        "enabledForTemplateDeployment": False,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": rbac,
        "vaultUri": f"https://{name}.vault.azure.net/",
        "provisioningState": "Succeeded",
        "publicNetworkAccess": "Enabled" if public else "Disabled",
    }
    if purge_protection:
        p["enablePurgeProtection"] = True
    if not public:
        p["networkAcls"] = {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []}
    if private_endpoint:
        p["privateEndpointConnections"] = [{
            "id": f"{vid}/privateEndpointConnections/{name}-pe",
            "properties": {"provisioningState": "Succeeded",
                           "privateEndpoint": {"id": rid(sub, rg, f"Microsoft.Network/privateEndpoints/{name}-pe")},
                           "privateLinkServiceConnectionState": {"status": "Approved", "actionsRequired": "None"}}}]
    return {"id": vid, "name": name, "type": _KV, "location": location, "tags": {},
            "systemData": dict(_SYSTEM_DATA), "properties": p}


def vault_diagnostic_setting(v: dict[str, Any], name: str, workspace: str, *, category: str | None = None,
                             category_group: str | None = None) -> dict[str, Any]:
    """A diagnostic setting on a vault (an extension resource under it) sending one log to a workspace."""
    log: dict[str, Any] = {"category": category} if category else {"categoryGroup": category_group}
    log.update({"enabled": True, "retentionPolicy": {"enabled": False, "days": 0}})
    return {"id": f"{v['id']}/providers/microsoft.insights/diagnosticSettings/{name}",
            "type": "Microsoft.Insights/diagnosticSettings", "name": name,
            "properties": {"workspaceId": workspace, "logs": [log],
                           "metrics": [{"category": "AllMetrics", "enabled": True,
                                        "retentionPolicy": {"enabled": False, "days": 0}}]}}


def vault_key(v: dict[str, Any], name: str, *, expires: bool, rotate: bool, enabled: bool = True) -> dict[str, Any]:
    attrs: dict[str, Any] = {"enabled": enabled, "created": CREATED, "updated": CREATED,
                             "recoveryLevel": "Recoverable+Purgeable"}
    if expires:
        attrs["exp"] = CREATED + 2 * ONE_YEAR
    p: dict[str, Any] = {"attributes": attrs, "kty": "RSA", "keyOps": ["wrapKey", "unwrapKey"], "keySize": 2048,
                         "keyUri": f"https://{v['name']}.vault.azure.net:443/keys/{name}",
                         "keyUriWithVersion": f"https://{v['name']}.vault.azure.net:443/keys/{name}/"
                                              "fd618d9519b74f9aae94ade66b876acc"}
    if rotate:
        p["rotationPolicy"] = {"attributes": {"created": CREATED, "updated": CREATED, "expiryTime": "P1Y"},
                               "lifetimeActions": [{"trigger": {"timeAfterCreate": "P330D"}, "action": {"type": "rotate"}},
                                                   {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}}]}
    return {"id": f"{v['id']}/keys/{name}", "name": name, "type": f"{_KV}/keys", "location": v["location"],
            "properties": p}


def vault_secret(v: dict[str, Any], name: str, *, expires: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {"enabled": True, "created": CREATED, "updated": CREATED}
    if expires:
        attrs["exp"] = CREATED + ONE_YEAR
    return {"id": f"{v['id']}/secrets/{name}", "name": name, "type": f"{_KV}/secrets", "location": v["location"],
            "properties": {"attributes": attrs, "secretUri": f"https://{v['name']}.vault.azure.net/secrets/{name}",
                           "secretUriWithVersion": f"https://{v['name']}.vault.azure.net/secrets/{name}/"
                                                   "77445834f7de41bab81d0723bf996860"}}


# ---- Azure SQL ---------------------------------------------------------------------------------


def sql_server(sub: str, rg: str, name: str, location: str, *, public: bool, min_tls: str) -> dict[str, Any]:
    return {"id": rid(sub, rg, f"{_SQL}/{name}"), "name": name, "type": _SQL, "location": location,
            "kind": "v12.0", "tags": {},
            "properties": {"fullyQualifiedDomainName": f"{name}.database.windows.net",
                           "administratorLogin": "sqladmin", "version": "12.0", "state": "Ready",
                           "minimalTlsVersion": min_tls, "publicNetworkAccess": "Enabled" if public else "Disabled",
                           "restrictOutboundNetworkAccess": "Disabled", "privateEndpointConnections": []}}


def firewall_rule(server: dict[str, Any], name: str, start: str, end: str) -> dict[str, Any]:
    return {"id": f"{server['id']}/firewallRules/{name}", "name": name, "type": f"{_SQL}/firewallRules",
            "properties": {"startIpAddress": start, "endIpAddress": end}}


def entra_admin(server: dict[str, Any], login: str, sid: str, tenant: str) -> dict[str, Any]:
    return {"id": f"{server['id']}/administrators/ActiveDirectory", "name": "ActiveDirectory",
            "type": f"{_SQL}/administrators",
            "properties": {"administratorType": "ActiveDirectory", "login": login, "sid": sid, "tenantId": tenant,
                           "azureADOnlyAuthentication": True}}


def encryption_protector(server: dict[str, Any], key_uri: str | None) -> dict[str, Any]:
    if key_uri:
        vault_name = key_uri.split("//", 1)[1].split(".", 1)[0]
        key_name, version = key_uri.rstrip("/").rsplit("/", 2)[-2:]
        p = {"serverKeyName": f"{vault_name}_{key_name}_{version}", "serverKeyType": "AzureKeyVault",
             "uri": key_uri, "autoRotationEnabled": True}
        kind = "azurekeyvault"
    else:
        p, kind = {"serverKeyName": "ServiceManaged", "serverKeyType": "ServiceManaged"}, "servicemanaged"
    return {"id": f"{server['id']}/encryptionProtector/current", "name": "current",
            "type": f"{_SQL}/encryptionProtector", "location": server["location"], "kind": kind, "properties": p}


def auditing(server: dict[str, Any], *, enabled: bool, retention: int, sub: str) -> dict[str, Any]:
    return {"id": f"{server['id']}/auditingSettings/default", "name": "default", "type": f"{_SQL}/auditingSettings",
            "properties": {"state": "Enabled" if enabled else "Disabled",
                           "storageEndpoint": "https://stprodlogs01.blob.core.windows.net/" if enabled else "",
                           "retentionDays": retention, "auditActionsAndGroups": [
                               "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP", "FAILED_DATABASE_AUTHENTICATION_GROUP",
                               "BATCH_COMPLETED_GROUP"] if enabled else [],
                           "storageAccountSubscriptionId": sub if enabled else "00000000-0000-0000-0000-000000000000",
                           "isStorageSecondaryKeyInUse": False, "isAzureMonitorTargetEnabled": False,
                           "isManagedIdentityInUse": enabled}}


def database(server: dict[str, Any], name: str, database_id: str, *, system: bool = False) -> dict[str, Any]:
    sku = {"name": "System", "tier": "System", "capacity": 0} if system else \
        {"name": "Standard", "tier": "Standard", "capacity": 10}
    return {"id": f"{server['id']}/databases/{name}", "name": name, "type": f"{_SQL}/databases",
            "location": server["location"], "kind": "v12.0,system" if system else "v12.0,user", "sku": dict(sku),
            "properties": {"collation": "SQL_Latin1_General_CP1_CI_AS", "maxSizeBytes": 268435456000,
                           "status": "Online", "databaseId": database_id, "currentSku": dict(sku),
                           "creationDate": "2025-03-01T10:00:00.000Z", "currentServiceObjectiveName": "S0",
                           "currentBackupStorageRedundancy": "Local", "requestedBackupStorageRedundancy": "Local",
                           "earliestRestoreDate": "2025-03-01T10:10:00.000Z",
                           "catalogCollation": "SQL_Latin1_General_CP1_CI_AS", "readScale": "Disabled",
                           "requestedServiceObjectiveName": "S0", "isLedgerOn": False,
                           "isInfraEncryptionEnabled": False, "zoneRedundant": False}}


def tde(db: dict[str, Any], *, enabled: bool) -> dict[str, Any]:
    return {"id": f"{db['id']}/transparentDataEncryption/current", "name": "current",
            "type": f"{_SQL}/databases/transparentDataEncryption",
            "properties": {"state": "Enabled" if enabled else "Disabled"}}


def replication_link(db: dict[str, Any], link_id: str, partner_server: str, partner_location: str) -> dict[str, Any]:
    return {"id": f"{db['id']}/replicationLinks/{link_id}", "name": link_id, "type": f"{_SQL}/databases/replicationLinks",
            "properties": {"partnerServer": partner_server, "partnerDatabase": db["name"],
                           "partnerLocation": partner_location, "role": "Primary", "partnerRole": "Secondary",
                           "replicationMode": "ASYNC", "startTime": "2025-03-01T10:20:00Z", "percentComplete": 100,
                           "replicationState": "CATCH_UP", "isTerminationAllowed": True, "linkType": "GEO"}}


def failover_group(server: dict[str, Any], name: str, partner_id: str, partner_location: str,
                   databases: list[str]) -> dict[str, Any]:
    return {"id": f"{server['id']}/failoverGroups/{name}", "name": name, "type": f"{_SQL}/failoverGroups",
            "location": server["location"],
            "properties": {"readWriteEndpoint": {"failoverPolicy": "Automatic",
                                                 "failoverWithDataLossGracePeriodMinutes": 480},
                           "readOnlyEndpoint": {"failoverPolicy": "Disabled"}, "replicationRole": "Primary",
                           "replicationState": "CATCH_UP",
                           "partnerServers": [{"id": partner_id, "location": partner_location,
                                               "replicationRole": "Secondary"}],
                           "databases": databases}}


# ---- Cosmos DB and ML registries -------------------------------------------------------------


def _cosmos_location(account: str, index: int, display: str) -> dict[str, Any]:
    short = display.replace(" ", "").lower()
    return {"id": f"{account}-{short}", "locationName": display,
            "documentEndpoint": f"https://{account}-{short}.documents.azure.com:443/",
            "provisioningState": "Succeeded", "failoverPriority": index, "isZoneRedundant": False}


def cosmos_account(sub: str, rg: str, name: str, regions: list[str], *, public: bool, local_auth: bool,
                   key_uri: str | None, tags: dict[str, str]) -> dict[str, Any]:
    locs = [_cosmos_location(name, i, r) for i, r in enumerate(regions)]
    gen = {"generationTime": "2025-03-01T10:00:00Z"}
    p: dict[str, Any] = {
        "provisioningState": "Succeeded", "documentEndpoint": f"https://{name}.documents.azure.com:443/",
        "ipRules": [] if public else [{"ipAddressOrRange": "203.0.113.0/24"}],
        "isVirtualNetworkFilterEnabled": not public, "virtualNetworkRules": [],
        "databaseAccountOfferType": "Standard", "disableKeyBasedMetadataWriteAccess": not local_auth,
        "disableLocalAuth": not local_auth, "defaultIdentity": "FirstPartyIdentity",
        "consistencyPolicy": {"defaultConsistencyLevel": "Session", "maxIntervalInSeconds": 5,
                              "maxStalenessPrefix": 100},
        "writeLocations": locs[:1], "readLocations": locs, "locations": locs,
        "failoverPolicies": [{"id": x["id"], "locationName": x["locationName"], "failoverPriority": x["failoverPriority"]}
                             for x in locs],
        "privateEndpointConnections": [], "cors": [], "enableFreeTier": False, "apiProperties": {},
        "enableAnalyticalStorage": False, "instanceId": "d9b26648-2f53-4541-b3d8-3044f4f9810d",
        "createMode": "Default",
        "backupPolicy": {"type": "Periodic", "periodicModeProperties": {
            "backupIntervalInMinutes": 240, "backupRetentionIntervalInHours": 8, "backupStorageRedundancy": "Local"}},
        "networkAclBypass": "None", "networkAclBypassResourceIds": [],
        "keysMetadata": {k: dict(gen) for k in ("primaryMasterKey", "secondaryMasterKey", "primaryReadonlyMasterKey",
                                                "secondaryReadonlyMasterKey")},
        "publicNetworkAccess": "Enabled" if public else "Disabled",
        "minimalTlsVersion": "Tls" if public else "Tls12",
    }
    if key_uri:
        p["keyVaultKeyUri"] = key_uri
    return {"id": rid(sub, rg, f"Microsoft.DocumentDB/databaseAccounts/{name}"), "name": name,
            "location": regions[0], "type": "Microsoft.DocumentDB/databaseAccounts", "kind": "GlobalDocumentDB",
            "tags": tags, "properties": p}


def ml_registry(sub: str, rg: str, name: str, regions: list[str], *, public: bool, principal: str,
                tenant: str) -> dict[str, Any]:
    return {"tags": {}, "location": regions[0],
            "identity": {"type": "SystemAssigned", "principalId": principal, "tenantId": tenant},
            "id": rid(sub, rg, f"Microsoft.MachineLearningServices/registries/{name}"), "name": name,
            "type": "Microsoft.MachineLearningServices/registries",
            "properties": {"regionDetails": [{"location": r, "storageAccountDetails": [], "acrDetails": []}
                                             for r in regions],
                           "publicNetworkAccess": "Enabled" if public else "Disabled",
                           "discoveryUrl": f"https://{regions[0]}.api.azureml.ms/registrymanagement/v1.0/registries/"
                                           f"{name}/discovery",
                           "managedResourceGroup": {"resourceId": f"/subscriptions/{sub}/resourceGroups/azureml-rg-"
                                                                  f"{name}_00000000-1111-2222-3333-444444444444"},
                           "mlFlowRegistryUri": f"azureml://{regions[0]}.api.azureml.ms/mlflow/v1.0/subscriptions/"
                                                f"{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/"
                                                f"registries/{name}",
                           "registryPrivateEndpointConnections": []},
            "systemData": dict(_SYSTEM_DATA)}


def data_resources(sub: str, rg: str, location: str, tenant: str) -> list[dict[str, Any]]:
    """Unsafe and safe twins of every data-store shape in one subscription."""
    user = "0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f"
    out: list[dict[str, Any]] = []
    kv_open = vault(sub, rg, "kv-prod-open", location, tenant, rbac=False, purge_protection=False, public=True,
                    private_endpoint=False, user=user)
    kv_locked = vault(sub, rg, "kv-prod-locked", location, tenant, rbac=True, purge_protection=True, public=False,
                      private_endpoint=True, user=user)
    out += [kv_open, kv_locked]
    # the locked vault sends its AuditEvent log to a workspace; the open one has no diagnostic setting
    workspace = rid(sub, rg, "Microsoft.OperationalInsights/workspaces/law-security")
    out.append(vault_diagnostic_setting(kv_locked, "kv-audit-to-law", workspace, category="AuditEvent"))
    # three keys in one vault: the listing pages (page size 2)
    out += [vault_key(kv_open, "app-key", expires=False, rotate=False),
            vault_key(kv_open, "legacy-key", expires=True, rotate=False),
            vault_key(kv_open, "sign-key", expires=False, rotate=False, enabled=False),  # disabled: not judged
            vault_key(kv_locked, "cmk-key", expires=True, rotate=True)]
    out += [vault_secret(kv_open, "db-password", expires=False),
            vault_secret(kv_locked, "api-token", expires=True)]

    open_srv = sql_server(sub, rg, "sql-prod-open", location, public=True, min_tls="1.0")
    locked_srv = sql_server(sub, rg, "sql-prod-locked", "northeurope", public=False, min_tls="1.2")
    out += [open_srv, locked_srv,
            firewall_rule(open_srv, "AllowAll", "0.0.0.0", "255.255.255.255"),
            firewall_rule(open_srv, "AllowAllWindowsAzureIps", "0.0.0.0", "0.0.0.0"),
            firewall_rule(open_srv, "office", "203.0.113.0", "203.0.113.255"),
            encryption_protector(open_srv, None),
            encryption_protector(locked_srv, f"https://kv-prod-locked.vault.azure.net/keys/cmk-key/"
                                             "fd618d9519b74f9aae94ade66b876acc"),
            auditing(open_srv, enabled=False, retention=0, sub=sub),
            auditing(locked_srv, enabled=True, retention=120, sub=sub),
            entra_admin(locked_srv, "sql-admins@contoso.example", "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", tenant)]
    orders = database(open_srv, "orders", "6c764297-577b-470f-9af4-96d3d41e2ba3")
    ledger = database(locked_srv, "ledger", "7d875308-688c-481f-8b05-a7e4e52f3cb4")
    dr = rid(sub, rg, f"{_SQL}/sql-prod-locked-dr")
    master = database(open_srv, "master", "0b5c3a2e-1f4d-4c6b-9a8e-7d6c5b4a3f2e", system=True)  # listed like any db
    out += [master, orders, tde(orders, enabled=False), ledger, tde(ledger, enabled=True),
            replication_link(orders, "5b2e6f3a-7c1d-4e8f-9a0b-1c2d3e4f5a6b", "sql-prod-open-dr", "North Europe"),
            failover_group(locked_srv, "fg-ledger", dr, "West Europe", [ledger["id"]])]

    # restricted (EU only): the open account fails over to East US, the locked one stays in the EU
    out.append(cosmos_account(sub, rg, "cosmos-orders", ["West Europe", "East US"], public=True, local_auth=True,
                              key_uri=None, tags={"data-classification": "restricted"}))
    ledger_acct = cosmos_account(sub, rg, "cosmos-ledger", ["North Europe", "West Europe"], public=False,
                                 local_auth=False, key_uri="https://kv-prod-locked.vault.azure.net/keys/cmk-key",
                                 tags={"data-classification": "restricted"})
    # resource logging (CIS 6.1.4): the locked account exports its data-plane requests, the open one nothing
    out += [ledger_acct, vault_diagnostic_setting(ledger_acct, "cosmos-to-law", workspace,
                                                  category="DataPlaneRequests")]
    out.append(ml_registry(sub, rg, "mlreg-shared", [location, "eastus"], public=True,
                           principal="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", tenant=tenant))
    out.append(ml_registry(sub, rg, "mlreg-eu", [location, "northeurope"], public=False,
                           principal="2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", tenant=tenant))
    from auditor.demo.emulators.azure_databricks_estate import databricks_resources  # CIS Azure 2.1
    workspaces = databricks_resources(sub, rg)
    # the locked workspace exports every log (allLogs); the open one has no diagnostic setting
    out += workspaces + [vault_diagnostic_setting(workspaces[1], "dbw-to-law", workspace, category_group="allLogs")]
    return out
