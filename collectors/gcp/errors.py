"""Google API errors -> unit statuses.

Both SDK families are handled: google-api-core exceptions (google-cloud-* clients and
google-cloud-storage) and googleapiclient's ``HttpError`` (discovery clients). A disabled
API is ``skipped`` with the API and project named; a missing permission is ``denied``;
quota errors are ``throttled``; partial aggregated lists are ``error`` naming the zones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from auditor.model import UnitStatus
from collectors.runner import UnitSkipped

THROTTLE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded",
                              "RATE_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED"})
DISABLED_REASONS = frozenset({"SERVICE_DISABLED", "accessNotConfigured"})


class PartialCollection(Exception):
    """Some scopes (zones/regions) of an aggregated list did not answer; what came back is kept."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class GoogleError:
    code: int | None
    status: str = ""
    message: str = ""
    reasons: set[str] = field(default_factory=set)  # ErrorInfo reason + legacy errors[].reason
    service: str | None = None  # ErrorInfo metadata.service
    consumer: str | None = None


def google_error(exc: BaseException) -> GoogleError | None:
    """Read a Google error from either SDK family; None when ``exc`` is not an API error."""
    try:
        from google.api_core import exceptions as core
    except ImportError:  # pragma: no cover - declared dependency
        core = None  # type: ignore[assignment]
    if core is not None and isinstance(exc, core.RetryError) and exc.cause is not None:
        return google_error(exc.cause)
    if core is not None and isinstance(exc, core.GoogleAPICallError):
        meta = dict(getattr(exc, "metadata", None) or {})
        reasons = {str(e.get("reason")) for e in (exc.errors or []) if isinstance(e, dict) and e.get("reason")}
        if getattr(exc, "reason", None):
            reasons.add(str(exc.reason))
        status = exc.grpc_status_code.name if getattr(exc, "grpc_status_code", None) is not None else ""
        return GoogleError(exc.code if isinstance(exc.code, int) else None, status, exc.message or str(exc),
                           reasons, meta.get("service"), meta.get("consumer"))
    try:
        from googleapiclient.errors import HttpError
    except ImportError:  # pragma: no cover
        HttpError = None  # type: ignore[assignment,misc]
    if HttpError is not None and isinstance(exc, HttpError):
        return _from_body(int(exc.resp.status), exc.content)
    return None


def _from_body(code: int, content: bytes | str | None) -> GoogleError:
    try:
        err: dict[str, Any] = json.loads(content or b"{}").get("error", {})
    except (ValueError, AttributeError):
        err = {}
    if not isinstance(err, dict):
        err = {"message": str(err)}
    reasons = {str(e["reason"]) for e in err.get("errors", []) if isinstance(e, dict) and e.get("reason")}
    service = consumer = None
    for d in err.get("details", []):
        if isinstance(d, dict) and d.get("@type", "").endswith("google.rpc.ErrorInfo"):
            reasons.add(str(d.get("reason")))
            service = (d.get("metadata") or {}).get("service")
            consumer = (d.get("metadata") or {}).get("consumer")
    return GoogleError(code, str(err.get("status", "")), str(err.get("message", "")), reasons, service, consumer)


def is_throttle(exc: BaseException) -> bool:
    ge = google_error(exc)
    if ge is None:
        return False
    return ge.code == 429 or ge.status == "RESOURCE_EXHAUSTED" or bool(ge.reasons & THROTTLE_REASONS) \
        or ge.code == 503


def _first_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def classify(exc: BaseException) -> tuple[UnitStatus, str]:
    """Map an exception from a GCP unit to (status, one-line message)."""
    scope = getattr(exc, "gcp_scope", None)
    where = f" in {scope if '/' in str(scope) else f'project {scope}'}" if scope else ""
    if isinstance(exc, UnitSkipped):
        return UnitStatus.SKIPPED, str(exc) or "skipped"
    if isinstance(exc, PartialCollection):
        return UnitStatus.ERROR, _first_line(f"incomplete{where}: {exc}", 500)
    ge = google_error(exc)
    if ge is None:
        return UnitStatus.ERROR, _first_line(f"{type(exc).__name__}: {exc}{where}")
    if ge.reasons & DISABLED_REASONS:
        service = ge.service or "the API"
        if where == "" and ge.consumer:
            where = f" in {ge.consumer}"
        return UnitStatus.SKIPPED, f"API {service} disabled{where}"
    if ge.code == 429 or ge.status == "RESOURCE_EXHAUSTED" or ge.reasons & THROTTLE_REASONS:
        return UnitStatus.THROTTLED, _first_line(f"throttled{where}: {ge.message}")
    if ge.code in (401, 403) or ge.status in ("PERMISSION_DENIED", "UNAUTHENTICATED"):
        return UnitStatus.DENIED, _first_line(f"permission denied{where}: {ge.message}")
    return UnitStatus.ERROR, _first_line(f"HTTP {ge.code} {ge.status}{where}: {ge.message}")
