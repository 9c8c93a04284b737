"""The nightly job: collect -> store -> drift -> checks -> exports -> notifications.

Each step is also its own CLI verb; this module runs them in order under the audit lock,
times each one, and turns the outcome into the exit-code contract (DESIGN.md decision 15):
0 clean, 1 findings or drift at/above --fail-on, 3 runtime failure, coverage below the
configured floor (audit.coverage_floor) whatever --fail-on says, or incomplete collection
under --strict. A run that saw nothing is never "clean". A step that fails after collection is reported and makes the
exit code 3, but never loses the snapshot already stored.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from auditor.config import AuditorConfig
from auditor.errors import EXIT_FINDINGS, EXIT_OK, EXIT_RUNTIME, AuditorError, UsageError
from auditor.rules.verdict import at_or_above

log = logging.getLogger(__name__)


@dataclass
class AuditOutcome:
    exit_code: int = EXIT_OK
    snapshot_id: int | None = None
    snapshot_status: str | None = None
    steps: dict[str, float] = field(default_factory=dict)
    collection: Any = None  # auditor.collect.CollectResult
    drift: Any = None  # auditor.drift.model.DriftReport | None
    drift_note: str | None = None
    check: Any = None  # auditor.rules.engine.CheckSummary: counts; the findings stay in the store
    trust_edges: int = 0
    export_dir: Path | None = None
    problems: list[str] = field(default_factory=list)
    fail_on: str = "high"
    coverage: Any = None  # auditor.coverage.Coverage
    coverage_breaches: list[str] = field(default_factory=list)
    engine: Any = field(default=None, repr=False)  # where the check's findings are read back from

    def _read(self, status: str | None = None) -> list[Any]:
        if self.check is None or self.engine is None:
            return []
        return list(self.check.findings(self.engine, status=status))

    @property
    def findings(self) -> list[Any]:
        """Every finding of the audit's check, read back from the store (most severe first)."""
        return self._read()

    @property
    def failing_findings(self) -> list[Any]:
        return self._read("FAIL")

    @property
    def findings_by_status(self) -> dict[str, int]:
        return dict(sorted(self.check.counts.by_status.items())) if self.check is not None else {}

    def summary(self) -> dict[str, Any]:
        """The audit summary (also what notifications receive)."""
        drift_items = [i.as_dict() for i in self.drift.items] if self.drift is not None else []
        return {
            "snapshot_id": self.snapshot_id,
            "snapshot_status": self.snapshot_status,
            "baseline": getattr(self.drift, "baseline", None),
            "exit_code": self.exit_code,
            "fail_on": self.fail_on,
            "steps_s": {k: round(v, 3) for k, v in self.steps.items()},
            "collection": self.collection.summary.as_dict() if self.collection is not None else None,
            "coverage": self.coverage.as_dict() if self.coverage is not None else None,
            "coverage_line": self.coverage.line() if self.coverage is not None else None,
            "coverage_breaches": self.coverage_breaches,
            "incomplete_units": [
                {"unit": str(u.unit), "status": u.status.value, "error": u.error}
                for u in (self.collection.summary.units if self.collection is not None else [])
                if not u.status.completed and u.status.value != "skipped"
            ],
            "findings": [f.as_dict() for f in self.failing_findings],
            "findings_by_status": self.findings_by_status,
            "drift": drift_items,
            "drift_note": self.drift_note,
            "trust_edges": self.trust_edges,
            "report": str(self.export_dir / "report.html") if self.export_dir and (self.export_dir / "report.html").exists() else None,
            "export_dir": str(self.export_dir) if self.export_dir else None,
            "problems": self.problems,
        }


class _Timer:
    def __init__(self, outcome: AuditOutcome, name: str) -> None:
        self.outcome, self.name = outcome, name

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: Any) -> None:
        self.outcome.steps[self.name] = time.perf_counter() - self.t0


def _drift_step(engine: Engine, config: AuditorConfig, sid: int, baseline: str | None, outcome: AuditOutcome) -> None:
    from auditor.drift import baselines as bl
    from auditor.drift.engine import compute_drift

    name = baseline or config.audit.baseline
    if name is None:
        active = {b.name for b in bl.list_baselines(engine) if b.status == "active"}
        if len(active) != 1:
            outcome.drift_note = (
                "no baseline approved yet: run `auditor baseline approve --name NAME --reason ...`"
                if not active else f"several baselines ({', '.join(sorted(active))}): set audit.baseline"
            )
            return
        name = active.pop()
    elif bl.active_baseline(engine, name.split("@")[0]) is None:
        outcome.drift_note = f"baseline {name!r} has no active version: run `auditor baseline approve --name {name}`"
        return
    outcome.drift = compute_drift(
        engine, baseline=name, snapshot_id=sid, ignore_rules=config.ignore, admin_ports=config.checks.admin_ports,
        config=config,
    )


def audit(
    config: AuditorConfig, engine: Engine, *, baseline: str | None = None, fail_on: str | None = None,
    strict: bool = False, export: bool = True, formats: list[str] | None = None, out_dir: str | Path | None = None,
    notify: bool = True, providers: tuple[str, ...] | None = None, progress: Any = None,
    holder: str | None = None,
) -> AuditOutcome:
    """Run the whole nightly job once; never raises for a failure after the snapshot is stored."""
    from auditor.collect import incomplete, run_collection
    from auditor.locking import audit_lock

    outcome = AuditOutcome(fail_on=fail_on or config.audit.fail_on, engine=engine)
    with audit_lock(engine, holder=holder or f"auditor audit (pid {os.getpid()})"):
        with _Timer(outcome, "collect"):
            result = run_collection(config, engine, providers=providers, progress=progress, note="audit")
        outcome.collection = result
        outcome.snapshot_id, outcome.snapshot_status = result.snapshot_id, result.status
        outcome.coverage = result.coverage
        outcome.coverage_breaches = outcome.coverage.breaches(config.audit.coverage_floor)
        sid = result.snapshot_id
        if result.status == "failed":
            # Its writes were undone: drift, checks and exports of nothing would only mislead.
            outcome.problems.append(f"collect: snapshot {sid} failed: {result.error or 'unknown cause'}")
            export = False

        def step(name: str, fn) -> None:  # type: ignore[no-untyped-def]
            with _Timer(outcome, name):
                try:
                    fn()
                except AuditorError as exc:
                    outcome.problems.append(f"{name}: {exc}")
                except Exception as exc:  # noqa: BLE001 - later steps still run; exit code says 3
                    log.exception("audit step %s failed", name)
                    outcome.problems.append(f"{name}: {type(exc).__name__}: {exc}")

        if result.status != "failed":
            step("drift", lambda: _drift_step(engine, config, sid, baseline, outcome))

        def checks() -> None:
            from auditor.rules.engine import check_snapshot

            # One trust graph per audit: the rules build it and persist its edges. Findings
            # stream to the store; the outcome keeps their counts and reads them back.
            outcome.check = check_snapshot(engine, config, sid)
            outcome.trust_edges = outcome.check.trust_edges

        if result.status != "failed":
            step("checks", checks)

        if export:
            def exports() -> None:
                from auditor.exports.bundle import export_snapshot
                from auditor.signing import configured_signer

                base = Path(out_dir) if out_dir else Path(config.export.out_dir)
                target = base / f"snapshot-{sid}"
                export_snapshot(engine, sid, target, formats or list(config.export.formats), drift_report=outcome.drift,
                                signer=configured_signer(config), disabled_rules=config.checks.disabled_rules)
                outcome.export_dir = target

            step("export", exports)

    # exit code before notifying, so the message carries it
    failing = outcome.check.counts.failing_at_or_above(outcome.fail_on) if outcome.check is not None else 0
    drifting = [i for i in (outcome.drift.items if outcome.drift is not None else []) if at_or_above(i.severity, outcome.fail_on)]
    if outcome.problems or outcome.coverage_breaches or (strict and incomplete(result.summary)):
        outcome.exit_code = EXIT_RUNTIME
    elif failing or drifting:
        outcome.exit_code = EXIT_FINDINGS
    if notify and config.notifications.webhooks:
        from auditor import notify as notifier

        with _Timer(outcome, "notify"):
            for problem in notifier.notify(config, outcome.summary()):
                log.warning("notification: %s", problem)
    return outcome


def run_audit(config_path: str | None, db_url: str) -> int:
    """The scheduler's entry point: load config, audit quietly, return the exit code."""
    from auditor.config import find_config_path, load_config
    from auditor.store.inventory import open_inventory

    path = find_config_path(config_path)
    config, _ = load_config(path)
    engine = open_inventory(db_url)
    try:
        base = (path.resolve().parent if path else Path.cwd()) / config.export.out_dir
        outcome = audit(config, engine, out_dir=base, holder=f"scheduled audit (pid {os.getpid()})")
    finally:
        engine.dispose()
    for p in outcome.problems:
        log.error("audit problem: %s", p)
    return outcome.exit_code


def require_cloud(config: AuditorConfig, providers: tuple[str, ...] | None) -> None:
    from auditor.collect import PROVIDERS

    if not any(getattr(config, p) is not None and getattr(config, p).enabled for p in (providers or PROVIDERS)):
        raise UsageError("no cloud is configured: add an aws, gcp or azure section to the config")
