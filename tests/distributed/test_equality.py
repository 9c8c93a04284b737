"""Two worker processes produce the same snapshot as in-process collection (keys and hashes),
on RabbitMQ and on Redis; a resource deleted between runs is deleted the same way."""

from __future__ import annotations

import uuid

import boto3

from tests.distributed.conftest import collect, config_dict, write_config


def test_two_workers_equal_in_process(any_broker, moto_estate, reference, pg_url, workers, tmp_path):
    from tests.conftest import migrated_engine

    ref_versions, ref_units = reference
    dist = config_dict(pg_url, moto_estate, any_broker)
    with migrated_engine(pg_url):
        pass  # workers check the schema when they start
    w = workers(write_config(tmp_path / "auditor.yaml", dist))
    w.start(2)
    got, versions, units = collect(dist)
    assert got.status == "complete", (got.error, w.logs())
    assert versions == ref_versions and len(versions) > 10
    assert units == ref_units
    assert got.stats.written == len(versions)  # a first snapshot writes each resource exactly once


def test_deleted_resource_closed_by_the_coordinator(rabbit, moto_estate, reference, pg_url, workers, tmp_path):
    from tests.conftest import migrated_engine

    ref_versions, _units = reference
    s3 = boto3.client("s3", endpoint_url=moto_estate, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    bucket = f"auditor-gone-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    dist = config_dict(pg_url, moto_estate, rabbit)
    with migrated_engine(pg_url):
        pass
    w = workers(write_config(tmp_path / "auditor.yaml", dist))
    w.start(2)
    try:
        first, versions, _ = collect(dist)
        assert first.status == "complete", (first.error, w.logs())
        assert any(bucket in k for k, _h in versions)
    finally:
        s3.delete_bucket(Bucket=bucket)
    second, versions, _ = collect(dist)
    assert second.status == "complete", second.error
    assert second.stats.closed == 1 and second.stats.written == 0
    assert versions == ref_versions
