"""The nightly audit under APScheduler 3.x, with its job store in the inventory database.

Why the job store lives in the inventory database: the next run time survives restarts, so
a run missed while the scheduler was down is still seen at start-up and, within
``schedule.misfire_grace_seconds``, runs once (misfires coalesce) instead of being lost or
run N times. The job is stored by textual reference (``auditor.scheduler:scheduled_audit``)
with only a config path and a password-free database URL as arguments: no secret is
pickled into the database.

One audit at a time is enforced by ``auditor.locking.audit_lock`` inside the job (so it also
holds against `auditor audit` started by cron, systemd or Kubernetes); one scheduler per job
store is enforced by a second lock, named ``scheduler``, held while `schedule start` runs.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from apscheduler.events import (
    EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, EVENT_SCHEDULER_STARTED, JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from auditor.config.schema import ScheduleConfig
from auditor.errors import EXIT_OK, EXIT_RUNTIME, AuditorError, ConcurrentRunError, UsageError
from auditor.locking import audit_lock
from auditor.store.schema import apscheduler_jobs

log = logging.getLogger(__name__)

JOB_ID = "nightly-audit"
JOB_FUNC = "auditor.scheduler:scheduled_audit"
JOBS_TABLE = "apscheduler_jobs"
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


# --- building the scheduler -------------------------------------------------------------------

def build_trigger(schedule: ScheduleConfig, every_seconds: float | None = None) -> BaseTrigger:
    """The config's cron expression in its time zone; ``every_seconds`` (tests, advanced) overrides it."""
    if every_seconds is not None:
        if every_seconds <= 0:
            raise UsageError("--every-seconds must be positive")
        return IntervalTrigger(seconds=every_seconds, timezone=schedule.timezone)
    try:
        return CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone)
    except ValueError as exc:
        raise UsageError(f"schedule.cron {schedule.cron!r} is not a valid crontab expression: {exc}") from None


def create_scheduler(engine: Engine, schedule: ScheduleConfig, *, blocking: bool = True) -> BaseScheduler:
    """A scheduler whose job store is the inventory database; one worker, coalescing misfires."""
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": schedule.misfire_grace_seconds},
        timezone=schedule.timezone,
    )
    scheduler.add_listener(_log_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _log_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s (beyond schedule.misfire_grace_seconds): skipped",
                    event.job_id, event.scheduled_run_time)
    elif event.exception is not None:
        log.error("job %s raised %s: %s", event.job_id, type(event.exception).__name__, event.exception)


def _trigger_signature(trigger: Any) -> tuple[str, str]:
    return (str(trigger), str(getattr(trigger, "timezone", "")))


def ensure_job(
    scheduler: BaseScheduler, engine: Engine, trigger: BaseTrigger, schedule: ScheduleConfig, *,
    func: str = JOB_FUNC, kwargs: dict[str, Any] | None = None, job_id: str = JOB_ID,
) -> None:
    """Add or replace the stored job (stable id). When its schedule is unchanged, keep the
    stored next run time, so a run missed while no scheduler was running is still honoured
    (and coalesced) at start-up rather than silently recomputed away."""
    kwargs = kwargs or {}
    keep: dict[str, Any] = {}
    stored = next((j for j in stored_jobs(engine) if j.id == job_id), None)
    if (stored is not None and stored.func == func and stored.kwargs == kwargs
            and _trigger_signature(stored.trigger) == _trigger_signature(trigger)
            and stored.next_run_time is not None):
        keep["next_run_time"] = stored.next_run_time
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
    trigger = build_trigger(schedule, every_seconds)
    with audit_lock(engine, SCHEDULER_LOCK, holder="auditor schedule start"):
        scheduler = create_scheduler(engine, schedule, blocking=True)
        ensure_job(scheduler, engine, trigger, schedule, func=func, kwargs=kwargs)
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


# --- reading the job store (no scheduler needed) -----------------------------------------------

@dataclass(frozen=True)
class StoredJob:
    id: str
    name: str
    func: str
    trigger: Any
    kwargs: dict[str, Any]
    next_run_time: datetime | None  # None: paused
    coalesce: bool
    max_instances: int
    misfire_grace_time: int | None

    def upcoming(self, count: int = 3) -> list[datetime]:
        """The next ``count`` run times, starting with the stored one."""
        out: list[datetime] = []
        when = self.next_run_time
        while when is not None and len(out) < count:
            out.append(when)
            when = self.trigger.get_next_fire_time(when, when)
        return out


def stored_jobs(engine: Engine) -> list[StoredJob]:
    """Jobs as stored, without importing their functions (so listing never drops a job
    whose module is missing, which APScheduler itself would do)."""
    with engine.connect() as conn:
        rows = conn.execute(select(apscheduler_jobs.c.id, apscheduler_jobs.c.job_state)
                            .order_by(apscheduler_jobs.c.next_run_time, apscheduler_jobs.c.id)).all()
    jobs = []
    for job_id, blob in rows:
        try:
            state = pickle.loads(blob)  # noqa: S301 - APScheduler's own format, in our own database
        except Exception as exc:  # noqa: BLE001 - one unreadable job must not hide the others
            log.warning("job %s in the job store is unreadable: %s", job_id, exc)
            continue
        jobs.append(StoredJob(
            id=state["id"], name=state.get("name") or state["id"], func=str(state["func"]),
            trigger=state["trigger"], kwargs=dict(state.get("kwargs") or {}),
            next_run_time=state.get("next_run_time"), coalesce=bool(state.get("coalesce")),
            max_instances=int(state.get("max_instances") or 1),
            misfire_grace_time=state.get("misfire_grace_time"),
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
