"""The CLI's JSON text, written whole or as a stream of array items with the same bytes.

Lives outside ``auditor.cli`` because the trust graph writes its document with it too."""

from __future__ import annotations

from typing import Any, Iterable, TextIO

import orjson


def dumps_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
                        default=str).decode()


def write_json_array(out: TextIO, items: Iterable[Any], indent: str) -> None:
    """Write ``items`` as the JSON array :func:`dumps_json` would, nested at ``indent`` (two
    spaces per level: "  " at the top), one item at a time; no trailing newline."""
    first = True
    for item in items:
        out.write("[\n" if first else ",\n")
        first = False
        out.write(indent + dumps_json(item).replace("\n", "\n" + indent))
    out.write("[]" if first else "\n" + indent[:-2] + "]")
