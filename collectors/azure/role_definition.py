"""The least-privilege custom role for the Azure collector, generated from SPECS."""

from __future__ import annotations

from typing import Any

from collectors.azure.specs import DISCOVERY_ACTIONS, SPECS


def permissions() -> dict[str, Any]:
    """An Azure custom role definition with only the read actions the specs declare."""
    actions = sorted({a for spec in SPECS for a in spec.permissions} | set(DISCOVERY_ACTIONS))
    return {
        "Name": "Cloud Posture Auditor Reader",
        "IsCustom": True,
        "Description": "Read-only access needed by the cloud posture auditor's Azure collector (generated).",
        "Actions": actions,
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": ["/subscriptions/{subscriptionId}"],
    }
