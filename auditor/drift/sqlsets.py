"""Per-connection temporary tables that turn baselines and snapshots into SQL sets.

The drift engine and baseline approval never hold an estate in Python: a resolved baseline
becomes a temporary table keyed by the approved ``resource_versions.id`` (an integer, so the
set join against the millions of rows of a snapshot is a primary-key probe), and the units
that completed (or are in scope) become small keyed tables. The SQL is plain enough for
both SQLite and PostgreSQL; ids are always integers formatted by us, never user text.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import Connection

from auditor.drift import scope as scope_mod
from auditor.model import COMPLETED_STATUSES

COMPLETED_SQL = "(" + ", ".join(f"'{s}'" for s in COMPLETED_STATUSES) + ")"


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def valid_at(alias: str, sid: int) -> str:
    """SQL predicate: the version ``alias`` is the one that held in snapshot ``sid``."""
    s = int(sid)
    return f"({alias}.valid_from <= {s} AND ({alias}.valid_to IS NULL OR {alias}.valid_to > {s}))"


def create_temp(conn: Connection, name: str, columns: str, *, text_pk: bool = False) -> None:
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    tail = " WITHOUT ROWID" if text_pk and is_sqlite(conn) else ""
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({columns}){tail}")


def drop_temp(conn: Connection, *names: str) -> None:
    for n in names:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {n}")


def analyze(conn: Connection, name: str) -> None:
    """PostgreSQL never auto-analyses temporary tables; without statistics it plans blind."""
    if not is_sqlite(conn):
        conn.exec_driver_sql(f"ANALYZE {name}")


def insert_keys(conn: Connection, table: str, keys: Iterable[str]) -> None:
    rows = [{"k": k} for k in keys]
    if rows:
        from sqlalchemy import text

        conn.execute(text(f"INSERT INTO {table} (unit_key) VALUES (:k)"), rows)


def completed_units(conn: Connection, table: str, sid: int) -> None:
    """``table(unit_key)``: the units that completed (ok/empty) in snapshot ``sid``."""
    create_temp(conn, table, "unit_key TEXT PRIMARY KEY", text_pk=True)
    conn.exec_driver_sql(
        f"INSERT INTO {table} (unit_key) SELECT DISTINCT unit_key FROM collection_units "
        f"WHERE snapshot_id = {int(sid)} AND status IN {COMPLETED_SQL}"
    )
    analyze(conn, table)


def scope_units(conn: Connection, table: str, scope: Sequence[str], sids: Sequence[int]) -> int:
    """``table(unit_key)``: every unit key seen in ``sids`` (units or resources) inside ``scope``.

    Globs are matched in Python over the distinct unit keys (thousands, not millions), so
    the same anchored-glob semantics hold on every backend.
    """
    create_temp(conn, table, "unit_key TEXT PRIMARY KEY", text_pk=True)
    seen: set[str] = set()
    for sid in sids:
        seen.update(r[0] for r in conn.exec_driver_sql(
            f"SELECT DISTINCT unit_key FROM collection_units WHERE snapshot_id = {int(sid)}"))
        seen.update(r[0] for r in conn.exec_driver_sql(
            f"SELECT DISTINCT r.unit_key FROM resource_versions r WHERE {valid_at('r', sid)}"))
    keys = sorted(k for k in seen if scope_mod.unit_in_scope(k, scope))
    insert_keys(conn, table, keys)
    analyze(conn, table)
    return len(keys)


def resolve_baseline(conn: Connection, table: str, chain: Sequence[int]) -> int:
    """Materialise a baseline version (its chain root -> leaf) as ``table(version_id)``.

    Only the approved ``resource_versions.id`` is kept: a version id pins its key and
    content hash, so the set stays a compact integer primary key (SQLite's rowid) and
    every probe against it is the cheapest the database can do. The latest entry per key
    along the chain wins and a NULL hash means "not in the baseline". The root's rows are
    copied in one statement; only the (small) later deltas need per-key resolution.
    Returns the number of resources in the baseline.
    """
    root, deltas = int(chain[0]), [int(b) for b in chain[1:]]
    delta_table = f"{table}_delta"
    create_temp(conn, delta_table, "resource_key TEXT PRIMARY KEY, content_hash TEXT, version_id BIGINT", text_pk=True)
    for bid in deltas:  # oldest first: a later version overrides an earlier one
        conn.exec_driver_sql(
            f"INSERT INTO {delta_table} (resource_key, content_hash, version_id) "
            f"SELECT resource_key, content_hash, version_id FROM baseline_entries WHERE baseline_id = {bid} "
            "ON CONFLICT (resource_key) DO UPDATE SET content_hash = excluded.content_hash, "
            "version_id = excluded.version_id"
        )
    analyze(conn, delta_table)
    id_type = "INTEGER" if is_sqlite(conn) else "BIGINT"
    create_temp(conn, table, f"version_id {id_type} PRIMARY KEY")
    overridden = (
        f" AND NOT EXISTS (SELECT 1 FROM {delta_table} d WHERE d.resource_key = e.resource_key)" if deltas else ""
    )
    # SQLite: "+" keeps the planner off the (baseline_id, resource_key) index. A root version
    # is most of the table, and a sequential scan is ~4x faster than a million index-ordered
    # row lookups. On PostgreSQL the planner chooses by statistics anyway.
    root_col = "+e.baseline_id" if is_sqlite(conn) else "e.baseline_id"
    conn.exec_driver_sql(
        f"INSERT INTO {table} (version_id) SELECT e.version_id FROM baseline_entries e "
        f"WHERE {root_col} = {root} AND e.content_hash IS NOT NULL{overridden} ORDER BY e.version_id"
    )
    conn.exec_driver_sql(
        f"INSERT INTO {table} (version_id) SELECT version_id FROM {delta_table} WHERE content_hash IS NOT NULL"
    )
    drop_temp(conn, delta_table)
    analyze(conn, table)
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
