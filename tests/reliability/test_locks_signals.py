"""Locks that do not fight the work, and SIGTERM as an orderly stop (real processes, real SQLite)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from sqlalchemy import insert, select

from auditor.store import migrate
from auditor.store.engine import make_engine
from auditor.store.schema import audit_log, locks, snapshots

ROOT = Path(__file__).resolve().parents[2]


def _workspace(tmp_path: Path, endpoint: str, cloud: str = "aws") -> Path:
    clouds = {
        "aws": {"credential_source": "static-test", "endpoint_url": endpoint, "regions": ["us-east-1"],
                "accounts": [{"id": "123456789012"}], "resource_types": ["aws.s3.bucket"]},
        # GCP plans without calling the network when projects are listed: the run reaches its units
        "gcp": {"credentials": "anonymous", "projects": ["proj-a"], "resource_types": ["gcp.storage.bucket"],
                "endpoints": {k: endpoint for k in ("storage", "compute", "iam", "resourcemanager")}},
    }
    cfg = {
        "database": {"url": f"sqlite:///{tmp_path / 'auditor.db'}"},
        "collection": {"progress": False, "max_attempts": 1, "read_timeout_s": 120, "unit_deadline_s": 120},
        cloud: clouds[cloud],
        "export": {"out_dir": str(tmp_path / "out")},
    }
    path = tmp_path / "auditor.yaml"
    path.write_text(yaml.safe_dump(cfg))
    engine = make_engine(cfg["database"]["url"])
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _env() -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AUDITOR_CONFIG", None)
    return env


def _start(cfg: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "auditor", "-c", str(cfg), *args], cwd=cfg.parent, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(cfg: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", "-c", str(cfg), *args], cwd=cfg.parent, env=_env(),
                          capture_output=True, text=True, timeout=timeout)


def _wait_for(engine, what, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with engine.connect() as c:
            if what(c):
                return
        time.sleep(0.2)
    raise AssertionError("condition not reached")


def _db(cfg: Path):
    return make_engine(f"sqlite:///{cfg.parent / 'auditor.db'}")


def test_second_audit_refuses_at_once_while_first_waits_on_network(tmp_path, hung):
    cfg = _workspace(tmp_path, hung.url, "gcp")
    first = _start(cfg, "collect")
    engine = _db(cfg)
    try:
        # the first run holds the lock and is waiting on the hung endpoint (planning or a unit)
        _wait_for(engine, lambda c: c.execute(select(snapshots.c.id).where(snapshots.c.status == "running")).first())
        time.sleep(1)
        t0 = time.monotonic()
        _run(cfg, "--version")
        startup = time.monotonic() - t0  # the machine may be loaded: measure the interpreter's start-up
        t0 = time.monotonic()
        second = _run(cfg, "audit", "--no-export")
        took = time.monotonic() - t0 - startup
        assert second.returncode == 3, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert "another audit is running" in lines[0] and f"pid {first.pid}" in lines[0] and " since " in lines[0]
        assert took < 10, f"refused {took:.1f}s after start-up"  # not after SQLite's 30 s busy wait
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        engine.dispose()


def test_sigterm_during_collect_fails_snapshot_releases_lock_exits_3(tmp_path, hung):
    cfg = _workspace(tmp_path, hung.url, "gcp")
    proc = _start(cfg, "collect")
    engine = _db(cfg)
    try:
        _wait_for(engine, lambda c: c.execute(select(snapshots.c.id).where(snapshots.c.status == "running")).first())
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 3, err
        lines = [ln for ln in err.strip().splitlines() if ln]
        assert len(lines) == 1 and "stopped by SIGTERM" in lines[0], err
        with engine.connect() as c:
            snap = c.execute(select(snapshots.c.status, snapshots.c.error)).one()
            assert snap.status == "failed" and "SIGTERM" in snap.error
            assert c.execute(select(locks)).first() is None
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()


def test_crashed_writer_on_another_host_is_recognised_by_its_heartbeat(sqlite_store):
    from auditor.locking import audit_lock
    from auditor.store.ingest import SnapshotWriter

    old = datetime.now(timezone.utc) - timedelta(minutes=6)
    with sqlite_store.begin() as c:
        c.execute(insert(locks).values(name="audit", holder="auditor audit (pid 4242)", host="pod-a", pid=4242,
                                       acquired_at=old - timedelta(hours=1), heartbeat_at=old))
        sid = c.execute(snapshots.insert().values(status="running", started_at=old - timedelta(hours=1),
                                                  heartbeat_at=old - timedelta(minutes=50), tool_version="t",
                                                  host="pod-a", pid=4242).returning(snapshots.c.id)).scalar_one()
    with audit_lock(sqlite_store, holder="next run"):
        with SnapshotWriter(sqlite_store) as w:
            w.finish()
    with sqlite_store.connect() as c:
        assert c.execute(select(snapshots.c.status).where(snapshots.c.id == sid)).scalar_one() == "failed"


def test_live_writer_on_another_host_keeps_its_snapshot(sqlite_store):
    """A unit that waits long on the network writes nothing, but the lock heartbeat proves life."""
    from auditor.errors import ConcurrentRunError
    from auditor.store.ingest import SnapshotWriter

    now = datetime.now(timezone.utc)
    with sqlite_store.begin() as c:
        c.execute(insert(locks).values(name="audit", holder="h", host="pod-b", pid=7, acquired_at=now - timedelta(hours=2),
                                       heartbeat_at=now))
        c.execute(snapshots.insert().values(status="running", started_at=now - timedelta(hours=2),
                                            heartbeat_at=now - timedelta(hours=1), tool_version="t", host="pod-b", pid=7))
    try:
        SnapshotWriter(sqlite_store)
    except ConcurrentRunError as exc:
        assert "pod-b" in str(exc)
    else:
        raise AssertionError("a live writer's snapshot was taken as dead")


def test_unlock_force_removes_lock_and_is_audited(tmp_path, dead_url):
    cfg = _workspace(tmp_path, dead_url)
    engine = _db(cfg)
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        c.execute(insert(locks).values(name="audit", holder="h", host="pod-a", pid=99, acquired_at=now, heartbeat_at=now))
    refused = _run(cfg, "unlock")
    assert refused.returncode == 2 and "pod-a" in refused.stderr and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    done = _run(cfg, "unlock", "--force", "--reason", "pod-a was deleted", "--by", "oncall")
    assert done.returncode == 0, done.stderr
    with engine.connect() as c:
        assert c.execute(select(locks)).first() is None
        entry = c.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.details)).all()[-1]
    assert entry.actor == "oncall" and entry.action == "lock.force_unlock" and "pod-a" in entry.details
    engine.dispose()


def test_no_write_transaction_stays_open_between_batches(sqlite_store, sqlite_url):
    """After each batch and each unit record the writer's transaction is over: another process
    can take SQLite's write lock at once while this run waits on the network for its next page."""
    import sqlite3

    from auditor.model import UnitStatus
    from auditor.store.ingest import SnapshotWriter
    from tests.store.helpers import BUCKETS, ROLES, bucket, result, role

    path = sqlite_url.removeprefix("sqlite:///")

    def other_writer_can_write_now() -> None:
        c = sqlite3.connect(path, timeout=0)
        try:
            c.execute("BEGIN IMMEDIATE")  # fails at once with "database is locked" if a write txn is open
            c.rollback()
        finally:
            c.close()

    with SnapshotWriter(sqlite_store) as w:
        w.write([bucket(1), bucket(2)], BUCKETS)
        other_writer_can_write_now()
        w.record_unit(result(BUCKETS, UnitStatus.OK, 2))
        other_writer_can_write_now()
        w.write([role(1)], ROLES)  # unchanged-or-new, then the unit with nothing to close
        w.record_unit(result(ROLES, UnitStatus.DENIED))
        other_writer_can_write_now()
        w.finish()
