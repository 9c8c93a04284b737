"""Unit history is stored as intervals: an unchanged night writes no unit row, every snapshot
still reads exactly the units it recorded (with their status), and the migration from the
row-per-snapshot table keeps what each snapshot said."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import func, select

from auditor.model import UnitStatus
from auditor.store import migrate, read
from auditor.store.engine import make_engine
from auditor.store.ingest import SnapshotWriter
from auditor.store.schema import unit_versions
from collectors.runner import Unit
from tests.store.helpers import bucket, result

UNITS = [Unit("aws", "111122223333", r, "aws.s3.bucket") for r in ("eu-west-1", "us-east-1", "ap-south-1")]


def run(engine, statuses: dict[int, UnitStatus], *, errors: dict[int, str] | None = None) -> SnapshotWriter:
    """One snapshot recording the units named in ``statuses`` (two buckets each when completed)."""
    with SnapshotWriter(engine) as w:
        for ui, status in statuses.items():
            if status.completed:
                w.write([bucket(ui * 10 + j) for j in range(2)], UNITS[ui])
            w.record_unit(result(UNITS[ui], status, 2 if status.completed else 0, (errors or {}).get(ui)))
        w.finish()
    return w


def units_of(engine, sid: int) -> dict[str, str]:
    return {u["region"]: u["status"] for u in read.list_units(engine, sid)}


def history_rows(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(unit_versions)).scalar_one()


def test_unchanged_nights_write_no_unit_rows(store):
    ok = {0: UnitStatus.OK, 1: UnitStatus.OK, 2: UnitStatus.EMPTY}
    first = run(store, ok)
    assert first.stats.unit_versions == 3
    nights = [run(store, ok) for _ in range(4)]
    assert [w.stats.unit_versions for w in nights] == [0, 0, 0, 0]
    assert history_rows(store) == 3  # five snapshots, three units: history grew with change only
    for w in [first, *nights]:
        assert units_of(store, w.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "ok", "ap-south-1": "empty"}


def test_a_change_is_one_row_and_earlier_snapshots_keep_their_status(store):
    a = run(store, {0: UnitStatus.OK, 1: UnitStatus.OK})
    b = run(store, {0: UnitStatus.OK, 1: UnitStatus.DENIED}, errors={1: "AccessDenied: s3:ListAllMyBuckets"})
    c = run(store, {0: UnitStatus.OK, 1: UnitStatus.OK})
    assert (b.stats.unit_versions, c.stats.unit_versions) == (1, 1)
    assert units_of(store, a.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "ok"}
    assert units_of(store, b.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "denied"}
    assert units_of(store, c.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "ok"}
    # the denied unit's buckets were carried forward in b, not deleted, and read as unknown there
    states = {r.resource_key.rsplit("-", 1)[-1]: r.state for r in read.iter_resources(store, b.snapshot_id)}
    assert states == {"0": "present", "1": "present", "10": "unknown", "11": "unknown"}
    assert [u["error"] for u in read.incomplete_units(store, b.snapshot_id)] == ["AccessDenied: s3:ListAllMyBuckets"]


def test_a_unit_not_recorded_is_not_collected_in_that_snapshot(store):
    """Out of scope (or never reached) in a later run: that snapshot must not claim it."""
    a = run(store, {0: UnitStatus.OK, 1: UnitStatus.OK})
    b = run(store, {0: UnitStatus.OK})
    c = run(store, {0: UnitStatus.OK, 1: UnitStatus.OK})
    assert units_of(store, a.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "ok"}
    assert units_of(store, b.snapshot_id) == {"eu-west-1": "ok"}
    assert units_of(store, c.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "ok"}
    states = {r.resource_key.rsplit("-", 1)[-1]: r.state for r in read.iter_resources(store, b.snapshot_id)}
    assert states["10"] == "unknown"  # its unit was not collected in b: carried, never "present"


def test_a_unit_recorded_twice_in_one_run_keeps_the_last_record(store):
    a = run(store, {0: UnitStatus.OK})
    for flush_rows in (1, 5000):  # across flushes and within one
        with SnapshotWriter(store, flush_rows=flush_rows) as w:
            w.record_unit(result(UNITS[0], UnitStatus.ERROR, 0, "Throttling"))
            w.record_unit(result(UNITS[0], UnitStatus.OK, 2))
            w.write([bucket(j) for j in range(2)], UNITS[0])
            w.finish()
        assert units_of(store, w.snapshot_id) == {"eu-west-1": "ok"}
    assert units_of(store, a.snapshot_id) == {"eu-west-1": "ok"}
    with store.connect() as c:
        open_rows = c.execute(select(func.count()).select_from(unit_versions)
                              .where(unit_versions.c.valid_to.is_(None))).scalar_one()
    assert open_rows == 1


def test_failed_runs_leave_earlier_snapshots_units_intact(store):
    a = run(store, {0: UnitStatus.OK, 1: UnitStatus.OK})
    failed = run(store, {0: UnitStatus.ERROR, 1: UnitStatus.DENIED})
    assert read.get_snapshot(store, failed.snapshot_id)["status"] == "failed"
    with pytest.raises(RuntimeError):
        with SnapshotWriter(store) as w:
            w.record_unit(result(UNITS[0], UnitStatus.THROTTLED, 0, "Rate exceeded"))
            w.flush()
            raise RuntimeError("the collector crashed")
    assert units_of(store, a.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "ok"}
    after = run(store, {0: UnitStatus.OK, 1: UnitStatus.OK})
    assert units_of(store, after.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "ok"}
    assert units_of(store, a.snapshot_id) == {"eu-west-1": "ok", "us-east-1": "ok"}


def test_snapshot_keeps_the_runs_api_call_total(store):
    w = run(store, {0: UnitStatus.OK, 1: UnitStatus.OK, 2: UnitStatus.DENIED})
    assert read.get_snapshot(store, w.snapshot_id)["api_calls"] == 3  # one call per unit (helpers.result)


# --- migration 0005: rows per snapshot -> intervals -----------------------------------------

def _old_database(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate.upgrade(engine, "0004")
    now = datetime.now(timezone.utc).isoformat()
    with engine.begin() as c:
        for sid, status in ((1, "complete"), (2, "complete"), (3, "failed"), (4, "partial"), (5, "complete")):
            c.exec_driver_sql(
                "INSERT INTO snapshots (id, status, started_at, tool_version, host, pid, heartbeat_at) "
                f"VALUES ({sid}, '{status}', '{now}', 't', 'h', 1, '{now}')")
        rows = [  # unit a: ok ok ok(count differs) - ok ; unit b: ok, missing in 2, denied in 4, ok ; c: only 5
            (1, "a", "ok", 2, 7), (2, "a", "ok", 2, 5), (3, "a", "ok", 3, 1), (5, "a", "ok", 3, 2),
            (1, "b", "ok", 1, 1), (3, "b", "ok", 1, 1), (4, "b", "denied", 0, 1), (5, "b", "ok", 1, 1),
            (5, "c", "empty", 0, 1),
        ]
        for sid, key, status, count, calls in rows:
            c.exec_driver_sql(
                "INSERT INTO collection_units (snapshot_id, unit_key, provider, account, region, resource_type, status, "
                f"resource_count, api_calls) VALUES ({sid}, '{key}', 'aws', '1', '{key}', 't', '{status}', {count}, {calls})")
    with engine.connect() as c:
        before = {sid: sorted(c.exec_driver_sql(
            f"SELECT unit_key, status, resource_count FROM collection_units WHERE snapshot_id = {sid}").all())
            for sid in range(1, 6)}
    return engine, before


def test_migration_maps_rows_to_intervals_and_back(tmp_path):
    engine, before = _old_database(tmp_path)
    migrate.upgrade(engine)
    with engine.connect() as c:
        after = {sid: sorted(c.exec_driver_sql(
            f"SELECT unit_key, status, resource_count FROM collection_units WHERE snapshot_id = {sid}").all())
            for sid in range(1, 6)}
        intervals = sorted(c.exec_driver_sql(
            "SELECT unit_key, status, resource_count, valid_from, valid_to FROM unit_versions").all(),
            key=lambda r: (r[0], r[3]))
        calls = dict(c.exec_driver_sql("SELECT id, api_calls FROM snapshots").all())
    assert after == {**before, 3: []}  # a failed snapshot lists no units (its unit history rolls back with it)
    assert intervals == [
        ("a", "ok", 2, 1, 3), ("a", "ok", 3, 3, 4), ("a", "ok", 3, 5, None),
        ("b", "ok", 1, 1, 2), ("b", "ok", 1, 3, 4), ("b", "denied", 0, 4, 5), ("b", "ok", 1, 5, None),
        ("c", "empty", 0, 5, None),
    ]
    assert calls == {1: 8, 2: 5, 3: 2, 4: 1, 5: 4}
    # writing on top of migrated history: an unchanged unit adds nothing, one missing is closed
    with SnapshotWriter(engine) as w:
        w.record_unit(result(Unit("aws", "1", "a", "t"), UnitStatus.OK, 3))
        w.finish()
    with engine.connect() as c:
        assert sorted(c.exec_driver_sql(f"SELECT unit_key FROM collection_units WHERE snapshot_id = {w.snapshot_id}")
                      .scalars().all()) == ["aws|1|a|t"]
    with engine.begin() as conn:  # and back: the downgrade restores a row per unit per snapshot
        cfg = migrate._alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with engine.connect() as c:
        back = {sid: sorted(c.exec_driver_sql(
            f"SELECT unit_key, status, resource_count FROM collection_units WHERE snapshot_id = {sid}").all())
            for sid in range(1, 6)}
    assert back == before


# --- the unchanged-unit shortcut (digest) ---------------------------------------------------

def keys_of(engine, sid: int) -> dict[str, str]:
    return {r.resource_key.rsplit("-", 1)[-1]: r.content_hash[:8] for r in read.iter_resources(engine, sid)}


def test_an_unchanged_unit_is_not_compared_resource_by_resource(store, monkeypatch):
    run(store, {0: UnitStatus.OK, 1: UnitStatus.OK})
    loaded: list[set[str]] = []
    real = SnapshotWriter._load_heads
    monkeypatch.setattr(SnapshotWriter, "_load_heads", lambda self, cur, units: (loaded.append(set(units)),
                                                                                  real(self, cur, units))[1])
    w = run(store, {0: UnitStatus.OK, 1: UnitStatus.OK})
    assert w.stats.unchanged == 4 and w.stats.written == 0
    assert set().union(*loaded) == set()  # no unit's open versions were read


def test_a_key_moving_away_and_back_is_never_lost(store):
    """u holds k; v takes k (u's digest is voided); u takes it back with the same content."""
    u, v = UNITS[0], UNITS[1]
    for owner in (u, v, u, u):
        with SnapshotWriter(store) as w:
            w.write([bucket(7)], owner)
            w.record_unit(result(owner, UnitStatus.OK, 1))
            other = v if owner is u else u
            w.record_unit(result(other, UnitStatus.OK, 0))
            w.finish()
        assert list(keys_of(store, w.snapshot_id)) == ["7"], owner


def test_a_failed_run_that_changed_a_unit_does_not_fool_the_next_one(store):
    """The crashed run wrote new content and a new digest; both roll back, so the next run with
    that same content writes it instead of taking it as unchanged."""
    run(store, {0: UnitStatus.OK})
    with pytest.raises(RuntimeError):
        with SnapshotWriter(store) as w:
            w.write([bucket(0, version=1), bucket(1, version=1)], UNITS[0])
            w.record_unit(result(UNITS[0], UnitStatus.OK, 2))
            w.flush()
            raise RuntimeError("killed after its unit flushed")
    with SnapshotWriter(store) as w:
        w.write([bucket(0, version=1), bucket(1, version=1)], UNITS[0])
        w.record_unit(result(UNITS[0], UnitStatus.OK, 2))
        w.finish()
    assert w.stats.written == 2
    want = {str(i): bucket(i, version=1).content_hash[:8] for i in (0, 1)}
    assert keys_of(store, w.snapshot_id) == want
