"""No pickle anywhere (issue 11, finding 2): whoever can write the inventory database must not
run code in the auditor. The old APScheduler job store kept jobs as pickles in
``apscheduler_jobs``; a planted pickle there (or a hostile row in ``schedule_state``) must never
be loaded or executed by `db upgrade`, `schedule list` or `schedule start`."""

from __future__ import annotations

import ast
import json
import pickle
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from auditor.scheduler import JOB_FUNC, JOB_ID, stored_jobs
from auditor.store import migrate
from auditor.store.engine import make_engine
from auditor.store.schema import schedule_state

REPO = Path(__file__).resolve().parents[2]


class _Payload:
    """Unpickling this creates ``path``: the proof that a pickle was loaded."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _plant_old_job_store(engine, marker: Path) -> None:
    """What an attacker with write access plants: the old job store's table and a pickled row."""
    old = sa.Table("apscheduler_jobs", sa.MetaData(),
                   sa.Column("id", sa.String(191), primary_key=True),
                   sa.Column("next_run_time", sa.Float(25), index=True),
                   sa.Column("job_state", sa.LargeBinary, nullable=False))
    old.create(engine, checkfirst=True)
    with engine.begin() as conn:
        conn.execute(old.delete())
        conn.execute(old.insert().values(id=JOB_ID, next_run_time=0.0,
                                         job_state=pickle.dumps(_Payload(marker), pickle.HIGHEST_PROTOCOL)))


def _cli(env, cwd, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=timeout)


def test_the_payload_is_live(tmp_path):
    """The planted payload really runs when unpickled, so the tests below can fail."""
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Payload(probe)))
    assert probe.exists()


def test_planted_pickle_is_never_loaded(db_url, sub_env, tmp_path):
    marker, hijack = tmp_path / "PWNED-pickle", tmp_path / "PWNED-state"
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0001")
        _plant_old_job_store(engine, marker)
        # The migration drops the old table without reading it.
        upgraded = _cli(sub_env, tmp_path, "--db", db_url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        assert not marker.exists()
        assert "apscheduler_jobs" not in sa.inspect(engine).get_table_names()

        # Planted again after the upgrade, plus a hostile state row naming another function.
        _plant_old_job_store(engine, marker)
        with engine.begin() as conn:
            conn.execute(schedule_state.insert().values(
                job_id=JOB_ID, func="os:system", kwargs=json.dumps({"command": f"touch {hijack}"}),
                trigger=json.dumps({"kind": "interval", "value": 1.0, "timezone": "UTC"}),
                next_run_time=datetime.now(timezone.utc) - timedelta(seconds=5),
                updated_at=datetime.now(timezone.utc)))

        listed = _cli(sub_env, tmp_path, "--db", db_url, "--format", "json", "schedule", "list")
        assert listed.returncode == 0, listed.stderr
        assert not marker.exists()

        proc = subprocess.Popen([sys.executable, "-m", "auditor", "--db", db_url, "schedule", "start",
                                 "--every-seconds", "3600"], cwd=tmp_path, env=sub_env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = proc.stderr.readline()
            assert "scheduler running" in line, line + (proc.stderr.read() if proc.poll() is not None else "")
            time.sleep(1.5)  # a hijacked job due 5 s ago would run now
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=20)
        assert proc.returncode == 0
        assert not marker.exists() and not hijack.exists()

        # The job was rebuilt from the config and `schedule list` still shows its next run times.
        [job] = stored_jobs(engine)
        assert job.func == JOB_FUNC and job.kwargs["config_path"] is None
        assert job.next_run_time > datetime.now(timezone.utc) + timedelta(minutes=50)
        listed = _cli(sub_env, tmp_path, "--db", db_url, "--format", "json", "schedule", "list")
        data = json.loads(listed.stdout)
        assert [j["id"] for j in data["jobs"]] == [JOB_ID] and len(data["jobs"][0]["upcoming"]) == 3
        assert not marker.exists() and not hijack.exists()
    finally:
        engine.dispose()


def test_unreadable_state_row_is_skipped_not_fatal(sqlite_store, caplog):
    now = datetime.now(timezone.utc)
    with sqlite_store.begin() as conn:
        conn.execute(schedule_state.insert().values(
            job_id="bad", func=JOB_FUNC, kwargs="{}", trigger="\\x80\\x04 not json", updated_at=now))
        conn.execute(schedule_state.insert().values(
            job_id="good", func=JOB_FUNC, kwargs="{}", updated_at=now, next_run_time=now,
            trigger=json.dumps({"kind": "cron", "value": "0 2 * * *", "timezone": "UTC"})))
    with caplog.at_level("WARNING", logger="auditor.scheduler"):
        assert [j.id for j in stored_jobs(sqlite_store)] == ["good"]
    assert "job bad in schedule_state is unreadable" in caplog.text


FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "shelve", "marshal", "jsonpickle",
                     "apscheduler.jobstores.sqlalchemy"}


def test_no_module_imports_a_deserialiser_that_runs_code():
    offenders = []
    for root in ("auditor", "collectors"):
        for path in sorted((REPO / root).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                offenders += [f"{path.relative_to(REPO)}:{node.lineno} {n}" for n in names if n in FORBIDDEN_MODULES]
    assert offenders == []
