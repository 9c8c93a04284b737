"""Canonical JSON and content hashing shared by every collector.

A resource's content hash must change only when its meaning changes: keys are sorted,
lists that the cloud returns in arbitrary order are sorted, and volatile fields (timestamps,
etags, last-used) are dropped by declarative per-type rules before hashing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

import orjson

# Paths use dots between keys and "[*]" for "every element of a list", e.g.
# "config.AccessKeys[*].LastUsedDate". A key segment may be "*" to match any key.
Path = tuple[str, ...]


def parse_path(text: str) -> Path:
    parts: list[str] = []
    for raw in text.split("."):
        while raw.endswith("[*]"):
            raw = raw[:-3]
            if raw:
                parts.append(raw)
            raw = ""
            parts.append("[*]")
        if raw:
            parts.append(raw)
    return tuple(parts)


@dataclass(frozen=True)
class HashRules:
    """Declarative per-type rules: which paths are volatile and which lists are unordered."""

    volatile: tuple[str, ...] = ()
    unordered: tuple[str, ...] = ()
    _volatile: tuple[Path, ...] = field(init=False, repr=False, compare=False)
    _unordered: tuple[Path, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_volatile", tuple(parse_path(p) for p in self.volatile))
        object.__setattr__(self, "_unordered", tuple(parse_path(p) for p in self.unordered))

    def merged(self, other: "HashRules") -> "HashRules":
        return HashRules(self.volatile + other.volatile, self.unordered + other.unordered)


NO_RULES = HashRules()


def _jsonable(value: Any) -> Any:
    """Convert SDK values (datetimes, Decimals, bytes, tuples, sets) into plain JSON types."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=_sort_key)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def to_jsonable(value: Any) -> Any:
    return _jsonable(value)


def _sort_key(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _drop(node: Any, path: Path) -> None:
    if not path or node is None:
        return
    head, rest = path[0], path[1:]
    if head == "[*]":
        if isinstance(node, list):
            for item in node:
                _drop(item, rest)
        return
    if not isinstance(node, dict):
        return
    keys = list(node) if head == "*" else ([head] if head in node else [])
    for key in keys:
        if rest:
            _drop(node[key], rest)
        else:
            del node[key]


def _sort_lists(node: Any, path: Path) -> None:
    if node is None:
        return
    if not path:
        return
    head, rest = path[0], path[1:]
    if head == "[*]":
        if isinstance(node, list):
            if not rest:
                node.sort(key=_sort_key)
            else:
                for item in node:
                    _sort_lists(item, rest)
        return
    if not isinstance(node, dict):
        return
    keys = list(node) if head == "*" else ([head] if head in node else [])
    for key in keys:
        if rest:
            _sort_lists(node[key], rest)
        elif isinstance(node[key], list):
            node[key].sort(key=_sort_key)


def apply_rules(document: dict[str, Any], rules: HashRules) -> dict[str, Any]:
    """Drop volatile paths and sort unordered lists, in place; returns the document."""
    for p in rules._volatile:
        _drop(document, p)
    for p in rules._unordered:
        _sort_lists(document, p)
    return document


def canonical_bytes(value: Any) -> bytes:
    """Compact JSON with sorted keys; the one serialisation used for storage and hashing."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def canonical_json(value: Any) -> str:
    return canonical_bytes(value).decode("utf-8")


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def as_list(value: Any) -> list[Any]:
    """IAM-style "string or list" fields as a list (None -> [])."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def stable_unique(values: Iterable[Any]) -> list[Any]:
    seen: set[bytes] = set()
    out = []
    for v in values:
        k = _sort_key(v)
        if k not in seen:
            seen.add(k)
            out.append(v)
    return out
