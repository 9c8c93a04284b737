"""Name the impossible date that made YAML parsing fail.

PyYAML turns an unquoted ``2026-02-30`` into a date while parsing and raises a bare
ValueError ("day is out of range for month") that says neither where nor which key. This
finds the offending scalar so the error can name the line and the key.
"""

from __future__ import annotations

import re
from datetime import date

_DATE_LINE = re.compile(r"^\s*(?:-\s+)?(?P<key>[^\s:#][^:#]*?)\s*:\s*(?P<value>\d{4}-\d{1,2}-\d{1,2})\s*(?:#.*)?$")


def impossible_date(text: str) -> tuple[int, str, str, str] | None:
    """(line number, key, value, problem) of the first date-shaped value that is not a date."""
    for n, line in enumerate(text.splitlines(), start=1):
        m = _DATE_LINE.match(line)
        if not m:
            continue
        y, mo, d = (int(x) for x in m["value"].split("-"))
        try:
            date(y, mo, d)
        except ValueError as exc:
            return n, m["key"].strip(), m["value"], str(exc)
    return None
