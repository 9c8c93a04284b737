"""Framework mappings as data: one CSV table per benchmark version, in this folder.

Each table starts with ``#`` header lines naming the framework key, its title and the public
source the control ids and titles were taken from, then rows ``control_id,title,rules[,upstream,note]`` where ``rules`` lists rule ids separated by
spaces (empty: a control the project does not judge yet). ``upstream`` says whether the cited
source automates the control (``automated``) or leaves it to a person (``manual``); ``note`` says
why a control the source automates is not judged here (e.g. the input needs a write permission).
The key of a table (e.g. ``CIS-AWS-7.0``) is what a finding's ``frameworks`` map uses.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    title: str
    rules: tuple[str, ...]
    upstream: str = ""  # "automated" | "manual" | "" (the source does not say)
    note: str = ""

    @property
    def automation(self) -> str:
        """``automated`` (rules judge it), ``manual`` (a person must) or ``not_collected``."""
        if self.rules:
            return "automated"
        return "manual" if self.upstream in ("manual", "") else "not_collected"


@dataclass(frozen=True, slots=True)
class Table:
    """One benchmark version: its controls and where their ids come from."""

    key: str
    title: str
    source: str
    file: str
    controls: dict[str, Control] = field(default_factory=dict)


def _parse(name: str, text: str) -> Table:
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            k, _, v = line[1:].partition(":")
            meta[k.strip().lower()] = v.strip()
        elif line.strip():
            body.append(line)
    for need in ("framework", "title", "source"):
        if not meta.get(need):
            raise ValueError(f"{name}: header line '# {need}: ...' is missing")
    controls: dict[str, Control] = {}
    for n, row in enumerate(csv.DictReader(io.StringIO("\n".join(body))), start=2):
        cid = (row.get("control_id") or "").strip()
        if not cid:
            raise ValueError(f"{name}: row {n}: control_id is empty")
        if cid in controls:
            raise ValueError(f"{name}: control {cid} is listed twice")
        upstream = (row.get("upstream") or "").strip()
        if upstream not in ("", "automated", "manual"):
            raise ValueError(f"{name}: row {n}: upstream must be 'automated' or 'manual', not {upstream!r}")
        controls[cid] = Control(cid, (row.get("title") or "").strip(), tuple((row.get("rules") or "").split()),
                                upstream, (row.get("note") or "").strip())
    return Table(meta["framework"], meta["title"], meta["source"], name, controls)


@cache
def tables() -> tuple[Table, ...]:
    """Every mapping table shipped with the package, sorted by key."""
    out = []
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".csv"):
            out.append(_parse(entry.name, entry.read_text(encoding="utf-8")))
    keys = [t.key for t in out]
    dupes = {k for k in keys if keys.count(k) > 1}
    if dupes:
        raise ValueError(f"framework key(s) defined by more than one table: {sorted(dupes)}")
    return tuple(sorted(out, key=lambda t: t.key))


@cache
def _by_rule() -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for t in tables():
        for c in t.controls.values():
            for rid in c.rules:
                out.setdefault(rid, {}).setdefault(t.key, []).append(c.id)
    return out


def controls_for(rule_id: str) -> dict[str, list[str]]:
    """{framework key: [control ids]} for one rule (a fresh copy)."""
    return {k: list(v) for k, v in sorted(_by_rule().get(rule_id, {}).items())}
