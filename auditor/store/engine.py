"""Engines for SQLite (embedded default) and PostgreSQL (scale-out), with sane settings."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from auditor.errors import AuditorError, UsageError

DEFAULT_DB_FILE = "auditor.db"
DEFAULT_CONNECT_TIMEOUT_S = 10  # a PostgreSQL server that never answers fails in seconds, not minutes

# The database this process opened last (password masked): database errors name it.
_opened: list[str] = []


def default_url(config_path: Path | None) -> str:
    """SQLite next to the config file, or in the working directory without one."""
    base = config_path.resolve().parent if config_path else Path.cwd()
    return f"sqlite:///{base / DEFAULT_DB_FILE}"


# user:password@ in anything URL-shaped; greedy up to the last "@" of the token, so a password
# holding "@" is masked whole (masking a host too is better than showing half a secret).
_USERINFO_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*):\S*@")
# key=value passwords in libpq keyword strings and URL query strings.
_KEYWORD_PASSWORD = re.compile(
    r"(?i)(?P<head>(?:password|sslpassword)(?:\s*=\s*|%3D))(?:'(?:[^'\\]|\\.)*'|[^\s&;'\"+]+)")


def mask_url(url: str) -> str:
    """A database URL (or any text holding one) fit for a message: passwords replaced by ***.

    Parsable URLs are first rendered by SQLAlchemy with ``hide_password``; then patterns mask
    what a parser may have split differently and every string that does not parse at all, so
    an error never echoes a secret."""
    text = url
    try:
        u = make_url(url)
        query = {k: "***" if "password" in k.lower() or "password" in str(v).lower() else v
                 for k, v in u.query.items()}
        text = u.set(query=query).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - SQLAlchemy raises several types for bad URLs
        pass
    text = _USERINFO_PASSWORD.sub(lambda m: f"{m.group('head')}:***@", text)
    return _KEYWORD_PASSWORD.sub(lambda m: f"{m.group('head')}***", text)


def mask_secrets(text: str, url: str | None = None) -> str:
    """``text`` (a driver's error message, say) with every password-shaped part masked,
    including the literal password of ``url`` wherever the driver repeated it."""
    if url:
        try:
            password = make_url(url).password
        except Exception:  # noqa: BLE001
            password = None
        if password:
            text = text.replace(str(password), "***")
    return mask_url(text)


# A host as libpq accepts it in a URL: names, IPv4, [IPv6], comma-separated lists.
_HOST = re.compile(r"^[A-Za-z0-9._~%:,\-\[\]]+$")


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3 for them."""
    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 - SQLAlchemy raises several types for bad URLs
        # Unparsable: nothing says where a password would be, so none of the text is shown.
        scheme = url.split("://", 1)[0] if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", url) else None
        shown = f" starting {scheme + '://'!r}" if scheme else ""
        raise UsageError(f"invalid database URL{shown} (the rest is not shown: it may hold a password); "
                         "expected dialect://user:password@host:port/database or sqlite:///path") from None
    if u.host and not _HOST.match(u.host):
        # e.g. an unescaped "@" in the password: the rest would be taken for the host and echoed
        raise UsageError(f"invalid database URL: {mask_url(url)!r}: the host part is not a host name "
                         "(percent-encode @ : / in user names and passwords)")
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise UsageError(f"unsupported database {u.get_backend_name()!r}: use sqlite or postgresql")
    return u.render_as_string(hide_password=False)


# SQLite page cache per connection: 64 MB keeps the writers' open-key indexes hot; a read
# stream visits each page about once, so it shrinks its connection's cache to a few MB while
# it runs (every pooled connection holding 64 MB made a check's peak grow by 64 MB each).
SQLITE_CACHE_KB = 65536
SQLITE_STREAM_CACHE_KB = 4096


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA page_size=8192")  # new databases only: shallower trees for ~1.5 KB rows
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # transactions are short; the lock check uses its own, shorter one
    cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")  # the open-key index stays hot
    cur.close()


@contextmanager
def small_sqlite_cache(c: Connection) -> Iterator[None]:
    """On SQLite, ``c`` keeps a small page cache while the block runs (a read stream or an
    append-only write touches each page about once), then frees it and gets the default back
    for the pool's next user. A no-op on PostgreSQL (the server holds its own cache)."""
    if c.dialect.name != "sqlite":
        yield
        return
    c.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_STREAM_CACHE_KB}")
    try:
        yield
    finally:
        c.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")


def release_sqlite_cache(c: Connection) -> None:
    """Free what ``c``'s page cache holds (SQLite; it refills on the connection's next use)."""
    if c.dialect.name == "sqlite":
        c.exec_driver_sql("PRAGMA shrink_memory")


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (None for in-memory or another backend)."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" or u.database.startswith("file:"):
        return None
    return Path(u.database).expanduser()


def _private_on_first_connect(url: str):  # type: ignore[no-untyped-def]
    """Before SQLite creates a missing database file (with the umask's mode), create it 0600;
    at connect time, not engine creation, so an engine that is never connected creates nothing."""
    def precreate(_dialect, _conn_rec, _cargs, _cparams) -> None:  # type: ignore[no-untyped-def]
        from auditor.privatefiles import precreate_sqlite

        precreate_sqlite(url)

    return precreate


def make_engine(url: str, *, must_exist: bool = False, connect_timeout_s: int = DEFAULT_CONNECT_TIMEOUT_S,
                **kwargs) -> Engine:  # type: ignore[no-untyped-def]
    """An engine for ``url``. ``must_exist``: a SQLite file that is not there is an error, not
    a new empty database (read commands must never create one)."""
    url = normalise_url(url)
    u = make_url(url)
    _opened[:] = [u.render_as_string(hide_password=True)]
    if u.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None and must_exist and not path.is_file():
            raise UsageError(
                f"no inventory database at {path}: run `auditor init` first, or point --config/--db at one"
            )
        engine = create_engine(url, **kwargs)
        if path is not None:
            event.listen(engine, "do_connect", _private_on_first_connect(url))
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


def connection_error(exc: Exception, url: str) -> AuditorError:
    """A failure to open ``url`` as one line with no secret in it: exit 2 when the URL's
    parameters are wrong, 3 when the server cannot be reached or refuses."""
    from sqlalchemy import exc as sa_exc

    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip() and not line.startswith("(Background")]
    detail = mask_secrets("; ".join(lines[:2]) or type(orig).__name__, url)
    cls = UsageError if isinstance(exc, (sa_exc.ProgrammingError, sa_exc.ArgumentError)) else AuditorError
    return cls(f"cannot open the inventory {mask_url(url)}: {detail}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def display_url(engine: Engine) -> str:
    return mask_url(engine.url.render_as_string(hide_password=False))
