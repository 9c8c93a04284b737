"""What travels through the broker: a unit's description out, its report back. JSON only.

The task message carries the unit (provider, account, region, type) and the snapshot id, never
credentials: each worker takes its cloud credentials from its own environment. Messages are
input from whoever can write to the broker, so they are checked field by field.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from auditor.model import UnitStatus

_FIELDS = ("provider", "account", "region", "resource_type")
_MAX = 512


class BadMessage(ValueError):
    """A task message or a report that is not what this version sends."""


def _text(d: dict, name: str) -> str:
    v = d.get(name)
    if not isinstance(v, str) or not v or len(v) > _MAX:
        raise BadMessage(f"field {name!r} must be a non-empty string of at most {_MAX} characters")
    return v


def describe(unit: Any, snapshot_id: int) -> dict[str, Any]:
    return {"snapshot_id": int(snapshot_id), **{f: getattr(unit, f) for f in _FIELDS}}


def parse_description(desc: Any) -> tuple[Any, int]:
    """(Unit, snapshot id) from a task message."""
    from collectors.runner import Unit

    if not isinstance(desc, dict):
        raise BadMessage("the task argument must be an object")
    sid = desc.get("snapshot_id")
    if not isinstance(sid, int) or isinstance(sid, bool) or sid <= 0:
        raise BadMessage("field 'snapshot_id' must be a positive integer")
    return Unit(*(_text(desc, f) for f in _FIELDS)), sid


def encode_report(result: Any, gone: list[int], snapshot_id: int) -> dict[str, Any]:
    return {
        **describe(result.unit, snapshot_id), "status": result.status.value, "error": result.error,
        "resource_count": int(result.resource_count), "api_calls": int(result.api_calls),
        "started_at": result.started_at.isoformat(), "duration_s": float(result.duration_s),
        "gone": [int(i) for i in gone],
    }


def decode_report(report: Any) -> tuple[Any, list[int]]:
    """(UnitResult, open version ids the completed unit no longer holds) from a worker's report."""
    from collectors.runner import UnitResult

    unit, _sid = parse_description(report)
    try:
        status = UnitStatus(report.get("status"))
    except ValueError:
        raise BadMessage("field 'status' is not a unit status") from None
    gone = report.get("gone") or []
    if not isinstance(gone, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in gone):
        raise BadMessage("field 'gone' must be a list of version ids")
    error = report.get("error")
    started = report.get("started_at")
    try:
        at = datetime.fromisoformat(started) if isinstance(started, str) else datetime.now(timezone.utc)
    except ValueError:
        raise BadMessage("field 'started_at' is not an ISO date-time") from None
    counts = [report.get(k) for k in ("resource_count", "api_calls")]
    if not all(isinstance(c, int) and c >= 0 for c in counts):
        raise BadMessage("resource_count and api_calls must be non-negative integers")
    duration = report.get("duration_s")
    duration = float(duration) if isinstance(duration, (int, float)) and duration >= 0 else 0.0
    return UnitResult(unit, status, str(error)[:4000] if error is not None else None, counts[0], counts[1], at,
                      duration), [int(i) for i in gone]
