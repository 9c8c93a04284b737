"""Microsoft Graph directory settings CIS judges: security defaults and the authorization policy.

These are tenant settings, read once per configured tenant (``azure.tenant_id``) as their own
units, so a credential without Graph consent shows ``denied`` on exactly these units and the
directory controls stay UNKNOWN, never PASS. Graph permissions are not ARM actions: they are
declared here (``GRAPH_PERMISSIONS``) and requested as API permissions (admin consent), not
through the custom role.
"""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.spec import ResourceSpec

GRAPH_API = "v1.0"

# (service, call) -> Microsoft Graph application permission (least privileged, read-only)
GRAPH_PERMISSIONS: dict[tuple[str, str], str] = {
    ("graph", "policies.get_authorization_policy"): "Policy.Read.All",
    ("graph", "policies.get_security_defaults"): "Policy.Read.All",
    ("graph", "conditional_access.list_policies"): "Policy.Read.All",
    ("graph", "conditional_access.list_named_locations"): "Policy.Read.All",
    ("graph", "directory_roles.list_global_admins"): "RoleManagement.Read.Directory",
    ("graph", "group_settings.list"): "Directory.Read.All",
    ("graph", "reports.list_user_registration_details"): "AuditLog.Read.All",
    ("graph", "users.list_guests"): "User.Read.All",
    # the guests' signInActivity in the same request needs the audit-log permission besides
    ("graph", "users.sign_in_activity"): "AuditLog.Read.All",
}
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"  # role template id
# Application ids conditional access names for the CIS controls
AZURE_MANAGEMENT_APP = "797f4846-ba00-4fd7-ba43-dac1f8f63013"  # Windows Azure Service Management API
ADMIN_PORTALS_APP = "MicrosoftAdminPortals"

def graph_permissions() -> list[str]:
    """The Microsoft Graph application permissions the directory units need (admin consent)."""
    return sorted(set(GRAPH_PERMISSIONS.values()))


def tenant_arm_permissions() -> list[str]:
    """ARM read actions the tenant units need at the tenant root scope ("/")."""
    return sorted(set(TENANT_ARM_PERMISSIONS.values()))


# guestUserRoleId values (documented built-in guest access levels)
GUEST_ROLES = {
    "a0b1b346-4d3e-4e8b-98f8-753987be4970": "member",      # same access as members
    "10dae51f-b6af-4016-8d66-8c2a99b929b3": "limited",     # the default
    "2af84b1e-32c8-42b7-82bc-daa82404023b": "restricted",  # own directory objects only
}
# permissionGrantPoliciesAssigned -> what users may consent to
CONSENT_POLICIES = {
    "managepermissiongrantsforself.microsoft-user-default-low": "verified_low_impact",
    "managepermissiongrantsforself.microsoft-user-default-legacy": "any",
}


class _Policies:
    def __init__(self, client: "GraphClient") -> None:
        self._client = client

    def get_authorization_policy(self) -> dict[str, Any]:
        return self._client.get("/policies/authorizationPolicy")

    def get_security_defaults(self) -> dict[str, Any]:
        return self._client.get("/policies/identitySecurityDefaultsEnforcementPolicy")


class _ConditionalAccess:
    def __init__(self, client: "GraphClient") -> None:
        self._client = client

    def list_policies(self) -> list[dict[str, Any]]:
        return self._client.list("/identity/conditionalAccess/policies")

    def list_named_locations(self) -> list[dict[str, Any]]:
        return self._client.list("/identity/conditionalAccess/namedLocations")


class _DirectoryRoles:
    def __init__(self, client: "GraphClient") -> None:
        self._client = client

    def list_global_admins(self) -> list[dict[str, Any]]:
        return self._client.list(f"/directoryRoles(roleTemplateId='{GLOBAL_ADMINISTRATOR}')/members")


class _GroupSettings:
    def __init__(self, client: "GraphClient") -> None:
        self._client = client

    def list(self) -> list[dict[str, Any]]:
        return self._client.list("/groupSettings")


class _Reports:
    def __init__(self, client: "GraphClient") -> None:
        self._client = client

    def list_user_registration_details(self) -> list[dict[str, Any]]:
        return self._client.list("/reports/authenticationMethods/userRegistrationDetails")


GUEST_SELECT = "id,userType,accountEnabled,createdDateTime,signInActivity"


class _Users:
    def __init__(self, client: "GraphClient") -> None:
        self._client = client

    def list_guests(self) -> list[dict[str, Any]]:
        """Guest users with when they were created and last signed in (signInActivity)."""
        return self._client.list(f"/users?$filter=userType%20eq%20'Guest'&$select={GUEST_SELECT}")

    def sign_in_activity(self) -> list[dict[str, Any]]:
        """The same listing: signInActivity is selected with the users (declared for its permission)."""
        return self.list_guests()


class GraphClient:
    """Read-only Graph GETs over the same azure-core pipeline as ARM (counting, retry, auth)."""

    def __init__(self, credential: Any, tenant_id: str | None, *, base_url: str, policies: list[Any],
                 credential_scopes: list[str] | None = None, **kwargs: Any) -> None:
        from azure.core import PipelineClient

        self.tenant_id = tenant_id
        self._base = base_url.rstrip("/")
        self._client = PipelineClient(base_url=base_url, policies=policies, **kwargs)
        self.policies = _Policies(self)
        self.conditional_access = _ConditionalAccess(self)
        self.directory_roles = _DirectoryRoles(self)
        self.group_settings = _GroupSettings(self)
        self.reports = _Reports(self)
        self.users = _Users(self)

    def get(self, path: str) -> dict[str, Any]:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        resp = self._client.send_request(HttpRequest("GET", f"{self._base}/{GRAPH_API}{path}"))
        if resp.status_code == 404:
            raise ResourceNotFoundError(response=resp, error_format=ARMErrorFormat)
        if resp.status_code >= 400:
            raise HttpResponseError(response=resp, error_format=ARMErrorFormat)
        return resp.json()

    def list(self, path: str) -> list[dict[str, Any]]:
        """Every item of a Graph collection, following ``@odata.nextLink`` (a repeated link is a loop)."""
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        body = self.get(path)
        while True:
            items.extend(body.get("value") or [])
            nxt = body.get("@odata.nextLink")
            if not nxt:
                return items
            if nxt in seen:
                raise RuntimeError(f"pagination loop at {nxt}")
            seen.add(nxt)
            body = self._get_url(nxt)

    def _get_url(self, url: str) -> dict[str, Any]:
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        resp = self._client.send_request(HttpRequest("GET", url))
        if resp.status_code >= 400:
            raise HttpResponseError(response=resp, error_format=ARMErrorFormat)
        return resp.json()

    def close(self) -> None:
        self._client.close()


# ---- facets ------------------------------------------------------------------------------------

def authorization_policy_facets(doc: dict[str, Any]) -> dict[str, Any]:
    perms = doc.get("defaultUserRolePermissions") or {}
    grants = [str(g).lower() for g in perms.get("permissionGrantPoliciesAssigned") or []]
    consent = "none" if not any(g.startswith("managepermissiongrantsforself.") for g in grants) else next(
        (CONSENT_POLICIES.get(g, "custom") for g in grants if g.startswith("managepermissiongrantsforself.")), "custom")
    role = str(doc.get("guestUserRoleId") or "").lower()
    return {
        "guest_access": GUEST_ROLES.get(role) if role else None,
        "guest_invites": doc.get("allowInvitesFrom"),
        "users_can_create_apps": perms.get("allowedToCreateApps"),
        "users_can_create_security_groups": perms.get("allowedToCreateSecurityGroups"),
        "users_can_create_tenants": perms.get("allowedToCreateTenants"),
        "user_consent": consent,
    }


def security_defaults_facets(doc: dict[str, Any]) -> dict[str, Any]:
    enabled = doc.get("isEnabled")
    return {"security_defaults": None if enabled is None else bool(enabled)}


def _ca_summary(p: dict[str, Any]) -> dict[str, Any]:
    cond = p.get("conditions") or {}
    users = cond.get("users") or {}
    apps = cond.get("applications") or {}
    grant = p.get("grantControls") or {}
    return {
        "name": p.get("displayName"),
        "enabled": str(p.get("state") or "").lower() == "enabled",
        "all_users": "all" in [str(u).lower() for u in users.get("includeUsers") or []],
        "applications": sorted(str(a) for a in apps.get("includeApplications") or []),
        "mfa": "mfa" in [str(c).lower() for c in grant.get("builtInControls") or []],
        "block": "block" in [str(c).lower() for c in grant.get("builtInControls") or []],
        "locations": bool((cond.get("locations") or {}).get("includeLocations")),
    }


def conditional_access_facets(docs: list[dict[str, Any]]) -> dict[str, Any]:
    policies = [d for d in docs if d.get("kind") == "policy"]
    locations = [d for d in docs if d.get("kind") == "namedLocation"]
    return {"ca_policies": sorted((_ca_summary(p["item"]) for p in policies), key=lambda x: str(x["name"])),
            "trusted_locations": sum(1 for loc in locations if loc["item"].get("isTrusted") is True)}


# ---- collect -----------------------------------------------------------------------------------

def _tenant_resource(ctx: Any, type_: str, doc: dict[str, Any], facets: dict[str, Any]) -> Resource:
    from collectors.azure import collect as c

    spec = c._spec(type_)
    doc = {k: v for k, v in doc.items() if not k.startswith("@odata.")}
    doc = {**doc, "id": f"/tenants/{ctx.subscription_id}/policies/{doc.get('id') or type_.rsplit('.', 1)[-1]}",
           "name": doc.get("displayName") or doc.get("id")}
    return c.envelope(ctx, type_, spec.category, doc, facets, spec.hash_rules, region="global")


def authorization_policy(ctx: Any) -> Iterator[Resource]:
    doc = ctx.client("graph").policies.get_authorization_policy()
    yield _tenant_resource(ctx, "azure.entra.authorization_policy", doc, authorization_policy_facets(doc))


def security_defaults(ctx: Any) -> Iterator[Resource]:
    doc = ctx.client("graph").policies.get_security_defaults()
    yield _tenant_resource(ctx, "azure.entra.security_defaults", doc, security_defaults_facets(doc))


def conditional_access(ctx: Any) -> Iterator[Resource]:
    """Every conditional access policy and named location of the tenant, as one resource."""
    from collectors.azure import collect as c

    graph = ctx.client("graph").conditional_access
    items = ([{"kind": "policy", "item": p} for p in graph.list_policies()]
             + [{"kind": "namedLocation", "item": x} for x in graph.list_named_locations()])
    spec = c._spec("azure.entra.conditional_access")
    doc = {"id": f"/tenants/{ctx.subscription_id}/identity/conditionalAccess", "name": "conditionalAccess",
           "value": [{**i, "item": {k: v for k, v in i["item"].items() if not k.startswith("@odata.context")}}
                     for i in items]}
    yield c.envelope(ctx, spec.type, spec.category, doc, conditional_access_facets(items), spec.hash_rules,
                     region="global")


def directory_settings_facets(admins: list[dict[str, Any]], settings: list[dict[str, Any]]) -> dict[str, Any]:
    """Global administrators who are users; whether users may create Microsoft 365 groups
    (Group.Unified EnableGroupCreation; no such setting = the default, true)."""
    unified = next((x for x in settings if str(x.get("displayName") or x.get("templateId") or "").lower()
                    in ("group.unified", "62375ab9-6b52-47ed-826b-58e47e0e304b")), None)
    value = next((v.get("value") for v in (unified or {}).get("values") or []
                  if str(v.get("name")).lower() == "enablegroupcreation"), None)
    return {"global_admins": sum(1 for m in admins if str(m.get("@odata.type", "")).lower() == "#microsoft.graph.user"),
            "users_can_create_unified_groups": True if value is None else str(value).lower() == "true"}


def directory_roles(ctx: Any) -> Iterator[Resource]:
    """Global Administrator members and group settings of the tenant, as one resource."""
    from collectors.azure import collect as c

    graph = ctx.client("graph")
    admins = graph.directory_roles.list_global_admins()
    settings = graph.group_settings.list()
    spec = c._spec("azure.entra.directory_settings")
    # member ids and types only: names and addresses of people are not posture
    doc = {"id": f"/tenants/{ctx.subscription_id}/directorySettings", "name": "directorySettings",
           "globalAdministrators": sorted(({"id": m.get("id"), "type": m.get("@odata.type")} for m in admins),
                                          key=lambda m: str(m["id"])),
           "groupSettings": [{k: v for k, v in x.items() if not k.startswith("@odata.")} for x in settings]}
    yield c.envelope(ctx, spec.type, spec.category, doc, directory_settings_facets(admins, settings),
                     spec.hash_rules, region="global")


def mfa_registration_facets(users: list[dict[str, Any]]) -> dict[str, Any]:
    members = [u for u in users if str(u.get("userType") or "member").lower() == "member"]
    missing = [u for u in members if u.get("isMfaRegistered") is not True]
    return {"users_without_mfa": len(missing),
            "admins_without_mfa": sum(1 for u in missing if u.get("isAdmin") is True),
            # every user, guests included, who cannot answer an MFA challenge (what CIS 3.1.1 joins to
            # VM role assignments; isMfaCapable as the upstream check reads it)
            "mfa_incapable_ids": sorted(str(u.get("id")).lower() for u in users
                                        if u.get("id") and u.get("isMfaCapable") is not True)}


def mfa_registration(ctx: Any) -> Iterator[Resource]:
    """Who has registered for MFA: counts, and the object ids of members who have not (no names)."""
    from collectors.azure import collect as c

    users = ctx.client("graph").reports.list_user_registration_details()
    facets = mfa_registration_facets(users)
    spec = c._spec("azure.entra.mfa_registration")
    doc = {"id": f"/tenants/{ctx.subscription_id}/reports/userRegistrationDetails", "name": "userRegistrationDetails",
           "members": sum(1 for u in users if str(u.get("userType") or "member").lower() == "member"),
           "membersWithoutMfa": sorted(str(u.get("id")) for u in users
                                       if str(u.get("userType") or "member").lower() == "member"
                                       and u.get("isMfaRegistered") is not True)}
    yield c.envelope(ctx, spec.type, spec.category, doc, facets, spec.hash_rules, region="global")


GUEST_STALE_DAYS = 90


def _parse_time(value: Any) -> Any:
    from datetime import datetime, timezone

    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def guest_facets(guests: list[dict[str, Any]], now: Any) -> dict[str, Any]:
    """Enabled guests with no sign-in (interactive or not) in GUEST_STALE_DAYS, counted from creation
    when they never signed in. Judged here, at collection time: sign-in times change daily and are
    not stored. A guest whose dates cannot be read is counted stale (it cannot be shown to be used)."""
    from datetime import timedelta

    cutoff = now - timedelta(days=GUEST_STALE_DAYS)
    stale = []
    for g in guests:
        if g.get("accountEnabled") is False:
            continue
        act = g.get("signInActivity") or {}
        seen = [t for t in (_parse_time(act.get("lastSignInDateTime")),
                            _parse_time(act.get("lastNonInteractiveSignInDateTime"))) if t is not None]
        last = max(seen) if seen else _parse_time(g.get("createdDateTime"))
        if last is None or last < cutoff:
            stale.append(str(g.get("id")).lower())
    return {"guests": len(guests), "stale_guests": sorted(stale)}


def guest_users(ctx: Any) -> Iterator[Resource]:
    """The tenant's guest users as one resource: ids, enabled, creation time (no names, no sign-in
    times) and, as facets, how many there are and which have gone unused."""
    from datetime import datetime, timezone

    from collectors.azure import collect as c

    guests = ctx.client("graph").users.list_guests()
    spec = c._spec("azure.entra.guest_users")
    doc = {"id": f"/tenants/{ctx.subscription_id}/users/guests", "name": "guestUsers",
           "guests": sorted(({"id": str(g.get("id")).lower(), "accountEnabled": g.get("accountEnabled"),
                              "createdDateTime": g.get("createdDateTime")} for g in guests),
                            key=lambda g: g["id"])}
    yield c.envelope(ctx, spec.type, spec.category, doc, guest_facets(guests, datetime.now(timezone.utc)),
                     spec.hash_rules, region="global")


# Tenant-scope ARM reads (not Graph): granted by a role at the tenant root scope ("/"), not the
# subscription-scoped custom role.
TENANT_ARM_PERMISSIONS: dict[tuple[str, str], str] = {
    ("aadiam", "diagnostic_settings.list"): "microsoft.aadiam/diagnosticSettings/read",
}
ENTRA_LOG_CATEGORIES = ("AuditLogs", "SignInLogs")


def entra_diagnostic_settings(ctx: Any) -> Iterator[Resource]:
    """The tenant's Entra diagnostic settings together (which Entra logs leave the directory)."""
    from collectors.azure import cis_normalise as cn
    from collectors.azure import collect as c
    from collectors.azure import normalise as n

    items = [n.to_rest(x) for x in ctx.client("aadiam").diagnostic_settings.list()]
    spec = c._spec("azure.entra.diagnostic_settings")
    doc = {"id": f"/tenants/{ctx.subscription_id}/providers/microsoft.aadiam/diagnosticSettings",
           "name": "diagnosticSettings", "value": items}
    facets = cn.diagnostic_settings_facets(items, all_logs=(*ENTRA_LOG_CATEGORIES, "MicrosoftGraphActivityLogs"))
    yield c.envelope(ctx, spec.type, spec.category, doc, facets, spec.hash_rules, region="global")


def graph_specs(rules: Any) -> tuple[ResourceSpec, ...]:
    """Tenant-level specs (one unit per tenant, scope "global"); ``permissions`` are Graph application
    permissions, not ARM actions, so they stay out of the generated custom role."""
    def spec(type_: str, call: str, collect: Any, doc: str, detail: tuple[str, ...] = (),
             hash_rules: Any = None) -> ResourceSpec:
        perms = tuple(dict.fromkeys(GRAPH_PERMISSIONS[("graph", x)] for x in (call, *detail)))
        return ResourceSpec(provider="azure", type=type_, category="iam", service="graph", list_call=call,
                            detail_calls=detail, permissions=perms, scope="global",
                            hash_rules=hash_rules or rules(), collect=collect, doc=doc)

    return (
        spec("azure.entra.authorization_policy", "policies.get_authorization_policy", authorization_policy,
             "The directory's authorization policy: guest access and invitations, what default users may "
             "create, user consent to applications."),
        spec("azure.entra.security_defaults", "policies.get_security_defaults", security_defaults,
             "Whether Entra security defaults are enforced."),
        spec("azure.entra.conditional_access", "conditional_access.list_policies", conditional_access,
             "Conditional access policies (users, applications, MFA grant) and named locations of the tenant.",
             detail=("conditional_access.list_named_locations",),
             hash_rules=rules(("config.value[*].item.modifiedDateTime",), ("config.value",))),
        spec("azure.entra.directory_settings", "directory_roles.list_global_admins", directory_roles,
             "Global Administrator members (ids and types) and Microsoft 365 group creation settings.",
             detail=("group_settings.list",),
             hash_rules=rules((), ("config.globalAdministrators", "config.groupSettings"))),
        spec("azure.entra.mfa_registration", "reports.list_user_registration_details", mfa_registration,
             "MFA registration of the directory's members (counts; ids of members without MFA).",
             hash_rules=rules((), ("config.membersWithoutMfa",))),
        spec("azure.entra.guest_users", "users.list_guests", guest_users,
             "Guest users of the directory (ids, enabled, created) and those unused for 90 days (judged at "
             "collection time from signInActivity, which is not stored).",
             detail=("users.sign_in_activity",), hash_rules=rules((), ("config.guests",))),
        ResourceSpec(provider="azure", type="azure.entra.diagnostic_settings", category="logging", service="aadiam",
                     list_call="diagnostic_settings.list",
                     permissions=(TENANT_ARM_PERMISSIONS[("aadiam", "diagnostic_settings.list")],), scope="global",
                     hash_rules=rules((), ("config.value",)), collect=entra_diagnostic_settings,
                     doc="The tenant's Entra ID diagnostic settings together: which directory logs (audit, "
                         "sign-in, Graph activity) are exported and where."),
    )
