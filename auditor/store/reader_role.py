"""The PostgreSQL role `auditor query` runs as, and the check that refuses any other.

A read-only transaction cannot confine a superuser: ``COPY ... TO PROGRAM``, ``pg_read_file``,
``RESET ROLE`` or ``set_config('role', ...)`` reach past it. So user SQL only ever runs on a
session whose *login* role is a dedicated reader: no superuser, no role-granting, no membership
of the predefined roles that reach files, programs or other sessions, no write privilege on
(or ownership of) any table, and SELECT granted on the documented views only.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine

from auditor.errors import UsageError
from auditor.store import views

DEFAULT_READER_ROLE = "auditor_reader"
DOCUMENTED_VIEWS: tuple[str, ...] = views.DOCUMENTED

# Predefined roles whose members reach server files, programs, other sessions or all data.
DANGEROUS_ROLES: tuple[str, ...] = (
    "pg_read_server_files", "pg_write_server_files", "pg_execute_server_program", "pg_signal_backend",
    "pg_read_all_data", "pg_write_all_data", "pg_read_all_settings", "pg_read_all_stats", "pg_monitor",
)
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_SESSION_CHECK = """
SELECT session_user::text, current_user::text, r.rolsuper, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
       ARRAY(SELECT p.rolname::text FROM pg_roles p
             WHERE p.rolname::text = ANY(%(dangerous)s::text[]) AND pg_has_role(session_user, p.oid, 'MEMBER')
             ORDER BY 1),
       ARRAY(SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'
               AND (pg_has_role(session_user, c.relowner, 'MEMBER')
                    OR has_table_privilege(session_user, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE'))
             ORDER BY 1 LIMIT 4)
FROM pg_roles r WHERE r.rolname = session_user
"""


def unsafe_session_reason(cursor: Any) -> str | None:
    """Why this psycopg session must not run user SQL, or None when its login role is a reader."""
    cursor.execute(_SESSION_CHECK, {"dangerous": list(DANGEROUS_ROLES)})
    row = cursor.fetchone()
    if row is None:
        return "cannot be found in pg_roles"
    session, current, superuser, createrole, replication, bypassrls, dangerous, writable = row
    if superuser:
        return "is a superuser (it can run programs and read files on the database host)"
    if current != session:
        return f"switches to role {current} at login"
    if createrole:
        return "has CREATEROLE (it can grant itself any role)"
    if replication or bypassrls:
        return "has REPLICATION or BYPASSRLS"
    if dangerous:
        return f"is a member of {', '.join(dangerous)}"
    if writable:
        return f"owns or can write tables ({', '.join(writable)})"
    return None


def _check_name(role: str) -> None:
    if not _ROLE_NAME.match(role):
        raise UsageError(f"reader role name {role!r}: use lower-case letters, digits and _ (at most 63)")


def create_reader(engine: Engine, role: str = DEFAULT_READER_ROLE, *, password: str | None = None) -> list[str]:
    """Create (or tighten) the reader role: LOGIN, no other attribute, no role memberships,
    read-only by default, SELECT on the documented views and nothing else in the schema.
    Idempotent: run it again after `db upgrade` (a migration that recreates a view drops its grants).
    Returns the views granted."""
    from psycopg import sql

    _check_name(role)
    if engine.dialect.name != "postgresql":
        raise UsageError("reader roles are a PostgreSQL feature: on SQLite `auditor query` opens the file "
                         "read-only with an authorizer, no role is needed")
    ident = sql.Identifier(role)
    with engine.begin() as conn:
        pg = conn.connection.driver_connection
        me, schema, database = pg.execute("SELECT session_user::text, current_schema()::text, "
                                          "current_database()::text").fetchone()
        if role == me:
            raise UsageError(f"role {role} is the role this command connects as: the reader must be another role")
        existing = pg.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role]).fetchone()
        if existing and existing[0]:
            raise UsageError(f"role {role} is a superuser: pick another name for the reader role")
        attrs = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS")
        if password is not None:
            attrs = sql.SQL("{} PASSWORD {}").format(attrs, sql.Literal(password))
        verb = sql.SQL("ALTER ROLE" if existing else "CREATE ROLE")
        pg.execute(sql.SQL("{} {} {}").format(verb, ident, attrs))
        for (granted,) in pg.execute("SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                                     "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = %s", [role]).fetchall():
            pg.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted), ident))
        pg.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(ident))
        schema_id = sql.Identifier(schema)
        for stmt in ("REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}", "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
                     "REVOKE CREATE ON SCHEMA {s} FROM {r}", "GRANT USAGE ON SCHEMA {s} TO {r}"):
            pg.execute(sql.SQL(stmt).format(s=schema_id, r=ident))
        pg.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident))
        present = {name for (name,) in pg.execute(
            "SELECT viewname::text FROM pg_views WHERE schemaname = %s AND viewname = ANY(%s::text[])",
            [schema, list(DOCUMENTED_VIEWS)]).fetchall()}
        granted_views = [v for v in DOCUMENTED_VIEWS if v in present]
        if not granted_views:
            raise UsageError("the documented views are missing: run `auditor db upgrade` first")
        pg.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(
            sql.SQL(", ").join(sql.Identifier(schema, v) for v in granted_views), ident))
    return granted_views
