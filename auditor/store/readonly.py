"""Ad hoc SQL that is read-only by construction, on both databases.

SQLite: the file is opened with ``mode=ro``, ``query_only`` is set, and an authorizer denies
every write, DDL, ATTACH and PRAGMA action before the statement runs. PostgreSQL: a
dedicated connection whose transactions are READ ONLY by session default and by the
transaction itself, with one statement per call (extended protocol, so ``COMMIT; ...``
chains are rejected) and a statement timeout.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from auditor.errors import ReadOnlyViolation, UsageError

_ALLOWED_SQLITE_ACTIONS = {
    sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE,
}
_READ_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "foreign_key_list"}


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


def _sqlite_authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
    if action in _ALLOWED_SQLITE_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS and arg2 is None:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _run_sqlite(path: str, sql: str, limit: int) -> QueryResult:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(_sqlite_authorizer)
        try:
            cur = conn.execute(sql)
        except sqlite3.DatabaseError as exc:
            msg = str(exc)
            if "not authorized" in msg or "readonly" in msg or "read-only" in msg:
                raise ReadOnlyViolation(f"refused: queries are read-only ({msg})") from None
            raise UsageError(f"query failed: {msg}") from None
        except sqlite3.ProgrammingError as exc:
            raise UsageError(f"query failed: {exc}") from None
        cols = [d[0] for d in cur.description or []]
        rows = cur.fetchmany(limit + 1) if cols else []
        return QueryResult(cols, [tuple(r) for r in rows[:limit]], len(rows) > limit)
    finally:
        conn.close()


def _run_postgres(engine: Engine, sql: str, limit: int, timeout_ms: int) -> QueryResult:
    import psycopg

    url = engine.url
    conninfo = {
        "host": url.host, "port": url.port, "dbname": url.database, "user": url.username,
        "password": url.password,
    }
    conninfo = {k: v for k, v in conninfo.items() if v is not None}
    options = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_ms)}"
    with psycopg.connect(**conninfo, options=options, autocommit=False) as conn:
        conn.read_only = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql, prepare=True)  # prepared: exactly one statement
                cols = [d.name for d in cur.description or []]
                rows = cur.fetchmany(limit + 1) if cols else []
        except psycopg.errors.ReadOnlySqlTransaction as exc:
            raise ReadOnlyViolation(f"refused: queries are read-only ({exc.diag.message_primary})") from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ReadOnlyViolation(f"refused: {exc.diag.message_primary}") from None
        except psycopg.Error as exc:
            msg = (exc.diag.message_primary if getattr(exc, "diag", None) else None) or str(exc)
            if "multiple commands" in msg:
                raise ReadOnlyViolation("refused: one statement per query") from None
            raise UsageError(f"query failed: {msg}") from None
        finally:
            conn.rollback()
    return QueryResult(cols, [tuple(r) for r in rows[:limit]], len(rows) > limit)


def run_readonly_query(engine: Engine, sql: str, *, limit: int = 10_000, timeout_ms: int = 60_000) -> QueryResult:
    if not sql.strip():
        raise UsageError("empty query")
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    if engine.dialect.name == "sqlite":
        if not url.database or url.database == ":memory:":
            raise UsageError("read-only queries need a database file")
        return _run_sqlite(url.database, sql, limit)
    return _run_postgres(engine, sql, limit, timeout_ms)
