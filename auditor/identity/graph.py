"""The per-snapshot trust graph: extraction, chains across clouds, persistence, DOT text.

Arcs run in the direction of *capability*: from the trusted identity to the trusting
resource ("a token of X can become Y"). A chain is a path along those arcs; it is found by
depth-first search that never revisits a node on the current path (cycle safety), is bounded
in depth and in the number of chains reported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import IO, Any, Iterable, Iterator

from sqlalchemy import Engine, delete

from auditor.canonical import canonical_json
from auditor.identity.dot import render_dot
from auditor.identity.edges import TrustEdge
from auditor.identity.estate import Estate
from auditor.identity.extract_aws import RESOURCE_POLICIES, AwsExtractor
from auditor.identity.extract_azure import AzureExtractor
from auditor.identity.extract_gcp import GcpExtractor
from auditor.identity.index import Index, Res
from auditor.identity.permissions import aws_is_admin
from auditor.jsonstream import dumps_json, write_json_array
from auditor.model import make_key

log = logging.getLogger(__name__)

MAX_DEPTH = 8
MAX_CHAINS = 5000


@dataclass(slots=True)
class Chain:
    nodes: list[str]
    edges: list[TrustEdge]
    reaches_admin: bool

    @property
    def providers(self) -> list[str]:
        seen: list[str] = []
        for e in self.edges:
            for p in (e.trusted_provider, e.source_provider):
                if p not in seen:
                    seen.append(p)
        return seen

    @property
    def cross_cloud(self) -> bool:
        return len({p for p in self.providers if p in ("aws", "gcp", "azure")}) > 1

    @property
    def external(self) -> bool:
        return any(e.external for e in self.edges)

    def as_dict(self) -> dict[str, Any]:
        return {
            "nodes": self.nodes, "providers": self.providers, "cross_cloud": self.cross_cloud,
            "external": self.external, "reaches_admin": self.reaches_admin,
            "hops": [{"edge_id": e.edge_id, "from": self.nodes[i], "to": self.nodes[i + 1], "mechanism": e.mechanism,
                      "conditions": e.conditions} for i, e in enumerate(self.edges)],
        }

    def text(self) -> str:
        out = [self.nodes[0]]
        for e, n in zip(self.edges, self.nodes[1:]):
            out.append(f" -[{e.mechanism}: {e.conditions_text()}]-> {n}")
        return "".join(out) + (" => ADMIN" if self.reaches_admin else "")


@dataclass(slots=True)
class TrustGraph:
    snapshot_id: int | None
    edges: list[TrustEdge] = field(default_factory=list)
    admin_nodes: set[str] = field(default_factory=set)
    node_provider: dict[str, str] = field(default_factory=dict)  # nodes outside the index: see provider_of
    malformed: dict[str, list[str]] = field(default_factory=dict)
    index: Index | None = None
    _chains: list[Chain] | None = None

    def provider_of(self, node: str) -> str:
        """The cloud or issuer a node belongs to ("" if unknown): an indexed resource's own
        provider, else what the edges naming it say (kept only for those nodes)."""
        entry = self.index.by_key.get(node) if self.index is not None else None
        return entry.provider if entry is not None else self.node_provider.get(node, "")

    def arcs(self) -> dict[str, list[TrustEdge]]:
        """trusted node -> edges whose source that identity can become."""
        out: dict[str, list[TrustEdge]] = {}
        for e in self.edges:
            out.setdefault(e.trusted_node, []).append(e)
        for v in out.values():
            v.sort(key=lambda e: (e.source_node, e.edge_id))
        return out

    def chains(self, *, max_depth: int = MAX_DEPTH, limit: int = MAX_CHAINS) -> list[Chain]:
        """Maximal capability paths of two or more hops, and every path that reaches an admin node."""
        if self._chains is not None:
            return self._chains
        arcs = self.arcs()
        targets = {e.source_node for e in self.edges}
        roots = sorted(n for n in arcs if n not in targets) or sorted(arcs)
        found: list[Chain] = []

        def walk(node: str, path: list[str], used: list[TrustEdge]) -> Iterator[Chain]:
            nexts = [e for e in arcs.get(node, []) if e.source_node not in path]  # never revisit: cycle-safe
            is_admin = node in self.admin_nodes
            if used and (is_admin or not nexts or len(used) >= max_depth) and (len(used) >= 2 or is_admin):
                yield Chain(nodes=list(path), edges=list(used), reaches_admin=is_admin)
            if len(used) >= max_depth:
                return
            for e in nexts:
                path.append(e.source_node)
                used.append(e)
                yield from walk(e.source_node, path, used)
                path.pop()
                used.pop()

        on_cycles_only = self._cycle_only_nodes(arcs, roots) if roots else set()
        starts = roots + sorted(n for n in arcs if n in on_cycles_only)
        for root in starts:
            for chain in walk(root, [root], []):
                found.append(chain)
                if len(found) >= limit:
                    log.warning("trust chains truncated at %d", limit)
                    self._chains = found
                    return found
        self._chains = found
        return found

    @staticmethod
    def _cycle_only_nodes(arcs: dict[str, list[TrustEdge]], roots: list[str]) -> set[str]:
        """Nodes not reachable from any root (they sit on cycles only): walk from them too."""
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            stack.extend(e.source_node for e in arcs.get(n, []))
        return {n for n in arcs if n not in seen}

    def to_dot(self) -> str:
        return render_dot(self)

    def as_dict(self) -> dict[str, Any]:
        return {"snapshot_id": self.snapshot_id, "edges": [e.as_dict() for e in self.edges],
                "chains": [c.as_dict() for c in self.chains()], "admin_nodes": sorted(self.admin_nodes)}

    def write_json(self, out: IO[str]) -> None:
        """:meth:`as_dict` as the CLI prints it (orjson, two-space indent, sorted keys), the
        same text, written an edge and a chain at a time: at a million resources the whole
        document, built then serialised, took gigabytes."""
        out.write("{\n")
        parts: list[tuple[str, Iterable[Any]]] = [
            ("admin_nodes", sorted(self.admin_nodes)), ("chains", (c.as_dict() for c in self.chains())),
            ("edges", (e.as_dict() for e in self.edges))]
        for name, items in parts:  # the keys in sorted order, as OPT_SORT_KEYS puts them
            out.write(f'  "{name}": ')
            write_json_array(out, items, "    ")
            out.write(",\n")
        out.write(f'  "snapshot_id": {dumps_json(self.snapshot_id)}\n}}\n')


def _estate(config: Any) -> Estate:
    return Estate.from_config(getattr(config, "estate", None))


def build_from_resources(resources: Iterable[Any], config: Any, snapshot_id: int | None = None) -> TrustGraph:
    """Extract every trust edge from stored resources (anything with StoredResource's fields)."""
    ix = Index(estate=_estate(config))
    for r in resources:
        ix.add(Res.of(r))
    return graph_from_index(ix, snapshot_id)


def graph_from_index(ix: Index, snapshot_id: int | None) -> TrustGraph:
    g = TrustGraph(snapshot_id=snapshot_id, index=ix)
    aws, gcp, azure = AwsExtractor(ix), GcpExtractor(ix), AzureExtractor(ix)
    admin_emails: set[str] = set()
    for r in sorted(ix.by_key.values(), key=lambda r: r.resource_key):
        try:
            if r.type == "aws.iam.role":
                g.edges.extend(aws.role_edges(r, g.malformed))
                if aws_is_admin(r, ix):
                    g.admin_nodes.add(r.resource_key)
            elif r.type in RESOURCE_POLICIES:
                g.edges.extend(aws.resource_policy_edges(r, {}))  # malformed: the storage facet says it
            elif r.type == "gcp.iam.workload_identity_provider":
                g.edges.extend(gcp.provider_edges(r))
            elif r.type == "gcp.iam.service_account":
                g.edges.extend(gcp.service_account_edges(r))
            elif r.type == "gcp.iam.project_policy":
                g.edges.extend(gcp.project_policy_edges(r))
                admin_emails |= gcp.admin_service_accounts(r)
            elif r.type == "azure.identity.federated_credential":
                g.edges.extend(azure.fic_edges(r))
            elif r.type == "azure.resources.subscription":
                g.edges.extend(azure.lighthouse_edges(r))
            elif r.type == "azure.authorization.role_assignment":
                g.edges.extend(azure.assignment_edges(r))
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # A config shape we did not expect is a malformed-document finding, never a crash.
            g.malformed.setdefault(r.resource_key, []).append(f"could not read trust configuration: {exc!r}")
    for email in admin_emails:
        sa = ix.gcp_sa_by_email.get(email)
        g.admin_nodes.add(sa.resource_key if sa else make_key("gcp", "gcp.iam.service_account", email))
    for e in g.edges:
        if e.details.get("privileged"):
            g.admin_nodes.add(e.source_node)
        for node, provider in ((e.source_node, e.source_provider), (e.trusted_node, e.trusted_provider)):
            if node not in ix.by_key:  # an indexed resource's provider is its own (provider_of)
                g.node_provider.setdefault(node, provider)
    _share_repeats(g.edges)
    g.edges.sort(key=lambda e: (e.source_key, e.mechanism, e.trusted_id, e.edge_id))
    return g


def _share_repeats(edges: list[TrustEdge]) -> None:
    """One copy of each repeated string of the edges (issuers, accounts, audiences, role
    names, messages): every edge parsed its own from its resource's config, and the graph
    lives for the whole check. Lists are walked once however many edges share them."""
    memo: dict[str, str] = {}
    walked: set[int] = set()  # non-empty lists seen (e.g. an identity's federated_from, shared)
    one = memo.setdefault

    def walk(o: Any) -> None:
        if type(o) is dict:
            for k, v in o.items():
                if type(v) is str:
                    o[k] = one(v, v)
                elif type(v) is dict or type(v) is list:
                    walk(v)
        elif type(o) is list and o and id(o) not in walked:
            walked.add(id(o))
            for i, v in enumerate(o):
                if type(v) is str:
                    o[i] = one(v, v)
                elif type(v) is dict or type(v) is list:
                    walk(v)

    for e in edges:
        e.trusted_kind, e.trusted_id = one(e.trusted_kind, e.trusted_kind), one(e.trusted_id, e.trusted_id)
        e.source_node, e.trusted_node = one(e.source_node, e.source_node), one(e.trusted_node, e.trusted_node)
        walk(e.conditions)
        walk(e.details)


def persist_edges(engine: Engine, graph: TrustGraph) -> None:
    from auditor.store.schema import trust_edges

    if graph.snapshot_id is None:
        return
    def rows():  # type: ignore[no-untyped-def]
        seen: set[str] = set()
        for e in graph.edges:
            d = e.as_dict()
            if d["edge_id"] in seen:
                continue
            seen.add(d["edge_id"])
            yield {"snapshot_id": graph.snapshot_id, "edge_id": d["edge_id"], "source_key": e.source_key,
                   "source_provider": e.source_provider, "mechanism": e.mechanism, "trusted_kind": e.trusted_kind,
                   "trusted_id": e.trusted_id, "trusted_provider": e.trusted_provider,
                   "conditions": canonical_json(e.conditions), "cross_cloud": e.cross_cloud,
                   "external": e.external, "details": canonical_json(d["details"])}

    from auditor.store.engine import small_sqlite_cache

    with engine.begin() as c, small_sqlite_cache(c):  # appended rows: no need for a hot cache
        c.execute(delete(trust_edges).where(trust_edges.c.snapshot_id == graph.snapshot_id))
        chunk: list[dict[str, Any]] = []
        size = 0
        for row in rows():  # stored per chunk: never a serialised copy of the whole graph in memory
            chunk.append(row)
            # A chunk also ends at 4 MB of JSON: an assignment's details list every credential
            # its identity federates from (shared in memory, one copy per stored row), and 500
            # such rows made the peak of a large check.
            size += len(row["details"]) + len(row["conditions"])
            if len(chunk) >= 500 or size >= 4 << 20:
                c.execute(trust_edges.insert(), chunk)
                chunk, size = [], 0
        if chunk:
            c.execute(trust_edges.insert(), chunk)


def build_trust_graph(engine: Engine, config: Any, snapshot_id: int, *, persist: bool = True) -> TrustGraph:
    """Build (and by default store in ``trust_edges``) the trust graph of one snapshot."""
    from auditor.store.read import iter_resources

    ix = Index(estate=_estate(config))
    for r in iter_resources(engine, snapshot_id):
        # Every resource teaches the estate its account; only identity resources are kept.
        ix.add(Res.of(r))
    graph = graph_from_index(ix, snapshot_id)
    if persist:
        persist_edges(engine, graph)
    return graph
