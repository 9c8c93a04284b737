"""Two worker processes collect the emulated three-cloud estate (moto for AWS, the loopback
GCP and Azure fakes) into the same snapshot as in-process collection: same keys and hashes."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from tests.distributed.conftest import TYPES, collect, drop_db, fresh_db, write_config
from tests.e2e.conftest import moto_subprocess


@pytest.fixture(scope="module")
def three_clouds(tmp_path_factory):  # type: ignore[no-untyped-def]
    from auditor.demo import scenario
    from auditor.demo.emulators.azure_fake import AzureFake
    from auditor.demo.emulators.gcp_fake import GcpFake
    from auditor.demo.run import demo_config

    with ExitStack() as stack:
        aws_url = stack.enter_context(moto_subprocess())
        estate = scenario.seed(aws_url)
        gcp = GcpFake(estate.gcp)
        gcp.start()
        stack.callback(gcp.stop)
        azure = AzureFake(estate.azure)
        arm, ca = azure.start()
        stack.callback(azure.stop)
        cfg = demo_config(tmp_path_factory.mktemp("three"), aws_url, gcp.endpoints(), arm, ca)
        cfg["aws"]["resource_types"] = list(TYPES)
        cfg["collection"]["concurrency"] = 4
        for key in ("audit", "export", "signing"):
            cfg.pop(key, None)
        yield cfg


def test_two_workers_collect_three_clouds_like_in_process(rabbit, three_clouds, pg_admin, workers, tmp_path):
    import uuid

    local, dist_db = fresh_db(pg_admin), fresh_db(pg_admin)
    try:
        ref, ref_versions, ref_units = collect({**three_clouds, "database": {"url": local}})
        assert ref.status in ("complete", "partial"), ref.error  # the demo estate plants a denied unit or two
        assert {k.split("|")[0] for k in ref_units} == {"aws", "gcp", "azure"}
        dist = {**three_clouds, "database": {"url": dist_db},
                "distributed": {"broker_url": rabbit, "queue": f"auditor.test.{uuid.uuid4().hex[:10]}",
                                "concurrency": 2, "result_timeout_s": 60}}
        w = workers(write_config(tmp_path / "auditor.yaml", dist))
        w.start(2)
        got, versions, units = collect(dist)
        assert got.status == ref.status, (got.error, w.logs())
        assert versions == ref_versions and units == ref_units
    finally:
        drop_db(pg_admin, local)
        drop_db(pg_admin, dist_db)
