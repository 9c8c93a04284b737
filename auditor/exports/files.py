"""Deterministic file writing shared by the exporters (UTF-8, LF, sorted JSON keys).

Every file is written 0600 through a temporary file renamed into place (``replace_private``):
a symlink or FIFO planted under an export file name is replaced, never followed or opened.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import orjson

from auditor.textsafe import SpreadsheetWriter, spreadsheet_safe  # noqa: F401 - re-exported
from auditor.privatefiles import replace_private

_JSON_OPTS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=_JSON_OPTS, default=str) + b"\n"


def compact(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode()


def write_json(out_dir: Path, name: str, value: Any) -> str:
    with replace_private(out_dir / name) as fh:
        fh.write(dumps(value))
    return name


def write_bytes(out_dir: Path, name: str, data: bytes) -> str:
    with replace_private(out_dir / name) as fh:
        fh.write(data)
    return name


class JoinedCell:
    """A cell ``cell_text(list(items))`` ("a; b; c") of strings, written from a re-iterable
    (read twice: once for how to quote it, once to write it) without building the text: one
    framework control can list every resource of the estate."""

    def __init__(self, items: Iterable[str]) -> None:
        self.items = items


_CSV_SPECIAL = (",", '"', "\n")  # what makes csv's QUOTE_MINIMAL quote a field (dialect excel, LF lines)


def _joined_cell(items: Iterable[str]) -> tuple[str, bool, bool]:
    """(formula prefix, needs quoting, holds a CR) of ``"; ".join(items)``, as SpreadsheetWriter
    would decide for the whole text."""
    first, n, special, cr = "", 0, False, False
    for s in items:
        if n == 0:
            first = s
        n += 1
        special = special or any(ch in s for ch in _CSV_SPECIAL)
        cr = cr or "\r" in s
    if n == 0:
        return "", False, False
    probe = first if n == 1 else first + "; "  # several items: the text goes on after "; "
    safe = spreadsheet_safe(probe)
    return safe[:len(safe) - len(probe)], special, cr


def _write_joined_row(fh: Any, cells: Sequence[Any]) -> None:
    """``SpreadsheetWriter.writerow`` of ``cells`` (JoinedCells or values), byte for byte."""
    plans = []
    for v in cells:
        if isinstance(v, JoinedCell):
            plans.append((v, *_joined_cell(v.items)))
        else:
            text = spreadsheet_safe(cell_text(v))
            plans.append((text, "", any(ch in text for ch in _CSV_SPECIAL), "\r" in text))
    quote_all = any(cr for *_x, cr in plans)
    if len(plans) == 1 and not quote_all and not plans[0][2] and not plans[0][1] and not _has_text(plans[0][0]):
        fh.write('""\n')  # csv writes a record of one empty field as ""
        return
    for i, (v, prefix, special, _cr) in enumerate(plans):
        if i:
            fh.write(",")
        quoted = quote_all or special
        q = '"' if quoted else ""
        fh.write(q + prefix)
        if isinstance(v, JoinedCell):
            for j, s in enumerate(v.items):
                fh.write(("; " if j else "") + (s.replace('"', '""') if quoted else s))
        else:
            fh.write(v.replace('"', '""') if quoted else v)
        fh.write(q)
    fh.write("\n")


def _has_text(v: Any) -> bool:
    if not isinstance(v, JoinedCell):
        return bool(v)
    items = iter(v.items)
    first, second = next(items, None), next(items, None)
    return bool(first) or second is not None  # "a", or "; ..." from two items


def write_csv(out_dir: Path, name: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    """Rows go straight to the file: an inventory CSV never sits in memory whole. A row holding
    a ``JoinedCell`` is written piece by piece."""
    with replace_private(out_dir / name, "w", encoding="utf-8", newline="") as fh:
        w = SpreadsheetWriter(fh)
        w.writerow(columns)
        for r in rows:
            cells = [r.get(c) for c in columns]
            if any(isinstance(v, JoinedCell) for v in cells):
                _write_joined_row(fh, cells)
            else:
                w.writerow([cell_text(v) for v in cells])
    return name


def write_json_items(out_dir: Path, name: str, head: dict[str, Any], items: Iterable[Any]) -> str:
    """``dumps({**head, "items": [...]})`` byte for byte, with the items streamed to the file.

    orjson's 2-space indentation nests an item of the top-level "items" list at 4 spaces,
    so each item is dumped alone and re-indented; keys are written in sorted order.
    """
    keys = sorted([*head, "items"])
    with replace_private(out_dir / name) as fh:
        fh.write(b"{\n")
        for i, key in enumerate(keys):
            fh.write(b'  ' + orjson.dumps(key) + b": ")
            if key == "items":
                _items(fh, items, b"  ")
            else:
                fh.write(orjson.dumps(head[key], option=_JSON_OPTS, default=str).replace(b"\n", b"\n  "))
            fh.write(b",\n" if i < len(keys) - 1 else b"\n")
        fh.write(b"}\n")
    return name


@dataclass(frozen=True)
class Spliced:
    """An item of a streamed JSON list that itself holds streamed lists: ``value`` with
    placeholder strings (see ``placeholder``) standing for the lists of ``lists``."""

    value: Any
    lists: Mapping[str, Iterable[Any]]


def placeholder() -> str:
    """A string no data can spell, to stand for a streamed list inside a document."""
    return f"auditor-streamed-list-{secrets.token_hex(16)}"


def _items(fh: Any, items: Iterable[Any], indent: bytes) -> None:
    """A JSON list as ``dumps`` nests it at ``indent``, streamed one item at a time."""
    first = True
    for item in items:
        fh.write(b"[\n" if first else b",\n")
        first = False
        value = item.value if isinstance(item, Spliced) else item
        body = indent + b"  " + orjson.dumps(value, option=_JSON_OPTS, default=str).replace(b"\n", b"\n" + indent + b"  ")
        if isinstance(item, Spliced):
            _splice(fh, body, item.lists, "a streamed item")
        else:
            fh.write(body)
    fh.write(b"[]" if first else b"\n" + indent + b"]")


def _splice(fh: Any, text: bytes, lists: Mapping[str, Iterable[Any]], name: str) -> None:
    """Write ``text`` (dumped JSON) with each placeholder of ``lists`` replaced by its list,
    streamed at the indentation of the line it stands on."""
    for k in lists:
        if text.count(orjson.dumps(k)) != 1:
            raise ValueError(f"placeholder for {name} must occur exactly once")
    pos = 0
    marks = sorted((text.index(orjson.dumps(k)), k) for k in lists)
    for at, key in marks:
        line_start = text.rfind(b"\n", 0, at) + 1
        line = text[line_start:at]
        indent = line[:len(line) - len(line.lstrip(b" "))]
        fh.write(text[pos:at])
        _items(fh, lists[key], indent)
        pos = at + len(orjson.dumps(key))
    fh.write(text[pos:])


def write_json_list(out_dir: Path, name: str, items: Iterable[Any]) -> str:
    """``dumps(list(items))`` byte for byte, without holding the list."""
    with replace_private(out_dir / name) as fh:
        _items(fh, items, b"")
        fh.write(b"\n")
    return name


def write_json_spliced(out_dir: Path, name: str, doc: Any, lists: dict[str, Iterable[Any]]) -> str:
    """``dumps(doc)`` byte for byte where each placeholder string of ``lists`` (a unique
    value somewhere in ``doc``) stands for the list it maps to, streamed into the file."""
    text = dumps(doc)
    with replace_private(out_dir / name) as fh:
        _splice(fh, text, lists, name)
    return name


def scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list, tuple)):
        return compact(value)
    return str(value)


def cell_text(value: Any) -> str:
    """One spreadsheet cell: lists of scalars as "a; b", flat dicts as "k=v; k2=v2"."""
    if isinstance(value, (list, tuple)):
        return "; ".join(scalar_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={scalar_text(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    return scalar_text(value)


def flatten(value: dict[str, Any], prefix: str = "", depth: int = 2) -> dict[str, Any]:
    """Nested dicts become dotted columns (to ``depth`` levels); deeper values stay whole."""
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and v and depth > 1:
            out.update(flatten(v, key + ".", depth - 1))
        else:
            out[key] = v
    return out
