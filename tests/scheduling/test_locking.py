"""The audit lock: atomic, exclusive across processes, re-entrant per thread, and recovered
when its holder died (SIGKILL, pid reuse, or a silent host). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, update

from auditor.errors import EXIT_RUNTIME, ConcurrentRunError
from auditor.locking import audit_lock, current_holder
from auditor.store.schema import locks

HOST = socket.gethostname()


def _in_other_thread(fn):
    """Run ``fn`` in a fresh thread (another holder as far as the lock is concerned)."""
    out: dict = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            out["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join(10)
    return out


def _foreign_row(engine, *, host: str, pid: int, age_s: float, acquired_age_s: float | None = None) -> None:
    """A lock row as another process (or machine) would have written it."""
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(insert(locks).values(
            name="audit", holder="elsewhere", host=host, pid=pid,
            acquired_at=now - timedelta(seconds=acquired_age_s if acquired_age_s is not None else age_s),
            heartbeat_at=now - timedelta(seconds=age_s)))


def test_held_inside_released_after(inventory):
    store, _ = inventory
    with audit_lock(store, holder="unit test") as held:
        row = current_holder(store)
        assert (row.holder, row.host, row.pid) == ("unit test", HOST, os.getpid())
        assert held.pid == os.getpid()
    assert current_holder(store) is None


def test_released_when_the_body_raises(inventory):
    store, _ = inventory
    with pytest.raises(RuntimeError):
        with audit_lock(store, holder="unit test"):
            raise RuntimeError("audit blew up")
    assert current_holder(store) is None


def test_second_holder_refused_with_a_clear_message(inventory):
    store, _ = inventory
    with audit_lock(store, holder="first"):
        out = _in_other_thread(lambda: audit_lock(store, holder="second").__enter__())
    err = out["error"]
    assert isinstance(err, ConcurrentRunError)
    assert err.exit_code == EXIT_RUNTIME
    assert re.search(rf"another audit is running: pid {os.getpid()} on {re.escape(HOST)} since \d{{4}}-", str(err))


def test_nested_use_in_one_thread_releases_only_at_the_outermost_exit(inventory):
    store, _ = inventory
    with audit_lock(store, holder="outer"):
        with audit_lock(store, holder="inner"):
            assert current_holder(store).holder == "outer"
        assert current_holder(store) is not None, "the inner exit must not release the outer hold"
    assert current_holder(store) is None


def test_lock_names_are_independent(inventory):
    store, _ = inventory
    with audit_lock(store, holder="audit"), audit_lock(store, "scheduler", holder="scheduler"):
        assert current_holder(store, "audit").holder == "audit"
        assert current_holder(store, "scheduler").holder == "scheduler"


def test_heartbeat_advances_while_held(inventory):
    store, _ = inventory
    with audit_lock(store, holder="beating", heartbeat_s=0.1):
        first = current_holder(store).heartbeat_at
        time.sleep(0.5)
        later = current_holder(store).heartbeat_at
    assert later > first


def test_other_host_with_a_fresh_heartbeat_is_respected(inventory):
    store, _ = inventory
    _foreign_row(store, host="worker-7.example", pid=4242, age_s=5)
    with pytest.raises(ConcurrentRunError, match=r"another audit is running: pid 4242 on worker-7\.example since "):
        with audit_lock(store, holder="me", stale_after_s=60):
            pass
    assert current_holder(store).host == "worker-7.example"


def test_other_host_with_a_stale_heartbeat_is_taken_over(inventory):
    store, _ = inventory
    _foreign_row(store, host="worker-7.example", pid=4242, age_s=600)
    with audit_lock(store, holder="me", stale_after_s=60):
        row = current_holder(store)
        assert (row.host, row.pid, row.holder) == (HOST, os.getpid(), "me")
    assert current_holder(store) is None


def test_reused_pid_is_not_mistaken_for_the_holder(inventory):
    store, _ = inventory
    """A live pid that started after the lock was taken belongs to some other process."""
    newcomer = subprocess.Popen(["sleep", "30"])
    try:
        _foreign_row(store, host=HOST, pid=newcomer.pid, age_s=1, acquired_age_s=3600)
        with audit_lock(store, holder="me"):
            assert current_holder(store).pid == os.getpid()
    finally:
        newcomer.kill()
        newcomer.wait()


def test_a_live_same_host_holder_is_respected(inventory):
    store, _ = inventory
    """The parent of this test started long before its (simulated) acquisition: a live holder."""
    _foreign_row(store, host=HOST, pid=os.getppid(), age_s=1)
    with pytest.raises(ConcurrentRunError, match=rf"pid {os.getppid()} on {re.escape(HOST)}"):
        with audit_lock(store, holder="me"):
            pass


def test_heartbeat_does_not_resurrect_a_lock_taken_over(inventory):
    store, _ = inventory
    """If another process took the row over, the old holder neither refreshes nor deletes it."""
    with audit_lock(store, holder="slow", heartbeat_s=0.1):
        with store.begin() as conn:
            conn.execute(update(locks).where(locks.c.name == "audit").values(host="thief.example", pid=999))
        time.sleep(0.35)
        beat = current_holder(store).heartbeat_at
        time.sleep(0.3)
        assert current_holder(store).heartbeat_at == beat
    assert current_holder(store).host == "thief.example"


# --- two real processes ----------------------------------------------------------------------

def _wait_line(proc: subprocess.Popen, prefix: str, timeout: float = 15) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith(prefix):
            return line
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"no {prefix!r} line; stderr: {proc.stderr.read()}")


def test_two_processes_started_together_one_runs_the_other_exits(inventory, spawn, tmp_path):
    store, db_url = inventory
    go, release = tmp_path / "go", tmp_path / "release"
    a, b = spawn("hold", db_url, str(go), str(release)), spawn("hold", db_url, str(go), str(release))
    _wait_line(a, "READY")
    _wait_line(b, "READY")
    go.touch()  # both were polling for this: they reach the lock within milliseconds of each other
    # The loser exits on its own, with the clear message; the winner is still holding.
    deadline = time.time() + 20
    while a.poll() is None and b.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    loser, winner = (a, b) if a.poll() is not None else (b, a)
    assert loser.returncode == EXIT_RUNTIME
    message = loser.stderr.read()
    assert winner.poll() is None, "the winner must still be running"
    holder = current_holder(store)
    assert holder.pid == winner.pid
    assert re.search(rf"error: another audit is running: pid {winner.pid} on {re.escape(HOST)} since \d{{4}}-", message), message
    assert "ACQUIRED" not in loser.stdout.read()
    release.touch()
    assert winner.wait(15) == 0
    assert winner.stdout.read().startswith(f"ACQUIRED {winner.pid}")
    assert current_holder(store) is None


def test_sigkilled_holder_does_not_keep_the_lock(inventory, spawn, tmp_path):
    store, db_url = inventory
    (tmp_path / "go").touch()
    victim = spawn("hold", db_url, str(tmp_path / "go"), str(tmp_path / "never"))
    _wait_line(victim, "ACQUIRED")
    with pytest.raises(ConcurrentRunError):  # alive: respected
        with audit_lock(store, holder="too early"):
            pass
    victim.kill()  # SIGKILL: no finally, no release
    victim.wait(10)
    assert current_holder(store).pid == victim.pid, "the dead holder's row is still there"
    heir = spawn("hold", db_url, str(tmp_path / "go"), str(tmp_path / "go"))
    assert heir.wait(15) == 0, heir.stderr.read()
    assert f"ACQUIRED {heir.pid}" in heir.stdout.read().splitlines()
    assert f"took over lock 'audit' from a dead holder: pid {victim.pid} on {HOST}" in heir.stderr.read()
    assert current_holder(store) is None


def test_killed_but_unreaped_holder_counts_as_dead(sqlite_store, sqlite_url, spawn, tmp_path):
    """A zombie (killed, parent has not waited yet) still answers kill(pid, 0)."""
    (tmp_path / "go").touch()
    victim = spawn("hold", sqlite_url, str(tmp_path / "go"), str(tmp_path / "never"))
    _wait_line(victim, "ACQUIRED")
    os.kill(victim.pid, 9)
    deadline = time.time() + 5
    while time.time() < deadline and open(f"/proc/{victim.pid}/stat").read().split(") ")[1][0] != "Z":
        time.sleep(0.02)
    with audit_lock(sqlite_store, holder="heir"):
        assert current_holder(sqlite_store).pid == os.getpid()
    victim.wait(10)
