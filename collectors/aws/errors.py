"""AWS error classification: which failures mean denied, throttled, skipped or broken."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionError as BotoConnectionError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from auditor.model import UnitStatus
from collectors.runner import UnitSkipped

DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
    "OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId",
    "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "InvalidToken",
    "AllAccessDisabled", "AccountProblem", "Forbidden", "UnauthorizedAccess",
    "AWSOrganizationsNotInUseException", "InvalidAccessKeyId",
})
THROTTLED_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "SlowDown", "TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded", "PriorRequestNotComplete",
    "EC2ThrottledException",
})
# Regions or services that are not enabled are "does not apply here", not failures.
SKIPPED_CODES = frozenset({"InvalidRegion", "UnsupportedOperation", "NotSupportedException"})


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "") or None
    return None


def is_denied(exc: BaseException) -> bool:
    code = error_code(exc)
    if code in DENIED_CODES:
        return True
    return isinstance(exc, ClientError) and exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403


def is_throttle(exc: BaseException) -> bool:
    return error_code(exc) in THROTTLED_CODES


def classify(exc: BaseException) -> tuple[UnitStatus, str]:
    """Map an exception raised by a unit to its status and a one-line message."""
    if isinstance(exc, UnitSkipped):
        return UnitStatus.SKIPPED, str(exc) or "skipped"
    message = " ".join(str(exc).split())[:500]
    if isinstance(exc, DeferredFailure):
        return exc.status, message
    if is_throttle(exc):
        return UnitStatus.THROTTLED, message
    if is_denied(exc):
        return UnitStatus.DENIED, message
    if error_code(exc) in SKIPPED_CODES:
        return UnitStatus.SKIPPED, message
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, ProfileNotFound)):
        return UnitStatus.DENIED, f"{type(exc).__name__}: {message}"
    if isinstance(exc, (EndpointConnectionError, BotoConnectionError, NoRegionError)):
        return UnitStatus.ERROR, f"{type(exc).__name__}: {message}"
    return UnitStatus.ERROR, f"{type(exc).__name__}: {message}"


class DeferredFailure(Exception):
    """Raised after a unit yielded what it could when some detail calls failed.

    The resources already yielded are stored, but the unit is not complete, so nothing
    missing from it is read as deleted and facets that depend on the failed calls are None.
    """

    def __init__(self, status: UnitStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


_SEVERITY = {UnitStatus.ERROR: 3, UnitStatus.THROTTLED: 2, UnitStatus.DENIED: 1}


class DetailFailures:
    """Collects failures of per-resource detail calls so one bad bucket does not hide the rest."""

    def __init__(self) -> None:
        self._items: list[tuple[UnitStatus, str]] = []

    def add(self, what: str, exc: BaseException) -> None:
        status, message = classify(exc)
        if status in (UnitStatus.OK, UnitStatus.EMPTY, UnitStatus.SKIPPED):
            status = UnitStatus.ERROR
        self._items.append((status, f"{what}: {message}"))

    def __bool__(self) -> bool:
        return bool(self._items)

    def raise_if_any(self) -> None:
        if not self._items:
            return
        worst = max((s for s, _ in self._items), key=lambda s: _SEVERITY.get(s, 0))
        shown = "; ".join(m for _, m in self._items[:5])
        more = f" (+{len(self._items) - 5} more)" if len(self._items) > 5 else ""
        raise DeferredFailure(worst, f"{len(self._items)} detail call(s) failed: {shown}{more}")
