"""Everything one export needs about a snapshot, read once from the store.

Every exporter works on :class:`ExportData`, never on the database, so each format is a
pure function of the same data and the outputs agree with each other. Lists are sorted
here (by stable keys) so that every file is byte-for-byte deterministic.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, timezone
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping

import orjson
from sqlalchemy import Engine, func, select

from auditor import __version__
from auditor.errors import AuditorError, UsageError
from auditor.rules.verdict import SEVERITIES, STATUSES  # re-exported for the exporters
from auditor.store.engine import small_sqlite_cache

log = logging.getLogger(__name__)

PROVIDERS = ("aws", "gcp", "azure")
RESIDENCY_PREFIX = "residency."

INVENTORY_FIELDS = (
    "resource_key", "provider", "account", "region", "location", "category", "type", "native_id",
    "name", "tags", "config", "facets", "content_hash", "state",
)
FINDING_FIELDS = (
    "finding_id", "rule_id", "title", "severity", "status", "provider", "account", "region",
    "resource_key", "native_id", "message", "evidence", "frameworks",
)
TRUST_EDGE_FIELDS = (
    "edge_id", "source_key", "source_provider", "mechanism", "trusted_kind", "trusted_id",
    "trusted_provider", "conditions", "cross_cloud", "external", "details",
)
DRIFT_FIELDS = ("resource_key", "native_id", "provider", "account", "region", "type", "change", "changes", "severity",
                "element_changes")


@dataclass(frozen=True)
class DriftData:
    """Drift of the snapshot against a baseline; ``available`` is False when there is none."""

    available: bool
    reason: str = ""  # why there is no drift report ("no baseline", ...)
    baseline: dict[str, Any] | None = None  # {id, name, version}
    items: list[dict[str, Any]] = field(default_factory=list)
    iac_coverage: list[dict[str, Any]] | None = None  # Terraform baselines only (auditor.terraform.drift)


@dataclass(frozen=True)
class ExportData:
    snapshot: dict[str, Any]  # id, status, started_at, finished_at (ISO text), tool_version
    resources: Collection[dict[str, Any]]  # re-iterable: a ResourceSource streams, a list works too
    findings: Collection[dict[str, Any]]  # re-iterable, sorted: a FindingSource streams, a list works too
    trust_edges: Collection[dict[str, Any]]  # re-iterable, sorted: a TrustEdgeSource streams, a list works too
    drift: DriftData
    rules: dict[str, dict[str, Any]]  # rule_id -> {title, severity, rationale, remediation, frameworks}
    tool_version: str = __version__
    units: Collection[dict[str, Any]] = field(default_factory=list)  # re-iterable (a UnitSource streams): unit_key, status, error, ...
    previous: dict[str, Any] | None = None  # the previous audit: {snapshot_id, failing: [(rule_id, resource_key)]}
    disabled_rules: tuple[str, ...] = ()  # config checks.disabled_rules: never evaluated, so never "no resources"

    @property
    def snapshot_id(self) -> int:
        return int(self.snapshot["id"])

    @property
    def snapshot_time(self) -> str:
        """The snapshot's own time: the only timestamp allowed inside export files."""
        return self.snapshot.get("finished_at") or self.snapshot.get("started_at") or ""

    @cached_property
    def subjects(self) -> Any:
        """Every control's subjects on disk (``SubjectIndex``), from one pass over the findings."""
        from auditor.exports.subjects import SubjectIndex

        return SubjectIndex(self.findings)

    @cached_property
    def controls(self) -> list[Any]:
        """The framework view (list of ``ControlStatus`` whose resource lists stream from
        ``subjects``), computed once for every format."""
        return self.subjects.framework_view()

    @cached_property
    def compliance(self) -> list[Any]:
        """Every CIS control's status (list of ``ControlResult``; see compliance_view), computed once.

        Stored findings say nothing about a rule that found no resource; when the snapshot
        has findings the checks ran (an audit runs every enabled rule), when it has none they
        did not, and every judged control is UNKNOWN rather than "no resources in scope".
        """
        from auditor.exports.compliance_view import indexed_compliance_view
        from auditor.exports.csv import RESOURCE_CAP
        from auditor.rules.registry import all_rules

        ran = [r for r in all_rules() if r not in self.disabled_rules] if self.findings else []
        return indexed_compliance_view(self.subjects, self.units, cap=RESOURCE_CAP, rules_run=ran)

    @cached_property
    def placement(self) -> "Placement":
        """Resource counts per provider and location, and where residency FAILs live: what the
        HTML report draws, read in one pass of three columns, never the documents. Each
        resource's location goes to the subject index (on disk), joined there with the FAILs."""
        rows = self.resources.placements() if hasattr(self.resources, "placements") else \
            ((r["resource_key"], r["provider"], r["location"]) for r in self.resources)
        out = Placement()

        def counted() -> Iterator[tuple[str, str]]:
            for key, provider, location in rows:
                loc = location or "unknown"
                out.total += 1
                out.providers[provider] += 1
                out.by_location.setdefault(loc, Counter())[provider] += 1
                yield key, loc

        self.subjects.load_locations(counted())
        out.residency_fails = Counter(self.subjects.fails_by_location(RESIDENCY_PREFIX))
        out.location_of = lambda key: self.subjects.failing_location(key, RESIDENCY_PREFIX)
        return out

    def rule(self, rule_id: str) -> dict[str, Any]:
        return self.rules.get(rule_id, {})


@dataclass
class Placement:
    total: int = 0
    providers: Counter = field(default_factory=Counter)
    by_location: dict[str, Counter] = field(default_factory=dict)
    residency_fails: Counter = field(default_factory=Counter)  # location -> residency FAIL findings there
    # resource key -> its location when a residency rule failed on it, else "unknown"
    location_of: Callable[[str | None], str] = lambda key: "unknown"


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite hands back naive datetimes; they were written as UTC
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)


def _json(text: Any) -> Any:
    if text is None or text == "":
        return {}
    if isinstance(text, (dict, list)):
        return text
    return orjson.loads(text)


def _read_snapshot(engine: Engine, snapshot_id: int) -> dict[str, Any]:
    from auditor.store.read import get_snapshot

    row = get_snapshot(engine, snapshot_id)
    if row is None:
        raise UsageError(f"snapshot {snapshot_id} does not exist")
    if row["status"] not in ("complete", "partial"):
        raise UsageError(f"snapshot {snapshot_id} is {row['status']}; only complete or partial snapshots can be exported")
    return {
        "id": int(row["id"]), "status": row["status"], "started_at": _iso(row["started_at"]),
        "finished_at": _iso(row["finished_at"]), "tool_version": row["tool_version"],
        "resource_count": row.get("resource_count"), "note": row.get("note"),
    }


class ResourceSource:
    """The snapshot's inventory, streamed from the database on every pass.

    Exports walk the inventory a few times (CSV columns, rows, HTML counts); holding an
    estate of hundreds of thousands of documents in memory for that would be the one giant
    dict DESIGN.md rules out. A plain list works wherever this does (tests pass lists).
    """

    def __init__(self, engine: Engine, snapshot_id: int) -> None:
        self.engine, self.snapshot_id = engine, snapshot_id
        self._len: int | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        from auditor.store.read import iter_resources

        for r in iter_resources(self.engine, self.snapshot_id):
            yield {k: getattr(r, k) for k in INVENTORY_FIELDS}

    def placements(self) -> Iterator[tuple[str, str, str | None]]:
        """(resource_key, provider, location) of every resource, streamed, documents not read."""
        from auditor.store.read import as_of_query

        q = as_of_query(self.snapshot_id).order_by(None).subquery()
        with self.engine.connect() as c:
            result = c.execution_options(yield_per=5000).execute(select(q.c.resource_key, q.c.provider, q.c.location))
            for row in result:
                yield row[0], row[1], row[2]

    def __len__(self) -> int:
        if self._len is None:
            from sqlalchemy import func, select

            from auditor.store.read import as_of_query

            q = as_of_query(self.snapshot_id).order_by(None).subquery()
            with self.engine.connect() as c:
                self._len = int(c.execute(select(func.count()).select_from(q)).scalar_one())
        return self._len


def _read_resources(engine: Engine, snapshot_id: int) -> ResourceSource:
    return ResourceSource(engine, snapshot_id)


class _StoredRows:
    """Rows of one store table for a snapshot, normalised and in a fixed order, streamed from
    the database on every pass (server-side cursor); ``len`` is a COUNT. Exports walk findings
    and trust edges a few times; at a million resources a list of them would not fit."""

    table_name = ""
    chunk = 2000

    def __init__(self, engine: Engine, snapshot_id: int) -> None:
        self.engine, self.snapshot_id = engine, snapshot_id
        self._len: int | None = None

    def _table(self) -> Any:
        from auditor.store import schema

        return getattr(schema, self.table_name)

    def _order(self, t: Any) -> list[Any]:
        raise NotImplementedError

    def _normalise(self, row: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _c(self, col: Any) -> Any:
        """Code-point order, as Python sorts strings (PostgreSQL's default collation differs)."""
        return col.collate("C") if self.engine.dialect.name == "postgresql" else col

    def __iter__(self) -> Iterator[dict[str, Any]]:
        t = self._table()
        q = select(t).where(t.c.snapshot_id == self.snapshot_id).order_by(*self._order(t))
        with self.engine.connect().execution_options(stream_results=True, yield_per=self.chunk) as c, small_sqlite_cache(c):
            for row in c.execute(q).mappings():
                yield self._normalise(row)

    def __len__(self) -> int:
        if self._len is None:
            t = self._table()
            with self.engine.connect() as c:
                self._len = int(c.execute(select(func.count()).select_from(t).where(
                    t.c.snapshot_id == self.snapshot_id)).scalar_one())
        return self._len

    def __bool__(self) -> bool:
        return len(self) > 0


class FindingSource(_StoredRows):
    """The snapshot's findings as :func:`normalise_findings` gives them, streamed."""

    table_name = "findings"

    def _order(self, t: Any) -> list[Any]:
        return [self._c(t.c.rule_id), self._c(func.coalesce(t.c.resource_key, "")), self._c(t.c.finding_id)]

    def _normalise(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return normalise_finding(row)


class TrustEdgeSource(_StoredRows):
    """The snapshot's trust edges as :func:`normalise_trust_edges` gives them, streamed."""

    table_name = "trust_edges"

    def _order(self, t: Any) -> list[Any]:
        return [self._c(t.c.source_key), self._c(t.c.trusted_provider), self._c(t.c.trusted_id), self._c(t.c.edge_id)]

    def _normalise(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return normalise_trust_edge(row)


def _read_findings(engine: Engine, snapshot_id: int) -> FindingSource:
    return FindingSource(engine, snapshot_id)


def normalise_finding(r: Mapping[str, Any]) -> dict[str, Any]:
    """One documented finding dict (JSON columns parsed)."""
    f = {k: r.get(k) for k in FINDING_FIELDS}
    f["evidence"] = _json(f["evidence"])
    f["frameworks"] = {str(k): sorted(str(c) for c in v) for k, v in sorted(_json(f["frameworks"]).items())}
    f["severity"] = (f["severity"] or "info").lower()
    f["status"] = (f["status"] or "UNKNOWN").upper()
    return f


def normalise_findings(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Documented finding dicts (JSON columns parsed), sorted for deterministic output."""
    out = [normalise_finding(r) for r in rows]
    out.sort(key=lambda f: (f["rule_id"], f["resource_key"] or "", f["finding_id"]))
    return out


def _read_trust_edges(engine: Engine, snapshot_id: int) -> TrustEdgeSource:
    return TrustEdgeSource(engine, snapshot_id)


def normalise_trust_edge(r: Mapping[str, Any]) -> dict[str, Any]:
    e = {k: r.get(k) for k in TRUST_EDGE_FIELDS}
    e["conditions"] = _json(e["conditions"])
    e["details"] = _json(e["details"])
    e["cross_cloud"] = bool(e["cross_cloud"])
    e["external"] = bool(e["external"])
    return e


def normalise_trust_edges(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = [normalise_trust_edge(r) for r in rows]
    out.sort(key=lambda e: (e["source_key"], e["trusted_provider"], e["trusted_id"], e["edge_id"]))
    return out


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def baseline_ref(baseline: Any) -> dict[str, Any] | None:
    """{id, name, version} from whatever the drift engine calls a baseline (object, dict or id)."""
    if baseline is None:
        return None
    if isinstance(baseline, str) and "@" in baseline:  # the drift engine's "NAME@VERSION" label
        name, _, version = baseline.rpartition("@")
        return {"id": baseline, "name": name, "version": int(version) if version.isdigit() else None}
    if isinstance(baseline, (int, str)):
        return {"id": baseline, "name": None, "version": None}
    return {k: _attr(baseline, k) for k in ("id", "name", "version")}


def drift_from_report(report: Any) -> DriftData:
    """Adapt a drift engine report (``.baseline``, ``.items`` of objects with ``as_dict()``)."""
    if report is None:
        return DriftData(available=False, reason="no baseline")
    base = baseline_ref(_attr(report, "baseline"))
    if base is None:
        return DriftData(available=False, reason="no baseline")
    items = []
    for item in _attr(report, "items", None) or []:
        d = item.as_dict() if hasattr(item, "as_dict") else dict(item)
        row = {k: d.get(k) for k in DRIFT_FIELDS}
        row["changes"] = [
            {"path": str(c.get("path", "")), "before": c.get("before"), "after": c.get("after")}
            for c in (row["changes"] or [])
        ]
        row["element_changes"] = list(row["element_changes"] or [])
        row["severity"] = (row["severity"] or "info").lower()
        items.append(row)
    items.sort(key=lambda i: (i["resource_key"] or "", i["change"] or ""))
    return DriftData(available=True, baseline=base, items=items, iac_coverage=_attr(report, "iac_coverage", None))


def _read_drift(engine: Engine, snapshot_id: int, baseline: Any) -> DriftData:
    try:
        from auditor.drift.engine import compute_drift
    except ImportError:
        return DriftData(available=False, reason="no baseline (drift engine not installed)")
    try:
        report = compute_drift(engine, baseline=baseline, snapshot_id=snapshot_id)
    except AuditorError as exc:  # e.g. no active baseline: the export says so rather than failing
        log.info("drift not available for snapshot %s: %s", snapshot_id, exc)
        return DriftData(available=False, reason=f"no baseline ({exc})")
    return drift_from_report(report)


def load_rules() -> dict[str, dict[str, Any]]:
    """Rule metadata by id, from the rules registry."""
    from auditor.rules.registry import all_rules

    values = all_rules().values()
    out: dict[str, dict[str, Any]] = {}
    for rule in values:
        rid = _attr(rule, "id") or _attr(rule, "rule_id")
        if not rid:
            continue
        fw = _attr(rule, "frameworks") or {}
        out[str(rid)] = {
            "title": _attr(rule, "title"), "severity": _attr(rule, "severity"),
            "rationale": _attr(rule, "rationale"), "remediation": _attr(rule, "remediation"),
            "frameworks": {str(k): sorted(str(c) for c in v) for k, v in dict(fw).items()} if isinstance(fw, Mapping) else {},
        }
    return out


def gather(engine: Engine, snapshot_id: int, *, baseline: Any = None, drift_report: Any = None,
           disabled_rules: Iterable[str] = ()) -> ExportData:
    """Read a snapshot's inventory, findings, trust edges and drift.

    ``drift_report`` lets the audit command pass the report it already computed; otherwise
    drift is computed against ``baseline`` (None: the active one). ``disabled_rules`` (the
    config's) are rules the checks skipped: their controls are UNKNOWN in the compliance view.
    """
    snap = _read_snapshot(engine, snapshot_id)
    drift = drift_from_report(drift_report) if drift_report is not None else _read_drift(engine, snapshot_id, baseline)
    return ExportData(
        snapshot=snap,
        resources=_read_resources(engine, snapshot_id),
        findings=_read_findings(engine, snapshot_id),
        trust_edges=_read_trust_edges(engine, snapshot_id),
        drift=drift,
        rules=load_rules(),
        units=_read_units(engine, snapshot_id),
        previous=_read_previous(engine, snapshot_id, drift),
        disabled_rules=tuple(sorted(disabled_rules)),
    )


class UnitSource(_StoredRows):
    """The snapshot's collection units in unit-key order, streamed on every pass; ``len`` is
    a COUNT. Real estates have about one unit per two resources: half a million dicts at a
    million resources would outweigh the rest of an export. A list works wherever this does."""

    table_name = "collection_units"
    chunk = 5000

    def _order(self, t: Any) -> list[Any]:
        return [t.c.unit_key]

    def _normalise(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return dict(row)


def _read_units(engine: Engine, snapshot_id: int) -> UnitSource:
    return UnitSource(engine, snapshot_id)


class FailPairs:
    """(rule id, resource key or "") of a snapshot's FAIL findings, streamed on every pass
    (a pair may repeat; callers count distinct pairs). A list of pairs works wherever this does."""

    def __init__(self, engine: Engine, snapshot_id: int) -> None:
        self.engine, self.snapshot_id = engine, snapshot_id

    def __iter__(self) -> Iterator[tuple[str, str]]:
        from auditor.store.schema import findings

        q = select(findings.c.rule_id, findings.c.resource_key).where(
            findings.c.snapshot_id == self.snapshot_id, findings.c.status == "FAIL")
        with self.engine.connect().execution_options(stream_results=True, yield_per=5000) as c, small_sqlite_cache(c):
            for rule_id, key in c.execute(q):
                yield rule_id, key or ""


def _read_previous(engine: Engine, snapshot_id: int, drift: DriftData | None = None) -> dict[str, Any] | None:
    """The newest earlier snapshot with stored findings (the previous audit) and what failed there."""
    from auditor.store.schema import findings

    with engine.connect() as c:
        prev = c.execute(select(func.max(findings.c.snapshot_id)).where(findings.c.snapshot_id < snapshot_id)).scalar()
        if prev is None:
            return None
    out: dict[str, Any] = {"snapshot_id": int(prev), "failing": FailPairs(engine, int(prev)), "drift": None}
    b = drift.baseline if drift is not None and drift.available else None
    if b and b.get("name") and b.get("version") is not None:
        try:  # the previous audit's drift against the same baseline version (drift is not stored)
            from auditor.drift.engine import compute_drift

            report = compute_drift(engine, baseline=f"{b['name']}@{b['version']}", snapshot_id=int(prev))
            out["drift"] = sorted({(i.resource_key, i.change) for i in report.items if not i.ignored})
        except Exception as exc:  # noqa: BLE001 - a trend is optional; the report says it is unavailable
            log.info("no drift trend against snapshot %s: %s", prev, exc)
    return out
