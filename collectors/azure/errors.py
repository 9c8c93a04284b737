"""Map Azure SDK errors to unit statuses with a one-line reason."""

from __future__ import annotations

from auditor.model import UnitStatus
from collectors.runner import UnitSkipped

DENIED_CODES = {"authorizationfailed", "forbidden", "linkedauthorizationfailed", "invalidauthenticationtoken",
                "authenticationfailed", "expiredauthenticationtoken"}
THROTTLED_CODES = {"toomanyrequests", "subscriptionrequeststhrottled", "resourcecollectionrequeststhrottled",
                   "resourcerequeststhrottled", "tenantrequeststhrottled"}
SKIPPED_CODES = {"missingsubscriptionregistration", "subscriptionnotregistered", "disallowedprovider"}


def _one_line(text: str, limit: int = 400) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def error_code(exc: BaseException) -> str:
    err = getattr(exc, "error", None)
    code = getattr(err, "code", None) or ""
    return str(code)


def classify(exc: BaseException) -> tuple[UnitStatus, str]:
    """denied (401/403), throttled (429 outlasting retries), skipped (unregistered provider), else error."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError

    if isinstance(exc, UnitSkipped):
        return UnitStatus.SKIPPED, str(exc) or "skipped"
    if isinstance(exc, HttpResponseError):
        status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
        code = error_code(exc)
        message = getattr(getattr(exc, "error", None), "message", None) or exc.message or str(exc)
        text = _one_line(f"{status} {code}: {message}" if code else f"{status}: {message}")
        lowered = code.lower()
        if lowered in SKIPPED_CODES:
            return UnitStatus.SKIPPED, text
        if status == 429 or lowered in THROTTLED_CODES:
            return UnitStatus.THROTTLED, text
        if status in (401, 403) or lowered in DENIED_CODES:
            return UnitStatus.DENIED, text
        return UnitStatus.ERROR, text
    if isinstance(exc, ClientAuthenticationError):
        # Credential could not get a token (no login, wrong tenant): nothing was read.
        return UnitStatus.ERROR, _one_line(f"credential: {exc}")
    if isinstance(exc, ServiceRequestError):
        return UnitStatus.ERROR, _one_line(f"connection: {exc}")
    return UnitStatus.ERROR, _one_line(f"{type(exc).__name__}: {exc}")
