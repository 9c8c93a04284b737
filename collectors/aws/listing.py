"""Shared helpers for the list -> describe collectors (SageMaker, ECR, EKS, RDS, Lambda, Secrets).

Every listing follows every page token; a per-resource detail call that fails is recorded
(the unit ends incomplete, never "deleted") while the other resources go through, and a
resource that vanished between list and describe is skipped.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, TypeVar

from botocore.exceptions import ClientError

from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import DetailFailures, error_code

T = TypeVar("T")
PAGE_SIZE = 100  # tests lower it to force paging through the emulator
GONE_CODES = frozenset({
    "ResourceNotFoundException", "ResourceNotFound", "NotFoundException", "RepositoryNotFoundException",
    "DBInstanceNotFound", "DBClusterNotFoundFault", "DBSnapshotNotFound", "DBClusterSnapshotNotFoundFault",
    "InvalidSnapshot.NotFound", "InvalidAMIID.NotFound", "InvalidAMIID.Unavailable",
})
# SageMaker answers a describe of a deleted resource with a ValidationException "Could not find ...".
SAGEMAKER_GONE = ("could not find", "does not exist", "not found")


def pages(ctx: AwsUnitContext, service: str, method: str, key: str, *, page_size: int | None = None,
          **kwargs: Any) -> Iterator[Any]:
    """Every item of ``key`` across all pages, with an explicit page size so paging is exercised."""
    client = ctx.client(service)
    size = page_size if page_size is not None else PAGE_SIZE
    config = {"PageSize": size} if size else {}
    for page in client.get_paginator(method).paginate(PaginationConfig=config, **kwargs):
        yield from page.get(key) or []


def is_gone(exc: BaseException) -> bool:
    code = error_code(exc)
    if code in GONE_CODES:
        return True
    if code == "ValidationException" and isinstance(exc, ClientError):
        msg = str(exc.response.get("Error", {}).get("Message", "")).lower()
        return any(m in msg for m in SAGEMAKER_GONE)
    return False


_MISSING = object()


def detail(failures: DetailFailures, what: str, call: Callable[[], T], *,
           absent: frozenset[str] = frozenset(), default: Any = None) -> T | Any:
    """One detail call. Returns ``default`` when the thing is not configured (``absent`` codes),
    ``GONE`` when the resource vanished, ``FAILED`` (recorded) on any other error."""
    try:
        return call()
    except ClientError as exc:
        code = error_code(exc)
        if code in absent:
            return default
        if is_gone(exc):
            return GONE
        failures.add(what, exc)
        return FAILED


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


GONE = _Sentinel("GONE")
FAILED = _Sentinel("FAILED")


def ok(value: Any) -> bool:
    return value is not GONE and value is not FAILED


def strip_meta(resp: dict[str, Any] | Any) -> dict[str, Any]:
    return {k: v for k, v in (resp or {}).items() if k != "ResponseMetadata"} if isinstance(resp, dict) else {}
