"""SageMaker Studio user profiles: moto has no ListUserProfiles/DescribeUserProfile, so these
responses go through botocore's Stubber, which validates every response against botocore's own
service model (an invented field fails the test). Domains are also exercised on moto itself."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import boto3
from botocore.stub import Stubber

from collectors.aws import AwsClientFactory, classify, plan
from collectors.aws.sagemaker import collect_domains, collect_user_profiles
from collectors.runner import ListSink, run_units

from aws_testlib import aws_config

ACCOUNT, REGION = "123456789012", "eu-west-1"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


class StubCtx:
    """The slice of AwsUnitContext a collect function uses, around one stubbed client."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        from collectors.aws.context import AwsUnitContext
        from collectors.aws.ml_specs import ML_SPECS
        from collectors.runner import Unit, UnitContext

        spec = next(s for s in ML_SPECS if s.type == "aws.sagemaker.user_profile")
        self._ctx = AwsUnitContext(UnitContext(Unit("aws", ACCOUNT, REGION, spec.type)), None, None,  # type: ignore[arg-type]
                                   ACCOUNT, REGION, spec)
        self._ctx._clients[("sagemaker", REGION)] = client

    def __getattr__(self, name):  # type: ignore[no-untyped-def]
        return getattr(self._ctx, name)


def test_user_profiles_per_domain_with_paging() -> None:
    sm = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    stub = Stubber(sm)
    dom = {"DomainArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:domain/d-abc", "DomainId": "d-abc",
           "DomainName": "research", "Status": "InService", "CreationTime": T0, "LastModifiedTime": T0,
           "Url": "https://d-abc.studio.eu-west-1.sagemaker.aws"}
    stub.add_response("list_domains", {"Domains": [dom]}, {"MaxResults": 100})
    summary = lambda n: {"DomainId": "d-abc", "UserProfileName": n, "Status": "InService",  # noqa: E731
                         "CreationTime": T0, "LastModifiedTime": T0}
    def profile(name: str, role: str) -> None:
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:user-profile/d-abc/{name}"
        stub.add_response("describe_user_profile", {
            "DomainId": "d-abc", "UserProfileArn": arn, "UserProfileName": name, "Status": "InService",
            "CreationTime": T0, "LastModifiedTime": T0,
            "UserSettings": {"ExecutionRole": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                             "SecurityGroups": ["sg-0123456789abcdef0"]}},
            {"DomainId": "d-abc", "UserProfileName": name})
        stub.add_response("list_tags", {"Tags": [{"Key": "team", "Value": "research"}]},
                          {"ResourceArn": arn, "MaxResults": 100})

    # pages are consumed lazily: page 1, its profile, page 2, its profile
    stub.add_response("list_user_profiles", {"UserProfiles": [summary("alice")], "NextToken": "p2"},
                      {"DomainIdEquals": "d-abc", "MaxResults": 100})
    profile("alice", "alice-role")
    stub.add_response("list_user_profiles", {"UserProfiles": [summary("bob")]},
                      {"DomainIdEquals": "d-abc", "MaxResults": 100, "NextToken": "p2"})
    profile("bob", "bob-role")
    with stub:
        got = list(collect_user_profiles(StubCtx(sm)))
        stub.assert_no_pending_responses()
    assert [r.name for r in got] == ["alice", "bob"]
    f = json.loads(got[1].facets)
    assert f == {"ml_kind": "user_profile", "identity": f"arn:aws:iam::{ACCOUNT}:role/bob-role",
                 "state": "InService", "locations": [REGION]}
    assert json.loads(got[0].tags) == {"team": "research"}


def test_deleted_profile_between_list_and_describe_is_skipped() -> None:
    sm = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
    stub = Stubber(sm)
    stub.add_response("list_domains", {"Domains": [{"DomainId": "d-abc"}]}, {"MaxResults": 100})
    stub.add_response("list_user_profiles", {"UserProfiles": [{"DomainId": "d-abc", "UserProfileName": "gone"}]},
                      {"DomainIdEquals": "d-abc", "MaxResults": 100})
    stub.add_client_error("describe_user_profile", "ResourceNotFound", "User profile does not exist")
    with stub:
        assert list(collect_user_profiles(StubCtx(sm))) == []


def test_domains_on_moto_and_honest_user_profile_status(moto_url) -> None:  # type: ignore[no-untyped-def]
    """A separate account, so the shared estate stays free of Studio (moto would fail its profiles)."""
    from auditor.demo.emulators.aws_seed import DUMMY_KEYS, _account_header

    account = "555555555555"
    sm = boto3.Session(region_name=REGION, **DUMMY_KEYS).client("sagemaker", endpoint_url=moto_url)
    sm.meta.events.register("before-sign", _account_header(account))
    sm.create_domain(DomainName="open", AuthMode="IAM", VpcId="vpc-1", SubnetIds=["subnet-1"],
                     AppNetworkAccessType="PublicInternetOnly",
                     DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{account}:role/studio"})
    sm.create_domain(DomainName="closed", AuthMode="IAM", VpcId="vpc-1", SubnetIds=["subnet-1"],
                     AppNetworkAccessType="VpcOnly",
                     DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{account}:role/studio"})
    cfg = aws_config(moto_url, accounts=(account,), resource_types=["aws.sagemaker.domain",
                                                                     "aws.sagemaker.user_profile"])
    cfg = cfg.model_copy(update={"regions": [REGION]})
    # the only account is not the moto default one: read it with its own (static) credentials
    from collectors.aws.clients import AccountTarget

    class Factory(AwsClientFactory):
        def caller_account(self) -> str:
            return account

        def _make_client(self, session, service, region, counter):  # type: ignore[no-untyped-def]
            c = super()._make_client(session, service, region, counter)
            c.meta.events.register("before-sign", _account_header(account))
            return c

    sink = ListSink()
    run_units(plan(cfg, clients=Factory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    doms = {r.name: json.loads(r.facets) for r in sink.by_type("aws.sagemaker.domain")}
    assert doms["open"]["direct_internet_access"] is True and doms["closed"]["direct_internet_access"] is False
    assert doms["open"]["identity"].endswith("role/studio")
    statuses = {u.unit.resource_type: u.status.value for u in sink.units}
    assert statuses["aws.sagemaker.domain"] == "ok"
    # moto answers ListUserProfiles with a 500: the unit is an error, never an empty PASS.
    assert statuses["aws.sagemaker.user_profile"] == "error"
    assert AccountTarget  # imported for the factory's signature
