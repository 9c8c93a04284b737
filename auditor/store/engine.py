"""Engines for SQLite (embedded default) and PostgreSQL (scale-out), with sane settings."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from auditor.errors import UsageError

DEFAULT_DB_FILE = "auditor.db"
DEFAULT_CONNECT_TIMEOUT_S = 10  # a PostgreSQL server that never answers fails in seconds, not minutes

# The database this process opened last (password masked): database errors name it.
_opened: list[str] = []


def default_url(config_path: Path | None) -> str:
    """SQLite next to the config file, or in the working directory without one."""
    base = config_path.resolve().parent if config_path else Path.cwd()
    return f"sqlite:///{base / DEFAULT_DB_FILE}"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 - SQLAlchemy raises several types for bad URLs
        raise UsageError(f"invalid database URL: {url!r}") from None
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError(f"unsupported database {u.get_backend_name()!r}: use sqlite or postgresql")
    return u.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA page_size=8192")  # new databases only: shallower trees for ~1.5 KB rows
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # transactions are short; the lock check uses its own, shorter one
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB page cache: the open-key index stays hot
    cur.close()


def make_engine(url: str, *, connect_timeout_s: int = DEFAULT_CONNECT_TIMEOUT_S, **kwargs) -> Engine:  # type: ignore[no-untyped-def]
    url = normalise_url(url)
    u = make_url(url)
    _opened[:] = [u.render_as_string(hide_password=True)]
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"connect_timeout": int(connect_timeout_s), **kwargs.pop("connect_args", {})}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def describe_db_error(exc: BaseException) -> str:
    """One line for a database failure: which database (password masked) and the driver's cause,
    never SQLAlchemy's multi-line text with the SQL and a documentation link."""
    orig = getattr(exc, "orig", None) or exc.__cause__ or exc
    lines = [ln.strip() for ln in str(orig).strip().splitlines() if ln.strip()]
    cause = lines[0] if lines else type(orig).__name__
    if "[SQL:" in cause:
        cause = cause.split("[SQL:")[0].strip()
    where = _opened[0] if _opened else "the inventory database"
    return f"database {where}: {cause}"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def display_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
