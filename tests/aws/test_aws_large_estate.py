"""Must show: a moto estate of >= 2,000 resources across 3 regions, every seeded resource
collected with the right facets, and a per-unit summary."""

from __future__ import annotations

import json

import pytest
from aws_testlib import MOTO_UNIMPLEMENTED, REGIONS

from auditor.config.schema import AwsConfig
from auditor.demo.emulators.aws_seed import EstateSpec, seed_estate
from auditor.facets import unknown_facet_keys
from collectors.aws import AwsClientFactory, classify, plan
from collectors.runner import ListSink, run_units

LARGE_ACCOUNT = "333333333333"  # its own account: moto keeps state per account


@pytest.mark.slow
def test_large_estate_is_collected_completely(moto_url) -> None:
    spec = EstateSpec.sized(2100, accounts=(LARGE_ACCOUNT,), regions=REGIONS, prefix="bulk")
    estate = seed_estate(moto_url, spec)
    assert len(estate.resources) >= 2000
    assert {r.region for r in estate.resources} >= set(REGIONS)

    cfg = AwsConfig(credential_source="static-test", endpoint_url=moto_url, regions=list(REGIONS),
                    accounts=[{"id": LARGE_ACCOUNT, "role_name": "PostureAuditor"}],
                    # the organization units skip outside a management account
                    exclude_resource_types=[*MOTO_UNIMPLEMENTED, "aws.organizations.*"])
    sink = ListSink()
    summary = run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=1)), sink,
                        classifiers={"aws": classify}, batch_size=200)

    report = summary.as_dict()
    assert set(report["units"]) <= {"ok", "empty"} and report["units"]["ok"] >= 30
    # moto's credential report has no <root_account> row: the root unit completes with that note
    assert all(u.error is None for u in sink.units if u.unit.resource_type != "aws.iam.root_user")
    got = {r.resource_key: r for r in sink.resources}
    assert estate.keys() - set(got) == set()
    assert report["resources"] == len(sink.resources) >= 2000
    for key in estate.keys():
        r = got[key]
        facets = json.loads(r.facets)
        assert unknown_facet_keys(r.category, facets) == []
        if r.type == "aws.ec2.instance":
            assert facets["state"] == "running" and facets["locations"] == [r.region]
            assert facets["legacy_metadata"] is (key == estate.problems["open_ssh_gpu_node"])
        elif r.type == "aws.ec2.security_group":
            assert facets["ingress"] and all(x["direction"] == "ingress" for x in facets["ingress"])
        elif r.type == "aws.ec2.volume":
            assert facets["encrypted"] in (True, False) and facets["locations"] == [r.region]
    assert {r.region for r in sink.resources if r.type == "aws.ec2.instance"} == set(REGIONS)
