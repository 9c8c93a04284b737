"""Reading a resource's Azure Monitor diagnostic settings: does one export a given log?

Shared by collectors that judge per-resource log export (App Service HTTP logs). A setting
counts only when it has a destination and the log is enabled by its own category or by a
category group that contains it; settings that could not be read answer None, never False.
"""

from __future__ import annotations

from typing import Any

LOG_DESTINATIONS = ("storageAccountId", "workspaceId", "eventHubAuthorizationRuleId", "marketplacePartnerId")


def exports_log(settings: list[dict[str, Any]] | None, category: str, groups: frozenset[str]) -> bool | None:
    """True when a diagnostic setting sends ``category`` (or a group in ``groups``, lower-case) somewhere."""
    if settings is None:
        return None
    for s in settings:
        p = s.get("properties") or {}
        if not any(p.get(k) for k in LOG_DESTINATIONS):
            continue  # a setting without a destination exports nothing
        for log in p.get("logs") or []:
            if log.get("enabled") is True and (
                    str(log.get("category") or "").lower() == category.lower()
                    or str(log.get("categoryGroup") or "").lower() in groups):
                return True
    return False


def exports_any_log(settings: list[dict[str, Any]] | None) -> bool | None:
    """True when a diagnostic setting sends at least one enabled resource log (a category or a
    category group) to a destination: Azure Monitor resource logging is on (CIS Azure 6.1.4).
    Metrics alone do not count; settings that could not be read answer None, never False."""
    if settings is None:
        return None
    for s in settings:
        p = s.get("properties") or {}
        if not any(p.get(k) for k in LOG_DESTINATIONS):
            continue
        if any(log.get("enabled") is True and (log.get("category") or log.get("categoryGroup"))
               for log in p.get("logs") or []):
            return True
    return False


def read_settings(ctx: Any, list_settings: Any, doc: dict[str, Any], unknown: str) -> list[dict[str, Any]] | None:
    """``list_settings(resource_group, name)`` for the resource ``doc``; None with a unit note naming
    what stays ``unknown`` when they could not be read (the resource itself is still inventoried)."""
    from azure.core.exceptions import HttpResponseError

    from collectors.azure import normalise as n

    try:
        return [n.to_rest(s) for s in list_settings(n.arm_parts(doc["id"])["resource_group"], doc["name"])]
    except HttpResponseError as exc:
        ctx.unit.note(f"diagnostic settings of {doc.get('name')} not read ({exc.status_code}): {unknown} unknown")
        return None
