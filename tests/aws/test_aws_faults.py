"""Failures moto never produces: throttling that outlasts retries and AccessDenied in one
region, injected as recorded responses below botocore's retry layer, over the moto estate."""

from __future__ import annotations

import json

from aws_testlib import PRIMARY, FaultyFactory, aws_config

from auditor.model import UnitStatus
from collectors.aws import AwsClientFactory, classify, plan
from collectors.runner import ListSink, run_units

TYPES = ["aws.ec2.*", "aws.iam.role", "aws.s3.bucket"]


def _run(cfg, factory):  # type: ignore[no-untyped-def]
    sink = ListSink()
    summary = run_units(plan(cfg, clients=factory), sink, classifiers={"aws": classify})
    return sink, summary


def test_throttled_and_denied_regions_fail_alone_and_lose_nothing_else(moto_url, estate) -> None:
    cfg = aws_config(moto_url, accounts=(PRIMARY,), resource_types=TYPES)
    baseline, _ = _run(cfg, AwsClientFactory(cfg, max_attempts=1))
    assert {u.status for u in baseline.units} <= {UnitStatus.OK, UnitStatus.EMPTY}

    faults = {("ec2", "eu-west-1"): (400, "Throttling"), ("ec2", "eu-central-1"): (403, "UnauthorizedOperation")}
    factory = FaultyFactory(cfg, max_attempts=2, retry_mode="standard", faults=faults)
    sink, summary = _run(cfg, factory)

    status = {(u.unit.region, u.unit.resource_type): u for u in sink.units}
    ec2_types = {t for _, t in status if t.startswith("aws.ec2.")}
    for t in ec2_types:
        assert status[("eu-west-1", t)].status is UnitStatus.THROTTLED, status[("eu-west-1", t)]
        assert "Throttling" in status[("eu-west-1", t)].error
        assert status[("eu-central-1", t)].status is UnitStatus.DENIED
        assert status[("us-east-1", t)].status in (UnitStatus.OK, UnitStatus.EMPTY)
    assert status[("global", "aws.iam.role")].status is UnitStatus.OK
    assert status[("global", "aws.s3.bucket")].status is UnitStatus.OK
    # every throttled unit tried max_attempts times (botocore's retries really ran); denial is not retried
    assert factory.attempts[("ec2", "eu-west-1")] == 2 * len(ec2_types)
    assert factory.attempts[("ec2", "eu-central-1")] == len(ec2_types)
    assert not summary.complete
    by_status = summary.by_status
    assert by_status["throttled"] == by_status["denied"] == len(ec2_types)

    # Nothing from the healthy units is lost: exactly the baseline minus the failed regions.
    failed_regions = {"eu-west-1", "eu-central-1"}
    want = {r.resource_key: r.content_hash for r in baseline.resources
            if not (r.type.startswith("aws.ec2.") and r.region in failed_regions)}
    got = {r.resource_key: r.content_hash for r in sink.resources}
    assert got == want
    assert estate.keys("aws.s3.bucket") & {k for k in want if k.startswith("aws.s3.bucket")}


def test_denied_single_api_in_s3_keeps_buckets_but_marks_unit_denied(moto_url, estate) -> None:
    """A denied s3control call (account block) leaves buckets collected, facets unknown."""
    cfg = aws_config(moto_url, accounts=(PRIMARY,), resource_types=["aws.s3.bucket"])
    factory = FaultyFactory(cfg, max_attempts=1, faults={("s3control", "us-east-1"): (403, "AccessDenied")})
    sink, _ = _run(cfg, factory)
    [unit] = sink.units
    assert unit.status is UnitStatus.DENIED and "account get_public_access_block" in unit.error
    primary_buckets = {r.resource_key for r in estate.resources if r.type == "aws.s3.bucket" and r.account == PRIMARY}
    assert primary_buckets <= {r.resource_key for r in sink.resources}
    for r in sink.resources:
        f = json.loads(r.facets)
        assert f["public_access_blocked"] in (None, True)  # True only when the bucket itself blocks all
        if f["public"] is not True:
            assert f["public"] is None or f["public_access_blocked"] is True
