"""`auditor schedule start|list`: the APScheduler-driven nightly audit."""

from __future__ import annotations

import os
from typing import Optional

import typer
from sqlalchemy.engine import make_url

from auditor.cli.context import AppContext
from auditor.cli.output import render

JOB_COLUMNS = ["id", "next_run", "following", "trigger", "timezone", "misfire_grace_s"]  # JSON/CSV: all fields


def start(
    ctx: typer.Context,
    every_seconds: Optional[float] = typer.Option(
        None, "--every-seconds", hidden=True,
        help="Run every N seconds instead of schedule.cron (testing and advanced use).",
    ),
) -> int:
    """Run the scheduler in the foreground until SIGINT/SIGTERM (job rebuilt from the config; run times kept in the inventory)."""
    app: AppContext = ctx.obj
    from auditor import scheduler

    cfg = app.config
    engine = app.engine()
    url = app.db_url
    if make_url(url).password is not None:
        # schedule_state must not hold the password: the job finds the URL here at run time.
        os.environ["AUDITOR_DB"] = url
    kwargs = scheduler.job_kwargs(str(app.config_path) if app.config_path else None, url)
    return scheduler.run_foreground(engine, cfg.schedule, kwargs=kwargs, every_seconds=every_seconds,
                                    announce=app.info)


def _holder(engine, name: str) -> dict | None:  # type: ignore[no-untyped-def]
    from auditor.locking import aware_utc, current_holder

    row = current_holder(engine, name)
    if row is None:
        return None
    return {"holder": row.holder, "host": row.host, "pid": row.pid,
            "since": aware_utc(row.acquired_at).isoformat(timespec="seconds"),
            "heartbeat_at": aware_utc(row.heartbeat_at).isoformat(timespec="seconds")}


def list_cmd(
    ctx: typer.Context,
    count: int = typer.Option(3, "--count", min=1, max=50, help="How many upcoming run times per job."),
) -> None:
    """Scheduled jobs and their next run times, read from the inventory (no scheduler needed)."""
    app: AppContext = ctx.obj
    from auditor import scheduler

    engine = app.engine()
    rows = []
    for job in scheduler.stored_jobs(engine):
        runs = job.upcoming(count)
        rows.append({
            "id": job.id, "func": job.func, "trigger": str(job.trigger),
            "timezone": str(getattr(job.trigger, "timezone", "")),
            "next_run": runs[0].isoformat(timespec="seconds") if runs else "paused",
            "following": " ".join(r.isoformat(timespec="seconds") for r in runs[1:]),
            "upcoming": [r.isoformat() for r in runs],
            "coalesce": job.coalesce, "misfire_grace_s": job.misfire_grace_time,
            "last_run": job.last_run_at.isoformat(timespec="seconds") if job.last_run_at else None,
            "last_outcome": job.last_outcome,
        })
    sched, audit = _holder(engine, scheduler.SCHEDULER_LOCK), _holder(engine, "audit")
    configured = [r.isoformat() for r in scheduler.configured_runs(app.config.schedule, count)]
    json_value = {
        "jobs": rows, "scheduler": sched, "audit_running": audit,
        "configured": {"cron": app.config.schedule.cron, "timezone": app.config.schedule.timezone,
                       "upcoming": configured},
    }
    if app.fmt != "table":
        render(rows, JOB_COLUMNS + ["last_run", "last_outcome", "coalesce", "func"], app.fmt, console=app.console, json_value=json_value)
        return
    if rows:
        render(rows, JOB_COLUMNS, app.fmt, console=app.console, title="scheduled jobs")
    if not rows:
        app.info(f"no job recorded yet (`auditor schedule start` adds it); schedule.cron "
                 f"{app.config.schedule.cron!r} ({app.config.schedule.timezone}) would run at: {', '.join(configured)}")
    app.info(f"scheduler: running, pid {sched['pid']} on {sched['host']} since {sched['since']}" if sched
             else "scheduler: not running")
    if audit:
        app.info(f"audit: running now, pid {audit['pid']} on {audit['host']} since {audit['since']}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Run audits on a schedule (APScheduler; run times kept in the inventory database).",
                        no_args_is_help=True)
    group.command("start")(start)
    group.command("list")(list_cmd)
    app.add_typer(group, name="schedule")
