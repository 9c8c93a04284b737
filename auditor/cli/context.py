"""Per-invocation state shared by commands: config, database, output format, console."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine

from auditor.cli.output import safe_text
from auditor.config import AuditorConfig, find_config_path, load_config
from auditor.store.inventory import open_inventory, resolve_url


@dataclass
class AppContext:
    config_arg: str | None = None
    db_arg: str | None = None
    fmt: str = "table"
    verbosity: int = 0
    quiet: bool = False
    # markup=False: cloud strings ("/[/x]/", "[link=...]") are text, never rich markup.
    console: Console = field(default_factory=lambda: Console(stderr=False, markup=False, highlight=False, emoji=False))
    err: Console = field(default_factory=lambda: Console(stderr=True, markup=False, highlight=False, emoji=False))

    @cached_property
    def config_path(self) -> Path | None:
        return find_config_path(self.config_arg)

    @cached_property
    def config(self) -> AuditorConfig:
        cfg, _ = load_config(self.config_path)
        return cfg

    @cached_property
    def db_url(self) -> str:
        return resolve_url(self.db_arg, self.config.database.url, self.config_path)

    def engine(self, *, check: bool = True) -> Engine:
        return open_inventory(self.db_url, check=check, connect_timeout_s=self.config.database.connect_timeout_s)

    @property
    def interactive(self) -> bool:
        import os

        return sys.stderr.isatty() and not self.quiet and not os.environ.get("CI")

    def info(self, message: str) -> None:
        if not self.quiet:
            self.err.print(safe_text(message))

    def say(self, message: str, style: str | None = None) -> None:
        """A result line on stdout (kept under --quiet), inert whatever cloud text it carries."""
        self.console.print(safe_text(message, style))


def setup_logging(verbosity: int, quiet: bool) -> None:
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbosity == 1:
        level = logging.INFO
    elif verbosity >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr, force=True)
    from auditor.redact import install_log_redaction

    install_log_redaction()  # -vv logs carry cloud strings: never their secrets
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_TerminalSafeFormatter("%(levelname)s %(name)s: %(message)s"))
    for noisy in ("botocore", "urllib3", "azure", "google", "apscheduler", "werkzeug", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


class _TerminalSafeFormatter(logging.Formatter):
    """Log lines carry cloud strings (-v, -vv): their control and bidi characters are escaped."""

    def format(self, record: logging.LogRecord) -> str:
        from auditor.textsafe import terminal_safe

        return terminal_safe(super().format(record), keep_newlines=True)
