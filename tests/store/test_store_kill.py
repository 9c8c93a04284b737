"""A process SIGKILLed mid-ingest leaves every earlier snapshot intact; the next run marks
it failed, undoes its writes and succeeds (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from auditor.model import UnitStatus
from auditor.store import read
from auditor.store.ingest import SnapshotWriter
from tests.store.helpers import BUCKETS, bucket, result

ROOT = Path(__file__).resolve().parents[2]


def test_sigkill_mid_ingest(store, db_url, tmp_path):
    with SnapshotWriter(store) as w:
        w.write([bucket(i) for i in range(100)], BUCKETS)
        w.record_unit(result(BUCKETS, UnitStatus.OK, 100))
        w.finish()
    s1 = w.snapshot_id
    before = [(r.resource_key, r.content_hash) for r in read.iter_resources(store, s1)]

    ready = tmp_path / "ready"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.store.kill_worker", db_url, str(ready)], cwd=ROOT, env=env)
    try:
        deadline = time.time() + 60
        while not ready.exists():
            assert proc.poll() is None, "worker exited early"
            assert time.time() < deadline, "worker never reached the kill point"
            time.sleep(0.05)
        dead_sid = int(ready.read_text())
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # Earlier snapshot reads exactly as before, even before recovery runs.
    assert [(r.resource_key, r.content_hash) for r in read.iter_resources(store, s1)] == before

    # The next run recovers the dead one and succeeds.
    with SnapshotWriter(store) as w2:
        w2.write([bucket(i) for i in range(100)], BUCKETS)
        w2.record_unit(result(BUCKETS, UnitStatus.OK, 100))
        status = w2.finish()
    assert status == "complete"
    assert w2.stats.written == 0, "the dead run's versions were undone, so nothing changed vs snapshot 1"
    snaps = {s["id"]: s for s in read.list_snapshots(store)}
    assert snaps[dead_sid]["status"] == "failed" and "died" in snaps[dead_sid]["error"]
    assert [(r.resource_key, r.content_hash) for r in read.iter_resources(store, s1)] == before
    assert [(r.resource_key, r.content_hash) for r in read.iter_resources(store, w2.snapshot_id)] == before
