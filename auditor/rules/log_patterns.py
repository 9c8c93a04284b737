"""CloudWatch Logs JSON filter patterns, parsed and evaluated against sample CloudTrail events.

Whether a metric filter "monitors IAM policy changes" is a question about what it matches, not
how it is spelled: spacing, quoting, parentheses and the order of terms vary, and a pattern
that names every event but joins them with ``&&`` matches nothing. So the pattern is parsed
(``{ $.a = "x" && ($.b != y || $.c NOT EXISTS) }``) and run against the events CIS means.

Patterns are cloud strings (hostile): parsing is a bounded recursive descent with no regex
built from input and no evaluation of anything but comparisons; wildcards are matched by
splitting on ``*``. Anything outside the JSON syntax (space-delimited terms, ``%regex%``) is
"not understood", which a rule treats as not monitoring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

MAX_LENGTH = 1024  # CloudWatch Logs' limit
MAX_DEPTH = 32
OPERATORS = ("!=", "<=", ">=", "=", "<", ">")


class PatternError(ValueError):
    """A pattern this module does not understand (it is then treated as matching nothing)."""


@dataclass(frozen=True)
class Compare:
    path: tuple[str, ...]
    op: str  # one of OPERATORS, or "null", "not_exists", "true", "false"
    value: str | None = None


@dataclass(frozen=True)
class BoolOp:
    op: str  # "&&" | "||"
    terms: tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: punct, op, sel, str (quoted), word."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "{}()":
            out.append(("punct", c))
            i += 1
        elif text.startswith(("&&", "||"), i):
            out.append(("punct", text[i:i + 2]))
            i += 2
        elif c in "!<>=":
            op = next((o for o in OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise PatternError(f"unexpected {c!r} at {i}")
            out.append(("op", op))
            i += len(op)
        elif c == '"':
            j, buf = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise PatternError("unterminated string")
            out.append(("str", "".join(buf)))
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '{}()"!<>=' and not text.startswith(("&&", "||"), j):
                j += 1
            word = text[i:j]
            out.append(("sel" if word.startswith("$.") else "word", word))
            i = j
    return out


def _path(selector: str) -> tuple[str, ...]:
    parts: list[str] = []
    for piece in selector[2:].split("."):
        while "[" in piece:
            head, _, rest = piece.partition("[")
            idx, _, piece = rest.partition("]")
            if head:
                parts.append(head)
            parts.append(f"[{idx}]")
        if piece:
            parts.append(piece)
    if not parts:
        raise PatternError(f"empty selector {selector!r}")
    return tuple(parts)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.t, self.i = tokens, 0

    def peek(self) -> tuple[str, str] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, kind: str | None = None, text: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (kind and tok[0] != kind) or (text and tok[1] != text):
            raise PatternError(f"expected {text or kind} at token {self.i}")
        self.i += 1
        return tok

    def expr(self, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise PatternError("nested too deeply")
        terms = [self.conj(depth)]
        while self.peek() == ("punct", "||"):
            self.i += 1
            terms.append(self.conj(depth))
        return terms[0] if len(terms) == 1 else BoolOp("||", tuple(terms))

    def conj(self, depth: int) -> Any:
        terms = [self.unary(depth)]
        while self.peek() == ("punct", "&&"):
            self.i += 1
            terms.append(self.unary(depth))
        return terms[0] if len(terms) == 1 else BoolOp("&&", tuple(terms))

    def unary(self, depth: int) -> Any:
        if self.peek() == ("punct", "("):
            self.i += 1
            inner = self.expr(depth + 1)
            self.take("punct", ")")
            return inner
        path = _path(self.take("sel")[1])
        tok = self.peek()
        if tok is not None and tok[0] == "op":
            self.i += 1
            kind, value = self.take()
            if kind not in ("str", "word") or (kind == "word" and value.startswith("%")):
                raise PatternError(f"unsupported value {value[:40]!r}")
            return Compare(path, tok[1], value)
        word = self.take("word")[1].upper()
        if word == "IS":
            what = self.take("word")[1].upper()
            if what not in ("NULL", "TRUE", "FALSE"):
                raise PatternError(f"IS {what[:20]}")
            return Compare(path, what.lower())
        if word == "NOT":
            self.take("word")  # EXISTS
            return Compare(path, "not_exists")
        raise PatternError(f"unexpected {word[:20]!r}")


def parse(pattern: str) -> Any:
    """The pattern's expression tree; PatternError when it is not a JSON filter pattern we know."""
    if not isinstance(pattern, str) or len(pattern) > MAX_LENGTH:
        raise PatternError("not a string of at most 1024 characters")
    p = _Parser(_tokens(pattern))
    p.take("punct", "{")
    tree = p.expr(0)
    p.take("punct", "}")
    if p.peek() is not None:
        raise PatternError("text after the closing brace")
    return tree


_ABSENT = object()


def _lookup(event: Any, path: tuple[str, ...]) -> Any:
    cur = event
    for part in path:
        if part.startswith("["):
            try:
                cur = cur[int(part[1:-1])] if isinstance(cur, list) else _ABSENT
            except (ValueError, IndexError):
                return _ABSENT
        elif isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        else:
            return _ABSENT
        if cur is _ABSENT:
            return _ABSENT
    return cur


def wildcard(value: str, pattern: str) -> bool:
    """``*`` matches any run of characters; nothing else is special."""
    pieces = pattern.split("*")
    if len(pieces) == 1:
        return value == pattern
    if not value.startswith(pieces[0]) or not value.endswith(pieces[-1]) or len(value) < len(pieces[0]) + len(pieces[-1]):
        return False
    pos, end = len(pieces[0]), len(value) - len(pieces[-1])
    for mid in pieces[1:-1]:
        found = value.find(mid, pos, end)
        if found < 0:
            return False
        pos = found + len(mid)
    return True


def _number(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _compare(c: Compare, event: Any) -> bool:
    got = _lookup(event, c.path)
    if c.op == "not_exists":
        return got is _ABSENT
    if got is _ABSENT:
        return False
    if c.op == "null":
        return got is None
    if c.op in ("true", "false"):
        return got is (c.op == "true")
    if got is None or isinstance(got, (dict, list)):
        return False
    if c.op in ("=", "!="):
        text = ("true" if got else "false") if isinstance(got, bool) else str(got)
        a, b = _number(got), _number(c.value)
        same = (a == b) if (a is not None and b is not None and not isinstance(got, bool)) else wildcard(text, str(c.value))
        return same if c.op == "=" else not same
    a, b = _number(got), _number(c.value)
    if a is None or b is None:
        return False
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[c.op]


def matches(tree: Any, event: Mapping[str, Any]) -> bool:
    if isinstance(tree, Compare):
        return _compare(tree, event)
    if tree.op == "&&":
        return all(matches(t, event) for t in tree.terms)
    return any(matches(t, event) for t in tree.terms)
