"""Global options before or after the verb, and metavars that are words.

``auditor units -f json`` and ``auditor -f json units`` mean the same: before Click parses,
global options found after the verb are moved in front of it, unless the verb declares an
option of that name itself (``export --format sarif`` is the export's own option; ``check
--format`` is check's own, which falls back to the global one). Help shows each value as a
word (``SNAPSHOT``, ``RULE_GLOB``), never a Python type (``<int>``, ``<list[str]>``), and
flags show no value at all.
"""

from __future__ import annotations

from typing import Any

from typer import _click as click  # the Click that Typer vendors and builds commands with
from typer.core import TyperGroup

# option name -> takes a value
GLOBAL_OPTIONS: dict[str, bool] = {
    "--config": True, "-c": True, "--db": True, "--format": True, "-f": True,
    "--verbose": False, "-v": False, "--quiet": False, "-q": False,
}
_SHORT_FLAGS = {"v", "q"}


def _names(cmd: click.Command) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for p in cmd.params:
        if _is_option(p):
            for n in (*p.opts, *p.secondary_opts):
                out[n] = not _is_flag(p)
    return out


def _is_option(p: Any) -> bool:
    return getattr(p, "param_type_name", "") == "option"


def _is_flag(p: Any) -> bool:
    return bool(getattr(p, "is_flag", False) or getattr(p, "count", False))


def _is_group(cmd: Any) -> bool:
    return hasattr(cmd, "get_command") and hasattr(cmd, "list_commands")


def _global_token(token: str) -> tuple[str, str | None] | None:
    """(option name, inline value) when ``token`` is a global option, else None."""
    if token.startswith("--") and "=" in token:
        name, value = token.split("=", 1)
        return (name, value) if name in GLOBAL_OPTIONS else None
    if token in GLOBAL_OPTIONS:
        return token, None
    if len(token) > 2 and token[0] == "-" and token[1] != "-":
        if set(token[1:]) <= _SHORT_FLAGS:  # -vv, -vq
            return token, None
        if token[:2] in ("-f", "-c"):  # -fjson
            return token[:2], token[2:]
    return None


def hoist_global_options(group: Any, args: list[str]) -> list[str]:
    """Move global options that follow the verb in front of it (see the module docstring)."""
    i = 0
    # leading globals stay where they are
    while i < len(args) and args[i].startswith("-"):
        found = _global_token(args[i])
        i += 2 if found and found[1] is None and GLOBAL_OPTIONS.get(found[0]) else 1
    cmd: click.Command = group
    while i < len(args) and _is_group(cmd):
        sub = cmd.get_command(click.Context(cmd), args[i])
        if sub is None:
            return args
        cmd = sub
        i += 1
    if cmd is group:
        return args
    own = _names(cmd)
    head, tail, moved = args[:i], args[i:], []
    kept: list[str] = []
    j = 0
    while j < len(tail):
        tok = tail[j]
        if tok == "--":
            kept.extend(tail[j:])
            break
        name = tok.split("=", 1)[0] if tok.startswith("--") else tok
        if name in own:
            kept.append(tok)
            if own[name] and "=" not in tok and j + 1 < len(tail):
                kept.append(tail[j + 1])
                j += 1
            j += 1
            continue
        found = _global_token(tok)
        short_flags_shadowed = found and set(tok[1:]) <= _SHORT_FLAGS and any(f"-{c}" in own for c in tok[1:])
        if found and not short_flags_shadowed and found[0] not in own:
            moved.append(tok)
            if found[1] is None and GLOBAL_OPTIONS.get(found[0]) and j + 1 < len(tail):
                moved.append(tail[j + 1])
                j += 1
        else:
            kept.append(tok)
        j += 1
    return [*moved, *head, *kept]


# Words for values, by option/argument name; anything else is its name in capitals.
METAVARS = {
    "rules": "RULE_GLOB", "type_": "TYPE_GLOB", "fmt": "FORMAT", "fail_on": "SEVERITY", "config": "FILE",
    "db": "URL", "out": "DIR", "svg": "FILE", "snapshot": "SNAPSHOT", "from_": "SNAPSHOT", "to": "SNAPSHOT",
    "account": "ACCOUNT", "provider": "PROVIDER", "baseline": "BASELINE", "ref": "BASELINE", "by": "WHO",
    "resource_keys": "RESOURCE_KEY", "directory": "DIR", "path": "FILE", "sql": "SQL", "cloud": "CLOUD",
    "workdir": "DIR", "status": "STATUS", "limit": "N", "scope": "SCOPE_GLOB", "name": "NAME",
    "reason": "TEXT", "public_key": "FILE",
}


def apply_metavars(cmd: click.Command, seen: set[int] | None = None) -> None:
    """Give every parameter a word as its metavar (flags get none)."""
    seen = set() if seen is None else seen
    if id(cmd) in seen:
        return
    seen.add(id(cmd))
    for p in cmd.params:
        if not _is_option(p):
            p.display_type_rich = _no_type  # the metavar already names an argument's value
        if p.metavar is not None:
            continue
        if _is_option(p) and _is_flag(p):
            p.metavar = ""
        elif p.name:
            p.metavar = METAVARS.get(p.name, p.name.strip("_").upper())
    plain_help = cmd.get_help_option

    def help_option(ctx: Any) -> Any:
        opt = plain_help(ctx)
        if opt is not None:
            opt.metavar = ""
        return opt

    cmd.get_help_option = help_option
    if _is_group(cmd):
        for name in cmd.list_commands(click.Context(cmd)):
            sub = cmd.get_command(click.Context(cmd), name)
            if sub is not None:
                apply_metavars(sub, seen)


def _no_type(ctx: Any = None) -> None:
    return None


class AuditorGroup(TyperGroup):
    """The root command group: global options anywhere, word metavars."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        apply_metavars(self)
        return super().parse_args(ctx, hoist_global_options(self, list(args)))

    def format_help(self, ctx: click.Context, formatter: Any) -> None:
        apply_metavars(self)
        super().format_help(ctx, formatter)
