"""Declarative resource specs: what a collector lists, which calls it makes and what it needs.

A spec is data. The least-privilege policy for each cloud is generated from these
declarations, and a test fails if a spec makes a call its permissions do not cover.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Callable, Iterable, Literal

from auditor.canonical import NO_RULES, HashRules
from auditor.model import Resource

Scope = Literal["global", "regional", "zonal", "account"]


@dataclass(frozen=True)
class ResourceSpec:
    provider: str
    type: str  # e.g. "aws.s3.bucket"
    category: str  # storage | compute | iam | network
    service: str  # SDK client / API name
    list_call: str
    detail_calls: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()
    scope: Scope = "regional"
    hash_rules: HashRules = NO_RULES
    # collect(ctx) -> iterable of Resource; the runner handles status, retries and batching
    collect: Callable[[Any], Iterable[Resource]] | None = field(default=None, compare=False)
    doc: str = ""

    @property
    def calls(self) -> tuple[str, ...]:
        return (self.list_call, *self.detail_calls)


def select_specs(
    specs: Iterable[ResourceSpec], include: list[str] | None, exclude: list[str] | None
) -> list[ResourceSpec]:
    """Filter specs by anchored type globs from the config (``aws.ec2.*``)."""
    out = []
    for spec in specs:
        if include and not any(fnmatchcase(spec.type, g) for g in include):
            continue
        if exclude and any(fnmatchcase(spec.type, g) for g in exclude):
            continue
        out.append(spec)
    return out
