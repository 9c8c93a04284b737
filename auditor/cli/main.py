"""Entry point: global options, command modules, and the exit-code contract.

Each command module exposes ``register(app)``; a module that is listed here is part of
the CLI. Errors become one line on stderr and the documented exit code, never a traceback
(unless -vv asks for one).
"""

from __future__ import annotations

import importlib
import sys
from typing import Optional

import typer

from auditor import __version__
from auditor.cli.context import AppContext, setup_logging
from auditor.cli.globalopts import AuditorGroup
from auditor.errors import EXIT_RUNTIME, AuditorError
from auditor.textsafe import terminal_safe

COMMAND_MODULES = (
    "auditor.cli.inventory_cmds",
    "auditor.cli.collect_cmds",
    "auditor.cli.checks_cmds",
    "auditor.cli.schedule_cmds",
    "auditor.cli.export_cmds",
    "auditor.cli.audit_cmds",
    "auditor.cli.drift_cmds",
    "auditor.cli.evidence_cmds",
    "auditor.cli.compliance_cmds",
    "auditor.cli.demo_cmds",
    "auditor.cli.lock_cmds",
    "auditor.cli.worker_cmds",
)

app = typer.Typer(
    name="auditor",
    help="Multi-cloud posture inventory and drift auditor (AWS, GCP, Azure).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    cls=AuditorGroup,  # global options before or after the verb; word metavars
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"auditor {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    ctx: typer.Context,
    config: Optional[str] = typer.Option(None, "--config", "-c", envvar="AUDITOR_CONFIG", help="Config file (default ./auditor.yaml)."),
    db: Optional[str] = typer.Option(None, "--db", help="Database URL (overrides the config; env AUDITOR_DB)."),
    fmt: str = typer.Option("table", "--format", "-f", help="Output format: table | json | csv (identity: also dot). "
                            "Global options may also follow the verb."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More logging (-vv for debug)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors and results."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    if fmt not in ("table", "json", "csv", "dot"):
        raise typer.BadParameter(f"{fmt!r} is not one of table, json, csv, dot", param_hint="--format")
    setup_logging(verbose, quiet)
    ctx.obj = AppContext(config_arg=config, db_arg=db, fmt=fmt, verbosity=verbose, quiet=quiet)


def build_app() -> typer.Typer:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def _is_database_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError) or type(exc).__module__.split(".")[0] in ("psycopg", "sqlite3")


def run(argv: list[str] | None = None) -> None:
    """Console-script entry: map every failure onto the exit-code contract."""
    application = build_app()
    verbosity = sum(a.count("v") for a in (argv or sys.argv[1:]) if a.startswith("-v") or a == "--verbose")
    from auditor.signals import Terminated, stop_on_signals

    try:
        with stop_on_signals():
            result = application(args=argv, standalone_mode=False, prog_name="auditor")
    except Terminated as exc:
        typer.echo(f"error: {exc}: any snapshot being written was marked failed and its partial writes "
                   "undone; the lock was released", err=True)
        sys.exit(exc.exit_code)
    except AuditorError as exc:
        typer.echo(terminal_safe(f"error: {exc}"), err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(EXIT_RUNTIME)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(EXIT_RUNTIME)
    except Exception as exc:  # noqa: BLE001 - the contract: a message and exit 3, not a traceback
        if _is_database_error(exc) and verbosity < 2:
            from auditor.store.engine import describe_db_error

            typer.echo(f"error: {describe_db_error(exc)}", err=True)
            sys.exit(EXIT_RUNTIME)
        # Click (vendored by Typer) usage errors carry show() and their own exit code (2).
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(exc.exit_code)
        if verbosity >= 2:
            raise
        typer.echo(terminal_safe(f"error: {type(exc).__name__}: {exc} (run with -vv for a traceback)"), err=True)
        sys.exit(EXIT_RUNTIME)
    sys.exit(result if isinstance(result, int) else 0)
