"""CIS Azure Foundations controls that join resources: resource logging (6.1.4), locks on
mission-critical resources (6.2), MFA on identities that reach VMs (3.1.1) and guest review (5.3.2).

Every join is UNKNOWN when its other side was not collected (no locks unit, no MFA report for
the subscription's tenant), never PASS.
"""

from __future__ import annotations

from typing import Any

from auditor.rules.facts import MISSING, facet, flag, unknown
from auditor.rules.registry import RuleContext, observer, rule
from auditor.rules.verdict import FAIL, PASS, Result

# ---- 6.1.4 resource logging -----------------------------------------------------------------------

# The resource types whose own diagnostic settings the collectors read.
LOGGED_TYPES = ("azure.web.site", "azure.keyvault.vault", "azure.cosmosdb.account", "azure.databricks.workspace")


@rule(id="monitor.resource_logging", title="Resource does not export its Azure Monitor resource logs",
      severity="medium", kind="posture",
      rationale="Resource logs (data-plane operations: vault access, app requests, function runs, database "
                "and workspace activity) exist only "
                "while a diagnostic setting sends them somewhere; without one an incident on the resource leaves "
                "no trail. The upstream check only asks that the subscription has a diagnostic setting (judged by "
                "monitor.activity_log_export); this rule judges each resource whose diagnostic settings are read "
                "(App Service sites, Key Vaults, Cosmos DB accounts, Databricks workspaces) and is UNKNOWN where "
                "they could not be read.",
      remediation="Add a diagnostic setting on the resource that sends its log categories (or the allLogs / audit "
                  "category group) to a Log Analytics workspace, storage account or event hub; at scale, assign "
                  "the built-in 'Enable allLogs category group resource logging' policy initiatives.",
      types=LOGGED_TYPES, reads=("resource_logging",))
def resource_logging(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "resource_logging", good=True, ok="a diagnostic setting exports resource logs",
                bad="no diagnostic setting exports any resource log", what="resource diagnostic settings")


# ---- 6.2 locks on mission-critical resources ------------------------------------------------------

_LOCKS_SEEN = "cis_azure_ops.locks_seen"  # subscriptions whose management locks were listed
_LOCK_SCOPES = "cis_azure_ops.lock_scopes"  # subscription -> [(scope, level)]
MISSION_CRITICAL_TAG = "mission-critical"
TRUE_VALUES = frozenset({"true", "yes", "1"})


@observer
def management_locks(cache: dict[str, Any], res: Any) -> None:
    if getattr(res, "type", None) != "azure.authorization.locks":
        return
    locks = (getattr(res, "facets", None) or {}).get("locks")
    if locks is None:
        return
    account = str(getattr(res, "account", "")).lower()
    cache.setdefault(_LOCKS_SEEN, set()).add(account)
    cache.setdefault(_LOCK_SCOPES, {}).setdefault(account, []).extend(
        (str(x.get("scope") or ""), x.get("level")) for x in locks)


def mission_critical(res: Any, ctx: RuleContext) -> str | None:
    """Why the owner marked the resource mission-critical, or None: a ``mission-critical`` tag set to
    true/yes/1, or a data classification listed in ``checks.cmk_required_for`` (the owner's own
    sensitive tiers, as storage.critical_geo_redundant reads them)."""
    tags = {str(k).lower(): str(v).lower() for k, v in (getattr(res, "tags", None) or {}).items()}
    if tags.get(MISSION_CRITICAL_TAG) in TRUE_VALUES:
        return f"tag {MISSION_CRITICAL_TAG}"
    classification = ctx.classification(res)
    critical = {c.lower() for c in getattr(getattr(ctx.config, "checks", None), "cmk_required_for", []) or []}
    if classification is not None and classification.lower() in critical:
        return f"classification {classification}"
    return None


@rule(id="iam.azure_critical_resource_unlocked", title="Mission-critical resource has no management lock",
      severity="medium", kind="posture",
      rationale="A CanNotDelete or ReadOnly lock stops an accidental or malicious delete of a resource the "
                "business depends on, even by an Owner, until the lock is removed on purpose. Azure cannot tell "
                "which resources are mission-critical, so the owner says so: a resource tagged "
                "'mission-critical: true', or whose data-classification tag is one of checks.cmk_required_for. "
                "A lock on the resource, its resource group or the subscription protects it. The upstream "
                "check judges only that a custom lock-administrator role exists (iam.azure_lock_admin_role).",
      remediation="Add a CanNotDelete (or ReadOnly) management lock on the resource or its resource group.",
      reads=("locks",))
def critical_resource_unlocked(res: Any, ctx: RuleContext) -> Result | None:
    native = str(getattr(res, "native_id", "") or "").lower()
    if getattr(res, "provider", None) != "azure" or "/resourcegroups/" not in native:
        return None  # only resources in a resource group take locks
    why = mission_critical(res, ctx)
    if why is None:
        return None
    account = str(res.account).lower()
    if account not in ctx.cache.get(_LOCKS_SEEN, set()):
        return unknown("management locks", {"mission_critical": why})
    held = [(scope, level) for scope, level in ctx.cache.get(_LOCK_SCOPES, {}).get(account, [])
            if scope and (native == scope or native.startswith(scope + "/"))]
    if held:
        return Result(PASS, f"locked ({', '.join(sorted({str(lv) for _, lv in held}))})",
                      {"mission_critical": why, "locks": [s for s, _ in held]})
    return Result(FAIL, f"mission-critical ({why}) and no lock on it, its resource group or subscription",
                  {"mission_critical": why})


# ---- 3.1.1 MFA on identities that can reach VMs ----------------------------------------------------

# Built-in roles that sign in to or manage virtual machines (as the upstream check lists them).
VM_ACCESS_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "9980e02c-c2be-4d73-94e8-173b1dc7cf3c": "Virtual Machine Contributor",
    "1c0163c0-47e6-4577-8991-ea5c82e286e4": "Virtual Machine Administrator Login",
    "fb879df8-f326-4884-b1cf-06f3ad86be52": "Virtual Machine User Login",
    "602da2ba-a5c2-41da-b01d-5360126ab525": "Virtual Machine Local User Login",
    "a6333a3e-0164-44c3-b281-7a577aff287f": "Windows Admin Center Administrator Login",
}
_SUB_TENANT = "cis_azure_ops.subscription_tenant"  # subscription -> home tenant
_NO_MFA = "cis_azure_ops.mfa_incapable"  # tenant -> ids of users not MFA capable


@observer
def tenants_and_mfa(cache: dict[str, Any], res: Any) -> None:
    t = getattr(res, "type", None)
    facets = getattr(res, "facets", None) or {}
    if t == "azure.resources.subscription" and facets.get("tenant_id"):
        cache.setdefault(_SUB_TENANT, {})[str(res.account).lower()] = str(facets["tenant_id"]).lower()
    elif t == "azure.entra.mfa_registration" and facets.get("mfa_incapable_ids") is not None:
        cache.setdefault(_NO_MFA, {})[str(res.account).lower()] = {str(i).lower() for i in facets["mfa_incapable_ids"]}


@rule(id="entra.vm_access_without_mfa", title="User without MFA can sign in to or manage virtual machines",
      severity="high", kind="posture",
      rationale="A user holding Owner, Contributor or a Virtual Machine login/contributor role can reach the "
                "subscription's VMs; without MFA one phished password gives remote login and the VM's managed "
                "identity. Judged per user role assignment against the Entra registration report of the "
                "subscription's tenant (isMfaCapable, as upstream reads it); group assignments are not expanded.",
      remediation="Register the user for MFA (and enforce it with conditional access), or remove the role.",
      types=("azure.authorization.role_assignment",), reads=("principal_type", "principal_id", "role_definition"))
def vm_access_without_mfa(res: Any, ctx: RuleContext) -> Result | None:
    role, kind, principal = facet(res, "role_definition"), facet(res, "principal_type"), facet(res, "principal_id")
    if MISSING in (role, kind, principal) or str(kind or "").lower() != "user":
        return None
    name = VM_ACCESS_ROLES.get(str(role or "").lower())
    if name is None:
        return None
    ev = {"role": name, "principal_id": principal}
    tenant = ctx.cache.get(_SUB_TENANT, {}).get(str(res.account).lower())
    if tenant is None:
        return unknown("the subscription's tenant", ev)
    incapable = ctx.cache.get(_NO_MFA, {}).get(tenant)
    if incapable is None:
        return unknown(f"the MFA registration report of tenant {tenant}", ev)
    if str(principal).lower() in incapable:
        return Result(FAIL, f"user {principal} holds {name} and is not MFA capable", ev)
    return Result(PASS, f"user {principal} holds {name} and is MFA capable", ev)


# ---- 5.3.2 guest users reviewed --------------------------------------------------------------------

@rule(id="entra.stale_guests", title="Guest users not used for 90 days remain in the directory",
      severity="medium", kind="posture",
      rationale="A guest account nobody has used for months is access nobody is reviewing: it survives the "
                "partner relationship it was made for. The collector counts, at collection time, enabled guests "
                "with no sign-in in 90 days (counted from creation when they never signed in), from the users' "
                "signInActivity; the upstream check judges guest access restrictions instead "
                "(entra.guest_access_restricted).",
      remediation="Review guest users (Entra ID > Users, filter User type = Guest; or an access review on guests) "
                  "and remove or disable those no longer needed.",
      types=("azure.entra.guest_users",), reads=("stale_guests",))
def stale_guests(res: Any, ctx: RuleContext) -> Result | None:
    stale = facet(res, "stale_guests")
    if stale is MISSING:
        return None
    if stale is None:
        return unknown("guest users' sign-in activity")
    if stale:
        return Result(FAIL, f"{len(stale)} guest user(s) unused for 90 days or more", {"guests": stale})
    return Result(PASS, "every enabled guest signed in within 90 days", {"guests": []})
