"""Ad hoc SQL with the least privilege that can answer it, on both databases (DESIGN 12, 16).

SQLite: the file is opened with ``mode=ro`` (never created), ``query_only`` and
``trusted_schema=OFF`` are set, an authorizer allows reads and an allow-list of pure built-in
functions only (no ``load_extension``, ``fts3_tokenizer``, ``readfile``/``writefile``...), values
are capped in size, and a progress handler stops the statement at the time limit (an endless
recursive CTE ends with a clear message).

PostgreSQL: the statement runs on its own connection as the reader role (see
``auditor.store.reader_role``): ``database.query_url``, or else the inventory's server and
database as role ``auditor_reader`` without a password (trust, peer, certificate or
``.pgpass``), with every TLS and connection parameter of the URL kept. The login role is
checked before any user SQL and refused when it is a superuser or otherwise not a reader;
the transaction is READ ONLY; the statement is a server-side cursor (one statement, streamed,
so ``--limit`` bounds client memory) under ``statement_timeout``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any
from urllib.request import pathname2url

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url

from auditor.errors import EXIT_RUNTIME, AuditorError, ReadOnlyViolation, UsageError
from auditor.store.engine import mask_url, normalise_url
from auditor.store.reader_role import DEFAULT_READER_ROLE, unsafe_session_reason

DEFAULT_TIMEOUT_S = 60.0
MAX_VALUE_BYTES = 100_000_000  # SQLite: no string or blob above this (printf/zeroblob memory bombs)
FETCH_BATCH = 1_000


class QueryTimeout(AuditorError):
    """The statement ran past its time limit and was stopped."""

    exit_code = EXIT_RUNTIME


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


# --- SQLite ------------------------------------------------------------------------------------

_ALLOWED_SQLITE_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE}
_READ_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"}

# Built-in SQLite functions a query may call: pure computations over values. Anything else
# (load_extension, fts3_tokenizer, readfile, writefile, edit, sqlite_* internals, functions
# an extension or a hostile schema might bring) is refused by name.
SQLITE_FUNCTIONS = frozenset("""
    abs char coalesce concat concat_ws format glob hex ifnull iif instr length like likelihood likely lower
    ltrim max min nullif octet_length printf quote random replace round rtrim sign soundex substr
    substring trim typeof unhex unicode unlikely upper
    avg count group_concat string_agg sum total
    date time datetime julianday unixepoch strftime timediff current_date current_time current_timestamp
    acos acosh asin asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln log log10 log2 mod pi
    pow power radians sin sinh sqrt tan tanh trunc
    row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
    json jsonb json_array jsonb_array json_array_length json_error_position json_extract jsonb_extract
    json_insert jsonb_insert json_object jsonb_object json_patch jsonb_patch json_pretty json_remove
    jsonb_remove json_replace jsonb_replace json_set jsonb_set json_type json_valid json_quote
    json_group_array jsonb_group_array json_group_object jsonb_group_object json_each json_tree
""".split())


class _Authorizer:
    """SQLite authorizer: reads, recursive CTEs, read-only pragmas, allowed functions; remembers
    the first refusal so the message can name it."""

    def __init__(self) -> None:
        self.refused: str | None = None

    def __call__(self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None) -> int:
        if action in _ALLOWED_SQLITE_ACTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() in SQLITE_FUNCTIONS:
                return sqlite3.SQLITE_OK
            self.refused = self.refused or f"function {arg2}() is not allowed in queries"
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS:
            return sqlite3.SQLITE_OK
        self.refused = self.refused or "queries are read-only"
        return sqlite3.SQLITE_DENY


def _run_sqlite(path: str, sql: str, limit: int, timeout_s: float) -> QueryResult:
    try:
        conn = sqlite3.connect(f"file:{pathname2url(path)}?mode=ro", uri=True, timeout=min(timeout_s, 30.0))
    except sqlite3.OperationalError as exc:
        raise UsageError(f"cannot open the inventory {path} read-only: {exc}") from None
    authorizer = _Authorizer()
    deadline = time.monotonic() + timeout_s
    try:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("PRAGMA trusted_schema = OFF")  # functions in views/triggers: innocuous ones only
        conn.set_authorizer(authorizer)
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1_000)
        try:
            cur = conn.execute(sql)
            cols = [d[0] for d in cur.description or []]
            rows = cur.fetchmany(limit + 1) if cols else []
        except sqlite3.DatabaseError as exc:
            msg = str(exc)
            if msg == "interrupted" and time.monotonic() > deadline:
                raise QueryTimeout(
                    f"query stopped: it ran longer than {timeout_s:g} s (database.statement_timeout, or --timeout)"
                ) from None
            if msg.startswith("unsafe use of"):  # trusted_schema=OFF: the schema calls a non-innocuous function
                raise ReadOnlyViolation(f"refused: {msg} in the database's schema") from None
            if authorizer.refused or "not authorized" in msg or "readonly" in msg or "read-only" in msg:
                raise ReadOnlyViolation(f"refused: {authorizer.refused or 'queries are read-only'} ({msg})") from None
            raise UsageError(f"query failed: {msg}") from None
        except (sqlite3.ProgrammingError, sqlite3.Warning) as exc:
            raise UsageError(f"query failed: {exc}") from None
        return QueryResult(cols, [tuple(r) for r in rows[:limit]], len(rows) > limit)
    finally:
        conn.close()


# --- PostgreSQL --------------------------------------------------------------------------------

def reader_url(inventory_url: str, query_url: str | None) -> tuple[URL, bool]:
    """The URL `query` connects with, and whether it was configured explicitly. Without
    ``database.query_url``: the inventory's server, database and parameters (TLS included)
    as the default reader role, with no password."""
    if query_url:
        u = make_url(normalise_url(query_url))
        if u.get_backend_name() != "postgresql":
            raise UsageError("database.query_url: must be a postgresql:// URL (SQLite queries need no reader role)")
        return u, True
    u = make_url(normalise_url(inventory_url))
    query = {k: v for k, v in u.query.items() if k.lower() not in ("password", "user")}
    return u._replace(username=DEFAULT_READER_ROLE, password=None).set(query=query), False


def pg_connect_kwargs(url: URL, timeout_s: float) -> dict[str, Any]:
    """libpq keywords for ``url``: host, port, database, user, password and every query
    parameter (sslmode, sslrootcert, sslcert, target_session_attrs...), plus the session
    settings that confine the query."""
    kw: dict[str, Any] = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username,
                          "password": url.password}
    for key, value in url.query.items():
        kw[key] = value[-1] if isinstance(value, tuple) else value
    ms = max(1, int(timeout_s * 1000))
    confine = f"-c default_transaction_read_only=on -c statement_timeout={ms} -c idle_in_transaction_session_timeout={ms}"
    kw["options"] = f"{kw['options']} {confine}" if kw.get("options") else confine  # ours last: they win
    kw.setdefault("connect_timeout", 10)
    kw["application_name"] = "auditor query"
    return {k: v for k, v in kw.items() if v is not None}


def _first_word(sql: str) -> str:
    import re

    text = re.sub(r"(--[^\n]*|/\*.*?\*/|\s|\()+", " ", sql, flags=re.S).strip()
    return text.split(" ", 1)[0].lower() if text else ""


def _pg_error(exc: Exception, sql: str, role: str, timeout_s: float) -> AuditorError:
    import psycopg

    diag = getattr(exc, "diag", None)
    msg = (diag.message_primary if diag is not None else None) or str(exc).splitlines()[0]
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return QueryTimeout(f"query stopped: it ran longer than {timeout_s:g} s (database.statement_timeout, or --timeout)")
    if "multiple commands" in msg:
        return ReadOnlyViolation("refused: one statement per query")
    if isinstance(exc, psycopg.errors.SyntaxError) and _first_word(sql) not in ("select", "with", "values", "table"):
        return ReadOnlyViolation(f"refused: queries are one read-only SELECT, WITH, VALUES or TABLE statement ({msg})")
    if isinstance(exc, (psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.FeatureNotSupported)):
        return ReadOnlyViolation(f"refused: queries are read-only ({msg})")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        hint = "; after `auditor db upgrade`, run `auditor db create-reader` again" if " for view " in msg else ""
        return ReadOnlyViolation(f"refused: {msg} (the query role {role} may only SELECT the documented views{hint})")
    return UsageError(f"query failed: {msg}")


def _run_postgres(url: URL, explicit: bool, sql: str, limit: int, timeout_s: float) -> QueryResult:
    import psycopg

    role = url.username or "(default user)"
    try:
        conn = psycopg.connect(**pg_connect_kwargs(url, timeout_s), autocommit=False)
    except psycopg.Error as exc:
        why = mask_url(str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__)
        if explicit:
            raise AuditorError(f"cannot connect with database.query_url {mask_url(url.render_as_string())}: {why}") from None
        raise UsageError(
            f"`auditor query` on PostgreSQL runs as a reader role; connecting as {role} failed ({why}): "
            "create it with `auditor db create-reader` and set database.query_url to connect as it"
        ) from None
    with conn:
        conn.read_only = True
        try:
            with conn.cursor() as check:
                reason = unsafe_session_reason(check)
            if reason:
                raise UsageError(
                    f"refused: `auditor query` runs no SQL as role {role}, which {reason}; create a reader role "
                    "with `auditor db create-reader` and set database.query_url to connect as it"
                )
            with conn.cursor(name="auditor_query") as cur:  # server-side: DECLARE ... CURSOR, one statement
                cur.execute(sql)
                cols = [d.name for d in cur.description or []]
                rows: list[tuple[Any, ...]] = []
                while cols and len(rows) <= limit:
                    batch = cur.fetchmany(min(FETCH_BATCH, limit + 1 - len(rows)))
                    if not batch:
                        break
                    rows.extend(batch)
        except psycopg.Error as exc:
            raise _pg_error(exc, sql, role, timeout_s) from None
        finally:
            if not conn.broken:
                conn.rollback()
    return QueryResult(cols, [tuple(r) for r in rows[:limit]], len(rows) > limit)


def run_readonly_query(
    engine: Engine, sql: str, *, limit: int = 10_000, timeout_s: float = DEFAULT_TIMEOUT_S,
    query_url: str | None = None,
) -> QueryResult:
    """Run one read-only statement over the inventory behind ``engine``; at most ``limit`` rows."""
    if not sql.strip():
        raise UsageError("empty query")
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    if timeout_s <= 0:
        raise UsageError("the query time limit must be positive")
    url = make_url(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name == "sqlite":
        if not url.database or url.database == ":memory:":
            raise UsageError("read-only queries need a database file")
        return _run_sqlite(url.database, sql, limit, timeout_s)
    target, explicit = reader_url(url.render_as_string(hide_password=False), query_url)
    return _run_postgres(target, explicit, sql, limit, timeout_s)
