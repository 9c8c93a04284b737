"""Baseline scope: which collection units a baseline covers.

A scope item is an anchored glob over the unit key ``provider|account|region|type``; it may
also be written with ``/`` between the parts, and missing trailing parts mean ``*``
(``aws/123456789012`` = every region and type of that account). Each part is matched on its
own, so ``*`` never spills from the region into the type. Stored as a JSON list of normalised
``provider|account|region|type`` globs in ``baselines.scope``; NULL = the whole snapshot.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import orjson

from auditor.drift.globs import glob_match
from auditor.errors import UsageError

PARTS = ("provider", "account", "region", "type")


def normalise_item(item: str) -> str:
    text = item.strip()
    if not text:
        raise UsageError("an empty --scope item matches nothing")
    sep = "|" if "|" in text else "/"
    parts = text.split(sep)
    if len(parts) > len(PARTS):
        raise UsageError(f"scope {item!r}: at most {len(PARTS)} parts (provider|account|region|type)")
    parts += ["*"] * (len(PARTS) - len(parts))
    return "|".join(p.strip() or "*" for p in parts)


def normalise(items: Sequence[str] | None) -> list[str] | None:
    if not items:
        return None
    return sorted({normalise_item(i) for i in items})


def dumps(scope: list[str] | None) -> str | None:
    return None if scope is None else orjson.dumps(scope).decode()


def loads(text: str | None) -> list[str] | None:
    return None if text is None else list(orjson.loads(text))


def unit_in_scope(unit_key: str, scope: Iterable[str] | None) -> bool:
    if scope is None:
        return True
    values = unit_key.split("|", 3)
    values += [""] * (len(PARTS) - len(values))
    for pattern in scope:
        pats = pattern.split("|")
        if all(glob_match(p, v) for p, v in zip(pats, values)):
            return True
    return False
