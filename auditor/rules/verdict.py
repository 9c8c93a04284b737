"""Verdicts, findings and the severity scale: defined once, at the bottom of the import graph.

Everything that ranks a severity or names a status (rules, drift, notifications, exports,
CLI) imports it from here. This module imports nothing from ``auditor``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, UNKNOWN = "PASS", "FAIL", "UNKNOWN"
STATUSES = (PASS, FAIL, UNKNOWN)
SEVERITIES = ("info", "low", "medium", "high", "critical")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}
# How strongly a status speaks: when two verdicts about one (rule, resource) meet, the louder wins.
STATUS_WEIGHT = {PASS: 0, UNKNOWN: 1, FAIL: 2}


def severity_rank(severity: str) -> int:
    """Position on the scale (info = 0 ... critical = 4); an unknown name is a clear error."""
    try:
        return _RANK[severity]
    except KeyError:
        raise ValueError(f"unknown severity {severity!r}; expected one of {', '.join(SEVERITIES)}") from None


def at_or_above(severity: str, floor: str) -> bool:
    """True when ``severity`` reaches ``floor`` (the floor "none" is never reached)."""
    if floor == "none":
        return False
    rank = _RANK.get(str(severity).lower(), -1) if severity is not None else -1
    return rank >= severity_rank(floor)


@dataclass(slots=True)
class Result:
    """One rule's verdict on one resource."""

    status: str  # PASS | FAIL | UNKNOWN
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None  # overrides the rule's default when the evidence warrants it


FINDING_KEYS = ("finding_id", "rule_id", "title", "severity", "status", "provider", "account", "region",
                "resource_key", "native_id", "message", "evidence", "frameworks")


def finding_id(rule_id: str, resource_key: str) -> str:
    """sha256(rule_id + "|" + resource_key)[:32]: the same rule on the same resource, every run."""
    return hashlib.sha256(f"{rule_id}|{resource_key}".encode()).hexdigest()[:32]


@dataclass(slots=True)
class Finding:
    """A rule's verdict about one stored resource, as checks report and persist it."""

    rule_id: str
    title: str
    severity: str
    status: str
    provider: str | None
    account: str | None
    region: str | None
    resource_key: str
    native_id: str | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    frameworks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def finding_id(self) -> str:
        return finding_id(self.rule_id, self.resource_key)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FINDING_KEYS}


def failing_at_or_above(findings: Any, floor: str) -> list[Finding]:
    """FAIL findings whose severity reaches ``floor`` (what decides exit code 1)."""
    return [f for f in findings if f.status == FAIL and at_or_above(f.severity, floor)]
