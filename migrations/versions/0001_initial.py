"""Initial inventory schema: snapshots, units, versioned resources, baselines, audit log,
findings, trust edges, locks, scheduler jobs, and the documented views.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

# The documented views as this revision created them (frozen: later revisions redefine them).
VISIBLE = "('complete', 'partial')"

VIEWS_0001: dict[str, str] = {
    "snapshots_v": """
        SELECT id AS snapshot_id, status, started_at, finished_at, tool_version,
               resource_count, changed_count, note, error
        FROM snapshots""",
    "units_v": """
        SELECT snapshot_id, provider, account, region, resource_type, status, error,
               resource_count, api_calls, started_at, duration_ms
        FROM collection_units""",
    # Every resource version as it stood in every finished snapshot. Filter by snapshot_id.
    # state = 'unknown' when the unit that collects it did not complete in that snapshot
    # (the resource is carried forward, not deleted).
    "resources_as_of": f"""
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
        WHERE s.status IN {VISIBLE}""",
    "current_resources": f"""
        SELECT * FROM resources_as_of
        WHERE snapshot_id = (SELECT max(id) FROM snapshots WHERE status IN {VISIBLE})""",
    "findings_v": """
        SELECT snapshot_id, finding_id, rule_id, title, severity, status, provider, account,
               region, resource_key, native_id, message, evidence, frameworks
        FROM findings""",
    "trust_edges_v": """
        SELECT snapshot_id, edge_id, source_key, source_provider, mechanism, trusted_kind,
               trusted_id, trusted_provider, conditions, cross_cloud, external, details
        FROM trust_edges""",
}

# Dependency order for creation; dropped in reverse.
ORDER_0001 = ("snapshots_v", "units_v", "resources_as_of", "current_resources", "findings_v", "trust_edges_v")


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("tool_version", sa.String(32), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("resource_count", sa.Integer),
        sa.Column("changed_count", sa.Integer),
    )
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
    op.create_table(
        "resource_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("resource_key", sa.String(1024), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("valid_from", Id, nullable=False),
        sa.Column("valid_to", Id),
        sa.Column("unit_key", sa.String(512), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("account", sa.String(255), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("location", sa.String(16)),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("native_id", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("facets", sa.Text, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_resource_versions_open", "resource_versions", ["unit_key", "resource_key", "content_hash", "valid_from", "valid_to"],
        sqlite_where=sa.text("valid_to IS NULL"), postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index("ix_resource_versions_valid_from", "resource_versions", ["valid_from"])
    op.create_table(
        "baselines",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("parent_id", Id, sa.ForeignKey("baselines.id")),
        sa.Column("snapshot_id", Id, sa.ForeignKey("snapshots.id")),
        sa.Column("scope", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("entry_count", sa.Integer),
        sa.UniqueConstraint("name", "version", name="uq_baselines_name_version"),
    )
    op.create_table(
        "baseline_entries",
        sa.Column("baseline_id", Id, sa.ForeignKey("baselines.id"), primary_key=True),
        sa.Column("resource_key", sa.String(1024), primary_key=True),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("version_id", Id),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", Id, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(1024), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("snapshot_id", Id, sa.ForeignKey("snapshots.id"), nullable=False),
        sa.Column("finding_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(16)),
        sa.Column("account", sa.String(255)),
        sa.Column("region", sa.String(64)),
        sa.Column("resource_key", sa.String(1024)),
        sa.Column("native_id", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("frameworks", sa.Text, nullable=False),
        sa.UniqueConstraint("snapshot_id", "finding_id", name="uq_findings_snapshot_finding"),
    )
    op.create_table(
        "trust_edges",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("snapshot_id", Id, sa.ForeignKey("snapshots.id"), nullable=False),
        sa.Column("edge_id", sa.String(64), nullable=False),
        sa.Column("source_key", sa.String(1024), nullable=False),
        sa.Column("source_provider", sa.String(16), nullable=False),
        sa.Column("mechanism", sa.String(64), nullable=False),
        sa.Column("trusted_kind", sa.String(64), nullable=False),
        sa.Column("trusted_id", sa.Text, nullable=False),
        sa.Column("trusted_provider", sa.String(16), nullable=False),
        sa.Column("conditions", sa.Text, nullable=False),
        sa.Column("cross_cloud", sa.Boolean, nullable=False),
        sa.Column("external", sa.Boolean, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_index("ix_trust_edges_snapshot", "trust_edges", ["snapshot_id"])
    op.create_table(
        "locks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("acquired_at", TS, nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False),
    )
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.String(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), index=True),
        sa.Column("job_state", sa.LargeBinary, nullable=False),
    )
    for name in ORDER_0001:
        op.execute(f"CREATE VIEW {name} AS {VIEWS_0001[name].strip()}")


def downgrade() -> None:
    for name in reversed(ORDER_0001):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    for table in ("apscheduler_jobs", "locks", "trust_edges", "findings", "audit_log",
                  "baseline_entries", "baselines", "resource_versions", "collection_units", "snapshots"):
        op.drop_table(table)
