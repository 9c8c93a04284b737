"""Unit history as intervals: ``unit_versions`` replaces the per-snapshot ``collection_units``
table (which stays, as a view of the same name and shape, for readers).

A row per unit per snapshot made every unchanged night cost one row per unit (about 6% growth
a night on a realistic estate) and a write per unit. Existing rows are mapped to intervals:
the row of snapshot S covers [S, the next snapshot id), and consecutive equal rows of a unit
(same status, error and resource count) merge into one. Per-unit timings are dropped; each
snapshot keeps the sum of its units' API calls. A failed run's unit history is rolled back with
its resource versions, so the view lists no units for a failed snapshot. Migrated rows have no
digest yet: the next run fills it in place.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
_BATCH = 5000

# The views as 0001 defined them and as this revision defines them (both frozen here).
_VISIBLE = "('complete', 'partial')"
_RESOURCES_AS_OF = f"""
        SELECT s.id AS snapshot_id, rv.id AS version_id, rv.resource_key, rv.provider,
               rv.account, rv.region, rv.location, rv.category, rv.type, rv.native_id,
               rv.name, rv.tags, rv.config, rv.facets, rv.content_hash, rv.valid_from,
               CASE WHEN rv.valid_from = s.id OR EXISTS (
                        SELECT 1 FROM collection_units u
                        WHERE u.snapshot_id = s.id AND u.unit_key = rv.unit_key
                          AND u.status IN ('ok', 'empty'))
                    THEN 'present' ELSE 'unknown' END AS state
        FROM snapshots s
        JOIN resource_versions rv
          ON rv.valid_from <= s.id AND (rv.valid_to IS NULL OR rv.valid_to > s.id)
        WHERE s.status IN {_VISIBLE}"""
_CURRENT = f"""
        SELECT * FROM resources_as_of
        WHERE snapshot_id = (SELECT max(id) FROM snapshots WHERE status IN {_VISIBLE})"""
_FINDINGS = """
        SELECT snapshot_id, finding_id, rule_id, title, severity, status, provider, account,
               region, resource_key, native_id, message, evidence, frameworks
        FROM findings"""
_EDGES = """
        SELECT snapshot_id, edge_id, source_key, source_provider, mechanism, trusted_kind,
               trusted_id, trusted_provider, conditions, cross_cloud, external, details
        FROM trust_edges"""
_OLD = {
    "snapshots_v": """
        SELECT id AS snapshot_id, status, started_at, finished_at, tool_version,
               resource_count, changed_count, note, error
        FROM snapshots""",
    "units_v": """
        SELECT snapshot_id, provider, account, region, resource_type, status, error,
               resource_count, api_calls, started_at, duration_ms
        FROM collection_units""",
    "resources_as_of": _RESOURCES_AS_OF, "current_resources": _CURRENT, "findings_v": _FINDINGS,
    "trust_edges_v": _EDGES,
}
_OLD_ORDER = ("snapshots_v", "units_v", "resources_as_of", "current_resources", "findings_v", "trust_edges_v")
_NEW = {
    "snapshots_v": """
        SELECT id AS snapshot_id, status, started_at, finished_at, tool_version,
               resource_count, changed_count, api_calls, note, error
        FROM snapshots""",
    "collection_units": """
        SELECT s.id AS snapshot_id, u.unit_key, u.provider, u.account, u.region, u.resource_type,
               u.status, u.error, u.resource_count
        FROM snapshots s
        JOIN unit_versions u
          ON u.valid_from <= s.id AND (u.valid_to IS NULL OR u.valid_to > s.id)
        WHERE s.status <> 'failed'""",
    "units_v": """
        SELECT snapshot_id, provider, account, region, resource_type, status, error, resource_count
        FROM collection_units""",
    "resources_as_of": _RESOURCES_AS_OF, "current_resources": _CURRENT, "findings_v": _FINDINGS,
    "trust_edges_v": _EDGES,
}
_NEW_ORDER = ("snapshots_v", "collection_units", "units_v", "resources_as_of", "current_resources", "findings_v",
              "trust_edges_v")
_UNIT_COLS = ("unit_key", "provider", "account", "region", "resource_type", "status", "error", "resource_count")


def _drop_views(order: tuple[str, ...]) -> None:
    for name in reversed(order):
        op.execute(f"DROP VIEW IF EXISTS {name}")


def _create_views(defs: dict[str, str], order: tuple[str, ...]) -> None:
    for name in order:
        op.execute(f"CREATE VIEW {name} AS {defs[name].strip()}")


def _unit_versions_table() -> sa.Table:
    return op.create_table(
        "unit_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("unit_key", sa.String(512), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("resource_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("valid_from", Id, nullable=False),
        sa.Column("valid_to", Id),
        sa.Column("digest", sa.String(64)),
    )


def upgrade() -> None:
    bind = op.get_bind()
    _drop_views(_OLD_ORDER)
    op.add_column("snapshots", sa.Column("api_calls", sa.Integer))
    uv = _unit_versions_table()
    op.execute("UPDATE snapshots SET api_calls = (SELECT sum(api_calls) FROM collection_units c "
               "WHERE c.snapshot_id = snapshots.id)")

    ids = [r[0] for r in bind.exec_driver_sql("SELECT id FROM snapshots ORDER BY id")]
    following = {a: b for a, b in zip(ids, ids[1:])}
    rows = bind.exec_driver_sql(
        f"SELECT {', '.join(_UNIT_COLS)}, snapshot_id FROM collection_units ORDER BY unit_key, snapshot_id")
    batch: list[dict] = []
    open_row: dict | None = None
    for r in rows:
        values = dict(zip(_UNIT_COLS, r[:-1]))
        sid, until = r[-1], following.get(r[-1])
        if (open_row is not None and open_row["valid_to"] == sid
                and all(open_row[c] == values[c] for c in _UNIT_COLS)):
            open_row["valid_to"] = until  # the same state in the very next snapshot: one interval
            continue
        if open_row is not None:
            batch.append(open_row)
        open_row = {**values, "valid_from": sid, "valid_to": until}
        if len(batch) >= _BATCH:
            bind.execute(uv.insert(), batch)
            batch = []
    if open_row is not None:
        batch.append(open_row)
    if batch:
        bind.execute(uv.insert(), batch)

    op.drop_table("collection_units")
    op.create_index("ux_unit_versions_open", "unit_versions", ["unit_key"], unique=True,
                    sqlite_where=sa.text("valid_to IS NULL"), postgresql_where=sa.text("valid_to IS NULL"))
    op.create_index("ix_unit_versions_unit_from", "unit_versions", ["unit_key", "valid_from"])
    _create_views(_NEW, _NEW_ORDER)


def downgrade() -> None:
    """Back to a row per unit per snapshot (timings unknown: API calls 0, no start or duration)."""
    _drop_views(_NEW_ORDER)
    op.create_table(
        "collection_units",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("snapshot_id", Id, sa.ForeignKey("snapshots.id"), nullable=False),
        sa.Column("unit_key", sa.String(512), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("resource_type", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("resource_count", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("api_calls", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("started_at", TS),
        sa.Column("duration_ms", sa.Integer),
        sa.UniqueConstraint("snapshot_id", "unit_key", name="uq_units_snapshot_unit"),
    )
    cols = ", ".join(_UNIT_COLS)
    op.execute(
        f"INSERT INTO collection_units (snapshot_id, {cols}) "
        f"SELECT s.id, {', '.join('u.' + c for c in _UNIT_COLS)} FROM snapshots s JOIN unit_versions u "
        "ON u.valid_from <= s.id AND (u.valid_to IS NULL OR u.valid_to > s.id)")
    op.drop_index("ix_unit_versions_unit_from", table_name="unit_versions")
    op.drop_index("ux_unit_versions_open", table_name="unit_versions")
    op.drop_table("unit_versions")
    op.execute("ALTER TABLE snapshots DROP COLUMN api_calls")  # SQLite >= 3.35 too, no table rebuild
    _create_views(_OLD, _OLD_ORDER)
