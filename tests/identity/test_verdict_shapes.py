"""Issue 12 verdicts (identity side): each unsafe shape is flagged, its safe twin is not."""

from __future__ import annotations

import pytest

from auditor.identity.graph import build_from_resources
from auditor.identity.policy import parse_policy
from auditor.identity.privilege import admin_verdict, escalation_paths
from collectors.aws.policy import public_statements
from tests.identity.factories import AWS_ACCT, VENDOR, aws_role, stored, trust
from tests.identity.test_trust_shapes import CONFIG


def _issues(role) -> set[str]:
    g = build_from_resources([stored(role)], CONFIG)
    return {"identity." + i["code"] for e in g.edges for i in e.details.get("issues", [])}


def _edges(role):
    return build_from_resources([stored(role)], CONFIG).edges


def _star(condition=None, principal="*"):
    st = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return aws_role("x", trust(st))


# ---------------------------------------------------------------- Principal "*" narrowed by wildcards

@pytest.mark.parametrize("condition", [
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:*"}},
    {"StringLike": {"aws:SourceAccount": "*"}},
    {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
    {"StringLike": {"aws:PrincipalAccount": ["111122223333", "*"]}},  # OR-ed: the widest decides
])
def test_wildcard_account_condition_is_still_public_trust(condition):
    assert _issues(_star(condition)) == {"identity.aws.public_trust"}
    assert [e.mechanism for e in _edges(_star(condition))] == ["aws_public"]


@pytest.mark.parametrize("condition", [
    {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{AWS_ACCT}:role/x"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{AWS_ACCT}:*"}},
    {"StringEquals": {"aws:SourceAccount": AWS_ACCT}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
])
def test_literal_estate_condition_is_internal_trust(condition):
    (edge,) = _edges(_star(condition))
    assert _issues(_star(condition)) == set()
    assert edge.mechanism == "aws_cross_account" and not edge.external


def test_foreign_organisation_is_external_trust():
    role = _star({"StringEquals": {"aws:PrincipalOrgID": "o-vendor999"}})
    (edge,) = _edges(role)
    assert edge.external and edge.trusted_kind == "aws_organization" and edge.trusted_id == "o-vendor999"
    assert _issues(role) == {"identity.aws.external_account"}
    foreign_account = _star({"StringEquals": {"aws:PrincipalAccount": VENDOR}})
    assert _issues(foreign_account) == {"identity.aws.external_account"}


def test_allow_with_not_principal_is_public_trust():
    role = aws_role("x", trust({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                                "Action": "sts:AssumeRole"}))
    assert _issues(role) == {"identity.aws.public_trust"}


def test_wildcard_external_id_is_no_external_id():
    vendor = {"AWS": f"arn:aws:iam::{VENDOR}:root"}
    assert "identity.aws.external_no_external_id" in _issues(_star({"StringLike": {"sts:ExternalId": "*"}}, vendor))
    assert "identity.aws.external_no_external_id" not in _issues(
        _star({"StringEquals": {"sts:ExternalId": "vendor-issued-7f3a"}}, vendor))


# ---------------------------------------------------------------- admin: the evaluator's answer

def _docs(*statements):
    return [parse_policy({"Version": "2012-10-17", "Statement": list(statements)})]


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "*", "Resource": "*"},
    {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Effect": "Allow", "Action": ["iam:Attach*"], "Resource": "*"},
])
def test_admin_equivalent_policies(statement):
    v = admin_verdict(_docs(statement))
    assert v.admin and v.conditions == []


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::bucket/*"},
    {"Effect": "Allow", "NotAction": ["iam:*", "sts:*", "organizations:*", "auditorprobe:*"], "Resource": "*"},
])
def test_not_admin_policies(statement):
    assert not admin_verdict(_docs(statement)).admin


def test_explicit_deny_cancels_admin_and_conditioned_admin_is_reported_as_such():
    assert not admin_verdict(_docs({"Effect": "Allow", "Action": "*", "Resource": "*"},
                                   {"Effect": "Deny", "Action": "*", "Resource": "*"})).admin
    v = admin_verdict(_docs({"Effect": "Allow", "Action": "*", "Resource": "*",
                             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
    assert v.admin and v.conditions == ["Bool aws:multifactorauthpresent ['true']"]


def test_aws_managed_admin_by_arn():
    assert admin_verdict([], ["arn:aws:iam::aws:policy/AdministratorAccess"]).admin
    assert not admin_verdict([], ["arn:aws:iam::aws:policy/ReadOnlyAccess"]).admin


# ---------------------------------------------------------------- privilege escalation

def _paths(*statements, self_arn=None):
    return {p["path"] for p in escalation_paths(_docs(*statements), self_arn=self_arn)}


def test_passrole_with_compute_is_escalation_and_either_alone_is_not():
    assert "passrole_ec2" in _paths({"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"],
                                     "Resource": "*"})
    assert _paths({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}) == set()
    assert _paths({"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}) == set()
    lam = _paths({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/admin"},
                 {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"})
    assert lam == {"passrole_lambda"}


def test_escalation_entry_shape():
    (entry,) = escalation_paths(_docs({"Effect": "Allow", "Action": "iam:CreatePolicyVersion",
                                       "Resource": "arn:aws:iam::111122223333:policy/*"}))
    assert entry == {"path": "create_policy_version", "actions": ["iam:CreatePolicyVersion"],
                     "resource": "arn:aws:iam::111122223333:policy/*"}


@pytest.mark.parametrize("action,path", [
    ("iam:PutRolePolicy", "put_role_policy"), ("iam:AttachUserPolicy", "attach_user_policy"),
    ("iam:SetDefaultPolicyVersion", "set_default_policy_version"),
    ("iam:UpdateAssumeRolePolicy", "update_assume_role_policy"), ("iam:AddUserToGroup", "add_user_to_group"),
])
def test_single_action_paths(action, path):
    assert _paths({"Effect": "Allow", "Action": action, "Resource": "*"}) == {path}
    assert _paths({"Effect": "Allow", "Action": action, "Resource": "*"},
                  {"Effect": "Deny", "Action": action, "Resource": "*"}) == set()


def test_credentials_of_other_users_only():
    me = "arn:aws:iam::111122223333:user/alice"
    for action, path in (("iam:CreateAccessKey", "create_access_key"), ("iam:CreateLoginProfile", "create_login_profile"),
                         ("iam:UpdateLoginProfile", "update_login_profile")):
        assert _paths({"Effect": "Allow", "Action": action, "Resource": "arn:aws:iam::*:user/*"}) == {path}
        assert _paths({"Effect": "Allow", "Action": action,
                       "Resource": "arn:aws:iam::111122223333:user/${aws:username}"}) == set()
        assert _paths({"Effect": "Allow", "Action": action, "Resource": me}, self_arn=me) == set()


def test_assume_any_role_but_not_one_named_role():
    assert _paths({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}) == {"assume_any_role"}
    assert _paths({"Effect": "Allow", "Action": "sts:AssumeRole",
                   "Resource": "arn:aws:iam::111122223333:role/reader"}) == set()


# ---------------------------------------------------------------- bucket policy public fallback

def _bucket_policy(condition=None, **principal):
    st = {"Sid": "s", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
          **(principal or {"Principal": "*"})}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


@pytest.mark.parametrize("condition", [
    {"Bool": {"aws:SecureTransport": "true"}},
    {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
    {"StringLike": {"aws:Referer": "*"}},
    {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}},
])
def test_conditions_that_do_not_narrow_the_caller_stay_public(condition):
    assert public_statements(_bucket_policy(condition)) == ["s"]


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
])
def test_narrowing_conditions_are_not_public(condition):
    assert public_statements(_bucket_policy(condition)) == []


def test_allow_with_not_principal_is_public():
    assert public_statements(_bucket_policy(NotPrincipal={"AWS": f"arn:aws:iam::{AWS_ACCT}:root"})) == ["s"]
    assert public_statements(_bucket_policy(Principal={"AWS": f"arn:aws:iam::{AWS_ACCT}:root"})) == []


# ---------------------------------------------------------------- Google: aud pins one service account

def test_google_aud_pinning_a_service_account_unique_id_is_pinned():
    from tests.identity.factories import SA_UID, web_identity

    from auditor.rules.engine import make_context
    from auditor.rules.registry import get

    def verdict(condition):
        role = stored(aws_role("g", trust(web_identity("accounts.google.com", condition))))
        g = build_from_resources([role], CONFIG)
        return get("identity.aws.google_unpinned").judge(role, make_context(CONFIG, graph=g))

    unsafe = verdict({"StringEquals": {"accounts.google.com:aud": "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur"
                                                                  ".apps.googleusercontent.com"}})
    assert unsafe.status == "FAIL" and unsafe.severity is None  # an OAuth client: any Google user of it
    aud_only = verdict({"StringEquals": {"accounts.google.com:aud": SA_UID}})
    assert aud_only.status == "FAIL" and aud_only.severity == "low"  # pinned; sub is hardening
    assert "any Google identity" not in aud_only.message
    both = verdict({"StringEquals": {"accounts.google.com:aud": SA_UID, "accounts.google.com:sub": SA_UID}})
    assert both.status == "PASS"
    assert verdict(None).status == "FAIL" and verdict(None).severity is None


# ---------------------------------------------------------------- resource policies are trust too

def _bucket(policy_doc, account=AWS_ACCT):
    from auditor.model import make_resource

    return make_resource(provider="aws", account=account, region="eu-west-1", category="storage", type="aws.s3.bucket",
                         native_id="arn:aws:s3:::shared-data", name="shared-data",
                         config={"Name": "shared-data", "Policy": policy_doc}, facets={})


def _grant(principal, condition=None, effect="Allow"):
    st = {"Sid": "g", "Effect": effect, "Principal": principal, "Action": ["s3:GetObject"],
          "Resource": "arn:aws:s3:::shared-data/*"}
    if condition:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


def test_bucket_policy_granting_a_foreign_account_is_an_external_trust_edge():
    from auditor.rules.engine import make_context
    from auditor.rules.registry import get

    def external_account(bucket):  # type: ignore[no-untyped-def]
        g = build_from_resources([bucket], CONFIG)
        return g, get("identity.aws.external_account").judge(bucket, make_context(CONFIG, graph=g))

    g, res = external_account(stored(_bucket(_grant({"AWS": f"arn:aws:iam::{VENDOR}:root"}))))
    (edge,) = g.edges
    assert edge.mechanism == "aws_resource_policy" and edge.external and edge.trusted_id == VENDOR
    assert res.status == "FAIL" and VENDOR in res.message
    # safe twins: an account of the estate; the bucket's own account; a Deny
    from tests.identity.factories import AWS_OTHER

    g, res = external_account(stored(_bucket(_grant({"AWS": f"arn:aws:iam::{AWS_OTHER}:role/reader"}))))
    assert [e.external for e in g.edges] == [False]
    assert res.status == "PASS"
    assert build_from_resources([stored(_bucket(_grant({"AWS": AWS_ACCT})))], CONFIG).edges == []
    assert build_from_resources([stored(_bucket(_grant({"AWS": VENDOR}, effect="Deny")))], CONFIG).edges == []


def test_kms_key_policy_cross_account_principal():
    from auditor.model import make_resource

    key = make_resource(provider="aws", account=AWS_ACCT, region="eu-west-1", category="iam", type="aws.kms.key",
                        native_id=f"arn:aws:kms:eu-west-1:{AWS_ACCT}:key/1", name="k",
                        config={"KeyPolicy": _grant({"AWS": [f"arn:aws:iam::{AWS_ACCT}:root",
                                                            f"arn:aws:iam::{VENDOR}:role/ingest"]})}, facets={})
    g = build_from_resources([stored(key)], CONFIG)
    assert [(e.trusted_kind, e.trusted_id, e.external) for e in g.edges] == [
        ("aws_role", f"arn:aws:iam::{VENDOR}:role/ingest", True)]
