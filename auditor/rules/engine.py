"""The rule engine: every selected rule of the registry over one snapshot, stored as findings.

Two streaming passes over the snapshot: the first builds the identity index and the trust
graph (once per audit); the second gives each resource to every rule whose scope covers it
and hands its findings on as soon as they are complete (:func:`check_snapshot` writes them to
the store in batches and keeps counts). Memory follows the identity estate, not the whole
estate nor the number of findings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

import orjson
from sqlalchemy import Engine, case, delete, select as sql_select

from auditor.canonical import canonical_json
from auditor.errors import UsageError
from auditor.identity.estate import Estate
from auditor.identity.graph import TrustGraph, graph_from_index, persist_edges
from auditor.identity.index import Index, Res
from auditor.residency.policy import ResidencyPolicy
from auditor.rules.identity import graph_keys
from auditor.rules.registry import Rule, RuleContext, observers, select
from auditor.rules.verdict import (
    SEVERITIES, STATUS_WEIGHT, UNKNOWN, Finding, Result, at_or_above, failing_at_or_above, severity_rank,
)
from auditor.store.engine import release_sqlite_cache

log = logging.getLogger(__name__)
__all__ = ["evaluate", "evaluate_stream", "run_checks", "check_snapshot", "read_findings", "CheckSummary", "persist_findings", "failing_at_or_above", "make_context", "chosen_rules"]


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

    def make(self, rule: Rule, res: Any, result: Result) -> Finding:
        status, message = result.status, result.message
        if getattr(res, "state", "present") == "unknown" and status != UNKNOWN:
            # The resource's unit did not complete this snapshot: what we hold may be stale.
            message = f"resource state unknown in this snapshot (collection incomplete); last seen: {message}"
            status = UNKNOWN
        return Finding(rule_id=rule.id, title=rule.title, severity=result.severity or rule.severity, status=status,
                       provider=getattr(res, "provider", None) or None, account=getattr(res, "account", None) or None,
                       region=getattr(res, "region", None) or None, resource_key=res.resource_key,
                       native_id=getattr(res, "native_id", None) or None, message=message, evidence=result.evidence,
                       frameworks=self._mapping(rule))

    def add(self, rule: Rule, res: Any, result: Result) -> None:
        f = self.make(rule, res, result)
        prev = self.by_key.get((rule.id, res.resource_key))
        if prev is None or STATUS_WEIGHT[f.status] > STATUS_WEIGHT[prev.status]:
            self.by_key[(rule.id, res.resource_key)] = f

    def take(self) -> list[Finding]:
        """The findings held so far (and forget them)."""
        out, self.by_key = list(self.by_key.values()), {}
        return out


def _stub(key: str, graph: TrustGraph) -> Res:
    """A graph node that is not a stored resource (e.g. an admin identity outside the snapshot)."""
    return Res(key, graph.provider_of(key), "", "", "", "", None, {}, {}, {})


def finding_order(f: Finding) -> tuple[int, bool, str, str]:
    """How findings are listed: most severe first, FAIL before the rest, then rule and resource."""
    return (-severity_rank(f.severity), f.status != "FAIL", f.rule_id, f.resource_key)


def evaluate_stream(resources_pass1: Iterable[Any], resources_pass2: Iterable[Any], config: Any,
                    emit: Callable[[list[Finding]], None], *, rules: list[str] | None = None,
                    snapshot_id: int | None = None, as_of: datetime | None = None) -> TrustGraph:
    """Run the selected rules over two iterations of the same resources (see module doc),
    handing ``emit`` the findings of each resource as soon as its verdicts are complete.

    Pass 2 must give the rows of one resource key together (the store orders them by key);
    then nothing but the current resource's findings is held, whatever the estate's size.
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
    identity = [r for r in chosen if r.kind == "identity"]
    # Graph nodes no stored resource stands for are judged at the end; only those keys are
    # remembered (a set of every key would grow with the estate).
    stubs = graph_keys(ctx) if identity else set()
    out = _Findings()
    current: str | None = None
    for r in resources_pass2:
        res = Res.of(r)
        if res.resource_key != current:
            if out.by_key:
                emit(out.take())
            current = res.resource_key
        stubs.discard(res.resource_key)
        for rule in chosen:
            result = rule.judge(res, ctx)
            if result is not None:
                out.add(rule, res, result)
    if out.by_key:
        emit(out.take())
    for key in sorted(stubs):
        stub = _stub(key, graph)
        for rule in identity:
            result = rule.judge(stub, ctx)
            if result is not None:
                out.add(rule, stub, result)
        if out.by_key:
            emit(out.take())
    return graph


def evaluate(resources_pass1: Iterable[Any], resources_pass2: Iterable[Any], config: Any, *,
             rules: list[str] | None = None, snapshot_id: int | None = None,
             as_of: datetime | None = None) -> tuple[list[Finding], TrustGraph]:
    """:func:`evaluate_stream` with every finding kept and sorted (tests and small estates).

    Resources may come in any order here: a later verdict about the same (rule, resource)
    never hides a FAIL."""
    held: dict[tuple[str, str], Finding] = {}

    def keep(batch: list[Finding]) -> None:
        for f in batch:
            prev = held.get((f.rule_id, f.resource_key))
            if prev is None or STATUS_WEIGHT[f.status] > STATUS_WEIGHT[prev.status]:
                held[(f.rule_id, f.resource_key)] = f

    graph = evaluate_stream(resources_pass1, resources_pass2, config, keep, rules=rules,
                            snapshot_id=snapshot_id, as_of=as_of)
    return sorted(held.values(), key=finding_order), graph


def _finding_row(snapshot_id: int, mapped: dict[str, str]) -> Callable[[Finding], dict[str, Any]]:
    def row(f: Finding) -> dict[str, Any]:
        if f.rule_id not in mapped:  # rule id -> its frameworks as stored (the same for all its findings)
            mapped[f.rule_id] = canonical_json(f.frameworks)
        return {"snapshot_id": snapshot_id, **{k: v for k, v in f.as_dict().items() if k not in ("evidence", "frameworks")},
                "evidence": canonical_json(f.evidence), "frameworks": mapped[f.rule_id]}
    return row


def persist_findings(engine: Engine, snapshot_id: int, findings: list[Finding], rule_ids: Iterable[str]) -> None:
    """Replace this snapshot's findings of the rules that ran (re-running is idempotent)."""
    with FindingWriter(engine, snapshot_id, rule_ids) as w:
        w.add(findings)


@dataclass
class CheckCounts:
    """What a streamed check remembers: counts, never the findings themselves."""

    by_status: dict[str, int] = field(default_factory=dict)
    by_status_severity: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            self.by_status[f.status] = self.by_status.get(f.status, 0) + 1
            k = (f.status, f.severity)
            self.by_status_severity[k] = self.by_status_severity.get(k, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def failing_at_or_above(self, floor: str) -> int:
        """How many FAIL findings reach ``floor`` (what decides exit code 1)."""
        return sum(n for (status, sev), n in self.by_status_severity.items() if status == "FAIL" and at_or_above(sev, floor))


class FindingWriter:
    """Writes findings as they come, in batches, in one transaction: the snapshot's findings
    of the rules that ran are replaced whole or not at all (re-running is idempotent)."""

    BATCH = 2000
    # Also flushed at this many bytes of message and evidence: one finding can carry a long
    # list (e.g. every custom role of a subscription), and 2000 such rows held at once made
    # the peak of a large check.
    BATCH_BYTES = 4 << 20

    def __init__(self, engine: Engine, snapshot_id: int, rule_ids: Iterable[str]) -> None:
        self.engine, self.snapshot_id, self.rule_ids = engine, snapshot_id, list(rule_ids)
        self._row = _finding_row(snapshot_id, {})
        self._pending: list[dict[str, Any]] = []
        self._pending_bytes = 0
        self._conn: Any = None
        self._tx: Any = None
        self.counts = CheckCounts()

    def __enter__(self) -> "FindingWriter":
        from auditor.store.schema import findings as table

        self._table = table
        self._conn = self.engine.connect()
        self._tx = self._conn.begin()
        self._conn.execute(delete(table).where(table.c.snapshot_id == self.snapshot_id,
                                               table.c.rule_id.in_(self.rule_ids)))
        return self

    def add(self, findings: list[Finding]) -> None:
        self.counts.add(findings)
        for f in findings:
            row = self._row(f)
            self._pending.append(row)
            self._pending_bytes += len(row["evidence"]) + len(row["message"])
        if len(self._pending) >= self.BATCH or self._pending_bytes >= self.BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._conn.execute(self._table.insert(), self._pending)
            self._pending, self._pending_bytes = [], 0

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        try:
            if exc_type is None:
                self._flush()
                self._tx.commit()
            else:
                self._tx.rollback()
            # The findings index kept this connection's page cache full (64 MB on SQLite):
            # free it rather than hand it to the pool's next user.
            release_sqlite_cache(self._conn)
        finally:
            self._conn.close()


def snapshot_time(engine: Engine, snapshot_id: int) -> datetime | None:
    from auditor.store.read import get_snapshot

    as_of = (get_snapshot(engine, snapshot_id) or {}).get("started_at")
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    return as_of


def run_checks(engine: Engine, config: Any, snapshot_id: int, *, rules: list[str] | None = None,
               persist: bool = True) -> list[Finding]:
    """Run posture, identity and residency rules on a snapshot; store findings and trust edges.

    Returns every finding (sorted): for tests and small estates; large checks use
    :func:`check_snapshot`, which keeps counts and reads findings back from the store."""
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


@dataclass
class CheckSummary:
    """A stored check: its counts and trust-graph size; the findings themselves stay in the store."""

    snapshot_id: int
    rule_ids: list[str]
    counts: CheckCounts
    trust_edges: int

    def findings(self, engine: Engine, *, status: str | None = None, floor: str | None = None) -> Iterator[Finding]:
        """This check's findings read back from the store, in the order checks list them."""
        return read_findings(engine, self.snapshot_id, rule_ids=self.rule_ids, status=status, floor=floor)


def check_snapshot(engine: Engine, config: Any, snapshot_id: int, *, rules: list[str] | None = None) -> CheckSummary:
    """Run the rules on a snapshot, streaming: each resource's findings go to the store in
    batches as they are judged, and only counts stay in memory. Trust edges are stored too."""
    from auditor.store.read import iter_resources

    rule_ids = [r.id for r in chosen_rules(config, rules)]
    with FindingWriter(engine, snapshot_id, rule_ids) as w:
        graph = evaluate_stream(iter_resources(engine, snapshot_id), iter_resources(engine, snapshot_id), config,
                                w.add, rules=rules, snapshot_id=snapshot_id, as_of=snapshot_time(engine, snapshot_id))
    persist_edges(engine, graph)
    return CheckSummary(snapshot_id, rule_ids, w.counts, len(graph.edges))


def read_findings(engine: Engine, snapshot_id: int, *, rule_ids: Iterable[str] | None = None,
                  status: str | None = None, floor: str | None = None, chunk: int = 2000) -> Iterator[Finding]:
    """Stored findings of a snapshot as :class:`Finding`, most severe first, FAIL before the
    rest, then by rule and resource (the order :func:`evaluate` sorts in); streamed.

    ``status`` keeps one status; ``floor`` keeps severities at or above it."""
    from auditor.rules.registry import all_rules
    from auditor.store.schema import findings as t

    rank = case({s: i for i, s in enumerate(SEVERITIES)}, value=t.c.severity, else_=-1)
    rule_col, key_col = t.c.rule_id, t.c.resource_key
    if engine.dialect.name == "postgresql":  # code-point order, as Python sorts
        rule_col, key_col = rule_col.collate("C"), key_col.collate("C")
    q = sql_select(t).where(t.c.snapshot_id == snapshot_id)
    if rule_ids is not None:
        q = q.where(t.c.rule_id.in_(list(rule_ids)))
    if status:
        q = q.where(t.c.status == status)
    if floor:
        q = q.where(t.c.severity.in_([s for s in SEVERITIES if at_or_above(s, floor)]))
    q = q.order_by(rank.desc(), case((t.c.status == "FAIL", 0), else_=1), rule_col, key_col)
    known = all_rules()
    mappings: dict[str, dict[str, list[str]]] = {}
    loads = orjson.loads
    with engine.connect().execution_options(stream_results=True, yield_per=chunk) as c:
        for m in c.execute(q).mappings():
            rid = m["rule_id"]
            if rid not in mappings:  # the rule's own mapping (as evaluated), shared by its findings
                mappings[rid] = known[rid].frameworks if rid in known else loads(m["frameworks"] or "{}")
            yield Finding(rule_id=rid, title=m["title"], severity=m["severity"], status=m["status"],
                          provider=m["provider"], account=m["account"], region=m["region"],
                          resource_key=m["resource_key"], native_id=m["native_id"], message=m["message"],
                          evidence=loads(m["evidence"] or "{}"), frameworks=mappings[rid])
