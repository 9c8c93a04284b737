"""Azure data services: CIS Key Vault controls, SQL, Cosmos DB, AKS, Container Registry and Databricks settings.

Network exposure, TLS, encryption at rest and residency of these stores are judged by the shared
storage and residency rules (they carry the storage facets); this module holds the settings only
these services have. A facet the collector did not fill makes the rule say UNKNOWN, never PASS.
"""

from __future__ import annotations

from typing import Any

from auditor.rules.facts import MISSING, facet, flag, unknown
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, Result

VAULT = ("azure.keyvault.vault",)
KEY = ("azure.keyvault.key",)
SECRET = ("azure.keyvault.secret",)
SQL_SERVER = ("azure.sql.server",)
COSMOS = ("azure.cosmosdb.account",)
AKS = ("azure.containerservice.managed_cluster",)
ACR = ("azure.containerregistry.registry",)
DATABRICKS = ("azure.databricks.workspace",)
_P = dict(kind="posture")


def judge(res: Any, name: str, bad: bool, fail: str, ok: str) -> Result | None:
    """FAIL when the facet equals ``bad``, PASS otherwise; None when the type does not carry it."""
    return flag(res, name, good=not bad, ok=ok, bad=fail)


# ---- Key Vault (CIS Azure 8.3) -----------------------------------------------------------------

def _expiry(res: Any, rbac: bool, what: str) -> Result | None:
    mode = facet(res, "rbac_authorization")
    if mode is MISSING or (mode is not None and mode is not rbac):
        return None  # judged by the twin rule for the other permission model
    if mode is None:
        return unknown("vault permission model")
    if res.facets.get("enabled") is False:
        return None  # a disabled key or secret cannot be used; CIS judges enabled ones
    return judge(res, "expiry_set", False, f"{what} has no expiration date", f"{what} expires")


@rule(id="keyvault.rbac_key_no_expiry", title="Keys in RBAC Key Vaults have an expiration date", severity="medium",
      rationale="A key without an expiry can be used forever; an expiry forces rotation and bounds the damage of "
                "a leaked key.",
      remediation="Set an expiration date (exp) on every key, or a rotation policy with an expiryTime.",
      types=KEY, reads=("expiry_set", "rbac_authorization"), **_P)
def rbac_key_no_expiry(res: Any, ctx: RuleContext) -> Result | None:
    return _expiry(res, True, "key")


@rule(id="keyvault.legacy_key_no_expiry", title="Keys in access-policy Key Vaults have an expiration date",
      severity="medium",
      rationale="A key without an expiry can be used forever; an expiry forces rotation and bounds the damage of "
                "a leaked key.",
      remediation="Set an expiration date (exp) on every key, and move the vault to Azure RBAC.",
      types=KEY, reads=("expiry_set", "rbac_authorization"), **_P)
def legacy_key_no_expiry(res: Any, ctx: RuleContext) -> Result | None:
    return _expiry(res, False, "key")


@rule(id="keyvault.rbac_secret_no_expiry", title="Secrets in RBAC Key Vaults have an expiration date",
      severity="medium",
      rationale="Secrets without an expiry are never rotated; a leaked one stays valid indefinitely.",
      remediation="Set an expiration date on every secret and rotate it before it expires.",
      types=SECRET, reads=("expiry_set", "rbac_authorization"), **_P)
def rbac_secret_no_expiry(res: Any, ctx: RuleContext) -> Result | None:
    return _expiry(res, True, "secret")


@rule(id="keyvault.legacy_secret_no_expiry", title="Secrets in access-policy Key Vaults have an expiration date",
      severity="medium",
      rationale="Secrets without an expiry are never rotated; a leaked one stays valid indefinitely.",
      remediation="Set an expiration date on every secret, and move the vault to Azure RBAC.",
      types=SECRET, reads=("expiry_set", "rbac_authorization"), **_P)
def legacy_secret_no_expiry(res: Any, ctx: RuleContext) -> Result | None:
    return _expiry(res, False, "secret")


@rule(id="keyvault.purge_protection", title="Key Vaults have soft delete and purge protection", severity="high",
      rationale="Without purge protection anyone with delete rights (or a compromised identity) can destroy keys "
                "permanently, and every store encrypted with them.",
      remediation="Enable purge protection (it also requires soft delete); it cannot be turned off again.",
      types=VAULT, reads=("purge_protection", "soft_delete"), **_P)
def purge_protection(res: Any, ctx: RuleContext) -> Result | None:
    soft, purge = facet(res, "soft_delete"), facet(res, "purge_protection")
    if purge is MISSING:
        return None
    ev = {"soft_delete": soft, "purge_protection": purge}
    if soft is False or purge is False:
        return Result(FAIL, "deleted keys and secrets can be purged at once", ev)
    if soft is None or purge is None:
        return unknown("soft delete / purge protection", ev)
    return Result(PASS, "soft delete and purge protection on", ev)


@rule(id="keyvault.access_policies", title="Key Vaults use Azure RBAC, not legacy access policies",
      severity="medium",
      rationale="Access policies grant per-vault rights outside Azure RBAC: no PIM, no deny assignments, and "
                "Contributors can grant themselves data access.",
      remediation="Set enableRbacAuthorization and replace access policies with role assignments.",
      types=VAULT, reads=("rbac_authorization",), **_P)
def access_policies(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "rbac_authorization", False, "permissions come from access policies",
                 "permissions come from Azure RBAC")


@rule(id="keyvault.public_network_access", title="Key Vaults are not reachable from every network",
      severity="medium",
      rationale="An open vault endpoint leaves tokens as the only barrier to keys and secrets.",
      remediation="Disable public network access (or default-deny the firewall) and use private endpoints.",
      types=VAULT, reads=("public_network_access",), **_P)
def vault_public_network(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "public_network_access", True, "reachable from any network", "network access restricted")


@rule(id="keyvault.no_private_endpoint", title="Key Vaults are reached through private endpoints", severity="low",
      rationale="Private endpoints keep vault traffic on the Microsoft backbone and allow the public endpoint "
                "to be closed.",
      remediation="Create a private endpoint for the vault and approve its connection.",
      types=VAULT, reads=("private_endpoint",), **_P)
def vault_private_endpoint(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "private_endpoint", False, "no approved private endpoint", "approved private endpoint")


@rule(id="keyvault.logging_disabled", title="Key Vault audit logging is enabled", severity="medium",
      rationale="Without the AuditEvent log nobody can tell who read a secret or used a key, or reconstruct an "
                "incident afterwards.",
      remediation="Add a diagnostic setting on the vault that sends the 'audit' category group (or the AuditEvent "
                  "category) to a Log Analytics workspace, storage account or event hub.",
      types=VAULT, reads=("audit_logging",), **_P)
def vault_logging(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "audit_logging", False, "no diagnostic setting exports the AuditEvent log",
                 "a diagnostic setting exports the AuditEvent log")


@rule(id="keyvault.key_rotation", title="Key Vault keys rotate automatically", severity="medium",
      rationale="Keys that never rotate accumulate exposure; a rotation policy replaces them without an outage.",
      remediation="Add a rotation policy with a 'rotate' lifetime action (e.g. 30 days before expiry).",
      types=KEY, reads=("rotation",), **_P)
def key_rotation(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "rotation", False, "no automatic rotation", "rotation policy rotates the key")


# ---- Azure SQL ---------------------------------------------------------------------------------

@rule(id="sql.firewall_all_ips", title="SQL server firewall does not admit every address", severity="critical",
      rationale="A 0.0.0.0-255.255.255.255 rule exposes the server's login to the whole internet.",
      remediation="Delete the rule; allow specific client ranges or use private endpoints.",
      types=SQL_SERVER, reads=("allows_all_ips",), **_P)
def sql_firewall_all(res: Any, ctx: RuleContext) -> Result | None:
    out = judge(res, "allows_all_ips", True, "a firewall rule admits 0.0.0.0-255.255.255.255",
                "no firewall rule admits every address")
    if out is not None:
        out.evidence["firewall_ranges"] = res.facets.get("firewall_ranges")
    return out


@rule(id="sql.allow_azure_services", title="SQL server does not admit all Azure services", severity="medium",
      rationale="'Allow Azure services' (0.0.0.0-0.0.0.0) admits connections from any Azure resource of any "
                "tenant, not only the organisation's.",
      remediation="Remove the AllowAllWindowsAzureIps rule; use private endpoints or VNet rules.",
      types=SQL_SERVER, reads=("allows_azure_services",), **_P)
def sql_allow_azure(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "allows_azure_services", True, "admits every Azure tenant's resources",
                 "Azure services rule not set")


AUDIT_RETENTION_DAYS = 90


@rule(id="sql.auditing", title="SQL server auditing is on and kept at least 90 days", severity="medium",
      rationale="Without auditing there is no record of who read or changed data; short retention loses it "
                "before an incident is noticed.",
      remediation="Enable server auditing to a storage account (retention 0 or >= 90 days) or Log Analytics.",
      types=SQL_SERVER, reads=("auditing", "audit_retention_days"), **_P)
def sql_auditing(res: Any, ctx: RuleContext) -> Result | None:
    on = facet(res, "auditing")
    if on is MISSING:
        return None
    days = res.facets.get("audit_retention_days")
    ev = {"auditing": on, "audit_retention_days": days}
    if on is None:
        return unknown("auditing policy", ev)
    if not on:
        return Result(FAIL, "auditing disabled", ev)
    if isinstance(days, int) and 0 < days < AUDIT_RETENTION_DAYS:
        return Result(FAIL, f"audit logs kept {days} days (< {AUDIT_RETENTION_DAYS})", ev)
    return Result(PASS, "auditing enabled" + (" with unlimited retention" if days == 0 else f", {days} days"), ev)


@rule(id="sql.entra_admin", title="SQL server has a Microsoft Entra administrator", severity="medium",
      rationale="Without an Entra admin only SQL logins exist: no MFA, no conditional access, no central "
                "deprovisioning.",
      remediation="Set a Microsoft Entra admin (a group) and prefer Entra-only authentication.",
      types=SQL_SERVER, reads=("entra_admin",), **_P)
def sql_entra_admin(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "entra_admin", False, "no Microsoft Entra administrator", "Microsoft Entra administrator set")


@rule(id="sql.tde_customer_key", title="SQL TDE protector is a customer-managed key", severity="low",
      rationale="With a service-managed protector the organisation cannot revoke access to the data or audit "
                "key use independently of Microsoft.",
      remediation="Set the server's TDE protector to a Key Vault key (with purge protection on the vault).",
      types=SQL_SERVER, reads=("key_management",), **_P)
def sql_tde_customer_key(res: Any, ctx: RuleContext) -> Result | None:
    km = facet(res, "key_management")
    if km is MISSING:
        return None
    if km is None:
        return unknown("TDE protector")
    ev = {"key_management": km, "kms_key": res.facets.get("kms_key")}
    return Result(PASS, "TDE protector in Key Vault", ev) if km == "customer" else \
        Result(FAIL, "TDE protector is service-managed", ev)


# ---- Cosmos DB ---------------------------------------------------------------------------------

@rule(id="cosmos.local_auth", title="Cosmos DB accounts accept only Microsoft Entra ID", severity="medium",
      rationale="Account keys are shared, long-lived and grant full data access to whoever holds them.",
      remediation="Set disableLocalAuth and grant data access with Cosmos DB RBAC.",
      types=COSMOS, reads=("local_auth",), **_P)
def cosmos_local_auth(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "local_auth", True, "account keys are accepted", "Entra ID only")


@rule(id="cosmos.key_metadata_write", title="Cosmos DB keys cannot change account metadata", severity="low",
      rationale="With key-based metadata writes a leaked key can also delete databases and change throughput.",
      remediation="Set disableKeyBasedMetadataWriteAccess so metadata changes go through ARM and its RBAC.",
      types=COSMOS, reads=("key_metadata_write",), **_P)
def cosmos_key_metadata(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "key_metadata_write", True, "keys may change metadata", "metadata changes only through ARM")


# ---- AKS and Container Registry -------------------------------------------------------------

@rule(id="cluster.local_accounts", title="Kubernetes clusters have no static local admin accounts", severity="high",
      rationale="Local accounts give a cluster-admin certificate that bypasses Entra ID, cannot be revoked per user "
                "and is not audited as a person.",
      remediation="Set disableLocalAccounts with Entra ID integration (AKS-managed Entra).",
      types=AKS, reads=("local_accounts",), **_P)
def cluster_local_accounts(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "local_accounts", True, "local admin accounts enabled", "local accounts disabled")


@rule(id="cluster.rbac_disabled", title="Kubernetes RBAC is enabled", severity="high",
      rationale="Without RBAC every authenticated identity has full rights in the cluster.",
      remediation="Recreate the cluster with Kubernetes RBAC enabled (it cannot be turned on in place).",
      types=AKS, reads=("rbac",), **_P)
def cluster_rbac(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "rbac", False, "Kubernetes RBAC disabled", "Kubernetes RBAC enabled")


@rule(id="registry.admin_user", title="Container registries have the admin user disabled", severity="medium",
      rationale="The admin user is one shared password with push and pull rights, outside Entra ID and its audit.",
      remediation="Disable the admin user; use Entra identities, tokens with scope maps, or managed identities.",
      types=ACR, reads=("admin_user",), **_P)
def registry_admin_user(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "admin_user", True, "admin user enabled", "admin user disabled")


# ---- Azure Databricks (CIS Azure 2.1) ----------------------------------------------------------

@rule(id="databricks.vnet_injection", title="Databricks workspaces are deployed in a customer-managed VNet",
      severity="medium",
      rationale="In the Databricks-managed VNet the cluster network cannot carry your NSGs, routes, firewalls or "
                "private endpoints; VNet injection puts clusters under your network controls.",
      remediation="Redeploy the workspace with customVirtualNetworkId and its public/private subnets (VNet injection "
                  "cannot be added to an existing workspace).",
      types=DATABRICKS, reads=("vnet_injection",), **_P)
def databricks_vnet_injection(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "vnet_injection", False, "deployed in the Databricks-managed VNet", "VNet injected")


@rule(id="databricks.no_public_ip", title="Databricks clusters have no public IP addresses", severity="high",
      rationale="Without secure cluster connectivity every cluster node gets a public IP and open inbound ports for "
                "the control plane.",
      remediation="Set enableNoPublicIp (secure cluster connectivity) on the workspace.",
      types=DATABRICKS, reads=("public_ip",), **_P)
def databricks_no_public_ip(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "public_ip", True, "cluster nodes get public IPs", "secure cluster connectivity (no public IP)")


@rule(id="databricks.public_network_access", title="Databricks workspaces do not allow public network access",
      severity="medium",
      rationale="With public network access the workspace UI and REST API answer from any network; tokens and "
                "passwords are then the only barrier.",
      remediation="Set publicNetworkAccess to Disabled and reach the workspace through private endpoints.",
      types=DATABRICKS, reads=("public_network_access",), **_P)
def databricks_public_network(res: Any, ctx: RuleContext) -> Result | None:
    return judge(res, "public_network_access", True, "public network access enabled", "private link only")


@rule(id="databricks.customer_managed_key", title="Databricks workspace data is encrypted with customer-managed keys",
      severity="medium",
      rationale="With Microsoft-managed keys you cannot revoke access to notebooks, DBFS root data or cluster disks, "
                "nor prove who can decrypt them.",
      remediation="On a Premium workspace, configure customer-managed keys from Key Vault for managed services, the "
                  "DBFS root and managed disks.",
      types=DATABRICKS, reads=("key_management",), **_P)
def databricks_customer_managed_key(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "key_management")
    if v is MISSING:
        return None
    if v is None:
        return unknown("key management")
    ok = v == "customer"
    return Result(PASS if ok else FAIL, "customer-managed key" if ok else "Microsoft-managed keys only",
                  {"key_management": v})
