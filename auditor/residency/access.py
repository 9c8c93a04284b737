"""Residency through identity: a workload in another jurisdiction that can read restricted data.

Determinable only when the trusted side of an edge names where it runs: Kubernetes cluster
issuers carry their region (EKS ``oidc.eks.<region>...``, GKE ``.../locations/<loc>/...``,
AKS ``<region>.oic.prod-aks.azure.com``). From such an issuer the graph says which
identities its workloads can become; their own permissions say which buckets they can read.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from auditor.identity.extract_azure import DATA_READ_ROLES, role_guid
from auditor.identity.extract_gcp import MEMBER_RX, _bindings
from auditor.identity.graph import TrustGraph
from auditor.identity.permissions import aws_can_read_object, aws_principal_policies
from auditor.identity.policy import action_matches
from auditor.residency.jurisdiction import place
from auditor.residency.policy import Place, permits
from auditor.rules.verdict import FAIL, PASS, UNKNOWN, Result

GCS_READ_ROLES = frozenset({"roles/storage.objectViewer", "roles/storage.objectUser", "roles/storage.objectAdmin",
                            "roles/storage.admin", "roles/storage.legacyObjectReader", "roles/owner", "roles/editor",
                            "roles/viewer"})


def _reachable(graph: TrustGraph, start: str) -> list[list[str]]:
    """Paths (node lists) from ``start`` to every node it can become (BFS, each node once)."""
    arcs = graph.arcs()
    paths = {start: [start]}
    queue = deque([start])
    while queue:
        n = queue.popleft()
        for e in arcs.get(n, []):
            if e.source_node not in paths:
                paths[e.source_node] = paths[n] + [e.source_node]
                queue.append(e.source_node)
    return list(paths.values())


def _can_read(graph: TrustGraph, node: str, store: Any) -> bool:
    ix = graph.index
    if ix is None:
        return False
    ident = ix.by_key.get(node)
    if store.type == "aws.s3.bucket" and ident is not None and ident.type == "aws.iam.role":
        name = str(store.config.get("Name") or store.name or store.native_id.split(":::")[-1])
        return aws_can_read_object(ident, ix, name)
    if store.type == "azure.storage.account" and ident is not None and ident.type == "azure.identity.user_assigned":
        pid = str((ident.config.get("properties") or {}).get("principalId") or "").lower()
        target = str(store.config.get("id") or store.native_id).lower()
        for a in ix.azure_assignments_by_principal.get(pid, []):
            p = a.config.get("properties") or {}
            scope = str(p.get("scope") or "").lower().rstrip("/")
            if role_guid(p.get("roleDefinitionId")) in DATA_READ_ROLES and scope and (
                    target == scope or target.startswith(scope + "/")):
                return True
        return False
    if store.type == "gcp.storage.bucket":
        email = str(ident.config.get("email") or "").lower() if ident is not None and ident.type == "gcp.iam.service_account" else None
        for b in _bindings(store.config.get("iamPolicy")):
            if str(b.get("role")) not in GCS_READ_ROLES or b.get("condition"):
                continue
            for m in b.get("members") or []:
                m = str(m)
                if email and m.lower() == f"serviceaccount:{email}":
                    return True
                mm = MEMBER_RX.match(m)
                if mm and node.startswith("gcp.wif_pool|") and ix.pool_node(mm.group("project"), mm.group("pool")) == node:
                    return True
    return False


def _may_read(graph: TrustGraph, node: str, store_type: str) -> bool:
    """A necessary condition for ``_can_read(node, s)`` for every store ``s`` of this type, cheap
    and per node: so each store is tried only against identities that could read such stores at
    all, not against everything a located issuer reaches (that was stores x identities)."""
    ix = graph.index
    ident = ix.by_key.get(node) if ix is not None else None
    if store_type == "aws.s3.bucket":
        if ident is None or ident.type != "aws.iam.role":
            return False
        memo = ("aws_principal_policies", ident.resource_key)
        if memo not in ix.derived:
            ix.derived[memo] = aws_principal_policies(ident, ix)
        docs, admin_attached = ix.derived[memo]
        return admin_attached or any(
            st.effect == "Allow" and (st.not_actions is not None or action_matches(st.actions or (), "s3:GetObject"))
            for d in docs for st in d.statements)
    if store_type == "azure.storage.account":
        if ident is None or ident.type != "azure.identity.user_assigned":
            return False
        pid = str((ident.config.get("properties") or {}).get("principalId") or "").lower()
        return any(role_guid((a.config.get("properties") or {}).get("roleDefinitionId")) in DATA_READ_ROLES
                   for a in ix.azure_assignments_by_principal.get(pid, []))
    if store_type == "gcp.storage.bucket":
        return node.startswith("gcp.wif_pool|") or (ident is not None and ident.type == "gcp.iam.service_account")
    return False


def _candidates(graph: TrustGraph, issuer_node: str, paths: list[list[str]], store_type: str) -> list[list[str]]:
    """The issuer's paths that end at an identity able to read some store of this type (once per audit)."""
    ix = graph.index
    if ix is None:
        return []
    key = ("residency_readers", issuer_node, store_type)
    if key not in ix.derived:
        ix.derived[key] = [p for p in paths if _may_read(graph, p[-1], store_type)]
    return ix.derived[key]


def located_reach(graph: TrustGraph) -> list[tuple[str, Place, list[list[str]]]]:
    """(issuer node, where its workloads run, every path it can become) for located issuers."""
    located = {}
    for e in graph.edges:
        region = e.details.get("issuer_region")
        if region and e.trusted_provider in ("aws", "gcp", "azure"):
            located[e.trusted_node] = place("member", e.trusted_provider, str(region))
    return [(node, where, _reachable(graph, node)) for node, where in sorted(located.items())]


def foreign_access(graph: TrustGraph, reach: list[tuple[str, Place, list[list[str]]]], store: Any,
                   classification: str, allowed: frozenset[str]) -> Result | None:
    """FAIL / PASS / UNKNOWN for located identities that can read ``store``; None when none can."""
    out: Result | None = None
    for issuer_node, where, paths in reach:
        ok = permits(allowed, where)  # a property of the issuer's place: one readable path decides it
        status = FAIL if ok is False else PASS if ok else UNKNOWN
        if out is not None and (out.status == FAIL or status == PASS):
            continue  # cannot change the verdict: skip the (stores x identities) reads
        path = next((p for p in _candidates(graph, issuer_node, paths, store.type)
                     if _can_read(graph, p[-1], store)), None)
        if path is None:
            continue
        ev = {"classification": classification, "allowed": sorted(allowed), "identity_issuer": issuer_node,
              "identity_region": where.region, "identity_country": where.country, "path": path}
        out = Result(status, f"workloads of {issuer_node} ({where.region}, {where.country}) can read this "
                             f"{classification} data via {' -> '.join(path[1:])}", ev)
        if status == FAIL:
            break
    return out
