"""Attribute-level differences between two stored resource documents, as JSON paths.

Paths are dotted from the document root: ``name``, ``region``, ``location``,
``tags.Owner``, ``config.Versioning.Status``, ``facets.ingress``. Dicts are compared key by
key; lists of equal length element by element (``config.Rules[2].Port``); a list whose length
changed is reported once, at the list's path, with the whole lists before and after (the
stored lists are already canonically sorted, so indices would only shift). A key that
appears has ``before: null``; a key that disappears has ``after: null``.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from auditor.drift.model import Change

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-:/@$]+$")


def _join(prefix: str, key: str) -> str:
    seg = key if _PLAIN_KEY.match(key) else '"' + key.replace('"', '\\"') + '"'
    return f"{prefix}.{seg}" if prefix else seg


def _walk(before: Any, after: Any, path: str) -> Iterator[Change]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            b, a = before.get(key), after.get(key)
            if key not in before:
                yield Change(_join(path, key), None, a)
            elif key not in after:
                yield Change(_join(path, key), b, None)
            else:
                yield from _walk(b, a, _join(path, key))
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            yield from _walk(b, a, f"{path}[{i}]")
        return
    if type(before) is type(after) and before == after:  # type check: False == 0 is still a change
        return
    yield Change(path, before, after)


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every leaf-level difference between two resource documents, in path order."""
    return list(_walk(before, after, ""))
