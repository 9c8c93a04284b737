"""Rendering rows as a table, stable JSON, or CSV; every cloud string made inert first.

Tables: cells are ``rich.text.Text`` (never markup) with control and bidi characters
escaped. Column widths are chosen here, not by rich: a column is never narrower than its
longest word, so an id is never split and a message wraps only between words. When
stdout is not a terminal and ``COLUMNS`` is unset, lines take their natural width (a CI
log or a pipe never wraps); with ``COLUMNS`` (or a terminal) the width is honoured as far
as whole words allow.
"""

from __future__ import annotations

import io
import os
import sys
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditor.jsonstream import dumps_json, write_json_array
from auditor.textsafe import SpreadsheetWriter, terminal_safe

FORMATS = ("table", "json", "csv")


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return v


def cell_str(v: Any) -> str:
    """One table cell as inert text (control/bidi characters escaped)."""
    return "" if v is None else terminal_safe(str(_plain(v)))


def safe_text(message: str, style: str | None = None) -> Text:
    """A message for the console: never parsed as markup, control characters escaped."""
    return Text(terminal_safe(message, keep_newlines=True), style=style or "")


def clip_words(text: str, limit: int) -> str:
    """At most about ``limit`` characters, cut between words (a word is never cut in half)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return (text[:cut] if cut > 0 else text.split(" ", 1)[0]) + " ..."


def csv_cells(values: Iterable[Any], *, for_terminal: bool = False) -> list[str]:
    """One CSV row as text (the formula guard is applied by the shared SpreadsheetWriter)."""
    out = []
    for v in values:
        text = "" if v is None else str(_plain(v))
        out.append(terminal_safe(text) if for_terminal else text)
    return out


def _available_width(console: Console) -> int | None:
    """The width to honour, or None for 'natural width' (not a terminal, no COLUMNS)."""
    cols = os.environ.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    if console.is_terminal:
        return console.size.width
    return None


def column_widths(cells: list[list[str]], headers: Sequence[str], available: int | None) -> list[int]:
    """Per-column widths: natural when they fit (or nothing limits the width); else each
    column gets at least its longest word and the rest of the room goes to the columns that
    would wrap most. Never below a word's length: a long id is wider than the screen
    rather than split."""
    n = len(headers)
    longest = [cell_len(h) for h in headers]
    word = [max((cell_len(w) for w in h.split()), default=1) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            for line in c.splitlines() or [""]:
                longest[i] = max(longest[i], cell_len(line))
                word[i] = max(word[i], max((cell_len(w) for w in line.split()), default=0))
    overhead = 3 * n + 1  # borders and one space of padding each side
    if available is None or sum(longest) + overhead <= available:
        return longest
    widths = list(word)
    room = available - overhead - sum(widths)
    while room > 0:
        # widen the column with the most text still wrapping
        i = max(range(n), key=lambda k: longest[k] - widths[k])
        if longest[i] - widths[i] <= 0:
            break
        step = min(room, longest[i] - widths[i])
        widths[i] += step
        room -= step
    return widths


def print_table(console: Console, rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None) -> None:
    cells = [[cell_str(r.get(c)) for c in columns] for r in rows]
    widths = column_widths(cells, columns, _available_width(console))
    table = Table(title=Text(terminal_safe(title)) if title else None, header_style="bold",
                  box=box.HEAVY_HEAD if console.is_terminal else box.ASCII2)
    for c, w in zip(columns, widths):
        table.add_column(Text(c), width=w, overflow="fold", no_wrap=False)
    for row in cells:
        table.add_row(*[Text(c) for c in row])
    needed = sum(widths) + 3 * len(columns) + 1
    saved = console._width  # noqa: SLF001 - rich has no per-print width above the console's
    console.width = max(needed, len(title or ""), 20)
    try:
        console.print(table, soft_wrap=False)
    finally:
        console._width = saved  # noqa: SLF001


def render(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, *, console: Console | None = None,
    title: str | None = None, json_value: Any = None,
) -> None:
    """Print ``rows``; ``json_value`` overrides what --format json prints (documented shapes)."""
    if fmt == "json":
        sys.stdout.write(dumps_json(json_value if json_value is not None else [{c: _plain(r.get(c)) for c in columns} for r in rows]) + "\n")
        return
    if fmt == "csv":
        _write_csv(rows, columns)
        return
    if fmt != "table":
        from auditor.errors import UsageError

        raise UsageError(f"--format {fmt!r} is not available here: use table, json or csv")
    print_table(console or Console(markup=False, highlight=False, emoji=False), rows, columns, title)


def render_stream(rows: Iterable[dict[str, Any]], columns: Sequence[str], fmt: str, *, console: Console | None = None,
                  title: str | None = None) -> None:
    """As :func:`render` (json: the rows themselves), the same bytes, but json and csv rows
    are written as they come: a million findings never sit in memory as a list. A table
    needs every row for its widths, so it takes the list."""
    if fmt == "json":
        write_json_array(sys.stdout, rows, "  ")
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        _write_csv(rows, columns)
        return
    render(list(rows), columns, fmt, console=console, title=title)


def _write_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    """Header and rows to stdout, written out every 64 KiB (cells neutralised for a terminal)."""
    tty = sys.stdout.isatty()
    buf = io.StringIO()
    w = SpreadsheetWriter(buf)
    w.writerow(columns)
    for r in rows:
        w.writerow(csv_cells((r.get(c) for c in columns), for_terminal=tty))
        if buf.tell() > 1 << 16:
            sys.stdout.write(buf.getvalue())
            buf.seek(0)
            buf.truncate()
    sys.stdout.write(buf.getvalue())


def iter_csv_rows(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> Iterable[str]:
    buf = io.StringIO()
    w = SpreadsheetWriter(buf)
    w.writerow(columns)
    yield buf.getvalue()
    for r in rows:
        buf.seek(0)
        buf.truncate()
        w.writerow(csv_cells(r.get(c) for c in columns))
        yield buf.getvalue()
