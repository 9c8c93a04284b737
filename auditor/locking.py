"""One audit at a time, across processes and hosts, through a row in the ``locks`` table.

Why a database row and not a lock file: the scheduler, `auditor audit` from cron/systemd and
a Kubernetes CronJob may run on different machines that share only the inventory database.

Acquisition is atomic on SQLite and PostgreSQL alike: INSERT the row and treat the
unique-key violation as "held"; a held row is taken over only by a compare-and-swap UPDATE
that names the exact holder it read, so two processes that both find a dead holder cannot
both win. While held, a daemon thread refreshes ``heartbeat_at``. A holder counts as dead
when, on this host, its pid is gone (or now belongs to a process started after the lock was
taken: pid reuse), or, on another host, its heartbeat is older than ``stale_after_s``.
So a SIGKILLed or crashed process never leaves the lock held forever.

Re-entrancy: the same thread may nest ``audit_lock`` for the same database and name (e.g. the
scheduler's job takes the lock and then calls code that takes it again); only the outermost
exit releases it. Another thread of the same process is refused like any other holder.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from auditor.errors import ConcurrentRunError
from auditor.store.schema import locks

log = logging.getLogger(__name__)

DEFAULT_HEARTBEAT_S = 15.0
DEFAULT_STALE_AFTER_S = 300.0  # other-host holders: 20 missed heartbeats
LOCK_BUSY_TIMEOUT_MS = 3000  # SQLite: how long the lock check waits for another writer's (short) transaction
_TAKEOVER_ATTEMPTS = 5
# A process that started more than this after the lock was acquired cannot be its holder.
_PID_REUSE_SLACK_S = 2.0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything this module writes is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class LockHolder:
    """The current row of a lock, as read from the database."""

    name: str
    holder: str
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {aware_utc(self.acquired_at).isoformat(timespec='seconds')}"


# --- liveness of a holder on this host --------------------------------------------------------

def _proc_start_time(pid: int) -> datetime | None:
    """Start time of ``pid`` from /proc (Linux), or None where /proc is unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        btime = next(
            int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    start_ticks = int(fields[19])  # field 22 of stat overall
    return datetime.fromtimestamp(btime + start_ticks / os.sysconf("SC_CLK_TCK"), timezone.utc)


def _proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2:].split()[0]


def pid_alive(pid: int, *, started_before: datetime | None = None) -> bool:
    """Whether ``pid`` is a live process that could have taken a lock at ``started_before``.

    A zombie (killed, not yet reaped) is dead. A live pid whose process started after the
    lock was taken is a reused pid, so the holder is dead.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    if _proc_state(pid) in ("Z", "X"):
        return False
    if started_before is not None:
        started = _proc_start_time(pid)
        if started is not None and started > aware_utc(started_before) + timedelta(seconds=_PID_REUSE_SLACK_S):
            return False
    return True


def holder_is_dead(row: LockHolder, *, host: str, stale_after_s: float, now: datetime | None = None) -> bool:
    """Dead holders may be taken over: same host -> pid gone; other host -> heartbeat stale."""
    if row.host == host:
        return not pid_alive(row.pid, started_before=row.acquired_at)
    age = ((now or utcnow()) - aware_utc(row.heartbeat_at)).total_seconds()
    return age > stale_after_s


# --- the lock ---------------------------------------------------------------------------------

def current_holder(engine: Engine, name: str = "audit") -> LockHolder | None:
    with engine.connect() as conn:
        row = conn.execute(select(locks).where(locks.c.name == name)).mappings().first()
    return LockHolder(**row) if row else None


class _Heartbeat(threading.Thread):
    """Refreshes the row while the lock is held; notices when it was taken away."""

    def __init__(self, engine: Engine, mine: dict, interval_s: float) -> None:
        super().__init__(name=f"lock-heartbeat-{mine['name']}", daemon=True)
        self.engine, self.mine, self.interval_s = engine, mine, interval_s
        self.stop = threading.Event()
        self.lost = False

    def run(self) -> None:
        # Its own connection, opened once: never queued behind the work's pool checkouts.
        conn: Connection | None = None
        try:
            while not self.stop.wait(self.interval_s):
                try:
                    if conn is None:
                        conn = self.engine.connect()
                        _short_busy_timeout(conn)
                    n = conn.execute(
                        update(locks).where(_is_mine(self.mine)).values(heartbeat_at=utcnow())
                    ).rowcount
                    conn.commit()
                except Exception as exc:  # noqa: BLE001 - a transient DB error must not kill the heartbeat
                    log.warning("lock %r heartbeat failed (will retry): %s", self.mine["name"], one_line(exc))
                    if conn is not None:
                        try:
                            conn.close()
                        except Exception:  # noqa: BLE001 - already broken
                            pass
                    conn = None
                    continue
                if n == 0:
                    self.lost = True
                    log.error("lock %r was taken over by another process while this one held it",
                              self.mine["name"])
                    return
        finally:
            if conn is not None:
                conn.close()


def one_line(exc: BaseException) -> str:
    """A database error's first line, without SQLAlchemy's SQL echo and documentation link."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _short_busy_timeout(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_BUSY_TIMEOUT_MS}")


def _locked(exc: OperationalError) -> bool:
    return "locked" in str(getattr(exc, "orig", exc)).lower() or "busy" in str(getattr(exc, "orig", exc)).lower()


def _is_mine(mine: dict):  # type: ignore[no-untyped-def]
    return and_(locks.c.name == mine["name"], locks.c.host == mine["host"],
                locks.c.pid == mine["pid"], locks.c.acquired_at == mine["acquired_at"])


def _try_acquire(engine: Engine, name: str, holder: str, *, host: str, stale_after_s: float) -> dict:
    """Take the lock or raise ConcurrentRunError naming the live holder."""
    for _ in range(_TAKEOVER_ATTEMPTS):
        now = utcnow()
        mine = {"name": name, "holder": holder, "host": host, "pid": os.getpid(),
                "acquired_at": now, "heartbeat_at": now}
        try:
            with engine.connect() as conn:
                _short_busy_timeout(conn)
                try:
                    conn.execute(insert(locks).values(**mine))
                    conn.commit()
                finally:
                    if conn.dialect.name == "sqlite":  # pooled connection: back to the engine's default
                        conn.rollback()
                        conn.exec_driver_sql("PRAGMA busy_timeout=30000")
            return mine
        except IntegrityError:
            pass
        except OperationalError as exc:
            if not _locked(exc):
                raise
            # Another writer holds SQLite's write lock: say who, at once, not after a long busy wait.
            row = current_holder(engine, name)
            raise ConcurrentRunError(
                f"another {name} is running: {row.describe()} (holder {row.holder!r}); this run exits without doing anything"
                if row is not None else
                f"another process is writing to the database (it is locked); {name} not started: try again"
            ) from None
        row = current_holder(engine, name)
        if row is None:
            continue  # released between our INSERT and SELECT: try again
        if not holder_is_dead(row, host=host, stale_after_s=stale_after_s):
            raise ConcurrentRunError(
                f"another {name} is running: {row.describe()} (holder {row.holder!r}); "
                "this run exits without doing anything"
            )
        # Compare-and-swap on the exact row we judged dead: one contender wins.
        with engine.begin() as conn:
            won = conn.execute(
                update(locks).where(
                    locks.c.name == name, locks.c.host == row.host, locks.c.pid == row.pid,
                    locks.c.acquired_at == row.acquired_at,
                ).values(holder=holder, host=host, pid=mine["pid"], acquired_at=now, heartbeat_at=now)
            ).rowcount
        if won == 1:
            log.warning("took over lock %r from a dead holder: %s (holder %r)", name, row.describe(), row.holder)
            return mine
    raise ConcurrentRunError(f"could not acquire lock {name!r}: it kept changing hands; try again")


# (database url, lock name) -> [thread ident, depth]: nested use by the same thread.
_held: dict[tuple[str, str], list[int]] = {}
_held_guard = threading.Lock()


@contextmanager
def audit_lock(
    engine: Engine, name: str = "audit", *, holder: str,
    heartbeat_s: float = DEFAULT_HEARTBEAT_S, stale_after_s: float = DEFAULT_STALE_AFTER_S,
) -> Iterator[LockHolder]:
    """Hold the inter-process lock ``name`` for the body of the ``with``.

    Raises ConcurrentRunError ("another audit is running: pid N on HOST since T") when a live
    process holds it. ``stale_after_s`` applies to holders on other hosts, whose pid cannot be
    checked; keep it well above ``heartbeat_s``.
    """
    key = (engine.url.render_as_string(hide_password=True), name)
    me = threading.get_ident()
    with _held_guard:
        entry = _held.get(key)
        if entry is not None and entry[0] == me:
            entry[1] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            row = current_holder(engine, name)
            yield row if row else LockHolder(name, holder, socket.gethostname(), os.getpid(), utcnow(), utcnow())
        finally:
            with _held_guard:
                _held[key][1] -= 1
        return
    if entry is not None:
        row = current_holder(engine, name)
        where = row.describe() if row else f"pid {os.getpid()} on {socket.gethostname()}"
        raise ConcurrentRunError(f"another {name} is running: {where} (another thread of this process)")

    mine = _try_acquire(engine, name, holder, host=socket.gethostname(), stale_after_s=stale_after_s)
    with _held_guard:
        _held[key] = [me, 1]
    beat = _Heartbeat(engine, mine, heartbeat_s)
    beat.start()
    log.info("acquired lock %r as %r (pid %s)", name, holder, mine["pid"])
    try:
        yield LockHolder(**mine)
    finally:
        beat.stop.set()
        beat.join(timeout=max(5.0, heartbeat_s))
        with _held_guard:
            _held.pop(key, None)
        try:
            with engine.begin() as conn:
                conn.execute(delete(locks).where(_is_mine(mine)))
        except Exception as exc:  # noqa: BLE001 - a failed release must not mask the body's outcome
            log.error("could not release lock %r (it will be recovered once this process exits): %s", name, exc)
        else:
            log.info("released lock %r", name)


def force_unlock(engine: Engine, name: str = "audit", *, actor: str, reason: str) -> LockHolder | None:
    """The operator's override: drop the lock row, fail its holder's running snapshots (their
    partial writes undone) and record it all in the audit log, in one transaction.

    Returns the holder that was removed, or None when the lock was free.
    """
    from auditor.drift import auditlog
    from auditor.model import SnapshotStatus
    from auditor.store.ingest import _rollback_versions
    from auditor.store.schema import snapshots

    with engine.begin() as conn:
        row = conn.execute(select(locks).where(locks.c.name == name)).mappings().first()
        holder = LockHolder(**row) if row else None
        failed: list[int] = []
        if holder is not None:
            conn.execute(delete(locks).where(locks.c.name == name, locks.c.pid == holder.pid,
                                             locks.c.host == holder.host))
            running = conn.execute(select(snapshots.c.id).where(
                snapshots.c.status == SnapshotStatus.RUNNING.value, snapshots.c.host == holder.host,
                snapshots.c.pid == holder.pid)).scalars().all()
            for sid in running:
                _rollback_versions(conn, sid)
                conn.execute(update(snapshots).where(snapshots.c.id == sid).values(
                    status=SnapshotStatus.FAILED.value, finished_at=utcnow(),
                    error=f"lock removed by `auditor unlock --force` ({actor}): {reason}"[:4000]))
                failed.append(sid)
        auditlog.append(conn, actor=actor, action="lock.force_unlock", subject=f"lock:{name}", details={
            "reason": reason,
            "holder": None if holder is None else {
                "holder": holder.holder, "host": holder.host, "pid": holder.pid,
                "acquired_at": aware_utc(holder.acquired_at).isoformat(timespec="seconds"),
                "heartbeat_at": aware_utc(holder.heartbeat_at).isoformat(timespec="seconds")},
            "failed_snapshots": failed,
        })
    return holder
