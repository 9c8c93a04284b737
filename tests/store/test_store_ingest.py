"""Versioned ingest on SQLite and PostgreSQL: rows only on change, deletions only from
completed units, unknown for incomplete ones, failures undone."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from auditor.errors import ConcurrentRunError
from auditor.model import UnitStatus
from auditor.store import read
from auditor.store.ingest import SnapshotWriter
from auditor.store.schema import resource_versions, snapshots
from tests.store.helpers import BUCKETS, ROLES, bucket, result, role


def snap(engine, buckets, roles=(), bucket_status=UnitStatus.OK, role_status=UnitStatus.OK):
    with SnapshotWriter(engine) as w:
        if buckets:
            w.write(list(buckets), BUCKETS)
        if roles:
            w.write(list(roles), ROLES)
        w.record_unit(result(BUCKETS, bucket_status, len(buckets)))
        w.record_unit(result(ROLES, role_status, len(roles)))
        status = w.finish()
    return w.snapshot_id, status, w.stats


def version_rows(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(resource_versions)).scalar_one()


def keys(engine, sid, state=None):
    return sorted(r.resource_key for r in read.iter_resources(engine, sid) if state is None or r.state == state)


def test_unchanged_snapshot_writes_no_version_rows(store):
    s1, st1, _ = snap(store, [bucket(i) for i in range(20)], [role(1)])
    assert st1 == "complete"
    before = version_rows(store)
    s2, st2, stats = snap(store, [bucket(i) for i in range(20)], [role(1)])
    assert st2 == "complete" and stats.written == 0 and stats.unchanged == 21
    assert version_rows(store) == before
    assert keys(store, s1) == keys(store, s2)


def test_change_writes_one_version_and_history_reads_as_of(store):
    s1, *_ = snap(store, [bucket(1), bucket(2)])
    s2, _, stats = snap(store, [bucket(1, public=True), bucket(2)])
    assert stats.written == 1
    v1 = {r.resource_key: r for r in read.iter_resources(store, s1)}
    v2 = {r.resource_key: r for r in read.iter_resources(store, s2)}
    k = "aws.s3.bucket|arn:aws:s3:::bucket-1"
    assert v1[k].facets["public"] is False and v2[k].facets["public"] is True
    assert v1[k].content_hash != v2[k].content_hash
    assert len(read.resource_history(store, k)) == 2


def test_deleted_only_when_unit_completed(store):
    s1, *_ = snap(store, [bucket(1), bucket(2)], [role(1), role(2)])
    # bucket-2 gone from a completed unit: deleted. role-2 missing from a denied unit: unknown.
    s2, status, stats = snap(store, [bucket(1)], [role(1)], role_status=UnitStatus.DENIED)
    assert status == "partial"
    assert stats.closed == 1
    assert "aws.s3.bucket|arn:aws:s3:::bucket-2" not in keys(store, s2)
    assert "aws.iam.role|arn:aws:iam::111122223333:role/r2" in keys(store, s2, "unknown")
    assert "aws.s3.bucket|arn:aws:s3:::bucket-1" in keys(store, s2, "present")
    assert keys(store, s1) == sorted(keys(store, s1, "present"))  # history untouched


def test_failed_snapshot_is_undone_and_earlier_intact(store):
    s1, *_ = snap(store, [bucket(1), bucket(2)])
    before = keys(store, s1)
    with pytest.raises(RuntimeError):
        with SnapshotWriter(store) as w:
            w.write([bucket(1, public=True), bucket(3)], BUCKETS)
            raise RuntimeError("collector crashed")
    with store.connect() as c:
        status = c.execute(select(snapshots.c.status).where(snapshots.c.id == w.snapshot_id)).scalar_one()
    assert status == "failed"
    assert keys(store, s1) == before
    s3, st, _ = snap(store, [bucket(1), bucket(2)])
    assert st == "complete" and keys(store, s3) == before
    assert read.latest_snapshot_id(store) == s3


def test_second_writer_refused_while_first_running(store):
    w = SnapshotWriter(store)
    try:
        with pytest.raises(ConcurrentRunError):
            SnapshotWriter(store)
    finally:
        w.fail("test done")


def test_same_key_twice_in_one_snapshot_keeps_latest(store):
    with SnapshotWriter(store) as w:
        w.write([bucket(1)], BUCKETS)
        w.write([bucket(1, public=True)], BUCKETS)
        w.record_unit(result(BUCKETS))
        w.finish()
    rows = list(read.iter_resources(store, w.snapshot_id))
    assert len(rows) == 1 and rows[0].facets["public"] is True


def test_views_match_the_read_api(store, query_url):
    from functools import partial

    from auditor.store.readonly import run_readonly_query as run

    run_readonly_query = partial(run, query_url=query_url)  # PostgreSQL: as the reader role

    s1, *_ = snap(store, [bucket(1), bucket(2)], [role(1)])
    s2, *_ = snap(store, [bucket(1)], [role(1)], role_status=UnitStatus.ERROR)
    if store.dialect.name == "sqlite":
        res = run_readonly_query(store, f"SELECT resource_key, state FROM resources_as_of WHERE snapshot_id = {s2} ORDER BY resource_key")
        assert [tuple(r) for r in res.rows] == [(r.resource_key, r.state) for r in read.iter_resources(store, s2)]
    cur = run_readonly_query(store, "SELECT count(*) FROM current_resources")
    assert cur.rows[0][0] == 2
    units = run_readonly_query(store, f"SELECT status FROM units_v WHERE snapshot_id = {s2} ORDER BY status")
    assert [r[0] for r in units.rows] == ["error", "ok"]


def open_versions(engine, key):
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(resource_versions).where(
            resource_versions.c.resource_key == key, resource_versions.c.valid_to.is_(None))).scalar_one()


def test_key_moving_to_another_unit_keeps_one_open_version(store):
    from collectors.runner import Unit

    other = Unit("aws", "111122223333", "eu-west-1", "aws.s3.bucket")
    s1, *_ = snap(store, [bucket(1), bucket(2)])
    with SnapshotWriter(store) as w:  # the same bucket now reported by a regional unit
        w.write([bucket(1), bucket(2)], other)
        w.record_unit(result(other, UnitStatus.OK, 2))
        w.finish()
    key = "aws.s3.bucket|arn:aws:s3:::bucket-1"
    assert open_versions(store, key) == 1 and w.stats.moved == 2
    assert keys(store, s1) == keys(store, w.snapshot_id)
    s3, *_ = snap(store, [bucket(1)])  # bucket-1 back in the global unit; the regional unit not attempted
    assert open_versions(store, key) == 1
    # bucket-2's open version belongs to a unit this run did not attempt: unknown, never deleted
    assert "aws.s3.bucket|arn:aws:s3:::bucket-2" in keys(store, s3, "unknown")


def test_one_key_from_two_units_in_one_run_keeps_the_last(store):
    from collectors.runner import Unit

    other = Unit("aws", "111122223333", "eu-west-1", "aws.s3.bucket")
    with SnapshotWriter(store) as w:
        w.write([bucket(1)], BUCKETS)
        w.write([bucket(1, public=True)], other)
        w.record_unit(result(BUCKETS))
        w.record_unit(result(other))
        w.finish()
    rows = list(read.iter_resources(store, w.snapshot_id))
    assert len(rows) == 1 and rows[0].facets["public"] is True


def test_stored_error_text_is_redacted(store):
    """Cloud error messages quote request parameters; what the store keeps of them is redacted."""
    from auditor.store.schema import collection_units

    leak = "AccessDenied for https://user:hunter2pass@example.test/x?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE"
    with SnapshotWriter(store) as w:
        w.write([bucket(1)], BUCKETS)
        w.record_unit(result(BUCKETS, UnitStatus.DENIED, 0, error=leak))
        w.record_unit(result(ROLES, UnitStatus.OK, 0))
        w.finish()
    with store.connect() as c:
        errors = [r.error for r in c.execute(select(collection_units.c.error)) if r.error]
    assert errors and "AccessDenied" in errors[0]
    assert "AKIAIOSFODNN7EXAMPLE" not in errors[0] and "hunter2pass" not in errors[0]
