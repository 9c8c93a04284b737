"""Real APScheduler jobs at short intervals, with their state in the inventory database
(SQLite and PostgreSQL): repeated runs, one instance at a time, misfires coalesced across a
restart, runs beyond the grace time skipped, the stable job id, and the foreground process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from auditor.config.schema import ScheduleConfig
from auditor.errors import UsageError
from auditor.locking import audit_lock, current_holder
from auditor.store.schema import schedule_state
from auditor.scheduler import (
    JOB_FUNC, JOB_ID, build_trigger, configured_runs, create_scheduler, ensure_job, job_kwargs, scheduled_audit,
    stored_jobs, trigger_spec,
)

from .jobs import read_runs

RECORD = "tests.scheduling.jobs:record_run"


def _wait_for(predicate, timeout: float = 8.0, step: float = 0.05) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def _background(engine, schedule: ScheduleConfig, runs_file, every: float, **kw):
    """A started BackgroundScheduler (same construction as the foreground one) with the test job."""
    scheduler = create_scheduler(engine, schedule, blocking=False)
    ensure_job(scheduler, engine, trigger_spec(schedule, every), schedule, func=RECORD,
               kwargs={"path": str(runs_file), **kw})
    return scheduler


def test_interval_job_runs_repeatedly_and_is_persisted(inventory, tmp_path):
    engine, _ = inventory
    runs = tmp_path / "runs"
    scheduler = _background(engine, ScheduleConfig(misfire_grace_seconds=30), runs, 0.3)
    scheduler.start()
    try:
        assert _wait_for(lambda: len(read_runs(runs)) >= 3), "the job did not run three times"
    finally:
        scheduler.shutdown(wait=True)
    [job] = stored_jobs(engine)
    assert (job.id, job.func, job.kwargs) == (JOB_ID, RECORD, {"path": str(runs)})
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 30)
    assert job.next_run_time is not None and job.next_run_time > datetime.now(timezone.utc) - timedelta(seconds=1)
    starts = [r[0] for r in read_runs(runs)]
    assert all(0.15 < b - a < 0.8 for a, b in zip(starts, starts[1:])), starts


def test_one_instance_at_a_time(sqlite_store, tmp_path):
    """A run longer than the interval: the next one is not started on top of it."""
    engine = sqlite_store
    runs = tmp_path / "runs"
    scheduler = _background(engine, ScheduleConfig(), runs, 0.1, sleep=0.35)
    scheduler.start()
    try:
        assert _wait_for(lambda: len(read_runs(runs)) >= 2)
    finally:
        scheduler.shutdown(wait=True)
    spans = sorted((a, b) for a, b, _ in read_runs(runs))
    assert all(nxt[0] >= prev[1] - 0.01 for prev, nxt in zip(spans, spans[1:])), f"overlapping runs: {spans}"


def _stop_with_next_run_at(engine, schedule: ScheduleConfig, runs_file, every: float, when: datetime) -> None:
    """Leave the job's state as a scheduler that went down before ``when`` would have.

    The stored run time is rewritten in the table: a paused scheduler's modify_job() races
    with APScheduler's last job-processing pass at shutdown, which would consume the run."""
    scheduler = _background(engine, schedule, runs_file, every)
    scheduler.start(paused=True)
    scheduler.shutdown(wait=True)
    with engine.begin() as conn:
        done = conn.execute(update(schedule_state).where(schedule_state.c.job_id == JOB_ID)
                            .values(next_run_time=when))
        assert done.rowcount == 1


def test_missed_runs_coalesce_into_one_after_a_restart(inventory, tmp_path):
    engine, _ = inventory
    runs, schedule = tmp_path / "runs", ScheduleConfig(misfire_grace_seconds=60)
    # Down for 10 s with a 1 s interval: ten runs were missed.
    _stop_with_next_run_at(engine, schedule, runs, 1.0, datetime.now(timezone.utc) - timedelta(seconds=10))
    scheduler = _background(engine, schedule, runs, 1.0)  # same schedule: the stored run time is kept
    scheduler.start()
    try:
        assert _wait_for(lambda: len(read_runs(runs)) >= 1, timeout=3)
        time.sleep(0.4)
        assert len(read_runs(runs)) == 1, "missed runs must coalesce into exactly one"
    finally:
        scheduler.shutdown(wait=True)
    [job] = stored_jobs(engine)
    assert job.next_run_time > datetime.now(timezone.utc) - timedelta(seconds=1)


def test_run_missed_beyond_the_grace_time_is_skipped(inventory, tmp_path, caplog):
    engine, _ = inventory
    runs, schedule = tmp_path / "runs", ScheduleConfig(misfire_grace_seconds=1)
    missed_at = datetime.now(timezone.utc) - timedelta(seconds=30)
    _stop_with_next_run_at(engine, schedule, runs, 3600.0, missed_at)
    scheduler = _background(engine, schedule, runs, 3600.0)
    with caplog.at_level("WARNING", logger="auditor.scheduler"):
        scheduler.start()
        try:
            assert _wait_for(lambda: "missed its run" in caplog.text, timeout=3), caplog.text
        finally:
            scheduler.shutdown(wait=True)
    assert read_runs(runs) == []
    [job] = stored_jobs(engine)
    assert job.next_run_time > datetime.now(timezone.utc) + timedelta(minutes=50)


def test_stable_id_and_a_changed_schedule_replaces_the_job(sqlite_store, tmp_path):
    engine = sqlite_store
    for cron in ("0 2 * * *", "0 2 * * *", "30 4 * * 1-5"):
        schedule = ScheduleConfig(cron=cron, timezone="Europe/Berlin")
        scheduler = create_scheduler(engine, schedule, blocking=False)
        ensure_job(scheduler, engine, trigger_spec(schedule), schedule, kwargs=job_kwargs(None, None))
        scheduler.start(paused=True)
        scheduler.shutdown()
    [job] = stored_jobs(engine)
    assert job.func == JOB_FUNC
    assert "hour='4'" in str(job.trigger) and "minute='30'" in str(job.trigger)
    nxt = job.next_run_time.astimezone(job.trigger.timezone)
    assert (nxt.hour, nxt.minute, nxt.weekday() < 5) == (4, 30, True)
    runs = job.upcoming(3)
    assert len(runs) == 3 and runs == sorted(runs) and len(set(runs)) == 3


def test_trigger_from_config_and_bad_cron():
    trig = build_trigger(ScheduleConfig(cron="15 3 * * *", timezone="America/New_York"))
    assert str(trig.timezone) == "America/New_York"
    first = configured_runs(ScheduleConfig(cron="15 3 * * *", timezone="America/New_York"), 2,
                            now=datetime(2026, 3, 7, 12, tzinfo=timezone.utc))
    assert [r.astimezone(trig.timezone).strftime("%m-%d %H:%M") for r in first] == ["03-08 03:15", "03-09 03:15"]
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="invalid cron expression"):  # refused at config load now
        ScheduleConfig(cron="not a cron")
    with pytest.raises(UsageError, match="schedule.cron"):  # and still by the trigger builder
        build_trigger(ScheduleConfig.model_construct(cron="not a cron", timezone="UTC", misfire_grace_seconds=60))


def test_job_arguments_never_carry_a_password(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert job_kwargs("cfg.yaml", "postgresql://auditor:s3cret@db/inv") == {
        "config_path": str(tmp_path / "cfg.yaml"), "db_url": None,
    }
    assert job_kwargs(None, "sqlite:////var/lib/auditor.db")["db_url"] == "sqlite:////var/lib/auditor.db"


# --- the scheduled audit job -----------------------------------------------------------------

def test_scheduled_audit_skips_while_another_audit_holds_the_lock(sqlite_store, sqlite_url, caplog):
    """Runs in another thread = another holder; the job logs and skips, never raises."""
    import threading

    result: dict = {}
    with audit_lock(sqlite_store, holder="manual audit"):
        with caplog.at_level("WARNING", logger="auditor.scheduler"):
            t = threading.Thread(target=lambda: result.setdefault("code", scheduled_audit(None, sqlite_url)))
            t.start()
            t.join(10)
    assert result == {"code": None}
    assert "scheduled audit skipped: another audit is running" in caplog.text


def test_scheduled_audit_runs_the_audit_under_the_lock(sqlite_store, sqlite_url, monkeypatch):
    try:
        import auditor.audit as audit_module
    except ImportError as exc:
        pytest.skip(f"auditor.audit is not importable yet ({exc}); the lead's run_audit is needed for this test")
    seen: dict = {}

    def fake_run_audit(config_path, db_url):  # the lock must be held while the audit runs
        seen["holder"] = current_holder(sqlite_store)
        seen["args"] = (config_path, db_url)
        return 1

    monkeypatch.setattr(audit_module, "run_audit", fake_run_audit)
    assert scheduled_audit(None, sqlite_url) == 1
    assert seen["holder"] is not None and seen["holder"].holder == f"scheduler job {JOB_ID}"
    assert seen["args"] == (None, sqlite_url)
    assert current_holder(sqlite_store) is None


# --- the foreground process ------------------------------------------------------------------

def _cli(sub_env, cwd, *argv: list[str], timeout: float = 30) -> list[subprocess.CompletedProcess]:
    """Run `auditor` once per argument list, concurrently (each start-up costs a second or two)."""
    procs = [subprocess.Popen([sys.executable, "-m", "auditor", *args], cwd=cwd, env=sub_env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for args in argv]
    done = []
    for args, proc in zip(argv, procs):
        out, err = proc.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
    return done


def _cli_in_process(cwd, *args: str):
    """`auditor ...` through Typer's runner: for read-only commands, without a process start-up."""
    from typer.testing import CliRunner

    from auditor.cli.main import build_app

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        for var in ("AUDITOR_CONFIG", "AUDITOR_DB"):
            mp.delenv(var, raising=False)
        return CliRunner().invoke(build_app(), list(args))


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_foreground_scheduler_runs_jobs_and_stops_cleanly(stop_signal, sqlite_store, sqlite_url, spawn, sub_env, tmp_path):
    runs = tmp_path / "runs"
    proc = spawn("schedule", sqlite_url, str(runs), "0.3")
    assert proc.stdout.readline().startswith("STARTED scheduler running")
    assert _wait_for(lambda: len(read_runs(runs)) >= 2), proc.stderr.read() if proc.poll() is not None else "no runs"
    assert current_holder(sqlite_store, "scheduler").pid == proc.pid
    if stop_signal == signal.SIGTERM:
        # While it runs: `schedule list` reads the store; a second scheduler is refused.
        [second] = _cli(sub_env, tmp_path, ["--db", sqlite_url, "schedule", "start"])
        listed = _cli_in_process(tmp_path, "--db", sqlite_url, "--format", "json", "schedule", "list")
        assert listed.exit_code == 0, listed.output
        data = json.loads(listed.stdout)
        assert [j["id"] for j in data["jobs"]] == [JOB_ID] and len(data["jobs"][0]["upcoming"]) == 3
        assert data["scheduler"]["pid"] == proc.pid
        assert second.returncode == 3
        assert f"another scheduler is running: pid {proc.pid} on " in second.stderr
    proc.send_signal(stop_signal)
    assert proc.wait(10) == 0
    err = proc.stderr.read()
    assert f"{signal.Signals(stop_signal).name}: stopping the scheduler" in err and "scheduler stopped" in err
    assert current_holder(sqlite_store, "scheduler") is None
    [job] = stored_jobs(sqlite_store)  # the job (and its next run time) outlives the process
    assert job.func == RECORD and job.next_run_time is not None
    assert [p for _, _, p in read_runs(runs)] == [proc.pid] * len(read_runs(runs))


def test_schedule_list_without_a_scheduler(sqlite_store, sqlite_url, sub_env, tmp_path):
    (tmp_path / "auditor.yaml").write_text("schedule:\n  cron: '45 1 * * *'\n  timezone: Asia/Tokyo\n")
    empty = _cli_in_process(tmp_path, "--db", sqlite_url, "--format", "json", "schedule", "list")
    table = _cli_in_process(tmp_path, "--db", sqlite_url, "schedule", "list")
    assert empty.exit_code == 0, empty.output
    data = json.loads(empty.stdout)
    assert data["jobs"] == [] and data["scheduler"] is None
    assert data["configured"]["cron"] == "45 1 * * *"
    assert all(r.endswith("+09:00") and "T01:45:00" in r for r in data["configured"]["upcoming"])
    assert table.exit_code == 0 and "scheduler: not running" in table.stderr
