"""The rule engine: posture, residency and identity rules over one snapshot, stored as findings.

Two streaming passes over the snapshot: the first builds the identity index (only identity
resources are kept) and the S3 bucket -> region map replication needs; the second judges
each resource and keeps only the few restricted storage resources the identity-residency
rule needs. Memory follows the identity estate, not the whole estate.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Engine, delete

from auditor.canonical import canonical_json
from auditor.checks.finding import Finding
from auditor.checks.identity_rules import chain_results, edge_results, malformed_results
from auditor.checks.posture import AS_OF, POSTURE_RULES, storage_customer_key
from auditor.checks.result import UNKNOWN, Result
from auditor.checks.rules import RULES, SEVERITY_RANK, Rule, select
from auditor.errors import UsageError
from auditor.identity.estate import Estate
from auditor.identity.graph import TrustGraph, graph_from_index, persist_edges
from auditor.identity.index import Index, Res
from auditor.residency.access import RULE_ID as FOREIGN_ACCESS_RULE, foreign_access_results
from auditor.residency.evaluate import STORAGE_TYPES, evaluate_resource
from auditor.residency.policy import ANYWHERE, ResidencyPolicy

log = logging.getLogger(__name__)


def _bucket_name(r: Any) -> str:
    cfg = r.config if isinstance(r.config, dict) else {}
    return str(cfg.get("Name") or r.name or r.native_id.split(":::")[-1])


class _Collector:
    """Turns Results into Findings, one per (rule, resource); a later verdict never hides a FAIL."""

    def __init__(self, rules: list[Rule]) -> None:
        self.wanted = {r.id for r in rules}
        self.findings: dict[tuple[str, str], Finding] = {}

    def add(self, res: Any, result: Result, *, resource_key: str | None = None) -> None:
        if result.rule_id not in self.wanted:
            return
        rule = RULES[result.rule_id]
        key = resource_key or res.resource_key
        status = result.status
        message = result.message
        if res is not None and getattr(res, "state", "present") == "unknown" and status != UNKNOWN:
            # The resource's unit did not complete this snapshot: what we hold may be stale.
            message = f"resource state unknown in this snapshot (collection incomplete); last seen: {message}"
            status = UNKNOWN
        f = Finding(rule_id=rule.id, title=rule.title, severity=result.severity or rule.severity, status=status,
                    provider=getattr(res, "provider", None), account=getattr(res, "account", None),
                    region=getattr(res, "region", None), resource_key=key,
                    native_id=getattr(res, "native_id", None), message=message, evidence=result.evidence,
                    frameworks={k: list(v) for k, v in rule.frameworks.items()})
        prev = self.findings.get((rule.id, key))
        order = {"FAIL": 2, "UNKNOWN": 1, "PASS": 0}
        if prev is None or order[f.status] > order[prev.status]:
            self.findings[(rule.id, key)] = f


def evaluate(resources_pass1: Iterable[Any], resources_pass2: Iterable[Any], config: Any, *,
             rules: list[str] | None = None, snapshot_id: int | None = None,
             as_of: datetime | None = None) -> tuple[list[Finding], TrustGraph]:
    """Run the selected rules over two iterations of the same resources (see module doc).

    ``as_of`` is the snapshot's time: key ages are measured against it, not the wall clock.
    """
    token = AS_OF.set(as_of)
    try:
        return _evaluate(resources_pass1, resources_pass2, config, rules=rules, snapshot_id=snapshot_id)
    finally:
        AS_OF.reset(token)


def _evaluate(resources_pass1: Iterable[Any], resources_pass2: Iterable[Any], config: Any, *,
              rules: list[str] | None, snapshot_id: int | None) -> tuple[list[Finding], TrustGraph]:
    chosen = select(rules, list(getattr(config.checks, "disabled_rules", []) or []))
    if rules and not chosen:
        raise UsageError(f"no rule matches {rules!r}; see `auditor check --list-rules`")
    ids = {r.id for r in chosen}
    out = _Collector(chosen)
    policy = ResidencyPolicy.from_config(config.residency)

    ix = Index(estate=Estate.from_config(getattr(config, "estate", None)))
    bucket_regions: dict[str, str] = {}
    for r in resources_pass1:
        ix.add(Res.of(r))
        if r.type == "aws.s3.bucket" and r.region and r.region != "global":
            bucket_regions[_bucket_name(r)] = r.region
    graph = graph_from_index(ix, snapshot_id)

    restricted: list[tuple[Any, str, frozenset[str]]] = []
    posture = [(rid, fn) for rid, fn in POSTURE_RULES.items() if rid in ids]
    for r in resources_pass2:
        res = Res.of(r)
        for _, fn in posture:
            result = fn(res, config)
            if result is not None:
                out.add(res, result)
        classification = policy.classification(res.tags) if res.category == "storage" else None
        if "storage.customer_key_required" in ids:
            result = storage_customer_key(res, config, classification)
            if result is not None:
                out.add(res, result)
        for result in evaluate_resource(res, policy, bucket_regions):
            out.add(res, result)
        if FOREIGN_ACCESS_RULE in ids and res.type in STORAGE_TYPES and classification:
            allowed = policy.allowed_for(classification)
            if allowed is not None and ANYWHERE not in allowed:
                restricted.append((res, classification, allowed))

    for key, result in foreign_access_results(graph, restricted).items():
        out.add(next((s for s, _, _ in restricted if s.resource_key == key), None), result, resource_key=key)
    for key, result in (*edge_results(graph, chosen), *malformed_results(graph), *chain_results(graph)):
        res = ix.by_key.get(key)
        out.add(res, result, resource_key=key)
    findings = sorted(out.findings.values(),
                      key=lambda f: (-SEVERITY_RANK[f.severity], f.status != "FAIL", f.rule_id, f.resource_key))
    return findings, graph


def persist_findings(engine: Engine, snapshot_id: int, findings: list[Finding], rule_ids: Iterable[str]) -> None:
    """Replace this snapshot's findings of the rules that ran (re-running is idempotent)."""
    from auditor.store.schema import findings as table

    rows = [{"snapshot_id": snapshot_id, **{k: v for k, v in f.as_dict().items() if k not in ("evidence", "frameworks")},
             "evidence": canonical_json(f.evidence), "frameworks": canonical_json(f.frameworks)} for f in findings]
    with engine.begin() as c:
        c.execute(delete(table).where(table.c.snapshot_id == snapshot_id, table.c.rule_id.in_(list(rule_ids))))
        for i in range(0, len(rows), 500):
            c.execute(table.insert(), rows[i:i + 500])


def run_checks(engine: Engine, config: Any, snapshot_id: int, *, rules: list[str] | None = None,
               persist: bool = True) -> list[Finding]:
    """Run posture, identity and residency rules on a snapshot; store findings and trust edges."""
    from auditor.store.read import get_snapshot, iter_resources

    snap = get_snapshot(engine, snapshot_id) or {}
    as_of = snap.get("started_at")
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=timezone.utc)
    findings, graph = evaluate(iter_resources(engine, snapshot_id), iter_resources(engine, snapshot_id), config,
                               rules=rules, snapshot_id=snapshot_id, as_of=as_of)
    if persist:
        chosen = select(rules, list(getattr(config.checks, "disabled_rules", []) or []))
        persist_findings(engine, snapshot_id, findings, [r.id for r in chosen])
        persist_edges(engine, graph)
    return findings


def failing_at_or_above(findings: Iterable[Finding], threshold: str) -> list[Finding]:
    if threshold == "none":
        return []
    floor = SEVERITY_RANK[threshold]
    return [f for f in findings if f.status == "FAIL" and SEVERITY_RANK[f.severity] >= floor]
