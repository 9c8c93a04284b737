"""The generic resource envelope (DESIGN.md decision 1) and collection-unit statuses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Mapping

from auditor.canonical import NO_RULES, HashRules, apply_rules, canonical_json, content_hash
from auditor.catalogue import location_of
from auditor.redact import clean, redact_identity

CATEGORIES = ("storage", "compute", "iam", "network", "security", "logging")


class UnitStatus(StrEnum):
    OK = "ok"
    EMPTY = "empty"
    DENIED = "denied"
    ERROR = "error"
    THROTTLED = "throttled"
    SKIPPED = "skipped"

    @property
    def completed(self) -> bool:
        """Only a completed unit can prove that a resource no longer exists."""
        return self in (UnitStatus.OK, UnitStatus.EMPTY)


COMPLETED_STATUSES = (UnitStatus.OK.value, UnitStatus.EMPTY.value)


class SnapshotStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Resource:
    """One resource as stored: identity, placement, and canonical JSON of its state.

    ``config``, ``tags`` and ``facets`` are canonical JSON *text*, already redacted and
    with volatile fields removed; ``content_hash`` covers everything that is not identity.
    """

    resource_key: str
    provider: str
    account: str
    region: str
    location: str | None
    category: str
    type: str
    native_id: str
    name: str | None
    tags: str
    config: str
    facets: str
    content_hash: str


def make_key(provider: str, type_: str, native_id: str) -> str:
    """Stable resource key. Azure ARM ids are case-insensitive, so they are folded."""
    ident = native_id.lower() if provider == "azure" else native_id
    return f"{type_}|{ident}"


def make_resource(
    *,
    provider: str,
    account: str,
    region: str,
    category: str,
    type: str,
    native_id: str,
    name: str | None,
    config: Mapping[str, Any],
    tags: Mapping[str, Any] | None = None,
    facets: Mapping[str, Any] | None = None,
    rules: HashRules = NO_RULES,
    location: str | None = None,
    resource_key: str | None = None,
) -> Resource:
    """Build an envelope: convert SDK values, redact secrets, drop volatile fields, hash.

    Identity strings (native id, name, resource key) are redacted too, part by part, so a
    key planted in a Name tag or role path never reaches storage while the resource key stays
    stable and unique (see ``auditor.redact``).
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r} for {type}")
    native_id = redact_identity(native_id)
    name = redact_identity(name) if name is not None else None
    resource_key = redact_identity(resource_key) if resource_key is not None else None
    doc = {
        "config": clean(dict(config)),
        "tags": clean(dict(tags or {})),
        "facets": clean(dict(facets or {})),
    }
    apply_rules(doc, rules)
    region = region or "global"
    loc = location if location is not None else location_of(provider, region)
    hashed = {"name": name, "region": region, "location": loc, **doc}
    return Resource(
        resource_key=resource_key or make_key(provider, type, native_id),
        provider=provider,
        account=str(account),
        region=region,
        location=loc,
        category=category,
        type=type,
        native_id=native_id,
        name=name,
        tags=canonical_json(doc["tags"]),
        config=canonical_json(doc["config"]),
        facets=canonical_json(doc["facets"]),
        content_hash=content_hash(hashed),
    )
