"""The rule engine: every selected rule of the registry over one snapshot, stored as findings.

Two streaming passes over the snapshot: the first builds the identity index and the trust
graph (once per audit); the second gives each resource to every rule whose scope covers it.
Memory follows the identity estate, not the whole estate.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Engine, delete

from auditor.canonical import canonical_json
from auditor.errors import UsageError
from auditor.identity.estate import Estate
from auditor.identity.graph import TrustGraph, graph_from_index, persist_edges
from auditor.identity.index import Index, Res
from auditor.residency.policy import ResidencyPolicy
from auditor.rules.identity import graph_keys
from auditor.rules.registry import Rule, RuleContext, observers, select
from auditor.rules.verdict import STATUS_WEIGHT, UNKNOWN, Finding, Result, failing_at_or_above, severity_rank

log = logging.getLogger(__name__)
__all__ = ["evaluate", "run_checks", "persist_findings", "failing_at_or_above", "make_context", "chosen_rules"]


def chosen_rules(config: Any, rules: list[str] | None) -> list[Rule]:
    chosen = select(rules, list(getattr(config.checks, "disabled_rules", []) or []))
    if rules and not chosen:
        raise UsageError(f"no rule matches {rules!r}; see `auditor check --list-rules`")
    return chosen


def make_context(config: Any, *, as_of: datetime | None = None, graph: TrustGraph | None = None) -> RuleContext:
    """The context every rule reads: config, snapshot time, classification, estate and trust graph."""
    policy = ResidencyPolicy.from_config(config.residency)
    estate = graph.index.estate if graph is not None and graph.index is not None else \
        Estate.from_config(getattr(config, "estate", None))
    return RuleContext(config=config, as_of=as_of, estate=estate, graph=graph,
                       classify=lambda res: policy.classification(getattr(res, "tags", None)))


class _Findings:
    """Turns Results into Findings, one per (rule, resource); a later verdict never hides a FAIL."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], Finding] = {}
        # One mapping per rule, shared by its findings (read-only): a copy per finding grew
        # with every framework table and dominated a large check's memory.
        self._frameworks: dict[str, dict[str, list[str]]] = {}

    def _mapping(self, rule: Rule) -> dict[str, list[str]]:
        if rule.id not in self._frameworks:
            self._frameworks[rule.id] = rule.frameworks
        return self._frameworks[rule.id]

    def add(self, rule: Rule, res: Any, result: Result) -> None:
        status, message = result.status, result.message
        if getattr(res, "state", "present") == "unknown" and status != UNKNOWN:
            # The resource's unit did not complete this snapshot: what we hold may be stale.
            message = f"resource state unknown in this snapshot (collection incomplete); last seen: {message}"
            status = UNKNOWN
        f = Finding(rule_id=rule.id, title=rule.title, severity=result.severity or rule.severity, status=status,
                    provider=getattr(res, "provider", None) or None, account=getattr(res, "account", None) or None,
                    region=getattr(res, "region", None) or None, resource_key=res.resource_key,
                    native_id=getattr(res, "native_id", None) or None, message=message, evidence=result.evidence,
                    frameworks=self._mapping(rule))
        prev = self.by_key.get((rule.id, res.resource_key))
        if prev is None or STATUS_WEIGHT[f.status] > STATUS_WEIGHT[prev.status]:
            self.by_key[(rule.id, res.resource_key)] = f


def _stub(key: str, graph: TrustGraph) -> Res:
    """A graph node that is not a stored resource (e.g. an admin identity outside the snapshot)."""
    return Res(key, graph.node_provider.get(key, ""), "", "", "", "", None, {}, {}, {})


def evaluate(resources_pass1: Iterable[Any], resources_pass2: Iterable[Any], config: Any, *,
             rules: list[str] | None = None, snapshot_id: int | None = None,
             as_of: datetime | None = None) -> tuple[list[Finding], TrustGraph]:
    """Run the selected rules over two iterations of the same resources (see module doc).

    ``as_of`` is the snapshot's time: key ages are measured against it, not the wall clock.
    """
    chosen = chosen_rules(config, rules)
    ix = Index(estate=Estate.from_config(getattr(config, "estate", None)))
    seen_first: dict[str, Any] = {}
    watchers = observers()
    for r in resources_pass1:
        res = Res.of(r)
        ix.add(res)
        for watch in watchers:
            watch(seen_first, res)
    graph = graph_from_index(ix, snapshot_id)
    ctx = make_context(config, as_of=as_of, graph=graph)
    ctx.cache.update(seen_first)
    out = _Findings()
    seen: set[str] = set()
    for r in resources_pass2:
        res = Res.of(r)
        seen.add(res.resource_key)
        for rule in chosen:
            result = rule.judge(res, ctx)
            if result is not None:
                out.add(rule, res, result)
    identity = [r for r in chosen if r.kind == "identity"]
    for key in sorted(graph_keys(ctx) - seen) if identity else ():
        stub = _stub(key, graph)
        for rule in identity:
            result = rule.judge(stub, ctx)
            if result is not None:
                out.add(rule, stub, result)
    findings = sorted(out.by_key.values(), key=lambda f: (-severity_rank(f.severity), f.status != "FAIL",
                                                          f.rule_id, f.resource_key))
    return findings, graph


def persist_findings(engine: Engine, snapshot_id: int, findings: list[Finding], rule_ids: Iterable[str]) -> None:
    """Replace this snapshot's findings of the rules that ran (re-running is idempotent)."""
    from auditor.store.schema import findings as table

    mapped: dict[str, str] = {}  # rule id -> its frameworks as stored (the same for all its findings)

    def row(f: Finding) -> dict[str, Any]:
        if f.rule_id not in mapped:
            mapped[f.rule_id] = canonical_json(f.frameworks)
        return {"snapshot_id": snapshot_id, **{k: v for k, v in f.as_dict().items() if k not in ("evidence", "frameworks")},
                "evidence": canonical_json(f.evidence), "frameworks": mapped[f.rule_id]}

    with engine.begin() as c:
        c.execute(delete(table).where(table.c.snapshot_id == snapshot_id, table.c.rule_id.in_(list(rule_ids))))
        for i in range(0, len(findings), 500):  # rows made per chunk: never a second copy of every finding
            c.execute(table.insert(), [row(f) for f in findings[i:i + 500]])


def snapshot_time(engine: Engine, snapshot_id: int) -> datetime | None:
    from auditor.store.read import get_snapshot

    as_of = (get_snapshot(engine, snapshot_id) or {}).get("started_at")
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    return as_of


def run_checks(engine: Engine, config: Any, snapshot_id: int, *, rules: list[str] | None = None,
               persist: bool = True) -> list[Finding]:
    """Run posture, identity and residency rules on a snapshot; store findings and trust edges."""
    return run_checks_with_graph(engine, config, snapshot_id, rules=rules, persist=persist)[0]


def run_checks_with_graph(engine: Engine, config: Any, snapshot_id: int, *, rules: list[str] | None = None,
                          persist: bool = True) -> tuple[list[Finding], TrustGraph]:
    """As :func:`run_checks`, also returning the trust graph it built (so an audit builds it once)."""
    from auditor.store.read import iter_resources

    findings, graph = evaluate(iter_resources(engine, snapshot_id), iter_resources(engine, snapshot_id), config,
                               rules=rules, snapshot_id=snapshot_id, as_of=snapshot_time(engine, snapshot_id))
    if persist:
        persist_findings(engine, snapshot_id, findings, [r.id for r in chosen_rules(config, rules)])
        persist_edges(engine, graph)
    return findings, graph
