"""CIS AWS 7.0 2.1.6 over moto server: two organizations (one delegating its integrated services to
a trusted member account, one to an account nobody listed as trusted), a member account and a
standalone account, collected over real HTTP by the real collector and judged by the rule.

What moto cannot produce, and where it is covered instead:
- the resource-based delegation policy (2.1.5; moto 5 has no DescribeResourcePolicy): the unit
  must end ``error`` in a management account, never empty; the parser is tested below and the
  rule's FAIL/PASS in tests/rules/examples_aws_iam.py;
- an AccessDeniedException: injected below botocore as a recorded JSON error answer.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

import boto3
import pytest
from aws_testlib import FaultyFactory, aws_config

from auditor.facets import unknown_facet_keys
from auditor.model import UnitStatus
from auditor.rules.engine import evaluate
from collectors.aws import AwsClientFactory, classify, plan
from collectors.runner import ListSink, run_units

# Accounts of their own: other tests put PRIMARY in an organization of the shared moto server.
SAFE_MGMT, UNSAFE_MGMT, STANDALONE = "700000000001", "700000000002", "700000000003"
TYPES = ["aws.organizations.delegated_administrators", "aws.organizations.delegation_policy"]
ROLE = "PostureAuditor"


def _client(url: str, service: str, account: str) -> Any:
    c = boto3.client(service, region_name="us-east-1", endpoint_url=url,
                     aws_access_key_id="testing", aws_secret_access_key="testing")
    c.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
        "x-moto-account-id", account))
    return c


def _auditor_role(url: str, account: str) -> None:
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]})
    _client(url, "iam", account).create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)


def _organization(url: str, mgmt: str, services: tuple[str, ...]) -> str:
    """An organization managed by ``mgmt`` with one member registered for ``services``."""
    org = _client(url, "organizations", mgmt)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email=f"security@{mgmt}.example.com",
                                AccountName="security")["CreateAccountStatus"]["AccountId"]
    for service in services:
        org.enable_aws_service_access(ServicePrincipal=service)
        org.register_delegated_administrator(AccountId=member, ServicePrincipal=service)
    return member


@pytest.fixture(scope="module")
def estate(moto_url):  # type: ignore[no-untyped-def]
    safe_member = _organization(moto_url, SAFE_MGMT, ("guardduty.amazonaws.com", "access-analyzer.amazonaws.com"))
    unsafe_member = _organization(moto_url, UNSAFE_MGMT, ("guardduty.amazonaws.com",))
    for account in (SAFE_MGMT, UNSAFE_MGMT, STANDALONE, safe_member):
        _auditor_role(moto_url, account)
    return safe_member, unsafe_member


def _config(url: str, *accounts: str):  # type: ignore[no-untyped-def]
    cfg = aws_config(url, accounts=accounts, resource_types=TYPES, exclude_resource_types=[])
    return cfg.model_copy(update={"accounts": [a.model_copy(update={"role_name": ROLE}) for a in cfg.accounts]})


def _run(cfg, factory=None):  # type: ignore[no-untyped-def]
    sink = ListSink()
    run_units(plan(cfg, clients=factory or AwsClientFactory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    return sink


@pytest.fixture(scope="module")
def collected(moto_url, estate):  # type: ignore[no-untyped-def]
    safe_member, _ = estate
    return _run(_config(moto_url, SAFE_MGMT, UNSAFE_MGMT, STANDALONE, safe_member))


def _status(sink, account: str, type_: str):  # type: ignore[no-untyped-def]
    [unit] = [u for u in sink.units if u.unit.account == account and u.unit.resource_type == type_]
    return unit


def test_management_accounts_list_their_delegated_administrators(collected, estate) -> None:
    safe_member, unsafe_member = estate
    admins = {r.account: json.loads(r.facets)["delegated_admins"]
              for r in collected.by_type("aws.organizations.delegated_administrators")}
    assert admins == {
        SAFE_MGMT: [{"account": safe_member, "status": "ACTIVE",
                     "services": ["access-analyzer.amazonaws.com", "guardduty.amazonaws.com"]}],
        UNSAFE_MGMT: [{"account": unsafe_member, "status": "ACTIVE", "services": ["guardduty.amazonaws.com"]}],
    }
    for r in collected.resources:
        assert unknown_facet_keys(r.category, json.loads(r.facets)) == [], r.type
    text = " ".join(r.config + r.facets for r in collected.resources)
    assert "example.com" not in text  # the administrators' e-mail addresses are not stored


def test_member_and_standalone_accounts_skip_with_the_reason(collected, estate) -> None:
    safe_member, _ = estate
    for type_ in TYPES:
        member = _status(collected, safe_member, type_)
        assert member.status is UnitStatus.SKIPPED and f"that is {SAFE_MGMT}" in member.error
        alone = _status(collected, STANDALONE, type_)
        assert alone.status is UnitStatus.SKIPPED and "AWSOrganizationsNotInUseException" in alone.error
    assert {r.account for r in collected.resources} == {SAFE_MGMT, UNSAFE_MGMT}


def test_delegation_policy_unit_fails_honestly_where_moto_has_no_api(collected) -> None:
    for mgmt in (SAFE_MGMT, UNSAFE_MGMT):
        assert _status(collected, mgmt, "aws.organizations.delegation_policy").status is UnitStatus.ERROR
    assert not collected.by_type("aws.organizations.delegation_policy")


def test_untrusted_delegate_fails_and_trusted_one_passes(collected, estate) -> None:
    from tests.identity.factories import stored
    from tests.rules.examples import CONFIG

    safe_member, unsafe_member = estate
    config = CONFIG.model_copy(update={"checks": CONFIG.checks.model_copy(
        update={"aws_trusted_delegated_admins": [safe_member]})})
    rs = [stored(r) for r in collected.resources]
    findings, _ = evaluate(rs, rs, config, rules=["organizations.services_not_delegated"],
                           as_of=datetime.now(timezone.utc))
    by_account = {r.resource_key: r.account for r in collected.resources}
    verdicts = {by_account[f.resource_key]: f for f in findings}
    assert verdicts[SAFE_MGMT].status == "PASS"
    assert verdicts[UNSAFE_MGMT].status == "FAIL" and unsafe_member in json.dumps(verdicts[UNSAFE_MGMT].evidence)
    assert set(verdicts) == {SAFE_MGMT, UNSAFE_MGMT}  # skipped accounts are not judged at all


class JsonFaults(FaultyFactory):
    """Recorded JSON-protocol error answers (Organizations speaks JSON, not XML)."""

    def _responder(self, service: str, region: str, status: int, code: str) -> Callable[..., Any]:
        from botocore.awsrequest import AWSResponse

        from aws_testlib import _Raw

        body = json.dumps({"__type": code, "Message": "injected"}).encode()

        def respond(request: Any, **_: Any) -> Any:
            return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, _Raw(body))

        return respond


def test_access_denied_is_the_units_status_not_a_verdict(moto_url, estate) -> None:
    cfg = _config(moto_url, SAFE_MGMT)
    sink = _run(cfg, JsonFaults(cfg, max_attempts=1, faults={("organizations", "us-east-1"):
                                                              (400, "AccessDeniedException")}))
    for type_ in TYPES:
        unit = _status(sink, SAFE_MGMT, type_)
        assert unit.status is UnitStatus.DENIED and "AccessDeniedException" in unit.error
    assert sink.resources == []


def test_delegation_policy_principals() -> None:
    from collectors.aws.organizations import policy_delegates

    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"]},
         "Action": ["organizations:DescribeOrganization", "organizations:AttachPolicy"], "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "organizations:ListRoots", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "*", "Resource": "*"}]}
    accounts, actions = policy_delegates(json.dumps(doc))
    assert accounts == ["*", "111122223333", "444455556666"]  # a wildcard is kept: it is never a trusted id
    assert actions == ["organizations:AttachPolicy", "organizations:DescribeOrganization", "organizations:ListRoots"]
