"""IAM policy semantics of the parser/evaluator, and a property test over arbitrary JSON."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from auditor.rules.engine import make_context
from auditor.rules.identity import policy_malformed
from auditor.config.schema import AuditorConfig
from auditor.identity.graph import build_from_resources
from auditor.identity.policy import Condition, evaluate, evaluate_condition, parse_policy, split_operator
from tests.identity.factories import aws_role, stored


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_string_and_list_forms_are_equivalent():
    a = parse_policy(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    b = parse_policy({"Statement": {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}})
    assert not a.errors and not b.errors
    assert evaluate(a, action="s3:GetObject") == evaluate(b, action="s3:GetObject") == "Allow"


def test_explicit_deny_wins_and_default_is_implicit_deny():
    p = parse_policy(doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                         {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}))
    assert evaluate(p, action="s3:GetObject") == "Allow"
    assert evaluate(p, action="s3:deletebucket") == "Deny"  # action names are case-insensitive
    assert evaluate(p, action="ec2:RunInstances") == "ImplicitDeny"


def test_not_action_and_not_resource():
    p = parse_policy(doc({"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}))
    assert evaluate(p, action="s3:GetObject", resource="arn:aws:s3:::public/x") == "Allow"
    assert evaluate(p, action="iam:CreateUser", resource="*") == "ImplicitDeny"
    assert evaluate(p, action="s3:GetObject", resource="arn:aws:s3:::secret/x") == "ImplicitDeny"


def test_not_principal_account_root_exempts_only_the_root():
    """IAM: an account ARN in NotPrincipal exempts that account's root, not its users and roles."""
    p = parse_policy(doc({"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
                          "Action": "s3:*", "Resource": "*"},
                         {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}))
    assert evaluate(p, action="s3:GetObject", principal={"AWS": "arn:aws:iam::111122223333:root"}) == "Allow"
    assert evaluate(p, action="s3:GetObject", principal={"AWS": "arn:aws:iam::111122223333:role/x"}) == "Deny"
    assert evaluate(p, action="s3:GetObject", principal={"AWS": "arn:aws:iam::999988887777:role/x"}) == "Deny"
    # safe twin: naming the role too exempts it
    p = parse_policy(doc({"Effect": "Deny", "NotPrincipal": {"AWS": ["111122223333",
                                                                    "arn:aws:iam::111122223333:role/x"]},
                          "Action": "s3:*", "Resource": "*"},
                         {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}))
    assert evaluate(p, action="s3:GetObject", principal={"AWS": "arn:aws:iam::111122223333:role/x"}) == "Allow"
    assert evaluate(p, action="s3:GetObject", principal={"AWS": "arn:aws:iam::111122223333:root"}) == "Allow"
    assert evaluate(p, action="s3:GetObject", principal={"AWS": "arn:aws:iam::111122223333:role/y"}) == "Deny"


def test_operator_names_and_keys_are_case_insensitive_values_are_not():
    p = parse_policy(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                          "condition": {"stringequals": {"AWS:PrincipalTag/Team": "ml"}}}))
    assert not p.errors
    assert evaluate(p, action="s3:GetObject", context={"aws:principaltag/team": "ml"}) == "Allow"
    assert evaluate(p, action="s3:GetObject", context={"aws:principaltag/team": "ML"}) == "ImplicitDeny"


def test_string_like_wildcards_only_star_and_question_mark():
    c = Condition("StringLike", "k", ("repo:org/[a]?:*",))
    assert evaluate_condition(c, {"k": "repo:org/[a]b:ref"})
    assert not evaluate_condition(c, {"k": "repo:org/ab:ref"})  # [ ] are literal, not a class


def test_set_qualifiers_and_if_exists():
    any_ = Condition("StringLike", "amr", ("authenticated",), qualifier="ForAnyValue")
    all_ = Condition("StringLike", "amr", ("authenticated", "graph.facebook.com"), qualifier="ForAllValues")
    assert evaluate_condition(any_, {"amr": ["authenticated", "graph.facebook.com"]})
    assert not evaluate_condition(any_, {})
    assert evaluate_condition(all_, {})  # vacuously true on a missing key
    assert not evaluate_condition(all_, {"amr": ["authenticated", "unauthenticated"]})
    if_exists = Condition("StringEquals", "sub", ("x",), if_exists=True)
    assert evaluate_condition(if_exists, {}) and not evaluate_condition(if_exists, {"sub": "y"})
    assert split_operator("ForAnyValue:StringLikeIfExists") == ("StringLike", "ForAnyValue", True)


def test_negated_operators_match_missing_keys_and_null():
    assert evaluate_condition(Condition("StringNotEquals", "k", ("a",)), {})
    assert not evaluate_condition(Condition("StringNotEquals", "k", ("a", "b")), {"k": "b"})
    assert evaluate_condition(Condition("Null", "k", ("true",)), {})
    assert not evaluate_condition(Condition("Null", "k", ("true",)), {"k": "v"})


def test_numeric_date_bool_ip_arn_operators():
    assert evaluate_condition(Condition("NumericLessThan", "n", ("10",)), {"n": 3})
    assert not evaluate_condition(Condition("NumericLessThan", "n", ("10",)), {"n": "abc"})
    assert evaluate_condition(Condition("DateGreaterThan", "t", ("2020-01-01T00:00:00Z",)), {"t": "2024-05-01T00:00:00Z"})
    assert evaluate_condition(Condition("Bool", "aws:securetransport", ("true",)), {"aws:securetransport": True})
    assert evaluate_condition(Condition("IpAddress", "ip", ("203.0.113.0/24",)), {"ip": "203.0.113.7"})
    assert evaluate_condition(Condition("NotIpAddress", "ip", ("203.0.113.0/24",)), {"ip": "198.51.100.1"})
    assert evaluate_condition(Condition("ArnLike", "a", ("arn:aws:iam::*:role/ci-*",)), {"a": "arn:aws:iam::1:role/ci-x"})


def test_malformed_documents_are_errors_not_exceptions():
    for bad in ("{not json", 42, [], {"Statement": []}, {"Statement": [{"Effect": "Maybe", "Action": "x"}]},
                {"Statement": [{"Effect": "Allow", "Action": "x", "Condition": {"StringFuzzy": {"k": "v"}}}]},
                {"Statement": [{"Effect": "Allow", "Action": "x", "NotAction": "y"}]}):
        assert parse_policy(bad).errors, bad


def test_unknown_operator_fails_closed():
    p = parse_policy(doc({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringFuzzy": {"k": "v"}}}))
    assert p.errors and evaluate(p, action="s3:GetObject", context={"k": "v"}) == "ImplicitDeny"


# ---------------------------------------------------------------- property-based

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=25,
)
IAM_WORDS = st.sampled_from(["Statement", "Effect", "Allow", "Deny", "Action", "NotAction", "Principal",
                             "NotPrincipal", "Resource", "Condition", "StringLike", "ForAllValues:StringEquals",
                             "NullIfExists", "Federated", "AWS", "*", "sts:AssumeRole", "Bool", "IpAddress"])
iam_ish = st.recursive(
    st.none() | st.booleans() | st.integers() | IAM_WORDS | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(IAM_WORDS | st.text(max_size=6), children,
                                                                      max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.one_of(json_values, iam_ish, iam_ish.map(json.dumps)), context=st.dictionaries(
    st.text(max_size=8), json_values, max_size=4), action=st.text(max_size=12))
def test_arbitrary_json_never_escapes_the_parser_or_evaluator(document, context, action):
    p = parse_policy(document, needs_principal=True)
    assert evaluate(p, action=action or "s3:GetObject", resource="*", context=context) in (
        "Allow", "Deny", "ImplicitDeny")
    for s in p.statements:
        for c in s.conditions:
            assert evaluate_condition(c, context) in (True, False)
    if not isinstance(document, (dict, str)) or not p.statements:
        assert p.errors  # anything that is not a usable document is reported


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trust_doc=st.one_of(json_values, iam_ish))
def test_arbitrary_trust_documents_become_malformed_findings(trust_doc):
    role = stored(aws_role("fuzz", None))
    role.config["AssumeRolePolicyDocument"] = trust_doc  # as a collector might hand it over, unvalidated
    graph = build_from_resources([role], AuditorConfig())
    parsed = parse_policy(trust_doc, needs_principal=True)
    if trust_doc is not None and parsed.errors:
        assert graph.malformed.get(role.resource_key), "a malformed trust policy is recorded, not raised"
        verdict = policy_malformed(role, make_context(AuditorConfig(), graph=graph))
        assert verdict is not None and verdict.status == "FAIL"
