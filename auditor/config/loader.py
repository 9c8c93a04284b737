"""Load, interpolate and validate the YAML configuration; every error names file and field."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from auditor.config.schema import AuditorConfig
from auditor.errors import ConfigError

DEFAULT_CONFIG_NAME = "auditor.yaml"
MAX_CONFIG_BYTES = 1 << 20  # a config is a page of YAML; anything larger is a mistake or an attack
MAX_EXPANDED_NODES = 100_000  # aliases may reuse a block, never multiply the document (billion laughs)


class _YamlRefused(Exception):
    """A YAML construct refused before it is built: ``problem`` says what, ``line`` where."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and alias expansion beyond MAX_EXPANDED_NODES.

    PyYAML composes an alias as a reference to the anchored node, so composing is linear in
    the text; the blow-up happens when the shared nodes are walked. The expanded size is
    therefore counted on the composed graph (memoised per node) before anything is built.
    """

    def compose_document(self):  # type: ignore[no-untyped-def]
        node = super().compose_document()
        _check_expansion(node)
        return node

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # ``<<`` merges may be overridden by explicit keys: that is their point
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # SafeConstructor reports unhashable keys itself
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _YamlRefused(f"duplicate key {key!r} (first on line {seen[key]})", line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _check_expansion(root: Any) -> None:
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: Any) -> int:
        ident = id(node)
        if ident in sizes:
            return sizes[ident]
        if ident in visiting:
            raise _YamlRefused("recursive alias", node.start_mark.line + 1)
        visiting.add(ident)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += size(child)
                if total > MAX_EXPANDED_NODES:
                    break
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
                if total > MAX_EXPANDED_NODES:
                    break
        visiting.discard(ident)
        if total > MAX_EXPANDED_NODES:
            raise _YamlRefused(f"aliases expand to more than {MAX_EXPANDED_NODES} values (refused before expansion)",
                               node.start_mark.line + 1)
        sizes[ident] = total
        return total

    if root is not None:
        size(root)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def find_config_path(explicit: str | None = None) -> Path | None:
    """--config, then $AUDITOR_CONFIG, then ./auditor.yaml if it exists."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("AUDITOR_CONFIG")
    if env:
        return Path(env)
    local = Path(DEFAULT_CONFIG_NAME)
    return local if local.exists() else None


def _interpolate(node: Any, file: str, path: list[str], env: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate(v, file, path + [str(k)], env) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, file, path + [str(i)], env) for i, v in enumerate(node)]
    if isinstance(node, str):
        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(file, ".".join(path) or None, f"environment variable {name} is not set")

        return _ENV_REF.sub(sub, node)
    return node


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif str(item).startswith(("function-", "literal[", "list[", "union[")) or "[" in str(item):
            continue  # pydantic's union-branch labels are noise for a user
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def load_config_text(text: str, file: str = "<config>", env: dict[str, str] | None = None) -> AuditorConfig:
    try:
        raw = yaml.load(text, Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader subclass
    except _YamlRefused as exc:
        where = f"line {exc.line}: " if exc.line else ""
        raise ConfigError(file, None, f"invalid YAML: {where}{exc.problem}") from None
    except RecursionError:
        raise ConfigError(file, None, "invalid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(file, None, f"invalid YAML: {where}{problem}") from None
    except ValueError as exc:  # PyYAML builds dates while parsing: 2026-02-30 fails there
        from auditor.config.dates import impossible_date

        found = impossible_date(text)
        if found is None:
            raise ConfigError(file, None, f"invalid value: {exc}") from None
        line, key, value, problem = found
        raise ConfigError(file, key, f"impossible date {value} (line {line}): {problem}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(file, None, "the top level must be a mapping of sections")
    raw = _interpolate(raw, file, [], dict(os.environ) if env is None else env)
    try:
        return AuditorConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(file, _field_path(tuple(err["loc"])) or None, msg + more) from None


def load_config(path: str | Path | None) -> tuple[AuditorConfig, Path | None]:
    """The validated config and its path (None when running on defaults)."""
    if path is None:
        return AuditorConfig(), None
    p = Path(path)
    return load_config_text(read_config_text(p), str(p)), p


def read_config_text(p: Path) -> str:
    """The file as text, refusing (one line, naming the file) what is not a small UTF-8 file."""
    if p.exists() and not p.is_file():  # a FIFO or device would block or never end
        raise ConfigError(str(p), None, "not a regular file")
    try:
        with p.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(str(p), None, "file not found") from None
    except OSError as exc:
        raise ConfigError(str(p), None, f"cannot read: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(str(p), None, f"larger than {MAX_CONFIG_BYTES // 1024} KiB; this is not a config file")
    if b"\x00" in data:
        raise ConfigError(str(p), None, "binary file (contains NUL bytes), not YAML text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(str(p), None, f"not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                                        "save the file as UTF-8") from None
