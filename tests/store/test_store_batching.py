"""The writer batches: queued writes and unit rows flush by size or time, and a run written in
one flush stores exactly what the same run written one call at a time stores."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from auditor.model import UnitStatus
from auditor.store import migrate, read
from auditor.store.engine import make_engine
from auditor.store.ingest import SnapshotWriter
from auditor.store.schema import collection_units, resource_versions, snapshots
from collectors.runner import ListSink, Unit, UnitTask, run_units
from tests.store.helpers import BUCKETS, bucket, result

UNITS = [Unit("aws", "111122223333", r, "aws.s3.bucket") for r in ("eu-west-1", "us-east-1", "ap-south-1")]
STATUSES = [UnitStatus.OK, UnitStatus.OK, UnitStatus.EMPTY, UnitStatus.ERROR, UnitStatus.DENIED]

# One snapshot: per unit, some writes (bucket index, version) and the unit's status. Keys are
# drawn from a small pool so they repeat within a batch, within a unit, across units (moves)
# and across snapshots (changes, deletions).
write = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2)), max_size=4)
unit_run = st.tuples(st.lists(write, max_size=3), st.sampled_from(STATUSES))
snapshot_plan = st.lists(st.tuples(st.sampled_from(range(len(UNITS))), unit_run), min_size=1, max_size=4,
                         unique_by=lambda t: t[0])
estate_plan = st.lists(snapshot_plan, min_size=1, max_size=4)


def play(engine, plan, **writer_kw) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Write every snapshot of ``plan``; what the inventory then says about each of them."""
    seen = []
    for snapshot in plan:
        with SnapshotWriter(engine, **writer_kw) as w:
            for ui, (writes, status) in snapshot:
                for batch in writes:
                    w.write([bucket(i, version=v) for i, v in batch], UNITS[ui])
                w.record_unit(result(UNITS[ui], status, sum(map(len, writes))))
            status = w.finish()
        seen.append((status, w.stats.seen, w.stats.unchanged, w.stats.closed, w.snapshot_id))
    out = []
    for status, seen_n, unchanged, closed, sid in seen:
        rows = sorted((r.resource_key, r.content_hash, r.state) for r in read.iter_resources(engine, sid))
        with engine.connect() as c:
            units = sorted(c.execute(select(collection_units.c.unit_key, collection_units.c.status,
                                            collection_units.c.resource_count)
                                     .where(collection_units.c.snapshot_id == sid)).all())
            opened = c.execute(select(func.count()).select_from(resource_versions)
                               .where(resource_versions.c.valid_from == sid)).scalar_one()
        out.append((status, seen_n, unchanged, closed, rows, units, opened))
    return out


def fresh_engine(tmp_path, name: str):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / name}")
    migrate.upgrade(engine)
    return engine


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=estate_plan)
def test_one_flush_stores_what_one_call_at_a_time_stores(tmp_path_factory, plan) -> None:
    tmp = tmp_path_factory.mktemp("batching")
    each, batched = fresh_engine(tmp, "each.db"), fresh_engine(tmp, "batched.db")
    try:
        one_at_a_time = play(each, plan, flush_rows=1)
        in_one_flush = play(batched, plan, flush_rows=10**9, flush_interval_s=10**9)
        assert in_one_flush == one_at_a_time
    finally:
        each.dispose()
        batched.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=estate_plan)
def test_the_unchanged_unit_shortcut_stores_what_the_full_compare_stores(tmp_path_factory, plan) -> None:
    """A unit whose digest is unchanged skips loading and comparing its versions; the store must
    end up exactly as when every unit is compared resource by resource."""
    from unittest import mock

    tmp = tmp_path_factory.mktemp("digest")
    full, fast = fresh_engine(tmp, "full.db"), fresh_engine(tmp, "fast.db")
    try:
        with mock.patch.object(SnapshotWriter, "_unchanged_units", lambda self, *survey: set()):
            compared = play(full, plan)
        assert play(fast, plan) == compared
    finally:
        full.dispose()
        fast.dispose()


@pytest.mark.postgres
def test_one_flush_matches_one_call_at_a_time_on_postgresql(pg_url, sqlite_url) -> None:
    """A fixed plan with every path (repeat in a batch, repeat across batches, move, error unit)."""
    from tests.conftest import migrated_engine

    plan = [
        [(0, ([[(1, 0), (2, 0)], [(2, 1)]], UnitStatus.OK)), (1, ([[(3, 0)]], UnitStatus.OK))],
        [(0, ([[(1, 0)], [(1, 1)]], UnitStatus.OK)), (1, ([[(2, 1)]], UnitStatus.ERROR)),
         (2, ([[(3, 0), (4, 2)]], UnitStatus.OK))],
        [(0, ([], UnitStatus.OK)), (2, ([[(4, 2)]], UnitStatus.OK))],
    ]
    results = []
    for url, kw in ((pg_url, {"flush_rows": 1}), (sqlite_url, {"flush_rows": 10**9, "flush_interval_s": 10**9})):
        with migrated_engine(url) as engine:
            got = play(engine, plan, **kw)
        results.append([g[:4] + (g[4], g[5]) for g in got])  # version counts differ only in ids
    assert results[0] == results[1]


def test_many_small_units_commit_a_few_times_not_once_per_unit(sqlite_store) -> None:
    commits = []
    event.listen(sqlite_store, "commit", lambda conn: commits.append(1))
    units = [Unit("aws", f"{a:012d}", "eu-west-1", "aws.s3.bucket") for a in range(300)]
    with SnapshotWriter(sqlite_store, flush_rows=5000, flush_interval_s=3600) as w:
        before = len(commits)
        for n, u in enumerate(units):
            w.write([bucket(2 * n), bucket(2 * n + 1)], u)
            w.record_unit(result(u, UnitStatus.OK, 2))
        during = len(commits) - before
        assert w.finish() == "complete"
    assert during == 0  # 900 queued rows: below flush_rows, and the time slice never elapsed
    with sqlite_store.connect() as c:
        assert c.execute(select(func.count()).select_from(collection_units)
                         .where(collection_units.c.snapshot_id == w.snapshot_id)).scalar_one() == 300
        assert c.execute(select(func.count()).select_from(resource_versions)).scalar_one() == 600


def test_size_flushes_as_it_goes(sqlite_store) -> None:
    with SnapshotWriter(sqlite_store, flush_rows=50, flush_interval_s=3600) as w:
        for i in range(0, 200, 2):
            w.write([bucket(i), bucket(i + 1)], BUCKETS)
        with sqlite_store.connect() as c:  # another connection sees what has flushed
            stored = c.execute(select(func.count()).select_from(resource_versions)).scalar_one()
        assert 150 <= stored <= 200
        w.record_unit(result(BUCKETS, UnitStatus.OK, 200))
        w.finish()


def test_tick_flushes_what_waited_longer_than_the_time_slice(sqlite_store) -> None:
    def visible() -> int:
        with sqlite_store.connect() as c:
            return c.execute(select(func.count()).select_from(resource_versions)).scalar_one()

    with SnapshotWriter(sqlite_store, flush_rows=10**9, flush_interval_s=0.2) as w:
        w.write([bucket(1)], BUCKETS)  # the first call may find the slice already over
        w.write([bucket(2)], BUCKETS)
        queued = visible()
        w.tick()
        assert visible() == queued  # not due yet
        time.sleep(0.25)
        w.tick()
        assert visible() == 2
        w.record_unit(result(BUCKETS, UnitStatus.OK, 2))
        w.finish()


def test_tick_keeps_the_heartbeat_fresh_while_nothing_arrives(sqlite_store) -> None:
    """Another host judges the run dead from a stale heartbeat: waiting on the network must beat."""
    from datetime import datetime, timedelta, timezone

    old = datetime.now(timezone.utc) - timedelta(minutes=10)
    with SnapshotWriter(sqlite_store) as w:
        with sqlite_store.begin() as c:
            c.execute(snapshots.update().values(heartbeat_at=old).where(snapshots.c.id == w.snapshot_id))
        w._last_beat = old  # the last beat was long ago
        w.tick()
        with sqlite_store.connect() as c:
            beat = c.execute(select(snapshots.c.heartbeat_at).where(snapshots.c.id == w.snapshot_id)).scalar_one()
        assert beat.replace(tzinfo=timezone.utc) > old + timedelta(minutes=9)
        w.record_unit(result(BUCKETS, UnitStatus.EMPTY))
        w.finish()


def test_failing_run_drops_its_queue_and_undoes_what_flushed(sqlite_store) -> None:
    with SnapshotWriter(sqlite_store, flush_rows=3, flush_interval_s=3600) as w:
        w.write([bucket(i) for i in range(5)], BUCKETS)  # flushed
        w.write([bucket(9)], BUCKETS)  # queued
        w.fail("interrupted")
    with sqlite_store.connect() as c:
        assert c.execute(select(func.count()).select_from(resource_versions)).scalar_one() == 0
        assert c.execute(select(snapshots.c.status)).scalar_one() == "failed"


def test_the_runner_lets_a_batching_sink_flush_while_units_wait() -> None:
    """A unit stuck on the network must not hold earlier units' rows in memory indefinitely."""

    class TickingSink(ListSink):
        ticks = 0

        def tick(self) -> None:
            self.ticks += 1

    release = threading.Event()

    def slow(ctx):  # type: ignore[no-untyped-def]
        release.wait(1.0)
        return iter(())

    sink = TickingSink()
    run_units([UnitTask(UNITS[0], slow)], sink, concurrency=1)
    assert sink.ticks >= 3  # the runner polls every 0.1 s while the unit waits
