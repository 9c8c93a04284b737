"""AWS role trust policies -> trust edges, each with its assessed issues (§1.2-1.7).

For every Allow statement that grants an ``sts:AssumeRole*`` action, each principal becomes
an edge. Conditions are read with IAM semantics: only a restricting condition (positive
operator, no IfExists, no ForAllValues) pins a claim; a Deny statement with a negated
operator (``StringNotLike sub ...``) pins it too. Multiple conditions on one key are AND-ed,
so the narrowest decides; multiple values are OR-ed, so the widest decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from auditor.identity.edges import TrustEdge
from auditor.identity.index import Index, Res
from auditor.identity.issuers import Issuer, classify, normalise_url, subject_scope, subject_tenant
from auditor.identity.policy import (
    NEGATED, WILDCARD_OPS, Condition, PolicyDocument, Statement, action_matches, has_wildcard, parse_policy,
)
from auditor.model import make_key

ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")
SCOPE_ORDER = {"exact": 0, "workload": 1, "tenant": 2, "any": 3}
ORG_KEYS = ("aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:sourceaccount",
            "aws:sourcearn", "aws:principalarn", "aws:sourceorgid")
ACCOUNT_RX = re.compile(r"^(?:arn:[\w-]+:(?:iam|sts)::(?P<acct>\d{12}):(?P<rest>.*)|(?P<bare>\d{12}))$")
WEB_IDENTITY_BUILTINS = {"accounts.google.com", "cognito-identity.amazonaws.com", "graph.facebook.com",
                         "www.amazon.com"}


# A Google service account's unique id: a long decimal number (21 digits today).
GOOGLE_UNIQUE_ID = re.compile(r"\d{15,30}")


@dataclass(slots=True)
class Issue:
    code: str  # the fact found (e.g. "aws.external_account"); rules in auditor/rules/identity.py judge codes
    message: str
    severity: str | None = None  # lower than the rule's default when the shape is only a hardening note

    def as_dict(self) -> dict[str, str]:
        d = {"code": self.code, "message": self.message}
        if self.severity:
            d["severity"] = self.severity
        return d


def _allows_assume(st: Statement) -> bool:
    if st.effect != "Allow":
        return False
    if st.actions is not None:
        return any(action_matches(st.actions, a) for a in ASSUME_ACTIONS)
    return any(not action_matches(st.not_actions or (), a) for a in ASSUME_ACTIONS)


def _deny_pins(doc: PolicyDocument) -> list[Condition]:
    """Deny + negated operator on a key == the key must match those values (for every principal)."""
    pins: list[Condition] = []
    for st in doc.statements:
        if st.effect != "Deny" or st.principal is None or not st.principal.anyone:
            continue
        if st.actions is not None and not any(action_matches(st.actions, a) for a in ASSUME_ACTIONS):
            continue
        for c in st.conditions:
            if c.operator in NEGATED and not c.if_exists and c.qualifier != "ForAllValues" and c.values \
                    and len(st.conditions) == 1:
                positive = c.operator.replace("Not", "", 1)
                pins.append(Condition(positive, c.key, c.values, c.qualifier, False))
    return pins


def _claim(key: str, prefix: str | None) -> str:
    """``token.actions.githubusercontent.com:sub`` -> ``sub``; global keys stay as they are."""
    if prefix:
        head, sep, tail = key.rpartition(":")
        if sep and normalise_url(head).lower() == prefix.lower():
            return tail
    return key


def _conditions_view(conds: Iterable[Condition], prefix: str | None) -> dict[str, list[str]]:
    view: dict[str, list[str]] = {}
    for c in conds:
        op = (f"{c.qualifier}:" if c.qualifier else "") + c.operator + ("IfExists" if c.if_exists else "")
        view.setdefault(_claim(c.key, prefix), []).extend(f"{op} {v}" for v in c.values or ("<invalid>",))
    return {k: sorted(v) for k, v in sorted(view.items())}


def _pins(conds: Iterable[Condition], key: str) -> list[Condition]:
    return [c for c in conds if c.key == key.lower() and c.restricts]


def _scope(kind: str, claim: str, pins: list[Condition]) -> str:
    """Widest value of each condition (OR), narrowest condition (AND); 'any' when nothing pins."""
    if not pins:
        return "any"
    best = "any"
    for c in pins:
        wild = c.operator in WILDCARD_OPS
        if claim == "sub":
            widest = max((subject_scope(kind, v, wildcards=wild) for v in c.values), key=SCOPE_ORDER.get)
        else:
            widest = "any" if any(wild and ("*" in v or "?" in v) for v in c.values) else "exact"
        if SCOPE_ORDER[widest] < SCOPE_ORDER[best]:
            best = widest
    return best


def _literal_values(pins: list[Condition]) -> list[str]:
    return sorted({v for c in pins for v in c.values})


ORG_ID_KEYS = ("aws:principalorgid", "aws:sourceorgid")


def _owner_of(c: Condition, value: str) -> str | None:
    """The account or organisation a condition value names; "*" when a wildcard stands there
    (under a wildcard operator); None when the value names no owner (e.g. a bucket ARN)."""
    wild = c.operator in WILDCARD_OPS
    v = value.strip()
    if c.key in ORG_ID_KEYS or c.key == "aws:principalorgpaths":
        owner = v.split("/", 1)[0]
    elif c.key in ("aws:principalaccount", "aws:sourceaccount"):
        owner = v
    else:  # aws:PrincipalArn, aws:SourceArn: the account field of the ARN
        parts = v.split(":")
        owner = parts[4] if len(parts) > 5 else ("*" if wild and has_wildcard(v) and len(parts) <= 5 else None)
    if owner is not None and wild and has_wildcard(owner):
        return "*"
    return owner or None


def _wildcard_only(c: Condition) -> bool:
    """StringLike x "*": matches any value, which is no condition at all."""
    return c.operator in WILDCARD_OPS and any(set(v) <= {"*"} for v in c.values)


def _account_of(value: str) -> tuple[str | None, str]:
    m = ACCOUNT_RX.match(value.strip())
    if not m:
        return None, value
    return (m.group("acct") or m.group("bare")), (m.group("rest") or "root")


# Resource types whose resource policy grants other principals access, and where it is stored.
RESOURCE_POLICIES = {"aws.s3.bucket": "Policy", "aws.kms.key": "KeyPolicy"}


class AwsExtractor:
    def __init__(self, index: Index) -> None:
        self.ix = index

    def resource_policy_edges(self, res: Res, malformed: dict[str, list[str]]) -> list[TrustEdge]:
        """Cross-account AWS principals of a bucket or key policy's Allow statements: each is a
        trust edge (the other account can act on the resource), judged like a trust policy's.
        Public principals are left to the storage facets (``public``); same-account ones are
        ordinary IAM."""
        key = RESOURCE_POLICIES.get(res.type)
        raw = res.config.get(key) if key else None
        if raw is None:
            return []
        doc = parse_policy(raw, needs_principal=True)
        if doc.errors:
            malformed.setdefault(res.resource_key, []).extend(f"{key}: {e}" for e in doc.errors)
        edges: list[TrustEdge] = []
        for st in doc.statements:
            if st.effect != "Allow" or st.principal is None or st.principal.anyone:
                continue
            for value in st.principal.of("AWS"):
                acct, rest = _account_of(value)
                if acct == res.account:
                    continue
                edges.append(self._resource_principal(res, st, value, acct, rest))
        return edges

    def _resource_principal(self, res: Res, st: Statement, value: str, acct: str | None, rest: str) -> TrustEdge:
        org_pinned, org_ours = self._org_pinned(list(st.conditions))
        ours = bool(acct) and (self.ix.estate.aws_account_ours(acct) or (org_pinned and org_ours))
        kind = "aws_account" if rest == "root" else ("aws_role" if rest.startswith("role/") else "aws_principal")
        if acct is None:
            kind = "aws_unique_id"
        node = f"aws.account|{acct}" if kind == "aws_account" else (
            self.ix.aws_roles_by_arn[value].resource_key if value in self.ix.aws_roles_by_arn else f"aws.principal|{value}")
        issues = [] if ours else [Issue("aws.external_account",
                                        f"{res.type.rsplit('.', 1)[-1]} policy grants "
                                        f"{list(st.actions or ['NotAction ' + ','.join(st.not_actions or [])])} to "
                                        f"AWS {'account ' + acct if acct else 'principal ' + value}, which is not part "
                                        "of the declared estate")]
        details = {"issues": [i.as_dict() for i in issues], "account": acct, "statement": st.sid or st.index,
                   "actions": list(st.actions or []), "not_actions": list(st.not_actions or []),
                   "resource_policy": RESOURCE_POLICIES[res.type]}
        return TrustEdge(source_key=res.resource_key, source_provider="aws", source_node=res.resource_key,
                         mechanism="aws_resource_policy", trusted_kind=kind,
                         trusted_id=acct if kind == "aws_account" else value, trusted_provider="aws",
                         conditions=_conditions_view(st.conditions, None), external=not ours,
                         trusted_node=node, details=details)

    def role_edges(self, role: Res, malformed: dict[str, list[str]]) -> list[TrustEdge]:
        raw = role.config.get("AssumeRolePolicyDocument")
        if raw is None:
            return []
        doc = parse_policy(raw, needs_principal=True)
        if doc.errors:
            malformed.setdefault(role.resource_key, []).extend(f"AssumeRolePolicyDocument: {e}" for e in doc.errors)
        deny = _deny_pins(doc)
        edges: list[TrustEdge] = []
        for st in doc.statements:
            if not _allows_assume(st) or (st.principal is None and st.not_principal is None):
                continue
            conds = [*st.conditions, *deny]
            if st.principal is None or st.principal.anyone:  # Allow + NotPrincipal: everyone but those named
                edges.append(self._public(role, st, conds))
                continue
            for value in st.principal.of("AWS"):
                edges.append(self._aws_principal(role, st, value, conds))
            for value in st.principal.of("Federated"):
                edges.append(self._federated(role, st, value, conds))
        return edges

    # -- principal kinds --------------------------------------------------------------------

    def _edge(self, role: Res, st: Statement, **kw: Any) -> TrustEdge:
        details = kw.pop("details", {})
        details.update({"statement": st.sid or st.index, "role": role.native_id})
        return TrustEdge(source_key=role.resource_key, source_provider="aws", source_node=role.resource_key,
                         details=details, **kw)

    def _org_pins(self, conds: list[Condition]) -> list[Condition]:
        """Org/account conditions that really narrow the caller: a wildcard in the account or
        organisation position (``arn:aws:iam::*:role/x``, ``aws:SourceAccount *``) admits
        every account, so such a condition pins nothing (values are OR-ed: the widest decides)."""
        return [c for k in ORG_KEYS for c in _pins(conds, k)
                if not any(_owner_of(c, v) == "*" for v in c.values)]

    def _owner_ours(self, c: Condition, owner: str | None) -> bool:
        if c.key in ("aws:principalorgid", "aws:sourceorgid", "aws:principalorgpaths"):
            return bool(self.ix.estate.aws_organization_id) and owner == self.ix.estate.aws_organization_id
        return bool(owner) and self.ix.estate.aws_account_ours(str(owner))

    def _org_pinned(self, conds: list[Condition]) -> tuple[bool, bool]:
        """(some org/account condition restricts callers, that restriction names only our estate).

        Conditions are AND-ed: one that names only our estate is enough."""
        pins = self._org_pins(conds)
        if not pins:
            return False, False
        return True, any(all(self._owner_ours(c, _owner_of(c, v)) for v in c.values) for c in pins)

    def _public(self, role: Res, st: Statement, conds: list[Condition]) -> TrustEdge:
        """Principal "*" (or Allow + NotPrincipal). Narrowed by a literal organisation or account
        condition it is cross-account trust to that owner; otherwise public trust."""
        who = "NotPrincipal (everyone but the named)" if st.principal is None else "any AWS principal (Principal \"*\")"
        pins = self._org_pins(conds)
        view = _conditions_view(conds, None)
        if not pins:
            wild = [c.label() for k in ORG_KEYS for c in _pins(conds, k)]
            why = f"only wildcard account/organisation conditions {wild}" if wild else \
                "no aws:PrincipalOrgID / aws:PrincipalAccount / aws:SourceAccount condition"
            issue = Issue("aws.public_trust", f"trust policy allows {who} with {why}")
            return self._edge(role, st, mechanism="aws_public", trusted_kind="anyone", trusted_id="*",
                              trusted_provider="aws", conditions=view, external=True, trusted_node="anyone|aws",
                              details={"issues": [issue.as_dict()]})
        _, ours = self._org_pinned(conds)
        c = min(pins, key=lambda c: (c.key not in ORG_ID_KEYS, c.key))
        owners = sorted({str(_owner_of(c, v)) for v in c.values})
        org = c.key in ORG_ID_KEYS or c.key == "aws:principalorgpaths"
        kind, prefix = ("aws_organization", "aws.org") if org else ("aws_account", "aws.account")
        issues = [] if ours else [Issue("aws.external_account",
                                        f"role trusts any principal of {kind.split('_')[1]} {', '.join(owners)}, "
                                        "which is not part of the declared estate")]
        return self._edge(role, st, mechanism="aws_cross_account", trusted_kind=kind, trusted_id=",".join(owners),
                          trusted_provider="aws", conditions=view, external=not ours,
                          trusted_node=f"{prefix}|{','.join(owners)}",
                          details={"issues": [i.as_dict() for i in issues], "narrowed_by": c.label(),
                                   "external_id": []})

    def _aws_principal(self, role: Res, st: Statement, value: str, conds: list[Condition]) -> TrustEdge:
        acct, rest = _account_of(value)
        ext_id = [c for c in _pins(conds, "sts:externalid") if not _wildcard_only(c)]
        org_pinned, org_ours = self._org_pinned(conds)
        view = _conditions_view(conds, None)
        if acct is None:  # a unique id (AROA.../AIDA...) left behind by a deleted principal, or junk
            return self._edge(role, st, mechanism="aws_principal", trusted_kind="aws_unique_id", trusted_id=value,
                              trusted_provider="aws", conditions=view, external=True, trusted_node=f"aws.principal|{value}",
                              details={"issues": [], "note": "principal is not an ARN or account id (dangling principal?)"})
        ours = self.ix.estate.aws_account_ours(acct) or (org_pinned and org_ours)
        kind, node = "aws_account", f"aws.account|{acct}"
        if rest.startswith("role/"):
            kind = "aws_role"
            target = self.ix.aws_roles_by_name.get((acct, rest.rsplit("/", 1)[-1]))
            node = target.resource_key if target else make_key("aws", "aws.iam.role", value)
        elif rest.startswith(("user/", "assumed-role/", "federated-user/")):
            kind, node = "aws_" + rest.split("/", 1)[0].replace("-", "_"), f"aws.principal|{value}"
        issues: list[Issue] = []
        if not ours and acct != role.account:
            issues.append(Issue("aws.external_account",
                                f"role trusts AWS account {acct}, which is not part of the declared estate"))
            if not ext_id:
                issues.append(Issue("aws.external_no_external_id",
                                    f"third-party account {acct} may assume the role without sts:ExternalId "
                                    "(confused-deputy risk)"))
        mech = "aws_cross_account" if acct != role.account else "aws_same_account"
        return self._edge(role, st, mechanism=mech, trusted_kind=kind, trusted_id=value if kind != "aws_account" else acct,
                          trusted_provider="aws", conditions=view, external=not ours and acct != role.account,
                          trusted_node=node,
                          details={"issues": [i.as_dict() for i in issues], "account": acct,
                                   "external_id": _literal_values(ext_id)})

    def _federated(self, role: Res, st: Statement, value: str, conds: list[Condition]) -> TrustEdge:
        v = value.strip()
        if ":saml-provider/" in v:
            return self._saml(role, st, v, conds)
        if ":oidc-provider/" in v:
            url = normalise_url(v.split(":oidc-provider/", 1)[1])
        elif v.lower() in WEB_IDENTITY_BUILTINS:
            url = v.lower()
        else:
            url = normalise_url(v)
        issuer = classify(url)
        if issuer.kind == "google":
            return self._google(role, st, issuer, conds)
        if issuer.kind == "aws-cognito":
            return self._cognito(role, st, issuer, conds)
        return self._oidc(role, st, issuer, conds, provider_arn=v)

    def _claim_key(self, issuer: Issuer, claim: str) -> str:
        return claim if ":" in claim else f"{issuer.url}:{claim}"

    def _issuer_pins(self, issuer: Issuer, conds: list[Condition], claim: str) -> list[Condition]:
        wanted = self._claim_key(issuer, claim).lower()
        url = issuer.url.lower()
        # Condition keys carry the provider URL as registered (maybe with a trailing "/"); keys compare
        # case-insensitively.
        return [c for c in conds if c.restricts and (c.key == wanted or (
            ":" in c.key and normalise_url(c.key.rpartition(":")[0]).lower() == url and c.key.rpartition(":")[2] == claim))]

    def _oidc(self, role: Res, st: Statement, issuer: Issuer, conds: list[Condition], provider_arn: str) -> TrustEdge:
        issues: list[Issue] = []
        sub_pins = self._issuer_pins(issuer, conds, "sub")
        sub_scope = _scope(issuer.kind, "sub", sub_pins)
        tenant = None
        if issuer.shared:
            claim = issuer.tenancy_claim or "sub"
            pins = sub_pins if claim == "sub" else self._issuer_pins(issuer, conds, claim)
            scope = _scope(issuer.kind, claim, pins)
            weak = [c.label() for c in conds if (c.key.endswith(":" + claim.lower()) or c.key == claim.lower())
                    and not c.restricts]
            if scope == "any":
                why = f"no restricting condition on {claim}" if not pins else \
                    f"{claim} pattern admits other tenants: {_literal_values(pins)}"
                if weak:
                    why += f" (non-restricting: {weak})"
                issues.append(Issue("aws.oidc_shared_unpinned",
                                    f"{issuer.kind} issuer {issuer.url} is shared by every customer; {why}"))
            elif claim == "sub" and scope == "tenant":
                issues.append(Issue("aws.oidc_org_wide",
                                    f"sub admits every repository/workload of the tenant: {_literal_values(pins)}"))
            if claim == "sub" and pins and scope != "any":
                tenant = subject_tenant(issuer.kind, min(_literal_values(pins), key=len))
        elif sub_scope == "any":
            issues.append(Issue("aws.oidc_private_no_sub",
                                f"{issuer.kind} issuer {issuer.url} trusted without pinning sub: any workload "
                                "of that issuer can assume the role"))
        provider_res = self.ix.aws_oidc_by_url.get((role.account, issuer.url))
        external = self._issuer_external(issuer, tenant)
        view = _conditions_view(conds, issuer.url)
        if provider_res is not None:
            view["client_ids"] = sorted(map(str, provider_res.config.get("ClientIDList") or []))
        return self._edge(role, st, mechanism="aws_oidc", trusted_kind="oidc_issuer", trusted_id=issuer.url,
                          trusted_provider=issuer.provider, conditions=view, external=external,
                          trusted_node=f"oidc|{issuer.url}",
                          details={"issues": [i.as_dict() for i in issues], "issuer_kind": issuer.kind,
                                   "shared_issuer": issuer.shared, "tenant": issuer.tenant or tenant,
                                   "issuer_region": issuer.region, "provider_arn": provider_arn,
                                   "provider_registered": provider_res is not None})

    def _issuer_external(self, issuer: Issuer, subject_tenant_name: str | None) -> bool:
        if issuer.kind == "entra":
            return not self.ix.estate.azure_tenant_ours(issuer.tenant)
        if issuer.kind in ("github", "gitlab"):
            return not self.ix.estate.subject_owner_ours(issuer.kind, issuer.tenant or subject_tenant_name)
        if issuer.kind == "aws-eks":
            return not any(k[1] == issuer.url for k in self.ix.aws_oidc_by_url)
        return True

    def _google(self, role: Res, st: Statement, issuer: Issuer, conds: list[Condition]) -> TrustEdge:
        """accounts.google.com: ``aud`` is compared with ``azp`` when the token has one, and a
        Google service account's ID token carries its numeric unique id there; so a literal
        ``aud`` naming such an id pins that one service account even without ``sub``."""
        aud = self._issuer_pins(issuer, conds, "aud")
        sub = self._issuer_pins(issuer, conds, "sub")
        oaud = self._issuer_pins(issuer, conds, "oaud")
        issues: list[Issue] = []
        missing = [n for n, p in (("aud", aud), ("sub", sub)) if _scope("google", "literal", p) == "any"]
        auds = _literal_values(aud) if "aud" not in missing else []
        aud_pins_sa = bool(auds) and all(GOOGLE_UNIQUE_ID.fullmatch(a) for a in auds)
        if missing == ["sub"] and aud_pins_sa:
            issues.append(Issue("aws.google_unpinned",
                                f"accounts.google.com:aud pins service account unique id(s) {auds} (compared with "
                                "azp); also pin accounts.google.com:sub to the same id", severity="low"))
        elif missing:
            issues.append(Issue("aws.google_unpinned",
                                f"accounts.google.com federation without a literal {' and '.join(missing)} "
                                "condition: any Google identity can assume the role"))
        subs = _literal_values(sub) if "sub" not in missing and "aud" not in missing else []
        if not subs and aud_pins_sa:
            subs = auds
        sa = next((self.ix.gcp_sa_by_uid[s] for s in subs if s in self.ix.gcp_sa_by_uid), None)
        if sa is None:
            sa = next((self.ix.gcp_sa_by_email[s.lower()] for s in _literal_values(aud) if s.lower() in self.ix.gcp_sa_by_email), None)
        if sa is not None:
            node, kind, tid = sa.resource_key, "gcp_service_account", str(sa.config.get("email") or sa.native_id)
        elif subs:
            node, kind, tid = f"gcp.sa_uid|{subs[0]}", "google_subject", ",".join(subs)
        else:
            node, kind, tid = "oidc|accounts.google.com", "oidc_issuer", "accounts.google.com"
        external = sa is None or not self.ix.estate.gcp_project_ours(sa.account)
        view = _conditions_view(conds, issuer.url)
        return self._edge(role, st, mechanism="aws_google", trusted_kind=kind, trusted_id=tid, trusted_provider="gcp",
                          conditions=view, external=external, trusted_node=node,
                          details={"issues": [i.as_dict() for i in issues], "issuer_kind": "google",
                                   "shared_issuer": True, "oaud_pinned": bool(oaud)})

    def _cognito(self, role: Res, st: Statement, issuer: Issuer, conds: list[Condition]) -> TrustEdge:
        aud = self._issuer_pins(issuer, conds, "aud")
        amr = [c for c in conds if c.key == f"{issuer.url}:amr" and c.operator in ("StringLike", "StringEquals")
               and c.qualifier != "ForAllValues" and not c.if_exists]
        issues: list[Issue] = []
        if _scope("aws-cognito", "aud", aud) == "any":
            issues.append(Issue("aws.cognito_no_aud",
                                "cognito-identity.amazonaws.com trusted without a literal aud (identity pool id): "
                                "any identity pool in any account can assume the role"))
        elif not amr:
            issues.append(Issue("aws.cognito_no_amr",
                                "Cognito role has no amr condition: unauthenticated (guest) identities of the pool "
                                "can assume it"))
        pools = _literal_values(aud)
        return self._edge(role, st, mechanism="aws_cognito", trusted_kind="cognito_identity_pool",
                          trusted_id=",".join(pools) or "*", trusted_provider="aws",
                          conditions=_conditions_view(conds, issuer.url),
                          external=not pools, trusted_node=f"aws.cognito_pool|{','.join(pools) or '*'}",
                          details={"issues": [i.as_dict() for i in issues], "issuer_kind": "aws-cognito",
                                   "shared_issuer": True})

    def _saml(self, role: Res, st: Statement, arn: str, conds: list[Condition]) -> TrustEdge:
        res = self.ix.aws_saml_by_arn.get(arn)
        entity = None
        if res is not None:
            m = re.search(r'entityID="([^"]+)"', str(res.config.get("SAMLMetadataDocument") or ""))
            entity = m.group(1) if m else None
        issuer = classify(entity) if entity else None
        provider = issuer.provider if issuer and issuer.kind in ("entra", "google") else "saml"
        external = True
        if issuer and issuer.kind == "entra":
            external = not self.ix.estate.azure_tenant_ours(issuer.tenant)
        return self._edge(role, st, mechanism="aws_saml", trusted_kind="saml_provider",
                          trusted_id=entity or arn, trusted_provider=provider,
                          conditions=_conditions_view(conds, None), external=external,
                          trusted_node=f"saml|{normalise_url(entity) if entity else arn}",
                          details={"issues": [], "provider_arn": arn,
                                   "tenant": issuer.tenant if issuer else None})
