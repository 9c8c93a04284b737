"""Hostile cloud strings made safe for the places people read them.

Names, tags, paths and error texts come from the clouds, i.e. from whoever can name a
resource. In a terminal an ESC sequence can rewrite the screen or plant a hyperlink, and
bidi controls (U+202E ...) can make ``evil`` read as ``live``; in a spreadsheet a cell
starting with ``=`` runs a formula. These two functions are the only places that decide
what is neutralised; every CLI table, message and CSV writer goes through them.
"""

from __future__ import annotations

import csv
from typing import IO, Iterable

# C0 controls, DEL, C1 controls; bidi embeddings/overrides/isolates and marks; line and
# paragraph separators (they break lines like \n in most terminals).
_UNSAFE = [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F),
           *range(0x2066, 0x206A), 0x2028, 0x2029]


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_TERMINAL = {c: _escape(c) for c in _UNSAFE}
_TERMINAL_KEEP_LINES = {c: v for c, v in _TERMINAL.items() if c != 0x0A}


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """Control and bidi characters shown escaped (``\\x1b``, ``\\u202e``), so they are visible
    and inert. Messages we compose ourselves may keep their newlines; table cells do not."""
    return text.translate(_TERMINAL_KEEP_LINES if keep_newlines else _TERMINAL)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Neutralise CSV formula injection (OWASP): a cell a spreadsheet would evaluate gets a
    leading apostrophe. Resource names and tags are attacker-controlled in a shared estate."""
    if text.startswith(FORMULA_START):
        if text[0] in "+-":
            try:
                float(text)
                return text  # a plain signed number is data, not a formula
            except ValueError:
                pass
        return "'" + text
    return text


class SpreadsheetWriter:
    """The CSV writer of every CSV the product writes (exports and ``-f csv``): LF line ends,
    each cell through :func:`spreadsheet_safe`, and a row holding a bare CR quoted whole
    (Python's writer leaves ``\r`` unquoted with an LF terminator, and a reader would
    then see a forged extra row)."""

    def __init__(self, fh: IO[str]) -> None:
        self._minimal = csv.writer(fh, lineterminator="\n")
        self._quoted = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writerow(self, cells: Iterable[str]) -> None:
        row = [spreadsheet_safe(c) for c in cells]
        (self._quoted if any("\r" in c for c in row) else self._minimal).writerow(row)
