"""Two worker processes produce the same snapshot as in-process collection (keys and hashes),
on RabbitMQ and on Redis; a second run with a deleted resource deletes it the same way."""

from __future__ import annotations

import boto3

from tests.conftest import migrated_engine
from tests.distributed.conftest import config_dict, open_versions, unit_statuses, write_config


def _collect(cfg_dict: dict):  # type: ignore[no-untyped-def]
    from auditor.collect import run_collection
    from auditor.config.loader import load_config_text
    import yaml

    cfg = load_config_text(yaml.safe_dump(cfg_dict))
    with migrated_engine(cfg_dict["database"]["url"]) as engine:
        result = run_collection(cfg, engine)
        return result, open_versions(engine), unit_statuses(engine, result.snapshot_id)


def test_two_workers_equal_in_process(any_broker, moto_estate, pg_url, pg_admin, workers, tmp_path):
    conn, u = pg_admin
    local_db = pg_url.rsplit("/", 1)[0] + "/" + _make_db(conn, "local")
    dist = config_dict(pg_url, moto_estate, any_broker)
    cfg_path = write_config(tmp_path / "auditor.yaml", dist)
    with migrated_engine(pg_url):
        pass  # workers check the schema when they start
    w = workers(cfg_path)
    w.start(2)
    try:
        ref, ref_versions, ref_units = _collect(config_dict(local_db, moto_estate))
        got, got_versions, got_units = _collect(dist)
        assert got.status == ref.status == "complete", (got.error, w.logs())
        assert got_versions == ref_versions and len(got_versions) > 20
        assert got_units == ref_units
        assert got.stats.written == ref.stats.written

        # A deleted bucket: the completed unit's report closes it, exactly as in process.
        s3 = boto3.client("s3", endpoint_url=moto_estate, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
        bucket = s3.list_buckets()["Buckets"][0]["Name"]
        for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        s3.delete_bucket(Bucket=bucket)
        ref2, ref2_versions, _ = _collect(config_dict(local_db, moto_estate))
        got2, got2_versions, _ = _collect(dist)
        assert got2.status == ref2.status == "complete", got2.error
        assert got2_versions == ref2_versions
        assert got2.stats.closed == ref2.stats.closed >= 1
        assert not any(bucket in k for k, _h in got2_versions)
    finally:
        conn.execute(f'DROP DATABASE IF EXISTS "{local_db.rsplit("/", 1)[1]}" WITH (FORCE)')


def _make_db(conn, tag: str) -> str:  # type: ignore[no-untyped-def]
    import uuid

    name = f"auditor_t_{tag}_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    return name
