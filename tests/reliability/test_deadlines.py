"""Deadlines: a cloud endpoint that accepts and never answers ends as `error: timed out`
within the configured deadline, over real HTTP through each cloud's real SDK."""

from __future__ import annotations

import socket
import time

import pytest

from auditor.collect import run_collection
from auditor.config.schema import AuditorConfig
from auditor.model import UnitStatus
from collectors.runner import ListSink, Unit, UnitTask, run_units

FAST = {"progress": False, "max_attempts": 1, "connect_timeout_s": 1, "read_timeout_s": 30,
        "unit_deadline_s": 2, "run_deadline_s": 8}


def _config(**section) -> AuditorConfig:
    return AuditorConfig.model_validate({"collection": FAST, **section})


def _assert_timed_out(engine, cfg: AuditorConfig, provider: str) -> None:
    t0 = time.monotonic()
    result = run_collection(cfg, engine)
    elapsed = time.monotonic() - t0
    assert elapsed < FAST["run_deadline_s"] + 2, f"{provider}: run took {elapsed:.1f}s"
    # units skipped before any call (e.g. Azure directory units without a tenant id) never wait
    units = [u for u in result.summary.units if u.unit.provider == provider and u.status is not UnitStatus.SKIPPED]
    assert units, "no unit was recorded"
    for u in units:
        assert u.status is UnitStatus.ERROR and u.error.startswith("timed out"), (str(u.unit), u.status, u.error)
    assert result.status == "failed"  # nothing succeeded
    assert result.coverage.providers[provider].ok == 0


def test_aws_hung_endpoint_times_out(sqlite_store, hung):
    cfg = _config(aws={"credential_source": "static-test", "endpoint_url": hung.url, "regions": ["us-east-1"],
                       "accounts": [{"id": "123456789012"}], "resource_types": ["aws.s3.bucket", "aws.ec2.*"]})
    _assert_timed_out(sqlite_store, cfg, "aws")


def test_gcp_hung_endpoint_times_out(sqlite_store, hung):
    from auditor.config.schema import GcpEndpoints

    eps = {k: hung.url for k in GcpEndpoints.model_fields}  # every service, so nothing leaves the loopback
    cfg = _config(gcp={"credentials": "anonymous", "projects": ["proj-a"], "endpoints": eps})
    _assert_timed_out(sqlite_store, cfg, "gcp")


def test_azure_hung_endpoint_times_out(sqlite_store, hung):
    cfg = _config(azure={"credential": "static-test-token", "arm_endpoint": f"https://127.0.0.1:{hung.port}",
                         "subscriptions": ["00000000-0000-0000-0000-000000000001"]})
    _assert_timed_out(sqlite_store, cfg, "azure")


def test_unit_deadline_abandons_a_stuck_unit_and_counts_its_calls(hung):
    """A unit blocked on a socket with no timeout at all is still recorded at its deadline."""

    def stuck(ctx):  # type: ignore[no-untyped-def]
        ctx.calls.add()
        with socket.create_connection(("127.0.0.1", hung.port)) as s:
            s.recv(1)  # never answers
        yield from ()

    def fine(ctx):  # type: ignore[no-untyped-def]
        ctx.calls.add()
        return []

    sink = ListSink()
    t0 = time.monotonic()
    summary = run_units([UnitTask(Unit("aws", "1", "r", "stuck"), stuck), UnitTask(Unit("aws", "1", "r", "fine"), fine)],
                        sink, unit_deadline_s=1)
    assert time.monotonic() - t0 < 3
    by = {u.unit.resource_type: u for u in summary.units}
    assert by["stuck"].status is UnitStatus.ERROR and by["stuck"].error.startswith("timed out after 1s")
    assert by["stuck"].api_calls == 1 and by["stuck"].duration_s >= 1
    assert by["fine"].status is UnitStatus.EMPTY
    assert summary.api_calls == 2


def test_run_deadline_times_out_units_not_started(hung):
    def stuck(ctx):  # type: ignore[no-untyped-def]
        with socket.create_connection(("127.0.0.1", hung.port)) as s:
            s.recv(1)
        yield from ()

    tasks = [UnitTask(Unit("aws", "1", "r", f"t{i}"), stuck) for i in range(4)]
    summary = run_units(tasks, ListSink(), concurrency=1, run_deadline_s=1)
    assert len(summary.units) == 4 and summary.wall_s < 3
    assert all(u.error.startswith("timed out") for u in summary.units)
    assert sum("not started" in u.error for u in summary.units) == 3


@pytest.mark.parametrize("deadline", [None])
def test_no_deadline_keeps_old_behaviour(deadline):
    summary = run_units([UnitTask(Unit("aws", "1", "r", "t"), lambda ctx: [])], ListSink(), unit_deadline_s=deadline)
    assert summary.units[0].status is UnitStatus.EMPTY
