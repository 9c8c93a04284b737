"""Drift report objects and the documented JSON shape of ``auditor drift --format json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.rules.verdict import SEVERITIES, at_or_above, severity_rank

CHANGE_KINDS = ("added", "removed", "modified", "unknown")

DRIFT_JSON_DOC = """\
`auditor drift --format json` prints a JSON array; each element is one drifted resource:

| field         | type            | meaning |
|---------------|-----------------|---------|
| resource_key  | string          | stable key of the resource (`<type>|<native id>`) |
| native_id     | string          | ARN / full resource name / ARM id |
| provider      | string          | aws, gcp or azure |
| account       | string          | AWS account id, GCP project, Azure subscription |
| region        | string          | region as the cloud spells it (`global` when none) |
| type          | string          | resource type, e.g. `aws.s3.bucket` |
| change        | string          | `added`, `removed`, `modified` or `unknown` (its collection unit did not complete in the snapshot, so nothing can be said; never reported as `removed`) |
| changes       | array           | for `modified`: `[{"path", "before", "after"}]`, one per changed JSON path (`tags.Owner`, `config.Versioning.Status`, `facets.public`, `name`); `before`/`after` are JSON values, `null` when the path is absent on that side; empty for the other kinds |
| element_changes | array         | for `modified`: the lists that are sets (security-group rules, network facet rules, policy statements, role bindings, grants) diffed by element: `[{"path", "op", "value", "text"}]` with `path` the list's path (`config.IpPermissions`, `facets.ingress`, `config.AssumeRolePolicyDocument.Statement`), `op` `added` or `removed`, `value` the whole element, `text` one readable line (`tcp/3389 from 0.0.0.0/0`, `Allow sts:AssumeRole by AWS:arn:...`); a policy document is thus diffed per statement; `changes` keeps the path-level view |
| severity      | string          | `info`, `low`, `medium`, `high` or `critical` (the rules that flip, see `auditor.drift.severity`) |
| ignored_by    | array           | only with `--show-ignored`: the ignore rules that matched (`index`, `owner`, `reason`, `path`, `expires`); an item that is fully ignored has a non-empty list and never counts for `--fail-on` |

Items are ordered by severity (highest first), then resource key. The same items appear under
`"items"` of the report object returned by `auditor.drift.engine.compute_drift(...).as_dict()`,
next to `baseline`, `snapshot_id`, `from_snapshot`, `incomplete_units` (units of the compared
snapshot that did not complete, or that held baseline resources but were not attempted) and
`expired_rules` (ignore rules past their `expires` date; they no longer apply).

Against a Terraform baseline (`auditor baseline import terraform`) `change` is `unmanaged` (in
the cloud, in the baseline's accounts, declared by no state), `missing` (declared, absent, and
every unit that could hold it completed), `modified` (a value Terraform declares differs; only
declared paths appear in `changes`, `before` = declared, `after` = collected) or `unknown`.
The report object then also has `iac_coverage`: `[{"provider", "account", "type", "resources",
"managed", "share"}]`, the observed resources per account and type and how many some state
declares; `auditor drift --coverage FILE` writes that list as a companion JSON file (stdout
keeps the item array).
"""


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class ElementChange:
    """One element added to or removed from a list that is a set (rules, grants, statements)."""

    path: str    # the list's path, e.g. config.IpPermissions, facets.ingress
    op: str      # "added" | "removed"
    value: Any   # the element as stored
    text: str    # one readable line: "tcp/3389 from 0.0.0.0/0"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "op": self.op, "value": self.value, "text": self.text}

    def line(self) -> str:
        return f"{'+' if self.op == 'added' else '-'} {self.text}"


@dataclass(slots=True)
class DriftItem:
    resource_key: str
    native_id: str | None
    provider: str | None
    account: str | None
    region: str | None
    type: str | None
    change: str
    changes: list[Change] = field(default_factory=list)
    elements: list[ElementChange] = field(default_factory=list)
    severity: str = "info"
    ignored_by: list[dict[str, Any]] = field(default_factory=list)
    ignored: bool = False  # every change (or the whole item) is covered by ignore rules
    unit_key: str | None = None
    show_ignored: bool = False

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "resource_key": self.resource_key, "native_id": self.native_id, "provider": self.provider,
            "account": self.account, "region": self.region, "type": self.type, "change": self.change,
            "changes": [c.as_dict() for c in self.changes], "severity": self.severity,
            "element_changes": [e.as_dict() for e in self.elements],
        }
        if self.show_ignored:
            d["ignored_by"] = list(self.ignored_by)
        return d


@dataclass(slots=True)
class DriftReport:
    items: list[DriftItem]
    incomplete_units: list[dict[str, Any]]
    expired_rules: list[dict[str, Any]]
    baseline: str | None
    snapshot_id: int
    from_snapshot: int | None = None
    compared: int = 0  # resources on the baseline side
    ignored_count: int = 0
    kinds: tuple[str, ...] = CHANGE_KINDS  # a Terraform baseline: unmanaged, missing, modified, unknown
    iac_coverage: list[dict[str, Any]] | None = None  # Terraform baselines only (see DRIFT_JSON_DOC)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in self.kinds}
        for i in self.items:
            if not i.ignored:
                out[i.change] = out.get(i.change, 0) + 1
        return out

    def max_severity(self) -> str | None:
        ranks = [severity_rank(i.severity) for i in self.items if not i.ignored]
        return SEVERITIES[max(ranks)] if ranks else None

    def fails(self, fail_on: str | None) -> bool:
        """True when a non-ignored item is at or above ``fail_on`` ('none'/None never fails)."""
        if not fail_on:
            return False
        return any(at_or_above(i.severity, fail_on) for i in self.items if not i.ignored)

    def as_dict(self) -> dict[str, Any]:
        d = {
            "baseline": self.baseline, "snapshot_id": self.snapshot_id, "from_snapshot": self.from_snapshot,
            "counts": self.counts(), "ignored": self.ignored_count, "compared": self.compared,
            "incomplete_units": self.incomplete_units, "expired_rules": self.expired_rules,
            "items": [i.as_dict() for i in self.items],
        }
        if self.iac_coverage is not None:
            d["iac_coverage"] = self.iac_coverage
        return d
