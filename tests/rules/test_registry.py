"""The registry and verdict contract: decoration, loading, selection, severities."""

from __future__ import annotations

import types

import pytest

from auditor.rules import registry
from auditor.rules.registry import Rule, RuleContext, rule, rules_in
from auditor.rules.verdict import FAIL, PASS, SEVERITIES, Result, at_or_above, severity_rank


def test_severity_scale_and_floor() -> None:
    assert [severity_rank(s) for s in SEVERITIES] == [0, 1, 2, 3, 4]
    assert at_or_above("high", "medium") and at_or_above("high", "high")
    assert not at_or_above("low", "medium")
    assert not at_or_above("critical", "none")
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        severity_rank("urgent")


def _module() -> types.ModuleType:
    mod = types.ModuleType("fake_rules")

    @rule(id="demo.thing", title="A thing is wrong", severity="low", kind="posture", rationale="why",
          remediation="fix", types=("aws.s3.bucket",))
    def thing(res, ctx):
        return Result(FAIL if res.facets.get("bad") else PASS, "judged")

    thing.__module__ = "fake_rules"
    mod.thing = thing
    return mod


def test_decorated_function_carries_metadata_and_scope() -> None:
    [r] = rules_in(_module())
    assert isinstance(r, Rule) and r.id == "demo.thing" and r.severity == "low"
    bucket = types.SimpleNamespace(type="aws.s3.bucket", category="storage", facets={"bad": True})
    other = types.SimpleNamespace(type="gcp.storage.bucket", category="storage", facets={"bad": True})
    assert r.judge(bucket, RuleContext()).status == FAIL
    assert r.judge(other, RuleContext()) is None


def test_bad_metadata_is_refused() -> None:
    with pytest.raises(ValueError, match="severity 'urgent'"):
        rule(id="x", title="t", severity="urgent", kind="posture", rationale="r", remediation="m")
    with pytest.raises(ValueError, match="kind 'other'"):
        rule(id="x", title="t", severity="low", kind="other", rationale="r", remediation="m")


def test_duplicate_ids_across_modules_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    mod = _module()
    mod.__name__ = "fake_rules"
    monkeypatch.setitem(sys.modules, "fake_rules", mod)
    monkeypatch.setitem(sys.modules, "fake_rules_2", mod)
    with pytest.raises(ValueError, match="defined twice"):
        registry._load(("fake_rules", "fake_rules_2"))


def test_select_by_id_and_prefix() -> None:
    every = registry.all_rules()
    for rid in every:
        assert [r.id for r in registry.select([rid])] == [rid]
    prefix = {r.id.split(".")[0] + "." for r in every.values()}
    for p in prefix:
        assert {r.id for r in registry.select([p])} == {i for i in every if i.startswith(p)}
    assert all(r.id not in ("x",) for r in registry.select(None, ["x"]))


def test_context_memo_builds_once() -> None:
    ctx = RuleContext()
    calls = []
    assert ctx.memo("k", lambda: calls.append(1) or 5) == 5
    assert ctx.memo("k", lambda: calls.append(1) or 6) == 5
    assert calls == [1]
    assert ctx.classification(object()) is None
