"""Azure federated identity credentials and role assignments -> trust edges (§3).

A FIC lets an issuer's token (matched on issuer + subject) act as a user-assigned managed
identity; a role assignment lets a principal act on a scope. Chains join them through the
identity's ``principalId``.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.identity.edges import TrustEdge
from auditor.identity.extract_aws import Issue
from auditor.identity.index import Index, Res
from auditor.identity.issuers import IMMUTABLE_SUBJECT, classify, subject_scope, subject_tenant
from auditor.identity.policy import action_matches
from auditor.model import make_key

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
BUILTIN_ROLES = {
    OWNER: "Owner", CONTRIBUTOR: "Contributor", "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    USER_ACCESS_ADMINISTRATOR: "User Access Administrator", RBAC_ADMINISTRATOR: "Role Based Access Control Administrator",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
}
ADMIN_ROLES = frozenset({OWNER, USER_ACCESS_ADMINISTRATOR, RBAC_ADMINISTRATOR})
DATA_READ_ROLES = frozenset({OWNER, CONTRIBUTOR, "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
                             "ba92f5b4-2d11-453d-a403-e96b0029c9fe", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"})
EXCHANGE_AUDIENCES = {"api://azureadtokenexchange", "api://azureadtokenexchangeusgov", "api://azureadtokenexchangechina"}
GRANT_ACTION = "Microsoft.Authorization/roleAssignments/write"
MATCHES_RX = re.compile(r"claims\['(?P<claim>[a-z_]+)'\]\s+(?P<op>matches|eq)\s+'(?P<value>[^']*)'", re.IGNORECASE)


def role_guid(role_definition_id: Any) -> str:
    return str(role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def parent_identity_id(fic_id: str) -> str:
    return re.split(r"/federatedidentitycredentials/", fic_id, flags=re.IGNORECASE)[0]


def role_definition_is_admin(doc: Any) -> bool:
    """Admin-equivalent role definition = can write role assignments (grant itself anything).
    Contributor's "*" is cut back by its NotActions, so it is not. The one definition the
    collector's ``admin`` facet and the trust graph share."""
    if not isinstance(doc, dict):
        return False
    if role_guid(doc.get("id") or doc.get("name")) in ADMIN_ROLES:
        return True
    for perm in (doc.get("properties") or {}).get("permissions") or []:
        if not isinstance(perm, dict):
            continue
        actions = [str(a) for a in perm.get("actions") or []]
        not_actions = [str(a) for a in perm.get("notActions") or []]
        if action_matches(actions, GRANT_ACTION) and not action_matches(not_actions, GRANT_ACTION):
            return True
    return False


class AzureExtractor:
    def __init__(self, index: Index) -> None:
        self.ix = index
        self._privileged: dict[str, bool] = {}
        self._federation: dict[str, tuple[list[str], bool]] = {}

    def lighthouse_edges(self, sub: Res) -> list[TrustEdge]:
        """Azure Lighthouse: every tenant in ``managedByTenants`` manages the subscription with
        the roles its delegation grants; one outside the declared estate is external trust."""
        edges: list[TrustEdge] = []
        for entry in sub.config.get("managedByTenants") or []:
            tenant = str((entry or {}).get("tenantId") or "").lower() if isinstance(entry, dict) else ""
            if not tenant:
                continue
            external = not self.ix.estate.azure_tenant_ours(tenant)
            issues = [Issue("azure.lighthouse_external_tenant",
                            f"tenant {tenant}, outside the declared estate, manages subscription "
                            f"{sub.account} through Azure Lighthouse")] if external else []
            edges.append(TrustEdge(source_key=sub.resource_key, source_provider="azure", source_node=sub.resource_key,
                                   mechanism="azure_lighthouse", trusted_kind="azure_tenant", trusted_id=tenant,
                                   trusted_provider="azure", conditions={}, external=external,
                                   trusted_node=f"azure.tenant|{tenant}",
                                   details={"issues": [i.as_dict() for i in issues],
                                            "home_tenant": sub.config.get("tenantId")}))
        return edges

    def role_name(self, guid: str) -> str:
        d = self.ix.azure_role_defs.get(guid)
        if d is not None:
            name = (d.config.get("properties") or {}).get("roleName")
            if name:
                return str(name)
        return BUILTIN_ROLES.get(guid, guid)

    def is_admin_role(self, guid: str) -> bool:
        if guid in ADMIN_ROLES:
            return True
        d = self.ix.azure_role_defs.get(guid)
        if d is None:
            return False
        if isinstance(d.facets.get("admin"), bool):
            return d.facets["admin"]
        return role_definition_is_admin(d.config)

    def identity_is_privileged(self, principal_id: str) -> bool:
        """Memoised per principal: many federated credentials often share one identity, and
        re-walking its assignments for each made the trust graph quadratic."""
        key = principal_id.lower()
        known = self._privileged.get(key)
        if known is None:
            known = self._privileged[key] = any(
                self.is_admin_role(role_guid((a.config.get("properties") or {}).get("roleDefinitionId")))
                for a in self.ix.azure_assignments_by_principal.get(key, []))
        return known

    # -- federated identity credentials ------------------------------------------------------

    def fic_edges(self, fic: Res) -> list[TrustEdge]:
        c = fic.config
        p = c.get("properties") if isinstance(c.get("properties"), dict) else c
        issuer_url = str(p.get("issuer") or "")
        subject = p.get("subject")
        subject = str(subject) if subject is not None else None
        audiences = [str(a) for a in (p.get("audiences") or [])]
        expr = p.get("claimsMatchingExpression")
        expr_text = expr.get("value") if isinstance(expr, dict) else (expr if isinstance(expr, str) else None)
        issuer = classify(issuer_url)
        identity_id = parent_identity_id(str(c.get("id") or fic.native_id))
        identity_key = make_key("azure", "azure.identity.user_assigned", identity_id)
        identity = self.ix.by_key.get(identity_key)
        principal_id = str(((identity.config.get("properties") or {}).get("principalId")) or "") if identity else ""
        privileged = bool(principal_id) and self.identity_is_privileged(principal_id)
        issues: list[Issue] = []
        tenant = None
        if subject and "*" in subject:
            issues.append(Issue("azure.fic_wildcard_subject",
                                f"subject {subject!r} contains '*': classic FICs do not support wildcards, so it "
                                "never matches (a misunderstanding of the trust, not a widening)"))
        if issuer.shared and issuer.kind in ("github", "gitlab", "hcp-terraform"):
            if subject and "*" not in subject:
                tenant = subject_tenant(issuer.kind, subject)
                immutable = IMMUTABLE_SUBJECT.get(issuer.kind)
                if immutable is not None and not immutable.match(subject):
                    issues.append(Issue("azure.fic_mutable_subject",
                                        f"subject {subject!r} names the repository/project by a mutable name "
                                        f"(recyclable after rename/delete){'; the identity is privileged' if privileged else ''}"))
                if subject.endswith(":pull_request"):
                    issues.append(Issue("azure.fic_pull_request",
                                        f"subject {subject!r} lets pull-request runs (unreviewed code) obtain the identity"))
            elif expr_text:
                issues.extend(self._expression_issues(issuer.kind, expr_text))
                pins = {m.group("claim"): m.group("value") for m in MATCHES_RX.finditer(expr_text)}
                tenant = subject_tenant(issuer.kind, pins.get("sub", ""))
        trusted_node, kind, tid, provider = f"oidc|{issuer.url}", "oidc_issuer", issuer.url, issuer.provider
        external = True
        if issuer.kind == "google" and subject:
            sa = self.ix.gcp_sa_by_uid.get(subject)
            kind, tid = "gcp_service_account", subject
            trusted_node = sa.resource_key if sa else f"gcp.sa_uid|{subject}"
            external = sa is None
        elif issuer.kind == "entra" and subject:
            uami = self.ix.azure_uami_by_principal.get(subject.lower())
            if uami is not None:
                kind, tid, trusted_node = "azure_managed_identity", subject, uami.resource_key
            external = not self.ix.estate.azure_tenant_ours(issuer.tenant)
        elif issuer.kind in ("github", "gitlab"):
            external = not self.ix.estate.subject_owner_ours(issuer.kind, issuer.tenant or tenant)
        elif issuer.kind == "aws-eks":
            external = not any(k[1] == issuer.url for k in self.ix.aws_oidc_by_url)
        return [TrustEdge(source_key=fic.resource_key, source_provider="azure", source_node=identity_key,
                          mechanism="azure_fic", trusted_kind=kind, trusted_id=tid, trusted_provider=provider,
                          external=external, trusted_node=trusted_node,
                          conditions={"issuer": issuer_url, "subject": subject, "audiences": sorted(audiences),
                                      "claimsMatchingExpression": expr_text},
                          details={"issues": [i.as_dict() for i in issues], "issuer_kind": issuer.kind,
                                   "shared_issuer": issuer.shared, "tenant": issuer.tenant or tenant,
                                   "issuer_region": issuer.region, "identity": identity_id,
                                   "identity_privileged": privileged,
                                   "nonstandard_audience": bool(audiences) and not
                                   {a.lower() for a in audiences} <= EXCHANGE_AUDIENCES})]

    @staticmethod
    def _expression_issues(kind: str, expr: str) -> list[Issue]:
        pins = [(m.group("claim").lower(), m.group("op").lower(), m.group("value")) for m in MATCHES_RX.finditer(expr)]
        issues: list[Issue] = []
        subs = [(op, v) for claim, op, v in pins if claim == "sub"]
        broad = [v for op, v in subs if op == "matches" and subject_scope(kind, v, wildcards=True) in ("any", "tenant")]
        if not subs or broad:
            issues.append(Issue("azure.fic_broad_expression",
                                f"claimsMatchingExpression {expr!r} does not pin sub to one workload"
                                + (f" (broad: {broad})" if broad else "")))
        if kind == "github" and not any(c in ("repository_id", "repository_owner_id") and op == "eq"
                                        for c, op, _ in pins):
            issues.append(Issue("azure.fic_broad_expression",
                                "GitHub flexible FIC without repository_id / repository_owner_id eq"))
        return issues

    # -- role assignments --------------------------------------------------------------------

    def federation_of(self, uami: Res) -> tuple[list[str], bool]:
        """Who an identity federates to (and whether any of it is external), once per identity:
        every assignment of the identity asks, and re-deriving its credentials' edges for each
        was assignments x credentials. The list is shared by every edge of the identity's
        assignments (read-only): a copy per assignment was assignments x credentials in memory."""
        ident = str(uami.config.get("id") or uami.native_id).lower()
        known = self._federation.get(ident)
        if known is None:
            federated: list[str] = []
            external = False
            for fic in self.ix.azure_fics_by_identity.get(ident, []):
                for e in self.fic_edges(fic):
                    federated.append(f"{e.trusted_kind}:{e.trusted_id}")
                    external |= e.external or bool(e.details.get("shared_issuer"))
            known = self._federation[ident] = (federated, external)
        return known

    def assignment_edges(self, ra: Res) -> list[TrustEdge]:
        p = ra.config.get("properties") if isinstance(ra.config.get("properties"), dict) else {}
        principal = str(p.get("principalId") or "").lower()
        ptype = str(p.get("principalType") or "Unknown")
        guid = role_guid(p.get("roleDefinitionId"))
        admin = self.is_admin_role(guid)
        uami = self.ix.azure_uami_by_principal.get(principal)
        federated, external_federation = self.federation_of(uami) if uami is not None else ([], False)
        issues: list[Issue] = []
        external = ptype.lower() == "foreigngroup"
        if admin and (external or federated):
            # At most five issuers named: one principal can carry thousands of credentials, and
            # this message is repeated for every assignment (the full list is in the details).
            more = f" and {len(federated) - 5} more" if len(federated) > 5 else ""
            why = "a foreign (other-tenant) group" if external else \
                f"a federated identity trusting {federated[:5]}{more}"
            issues.append(Issue("azure.privileged_external_assignment",
                                f"{self.role_name(guid)} at {p.get('scope')} is assigned to {why}"))
        node = uami.resource_key if uami is not None else f"azure.principal|{principal}"
        return [TrustEdge(source_key=ra.resource_key, source_provider="azure", source_node=ra.resource_key,
                          mechanism="azure_role_assignment", trusted_kind=ptype.lower(), trusted_id=principal,
                          trusted_provider="azure", external=external, trusted_node=node,
                          conditions={"role": self.role_name(guid), "scope": p.get("scope"),
                                      "condition": p.get("condition")},
                          details={"issues": [i.as_dict() for i in issues], "privileged": admin, "role_guid": guid,
                                   "federated_from": federated, "external_federation": external_federation})]
