"""The verdict one rule gives about one resource, before the engine turns it into a Finding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, UNKNOWN = "PASS", "FAIL", "UNKNOWN"
STATUSES = (PASS, FAIL, UNKNOWN)


@dataclass(slots=True)
class Result:
    rule_id: str
    status: str  # PASS | FAIL | UNKNOWN
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None  # overrides the rule's default when the evidence warrants it
