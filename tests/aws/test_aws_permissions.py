"""The least-privilege policy is generated from the specs and covers every call they make."""

from __future__ import annotations

import pytest

from collectors.aws import SPECS, permissions
from collectors.aws.least_privilege import action_for_call, is_read_operation, operation_of, uncovered
from collectors.aws.specs import DISCOVERY_CALLS, DISCOVERY_PERMISSIONS


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_spec_calls_are_covered_by_declared_actions(spec) -> None:  # type: ignore[no-untyped-def]
    assert spec.collect is not None and spec.provider == "aws"
    assert uncovered(spec) == []
    for call in spec.calls:
        service, op = operation_of(call)  # KeyError if the SDK has no such method
        assert is_read_operation(service, op), call


def test_uncovered_detects_a_missing_action() -> None:
    from dataclasses import replace

    spec = next(s for s in SPECS if s.type == "aws.s3.bucket")
    broken = replace(spec, permissions=tuple(p for p in spec.permissions if p != "s3:GetEncryptionConfiguration"))
    assert uncovered(broken) == ["s3:get_bucket_encryption"]


def test_iam_action_names_that_differ_from_operations() -> None:
    assert action_for_call("s3:list_buckets") == "s3:ListAllMyBuckets"
    assert action_for_call("s3control:get_public_access_block") == "s3:GetAccountPublicAccessBlock"
    assert action_for_call("s3:get_public_access_block") == "s3:GetBucketPublicAccessBlock"
    assert action_for_call("iam:get_account_authorization_details") == "iam:GetAccountAuthorizationDetails"


def test_generated_policy_is_read_only_and_complete() -> None:
    doc = permissions()
    [stmt] = doc["Statement"]
    actions = stmt["Action"]
    assert stmt["Effect"] == "Allow" and stmt["Resource"] == "*"
    assert actions == sorted(set(actions))
    assert set(DISCOVERY_PERMISSIONS) <= set(actions)
    assert {action_for_call(c) for c in DISCOVERY_CALLS if not c.startswith("sts:")} <= set(actions)
    for action in actions:
        verb = action.split(":", 1)[1]
        # API Gateway's reads are one action, apigateway:GET (IAM authorises it by HTTP verb)
        assert verb.startswith(("Get", "List", "Describe")) or action in ("iam:GenerateCredentialReport",
                                                                          "apigateway:GET"), action
    assert set(actions) == {a for s in SPECS for a in s.permissions} | set(DISCOVERY_PERMISSIONS)
