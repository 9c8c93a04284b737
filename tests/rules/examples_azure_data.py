"""FAIL/PASS examples for auditor/rules/cis_azure_data.py (Key Vault, SQL, Cosmos DB, AKS, ACR)."""

from __future__ import annotations

from typing import Any, Callable

from auditor.model import Resource
from tests.rules.examples import res


def az(type_: str, category: str = "storage", **facets: Any) -> Callable[[], list[Resource]]:
    return lambda: [res("azure", type_, category, type_.rsplit(".", 1)[-1], facets, region="westeurope")]


VAULT, KEY, SECRET = "azure.keyvault.vault", "azure.keyvault.key", "azure.keyvault.secret"
SQL, COSMOS = "azure.sql.server", "azure.cosmosdb.account"
AKS, ACR = "azure.containerservice.managed_cluster", "azure.containerregistry.registry"
DBW = "azure.databricks.workspace"


def twin(type_: str, name: str, bad: Any, good: Any, category: str = "storage",
         **common: Any) -> tuple[Callable[[], list[Resource]], Callable[[], list[Resource]]]:
    return az(type_, category, **{name: bad}, **common), az(type_, category, **{name: good}, **common)


EXAMPLES = {
    "keyvault.rbac_key_no_expiry": twin(KEY, "expiry_set", False, True, rbac_authorization=True),
    "keyvault.legacy_key_no_expiry": twin(KEY, "expiry_set", False, True, rbac_authorization=False),
    "keyvault.rbac_secret_no_expiry": twin(SECRET, "expiry_set", False, True, rbac_authorization=True),
    "keyvault.legacy_secret_no_expiry": twin(SECRET, "expiry_set", False, True, rbac_authorization=False),
    "keyvault.purge_protection": twin(VAULT, "purge_protection", False, True, soft_delete=True),
    "keyvault.access_policies": twin(VAULT, "rbac_authorization", False, True),
    "keyvault.public_network_access": twin(VAULT, "public_network_access", True, False),
    "keyvault.no_private_endpoint": twin(VAULT, "private_endpoint", False, True),
    "keyvault.key_rotation": twin(KEY, "rotation", False, True),
    "keyvault.logging_disabled": twin(VAULT, "audit_logging", False, True),
    "sql.firewall_all_ips": twin(SQL, "allows_all_ips", True, False, firewall_ranges=[]),
    "sql.allow_azure_services": twin(SQL, "allows_azure_services", True, False),
    "sql.auditing": (az(SQL, auditing=True, audit_retention_days=30), az(SQL, auditing=True, audit_retention_days=0)),
    "sql.entra_admin": twin(SQL, "entra_admin", False, True),
    "sql.tde_customer_key": twin(SQL, "key_management", "provider", "customer"),
    "cosmos.local_auth": twin(COSMOS, "local_auth", True, False),
    "cosmos.key_metadata_write": twin(COSMOS, "key_metadata_write", True, False),
    "cluster.local_accounts": twin(AKS, "local_accounts", True, False, category="compute"),
    "cluster.rbac_disabled": twin(AKS, "rbac", False, True, category="compute"),
    "registry.admin_user": twin(ACR, "admin_user", True, False),
    "databricks.vnet_injection": twin(DBW, "vnet_injection", False, True, category="compute"),
    "databricks.no_public_ip": twin(DBW, "public_ip", True, False, category="compute"),
    "databricks.public_network_access": twin(DBW, "public_network_access", True, False, category="compute"),
    "databricks.customer_managed_key": twin(DBW, "key_management", "provider", "customer", category="compute"),
}
