"""Opening the inventory for a command: URL resolution, schema check, engine."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from auditor.store import migrate
from auditor.store.engine import connection_error, default_url, make_engine


def resolve_url(cli_db: str | None, config_url: str | None, config_path: Path | None) -> str:
    """--db, then $AUDITOR_DB, then the config's database.url, then sqlite next to the config."""
    import os

    return cli_db or os.environ.get("AUDITOR_DB") or config_url or default_url(config_path)


def open_inventory(url: str, *, check: bool = True) -> Engine:
    engine = make_engine(url, must_exist=check)  # a read command never creates an empty database
    try:
        if check:
            migrate.check_schema(engine)
        else:
            engine.connect().close()
    except DBAPIError as exc:  # one line, password masked, instead of the driver's paragraph
        engine.dispose()
        raise connection_error(exc, url) from None
    return engine
