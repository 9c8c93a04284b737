"""SnapshotWriter in two roles: a worker writing one unit into the coordinator's snapshot, and
the coordinator applying each reported unit and finalising.

Why two roles: a worker knows which open versions its unit matched (unchanged resources write
nothing), but only the coordinator may delete. So a worker writes new versions (idempotently:
a redelivered unit finds the versions its first attempt committed and writes nothing twice) and
reports the open versions its completed unit did not match; the coordinator closes those only
for the first report of a unit it is still waiting for. A unit that timed out or exhausted its
retries is recorded ``error`` and closes nothing.

Note for the store's owner: ``UnitWriter.__init__`` mirrors the connection set-up at the end of
``SnapshotWriter.__init__`` (it attaches to an existing snapshot instead of creating one); an
``attach`` constructor on SnapshotWriter would let it shrink to a call.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from auditor.model import COMPLETED_STATUSES, SnapshotStatus
from auditor.store.ingest import _RV_COLUMNS, IngestStats, SnapshotWriter, unit_key

log = logging.getLogger(__name__)


class SnapshotClosed(RuntimeError):
    """The coordinator finished or failed the snapshot: a late worker must not write into it."""


class UnitWriter(SnapshotWriter):
    """Write one unit's resources into an existing, running snapshot (worker side).

    Never heartbeats the snapshot row (the coordinator does; workers updating it would deadlock
    on the row lock each batch takes), never deletes, never fails the snapshot.
    """

    def __init__(self, engine: Engine, snapshot_id: int) -> None:  # noqa: D107 - see the class
        self.engine = engine
        self.stats = IngestStats()
        self.snapshot_id = int(snapshot_id)
        self._conn = engine.connect()
        self._sqlite = engine.dialect.name == "sqlite"
        self._ph = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self._heads: dict[str, dict[str, list]] = {}
        self._new_keys = 0
        self._conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS ingest_new (resource_key TEXT NOT NULL)")
        self._conn.exec_driver_sql("DELETE FROM ingest_new")
        self._conn.commit()
        self._insert_sql = (
            f"INSERT INTO resource_versions ({', '.join(_RV_COLUMNS)}) "
            f"VALUES ({', '.join([self._ph] * len(_RV_COLUMNS))})"
        )
        self._units_with_status: dict[str, str] = {}
        self._last_beat = None
        self._done = False
        self.error: str | None = None
        self.reports: list[tuple[Any, list[int]]] = []  # (UnitResult, open version ids it did not match)
        try:
            self.require_running()
        except BaseException:
            self.close()
            raise
        self._conn.commit()

    def require_running(self) -> None:
        """Raise SnapshotClosed unless the snapshot is still running. On PostgreSQL the row is
        share-locked until the caller commits, so the coordinator cannot finish it in between."""
        lock = "" if self._sqlite else " FOR SHARE"
        status = self._conn.exec_driver_sql(
            f"SELECT status FROM snapshots WHERE id = {self.snapshot_id}{lock}").scalar()
        if status != SnapshotStatus.RUNNING.value:
            self._conn.rollback()
            raise SnapshotClosed(f"snapshot {self.snapshot_id} is {status or 'gone'}; the unit's writes are refused")

    def heartbeat(self) -> None:
        return None

    def write(self, resources, unit=None) -> None:  # type: ignore[no-untyped-def]
        if not resources:
            return
        self.require_running()  # same transaction as the batch: committed by write()
        super().write(resources, unit)

    def record_unit(self, result) -> None:  # type: ignore[no-untyped-def]
        """Keep the unit's report: its status and, when it completed, what it no longer holds."""
        u = result.unit
        key = unit_key(u.provider, u.account, u.region, u.resource_type)
        heads = self._heads.pop(key, None)
        status = result.status.value if hasattr(result.status, "value") else str(result.status)
        gone: list[int] = []
        if status in COMPLETED_STATUSES:
            if heads is None:
                cur = self._conn.connection.dbapi_connection.cursor()
                try:
                    heads = self._load_heads(cur, key)
                finally:
                    cur.close()
                self._conn.rollback()
            gone = sorted(h[0] for h in heads.values() if not h[3] and h[0] is not None and h[2] < self.snapshot_id)
        self.reports.append((result, gone))

    def finish(self) -> str:
        self.close()
        return "reported"

    def fail(self, error: str) -> None:
        """A worker's failure ends its connection only; the coordinator decides about the snapshot."""
        self.error = error
        self.close()

    def close(self) -> None:
        if self._done:
            return
        self._done = True
        try:
            self._conn.rollback()
            self._conn.close()
        except Exception as exc:  # noqa: BLE001 - the connection may be what broke
            log.debug("closing a worker's connection: %s", exc)


class CoordinatorWriter(SnapshotWriter):
    """The snapshot as the coordinator sees it: created, heartbeat, one unit report at a time
    (deletions applied here only), finalised once every unit reported or timed out."""

    def __init__(self, engine: Engine, *, note: str | None = None) -> None:
        super().__init__(engine, note=note)
        self.recorded: set[str] = set()

    def heartbeat(self) -> None:
        """Beat and commit at once: an open update of the snapshot row would hold the row lock
        every worker's batch takes (FOR SHARE) and stall them all."""
        super().heartbeat()
        self._conn.commit()

    def record_remote(self, result, gone: list[int]) -> bool:  # type: ignore[no-untyped-def]
        """Apply one unit's report; a unit already recorded (a duplicate or a late report) is ignored."""
        u = result.unit
        key = unit_key(u.provider, u.account, u.region, u.resource_type)
        if key in self.recorded:
            return False
        self.recorded.add(key)
        status = result.status.value if hasattr(result.status, "value") else str(result.status)
        if status in COMPLETED_STATUSES and gone:
            sid = int(self.snapshot_id)
            cur = self._conn.connection.dbapi_connection.cursor()
            try:
                cur.executemany(
                    f"UPDATE resource_versions SET valid_to = {sid} WHERE id = {self._ph} AND unit_key = {self._ph} "
                    f"AND valid_to IS NULL AND valid_from < {sid}", [(int(i), key) for i in gone])
                self.stats.closed += max(cur.rowcount or 0, 0)  # psycopg 3: the total over the batch
            finally:
                cur.close()
        self._heads[key] = {}  # the writer's own close step: nothing more (the report said what went)
        self.stats.seen += int(result.resource_count or 0)
        super().record_unit(result)
        return True

    def finish(self) -> str:
        """Settle keys that moved between units (workers' temporary tables are gone), then finish."""
        sid = int(self.snapshot_id)
        c = self._conn
        c.exec_driver_sql("DELETE FROM ingest_new")
        moved = c.exec_driver_sql(
            f"INSERT INTO ingest_new (resource_key) SELECT resource_key FROM resource_versions "
            f"WHERE valid_from = {sid} AND valid_to IS NULL")
        self._new_keys = max(moved.rowcount or 0, 0)
        self.stats.written = self._new_keys
        return super().finish()
