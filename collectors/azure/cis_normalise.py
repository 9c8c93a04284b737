"""ARM JSON -> the facets the CIS Azure Foundations rules judge (REST shapes, camelCase).

Absent settings are read the way ARM documents their defaults, and only where it does
(``allowSharedKeyAccess`` null is equivalent to true); a default that depends on when the
resource was created stays None, so its rule says UNKNOWN rather than guessing.
"""

from __future__ import annotations

from typing import Any, Iterable

from collectors.azure.normalise import props

# Subnets Azure refuses an NSG on (gateway, firewall and route-server subnets).
NSG_EXEMPT_SUBNETS = frozenset({"gatewaysubnet", "azurefirewallsubnet", "azurefirewallmanagementsubnet",
                                "routeserversubnet"})
# The activity-log categories CIS requires one diagnostic setting to export.
ACTIVITY_CATEGORIES = ("Administrative", "Security", "Alert", "Policy")


# ---- roles -------------------------------------------------------------------------------------

_LOCK_ACTIONS = ("*", "microsoft.authorization/*", "microsoft.authorization/locks/*")


def manages_locks(doc: dict[str, Any]) -> bool:
    """A custom role whose actions cover creating and deleting resource locks (and no notAction removes it)."""
    p = props(doc)
    if str(p.get("type") or "").lower() != "customrole":
        return False
    for perm in p.get("permissions") or []:
        actions = {str(a).lower() for a in perm.get("actions") or []}
        denied = {str(a).lower() for a in perm.get("notActions") or []}
        if actions & set(_LOCK_ACTIONS) and not denied & {"microsoft.authorization/locks/*",
                                                          "microsoft.authorization/locks/write"}:
            return True
    return False


# ---- storage -----------------------------------------------------------------------------------

def storage_posture_facets(doc: dict[str, Any]) -> dict[str, Any]:
    """Account-level settings from the account listing itself (no extra call)."""
    p = props(doc)
    shared = p.get("allowSharedKeyAccess")
    bypass = (p.get("networkAcls") or {}).get("bypass")
    key_policy = p.get("keyPolicy") or {}
    endpoints = p.get("privateEndpointConnections")
    enc = p.get("encryption") or {}
    return {
        "shared_key_access": True if shared is None else bool(shared),  # documented: null == true
        "cross_tenant_replication": p.get("allowCrossTenantReplication"),
        "trusted_services_bypass": None if bypass is None else "azureservices" in str(bypass).lower().replace(" ", ""),
        "key_expiration_days": key_policy.get("keyExpirationPeriodInDays"),
        "private_endpoint": None if endpoints is None else any(
            str((props(e).get("privateLinkServiceConnectionState") or {}).get("status", "")).lower() == "approved"
            for e in endpoints),
        "default_oauth": bool(p.get("defaultToOAuthAuthentication")),  # default false
        "infrastructure_encryption": bool(enc.get("requireInfrastructureEncryption")) if enc else None,
    }


def _retention_days(policy: Any) -> int | None:
    if not isinstance(policy, dict):
        return None
    if not policy.get("enabled"):
        return 0
    days = policy.get("days")
    return int(days) if isinstance(days, int) else None


def blob_service_facets(service: dict[str, Any] | None) -> dict[str, Any]:
    """Soft delete and versioning from blobServices/default; None everywhere when it was not read."""
    if service is None:
        return {"blob_soft_delete_days": None, "container_soft_delete_days": None, "versioning": None}
    p = props(service)
    return {
        "blob_soft_delete_days": _retention_days(p.get("deleteRetentionPolicy") or {"enabled": False}),
        "container_soft_delete_days": _retention_days(p.get("containerDeleteRetentionPolicy") or {"enabled": False}),
        "versioning": bool(p.get("isVersioningEnabled")),
    }


# Documented defaults when protocolSettings.smb leaves a list unset: every supported value.
SMB_VERSIONS = ("SMB2.1", "SMB3.0", "SMB3.1.1")
SMB_CHANNEL_ENCRYPTION = ("AES-128-CCM", "AES-128-GCM", "AES-256-GCM")


def _semi(value: Any, default: tuple[str, ...]) -> list[str]:
    items = [v.strip() for v in str(value or "").split(";") if v.strip()]
    return items or list(default)


def file_service_facets(service: dict[str, Any] | None) -> dict[str, Any]:
    """Share soft delete and SMB settings from fileServices/default; None when it was not read."""
    if service is None:
        return {"file_soft_delete_days": None, "smb_versions": None, "smb_channel_encryption": None}
    p = props(service)
    smb = (p.get("protocolSettings") or {}).get("smb") or {}
    return {
        "file_soft_delete_days": _retention_days(p.get("shareDeleteRetentionPolicy") or {"enabled": False}),
        "smb_versions": _semi(smb.get("versions"), SMB_VERSIONS),
        "smb_channel_encryption": _semi(smb.get("channelEncryption"), SMB_CHANNEL_ENCRYPTION),
    }


# ---- network -----------------------------------------------------------------------------------

def vnet_posture_facets(doc: dict[str, Any], watcher_regions: set[str] | None) -> dict[str, Any]:
    location = str(doc.get("location") or "").lower()
    return {
        "network_watcher": None if watcher_regions is None else location in watcher_regions,
        "ddos_protection": bool(props(doc).get("enableDdosProtection")),
    }


def subnet_posture_facets(doc: dict[str, Any]) -> dict[str, Any]:
    if str(doc.get("name") or "").lower() in NSG_EXEMPT_SUBNETS:
        return {}  # Azure refuses an NSG here: the control does not apply
    return {"nsg_attached": bool((props(doc).get("networkSecurityGroup") or {}).get("id"))}


def _ref_id(value: Any) -> str | None:
    """The ``id`` of an ARM sub-resource reference, lower-cased; None unless it is a non-empty string."""
    ref = value.get("id") if isinstance(value, dict) else None
    return ref.lower() if isinstance(ref, str) and ref.strip() else None


def public_ip_facets(doc: dict[str, Any]) -> dict[str, Any]:
    """Whether a public IP is in use (CIS Azure 7.7). ARM names the holder on the address itself:
    ``ipConfiguration`` (read-only) for every IP configuration that uses it (NIC, load balancer and
    application gateway frontends, VPN/ExpressRoute gateways, Bastion, firewalls, route servers) and
    ``natGateway`` for a NAT gateway; neither means nothing uses it. No properties, or a reference
    without a usable id: unknown."""
    sku = doc.get("sku")
    sku_name = sku.get("name") if isinstance(sku, dict) else None
    p = doc.get("properties")
    method = p.get("publicIPAllocationMethod") if isinstance(p, dict) else None
    out: dict[str, Any] = {"sku": sku_name if isinstance(sku_name, str) else None,
                           "allocation_method": method if isinstance(method, str) else None}
    refs = [p.get(k) for k in ("ipConfiguration", "natGateway")] if isinstance(p, dict) else []
    holder = next((h for h in map(_ref_id, refs) if h), None)
    if not isinstance(p, dict) or (holder is None and any(r is not None for r in refs)):
        return {**out, "attached": None, "attached_to": None}
    return {**out, "attached": holder is not None, "attached_to": holder}


def flow_log_facets(doc: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    analytics = ((p.get("flowAnalyticsConfiguration") or {}).get("networkWatcherFlowAnalyticsConfiguration") or {})
    return {
        "flow_log_target": (p.get("targetResourceId") or "").lower() or None,
        "flow_log_enabled": p.get("enabled"),
        "retention_days": _retention_days(p.get("retentionPolicy")),
        "traffic_analytics": bool(analytics.get("enabled") and analytics.get("workspaceResourceId")),
    }


# ---- Defender for Cloud ------------------------------------------------------------------------

def pricing_facets(doc: dict[str, Any]) -> dict[str, Any]:
    tier = props(doc).get("pricingTier")
    return {"defender_plan": doc.get("name"), "defender_on": None if tier is None else str(tier).lower() == "standard"}


def iot_solution_facets(solutions: list[dict[str, Any]]) -> dict[str, Any]:
    """How many IoT security solutions the subscription has and which are not ``Enabled``
    (status is Enabled|Disabled; a missing status is not taken as on)."""
    off = sorted(str(s.get("name")) for s in solutions if str(props(s).get("status") or "").lower() != "enabled")
    return {"iot_solutions": len(solutions), "iot_solutions_disabled": off}


def contacts_facets(contacts: list[dict[str, Any]]) -> dict[str, Any]:
    """Every enabled contact of the subscription together (the portal shows one, ``default``)."""
    roles: set[str] = set()
    emails = False
    alert: str | None = None
    attack: str | None = None
    for c in contacts:
        p = props(c)
        if p.get("isEnabled") is False:
            continue
        by_role = p.get("notificationsByRole") or {}
        if str(by_role.get("state", "")).lower() == "on":
            roles.update(str(r) for r in by_role.get("roles") or [])
        emails = emails or bool(str(p.get("emails") or "").strip())
        for src in p.get("notificationsSources") or []:
            kind = str(src.get("sourceType", "")).lower()
            if kind == "alert" and src.get("minimalSeverity"):
                alert = _lowest(alert, src["minimalSeverity"], ("Low", "Medium", "High"))
            elif kind in ("attackpath", "attachpath") and src.get("minimalRiskLevel"):
                attack = _lowest(attack, src["minimalRiskLevel"], ("Low", "Medium", "High", "Critical"))
    return {"notify_roles": sorted(roles), "contact_emails": emails, "alert_min_severity": alert,
            "attack_path_min_risk": attack}


def _lowest(current: str | None, new: str, order: tuple[str, ...]) -> str:
    """The more sensitive of two thresholds (an unknown level never replaces a known one)."""
    rank = {v.lower(): i for i, v in enumerate(order)}
    if current is None:
        return new
    return new if rank.get(new.lower(), len(order)) < rank.get(current.lower(), len(order)) else current


def assessment_facets(assessments: list[dict[str, Any]]) -> dict[str, Any]:
    """Per recommendation (display name): 'unhealthy' if any resource fails it, else 'healthy'
    if any passes; recommendations only NotApplicable everywhere are left out."""
    state: dict[str, str] = {}
    for a in assessments:
        p = props(a)
        name = str(p.get("displayName") or "")
        code = str((p.get("status") or {}).get("code") or "").lower()
        if not name or code not in ("healthy", "unhealthy"):
            continue
        if code == "unhealthy" or name not in state:
            state[name] = code
    return {"assessments": dict(sorted(state.items()))}


def policy_assignment_facets(doc: dict[str, Any]) -> dict[str, Any]:
    """Enforcement mode and the parameters set to the Disabled effect."""
    p = props(doc)
    params = p.get("parameters") or {}
    disabled = sorted(k for k, v in params.items() if isinstance(v, dict) and str(v.get("value")).lower() == "disabled")
    return {"enforcement_mode": p.get("enforcementMode") or "Default",  # documented default
            "disabled_effects": disabled}


# ---- Azure Monitor -----------------------------------------------------------------------------

def diagnostic_settings_facets(settings: Iterable[dict[str, Any]],
                               all_logs: tuple[str, ...] = ACTIVITY_CATEGORIES) -> dict[str, Any]:
    """``all_logs``: the categories the ``allLogs`` category group stands for on this source."""
    out = []
    for s in settings:
        p = props(s)
        cats: set[str] = set()
        for log in p.get("logs") or []:
            if not log.get("enabled"):
                continue
            if str(log.get("categoryGroup") or "").lower() == "alllogs":
                cats.update(all_logs)
            if log.get("category"):
                cats.add(str(log["category"]))
        dests = [k for k in ("storageAccountId", "workspaceId", "eventHubAuthorizationRuleId", "marketplacePartnerId")
                 if p.get(k)]
        out.append({"name": s.get("name"), "categories": sorted(cats), "destinations": dests,
                    "storage_account": str(p["storageAccountId"]).lower() if p.get("storageAccountId") else None})
    return {"diagnostic_settings": sorted(out, key=lambda d: str(d["name"]))}


def _scoped_to(alert: dict[str, Any], subscription_id: str) -> bool:
    want = f"subscriptions/{subscription_id}".lower()
    return any(str(s).strip("/").lower() == want for s in props(alert).get("scopes") or [])


def activity_alert_facets(alerts: Iterable[dict[str, Any]], subscription_id: str) -> dict[str, Any]:
    """Operations and categories that enabled, subscription-wide alerts fire on (``allOf`` equals)."""
    ops: set[str] = set()
    cats: set[str] = set()
    for a in alerts:
        p = props(a)
        if p.get("enabled") is False or not _scoped_to(a, subscription_id):
            continue
        for cond in (p.get("condition") or {}).get("allOf") or []:
            field = str(cond.get("field", "")).lower()
            values = [cond["equals"]] if cond.get("equals") else list(cond.get("containsAny") or [])
            if field == "operationname":
                ops.update(str(v) for v in values)
            elif field == "category":
                cats.update(str(v) for v in values)
    return {"alert_operations": sorted(ops, key=str.lower), "alert_categories": sorted(cats, key=str.lower)}


LOCK_SUFFIX = "/providers/microsoft.authorization/locks/"


def lock_facets(locks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Where each management lock sits (the lower-case ARM id before its ``/providers/...locks/``
    segment: a subscription, a resource group or a resource) and its level. A lock protects its
    scope and everything below it, so the rule matches a resource against its own id and its parents."""
    out = []
    for lock in locks:
        lid = str(lock.get("id") or "").lower()
        scope, sep, _ = lid.rpartition(LOCK_SUFFIX)
        if not sep:
            continue
        out.append({"scope": scope, "level": (lock.get("properties") or {}).get("level")})
    return {"locks": sorted(out, key=lambda x: (x["scope"], str(x["level"])))}
