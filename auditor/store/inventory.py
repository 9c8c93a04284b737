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

    if cli_db or os.environ.get("AUDITOR_DB"):
        return cli_db or os.environ["AUDITOR_DB"]
    if config_url:
        return anchor_sqlite_url(config_url, config_path.parent if config_path else None)
    return default_url(config_path)


def anchor_sqlite_url(url: str, base: Path | None) -> str:
    """A relative SQLite path in a config file means 'next to the config', not 'wherever the
    command happens to run' (cron and the scheduler run elsewhere than the user did)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - an invalid URL is reported where it is opened
        return url
    db = parsed.database
    if base is None or not parsed.drivername.startswith("sqlite") or not db or db == ":memory:" \
            or db.startswith("file:") or Path(db).is_absolute():
        return url
    return parsed.set(database=str((base / db).resolve())).render_as_string(hide_password=False)


def open_inventory(url: str, *, check: bool = True, connect_timeout_s: int | None = None) -> Engine:
    # a read command never creates an empty database
    engine = make_engine(url, must_exist=check,
                         **({"connect_timeout_s": connect_timeout_s} if connect_timeout_s else {}))
    try:
        if check:
            migrate.check_schema(engine)
        else:
            engine.connect().close()
    except DBAPIError as exc:  # one line, password masked, instead of the driver's paragraph
        engine.dispose()
        raise connection_error(exc, url) from None
    return engine
