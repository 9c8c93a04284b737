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
        raw = yaml.safe_load(text)
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
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(p), None, "file not found") from None
    except OSError as exc:
        raise ConfigError(str(p), None, f"cannot read: {exc.strerror}") from None
    return load_config_text(text, str(p)), p
