"""Specs for Key Vault, Azure SQL, Cosmos DB and Azure ML registries (merged into specs.SPECS)."""

from __future__ import annotations

from typing import Any, Callable

from collectors.spec import ResourceSpec

_KV = "Microsoft.KeyVault/vaults"
_SQL = "Microsoft.Sql/servers"

DATA_CALL_ACTIONS: dict[tuple[str, str], str] = {
    ("keyvault", "vaults.list_by_subscription"): f"{_KV}/read",
    # management-plane reads: attributes and rotation policy, never key material or a secret value
    ("keyvault", "keys.list"): f"{_KV}/keys/read",
    ("keyvault", "keys.get_by_id"): f"{_KV}/keys/read",
    ("keyvault", "secrets.list"): f"{_KV}/secrets/read",
    ("keyvault", "diagnostic_settings.list"): "Microsoft.Insights/diagnosticSettings/read",
    ("sql", "servers.list"): f"{_SQL}/read",
    ("sql", "firewall_rules.list_by_server"): f"{_SQL}/firewallRules/read",
    ("sql", "server_azure_ad_administrators.list_by_server"): f"{_SQL}/administrators/read",
    ("sql", "failover_groups.list_by_server"): f"{_SQL}/failoverGroups/read",
    ("sql", "encryption_protectors.get_by_id"): f"{_SQL}/encryptionProtector/read",
    ("sql", "server_blob_auditing_policies.get_by_id"): f"{_SQL}/auditingSettings/read",
    ("sql", "databases.list_by_server"): f"{_SQL}/databases/read",
    ("sql", "transparent_data_encryptions.get_by_id"): f"{_SQL}/databases/transparentDataEncryption/read",
    ("sql", "replication_links.list_by_database"): f"{_SQL}/databases/replicationLinks/read",
    ("cosmosdb", "database_accounts.list"): "Microsoft.DocumentDB/databaseAccounts/read",
    ("cosmosdb", "diagnostic_settings.list"): "Microsoft.Insights/diagnosticSettings/read",
    ("ml", "registries.list_by_subscription"): "Microsoft.MachineLearningServices/registries/read",
}

_SERVER_CALLS = ("firewall_rules.list_by_server", "server_azure_ad_administrators.list_by_server",
                 "failover_groups.list_by_server", "encryption_protectors.get_by_id",
                 "server_blob_auditing_policies.get_by_id")


def data_specs(spec: Callable[..., ResourceSpec], rules: Callable[..., Any]) -> tuple[ResourceSpec, ...]:
    """Built with specs.py's own ``_spec``/``_rules`` so they read exactly like the rest."""
    from collectors.azure import data_collect as c

    attrs = ("config.properties.attributes.updated",)
    return (
        spec("azure.keyvault.vault", "storage", "keyvault", "vaults.list_by_subscription",
             ("diagnostic_settings.list",), c.vaults,
             rules(unordered=("config.properties.accessPolicies", "config.properties.networkAcls.ipRules",
                              "config.properties.networkAcls.virtualNetworkRules")),
             "Key Vaults: soft delete, purge protection, RBAC vs access policies, public network access / "
             "network ACL default action, private endpoints, audit logging (diagnostic settings); paired-region copy "
             "for residency."),
        spec("azure.keyvault.key", "storage", "keyvault", "vaults.list_by_subscription", ("keys.list", "keys.get_by_id"),
             c.vault_keys, rules(attrs),
             "Key Vault keys (management plane: attributes, expiry, rotation policy; no key material)."),
        spec("azure.keyvault.secret", "storage", "keyvault", "vaults.list_by_subscription", ("secrets.list",),
             c.vault_secrets, rules(attrs),
             "Key Vault secrets (management plane: attributes and expiry; a secret value is never read)."),
        spec("azure.sql.server", "storage", "sql", "servers.list", _SERVER_CALLS, c.sql_servers,
             rules(("config.properties.state",), ("config.properties.privateEndpointConnections",)),
             "SQL servers: firewall rules (all IPs, Azure services), TDE protector, auditing, Entra admin, "
             "minimal TLS, public network access, failover-group partner regions."),
        spec("azure.sql.database", "storage", "sql", "servers.list",
             _SERVER_CALLS + ("databases.list_by_server", "transparent_data_encryptions.get_by_id",
                              "replication_links.list_by_database"), c.sql_databases,
             rules(("config.properties.status", "config.properties.earliestRestoreDate",
                    "config.properties.pausedDate", "config.properties.resumedDate")),
             "SQL databases: TDE state, geo-replicas and failover-group partners for residency."),
        spec("azure.cosmosdb.account", "storage", "cosmosdb", "database_accounts.list", ("diagnostic_settings.list",),
             c.cosmos_accounts,
             rules(("config.properties.keysMetadata",), ("config.properties.ipRules",
                                                        "config.properties.virtualNetworkRules")),
             "Cosmos DB accounts: public network access, local (key) auth, key-based metadata writes, "
             "network filters, every read/failover region for residency; resource logging (diagnostic settings)."),
        spec("azure.ml.registry", "storage", "ml", "registries.list_by_subscription", (), c.ml_registries, rules(),
             "Azure ML registries: public network access and every region models replicate to."),
    )
