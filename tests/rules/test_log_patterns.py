"""CloudWatch Logs filter patterns: parsed, evaluated, and hostile input refused without harm."""

from __future__ import annotations

import time

import pytest

from auditor.rules.log_patterns import MAX_LENGTH, PatternError, matches, parse, wildcard

ROOT = {"userIdentity": {"type": "Root"}, "eventType": "AwsApiCall", "eventName": "ListBuckets"}


@pytest.mark.parametrize("pattern", [
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    '{($.userIdentity.type="Root")&&($.userIdentity.invokedBy NOT EXISTS)&&($.eventType!="AwsServiceEvent")}',
    "{ $.userIdentity.type = Root && $.userIdentity.invokedBy not exists && $.eventType != AwsServiceEvent }",
    '{ $.eventName = "List*" }', '{ $.eventName = "*Buckets" }', '{ $.eventName = "L*t*s" }',
])
def test_spellings_of_the_same_filter_match_alike(pattern: str) -> None:
    assert matches(parse(pattern), ROOT)


def test_operators_and_precedence() -> None:
    ev = {"a": "x", "n": 5, "flag": True, "nothing": None, "list": [{"k": "v"}]}
    assert matches(parse('{ $.a = "y" || $.a = "x" && $.n > 4 }'), ev)  # && binds tighter
    assert not matches(parse('{ ($.a = "y" || $.a = "x") && $.n > 5 }'), ev)
    assert matches(parse("{ $.n >= 5 && $.n <= 5 && $.n = 5 && $.n != 6 }"), ev)
    assert matches(parse("{ $.flag IS TRUE && $.nothing IS NULL && $.missing NOT EXISTS }"), ev)
    assert not matches(parse("{ $.flag IS FALSE }"), ev)
    assert matches(parse('{ $.list[0].k = "v" }'), ev)
    assert not matches(parse('{ $.missing != "x" }'), ev)  # a comparison on an absent field matches nothing
    assert not matches(parse('{ $.a = "x" && $.a = "y" }'), ev)


@pytest.mark.parametrize("pattern", [
    "ERROR", '"Failed authentication"', "{ $.a = %regex% }", "{ $.a = }", '{ $.a = "x" ', '{ $.a = "x" } extra',
    "{ $.a IS MAYBE }", '{ $.a = "unterminated }', "{ ( $.a = x }", "{ $. = x }", "{ a = b }", "{ $.a ! x }",
    "{" + "(" * 40 + "$.a = x" + ")" * 40 + "}", "{ $.a = x }" + " " * MAX_LENGTH, None, 42,
])
def test_patterns_outside_the_json_syntax_are_refused(pattern) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PatternError):
        parse(pattern)


def test_hostile_wildcards_are_linear() -> None:
    start = time.perf_counter()
    assert not wildcard("a" * 5000, "*a" * 400 + "b")
    assert wildcard("abcabc", "a*c*c")
    assert not wildcard("ab", "a*b*b")
    assert time.perf_counter() - start < 0.5
