"""The only list of rules: the modules named in ``MODULES`` and the functions decorated in them.

A rule is one function ``fn(res, ctx) -> Result | None`` decorated with :func:`rule`, which
carries its metadata; ``None`` means the rule does not apply to that resource. Framework
mappings are data (``auditor/rules/frameworks/``), looked up by rule id.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Callable

from auditor.rules.verdict import SEVERITIES, Result

KINDS = ("posture", "identity", "residency")
# Every module that holds rules. Adding a module here is the one step that makes its rules run.
MODULES: tuple[str, ...] = (
    "auditor.rules.storage",
    "auditor.rules.network",
    "auditor.rules.compute",
    "auditor.rules.iam",
    "auditor.rules.identity",
    "auditor.rules.residency",
    "auditor.rules.ml",
    "auditor.rules.cis_azure",
    "auditor.rules.cis_azure_data",
    "auditor.rules.cis_azure_ops",
    "auditor.rules.cis_gcp_data",
    "auditor.rules.cis_gcp",
    "auditor.rules.cis_aws_iam",
    "auditor.rules.cis_aws_logging",
)
RuleFn = Callable[[Any, "RuleContext"], "Result | None"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's metadata and its judging function."""

    id: str
    title: str
    severity: str
    kind: str
    rationale: str
    remediation: str
    fn: RuleFn
    types: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # facet names the rule judges (checked against what collectors fill)

    def applies_to(self, res: Any) -> bool:
        """The declared scope: resource type and/or category (empty = any)."""
        if self.types and getattr(res, "type", None) not in self.types:
            return False
        if self.categories and getattr(res, "category", None) not in self.categories:
            return False
        return True

    def judge(self, res: Any, ctx: "RuleContext") -> Result | None:
        """This rule's verdict on ``res``, or None when it does not apply."""
        if not self.applies_to(res):
            return None
        return self.fn(res, ctx)

    @property
    def frameworks(self) -> dict[str, list[str]]:
        """Control ids per framework version, from the mapping tables."""
        from auditor.rules.frameworks import controls_for

        return controls_for(self.id)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "severity": self.severity, "kind": self.kind,
                "rationale": self.rationale, "remediation": self.remediation, "types": list(self.types),
                "categories": list(self.categories), "frameworks": self.frameworks}


def rule(*, id: str, title: str, severity: str, kind: str, rationale: str, remediation: str,
         types: tuple[str, ...] = (), categories: tuple[str, ...] = (),
         reads: tuple[str, ...] = ()) -> Callable[[RuleFn], RuleFn]:
    """Mark ``fn`` as a rule; the function is returned unchanged (tests call it directly)."""
    if severity not in SEVERITIES:
        raise ValueError(f"rule {id}: severity {severity!r} is not one of {SEVERITIES}")
    if kind not in KINDS:
        raise ValueError(f"rule {id}: kind {kind!r} is not one of {KINDS}")
    if not all((id, title, rationale, remediation)):
        raise ValueError(f"rule {id!r}: id, title, rationale and remediation are required")

    def mark(fn: RuleFn) -> RuleFn:
        fn.__rule__ = Rule(id=id, title=title, severity=severity, kind=kind, rationale=rationale,  # type: ignore[attr-defined]
                           remediation=remediation, fn=fn, types=tuple(types), categories=tuple(categories),
                           reads=tuple(reads))
        return fn

    return mark


def observer(fn: Callable[[dict[str, Any], Any], None]) -> Callable[[dict[str, Any], Any], None]:
    """Mark ``fn(cache, res)`` to see every resource in the engine's first pass: how a rule
    module gathers facts across resources (into ``ctx.cache``) without a second list of rules."""
    fn.__observer__ = True  # type: ignore[attr-defined]
    return fn


@cache
def _observers(modules: tuple[str, ...]) -> tuple[Callable[[dict[str, Any], Any], None], ...]:
    found = []
    for name in modules:
        mod = importlib.import_module(name)
        found += [v for v in vars(mod).values()
                  if callable(v) and getattr(v, "__observer__", False) and v.__module__ == mod.__name__]
    return tuple(found)


def observers() -> tuple[Callable[[dict[str, Any], Any], None], ...]:
    """The first-pass observers of every rule module (see :func:`observer`)."""
    return _observers(MODULES)


def rules_in(module: Any) -> list[Rule]:
    """The rules a module defines, in source order."""
    return [v.__rule__ for v in vars(module).values()
            if callable(v) and isinstance(getattr(v, "__rule__", None), Rule) and v.__module__ == module.__name__]


@cache
def _load(modules: tuple[str, ...]) -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for name in modules:
        for r in rules_in(importlib.import_module(name)):
            if r.id in out:
                raise ValueError(f"rule id {r.id!r} is defined twice ({out[r.id].fn.__module__} and {name})")
            out[r.id] = r
    return out


def all_rules() -> dict[str, Rule]:
    """Every registered rule by id (loaded once)."""
    return dict(_load(MODULES))


def get(rule_id: str) -> Rule:
    try:
        return _load(MODULES)[rule_id]
    except KeyError:
        raise KeyError(f"no rule {rule_id!r}; see `auditor check --list-rules`") from None


def select(rule_ids: list[str] | None, disabled: list[str] | None = None) -> list[Rule]:
    """Rules to run: ``rule_ids`` entries are exact ids or prefixes ending in '*' or '.'."""
    off = set(disabled or [])
    every = [r for r in _load(MODULES).values() if r.id not in off]
    if not rule_ids:
        return every
    wants = [w.strip() for w in rule_ids]
    return [r for r in every
            if any(r.id == w or (w.endswith("*") and r.id.startswith(w[:-1])) or (w.endswith(".") and r.id.startswith(w))
                   for w in wants)]


@dataclass(slots=True)
class RuleContext:
    """What a rule may read besides the resource: built once per audit by the engine."""

    config: Any = None
    as_of: datetime | None = None
    estate: Any = None
    graph: Any = None  # the trust graph, built once per audit
    classify: Callable[[Any], str | None] | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    def classification(self, res: Any) -> str | None:
        """The data classification of a storage resource (from its tags), if any."""
        return self.classify(res) if self.classify is not None else None

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """Derived data several rules share (e.g. chains by target), computed once per audit."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]
