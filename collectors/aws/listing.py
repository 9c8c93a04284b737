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
    paginator = client.get_paginator(method)
    size = page_size if page_size is not None else PAGE_SIZE
    config = {"PageSize": max(size, _min_page(client, paginator))} if size else {}
    for page in paginator.paginate(PaginationConfig=config, **kwargs):
        yield from page.get(key) or []


def _min_page(client: Any, paginator: Any) -> int:
    """The smallest page size the API accepts (SageMaker: 50); botocore rejects less."""
    limit_key = getattr(paginator, "_limit_key", None)
    model = getattr(paginator, "_model", None)
    if not limit_key or model is None:
        return 1
    shape = model.input_shape.members.get(limit_key) if model.input_shape else None
    return int((shape.metadata.get("min") if shape is not None else None) or 1)


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
