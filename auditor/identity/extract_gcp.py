"""GCP workload identity federation -> trust edges (§2.1-2.4).

Three kinds of edge: a provider lets an external issuer / AWS account into its *pool*
(``gcp_wif_oidc``, ``gcp_wif_aws``, ``gcp_wif_saml``); a service account's IAM policy lets
a pool principal (``gcp_wif_binding``) or another service account (``gcp_sa_impersonation``)
become it; a project policy grants a pool principal a role directly (``gcp_wif_direct``).
The pool is the graph node that joins providers to bindings.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.identity.edges import TrustEdge
from auditor.identity.extract_aws import Issue
from auditor.identity.index import POOL_NAME, Index, Res
from auditor.identity.issuers import classify
from auditor.model import make_key

IMPERSONATION_ROLES = frozenset({"roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator",
                                 "roles/iam.serviceAccountUser", "roles/iam.serviceAccountAdmin",
                                 "roles/owner", "roles/editor"})
PRIVILEGED_PROJECT_ROLES = frozenset({"roles/owner", "roles/editor", "roles/iam.securityAdmin",
                                      "roles/resourcemanager.projectIamAdmin", "roles/iam.serviceAccountAdmin",
                                      "roles/iam.serviceAccountTokenCreator"})


def admin_service_accounts(policy: Any) -> set[str]:
    """Emails (lower-case) of service accounts an IAM policy grants an admin-equivalent role
    without a condition: the one definition the SA ``admin`` facet and the trust graph share."""
    out: set[str] = set()
    for b in _bindings(policy if isinstance(policy, dict) else {}):
        if str(b.get("role")) in PRIVILEGED_PROJECT_ROLES and not b.get("condition"):
            out.update(str(m).split(":", 1)[1].lower() for m in b.get("members") or []
                       if str(m).startswith("serviceAccount:"))
    return out


MEMBER_RX = re.compile(
    r"^(?P<set>principal(?:Set)?)://iam\.googleapis\.com/projects/(?P<project>[^/]+)/locations/global/"
    r"workloadIdentityPools/(?P<pool>[^/]+)/(?P<kind>subject|group|attribute\.[a-z0-9_]+|\*)(?:/(?P<value>.*))?$")
# Claims whose pin binds a token to one tenant of a shared issuer; the immutable ones are ids.
TENANT_CLAIMS = {
    "github": ({"repository_owner_id", "repository_id", "enterprise_id"}, {"repository_owner", "repository", "sub",
                                                                            "job_workflow_ref", "enterprise"}),
    "gitlab": ({"namespace_id", "project_id"}, {"namespace_path", "project_path", "sub"}),
    "hcp-terraform": ({"terraform_organization_id"}, {"terraform_organization_name", "sub"}),
}
TENANT_ATTRIBUTES = {"repository_id", "repository_owner_id", "repository", "repository_owner", "sub", "subject",
                     "namespace_id", "project_id", "project_path", "aws_role", "terraform_organization_id",
                     "terraform_workspace_id"}
ENTRA_PIN = re.compile(r"assertion\.(sub|oid|appid|azp)\s*(==|in\b)")


def _pinned_claims(condition: str) -> set[str]:
    """Claims compared for equality/membership (``assertion.x == '..'``, ``assertion.x in [...]``)."""
    return set(re.findall(r"assertion\.([a-z_]+)\s*(?:==|in\b)", condition or "")) | set(
        re.findall(r"['\"][^'\"]*['\"]\s*==\s*assertion\.([a-z_]+)", condition or ""))


def _bindings(policy: Any) -> list[dict[str, Any]]:
    if not isinstance(policy, dict):
        return []
    b = policy.get("bindings")
    if b is None and isinstance(policy.get("iamPolicy"), dict):
        b = policy["iamPolicy"].get("bindings")
    return [x for x in (b or []) if isinstance(x, dict)]


class GcpExtractor:
    def __init__(self, index: Index) -> None:
        self.ix = index

    # -- providers ---------------------------------------------------------------------------

    def provider_edges(self, prov: Res) -> list[TrustEdge]:
        c = prov.config
        m = POOL_NAME.search(str(c.get("name") or prov.native_id))
        pool_node = self.ix.pool_node(m.group("project"), m.group("pool")) if m else prov.resource_key
        cond = c.get("attributeCondition")
        cond = cond if isinstance(cond, str) and cond.strip() else None
        mapping = c.get("attributeMapping") if isinstance(c.get("attributeMapping"), dict) else {}
        state = {"disabled": bool(c.get("disabled")), "state": c.get("state")}
        base = dict(source_key=prov.resource_key, source_provider="gcp", source_node=pool_node)
        issues: list[Issue] = []
        aws = c.get("aws") if isinstance(c.get("aws"), dict) else None
        oidc = c.get("oidc") if isinstance(c.get("oidc"), dict) else None
        if aws is not None:
            acct = str(aws.get("accountId") or "")
            if not cond:
                issues.append(Issue("gcp.wif_aws_no_condition",
                                    f"AWS provider for account {acct} has no attributeCondition: every IAM user and "
                                    "role of that account can federate into the pool"))
            return [TrustEdge(**base, mechanism="gcp_wif_aws", trusted_kind="aws_account", trusted_id=acct,
                              trusted_provider="aws", external=not self.ix.estate.aws_account_ours(acct),
                              trusted_node=f"aws.account|{acct}",
                              conditions={"attributeCondition": cond, "attributeMapping": mapping},
                              details={"issues": [i.as_dict() for i in issues], **state})]
        if oidc is not None:
            issuer = classify(str(oidc.get("issuerUri") or ""))
            audiences = sorted(map(str, oidc.get("allowedAudiences") or []))
            pinned = _pinned_claims(cond or "")
            tenant_pin = None
            if issuer.shared:
                immutable, mutable = TENANT_CLAIMS.get(issuer.kind, (set(), {"sub"}))
                if not cond:
                    issues.append(Issue("gcp.wif_shared_no_condition",
                                        f"provider trusts shared issuer {issuer.url} with no attributeCondition: "
                                        "tokens of every other tenant are accepted"))
                elif not pinned & (immutable | mutable):
                    issues.append(Issue("gcp.wif_shared_no_condition",
                                        f"attributeCondition does not pin a tenant claim of {issuer.url} "
                                        f"(expected one of {sorted(immutable | mutable)})"))
                elif not pinned & immutable and immutable:
                    issues.append(Issue("gcp.wif_mutable_condition",
                                        f"attributeCondition pins only mutable names {sorted(pinned & mutable)}; "
                                        f"prefer immutable ids {sorted(immutable)}"))
                tenant_pin = self._tenant_value(cond or "", issuer.kind)
            elif issuer.kind == "entra" and not ENTRA_PIN.search(cond or ""):
                issues.append(Issue("gcp.wif_entra_unpinned",
                                    f"Entra tenant {issuer.tenant} trusted without pinning assertion.sub/oid/appid: "
                                    "any application of that tenant can federate"))
            external = self._issuer_external(issuer, tenant_pin)
            return [TrustEdge(**base, mechanism="gcp_wif_oidc", trusted_kind="oidc_issuer", trusted_id=issuer.url,
                              trusted_provider=issuer.provider, external=external, trusted_node=f"oidc|{issuer.url}",
                              conditions={"attributeCondition": cond, "allowedAudiences": audiences,
                                          "attributeMapping": mapping},
                              details={"issues": [i.as_dict() for i in issues], "issuer_kind": issuer.kind,
                                       "shared_issuer": issuer.shared, "tenant": issuer.tenant or tenant_pin,
                                       "issuer_region": issuer.region, **state})]
        if isinstance(c.get("saml"), dict):
            xml = str(c["saml"].get("idpMetadataXml") or "")
            mm = re.search(r'entityID="([^"]+)"', xml)
            entity = mm.group(1) if mm else "saml"
            iss = classify(entity)
            return [TrustEdge(**base, mechanism="gcp_wif_saml", trusted_kind="saml_idp", trusted_id=entity,
                              trusted_provider=iss.provider if iss.kind in ("entra", "google") else "saml",
                              external=not (iss.kind == "entra" and self.ix.estate.azure_tenant_ours(iss.tenant)),
                              trusted_node=f"saml|{iss.url}", conditions={"attributeCondition": cond},
                              details={"issues": [], **state})]
        return []

    @staticmethod
    def _tenant_value(cond: str, kind: str) -> str | None:
        claim = {"github": "repository_owner(?:_id)?", "gitlab": "namespace_(?:path|id)"}.get(kind)
        if not claim:
            return None
        m = re.search(rf"assertion\.{claim}\s*==\s*['\"]([^'\"]+)['\"]", cond)
        return m.group(1) if m else None

    def _issuer_external(self, issuer: Any, tenant: str | None) -> bool:
        if issuer.kind == "entra":
            return not self.ix.estate.azure_tenant_ours(issuer.tenant)
        if issuer.kind in ("github", "gitlab"):
            return not self.ix.estate.subject_owner_ours(issuer.kind, issuer.tenant or tenant)
        if issuer.kind == "aws-eks":
            return not any(k[1] == issuer.url for k in self.ix.aws_oidc_by_url)
        if issuer.kind == "gcp-gke":
            return False if issuer.tenant is None else not self.ix.estate.gcp_project_ours(
                issuer.url.split("/projects/", 1)[-1].split("/", 1)[0])
        return True

    # -- IAM policies --------------------------------------------------------------------------

    def service_account_edges(self, sa: Res) -> list[TrustEdge]:
        policy = sa.config.get("iamPolicy")
        edges: list[TrustEdge] = []
        for b in _bindings(policy):
            role = str(b.get("role") or "")
            if role not in IMPERSONATION_ROLES and not role.startswith(("projects/", "organizations/")):
                continue
            for member in b.get("members") or []:
                edge = self._member_edge(sa, str(member), role, b.get("condition"), "gcp_wif_binding")
                if edge is not None:
                    edges.append(edge)
        return edges

    def project_policy_edges(self, pol: Res) -> list[TrustEdge]:
        edges: list[TrustEdge] = []
        for b in _bindings(pol.config):
            role = str(b.get("role") or "")
            for member in b.get("members") or []:
                if str(member).startswith(("principal://", "principalSet://")):
                    edge = self._member_edge(pol, str(member), role, b.get("condition"), "gcp_wif_direct")
                    if edge is not None:
                        edge.details["privileged"] = role in PRIVILEGED_PROJECT_ROLES
                        edges.append(edge)
        return edges

    def admin_service_accounts(self, pol: Res) -> set[str]:
        """Emails of service accounts holding project-level admin-equivalent roles."""
        return admin_service_accounts(pol.config)

    def _member_edge(self, res: Res, member: str, role: str, condition: Any, mechanism: str) -> TrustEdge | None:
        cond_expr = condition.get("expression") if isinstance(condition, dict) else None
        base = dict(source_key=res.resource_key, source_provider="gcp", source_node=res.resource_key)
        m = MEMBER_RX.match(member)
        if m:
            issues: list[Issue] = []
            kind = m.group("kind")
            if kind == "*":
                issues.append(Issue("gcp.pool_wide_principal_set",
                                    f"{role} granted to every identity of pool {m.group('pool')} "
                                    f"(all providers, present and future): {member}"))
            elif kind.startswith("attribute.") and kind[len("attribute."):] not in TENANT_ATTRIBUTES:
                issues.append(Issue("gcp.pool_wide_principal_set",
                                    f"{role} granted on attribute {kind[len('attribute.'):]!r}, which does not bind "
                                    f"a tenant or workload: {member}"))
            project = self.ix.project_id(m.group("project"))
            return TrustEdge(**base, mechanism=mechanism,
                             trusted_kind="wif_principal_set" if m.group("set") == "principalSet" else "wif_principal",
                             trusted_id=member, trusted_provider="gcp",
                             external=not self.ix.estate.gcp_project_ours(project),
                             trusted_node=self.ix.pool_node(m.group("project"), m.group("pool")),
                             conditions={"role": role, "member": member,
                                         "selector": f"{kind}/{m.group('value')}" if m.group("value") else kind,
                                         "condition": cond_expr},
                             details={"issues": [i.as_dict() for i in issues], "pool": m.group("pool")})
        if member.startswith("serviceAccount:") and mechanism == "gcp_wif_binding":
            email = member.split(":", 1)[1]
            gke = re.match(r"(?P<project>[^.]+)\.svc\.id\.goog\[(?P<ns>[^/]+)/(?P<ksa>[^\]]+)\]", email)
            if gke:
                return TrustEdge(**base, mechanism="gcp_gke_workload_identity", trusted_kind="gke_workload",
                                 trusted_id=email, trusted_provider="gcp",
                                 external=not self.ix.estate.gcp_project_ours(gke.group("project")),
                                 trusted_node=f"gke|{email}", conditions={"role": role, "condition": cond_expr},
                                 details={"issues": []})
            target = self.ix.gcp_sa_by_email.get(email.lower())
            project = email.split("@", 1)[-1].split(".", 1)[0]
            return TrustEdge(**base, mechanism="gcp_sa_impersonation", trusted_kind="gcp_service_account",
                             trusted_id=email, trusted_provider="gcp",
                             external=target is None and not self.ix.estate.gcp_project_ours(project),
                             trusted_node=target.resource_key if target else make_key("gcp", "gcp.iam.service_account", email),
                             conditions={"role": role, "condition": cond_expr}, details={"issues": []})
        if member in ("allUsers", "allAuthenticatedUsers"):
            return TrustEdge(**base, mechanism="gcp_public_binding", trusted_kind="anyone", trusted_id=member,
                             trusted_provider="gcp", external=True, trusted_node=f"anyone|{member}",
                             conditions={"role": role, "condition": cond_expr}, details={"issues": []})
        return None
