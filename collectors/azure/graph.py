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
}

def graph_permissions() -> list[str]:
    """The Microsoft Graph application permissions the directory units need (admin consent)."""
    return sorted(set(GRAPH_PERMISSIONS.values()))


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


class GraphClient:
    """Read-only Graph GETs over the same azure-core pipeline as ARM (counting, retry, auth)."""

    def __init__(self, credential: Any, tenant_id: str | None, *, base_url: str, policies: list[Any],
                 credential_scopes: list[str] | None = None, **kwargs: Any) -> None:
        from azure.core import PipelineClient

        self.tenant_id = tenant_id
        self._base = base_url.rstrip("/")
        self._client = PipelineClient(base_url=base_url, policies=policies, **kwargs)
        self.policies = _Policies(self)

    def get(self, path: str) -> dict[str, Any]:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
        from azure.core.pipeline.policies import ContentDecodePolicy  # noqa: F401 - decode happens in the pipeline
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        resp = self._client.send_request(HttpRequest("GET", f"{self._base}/{GRAPH_API}{path}"))
        if resp.status_code == 404:
            raise ResourceNotFoundError(response=resp, error_format=ARMErrorFormat)
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


def graph_specs(rules: Any) -> tuple[ResourceSpec, ...]:
    """Tenant-level specs (one unit per tenant, scope "global"); ``permissions`` are Graph application
    permissions, not ARM actions, so they stay out of the generated custom role."""
    def spec(type_: str, call: str, collect: Any, doc: str) -> ResourceSpec:
        return ResourceSpec(provider="azure", type=type_, category="iam", service="graph", list_call=call,
                            detail_calls=(), permissions=(GRAPH_PERMISSIONS[("graph", call)],), scope="global",
                            hash_rules=rules(), collect=collect, doc=doc)

    return (
        spec("azure.entra.authorization_policy", "policies.get_authorization_policy", authorization_policy,
             "The directory's authorization policy: guest access and invitations, what default users may "
             "create, user consent to applications."),
        spec("azure.entra.security_defaults", "policies.get_security_defaults", security_defaults,
             "Whether Entra security defaults are enforced."),
    )
