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

Each batch commits, so a crash loses at most one batch; a run that dies is rolled back by
``recover_dead_snapshots`` (its new versions deleted, the versions it closed reopened),
which leaves every earlier snapshot exactly as it was.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import Connection, Engine, select, update

from auditor import __version__
from auditor.errors import ConcurrentRunError
from auditor.model import COMPLETED_STATUSES, Resource, SnapshotStatus
from auditor.store.schema import collection_units, snapshots

log = logging.getLogger(__name__)
_RV_COLUMNS = (
    "resource_key", "content_hash", "valid_from", "unit_key", "provider", "account", "region", "location",
    "category", "type", "name", "native_id", "tags", "facets", "config",
)


_UNIT_INSERT = collection_units.insert()


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
    conn.exec_driver_sql(f"DELETE FROM resource_versions WHERE valid_from = {int(sid)}")
    conn.exec_driver_sql(f"UPDATE resource_versions SET valid_to = NULL WHERE valid_to = {int(sid)}")


class SnapshotWriter:
    """Write one snapshot. Implements the collection runner's Sink protocol.

    Use as a context manager: leaving with an exception marks the snapshot failed and
    undoes its writes; ``finish()`` makes it visible as complete or partial.
    """

    def __init__(self, engine: Engine, *, note: str | None = None) -> None:
        self.engine = engine
        self.stats = IngestStats()
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
            self.snapshot_id: int = c.execute(
                snapshots.insert().values(
                    status=SnapshotStatus.RUNNING.value, started_at=now, heartbeat_at=now,
                    tool_version=__version__, host=socket.gethostname(), pid=os.getpid(), note=note,
                ).returning(snapshots.c.id)
            ).scalar_one()
        self._conn: Connection = engine.connect()
        self._sqlite = engine.dialect.name == "sqlite"
        self._ph = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        # unit_key -> resource_key -> [version id | None, content hash, valid_from, matched in this run]
        self._heads: dict[str, dict[str, list]] = {}
        self._new_keys = 0
        tmp = "CREATE TEMP TABLE IF NOT EXISTS ingest_new (resource_key TEXT NOT NULL)"
        self._conn.exec_driver_sql(tmp)
        self._conn.exec_driver_sql("DELETE FROM ingest_new")
        self._conn.commit()
        self._insert_sql = (
            f"INSERT INTO resource_versions ({', '.join(_RV_COLUMNS)}) "
            f"VALUES ({', '.join([self._ph] * len(_RV_COLUMNS))})"
        )
        self._units_with_status: dict[str, str] = {}
        self._last_beat: datetime | None = None
        self._done = False
        self.error: str | None = None  # why the snapshot failed, when it did

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> "SnapshotWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        if not self._done:
            self.fail(f"{exc_type.__name__}: {exc}" if exc_type else "aborted before finish")

    def _load_heads(self, cur, uk: str) -> dict[str, list]:  # type: ignore[no-untyped-def]
        """Open versions of one unit: one range scan of the (unit_key, resource_key, ...) index."""
        cur.execute(
            "SELECT resource_key, id, content_hash, valid_from FROM resource_versions "
            f"WHERE valid_to IS NULL AND unit_key = {self._ph}", (uk,))
        return {k: [vid, h, vf, False] for k, vid, h, vf in cur.fetchall()}

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
        """Write one batch (from one unit when ``unit`` is given) and commit it."""
        if not resources:
            return
        default_unit = (
            unit_key(unit.provider, unit.account, unit.region, unit.resource_type) if unit is not None else None
        )
        by_key: dict[str, Resource] = {}
        for r in resources:
            by_key[r.resource_key] = r  # a key repeated in one batch: last one wins
        c = self._conn
        cur = c.connection.dbapi_connection.cursor()
        try:
            sid = self.snapshot_id
            inserts, close_ids, replace, new_keys = [], [], [], []
            for k, r in by_key.items():
                uk = default_unit or unit_key(r.provider, r.account, r.region, r.type)
                heads = self._heads.get(uk)
                if heads is None:
                    heads = self._heads[uk] = self._load_heads(cur, uk)
                head = heads.get(k)
                if head is not None and head[1] == r.content_hash:
                    self.stats.unchanged += 1
                    head[3] = True
                    continue
                if head is None:
                    new_keys.append((k,))
                elif head[2] == sid:
                    replace.append((uk, k))  # the same key twice in one snapshot: keep the latest
                else:
                    close_ids.append(head[0])
                heads[k] = [None, r.content_hash, sid, True]
                inserts.append((
                    k, r.content_hash, sid, uk, r.provider, r.account, r.region, r.location, r.category, r.type,
                    r.name, r.native_id, r.tags, r.facets, r.config,
                ))
            if replace:
                cur.executemany(
                    f"DELETE FROM resource_versions WHERE unit_key = {self._ph} AND resource_key = {self._ph} "
                    f"AND valid_to IS NULL AND valid_from = {sid}", replace)
            if close_ids:
                cur.executemany(
                    f"UPDATE resource_versions SET valid_to = {sid} WHERE id = {self._ph}", [(i,) for i in close_ids]
                )
            if inserts:
                cur.executemany(self._insert_sql, inserts)
            if new_keys:
                cur.executemany(f"INSERT INTO ingest_new (resource_key) VALUES ({self._ph})", new_keys)
                self._new_keys += len(new_keys)
            self.stats.written += len(inserts)
            self.stats.seen += len(by_key)
        finally:
            cur.close()
        # One short transaction per batch, always ended here: the caller goes back to waiting on
        # the network, and no transaction (not even a read one) may stay open across that wait.
        if inserts or close_ids or replace or self._beat_due():
            self.heartbeat()
        c.commit()

    def _close_unmatched(self, uk: str, heads: dict[str, list] | None) -> None:
        """A completed unit proves absence: its older open versions nobody matched are deleted."""
        cur = self._conn.connection.dbapi_connection.cursor()
        try:
            if heads is None:  # the unit yielded nothing: everything it held is gone
                heads = self._load_heads(cur, uk)
            sid = self.snapshot_id
            gone = [(h[0],) for h in heads.values() if not h[3] and h[0] is not None and h[2] < sid]
            if gone:
                cur.executemany(f"UPDATE resource_versions SET valid_to = {sid} WHERE id = {self._ph}", gone)
                self.stats.closed += len(gone)
        finally:
            cur.close()
        if gone:
            self.heartbeat()

    def record_unit(self, result) -> None:  # type: ignore[no-untyped-def]
        u = result.unit
        key = unit_key(u.provider, u.account, u.region, u.resource_type)
        status = result.status.value if hasattr(result.status, "value") else str(result.status)
        self._units_with_status[key] = status
        heads = self._heads.pop(key, None)  # the unit is done: its open versions leave memory
        if status in COMPLETED_STATUSES:
            self._close_unmatched(key, heads)
        self._conn.execute(
            _UNIT_INSERT,
            dict(
                snapshot_id=self.snapshot_id, unit_key=key, provider=u.provider, account=u.account,
                region=u.region, resource_type=u.resource_type, status=status, error=_safe_error(result.error),
                resource_count=result.resource_count, api_calls=result.api_calls,
                started_at=result.started_at, duration_ms=int(result.duration_s * 1000),
            ),
        )
        # Commit now: a unit row left for "the next commit" would keep a write transaction
        # (and SQLite's database-wide write lock) open while the next units wait on the network.
        if self._beat_due():
            self.heartbeat()
        self._conn.commit()

    # -- finishing ------------------------------------------------------------------------

    def finish(self) -> str:
        """Close resources missing from completed units; make the snapshot visible."""
        sid = self.snapshot_id
        c = self._conn
        if self._new_keys:
            cur = c.connection.dbapi_connection.cursor()
            try:
                self._settle_new_keys(cur, sid)
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
            )
        )
        c.commit()
        self._heads = {}
        self._done = True
        c.close()
        return status.value

    def _settle_new_keys(self, cur, sid: int) -> None:  # type: ignore[no-untyped-def]
        """Keep one open version per key when keys changed units (or appeared in two)."""
        hint = " INDEXED BY ix_resource_versions_open" if self._sqlite else ""
        cur.execute(
            f"UPDATE resource_versions{hint} SET valid_to = {sid} WHERE valid_to IS NULL AND valid_from < {sid} "
            "AND resource_key IN (SELECT resource_key FROM ingest_new)")
        self.stats.moved = max(cur.rowcount or 0, 0)
        cur.execute("SELECT resource_key FROM ingest_new GROUP BY resource_key HAVING count(*) > 1")
        dups = [(k,) for (k,) in cur.fetchall()]
        for (k,) in dups:  # a collector bug (two units yield one key): keep the last written
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


def ingest(engine: Engine, batches: Iterable[list[Resource]], units: Iterable = (), note: str | None = None) -> tuple[int, str, IngestStats]:
    """Convenience: ingest pre-built batches and unit results in one snapshot."""
    with SnapshotWriter(engine, note=note) as w:
        for b in batches:
            w.write(b)
        for u in units:
            w.record_unit(u)
        status = w.finish()
    return w.snapshot_id, status, w.stats
