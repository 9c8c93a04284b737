"""Small helpers every topic module shares: facet access that turns "not collected" into UNKNOWN."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from auditor.rules.verdict import FAIL, PASS, UNKNOWN, Result

_MISSING = object()


def unknown(what: str, evidence: dict[str, Any] | None = None) -> Result:
    return Result(UNKNOWN, f"{what} was not collected", evidence or {})


def facet(res: Any, name: str) -> Any:
    """The facet's value, or the sentinel ``MISSING`` when the collector does not fill it for this type."""
    facets = res.facets if isinstance(getattr(res, "facets", None), dict) else {}
    return facets.get(name, _MISSING)


MISSING = _MISSING


def flag(res: Any, name: str, *, good: bool, ok: str, bad: str, what: str | None = None) -> Result | None:
    """The commonest rule: one boolean facet. ``good`` PASSes, its opposite FAILs, not collected
    (None) is UNKNOWN, and a type that does not carry the facet is not judged."""
    v = facet(res, name)
    if v is MISSING:
        return None
    if v is None:
        return unknown(what or name.replace("_", " "))
    return Result(PASS, ok, {name: v}) if bool(v) == good else Result(FAIL, bad, {name: v})


def age_days(timestamp: Any, as_of: datetime | None) -> int | None:
    """Whole days from an ISO-8601 timestamp to the snapshot time (None if unparseable).

    Ages are measured against the snapshot's time, so re-checking an old snapshot gives the
    answer it would have given then.
    """
    if not isinstance(timestamp, str) or not timestamp:
        return None
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    now = as_of or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return max(0, (now - then).days)
