"""Streaming ingestion: begin snapshot -> record units -> write batches -> finish.

Only changed content costs a row. When a unit's first batch arrives, the open versions of
that unit are read with one range scan of the open-version index (led by ``unit_key``) and
held until the unit is recorded, so memory follows the units in flight, not the estate;
each resource is then compared by content hash and unchanged ones write nothing at all.
When the unit is recorded as *completed* (ok/empty), its open versions that no resource
matched are closed there and then (deleted); a unit that did not complete closes nothing,
and its resources stay open and read as ``unknown``. Keys new to their unit are
listed in a temporary table: a key that moved from another unit has its old open version
closed at the end, so there is always one open version per key.

Writes are queued and flushed together (by row count or time slice), each flush one
transaction, so a crash loses at most one flush; a run that dies is rolled back by
``recover_dead_snapshots`` (its new versions deleted, the versions it closed reopened),
which leaves every earlier snapshot exactly as it was.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import Connection, Engine, select, update

from auditor import __version__
from auditor.errors import ConcurrentRunError
from auditor.model import COMPLETED_STATUSES, Resource, SnapshotStatus
from auditor.store.schema import snapshots

log = logging.getLogger(__name__)
_RV_COLUMNS = (
    "resource_key", "content_hash", "valid_from", "unit_key", "provider", "account", "region", "location",
    "category", "type", "name", "native_id", "tags", "facets", "config",
)


_UNIT_COLUMNS = (
    "unit_key", "provider", "account", "region", "resource_type", "status", "error", "resource_count", "valid_from",
    "digest",
)
_DIGEST = 9
_UNIT_STATE = slice(5, 8)  # status, error, resource_count: what makes a new unit version


def unit_key(provider: str, account: str, region: str, resource_type: str) -> str:
    return f"{provider}|{account}|{region}|{resource_type}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _safe_error(error: str | None) -> str | None:
    """Error text is stored and exported: cloud error messages quote request parameters (a
    presigned URL, a token in a header), so secret-shaped parts are redacted first."""
    if error is None:
        return None
    from auditor.redact import redact_identity

    return redact_identity(error)[:4000]


@dataclass
class IngestStats:
    written: int = 0  # rows inserted into resource_versions
    unchanged: int = 0
    seen: int = 0
    closed: int = 0  # resources deleted (missing from a completed unit)
    moved: int = 0  # open versions superseded because their key now comes from another unit
    unit_versions: int = 0  # unit history rows written (a unit's status, error or count changed)
    api_calls: int = 0


def recover_dead_snapshots(engine: Engine, *, stale_after_s: float = 300) -> list[int]:
    """Mark runs whose process is gone as failed and undo their partial writes.

    A run counts as dead when its pid no longer exists on this host, or (on another host)
    when neither its audit-lock heartbeat (refreshed every 15 s by its own connection, even
    while every unit waits on the network) nor its own snapshot heartbeat is younger than
    ``stale_after_s``. So a crashed pod is recognised within minutes, not an hour.
    Returns the ids recovered.
    """
    from auditor.store.schema import locks

    host, now = socket.gethostname(), utcnow()
    recovered: list[int] = []
    with engine.begin() as conn:
        rows = conn.execute(
            select(snapshots.c.id, snapshots.c.host, snapshots.c.pid, snapshots.c.heartbeat_at)
            .where(snapshots.c.status == SnapshotStatus.RUNNING.value)
        ).all()
        for sid, shost, spid, beat in rows:
            if shost == host:
                dead = spid != os.getpid() and not _pid_alive(spid)
            else:
                lock_beats = conn.execute(
                    select(locks.c.heartbeat_at).where(locks.c.host == shost, locks.c.pid == spid)
                ).scalars().all()
                freshest = max([_aware(b) for b in [beat, *lock_beats] if b is not None], default=None)
                dead = freshest is None or (now - freshest).total_seconds() > stale_after_s
            if dead:
                _rollback_versions(conn, sid)
                conn.execute(
                    update(snapshots).where(snapshots.c.id == sid).values(
                        status=SnapshotStatus.FAILED.value, finished_at=now,
                        error="the collecting process died before finishing; its partial writes were undone",
                    )
                )
                recovered.append(sid)
    return recovered


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _rollback_versions(conn: Connection, sid: int) -> None:
    """Undo a run's history writes, resources and units alike (a unit's digest must keep
    describing its open resource versions, so unit history rolls back with them)."""
    for table in ("resource_versions", "unit_versions"):
        conn.exec_driver_sql(f"DELETE FROM {table} WHERE valid_from = {int(sid)}")
        conn.exec_driver_sql(f"UPDATE {table} SET valid_to = NULL WHERE valid_to = {int(sid)}")


def unit_digest(pairs: dict[str, str]) -> str:
    """What a unit holds, in one hash: its resource keys and content hashes."""
    return hashlib.sha256("".join([f"{k}\x00{pairs[k]}\n" for k in sorted(pairs)]).encode()).hexdigest()


class SnapshotWriter:
    """Write one snapshot. Implements the collection runner's Sink protocol.

    Use as a context manager: leaving with an exception marks the snapshot failed and
    undoes its writes; ``finish()`` makes it visible as complete or partial.

    Writes and unit records are queued and flushed together, in one short transaction, when
    ``flush_rows`` resources are queued or ``flush_interval_s`` has passed (checked on every
    call and on :meth:`tick`, which the runner calls while it waits). Real units hold one or
    two resources, so a commit, a head lookup and a unit row per unit would dominate the run;
    per flush they cost one of each. No transaction stays open between flushes.
    """

    writes_unit_history = True  # False where another process records the units (a distributed worker)

    def __init__(self, engine: Engine, *, note: str | None = None, flush_rows: int = 5000,
                 flush_interval_s: float = 1.0) -> None:
        recover_dead_snapshots(engine)
        with engine.begin() as c:
            running = c.execute(
                select(snapshots.c.id, snapshots.c.pid, snapshots.c.host)
                .where(snapshots.c.status == SnapshotStatus.RUNNING.value)
            ).first()
            if running is not None:
                raise ConcurrentRunError(
                    f"snapshot {running.id} is still being written by pid {running.pid} on {running.host}"
                )
            now = utcnow()
            sid = c.execute(
                snapshots.insert().values(
                    status=SnapshotStatus.RUNNING.value, started_at=now, heartbeat_at=now,
                    tool_version=__version__, host=socket.gethostname(), pid=os.getpid(), note=note,
                ).returning(snapshots.c.id)
            ).scalar_one()
        self._setup(engine, sid, flush_rows, flush_interval_s)

    @classmethod
    def attach(cls, engine: Engine, snapshot_id: int, *, flush_rows: int = 5000,
               flush_interval_s: float = 1.0) -> "SnapshotWriter":
        """A writer into a running snapshot that another process created and will finish (a
        distributed worker): no snapshot row is made, none is checked for concurrency."""
        self = cls.__new__(cls)
        self._setup(engine, int(snapshot_id), flush_rows, flush_interval_s)
        return self

    def _setup(self, engine: Engine, snapshot_id: int, flush_rows: int, flush_interval_s: float) -> None:
        self.engine = engine
        self.snapshot_id: int = snapshot_id
        self.stats = IngestStats()
        self.flush_rows = flush_rows
        self.flush_interval_s = flush_interval_s
        self._conn: Connection = engine.connect()
        self._sqlite = engine.dialect.name == "sqlite"
        self._ph = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        # unit_key -> resource_key -> (version id | None, content hash, valid_from, matched in this run):
        # tuples of plain values, which the cyclic GC stops tracking at its first look.
        self._heads: dict[str, dict[str, tuple]] = {}
        self._new_keys = 0
        tmp = "CREATE TEMP TABLE IF NOT EXISTS ingest_new (resource_key TEXT NOT NULL)"
        self._conn.exec_driver_sql(tmp)
        self._conn.exec_driver_sql("DELETE FROM ingest_new")
        self._conn.commit()
        self._insert_sql = (
            f"INSERT INTO resource_versions ({', '.join(_RV_COLUMNS)}) "
            f"VALUES ({', '.join([self._ph] * len(_RV_COLUMNS))})"
        )
        self._unit_sql = (
            f"INSERT INTO unit_versions ({', '.join(_UNIT_COLUMNS)}) "
            f"VALUES ({', '.join([self._ph] * len(_UNIT_COLUMNS))})"
        )
        self._units_with_status: dict[str, str] = {}
        # Per unit in flight: the keys and hashes written so far (its digest at record time), and
        # units written without a unit (their digest is unknown, so they take the full path).
        self._pairs: dict[str, dict[str, str]] = {}
        self._untracked: set[str] = set()
        self._changed_units: set[str] = set()  # units in flight that wrote a version (their digest is new)
        # Open unit history rows from earlier snapshots, read in one scan at the first flush (a
        # lookup per flush cost more than the unchanged run's every other step); each leaves as
        # its unit is recorded, and what is left at the end was not recorded by this run.
        self._open_units: dict[str, tuple] | None = None
        self._rerecorded: set[str] = set()
        # The queue: ("w", unit key | None, {resource_key: Resource}), ("u", unit key, status, row, result)
        self._queue: list[tuple] = []
        self._queued_rows = 0
        self._last_flush = time.monotonic()
        self._last_beat: datetime | None = None
        self._done = False
        self.error: str | None = None  # why the snapshot failed, when it did

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> "SnapshotWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        if not self._done:
            self.fail(f"{exc_type.__name__}: {exc}" if exc_type else "aborted before finish")

    def _beat_due(self) -> bool:
        return self._last_beat is None or (utcnow() - self._last_beat).total_seconds() >= 5

    def heartbeat(self) -> None:
        """Prove this run is alive (another host decides staleness from it); at most every 5 s."""
        if not self._beat_due():
            return
        now = self._last_beat = utcnow()
        self._conn.execute(
            update(snapshots).where(snapshots.c.id == self.snapshot_id).values(heartbeat_at=now)
        )

    # -- Sink protocol ----------------------------------------------------------------------

    def write(self, resources: list[Resource], unit=None) -> None:  # type: ignore[no-untyped-def]
        """Queue one batch (from one unit when ``unit`` is given); flushed here by size, by time when a
        unit is recorded or the runner ticks."""
        if not resources:
            return
        by_key = {r.resource_key: r for r in resources}  # a key repeated in one batch: last one wins
        if unit is not None:
            uk = unit_key(unit.provider, unit.account, unit.region, unit.resource_type)
            pairs = self._pairs.get(uk)
            if pairs is None:
                self._pairs[uk] = {k: r.content_hash for k, r in by_key.items()}
            else:
                before = len(pairs)
                pairs.update((k, r.content_hash) for k, r in by_key.items())
                if len(pairs) - before < len(by_key):  # a key written twice in one run: compare in full
                    self._untracked.add(uk)
        else:
            uk = None
            self._untracked.update(unit_key(r.provider, r.account, r.region, r.type) for r in by_key.values())
        self._queue.append(("w", uk, by_key))
        self._queued_rows += len(by_key)
        if self._queued_rows >= self.flush_rows:
            self.flush()

    def record_unit(self, result) -> None:  # type: ignore[no-untyped-def]
        """Queue the unit's row; when it completed, its unmatched open versions close at flush."""
        u, status, error = result.unit, result.status, result.error
        key = unit_key(u.provider, u.account, u.region, u.resource_type)
        status = getattr(status, "value", None) or str(status)
        if key in self._units_with_status:
            self._rerecorded.add(key)
        self._units_with_status[key] = status
        if result.api_calls:
            self.stats.api_calls += int(result.api_calls)
        pairs = self._pairs.pop(key, None)
        digest = (unit_digest(pairs or {}) if status in COMPLETED_STATUSES and key not in self._untracked
                  else None)
        row = (key, u.provider, u.account, u.region, u.resource_type, status,
               None if error is None else _safe_error(error), int(result.resource_count or 0), self.snapshot_id,
               digest)
        self._queue.append(("u", key, status, row, result))
        self._queued_rows += 1
        self._maybe_flush()

    def tick(self) -> None:
        """Called while the caller waits: flush what is due by time, keep the heartbeat fresh."""
        if self._done:
            return
        if self._queue:
            self._maybe_flush()
        elif self._beat_due():
            self.heartbeat()
            self._commit()

    def _maybe_flush(self) -> None:
        if self._queued_rows >= self.flush_rows or time.monotonic() - self._last_flush >= self.flush_interval_s:
            self.flush()

    # -- flushing ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Apply the queue in order, in one transaction, and commit."""
        queue, self._queue, self._queued_rows = self._queue, [], 0
        self._last_flush = time.monotonic()
        if not queue:
            return
        cur = self._conn.connection.dbapi_connection.cursor()
        try:
            plan = _FlushPlan()
            need, recorded, last_write = self._survey(queue)
            if self.writes_unit_history:
                plan.unit_heads = self._unit_heads(cur, recorded.keys())
                plan.same = self._unchanged_units(queue, recorded, last_write, plan.unit_heads)
            self._load_heads(cur, need - plan.same)
            for item in queue:
                if item[1] in plan.same:  # a unit holding exactly what it held: nothing to compare
                    if item[0] == "w":
                        self.stats.unchanged += len(item[2])
                        self.stats.seen += len(item[2])
                    else:
                        self._heads.pop(item[1], None)
                        self._unit_done(plan, item[4], item[3], [])
                elif item[0] == "w":
                    self._plan_write(cur, plan, item[1], item[2])
                else:
                    self._plan_unit(cur, plan, *item[1:])
            self._apply(cur, plan)
        finally:
            cur.close()
        self.heartbeat()
        self._commit()

    def _commit(self) -> None:
        """End the transaction whoever began it: SQLAlchemy (the heartbeat) or the raw cursor
        (every other statement here), which SQLAlchemy does not know about."""
        self._conn.commit()
        self._conn.connection.dbapi_connection.commit()

    def _survey(self, queue: list[tuple]) -> tuple[set[str], dict[str, int], dict[str, int]]:
        """One walk of the queue: the units whose open versions it compares against and are not
        yet in memory; each recorded unit's position (-1: recorded twice here); each unit's last write."""
        need: set[str] = set()
        recorded: dict[str, int] = {}
        last_write: dict[str, int] = {}
        for i, item in enumerate(queue):
            key = item[1]
            if item[0] == "w":
                if key is not None:
                    need.add(key)
                    last_write[key] = i
                else:
                    need.update(unit_key(r.provider, r.account, r.region, r.type) for r in item[2].values())
            else:
                if item[2] in COMPLETED_STATUSES:
                    need.add(key)
                recorded[key] = -1 if key in recorded else i
        return need - self._heads.keys(), recorded, last_write

    def _load_heads(self, cur, units: set[str]) -> None:  # type: ignore[no-untyped-def]
        """Open versions of many units: range scans of the (unit_key, resource_key, ...) index."""
        if not units:
            return
        heads = self._heads
        for uk in units:
            heads[uk] = {}
        for uk, k, vid, h, vf in self._open_rows(cur, "resource_versions", "resource_key, id, content_hash, valid_from",
                                                 units):
            heads[uk][k] = (vid, h, vf, False)

    def _open_rows(self, cur, table: str, columns: str, units: set[str]) -> list[tuple]:  # type: ignore[no-untyped-def]
        """``unit_key, <columns>`` of the open rows of ``table`` for these units (SQLite: chunks of
        500 bound keys; PostgreSQL: one ``= ANY`` array)."""
        todo = sorted(units)
        sql = f"SELECT unit_key, {columns} FROM {table} WHERE valid_to IS NULL AND "
        if not self._sqlite:
            cur.execute(sql + "unit_key = ANY(%s)", (todo,))
            return cur.fetchall()
        rows: list[tuple] = []
        for i in range(0, len(todo), 500):
            chunk = todo[i:i + 500]
            cur.execute(sql + f"unit_key IN ({', '.join('?' * len(chunk))})", chunk)
            rows.extend(cur.fetchall())
        return rows

    def _load_open_units(self, cur) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
        if self._open_units is None:
            cur.execute("SELECT unit_key, id, status, error, resource_count, valid_from, digest FROM unit_versions "
                        f"WHERE valid_to IS NULL AND valid_from < {int(self.snapshot_id)}")
            self._open_units = {k: (vid, (st, err, n), vf, dg) for k, vid, st, err, n, vf, dg in cur.fetchall()}
        return self._open_units

    def _unit_heads(self, cur, keys: Iterable[str]) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
        """The open history row of each unit recorded in this flush: key -> (id, state, valid_from, digest)."""
        out: dict[str, tuple] = {}
        if not keys:
            return out
        opened, rerecorded = self._load_open_units(cur), self._rerecorded
        again: set[str] = set()  # recorded before in this run: the store has its row
        for k in keys:
            if k in rerecorded:
                again.add(k)
                continue
            head = opened.pop(k, None)
            if head is not None:
                out[k] = head
        if again:
            for k, vid, st, err, n, vf, dg in self._open_rows(
                    cur, "unit_versions", "id, status, error, resource_count, valid_from, digest", again):
                out[k] = (vid, (st, err, n), vf, dg)
        return out

    def _unchanged_units(self, queue: list[tuple], recorded: dict[str, int], last_write: dict[str, int],
                         heads: dict[str, tuple]) -> set[str]:
        """Completed units recorded in this flush whose digest equals their open history row's:
        they hold exactly the resource versions already open, so none needs loading or comparing.
        Only when the unit is recorded once here, after all its writes in this flush."""
        same: set[str] = set()
        for key, at in recorded.items():
            head = heads.get(key)
            if at < 0 or head is None or head[3] is None or last_write.get(key, -1) > at:
                continue
            row = queue[at][3]
            if row[_DIGEST] == head[3] and row[_UNIT_STATE] == head[1]:
                same.add(key)
        return same

    def _plan_write(self, cur, plan: "_FlushPlan", default_unit: str | None, by_key: dict[str, Resource]) -> None:  # type: ignore[no-untyped-def]
        sid = self.snapshot_id
        for k, r in by_key.items():
            h = r.content_hash
            uk = default_unit or unit_key(r.provider, r.account, r.region, r.type)
            heads = self._heads.get(uk)
            if heads is None:  # the unit was recorded earlier in this flush and writes again
                self._apply(cur, plan)
                plan.clear()
                self._load_heads(cur, {uk})
                heads = self._heads[uk]
            head = heads.get(k)
            if head is not None and head[1] == h:
                self.stats.unchanged += 1
                heads[k] = (head[0], h, head[2], True)
                continue
            if head is None:
                plan.new_keys.append((k,))
            elif head[2] == sid:  # the same key twice in one snapshot: keep the latest
                self.stats.written -= 1  # counted once: the earlier row is overwritten or deleted
                if (uk, k) not in plan.inserts:
                    plan.replace.append((uk, k))
            else:
                plan.close_ids.append(head[0])
            heads[k] = (None, h, sid, True)
            self._changed_units.add(uk)
            plan.inserts[(uk, k)] = (k, h, sid, uk, r.provider, r.account, r.region, r.location, r.category, r.type,
                                     r.name, r.native_id, r.tags, r.facets, r.config)
            self.stats.written += 1
        self.stats.seen += len(by_key)

    def _plan_unit(self, cur, plan: "_FlushPlan", key: str, status: str, row: tuple, result) -> None:  # type: ignore[no-untyped-def]
        heads = self._heads.pop(key, None)  # the unit is done: its open versions leave memory
        gone: list[int] = []
        if status in COMPLETED_STATUSES:
            if heads is None:  # recorded, written again and recorded again within one flush
                self._apply(cur, plan)
                plan.clear()
                self._load_heads(cur, {key})
                heads = self._heads.pop(key)
            # A completed unit proves absence: its older open versions nobody matched are gone.
            sid = self.snapshot_id
            gone = [h[0] for h in heads.values() if not h[3] and h[0] is not None and h[2] < sid]
        self._unit_done(plan, result, row, gone)

    def _unit_done(self, plan: "_FlushPlan", result, row: tuple, gone: list[int]) -> None:  # type: ignore[no-untyped-def]
        """What a recorded unit writes: its row, and the closing of what it no longer holds. (A
        distributed worker overrides this to report ``gone`` to the coordinator instead.)"""
        plan.close_ids.extend(gone)
        self.stats.closed += len(gone)
        wrote = row[0] in self._changed_units or bool(gone)
        self._changed_units.discard(row[0])
        self._plan_unit_row(plan, row, wrote)

    def _plan_unit_row(self, plan: "_FlushPlan", row: tuple, wrote: bool = True) -> None:
        """A unit's history changes when its status, error or count does, or what it holds does
        (its digest). A digest learnt for unchanged content (after the migration, or once a move
        voided it) is filled in place: it then describes versions no rollback can change."""
        key, sid = row[0], self.snapshot_id
        head = plan.unit_heads.get(key)
        if key in plan.units:  # recorded twice in one flush: the later record wins
            plan.units[key] = row
            return
        if head is not None and head[1] == row[_UNIT_STATE]:
            if head[3] == row[_DIGEST]:
                return  # unchanged: the open interval already covers this snapshot
            if head[0] is not None and (not wrote or row[_DIGEST] is None):
                plan.unit_digests.append((row[_DIGEST], head[0]))
                return
        if head is not None:
            if head[2] == sid:
                plan.unit_replace.append((key,))  # recorded again in this snapshot: replace
            else:
                plan.unit_close_ids.append(head[0])
        plan.units[key] = row

    def _apply(self, cur, plan: "_FlushPlan") -> None:  # type: ignore[no-untyped-def]
        sid, ph = self.snapshot_id, self._ph
        if plan.replace:
            cur.executemany(
                f"DELETE FROM resource_versions WHERE unit_key = {ph} AND resource_key = {ph} "
                f"AND valid_to IS NULL AND valid_from = {sid}", plan.replace)
        if plan.guarded_closes:  # ids another process reported: closed only if still this unit's open versions
            cur.executemany(
                f"UPDATE resource_versions SET valid_to = {sid} WHERE id = {ph} AND unit_key = {ph} "
                f"AND valid_to IS NULL AND valid_from < {sid}", plan.guarded_closes)
            self.stats.closed += max(cur.rowcount or 0, 0)
        if plan.close_ids:
            if self._sqlite:
                cur.executemany(f"UPDATE resource_versions SET valid_to = {sid} WHERE id = ?",
                                [(i,) for i in plan.close_ids])
            else:
                cur.execute(f"UPDATE resource_versions SET valid_to = {sid} WHERE id = ANY(%s)", (plan.close_ids,))
        if plan.inserts:
            self._insert_rows(cur, "resource_versions", _RV_COLUMNS, list(plan.inserts.values()), self._insert_sql)
        if plan.new_keys:
            self._insert_rows(cur, "ingest_new", ("resource_key",), plan.new_keys,
                              f"INSERT INTO ingest_new (resource_key) VALUES ({ph})")
            self._new_keys += len(plan.new_keys)
        if plan.unit_replace:
            cur.executemany(f"DELETE FROM unit_versions WHERE unit_key = {ph} AND valid_from = {sid} "
                            "AND valid_to IS NULL", plan.unit_replace)
        if plan.unit_close_ids:
            cur.executemany(f"UPDATE unit_versions SET valid_to = {sid} WHERE id = {ph}",
                            [(i,) for i in plan.unit_close_ids])
        if plan.unit_digests:
            cur.executemany(f"UPDATE unit_versions SET digest = {ph} WHERE id = {ph}", plan.unit_digests)
        if plan.units:
            self._insert_rows(cur, "unit_versions", _UNIT_COLUMNS, list(plan.units.values()), self._unit_sql)
            self.stats.unit_versions += len(plan.units)
            for key, row in plan.units.items():  # the flush may go on after this apply: heads move on
                plan.unit_heads[key] = (None, row[_UNIT_STATE], sid, row[_DIGEST])

    def _insert_rows(self, cur, table: str, columns: tuple[str, ...], rows: list[tuple], sql: str) -> None:  # type: ignore[no-untyped-def]
        """``COPY`` on PostgreSQL (several times faster than INSERTs), ``executemany`` on SQLite."""
        if self._sqlite:
            cur.executemany(sql, rows)
            return
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    # -- finishing ------------------------------------------------------------------------

    def finish(self) -> str:
        """Close resources missing from completed units; make the snapshot visible."""
        self.flush()
        sid = self.snapshot_id
        c = self._conn
        cur = c.connection.dbapi_connection.cursor()
        try:
            if self._new_keys:
                self._settle_new_keys(cur, sid)
            self._close_unrecorded_units(cur, sid)
        finally:
            cur.close()
        statuses = set(self._units_with_status.values())
        incomplete = statuses - set(COMPLETED_STATUSES) - {"skipped"}
        if incomplete and not statuses & set(COMPLETED_STATUSES):
            # Nothing answered: a snapshot of nothing must never read as an (empty) estate.
            counts: dict[str, int] = {}
            for st in self._units_with_status.values():
                counts[st] = counts.get(st, 0) + 1
            self.error = "no collection unit succeeded (" + ", ".join(
                f"{n} {st}" for st, n in sorted(counts.items())) + ")"
            c.rollback()
            _rollback_versions(c, sid)
            status = SnapshotStatus.FAILED
        else:
            status = SnapshotStatus.PARTIAL if incomplete else SnapshotStatus.COMPLETE
        c.execute(
            update(snapshots).where(snapshots.c.id == sid).values(
                status=status.value, finished_at=utcnow(), resource_count=self.stats.seen,
                changed_count=self.stats.written + self.stats.closed, error=_safe_error(self.error),
                api_calls=self.stats.api_calls,
            )
        )
        c.commit()
        self._heads = {}
        self._done = True
        c.close()
        return status.value

    def _close_unrecorded_units(self, cur, sid: int) -> None:  # type: ignore[no-untyped-def]
        """A unit this run did not record (out of scope now, or never reached) was not collected
        here: its open history interval ends, so it never reads as recorded in this snapshot."""
        recorded = self._units_with_status
        stale = [(head[0],) for k, head in self._load_open_units(cur).items() if k not in recorded]
        self._open_units = {}
        if stale:
            cur.executemany(f"UPDATE unit_versions SET valid_to = {int(sid)} WHERE id = {self._ph}", stale)

    def _settle_new_keys(self, cur, sid: int) -> None:  # type: ignore[no-untyped-def]
        """Keep one open version per key when keys changed units (or appeared in two)."""
        hint = " INDEXED BY ix_resource_versions_open" if self._sqlite else ""
        moved = (f"FROM resource_versions{hint} WHERE valid_to IS NULL AND valid_from < {sid} "
                 "AND resource_key IN (SELECT resource_key FROM ingest_new)")
        # The units losing a key no longer hold what their digest says: void it (full compare next time).
        cur.execute(f"UPDATE unit_versions SET digest = NULL WHERE valid_to IS NULL AND unit_key IN (SELECT unit_key {moved})")
        cur.execute(f"UPDATE resource_versions{hint} SET valid_to = {sid} WHERE valid_to IS NULL AND valid_from < {sid} "
                    "AND resource_key IN (SELECT resource_key FROM ingest_new)")
        self.stats.moved = max(cur.rowcount or 0, 0)
        cur.execute("SELECT resource_key FROM ingest_new GROUP BY resource_key HAVING count(*) > 1")
        dups = [(k,) for (k,) in cur.fetchall()]
        for (k,) in dups:  # a collector bug (two units yield one key): keep the last written
            cur.execute(f"UPDATE unit_versions SET digest = NULL WHERE valid_to IS NULL AND unit_key IN "
                        f"(SELECT unit_key FROM resource_versions WHERE resource_key = {self._ph} AND valid_from = {sid})",
                        (k,))
            cur.execute(
                f"DELETE FROM resource_versions WHERE resource_key = {self._ph} AND valid_from = {sid} "
                f"AND valid_to IS NULL AND id < (SELECT max(id) FROM resource_versions WHERE resource_key = {self._ph} "
                f"AND valid_from = {sid})", (k, k))
        cur.execute("DELETE FROM ingest_new")

    def fail(self, error: str) -> None:
        """Mark failed and undo this snapshot's version writes (earlier snapshots untouched)."""
        if self._done:
            return
        self._done = True
        self._queue, self._queued_rows = [], 0
        self.error = error
        try:
            self._conn.rollback()
            self._conn.close()
        except Exception as exc:  # noqa: BLE001 - the connection may be the thing that broke
            log.debug("closing the failed run's connection: %s", exc)
        with self.engine.begin() as c:
            _rollback_versions(c, self.snapshot_id)
            c.execute(
                update(snapshots).where(snapshots.c.id == self.snapshot_id).values(
                    status=SnapshotStatus.FAILED.value, finished_at=utcnow(), error=_safe_error(error)
                )
            )


@dataclass
class _FlushPlan:
    """The statements one flush executes, gathered while the queue is compared in order."""

    inserts: dict[tuple[str, str], tuple] = field(default_factory=dict)  # (unit, key) -> row: a repeat overwrites
    close_ids: list[int] = field(default_factory=list)
    guarded_closes: list[tuple[int, str]] = field(default_factory=list)  # (version id, its unit key)
    replace: list[tuple[str, str]] = field(default_factory=list)
    new_keys: list[tuple[str]] = field(default_factory=list)
    units: dict[str, tuple] = field(default_factory=dict)  # unit key -> its new history row
    unit_heads: dict[str, tuple] = field(default_factory=dict)  # key -> (id, state, valid_from, digest), per flush
    same: set[str] = field(default_factory=set)  # units whose digest shows nothing changed
    unit_close_ids: list[int] = field(default_factory=list)
    unit_replace: list[tuple[str]] = field(default_factory=list)
    unit_digests: list[tuple[str | None, int]] = field(default_factory=list)  # (digest, unit version id)

    def clear(self) -> None:
        """Forget what was applied; unit heads stay (they were read before this flush changed them)."""
        self.inserts, self.close_ids, self.replace, self.new_keys, self.units = {}, [], [], [], {}
        self.guarded_closes, self.unit_close_ids, self.unit_replace, self.unit_digests = [], [], [], []


def ingest(engine: Engine, batches: Iterable[list[Resource]], units: Iterable = (), note: str | None = None) -> tuple[int, str, IngestStats]:
    """Convenience: ingest pre-built batches and unit results in one snapshot."""
    with SnapshotWriter(engine, note=note) as w:
        for b in batches:
            w.write(b)
        for u in units:
            w.record_unit(u)
        status = w.finish()
    return w.snapshot_id, status, w.stats
