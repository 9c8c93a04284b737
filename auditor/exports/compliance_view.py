"""Per-control compliance of one snapshot: every control of a benchmark table, judged or not.

The framework view (``framework_view``) aggregates the findings a snapshot holds; this view
starts from the mapping tables instead, so a control that no finding mentions still gets a
status, and the status says why:

- ``MANUAL``: the table's source leaves the control to a person, and no rule judges it here.
- ``NOT_COLLECTED``: the source automates the control but no rule of ours judges it (the
  table's ``note`` says why, e.g. the input needs a permission we do not ask for).
- ``FAIL``: a mapped rule failed on a resource of the benchmark's cloud.
- ``UNKNOWN``: no FAIL, but a resource could not be judged, a mapped rule did not run, a
  collection unit that feeds one of its rules did not complete (denied, error, throttled), or
  a resource type its rules judge (the types they declare, or every type of their category)
  was not collected for the benchmark's cloud in this snapshot. A run that saw nothing never
  says PASS (DESIGN.md decision 3).
- ``PASS``: all of those units completed and every verdict passed. When the rules found no
  resource to judge (e.g. no instances exist), the control is PASS with the reason "no
  resources in scope": only because every unit they read answered completely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from auditor.coverage import SKIPPED as SKIPPED_UNIT, SUCCESS as SUCCESS_UNITS
from auditor.exports.framework_view import framework_provider, in_scope, status_of, subject_of, worst_per_subject  # noqa: F401 - re-exported
from auditor.rules.frameworks import Control, Table, tables
from auditor.rules.verdict import STATUS_WEIGHT

PASS, FAIL, UNKNOWN, MANUAL, NOT_COLLECTED = "PASS", "FAIL", "UNKNOWN", "MANUAL", "NOT_COLLECTED"
# Display order: what needs attention first.
STATUSES = (FAIL, UNKNOWN, PASS, MANUAL, NOT_COLLECTED)
DEFAULT_PREFIX = "CIS-"


def default_tables() -> list[Table]:
    """What ``auditor compliance`` shows without ``--framework``: every CIS table."""
    return [t for t in tables() if t.key.upper().startswith(DEFAULT_PREFIX)]


def select_tables(wanted: Sequence[str] | None, available: Sequence[Table] | None = None) -> list[Table]:
    """Tables by key, case-insensitive, exact or by prefix (``cis-aws`` -> every CIS AWS version).

    Raises ``UsageError`` naming the valid keys when a wanted key matches nothing.
    """
    from auditor.errors import UsageError

    every = list(available if available is not None else tables())
    if not wanted:
        return [t for t in every if t.key.upper().startswith(DEFAULT_PREFIX)]
    chosen: list[Table] = []
    for w in wanted:
        key = w.strip().upper()
        hits = [t for t in every if _key_matches(t.key.upper(), key)]
        if not key or not hits:
            raise UsageError(f"unknown framework {w!r}; valid keys: {', '.join(t.key for t in every)} "
                             "(a prefix such as 'cis-aws' selects every version)")
        chosen.extend(t for t in hits if t not in chosen)
    return chosen


def _key_matches(table_key: str, wanted: str) -> bool:
    """Exact, or a prefix that ends where a key part ends ('CIS-AWS' and 'CIS-AWS-7' pick
    CIS-AWS-7.0; 'CIS-A' picks nothing)."""
    return table_key == wanted or table_key.startswith(wanted + "-") or table_key.startswith(wanted + ".")


# ---- why a control is (not) automated --------------------------------------------------------

def automation_reason(c: Control) -> str:
    """One line for ``--list``: what judges the control, or why nothing does."""
    if c.rules:
        return "judged by " + ", ".join(c.rules)
    if c.automation == "manual":
        return c.note or ("the source lists no automated check: a person must assess it" if c.upstream == "manual"
                          else "the source does not say whether it can be automated; not judged here")
    return c.note or "the source automates it; no rule here yet"


# ---- which collection units feed a rule ------------------------------------------------------

def _type_categories() -> dict[str, str]:
    """Resource type -> category, from every cloud's collector specs (the one place types are declared)."""
    from collectors.aws.specs import SPECS as AWS
    from collectors.azure.specs import SPECS as AZURE
    from collectors.gcp.specs import SPECS as GCP

    return {s.type: s.category for s in (*AWS, *GCP, *AZURE)}


def _reads_unit(rule: Any, resource_type: str, categories: Mapping[str, str]) -> bool:
    """Whether a unit of ``resource_type`` holds resources ``rule`` judges (its declared scope)."""
    types, cats = tuple(getattr(rule, "types", ()) or ()), tuple(getattr(rule, "categories", ()) or ())
    if types and resource_type not in types:
        return False
    if cats and categories.get(resource_type) not in cats:
        return False
    return True


@dataclass
class UnitTally:
    """Collection units of one resource type of one cloud: enough to say whether its data arrived."""

    succeeded: int = 0  # ok | empty
    incomplete: int = 0  # denied | error | throttled (skipped units prove nothing and count nowhere)
    resources: int = 0
    samples: list[str] | None = None  # a few incomplete units, for the reason text

    def add(self, u: Mapping[str, Any]) -> None:
        status = str(u.get("status") or "")
        if status in SUCCESS_UNITS:
            self.succeeded += 1
            self.resources += int(u.get("resource_count") or 0)
        elif status != SKIPPED_UNIT:
            self.incomplete += 1
            if self.samples is None:
                self.samples = []
            if len(self.samples) < 3:
                self.samples.append(f"{u.get('resource_type')} {u.get('account')}/{u.get('region')} {status}")


@dataclass(frozen=True)
class UnitIndex:
    """A snapshot's collection units tallied per (cloud, resource type): the question "did the
    inputs of rule R arrive?" then costs one look per type, however many accounts and regions."""

    tallies: Mapping[tuple[str, str], UnitTally]
    categories: Mapping[str, str]

    @classmethod
    def of(cls, units: Iterable[Mapping[str, Any]], categories: Mapping[str, str] | None = None) -> "UnitIndex":
        tallies: dict[tuple[str, str], UnitTally] = {}
        for u in units:
            key = (str(u.get("provider") or ""), str(u.get("resource_type") or ""))
            tallies.setdefault(key, UnitTally()).add(u)
        return cls(tallies, categories if categories is not None else _type_categories())

    def feeding(self, rules: Iterable[Any], provider: str | None) -> UnitTally:
        """The units of ``provider`` (every provider when None) holding what any of ``rules`` reads."""
        rules = list(rules)
        out = UnitTally(samples=[])
        for (p, rtype), t in sorted(self.tallies.items()):
            if (provider and p != provider) or not any(_reads_unit(r, rtype, self.categories) for r in rules):
                continue
            out.succeeded += t.succeeded
            out.incomplete += t.incomplete
            out.resources += t.resources
            out.samples.extend(t.samples or ())  # type: ignore[union-attr]
        return out

    def unplanned(self, rules: Iterable[Any], provider: str | None) -> list[str]:
        """Resource types ``rules`` declare they judge (by type, or every type of their category)
        that this snapshot did not even plan: a rule that found nothing there proves nothing."""
        def mine(t: str) -> bool:
            return provider is None or t.startswith(provider + ".")

        expected: set[str] = set()
        for r in rules:
            types, cats = tuple(getattr(r, "types", ()) or ()), tuple(getattr(r, "categories", ()) or ())
            if types:
                expected.update(t for t in types if mine(t))
            elif cats:
                expected.update(t for t, c in self.categories.items() if c in cats and mine(t))
        present = {t for (p, t) in self.tallies if provider is None or p == provider}
        return sorted(expected - present)


# ---- the view --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ControlResult:
    """One control's status in one snapshot, with the reason and the resources behind it."""

    framework: str
    control: str
    title: str
    status: str  # PASS | FAIL | UNKNOWN | MANUAL | NOT_COLLECTED
    automation: str  # automated | manual | not_collected (the table's classification)
    upstream: str
    rules: tuple[str, ...]
    reason: str
    failing: tuple[str, ...] = ()  # resource keys (the first ones only when failing_count says more)
    unknown: tuple[str, ...] = ()
    passed: int = 0
    failing_count: int | None = None  # None: len(failing); set when the lists were cut (exports)
    unknown_count: int | None = None

    @property
    def n_failing(self) -> int:
        return len(self.failing) if self.failing_count is None else self.failing_count

    @property
    def n_unknown(self) -> int:
        return len(self.unknown) if self.unknown_count is None else self.unknown_count

    def as_dict(self, cap: int | None = None) -> dict[str, Any]:
        """``cap`` limits the resource lists (their counts stay exact)."""
        failing = list(self.failing if cap is None else self.failing[:cap])
        unknown = list(self.unknown if cap is None else self.unknown[:cap])
        return {"framework": self.framework, "control": self.control, "title": self.title, "status": self.status,
                "automation": self.automation, "upstream": self.upstream, "rules": list(self.rules),
                "reason": self.reason, "failing_count": self.n_failing, "unknown_count": self.n_unknown,
                "pass_count": self.passed, "failing_resources": failing, "unknown_resources": unknown}


@dataclass(frozen=True)
class Tally:
    """A control's subjects, each at its loudest status over the control's rules: the lists
    (sorted; possibly only their head) and exact counts."""

    failing: tuple[str, ...]
    unknown: tuple[str, ...]
    n_failing: int
    n_unknown: int
    passed: int

    @classmethod
    def of(cls, subjects: Mapping[str, str]) -> "Tally":
        failing = tuple(sorted(s for s, v in subjects.items() if v == FAIL))
        unknown = tuple(sorted(s for s, v in subjects.items() if v == UNKNOWN))
        return cls(failing, unknown, len(failing), len(unknown), sum(1 for v in subjects.values() if v == PASS))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _loudest(c: Control, per_rule: Mapping[str, Mapping[str, str]]) -> Tally:
    subjects: dict[str, str] = {}  # resource -> loudest status over the control's rules
    for rid in c.rules:
        for subject, status in per_rule.get(rid, {}).items():
            if subject not in subjects or STATUS_WEIGHT[status] > STATUS_WEIGHT[subjects[subject]]:
                subjects[subject] = status
    return Tally.of(subjects)


def _judge(table: Table, c: Control, provider: str | None, tally: Callable[[Control], Tally],
           registry: Mapping[str, Any], rules_run: Any, units: UnitIndex) -> ControlResult:
    base = dict(framework=table.key, control=c.id, title=c.title, automation=c.automation, upstream=c.upstream,
                rules=c.rules)
    if not c.rules:
        if c.automation == "manual":
            return ControlResult(status=MANUAL, reason=automation_reason(c), **base)
        return ControlResult(status=NOT_COLLECTED, reason=automation_reason(c), **base)
    t = tally(c)
    failing, unknown, passed = t.failing, t.unknown, t.passed
    counts = dict(failing=failing, unknown=unknown, passed=passed, failing_count=t.n_failing,
                  unknown_count=t.n_unknown)
    if t.n_failing:
        return ControlResult(status=FAIL, reason=f"{_plural(t.n_failing, 'failing resource')}", **counts, **base)
    missing = [r for r in c.rules if r not in registry]
    idle = [r for r in c.rules if r in registry and rules_run is not None and r not in rules_run]
    why: list[str] = []
    if missing:
        why.append(f"rule not registered: {', '.join(missing)}")
    if idle:
        why.append(f"rule did not run on this snapshot: {', '.join(idle)}")
    if t.n_unknown:
        why.append(f"{_plural(t.n_unknown, 'resource')} could not be judged")
    known = [registry[r] for r in c.rules if r in registry]
    fed = units.feeding(known, provider)
    if fed.incomplete:
        shown = "; ".join((fed.samples or [])[:3]) + (" ..." if fed.incomplete > 3 else "")
        why.append(f"inputs not collected: {_plural(fed.incomplete, 'unit')} ({shown})")
    elif not fed.succeeded and known:
        why.append(f"nothing its rules read was collected{f' for {provider}' if provider else ''} in this snapshot")
    if why:
        return ControlResult(status=UNKNOWN, reason="; ".join(why), **counts, **base)
    unplanned = units.unplanned(known, provider)
    if unplanned:
        more = f" (+{len(unplanned) - 3} more)" if len(unplanned) > 3 else ""
        judged = f" ({_plural(passed, 'judged resource')} pass)" if passed else ""
        return ControlResult(status=UNKNOWN, reason=f"not collected in this snapshot: {', '.join(unplanned[:3])}{more}"
                             f"{judged}", **counts, **base)
    if passed:
        why_pass = "1 resource passes" if passed == 1 else f"all {passed} resources pass"
        return ControlResult(status=PASS, reason=why_pass, **counts, **base)
    detail = (f"no resources in scope ({_plural(fed.succeeded, 'unit')} collected, none held any)" if not fed.resources
              else f"no resources in scope (none of {fed.resources} collected applies)")
    return ControlResult(status=PASS, reason=detail, **counts, **base)


def compliance_view(findings: Iterable[Mapping[str, Any]], units: Iterable[Mapping[str, Any]], *,
                    frameworks: Sequence[Table] | None = None, rules_run: Iterable[str] | None = None,
                    registry: Mapping[str, Any] | None = None,
                    categories: Mapping[str, str] | None = None) -> list[ControlResult]:
    """Every control of ``frameworks`` (default: every CIS table), in table order.

    ``findings`` are finding dicts (``rule_id``, ``status``, ``provider``, ``resource_key``);
    ``units`` the snapshot's collection units; ``rules_run`` the ids of the rules that were
    evaluated (None: every registered rule).
    """
    if registry is None:
        from auditor.rules.registry import all_rules

        registry = all_rules()
    ran = None if rules_run is None else frozenset(rules_run)
    index = UnitIndex.of(units, categories)
    chosen = list(frameworks) if frameworks is not None else default_tables()
    # One pass over the findings (they may stream from the store) fills every cloud's view.
    per_provider: dict[str | None, dict[str, dict[str, str]]] = {framework_provider(t.key): {} for t in chosen}
    for f in findings:
        for provider, per_rule in per_provider.items():
            if provider is None or (f.get("provider") or "") == provider:
                seen = per_rule.setdefault(f.get("rule_id"), {})
                subject, status = subject_of(f), status_of(f)
                prev = seen.get(subject)
                if prev is None or STATUS_WEIGHT[status] > STATUS_WEIGHT[prev]:
                    seen[subject] = status
    out: list[ControlResult] = []
    for t in chosen:
        provider = framework_provider(t.key)
        per_rule = per_provider[provider]
        out.extend(_judge(t, c, provider, lambda c: _loudest(c, per_rule), registry, ran, index)
                   for c in t.controls.values())
    return out


def indexed_compliance_view(index: Any, units: Iterable[Mapping[str, Any]], *, cap: int,
                            frameworks: Sequence[Table] | None = None, rules_run: Iterable[str] | None = None,
                            registry: Mapping[str, Any] | None = None,
                            categories: Mapping[str, str] | None = None) -> list[ControlResult]:
    """``compliance_view`` from a ``SubjectIndex`` (auditor/exports/subjects.py) instead of the
    findings: exact counts, and only the first ``cap`` failing and unknown resources of each
    control (what the exports write), so no control's resources are held in memory."""
    if registry is None:
        from auditor.rules.registry import all_rules

        registry = all_rules()
    ran = None if rules_run is None else frozenset(rules_run)
    units_index = UnitIndex.of(units, categories)
    out: list[ControlResult] = []
    for t in (list(frameworks) if frameworks is not None else default_tables()):
        provider = framework_provider(t.key)

        def tally(c: Control, provider: str | None = provider) -> Tally:
            return Tally(*index.tally(c.rules, provider, cap))

        out.extend(_judge(t, c, provider, tally, registry, ran, units_index) for c in t.controls.values())
    return out


def snapshot_compliance(engine: Any, config: Any, snapshot_id: int, *, findings: Iterable[Any] | None = None,
                        frameworks: Sequence[Table] | None = None) -> list[ControlResult]:
    """The view of one stored snapshot. ``findings`` (Finding objects or dicts) are the ones
    an audit just computed with every enabled rule; without them the rules are evaluated in
    memory, nothing is stored (read-only)."""
    from auditor.rules.engine import chosen_rules, run_checks
    from auditor.store.read import list_units

    rules_run = [r.id for r in chosen_rules(config, None)]
    if findings is None:
        findings = run_checks(engine, config, snapshot_id, persist=False)
    rows = [f.as_dict() if hasattr(f, "as_dict") else f for f in findings]
    return compliance_view(rows, list_units(engine, snapshot_id), frameworks=frameworks, rules_run=rules_run)


def summarise(results: Iterable[ControlResult], frameworks: Sequence[Table] | None = None) -> list[dict[str, Any]]:
    """Per framework: how many controls have each status (every status present, zero or not)."""
    titles = {t.key: t.title for t in (frameworks if frameworks is not None else tables())}
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        s = out.setdefault(r.framework, {"framework": r.framework, "title": titles.get(r.framework, r.framework),
                                         "controls": 0, **{k: 0 for k in STATUSES}})
        s["controls"] += 1
        s[r.status] += 1
    return list(out.values())


# ---- coverage: what the registry automates ---------------------------------------------------

COVERAGE_COLUMNS = ("framework", "controls", "automated", "manual", "not_collected", "automatable_upstream",
                    "automatable_automated")


def coverage_rows(frameworks: Sequence[Table] | None = None) -> list[dict[str, Any]]:
    """Per framework version: controls in total, automated here, manual, not collected.

    ``automated + manual + not_collected == controls``. ``automatable_upstream`` counts the
    controls the table's source automates; ``automatable_automated`` how many of those we do.
    """
    out = []
    for t in (frameworks if frameworks is not None else default_tables()):
        cs = list(t.controls.values())
        up = [c for c in cs if c.upstream == "automated"]
        out.append({"framework": t.key, "title": t.title, "controls": len(cs),
                    "automated": sum(c.automation == "automated" for c in cs),
                    "manual": sum(c.automation == "manual" for c in cs),
                    "not_collected": sum(c.automation == "not_collected" for c in cs),
                    "automatable_upstream": len(up), "automatable_automated": sum(bool(c.rules) for c in up)})
    return out


REGENERATE = "python -m auditor compliance --coverage -f markdown > docs/compliance.md"

_DOC_HEAD = """\
# CIS compliance view

<!-- GENERATED by `{regen}` from the framework
tables (auditor/rules/frameworks/*.csv) and the rule registry. Do not edit by hand:
tests/cli/test_compliance.py fails when this file is stale. -->

`auditor compliance` shows, for each control of a CIS Foundations benchmark version, one
status and why, for a snapshot (default: the latest). It is read-only: the rules run in
memory on the stored inventory and nothing is written.

```
auditor compliance                             # every CIS version
auditor compliance --framework cis-aws         # both AWS versions (a key or a prefix, any case)
auditor compliance --framework cis-gcp-5.0 -f json
auditor compliance --list                      # how each control is judged, or why it is not
auditor compliance --coverage                  # the table below
```

| status | meaning |
| --- | --- |
| `FAIL` | a rule mapped to the control failed on a resource of the benchmark's cloud (the resources are listed) |
| `UNKNOWN` | no FAIL, but a resource could not be judged, a mapped rule did not run, a collection unit its rules read did not complete (`denied`, `error`, `throttled`), or a resource type its rules judge was not collected for that cloud in this snapshot |
| `PASS` | every unit its rules read completed, every type they judge was collected, and every verdict passed; "no resources in scope" when those units completed and held nothing the rules judge |
| `MANUAL` | the benchmark's source leaves the control to a person, and no rule judges it here |
| `NOT_COLLECTED` | the source automates the control but no rule judges it here yet; the table's note says why |

A run that saw nothing never says PASS: a control whose inputs were denied is UNKNOWN, never
"no resources in scope". Exports carry the same view (`compliance.csv`, `compliance.json`,
and counts per status in the HTML report's `#compliance` section).

## Coverage

Generated from the registry: `automated` controls have at least one rule; `manual` and
`not collected` controls have none (`auditor compliance --list` gives each one's reason; the
not-collected ones are listed at the end of this page with the note their table gives).
`automated + manual + not collected = controls`. The last two columns measure the goal that
every control the public compliance data automates is automated here too (a control whose only
upstream check always answers MANUAL, such as AWS contact details, counts as manual upstream).

| framework | controls | automated | manual | not collected | automatable upstream | of those automated here |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
"""


def coverage_markdown(frameworks: Sequence[Table] | None = None) -> str:
    """docs/compliance.md: how statuses are decided, and the coverage table from the registry."""
    chosen = list(frameworks) if frameworks is not None else default_tables()
    lines = [_DOC_HEAD.format(regen=REGENERATE)]
    for r in coverage_rows(chosen):
        lines.append(f"| {r['framework']} | {r['controls']} | {r['automated']} | {r['manual']} | "
                     f"{r['not_collected']} | {r['automatable_upstream']} | {r['automatable_automated']} |\n")
    lines.append("\nSources of the control ids and titles:\n\n")
    for t in chosen:
        lines.append(f"- {t.key} ({t.title}): {_md(t.source)}\n")
    lines.append("\n## Not collected: controls the source automates and no rule judges here yet\n")
    for t in chosen:
        gap = [c for c in t.controls.values() if c.automation == "not_collected"]
        lines.append(f"\n<details><summary>{t.key}: {len(gap)} controls</summary>\n\n")
        if gap:
            lines.append("| control | title | why |\n| --- | --- | --- |\n")
            lines.extend(f"| {_md(c.id)} | {_md(c.title)} | {_md(automation_reason(c))} |\n" for c in gap)
        else:
            lines.append("Every control the source automates is automated here.\n")
        lines.append("\n</details>\n")
    return "".join(lines)


def _md(text: str) -> str:
    """A table cell: pipes and angle brackets cannot break the markdown around it."""
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
