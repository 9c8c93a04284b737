"""Admin and privilege-escalation facets of IAM users, groups and roles, collected over real
HTTP from moto (AWS-managed policies loaded), in an account of their own."""

from __future__ import annotations

import json

import boto3
import pytest

from auditor.facets import unknown_facet_keys
from collectors.aws import AwsClientFactory, classify, plan
from collectors.runner import ListSink, run_units
from aws_testlib import PRIMARY, aws_config

ACCT = "333344445555"
VENDOR = "999988887777"
AWS_POLICY = "arn:aws:iam::aws:policy/"


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def facets(moto_url, estate):  # type: ignore[no-untyped-def]
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    iam.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", ACCT))
    iam.create_role(RoleName="PostureAuditor", AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}))
    ec2_trust = _doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    # unsafe shapes
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=AWS_POLICY + "AdministratorAccess")
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="admins", UserName="alice")  # admin through her group only
    iam.create_user(UserName="iam-operator")
    iam.attach_user_policy(UserName="iam-operator", PolicyArn=AWS_POLICY + "IAMFullAccess")  # iam:* (AWS managed)
    iam.create_user(UserName="mfa-admin")
    iam.put_user_policy(UserName="mfa-admin", PolicyName="all", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "*", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
    not_action = iam.create_policy(PolicyName="everything-but-s3", PolicyDocument=_doc(
        {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}))["Policy"]["Arn"]
    iam.create_role(RoleName="not-action-admin", AssumeRolePolicyDocument=ec2_trust)
    iam.attach_role_policy(RoleName="not-action-admin", PolicyArn=not_action)
    iam.create_role(RoleName="escalator", AssumeRolePolicyDocument=ec2_trust)
    iam.put_role_policy(RoleName="escalator", PolicyName="launch", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}))
    # safe twins
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    iam.add_user_to_group(GroupName="readers", UserName="bob")
    iam.create_role(RoleName="power-user", AssumeRolePolicyDocument=ec2_trust)
    iam.attach_role_policy(RoleName="power-user", PolicyArn=AWS_POLICY + "PowerUserAccess")
    iam.create_role(RoleName="launcher", AssumeRolePolicyDocument=ec2_trust)
    iam.put_role_policy(RoleName="launcher", PolicyName="launch", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}))

    s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url=moto_url,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", ACCT))
    for name, principal in (("shared-with-vendor", f"arn:aws:iam::{VENDOR}:root"),
                            ("shared-with-estate", f"arn:aws:iam::{PRIMARY}:role/reader")):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_bucket_policy(Bucket=name, Policy=_doc(
            {"Sid": "share", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{name}/*"}))
    cfg = aws_config(moto_url, accounts=(ACCT,),
                     resource_types=["aws.iam.user", "aws.iam.group", "aws.iam.role", "aws.s3.bucket"])
    calls: list[tuple[str, str]] = []
    factory = AwsClientFactory(cfg, max_attempts=1, observers=(lambda s, op: calls.append((s, op)),))
    sink = ListSink()
    run_units(plan(cfg, clients=factory), sink, classifiers={"aws": classify})
    assert all(u.status.completed for u in sink.units), [(str(u.unit), u.error) for u in sink.units]
    out = {r.name: json.loads(r.facets) for r in sink.resources if r.account == ACCT and r.category == "iam"}
    for f in out.values():
        assert unknown_facet_keys("iam", f) == []
    buckets = [r for r in sink.resources if r.account == ACCT and r.type == "aws.s3.bucket"]
    return out, calls, buckets


def test_admin_is_the_evaluators_answer_for_users_groups_and_roles(facets):
    f, _, _ = facets
    assert f["admins"]["admin"] is True  # group with AWS-managed AdministratorAccess
    assert f["alice"]["admin"] is True  # through her group
    assert f["iam-operator"]["admin"] is True  # AWS-managed IAMFullAccess: iam:* is admin-equivalent
    assert f["not-action-admin"]["admin"] is True  # NotAction s3:* allows everything else
    assert f["mfa-admin"]["admin"] is True
    assert f["mfa-admin"]["admin_conditions"] == ["Bool aws:multifactorauthpresent ['true']"]
    assert f["alice"]["admin_conditions"] == []
    for safe in ("bob", "readers", "power-user", "launcher", "PostureAuditor"):
        assert f[safe]["admin"] is False, safe


def test_privilege_escalation_facet(facets):
    f, _, _ = facets
    assert {p["path"] for p in f["escalator"]["privilege_escalation"]} == {"passrole_ec2"}
    assert f["escalator"]["admin"] is False
    assert "put_role_policy" in {p["path"] for p in f["iam-operator"]["privilege_escalation"]}
    for safe in ("launcher", "bob", "readers"):
        assert f[safe]["privilege_escalation"] == [], safe


def test_managed_policies_are_read_once_per_account(facets):
    _, calls, _ = facets
    auth = [op for s, op in calls if op == "GetAccountAuthorizationDetails"]
    # users, groups, roles: one listing each, plus one shared catalogue read (single page here)
    assert len(auth) <= 3 + 2


def test_collected_bucket_policy_cross_account_grant_is_a_trust_edge(facets):
    from auditor.config.schema import AuditorConfig, EstateConfig
    from auditor.identity.graph import build_from_resources
    from tests.identity.factories import stored

    _, _, buckets = facets
    config = AuditorConfig(estate=EstateConfig(aws_accounts=[ACCT, PRIMARY]))
    g = build_from_resources([stored(b) for b in buckets], config)
    edges = {e.source_key.rsplit(":", 1)[-1]: e for e in g.edges}
    assert set(edges) == {"shared-with-vendor", "shared-with-estate"}
    vendor, estate = edges["shared-with-vendor"], edges["shared-with-estate"]
    assert vendor.mechanism == "aws_resource_policy" and vendor.external and vendor.trusted_id == VENDOR
    assert [i["code"] for i in vendor.details["issues"]] == ["aws.external_account"]
    assert not estate.external and estate.details["issues"] == []
