"""Rendering rows as a rich table, stable JSON, or CSV."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, datetime
from typing import Any, Iterable, Sequence

import orjson
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "csv")


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def dumps_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
                        default=str).decode()


def render(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, *, console: Console | None = None,
    title: str | None = None, json_value: Any = None,
) -> None:
    """Print ``rows``; ``json_value`` overrides what --format json prints (documented shapes)."""
    if fmt == "json":
        sys.stdout.write(dumps_json(json_value if json_value is not None else [{c: _plain(r.get(c)) for c in columns} for r in rows]) + "\n")
        return
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else _plain(r.get(c)) for c in columns])
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*["" if r.get(c) is None else str(_plain(r.get(c))) for c in columns])
    (console or Console()).print(table)


def iter_csv_rows(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterable[str]:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    yield buf.getvalue()
    for r in rows:
        buf.seek(0)
        buf.truncate()
        w.writerow(["" if r.get(c) is None else _plain(r.get(c)) for c in columns])
        yield buf.getvalue()
