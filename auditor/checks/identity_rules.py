"""Identity findings from the trust graph: one verdict per (rule, trusting resource).

Extractors attach issues (rule id + message) to the edges they judge; here an edge of a
mechanism a rule covers, and that the rule applies to, yields PASS for its resource unless
some edge of that resource carries the rule's issue.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from auditor.checks.result import FAIL, PASS, Result
from auditor.checks.rules import Rule
from auditor.identity.edges import TrustEdge
from auditor.identity.extract_gcp import TENANT_CLAIMS
from auditor.identity.graph import TrustGraph
from auditor.identity.index import Res
from auditor.identity.permissions import aws_principal_policies
from auditor.identity.policy import parse_policy

_SHARED = lambda e: bool(e.details.get("shared_issuer"))  # noqa: E731
_KIND = lambda *kinds: (lambda e: e.details.get("issuer_kind") in kinds)  # noqa: E731

APPLIES: dict[str, Callable[[TrustEdge], bool]] = {
    "identity.aws.oidc_shared_unpinned": _SHARED,
    "identity.aws.oidc_org_wide": lambda e: _SHARED(e) and e.details.get("issuer_kind") in ("github", "gitlab", "hcp-terraform"),
    "identity.aws.oidc_private_no_sub": lambda e: not _SHARED(e),
    "identity.aws.external_no_external_id": lambda e: e.external,
    "identity.gcp.wif_shared_no_condition": _SHARED,
    "identity.gcp.wif_mutable_condition": lambda e: _SHARED(e) and e.details.get("issuer_kind") in TENANT_CLAIMS,
    "identity.gcp.wif_entra_unpinned": _KIND("entra"),
    "identity.azure.fic_mutable_subject": lambda e: _SHARED(e) and e.details.get("issuer_kind") in ("github", "gitlab")
    and bool(e.conditions.get("subject")),
    "identity.azure.fic_pull_request": lambda e: e.details.get("issuer_kind") == "github" and bool(e.conditions.get("subject")),
    "identity.azure.fic_broad_expression": lambda e: bool(e.conditions.get("claimsMatchingExpression")),
    "identity.azure.privileged_external_assignment": lambda e: bool(e.details.get("privileged")),
}
SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")
FEDERATED_STARTS = ("oidc|", "saml|", "anyone|", "aws.account|", "aws.org|", "aws.principal|", "gcp.sa_uid|",
                    "aws.cognito_pool|", "gke|", "gcp.wif_pool|")
POLICY_TYPES = ("aws.iam.role", "aws.iam.policy", "aws.iam.user", "aws.iam.group")


def _edge_evidence(e: TrustEdge) -> dict[str, Any]:
    return {"edge_id": e.edge_id, "mechanism": e.mechanism, "trusted": f"{e.trusted_kind}:{e.trusted_id}",
            "trusted_provider": e.trusted_provider, "conditions": e.conditions, "external": e.external,
            "cross_cloud": e.cross_cloud}


def edge_results(graph: TrustGraph, rules: list[Rule]) -> Iterator[tuple[str, Result]]:
    """(resource_key, Result) for every edge-judged identity rule."""
    by_source: dict[str, list[TrustEdge]] = {}
    for e in graph.edges:
        by_source.setdefault(e.source_key, []).append(e)
    for rule in rules:
        if not rule.mechanisms:
            continue
        for key in sorted(by_source):
            edges = [e for e in by_source[key] if e.mechanism in rule.mechanisms and APPLIES.get(rule.id, lambda e: True)(e)]
            if not edges:
                continue
            hits = [(e, i["message"]) for e in edges for i in e.details.get("issues") or [] if i["rule_id"] == rule.id]
            evidence = {"edges": [_edge_evidence(e) for e in edges]}
            if hits:
                evidence["issues"] = [m for _, m in hits]
                # Every hit a mere hardening note (issue severity set): the highest of those, else the rule's.
                sev = [i.get("severity") for e in edges for i in e.details.get("issues") or [] if i["rule_id"] == rule.id]
                severity = max(sev, key=SEVERITY_ORDER.index) if sev and None not in sev else None
                yield key, Result(rule.id, FAIL, "; ".join(dict.fromkeys(m for _, m in hits)), evidence,
                                  severity=severity)
            else:
                yield key, Result(rule.id, PASS, f"{len(edges)} trust relationship(s) checked", evidence)


def malformed_results(graph: TrustGraph) -> Iterator[tuple[str, Result]]:
    ix = graph.index
    if ix is None:
        return
    for r in sorted(ix.of_type(*POLICY_TYPES), key=lambda r: r.resource_key):
        problems = list(graph.malformed.get(r.resource_key, []))
        extra: dict[str, list[str]] = {}
        aws_principal_policies(r, ix, extra)
        problems += extra.get(r.resource_key, [])
        if r.type == "aws.iam.policy":
            for v in r.config.get("PolicyVersionList") or []:
                if isinstance(v, dict) and "Document" in v:
                    problems += [f"version {v.get('VersionId')}: {e}" for e in parse_policy(v.get("Document")).errors]
        problems += [str(m) for m in r.facets.get("malformed") or []]
        problems = list(dict.fromkeys(problems))
        if problems:
            yield r.resource_key, Result("identity.policy_malformed", FAIL, "; ".join(problems)[:2000],
                                         {"problems": problems})
        else:
            yield r.resource_key, Result("identity.policy_malformed", PASS, "all policy documents parse")
    for key in sorted(set(graph.malformed) - {r.resource_key for r in ix.of_type(*POLICY_TYPES)}):
        yield key, Result("identity.policy_malformed", FAIL, "; ".join(graph.malformed[key])[:2000],
                          {"problems": graph.malformed[key]})


def chain_results(graph: TrustGraph) -> Iterator[tuple[str, Result]]:
    """FAIL on an admin-equivalent identity reachable by a chain from outside or across clouds."""
    by_target: dict[str, list[Any]] = {}
    for chain in graph.chains():
        if chain.reaches_admin:
            by_target.setdefault(chain.nodes[-1], []).append(chain)
    for node, chains in sorted(by_target.items()):
        # Risky: crosses clouds, crosses the estate boundary, or starts at a federated issuer/account
        # (a directory user holding Owner is not a federation chain).
        risky = [c for c in chains if c.external or c.cross_cloud or c.nodes[0].startswith(FEDERATED_STARTS)]
        evidence = {"chains": [c.as_dict() for c in chains[:20]], "chain_count": len(chains)}
        if risky:
            weak = any(e.details.get("issues") for c in risky for e in c.edges)
            yield node, Result("identity.chain_to_admin", FAIL,
                               f"{len(risky)} federation chain(s) reach admin-equivalent {node}: {risky[0].text()}",
                               evidence, severity="critical" if weak else None)
        else:
            yield node, Result("identity.chain_to_admin", PASS, "admin reachable only through internal trust", evidence)


def resource_of(graph: TrustGraph, key: str) -> Res | None:
    return graph.index.by_key.get(key) if graph.index else None
