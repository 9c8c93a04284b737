"""Inventory commands: init, db upgrade/create-reader, snapshots, units, resources, query."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from auditor.cli.context import AppContext
from auditor.cli.output import render


SNAPSHOT_COLUMNS = ["id", "status", "started_at", "finished_at", "resource_count", "changed_count", "api_calls", "tool_version", "error"]
UNIT_COLUMNS = ["provider", "account", "region", "resource_type", "status", "resource_count", "error"]
RESOURCE_COLUMNS = ["resource_key", "provider", "account", "region", "location", "category", "type", "native_id", "name", "state", "content_hash"]


def _starter_config() -> str:
    from importlib import resources

    return resources.files("auditor.data").joinpath("starter.yaml").read_text(encoding="utf-8")


def init(ctx: typer.Context, path: Path = typer.Option(Path("auditor.yaml"), "--path", help="Where to write the starter config.")) -> None:
    """Write a starter config (never overwrites) and create or upgrade the database."""
    app: AppContext = ctx.obj
    from auditor.privatefiles import create_private, precreate_sqlite, private_dir, refuse_symlink

    target = Path(app.config_arg) if app.config_arg else path
    refuse_symlink(target, "config")  # a dangling symlink too: never write through one
    if target.exists():
        app.info(f"config {target} exists; leaving it unchanged")
    else:
        if not target.parent.exists():
            private_dir(target.parent)
        create_private(target, _starter_config().encode("utf-8"), what="config")
        app.info(f"wrote starter config {target}")
    app.config_arg = str(target)
    from auditor.store import migrate

    precreate_sqlite(app.db_url)  # 0600 before SQLite creates it with the umask's mode
    engine = app.engine(check=False)
    before, after = migrate.upgrade(engine)
    from auditor.store.engine import display_url

    app.info(f"database {display_url(engine)}: schema {before or 'none'} -> {after}")


def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending schema migrations."""
    app: AppContext = ctx.obj
    from auditor.store import migrate

    engine = app.engine(check=False)
    before, after = migrate.upgrade(engine)
    app.info(f"schema {before or 'none'} -> {after}")


def snapshots_cmd(ctx: typer.Context, limit: int = typer.Option(50, help="How many, newest first.")) -> None:
    """List snapshots with their status (running, complete, partial, failed)."""
    app: AppContext = ctx.obj
    from auditor.store import read
    from auditor.store.ingest import recover_dead_snapshots

    engine = app.engine()
    recover_dead_snapshots(engine)
    rows = read.list_snapshots(engine, limit)
    render(rows, SNAPSHOT_COLUMNS, app.fmt, console=app.console, title="snapshots")


def units_cmd(ctx: typer.Context, snapshot: Optional[int] = typer.Argument(None, help="Snapshot id (default latest).")) -> None:
    """Collection units of a snapshot with their status and error text."""
    app: AppContext = ctx.obj
    from auditor.store import read

    engine = app.engine()
    sid = read.resolve_snapshot(engine, snapshot)
    render(read.list_units(engine, sid), UNIT_COLUMNS, app.fmt, console=app.console, title=f"units of snapshot {sid}")


def resources_cmd(
    ctx: typer.Context,
    snapshot: Optional[int] = typer.Option(None, "--snapshot", "-s", help="As of this snapshot (default latest)."),
    provider: Optional[str] = typer.Option(None, "--provider"),
    type_: Optional[str] = typer.Option(None, "--type", help="Resource type, '*' allowed (aws.ec2.*)."),
    account: Optional[str] = typer.Option(None, "--account"),
    full: bool = typer.Option(False, "--full", help="Include config, tags and facets (JSON output)."),
) -> None:
    """Resources as of a snapshot."""
    app: AppContext = ctx.obj
    from auditor.store import read

    engine = app.engine()
    sid = read.resolve_snapshot(engine, snapshot)
    items = read.iter_resources(engine, sid, provider=provider, type_=type_, account=account)
    if app.fmt == "json":
        import sys

        from auditor.cli.output import dumps_json

        cols = RESOURCE_COLUMNS + (["tags", "config", "facets"] if full else [])
        out = [{c: getattr(r, c) for c in ["snapshot_id", *cols]} for r in items]
        sys.stdout.write(dumps_json(out) + "\n")
        return
    rows = [r.as_dict() for r in items]
    render(rows, RESOURCE_COLUMNS, app.fmt, console=app.console, title=f"resources as of snapshot {sid}")


def db_create_reader(
    ctx: typer.Context,
    role: str = typer.Option("auditor_reader", "--role", help="Name of the reader role (cluster-wide)."),
    password_env: Optional[str] = typer.Option(
        None, "--password-env", metavar="VAR",
        help="Set the role's password from this environment variable (never from the command line).",
    ),
) -> None:
    """PostgreSQL: create (or tighten) the role `auditor query` runs as: SELECT on the documented views only."""
    import os

    from sqlalchemy.engine import make_url

    from auditor.errors import UsageError
    from auditor.store.reader_role import create_reader

    app: AppContext = ctx.obj
    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise UsageError(f"--password-env: environment variable {password_env} is not set or empty")
    engine = app.engine()
    granted = create_reader(engine, role, password=password)
    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql", username=role,
                                                                          password=None)
    if not app.quiet:  # plain lines, never wrapped: the URL is meant to be copied
        typer.echo(f"reader role {role}: LOGIN, read-only, SELECT on {', '.join(granted)}", err=True)
        typer.echo(f"set database.query_url: {url.render_as_string(hide_password=True)}"
                   + (" (with its password, e.g. ${AUDITOR_READER_PASSWORD}, or in ~/.pgpass)" if password else ""),
                   err=True)


def query_cmd(
    ctx: typer.Context,
    sql: str = typer.Argument(..., help="One read-only SQL statement."),
    limit: int = typer.Option(10_000, min=1, help="Maximum rows returned (the rest is never fetched)."),
    timeout: Optional[float] = typer.Option(
        None, "--timeout", min=0.001, help="Seconds the statement may run (default database.statement_timeout).",
    ),
) -> None:
    """Run read-only SQL over the documented views (PostgreSQL: as the reader role; writes and DDL are refused)."""
    import os

    app: AppContext = ctx.obj
    from auditor.store.readonly import run_readonly_query

    engine = app.engine()
    db = app.config.database
    query_url = os.environ.get("AUDITOR_QUERY_URL") or db.query_url
    result = run_readonly_query(engine, sql, limit=limit, timeout_s=timeout or db.statement_timeout,
                                query_url=query_url)
    rows = [dict(zip(result.columns, r)) for r in result.rows]
    render(rows, result.columns, app.fmt, console=app.console)
    if result.truncated:
        app.info(f"(truncated at {limit} rows)")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    db = typer.Typer(help="Database maintenance.", no_args_is_help=True)
    db.command("upgrade")(db_upgrade)
    db.command("create-reader")(db_create_reader)
    app.add_typer(db, name="db")
    app.command("snapshots")(snapshots_cmd)
    app.command("units")(units_cmd)
    app.command("resources")(resources_cmd)
    app.command("query")(query_cmd)
