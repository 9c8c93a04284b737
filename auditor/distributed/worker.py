"""The worker side: one Celery task runs one collection unit with the in-process runner.

Retry policy (one, for every cause): a unit whose worker was lost (its message came back
``redelivered``) or whose run raised (the database went away) is re-sent with Celery's
``retry`` after a short backoff, at most ``distributed.max_retries`` times; then it is reported
``error``. A unit's own failures (denied, throttled, timed out) are statuses, not retries.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timezone
from typing import Any, Callable

from auditor.config import AuditorConfig
from auditor.distributed.broker import TASK_NAME, make_app
from auditor.distributed.messages import describe, encode_report, parse_description
from auditor.distributed.writer import SnapshotClosed, UnitWriter
from auditor.model import UnitStatus

log = logging.getLogger(__name__)


class WorkerLost(RuntimeError):
    """The unit's message came back: the worker running it died or lost its broker connection."""


def backoff_s(retries: int) -> float:
    return float(min(30, 2 ** retries))


class WorkerState:
    """What a worker process keeps between tasks: its config, engine and the plan of the
    snapshot it is working on (planned once per provider, the same way the coordinator did)."""

    def __init__(self, config: AuditorConfig, engine_factory: Callable[[], Any], clients: dict | None = None) -> None:
        self.config = config
        self._engine_factory = engine_factory
        self._engine: Any = None
        self._clients = clients
        self._lock = threading.Lock()
        self._plans: dict[tuple[int, str, str], tuple[dict, dict]] = {}
        self._planning: dict[tuple[int, str, str], threading.Lock] = {}
        self.max_plans = 16  # accounts whose sessions a worker keeps at once

    def engine(self) -> Any:
        with self._lock:
            if self._engine is None:  # lazily: a prefork child must not inherit its parent's sockets
                self._engine = self._engine_factory()
            return self._engine

    def task_for(self, sid: int, unit: Any) -> tuple[Any, dict]:
        """The UnitTask for ``unit`` (None when this worker's config does not plan it) and the
        providers' error classifiers: from the plan of the unit's account, else the full plan."""
        for key in ((sid, unit.provider, unit.account), (sid, unit.provider, "*")):
            by_unit, classifiers = self._plan(key)
            if unit in by_unit:
                return by_unit[unit], classifiers
        return None, classifiers

    def _plan(self, key: tuple[int, str, str]) -> tuple[dict, dict]:
        from auditor.collect import plan_all
        from auditor.distributed.narrow import narrowed

        with self._lock:
            for old in [k for k in self._plans if k[0] != key[0]]:
                del self._plans[old]  # a new snapshot: earlier plans (and their sessions) go
            if key in self._plans:
                self._plans[key] = self._plans.pop(key)  # most recently used last
                return self._plans[key]
            lock = self._planning.setdefault(key, threading.Lock())
        with lock:  # one planner per account; other accounts plan in parallel
            with self._lock:
                if key in self._plans:
                    return self._plans[key]
            _sid, provider, account = key
            config = self.config if account == "*" else narrowed(self.config, provider, account)
            planned: tuple[dict, dict] = ({}, {})
            if config is not None:
                tasks, classifiers = plan_all(config, (provider,), self._clients)
                planned = ({t.unit: t for t in tasks}, classifiers)
            with self._lock:
                self._plans[key] = planned
                while len(self._plans) > self.max_plans:
                    del self._plans[next(iter(self._plans))]  # least recently used account
                self._planning.pop(key, None)
            return planned

    def run(self, sid: int, unit: Any) -> dict[str, Any]:
        from collectors.runner import UnitResult, run_units

        task, classifiers = self.task_for(sid, unit)
        writer = UnitWriter(self.engine(), sid)
        try:
            if task is None:
                result = UnitResult(unit, UnitStatus.ERROR, "this worker's configuration does not plan the unit "
                                    "(the coordinator and workers must share the cloud sections)",
                                    0, 0, datetime.now(timezone.utc), 0.0)
                return encode_report(result, [], sid)
            run_units([task], writer, concurrency=1, batch_size=self.config.collection.batch_size,
                      classifiers=classifiers, unit_deadline_s=self.config.distributed.unit_timeout_s)
            result, gone = writer.reports[-1]
            return encode_report(result, gone, sid)
        finally:
            writer.close()


def _error_report(unit: Any, sid: int, why: str) -> dict[str, Any]:
    from collectors.runner import UnitResult

    return encode_report(UnitResult(unit, UnitStatus.ERROR, why, 0, 0, datetime.now(timezone.utc), 0.0), [], sid)


def collect_unit(task: Any, desc: Any) -> dict[str, Any]:
    """Run one unit; the return value is its report (JSON) for the coordinator."""
    state: WorkerState = task.app.auditor_state
    budget = state.config.distributed.max_retries
    unit, sid = parse_description(desc)
    retries = int(task.request.retries or 0)
    if (task.request.delivery_info or {}).get("redelivered"):
        if retries >= budget:
            log.warning("unit %s: worker lost on each of %d attempts; recorded error", unit, retries + 1)
            return _error_report(unit, sid, f"worker lost on each of {retries + 1} attempts "
                                            f"(distributed.max_retries {budget})")
        log.warning("unit %s came back from a lost worker; retry %d of %d", unit, retries + 1, budget)
        raise task.retry(exc=WorkerLost(f"unit {unit} redelivered"), countdown=backoff_s(retries), max_retries=budget)
    try:
        return state.run(sid, unit)
    except SnapshotClosed as exc:
        return {**describe(unit, sid), "closed": str(exc)}
    except Exception as exc:  # noqa: BLE001 - infrastructure (database, planning): the retry policy
        why = f"{type(exc).__name__}: {exc}"
        if retries >= budget:
            log.warning("unit %s failed %d times: %s", unit, retries + 1, why)
            return _error_report(unit, sid, f"failed on each of {retries + 1} attempts: {why}")
        log.warning("unit %s failed (%s); retry %d of %d", unit, why, retries + 1, budget)
        raise task.retry(exc=exc, countdown=backoff_s(retries), max_retries=budget) from None


def build_worker_app(config: AuditorConfig, engine_factory: Callable[[], Any], clients: dict | None = None) -> Any:
    app = make_app(config.distributed)
    app.auditor_state = WorkerState(config, engine_factory, clients)
    app.task(bind=True, name=TASK_NAME, acks_late=True, reject_on_worker_lost=True,
             max_retries=config.distributed.max_retries)(collect_unit)
    return app


def run_worker(config: AuditorConfig, engine_factory: Callable[[], Any], *, concurrency: int | None = None,
               pool: str = "threads", loglevel: str = "INFO", name: str | None = None) -> None:
    """Start a Celery worker consuming the collection queue until it is stopped (SIGTERM: warm)."""
    app = build_worker_app(config, engine_factory)
    n = concurrency or config.distributed.concurrency
    hostname = name or f"auditor-{socket.gethostname()}-{os.getpid()}"
    app.worker_main(["worker", f"--concurrency={n}", f"--pool={pool}", f"--loglevel={loglevel}", "-Q", config.distributed.queue,
                     "-n", hostname, "--without-gossip", "--without-mingle"])
