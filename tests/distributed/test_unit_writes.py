"""Unit writes are idempotent and only the coordinator deletes (no broker needed: the writers
that workers and the coordinator use, on real PostgreSQL)."""

from __future__ import annotations

import pytest

from auditor.distributed.messages import BadMessage, decode_report, encode_report, parse_description
from auditor.distributed.writer import CoordinatorWriter, SnapshotClosed, UnitWriter
from auditor.model import UnitStatus
from auditor.store.ingest import SnapshotWriter
from tests.conftest import migrated_engine
from tests.distributed.conftest import open_versions, version_rows
from tests.store.helpers import BUCKETS, ROLES, bucket, result


@pytest.fixture
def pg(pg_url):
    with migrated_engine(pg_url) as engine:
        yield engine


def test_redelivered_unit_writes_once_and_the_coordinator_alone_deletes(pg):
    with SnapshotWriter(pg) as w:  # snapshot 1: buckets 0, 1, 2
        w.write([bucket(0), bucket(1), bucket(2)], BUCKETS)
        w.record_unit(result(BUCKETS, count=3))
        assert w.finish() == "complete"

    coordinator = CoordinatorWriter(pg)
    sid = coordinator.snapshot_id
    lost = UnitWriter(pg, sid)  # first attempt: bucket 0 changed, bucket 1 unchanged, then the worker dies
    lost.write([bucket(0, version=1), bucket(1)], BUCKETS)
    lost.close()
    retry = UnitWriter(pg, sid)  # redelivered: the same unit again; bucket 2 is gone by now
    retry.write([bucket(0, version=1)], BUCKETS)
    retry.write([bucket(1)], BUCKETS)
    retry.record_unit(result(BUCKETS, count=2))
    retry.close()
    (report, gone), = retry.reports
    with pg.connect() as c:
        gone_id = c.exec_driver_sql("SELECT id FROM resource_versions WHERE resource_key = %s",
                                    (bucket(2).resource_key,)).scalar_one()
    assert gone == [gone_id]  # the completed unit reports what it no longer holds
    rows = version_rows(pg)
    assert sum(1 for r in rows if r[2] == sid) == 1, "the redelivered unit wrote its change twice"
    assert all(r[3] is None for r in rows if r[0] == bucket(2).resource_key), "a worker deleted"

    assert coordinator.record_remote(report, gone) is True
    assert coordinator.record_remote(report, gone) is False  # a duplicate report changes nothing
    assert coordinator.finish() == "complete"
    assert coordinator.stats.closed == 1
    assert (bucket(2).resource_key, bucket(2).content_hash, 1, sid) in version_rows(pg)
    assert open_versions(pg) == {(bucket(0, version=1).resource_key, bucket(0, version=1).content_hash),
                                 (bucket(1).resource_key, bucket(1).content_hash)}
    with pytest.raises(SnapshotClosed):  # a late worker cannot write into a finished snapshot
        UnitWriter(pg, sid)


def test_timed_out_unit_deletes_nothing(pg):
    with SnapshotWriter(pg) as w:
        w.write([bucket(0), bucket(1)], BUCKETS)
        w.record_unit(result(BUCKETS, count=2))
        w.finish()
    coordinator = CoordinatorWriter(pg)
    late = UnitWriter(pg, coordinator.snapshot_id)
    late.write([bucket(0)], BUCKETS)
    coordinator.record_remote(result(BUCKETS, UnitStatus.ERROR, error="timed out: no unit reported"), [])
    coordinator.record_remote(result(ROLES, UnitStatus.EMPTY), [])
    late.record_unit(result(BUCKETS, count=1))
    (report, gone), = late.reports
    assert coordinator.record_remote(report, gone) is False  # the late report of a timed-out unit is ignored
    assert coordinator.finish() == "partial"
    assert {k for k, _h in open_versions(pg)} == {bucket(0).resource_key, bucket(1).resource_key}


def test_failed_coordinator_undoes_the_workers_writes(pg):
    with SnapshotWriter(pg) as w:
        w.write([bucket(0)], BUCKETS)
        w.record_unit(result(BUCKETS, count=1))
        w.finish()
    before = version_rows(pg)
    with pytest.raises(RuntimeError):
        with CoordinatorWriter(pg) as coordinator:
            worker = UnitWriter(pg, coordinator.snapshot_id)
            worker.write([bucket(0, version=1), bucket(5)], BUCKETS)
            worker.close()
            raise RuntimeError("broker gone")
    assert version_rows(pg) == before


def test_messages_are_checked():
    unit, sid = parse_description({"snapshot_id": 7, "provider": "aws", "account": "1", "region": "r",
                                   "resource_type": "t"})
    assert (unit.provider, sid) == ("aws", 7)
    for bad in ({"snapshot_id": "7"}, {"snapshot_id": True}, [], {"snapshot_id": 1, "provider": ""}):
        with pytest.raises(BadMessage):
            parse_description(bad)
    report = encode_report(result(BUCKETS, count=2), [3, 4], 9)
    back, gone = decode_report(report)
    assert back.unit == BUCKETS and back.status is UnitStatus.OK and gone == [3, 4]
    with pytest.raises(BadMessage):
        decode_report({**report, "gone": ["1; DROP TABLE x"]})
    with pytest.raises(BadMessage):
        decode_report({**report, "status": "deleted"})
