"""The coordinator: plan, create the snapshot, enqueue one task per unit, wait, finalise.

Waiting ends when every unit reported, when no unit has reported for
``distributed.result_timeout_s`` (workers gone, broker unreachable), or at
``collection.run_deadline_s``. Units still outstanding then are ``error: timed out``: they did
not complete, so nothing of theirs is deleted. A broker that cannot take the tasks fails the
run before anything is waited for, and a failed run undoes every write of its snapshot,
workers' included.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import Engine

from auditor.config import AuditorConfig
from auditor.distributed.broker import TASK_NAME, broker_url, make_app, redacted
from auditor.distributed.messages import BadMessage, decode_report, describe
from auditor.distributed.writer import CoordinatorWriter
from auditor.errors import AuditorError, UsageError
from auditor.model import UnitStatus

log = logging.getLogger(__name__)


class BrokerUnavailable(AuditorError):
    """The broker did not take the run's tasks."""


def _timed_out(unit: Any, why: str) -> Any:
    from datetime import datetime, timezone

    from collectors.runner import UnitResult

    return UnitResult(unit, UnitStatus.ERROR, f"timed out: {why}", 0, 0, datetime.now(timezone.utc), 0.0)


def run_distributed(config: AuditorConfig, engine: Engine, *, providers: tuple[str, ...] | None = None,
                    progress: Any = None, note: str | None = None, clients: dict[str, Any] | None = None) -> Any:
    """Collect through workers; returns the same CollectResult as in-process collection."""
    from auditor.collect import CollectResult, plan_all
    from collectors.runner import NullProgress, RunSummary

    if engine.dialect.name != "postgresql":
        raise UsageError("distributed.broker_url is set but the inventory is not PostgreSQL: workers on other "
                         "hosts write into it (set database.url to postgresql://...)")
    progress = progress or NullProgress()
    dcfg = config.distributed
    started = time.monotonic()
    tasks, _classifiers = plan_all(config, providers, clients)
    run_deadline = started + config.collection.run_deadline_s
    app = make_app(dcfg)
    summary = RunSummary()
    try:
        with CoordinatorWriter(engine, note=note) as writer:
            sid = writer.snapshot_id
            pending: dict[str, tuple[Any, Any]] = {}
            try:
                with app.producer_or_acquire() as producer:
                    for t in tasks:
                        r = app.send_task(TASK_NAME, args=[describe(t.unit, sid)], queue=dcfg.queue, producer=producer)
                        pending[r.id] = (t.unit, r)
            except Exception as exc:  # noqa: BLE001 - kombu/amqp/redis errors differ per transport
                raise BrokerUnavailable(f"broker {redacted(broker_url(dcfg))} did not take the tasks: "
                                        f"{type(exc).__name__}: {exc}") from None
            log.info("snapshot %s: %d units sent to %s", sid, len(pending), redacted(broker_url(dcfg)))
            progress.start(len(pending))

            def record(result: Any, gone: list[int]) -> None:
                if writer.record_remote(result, gone):
                    summary.units.append(result)
                    summary.resources_by_type[result.unit.resource_type] += result.resource_count
                    progress.advance(result)

            last_report = time.monotonic()
            while pending:
                got = _drain(app, pending, timeout=1.0)
                for task_id, meta in got:
                    unit, _r = pending.pop(task_id)
                    result, gone = _report(unit, meta)
                    if result is not None:
                        record(result, gone)
                    last_report = time.monotonic()
                writer.tick()  # flushes queued unit reports by time and keeps the heartbeat fresh
                now = time.monotonic()
                why = None
                if now >= run_deadline:
                    why = "run deadline reached (collection.run_deadline_s)"
                elif now - last_report >= dcfg.result_timeout_s:
                    why = f"no unit reported for {dcfg.result_timeout_s:g}s (distributed.result_timeout_s)"
                if why:
                    log.warning("snapshot %s: %d unit(s) outstanding: %s", sid, len(pending), why)
                    for unit, r in pending.values():
                        record(_timed_out(unit, why), [])
                        _forget(r)
                    pending.clear()
            progress.stop()
            status = writer.finish()
    finally:
        app.close()
    summary.wall_s = time.monotonic() - started
    return CollectResult(writer.snapshot_id, status, summary, writer.stats, writer.error)


def _drain(app: Any, pending: dict[str, tuple[Any, Any]], timeout: float) -> list[tuple[str, dict]]:
    """The reports that arrived within ``timeout``; a broker/backend hiccup reads as none yet."""
    from celery.exceptions import TimeoutError as CeleryTimeout
    from celery.result import ResultSet

    out: list[tuple[str, dict]] = []
    rs = ResultSet([r for _u, r in pending.values()], app=app)
    try:
        for task_id, meta in rs.iter_native(timeout=timeout, interval=0.2):
            out.append((task_id, meta))
    except CeleryTimeout:
        pass
    except Exception as exc:  # noqa: BLE001 - connection loss to the result backend: keep waiting, bounded
        log.warning("waiting for unit reports: %s: %s", type(exc).__name__, exc)
        time.sleep(timeout)
    return out


def _forget(r: Any) -> None:
    try:
        r.forget()
    except Exception:  # noqa: BLE001 - best effort; results expire anyway
        pass


def _report(unit: Any, meta: dict) -> tuple[Any, list[int]]:
    """The UnitResult a task's outcome stands for, or (None, []) for a report to ignore."""
    from datetime import datetime, timezone

    from collectors.runner import UnitResult

    state, value = meta.get("status"), meta.get("result")
    if state == "SUCCESS" and isinstance(value, dict):
        if "closed" in value:
            return None, []
        try:
            result, gone = decode_report(value)
        except BadMessage as exc:
            return UnitResult(unit, UnitStatus.ERROR, f"unreadable report from a worker: {exc}", 0, 0,
                              datetime.now(timezone.utc), 0.0), []
        if result.unit != unit:
            return UnitResult(unit, UnitStatus.ERROR, "a worker reported on a different unit", 0, 0,
                              datetime.now(timezone.utc), 0.0), []
        return result, gone
    why = value.get("exc_message") if isinstance(value, dict) else value
    return UnitResult(unit, UnitStatus.ERROR, f"worker task {str(state).lower()}: {why}"[:4000], 0, 0,
                      datetime.now(timezone.utc), 0.0), []
