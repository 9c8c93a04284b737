"""Behaviour moto does not model, with botocore's Stubber: multi-page listings, post-2023 S3
defaults, a denied detail call, malformed policies; plus classification and policy helpers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber

from auditor.model import UnitStatus
from collectors.aws import SPECS, classify
from collectors.aws import ec2, iam, policy, s3
from collectors.aws.clients import AccountTarget
from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import DeferredFailure
from collectors.runner import Unit, UnitContext

ACCOUNT = "123456789012"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
SPEC = {s.type: s for s in SPECS}


class StubFactory:
    """Hands out pre-built (stubbed) clients by (service, region)."""

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], Any] = {}
        self.stubs: dict[tuple[str, str], Stubber] = {}

    def stub(self, service: str, region: str = "us-east-1") -> Stubber:
        client = boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")
        self.clients[(service, region)] = client
        self.stubs[(service, region)] = st = Stubber(client)
        st.activate()
        return st

    def client(self, service: str, region: str, target: AccountTarget, counter: Any = None) -> Any:
        return self.clients[(service, region)]

    def memo(self, key: Any, compute: Any) -> Any:
        return compute()  # no caching: each stubbed call must be scripted

    def verify(self) -> None:
        for st in self.stubs.values():
            st.assert_no_pending_responses()


def ctx_for(factory: StubFactory, type_: str, region: str = "global") -> AwsUnitContext:
    unit = UnitContext(Unit("aws", ACCOUNT, region, type_))
    return AwsUnitContext(unit, factory, AccountTarget(ACCOUNT), ACCOUNT, region, SPEC[type_])  # type: ignore[arg-type]


def test_list_buckets_follows_continuation_tokens_without_page_size() -> None:
    f = StubFactory()
    st = f.stub("s3")
    st.add_response("list_buckets", {"Buckets": [{"Name": "a-bucket"}, {"Name": "b-bucket"}],
                                     "ContinuationToken": "tok-1"}, {})
    st.add_response("list_buckets", {"Buckets": [{"Name": "c-bucket"}], "ContinuationToken": "tok-2"},
                    {"ContinuationToken": "tok-1"})
    st.add_response("list_buckets", {"Buckets": [{"Name": "d-bucket"}]}, {"ContinuationToken": "tok-2"})
    names = [b["Name"] for b in s3.list_buckets(ctx_for(f, "aws.s3.bucket"))]
    assert names == ["a-bucket", "b-bucket", "c-bucket", "d-bucket"]
    f.verify()


def test_security_groups_across_pages() -> None:
    f = StubFactory()
    st = f.stub("ec2", "eu-west-1")
    page = lambda gid: {"GroupId": gid, "GroupName": gid, "IpPermissions": [  # noqa: E731
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "IpPermissionsEgress": []}
    st.add_response("describe_security_groups", {"SecurityGroups": [page("sg-1"), page("sg-2")], "NextToken": "n1"}, {})
    st.add_response("describe_security_groups", {"SecurityGroups": [page("sg-3")]}, {"NextToken": "n1"})
    out = list(ec2.collect_security_groups(ctx_for(f, "aws.ec2.security_group", "eu-west-1")))
    assert [r.name for r in out] == ["sg-1", "sg-2", "sg-3"]
    assert out[2].native_id == f"arn:aws:ec2:eu-west-1:{ACCOUNT}:security-group/sg-3"
    assert json.loads(out[0].facets)["ingress"][0] == {
        "direction": "ingress", "action": "allow", "cidr": "0.0.0.0/0", "protocol": "all",
        "from_port": 0, "to_port": 65535, "priority": None}
    f.verify()


def _role(name: str, trust: Any, inline: Any = None) -> dict[str, Any]:
    return {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLEID" + name.upper()[:4],
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "CreateDate": NOW, "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": inline}] if inline else [],
            "AttachedManagedPolicies": [], "InstanceProfileList": [], "Tags": [],
            "RoleLastUsed": {"LastUsedDate": NOW, "Region": "us-east-1"}}


def test_authorization_details_pages_and_malformed_documents() -> None:
    trust = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}}
    f = StubFactory()
    st = f.stub("iam")
    # the managed-policy catalogue is denied: facets that need it are unknown, the rest still known
    st.add_client_error("get_account_authorization_details", "AccessDenied", http_status_code=403,
                        expected_params={"Filter": iam.CATALOGUE_FILTER})
    attached = _role("one", quote(json.dumps(trust)))
    attached["AttachedManagedPolicies"] = [{"PolicyName": "ReadOnlyAccess",
                                            "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]
    st.add_response("get_account_authorization_details",
                    {"RoleDetailList": [attached], "IsTruncated": True, "Marker": "m1"},
                    {"Filter": ["Role"]})
    st.add_response("get_account_authorization_details",
                    {"RoleDetailList": [_role("two", quote(json.dumps(trust)), inline="%7B%22Statement%22%3A")],
                     "IsTruncated": False}, {"Filter": ["Role"], "Marker": "m1"})
    ctx = ctx_for(f, "aws.iam.role")
    out = {r.name: r for r in iam.collect_roles(ctx)}
    f.verify()
    assert set(out) == {"one", "two"}
    doc = json.loads(out["one"].config)["AssumeRolePolicyDocument"]
    assert doc["Statement"] == [{"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]},
                                 "Action": ["sts:AssumeRole"]}]
    # RoleLastUsed is volatile: a new last-use never changes the content hash
    stored = json.loads(out["one"].config)
    later = dict(stored, RoleLastUsed={"LastUsedDate": "2026-02-02T00:00:00+00:00", "Region": "eu-west-1"})
    assert ctx.resource(native_id=out["one"].native_id, name="one", config=later,
                        facets=json.loads(out["one"].facets)).content_hash == out["one"].content_hash
    two = json.loads(out["two"].facets)
    assert two["malformed"] and "RolePolicyList/inline" in two["malformed"][0]
    assert any("malformed" in n for n in ctx.unit.notes)
    one = json.loads(out["one"].facets)  # an attached policy could not be read: unknown, never False
    assert one["admin"] is None and one["privilege_escalation"] is None and one["admin_conditions"] is None
    assert two["admin"] is False and two["privilege_escalation"] == []  # nothing attached: fully known
    assert any("managed policies unreadable (AccessDenied)" in n for n in ctx.unit.notes)


def _bucket_stubs(f: StubFactory, name: str, *, policy_error: str | None = None) -> None:
    st = f.stubs.get(("s3", "us-east-1")) or f.stub("s3")
    st.add_response("list_buckets", {"Buckets": [{"Name": name, "CreationDate": NOW, "BucketRegion": "us-east-1"}]}, {})
    b = {"Bucket": name}
    block = {k: True for k in s3.PAB_FLAGS}
    st.add_response("get_public_access_block", {"PublicAccessBlockConfiguration": block}, b)
    if policy_error:
        st.add_client_error("get_bucket_policy", policy_error, http_status_code=403, expected_params=b)
        st.add_client_error("get_bucket_policy_status", policy_error, http_status_code=403, expected_params=b)
    else:
        st.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", http_status_code=404, expected_params=b)
    st.add_response("get_bucket_acl", {"Owner": {"ID": "owner"}, "Grants": [
        {"Grantee": {"Type": "CanonicalUser", "ID": "owner"}, "Permission": "FULL_CONTROL"}]}, b)
    st.add_response("get_bucket_ownership_controls",
                    {"OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}, b)
    st.add_response("get_bucket_encryption", {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}}, b)
    st.add_response("get_bucket_versioning", {}, b)
    st.add_client_error("get_bucket_replication", "ReplicationConfigurationNotFoundError", http_status_code=404,
                        expected_params=b)
    st.add_response("get_bucket_logging", {}, b)
    st.add_client_error("get_bucket_tagging", "NoSuchTagSet", http_status_code=404, expected_params=b)
    st.add_client_error("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError",
                        http_status_code=404, expected_params=b)
    ctl = f.stub("s3control")
    ctl.add_response("get_public_access_block", {"PublicAccessBlockConfiguration": block}, {"AccountId": ACCOUNT})


def test_post_2023_s3_defaults_read_as_private_and_encrypted() -> None:
    f = StubFactory()
    _bucket_stubs(f, "new-default-bucket")
    [res] = list(s3.collect_buckets(ctx_for(f, "aws.s3.bucket")))
    f.verify()
    facets = json.loads(res.facets)
    assert facets["public"] is False and facets["public_reasons"] == []
    assert facets["public_access_blocked"] is True
    assert facets["encrypted"] is True and facets["key_management"] == "provider" and facets["kms_key"] is None
    assert facets["versioning"] is False and facets["logging"] is False and facets["replica_locations"] == []
    assert res.region == "us-east-1" and res.location == "US"


def test_denied_detail_call_keeps_bucket_with_unknown_facets_and_denies_unit() -> None:
    f = StubFactory()
    _bucket_stubs(f, "locked-down-bucket", policy_error="AccessDenied")
    gen = s3.collect_buckets(ctx_for(f, "aws.s3.bucket"))
    got = []
    with pytest.raises(DeferredFailure) as info:
        for r in gen:
            got.append(r)
    assert [r.name for r in got] == ["locked-down-bucket"]
    facets = json.loads(got[0].facets)
    assert facets["public"] is None and facets["https_only"] is None
    assert classify(info.value)[0] is UnitStatus.DENIED
    assert "get_bucket_policy" in str(info.value)


@pytest.mark.parametrize("code,status", [
    ("AccessDenied", UnitStatus.DENIED), ("UnauthorizedOperation", UnitStatus.DENIED),
    ("AuthFailure", UnitStatus.DENIED), ("OptInRequired", UnitStatus.DENIED),
    ("Throttling", UnitStatus.THROTTLED), ("ThrottlingException", UnitStatus.THROTTLED),
    ("RequestLimitExceeded", UnitStatus.THROTTLED), ("SlowDown", UnitStatus.THROTTLED),
    ("TooManyRequestsException", UnitStatus.THROTTLED), ("InternalError", UnitStatus.ERROR),
])
def test_classify_client_errors(code: str, status: UnitStatus) -> None:
    exc = ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": 400}}, "Op")
    assert classify(exc)[0] is status


def test_classify_connection_errors() -> None:
    status, text = classify(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert status is UnitStatus.ERROR and "EndpointConnectionError" in text


def test_policy_canonicalisation_and_decoding() -> None:
    raw = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                  "Resource": "arn:aws:s3:::b/*",
                                                  "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}}}}
    for given in (raw, json.dumps(raw), quote(json.dumps(raw))):
        doc = policy.canonical(given)
        st = doc["Statement"][0]
        assert st["Action"] == ["s3:GetObject"] and st["Resource"] == ["arn:aws:s3:::b/*"]
        assert st["Principal"] == "*" and st["Condition"]["StringEquals"]["aws:SourceVpc"] == ["vpc-1"]
    assert policy.public_statements(policy.canonical(raw)) == []  # conditioned: not plainly public
    malformed: list[str] = []
    assert policy.canonical_or_note("{nope", "Policy", malformed) == "{nope"
    assert malformed and malformed[0].startswith("Policy: not JSON")


class _DiscoveryFactory:
    """A factory whose discovery calls fail: Organizations and DescribeRegions are denied."""

    def __init__(self) -> None:
        self.stubs = StubFactory()
        org = self.stubs.stub("organizations")
        org.add_client_error("list_accounts", "AccessDeniedException", http_status_code=400)
        self.stubs.stub("ec2").add_client_error("describe_regions", "UnauthorizedOperation", http_status_code=403)

    def caller_account(self) -> str:
        return ACCOUNT

    def session(self, target: AccountTarget) -> None:
        return None

    def client(self, service: str, region: str, target: AccountTarget, counter: Any = None) -> Any:
        return self.stubs.client(service, region, target)


def test_discovery_failures_become_unit_statuses() -> None:
    from auditor.config.schema import AwsConfig
    from collectors.aws import plan
    from collectors.runner import ListSink, run_units

    org_cfg = AwsConfig(credential_source="static-test", endpoint_url="http://127.0.0.1:9",
                        organization={"role_name": "Audit"}, regions=["us-east-1"])
    [task] = plan(org_cfg, clients=_DiscoveryFactory())  # type: ignore[arg-type]
    assert task.unit.resource_type == "aws.discovery.accounts"
    all_cfg = AwsConfig(credential_source="static-test", endpoint_url="http://127.0.0.1:9", regions="all",
                        resource_types=["aws.ec2.vpc", "aws.iam.role"])
    tasks = plan(all_cfg, clients=_DiscoveryFactory())  # type: ignore[arg-type]
    assert sorted((t.unit.region, t.unit.resource_type) for t in tasks) == [
        ("all", "aws.ec2.vpc"), ("global", "aws.iam.role")]
    sink = ListSink()
    run_units([task, *tasks], sink, classifiers={"aws": classify})
    assert {u.status for u in sink.units} == {UnitStatus.DENIED}
    assert all("AccessDenied" in u.error or "UnauthorizedOperation" in u.error for u in sink.units)
