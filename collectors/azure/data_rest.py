"""Read-only ARM clients for Key Vault, Azure SQL and Cosmos DB management planes, declared as data.

Same pipeline and paging as arm_rest.py (nextLink to the end, counting, Retry-After, no
auto-registration). Key Vault keys and secrets are read through the *management* plane, whose
list calls return attributes (enabled, expiry, rotation policy) and never a key or secret value.
"""

from __future__ import annotations

from collectors.azure.arm_rest import ArmRestClient

KEYVAULT_API = "2023-07-01"
SQL_API = "2021-11-01"
COSMOS_API = "2024-11-15"
DIAGNOSTIC_SETTINGS_API = "2021-05-01-preview"  # as collectors/azure/cis_clients.py reads them

_SUB = "/subscriptions/{subscription}"
_VAULT = _SUB + "/resourceGroups/{0}/providers/Microsoft.KeyVault/vaults/{1}"
_SERVER = _SUB + "/resourceGroups/{0}/providers/Microsoft.Sql/servers/{1}"

# client kind -> operation group -> method -> (kind, URL template, api-version); "get" reads one ARM id.
DATA_OPERATIONS: dict[str, dict[str, dict[str, tuple[str, str, str]]]] = {
    "keyvault": {
        "vaults": {"list_by_subscription": ("list", _SUB + "/providers/Microsoft.KeyVault/vaults", KEYVAULT_API)},
        # the list's items may omit the rotation policy; one GET per key reads it for certain
        "keys": {"list": ("list", _VAULT + "/keys", KEYVAULT_API), "get_by_id": ("get", "{0}", KEYVAULT_API)},
        "secrets": {"list": ("list", _VAULT + "/secrets", KEYVAULT_API)},
        # Microsoft.Insights extension resources on the vault: where its AuditEvent log goes (CIS 6.1.1.4)
        "diagnostic_settings": {"list": (
            "list", _VAULT + "/providers/Microsoft.Insights/diagnosticSettings", DIAGNOSTIC_SETTINGS_API)},
    },
    "sql": {
        "servers": {"list": ("list", _SUB + "/providers/Microsoft.Sql/servers", SQL_API)},
        "firewall_rules": {"list_by_server": ("list", _SERVER + "/firewallRules", SQL_API)},
        "server_azure_ad_administrators": {"list_by_server": ("list", _SERVER + "/administrators", SQL_API)},
        "failover_groups": {"list_by_server": ("list", _SERVER + "/failoverGroups", SQL_API)},
        "encryption_protectors": {"get_by_id": ("get", "{0}", SQL_API)},  # <server>/encryptionProtector/current
        "server_blob_auditing_policies": {"get_by_id": ("get", "{0}", SQL_API)},  # <server>/auditingSettings/default
        "databases": {"list_by_server": ("list", _SERVER + "/databases", SQL_API)},
        "transparent_data_encryptions": {"get_by_id": ("get", "{0}", SQL_API)},  # <db>/transparentDataEncryption/current
        "replication_links": {"list_by_database": ("list", _SERVER + "/databases/{2}/replicationLinks", SQL_API)},
    },
    "cosmosdb": {
        "database_accounts": {"list": (
            "list", _SUB + "/providers/Microsoft.DocumentDB/databaseAccounts", COSMOS_API)},
        # Microsoft.Insights extension resources on an account: its resource logs (CIS Azure 6.1.4)
        "diagnostic_settings": {"list": (
            "list", _SUB + "/resourceGroups/{0}/providers/Microsoft.DocumentDB/databaseAccounts/{1}"
                           "/providers/Microsoft.Insights/diagnosticSettings", DIAGNOSTIC_SETTINGS_API)},
    },
}


class _DataClient(ArmRestClient):
    @classmethod
    def operations(cls) -> dict[str, dict[str, tuple[str, str, str]]]:
        return DATA_OPERATIONS[cls.kind]


class KeyVaultClient(_DataClient):
    kind = "keyvault"


class SqlClient(_DataClient):
    kind = "sql"


class CosmosDbClient(_DataClient):
    kind = "cosmosdb"
