"""A finding: a rule's verdict about one resource, with a stable id for trending across runs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

FINDING_KEYS = ("finding_id", "rule_id", "title", "severity", "status", "provider", "account", "region",
                "resource_key", "native_id", "message", "evidence", "frameworks")


def finding_id(rule_id: str, resource_key: str) -> str:
    """sha256(rule_id + "|" + resource_key)[:32] — the same rule on the same resource, every run."""
    return hashlib.sha256(f"{rule_id}|{resource_key}".encode()).hexdigest()[:32]


@dataclass(slots=True)
class Finding:
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
