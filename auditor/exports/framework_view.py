"""Per-control compliance view (CIS, SOC 2, ISO 27001, GDPR) built from check findings.

A control is evaluated per resource: a resource fails the control when any mapped rule
failed on it, is unknown when none failed but one could not be evaluated, and passes only
when every mapped rule passed (DESIGN.md decision 3: missing data is never a pass). A cloud's
benchmark counts that cloud's resources only. Controls no finding mentions are absent here;
``compliance_view`` lists every control of a table with MANUAL / NOT_COLLECTED / unit coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterable

from auditor.rules.frameworks import tables
from auditor.rules.verdict import STATUS_WEIGHT as _RANK


PROVIDERS = ("aws", "gcp", "azure")


def framework_provider(key: str) -> str | None:
    """The cloud a benchmark is about (``CIS-AWS-7.0`` -> ``aws``); None for cross-cloud ones (SOC 2)."""
    parts = key.lower().split("-")
    return parts[1] if len(parts) > 1 and parts[1] in PROVIDERS else None


def in_scope(framework: str, finding: dict[str, Any]) -> bool:
    """A cloud's benchmark judges that cloud's resources only: a rule mapped to CIS AWS and CIS
    GCP fails a GCP bucket under the GCP control, never under the AWS one."""
    cloud = framework_provider(framework)
    return cloud is None or (finding.get("provider") or "") == cloud


def framework_title(key: str) -> str:
    """The mapping table's title for a framework key (``CIS-AWS-7.0``); unknown keys as they are."""
    return next((t.title for t in tables() if t.key.upper() == key.upper()), key)


@dataclass(frozen=True)
class ControlStatus:
    framework: str
    control: str
    status: str  # FAIL if any resource fails, else UNKNOWN if any is unknown, else PASS
    passed: int
    failed: int
    unknown: int
    rules: tuple[str, ...]
    # Resource keys (or finding ids for findings without a resource), sorted. Tuples here; the
    # export's view streams them from disk (auditor/exports/subjects.py): iterate, never index.
    failing: Collection[str]
    unknown_resources: Collection[str]
    passing: Collection[str]

    @property
    def title(self) -> str:
        return framework_title(self.framework)

    def as_dict(self, resources: Callable[[Collection[str]], Any] = list) -> dict[str, Any]:
        """``resources`` renders each resource list (a streamed export puts placeholders there)."""
        return {
            "framework": self.framework, "control": self.control, "status": self.status,
            "pass": self.passed, "fail": self.failed, "unknown": self.unknown, "rules": list(self.rules),
            "failing_resources": resources(self.failing), "unknown_resources": resources(self.unknown_resources),
            "passing_resources": resources(self.passing),
        }


def control_sort_key(control: str) -> tuple:
    """Natural order: 2.1.10 after 2.1.9, A.8.3 after A.8.2."""
    parts: list[tuple[int, Any]] = []
    for token in control.replace("-", ".").split("."):
        parts.append((0, int(token)) if token.isdigit() else (1, token))
    return tuple(parts)


_control_sort_key = control_sort_key


def subject_of(f: dict[str, Any]) -> str:
    """What a finding is about: its resource key, or the finding itself when it has none."""
    return f.get("resource_key") or f"finding:{f['finding_id']}"


def status_of(f: dict[str, Any]) -> str:
    """A finding's status; anything unrecognised counts as UNKNOWN, never as PASS."""
    return f.get("status") if f.get("status") in _RANK else "UNKNOWN"


def worst_per_subject(findings: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> dict[Any, dict[str, str]]:
    """{key(finding): {subject: loudest status}}: a FAIL on a resource is never hidden by a PASS."""
    out: dict[Any, dict[str, str]] = {}
    for f in findings:
        seen = out.setdefault(key(f), {})
        subject, status = subject_of(f), status_of(f)
        prev = seen.get(subject)
        if prev is None or _RANK[status] > _RANK[prev]:
            seen[subject] = status
    return out


def framework_view(findings: Iterable[dict[str, Any]]) -> list[ControlStatus]:
    """Controls sorted by framework and control id, with per-resource status counts."""
    per_resource: dict[tuple[str, str], dict[str, str]] = {}
    rules: dict[tuple[str, str], set[str]] = {}
    for f in findings:
        subject, status = subject_of(f), status_of(f)
        for framework, controls in (f.get("frameworks") or {}).items():
            if not in_scope(str(framework), f):
                continue
            for control in controls:
                key = (str(framework), str(control))
                seen = per_resource.setdefault(key, {})
                prev = seen.get(subject)
                if prev is None or _RANK[status] > _RANK[prev]:
                    seen[subject] = status
                rules.setdefault(key, set()).add(f["rule_id"])
    out = []
    for (framework, control), by_subject in per_resource.items():
        groups: dict[str, list[str]] = {"PASS": [], "FAIL": [], "UNKNOWN": []}
        for subject, status in by_subject.items():
            groups[status].append(subject)
        worst = max(by_subject.values(), key=_RANK.__getitem__)
        out.append(ControlStatus(
            framework=framework, control=control, status=worst,
            passed=len(groups["PASS"]), failed=len(groups["FAIL"]), unknown=len(groups["UNKNOWN"]),
            rules=tuple(sorted(rules[(framework, control)])), failing=tuple(sorted(groups["FAIL"])),
            unknown_resources=tuple(sorted(groups["UNKNOWN"])), passing=tuple(sorted(groups["PASS"])),
        ))
    out.sort(key=lambda c: (c.framework, _control_sort_key(c.control), c.control))
    return out


def framework_summary(controls: Iterable[ControlStatus]) -> list[dict[str, Any]]:
    """Per framework: how many controls pass, fail or are unknown."""
    totals: dict[str, dict[str, Any]] = {}
    for c in controls:
        t = totals.setdefault(c.framework, {"framework": c.framework, "title": c.title, "controls": 0,
                                            "PASS": 0, "FAIL": 0, "UNKNOWN": 0})
        t["controls"] += 1
        t[c.status] += 1
    return [totals[k] for k in sorted(totals)]
