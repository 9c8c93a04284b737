"""The nightly audit under APScheduler 3.x; jobs rebuilt from the config, state in plain columns.

No pickle (DESIGN decisions 13 and 16): APScheduler's SQLAlchemy job store keeps each job
as a pickle, so whoever could write the inventory could run code in the auditor. Jobs now
live in a memory job store and are rebuilt from the config at every start; what must
survive a restart lives in ``schedule_state`` as plain columns: the next run time (so a run
missed while the scheduler was down is still seen at start-up and, within
``schedule.misfire_grace_seconds``, runs once instead of being lost or run N times), the
last run and its outcome. The stored function reference, trigger and arguments are only
compared with the ones built from the config, never imported or executed; a stored next run
time is honoured only when they match. The arguments are a config path and a password-free
database URL: no secret is written to the table.

One audit at a time is enforced by ``auditor.locking.audit_lock`` inside the job (so it also
holds against `auditor audit` started by cron, systemd or Kubernetes); one scheduler per
inventory is enforced by a second lock, named ``scheduler``, held while `schedule start` runs.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from apscheduler.events import (
    EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_JOB_SUBMITTED, EVENT_SCHEDULER_STARTED,
    JobEvent, JobExecutionEvent, JobSubmissionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from auditor.config.schema import ScheduleConfig
from auditor.errors import EXIT_OK, EXIT_RUNTIME, AuditorError, ConcurrentRunError, UsageError
from auditor.locking import audit_lock
from auditor.store.schema import schedule_state

log = logging.getLogger(__name__)

JOB_ID = "nightly-audit"
JOB_FUNC = "auditor.scheduler:scheduled_audit"
SCHEDULER_LOCK = "scheduler"


# --- the job ----------------------------------------------------------------------------------

def _resolve_db_url(config_path: str | None) -> str:
    from auditor.config import find_config_path, load_config
    from auditor.store.inventory import resolve_url

    path = find_config_path(config_path)
    cfg, _ = load_config(path)
    return resolve_url(None, cfg.database.url, path)


def scheduled_audit(config_path: str | None = None, db_url: str | None = None) -> int | None:
    """What the scheduler runs: one audit under the audit lock; skipped when the lock is held.

    Returns the audit's exit code, or None when skipped. Never raises: a failing night must
    not stop the scheduler from running the next one.
    """
    from auditor.store.engine import make_engine

    try:
        url = db_url or _resolve_db_url(config_path)
        engine = make_engine(url)
    except AuditorError as exc:
        log.error("scheduled audit not started: %s", exc)
        return exc.exit_code
    try:
        with audit_lock(engine, holder=f"scheduler job {JOB_ID}"):
            from auditor.audit import run_audit  # lazy: the scheduler must start without it

            code = run_audit(config_path, url)
    except ConcurrentRunError as exc:
        log.warning("scheduled audit skipped: %s", exc)
        return None
    except AuditorError as exc:
        log.error("scheduled audit failed (exit %s): %s", exc.exit_code, exc)
        return exc.exit_code
    except Exception:  # noqa: BLE001 - log with traceback, keep the scheduler alive
        log.exception("scheduled audit crashed")
        return EXIT_RUNTIME
    finally:
        engine.dispose()
    if code:
        log.warning("scheduled audit finished with exit code %s", code)
    else:
        log.info("scheduled audit finished: exit 0")
    return code


def job_kwargs(config_path: str | None, db_url: str | None) -> dict[str, str | None]:
    """Arguments stored with the job: an absolute config path, and the URL only if it carries no password."""
    path = os.path.abspath(config_path) if config_path else None
    url = db_url if db_url and make_url(db_url).password is None else None
    return {"config_path": path, "db_url": url}


# --- triggers as data ----------------------------------------------------------------------

@dataclass(frozen=True)
class TriggerSpec:
    """A trigger as plain data: stored as JSON, rebuilt by this code, never unpickled."""

    kind: str  # cron | interval
    value: str | float  # crontab expression, or seconds
    timezone: str

    def build(self) -> BaseTrigger:
        if self.kind == "interval":
            return IntervalTrigger(seconds=float(self.value), timezone=self.timezone)
        if self.kind == "cron":
            try:
                return CronTrigger.from_crontab(str(self.value), timezone=self.timezone)
            except ValueError as exc:
                raise UsageError(f"schedule.cron {self.value!r} is not a valid crontab expression: {exc}") from None
        raise UsageError(f"unknown trigger kind {self.kind!r}")

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "value": self.value, "timezone": self.timezone}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "TriggerSpec":
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") not in ("cron", "interval"):
            raise ValueError("not a trigger description")
        value = data.get("value")
        if not isinstance(value, (str, int, float)) or not isinstance(data.get("timezone"), str):
            raise ValueError("malformed trigger description")
        return cls(data["kind"], value, data["timezone"])


def trigger_spec(schedule: ScheduleConfig, every_seconds: float | None = None) -> TriggerSpec:
    """The config's cron expression in its time zone; ``every_seconds`` (tests, advanced) overrides it."""
    if every_seconds is not None:
        if every_seconds <= 0:
            raise UsageError("--every-seconds must be positive")
        return TriggerSpec("interval", float(every_seconds), schedule.timezone)
    return TriggerSpec("cron", schedule.cron, schedule.timezone)


def build_trigger(schedule: ScheduleConfig, every_seconds: float | None = None) -> BaseTrigger:
    return trigger_spec(schedule, every_seconds).build()


# --- persisted state -------------------------------------------------------------------------

def _utc(value: datetime | None) -> datetime | None:
    """Aware UTC (SQLite hands timestamps back naive)."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _write_state(engine: Engine, job_id: str, **values: Any) -> None:
    """Update one job's state row; a database hiccup is logged, never fatal to the scheduler."""
    try:
        with engine.begin() as conn:
            conn.execute(update(schedule_state).where(schedule_state.c.job_id == job_id)
                         .values(updated_at=_now(), **values))
    except SQLAlchemyError as exc:
        log.warning("could not record scheduler state of job %s: %s", job_id, str(exc).splitlines()[0])


class StateRecordingJobStore(MemoryJobStore):
    """APScheduler's memory job store that also writes each job's next run time to
    ``schedule_state``, at exactly the moments the pickling SQLAlchemy store would have."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def add_job(self, job: Job) -> None:
        super().add_job(job)
        _write_state(self._engine, job.id, next_run_time=_utc(job.next_run_time))

    def update_job(self, job: Job) -> None:
        super().update_job(job)
        _write_state(self._engine, job.id, next_run_time=_utc(job.next_run_time))

    def remove_job(self, job_id: str) -> None:
        super().remove_job(job_id)
        _write_state(self._engine, job_id, next_run_time=None)


def _record_event(engine: Engine) -> Callable[[JobEvent], None]:
    def record(event: JobEvent) -> None:
        if isinstance(event, JobSubmissionEvent) and event.code == EVENT_JOB_SUBMITTED:
            _write_state(engine, event.job_id, last_run_at=_utc(max(event.scheduled_run_times)))
        elif isinstance(event, JobExecutionEvent):
            outcome = {EVENT_JOB_MISSED: "missed", EVENT_JOB_ERROR: "error"}.get(event.code, "executed")
            values: dict[str, Any] = {"last_outcome": outcome}
            if event.code != EVENT_JOB_MISSED:
                values["last_finished_at"] = _now()
            _write_state(engine, event.job_id, **values)
    return record


# --- building the scheduler -------------------------------------------------------------------

def create_scheduler(engine: Engine, schedule: ScheduleConfig, *, blocking: bool = True) -> BaseScheduler:
    """A scheduler with a memory job store mirrored to ``schedule_state``; one worker, coalescing misfires."""
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": StateRecordingJobStore(engine)},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": schedule.misfire_grace_seconds},
        timezone=schedule.timezone,
    )
    scheduler.add_listener(_log_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.add_listener(_record_event(engine),
                           EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _log_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s (beyond schedule.misfire_grace_seconds): skipped",
                    event.job_id, event.scheduled_run_time)
    elif event.exception is not None:
        log.error("job %s raised %s: %s", event.job_id, type(event.exception).__name__, event.exception)


def _kwargs_json(kwargs: dict[str, Any]) -> str:
    return json.dumps(kwargs, sort_keys=True, default=str)


def ensure_job(
    scheduler: BaseScheduler, engine: Engine, spec: TriggerSpec, schedule: ScheduleConfig, *,
    func: str = JOB_FUNC, kwargs: dict[str, Any] | None = None, job_id: str = JOB_ID,
) -> None:
    """Add the job built from the config (stable id) and record it in ``schedule_state``.

    When the stored function, arguments and trigger equal the ones built here, the stored next
    run time is kept, so a run missed while no scheduler was running is still honoured (and
    coalesced) at start-up rather than silently recomputed away. Nothing else is taken from
    the table."""
    kwargs = kwargs or {}
    trigger = spec.build()
    row = {"func": func, "trigger": spec.to_json(), "kwargs": _kwargs_json(kwargs),
           "misfire_grace_seconds": schedule.misfire_grace_seconds}
    keep: dict[str, Any] = {}
    with engine.begin() as conn:
        stored = conn.execute(select(schedule_state).where(schedule_state.c.job_id == job_id)).mappings().first()
        if stored is None:
            conn.execute(insert(schedule_state).values(job_id=job_id, updated_at=_now(), **row))
        else:
            if (all(stored[k] == v for k, v in row.items() if k != "misfire_grace_seconds")
                    and stored["next_run_time"] is not None):
                keep["next_run_time"] = _utc(stored["next_run_time"])
            conn.execute(update(schedule_state).where(schedule_state.c.job_id == job_id)
                         .values(updated_at=_now(), **row))
    scheduler.add_job(
        func, trigger, kwargs=kwargs, id=job_id, name="nightly audit", replace_existing=True,
        coalesce=True, max_instances=1, misfire_grace_time=schedule.misfire_grace_seconds, **keep,
    )


def run_foreground(
    engine: Engine, schedule: ScheduleConfig, *, kwargs: dict[str, Any], every_seconds: float | None = None,
    func: str = JOB_FUNC, announce: Callable[[str], None] = log.info,
) -> int:
    """`auditor schedule start`: run until SIGINT/SIGTERM; returns the exit code.

    The first signal stops scheduling and waits for a running audit to finish; a second one
    exits at once (the audit lock is then recovered by the next run, see auditor.locking).
    """
    spec = trigger_spec(schedule, every_seconds)
    trigger = spec.build()  # validate before taking the lock
    with audit_lock(engine, SCHEDULER_LOCK, holder="auditor schedule start"):
        scheduler = create_scheduler(engine, schedule, blocking=True)
        ensure_job(scheduler, engine, spec, schedule, func=func, kwargs=kwargs)
        signals = {"count": 0}

        def stop(signum: int, _frame: Any) -> None:
            signals["count"] += 1
            name = signal.Signals(signum).name
            if signals["count"] > 1:
                log.error("%s again: exiting now without waiting for the running audit", name)
                os._exit(EXIT_RUNTIME)
            log.warning("%s: stopping the scheduler (waiting for a running audit to finish)", name)
            # shutdown() takes the scheduler's locks: never from inside the handler itself.
            threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

        previous: dict[int, Any] = {}

        def started(_event: Any) -> None:
            # Installed once running: shutdown() is only valid on a started scheduler. Before
            # this, the defaults apply (SIGINT unwinds and releases the lock; SIGTERM kills).
            previous.update({s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)})
            job = scheduler.get_job(JOB_ID)
            nxt = job.next_run_time.isoformat() if job and job.next_run_time else "see `auditor schedule list`"
            announce(f"scheduler running (pid {os.getpid()}), job {JOB_ID!r} on {trigger}; "
                     f"next run {nxt}; Ctrl-C or SIGTERM stops it")

        scheduler.add_listener(started, EVENT_SCHEDULER_STARTED)
        try:
            scheduler.start()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    log.warning("scheduler stopped")
    return EXIT_OK


# --- reading the state (no scheduler needed) ---------------------------------------------------

@dataclass(frozen=True)
class StoredJob:
    id: str
    name: str
    func: str
    trigger: BaseTrigger
    kwargs: dict[str, Any]
    next_run_time: datetime | None  # None: none scheduled
    coalesce: bool
    max_instances: int
    misfire_grace_time: int | None
    last_run_at: datetime | None = None
    last_outcome: str | None = None

    def upcoming(self, count: int = 3) -> list[datetime]:
        """The next ``count`` run times, starting with the stored one."""
        out: list[datetime] = []
        when = self.next_run_time
        while when is not None and len(out) < count:
            out.append(when)
            when = self.trigger.get_next_fire_time(when, when)
        return out


def stored_jobs(engine: Engine) -> list[StoredJob]:
    """Jobs as recorded in ``schedule_state``: plain columns and JSON, nothing imported or executed."""
    with engine.connect() as conn:
        rows = conn.execute(select(schedule_state).order_by(schedule_state.c.next_run_time,
                                                            schedule_state.c.job_id)).mappings().all()
    jobs = []
    for row in rows:
        try:
            spec = TriggerSpec.from_json(row["trigger"])
            trigger = spec.build()
            kwargs = json.loads(row["kwargs"])
            if not isinstance(kwargs, dict):
                raise ValueError("kwargs is not a JSON object")
        except (ValueError, UsageError) as exc:  # one unreadable row must not hide the others
            log.warning("job %s in schedule_state is unreadable: %s", row["job_id"], exc)
            continue
        nxt = _utc(row["next_run_time"])
        jobs.append(StoredJob(
            id=row["job_id"], name=row["job_id"], func=row["func"], trigger=trigger, kwargs=kwargs,
            next_run_time=nxt.astimezone(trigger.timezone) if nxt else None, coalesce=True, max_instances=1,
            misfire_grace_time=row["misfire_grace_seconds"], last_run_at=_utc(row["last_run_at"]),
            last_outcome=row["last_outcome"],
        ))
    return jobs


def configured_runs(schedule: ScheduleConfig, count: int = 3, now: datetime | None = None) -> list[datetime]:
    """Run times the config's cron expression gives from ``now`` (for a store with no job yet)."""
    trigger = build_trigger(schedule)
    out: list[datetime] = []
    when = trigger.get_next_fire_time(None, now or datetime.now(timezone.utc))
    while when is not None and len(out) < count:
        out.append(when)
        when = trigger.get_next_fire_time(when, when)
    return out
