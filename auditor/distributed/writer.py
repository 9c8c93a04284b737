"""SnapshotWriter in two roles: a worker writing one unit into the coordinator's snapshot, and
the coordinator applying each reported unit and finalising.

Why two roles: a worker knows which open versions its unit matched (unchanged resources write
nothing), but only the coordinator may delete. So a worker writes new versions (idempotently:
a redelivered unit finds the versions its first attempt committed and writes nothing twice) and
reports the open versions its completed unit did not match; the coordinator closes those only
for the first report of a unit it is still waiting for. A unit that timed out or exhausted its
retries is recorded ``error`` and closes nothing. Both roles keep the store's batching: the
worker flushes (commits) when its unit is recorded, before it reports; the coordinator queues
unit rows and closes like any writer and flushes them per row count or time slice.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine

from auditor.model import SnapshotStatus
from auditor.store.ingest import SnapshotWriter, _FlushPlan, unit_key

log = logging.getLogger(__name__)


class SnapshotClosed(RuntimeError):
    """The coordinator finished or failed the snapshot: a late worker must not write into it."""


class UnitWriter(SnapshotWriter):
    """Write one unit's resources into an existing, running snapshot (worker side).

    Never heartbeats the snapshot row (the coordinator does; workers updating it would deadlock
    on the row lock each flush takes), never deletes, never fails the snapshot.
    """

    def __init__(self, engine: Engine, snapshot_id: int) -> None:  # noqa: D107 - see the class
        self._setup(engine, int(snapshot_id), 5000, 1.0)
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
            self._queue, self._queued_rows = [], 0
            raise SnapshotClosed(f"snapshot {self.snapshot_id} is {status or 'gone'}; the unit's writes are refused")

    writes_unit_history = False  # the coordinator records units

    def heartbeat(self) -> None:
        return None

    def flush(self) -> None:
        """Check the snapshot is still running in the same transaction the flush commits."""
        if self._queue:
            self.require_running()
        super().flush()

    def record_unit(self, result) -> None:  # type: ignore[no-untyped-def]
        """The unit is done: flush now, so its versions are committed before it reports."""
        super().record_unit(result)
        self.flush()

    def _unit_done(self, plan: _FlushPlan, result, row: tuple, gone: list[int]) -> None:  # type: ignore[no-untyped-def]
        """Report what the completed unit no longer holds; the coordinator writes the unit row."""
        self.reports.append((result, sorted(gone)))

    def finish(self) -> str:
        self.flush()
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
        self._queue, self._queued_rows = [], 0
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
        self._reported_gone: dict[str, list[int]] = {}

    def heartbeat(self) -> None:
        """Beat and commit at once: an open update of the snapshot row would hold the row lock
        every worker's flush takes (FOR SHARE) and stall them all."""
        super().heartbeat()
        self._conn.commit()

    def record_remote(self, result, gone: list[int]) -> bool:  # type: ignore[no-untyped-def]
        """Queue one unit's report; a unit already recorded (a duplicate or a late report) is ignored."""
        u = result.unit
        key = unit_key(u.provider, u.account, u.region, u.resource_type)
        if key in self.recorded:
            return False
        self.recorded.add(key)
        self._reported_gone[key] = [int(i) for i in gone]
        self._heads[key] = {}  # nothing to compare here: the worker did, and reported what went
        self.stats.seen += int(result.resource_count or 0)
        super().record_unit(result)
        return True

    def _unit_done(self, plan: _FlushPlan, result, row: tuple, gone: list[int]) -> None:  # type: ignore[no-untyped-def]
        key = row[0]
        plan.guarded_closes.extend((i, key) for i in self._reported_gone.pop(key, []))
        super()._unit_done(plan, result, row, gone)

    def finish(self) -> str:
        """Settle keys that moved between units (workers' temporary tables are gone), then finish."""
        self.flush()
        sid = int(self.snapshot_id)
        c = self._conn
        c.exec_driver_sql("DELETE FROM ingest_new")
        moved = c.exec_driver_sql(
            f"INSERT INTO ingest_new (resource_key) SELECT resource_key FROM resource_versions "
            f"WHERE valid_from = {sid} AND valid_to IS NULL")
        self._new_keys = max(moved.rowcount or 0, 0)
        self.stats.written = self._new_keys
        return super().finish()
