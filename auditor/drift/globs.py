"""Anchored globs for ignore rules and baseline scopes: ``*`` any run, ``?`` one character.

Everything else is literal (so ``config.rules[*].cidr`` matches ``config.rules[3].cidr``);
users never write regular expressions and a pattern always has to match the whole value.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        if ch == "*":
            parts.append(".*")
        elif ch == "?":
            parts.append(".")
        else:
            parts.append(re.escape(ch))
    return re.compile("".join(parts), re.DOTALL)


def glob_match(pattern: str, value: str | None) -> bool:
    """True when the whole of ``value`` matches ``pattern`` (case-sensitive)."""
    if value is None:
        return pattern == "*"
    if pattern == "*":
        return True
    return _compiled(pattern).fullmatch(value) is not None
