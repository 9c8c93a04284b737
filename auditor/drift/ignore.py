"""User ignore rules (config ``ignore:``): anchored globs on provider, type, key and path.

A rule whose ``path`` is ``*`` ignores whole items (any change kind); any other path
ignores only the matching changes of a ``modified`` item, and the item itself disappears
when none of its changes is left. A rule past its ``expires`` date (today >= expires) no
longer applies and is reported instead, so forgotten exceptions surface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Sequence

from auditor.drift.globs import glob_match
from auditor.drift.model import DriftItem


@dataclass(frozen=True, slots=True)
class ActiveRule:
    index: int
    provider: str
    type: str
    resource_key: str
    path: str
    owner: str
    reason: str
    expires: date | None

    def describe(self) -> dict[str, Any]:
        return {
            "index": self.index, "provider": self.provider, "type": self.type, "resource_key": self.resource_key,
            "path": self.path, "owner": self.owner, "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
        }

    def matches_resource(self, item: DriftItem) -> bool:
        return (glob_match(self.provider, item.provider) and glob_match(self.type, item.type)
                and glob_match(self.resource_key, item.resource_key))


def _today(now: datetime | date | None) -> date:
    if now is None:
        return datetime.now(timezone.utc).date()
    if isinstance(now, datetime):
        return (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).date()
    return now


def split_rules(rules: Sequence[Any], now: datetime | date | None = None) -> tuple[list[ActiveRule], list[dict[str, Any]]]:
    """(rules that apply today, descriptions of expired ones). Accepts IgnoreRule or dicts."""
    today = _today(now)
    active, expired = [], []
    for i, r in enumerate(rules):
        get = r.get if isinstance(r, dict) else (lambda k, d=None, _r=r: getattr(_r, k, d))
        exp = get("expires")
        if isinstance(exp, str):
            exp = date.fromisoformat(exp)
        rule = ActiveRule(i, get("provider", "*") or "*", get("type", "*") or "*", get("resource_key", "*") or "*",
                          get("path", "*") or "*", get("owner", ""), get("reason", ""), exp)
        if exp is not None and today >= exp:
            expired.append(rule.describe())
        else:
            active.append(rule)
    return active, expired


def apply(item: DriftItem, rules: Sequence[ActiveRule]) -> None:
    """Drop ignored changes from ``item`` and mark it ignored when nothing is left."""
    matching = [r for r in rules if r.matches_resource(item)]
    if not matching:
        return
    whole = [r for r in matching if r.path == "*"]
    if whole:
        item.ignored = True
        item.ignored_by = [r.describe() for r in whole]
        return
    if item.change != "modified" or not item.changes:
        return
    kept, used = [], {}
    for c in item.changes:
        hit = next((r for r in matching if glob_match(r.path, c.path)), None)
        if hit is None:
            kept.append(c)
        else:
            used[hit.index] = hit
    if not used:
        return
    item.ignored_by = [r.describe() for r in used.values()]
    if kept:
        item.changes = kept
    else:  # keep the changes so --show-ignored can show what was ignored
        item.ignored = True
