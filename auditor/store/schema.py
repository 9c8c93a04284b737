"""Table definitions used at run time. The schema itself changes only through migrations/;
tests/test_migrations.py proves that the migrated database and these definitions agree."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer,
    MetaData, String, Table, Text, UniqueConstraint, text,
)

metadata = MetaData()

# BigInteger ids on PostgreSQL, but plain INTEGER on SQLite so ids are rowid aliases.
Id = BigInteger().with_variant(Integer(), "sqlite")

snapshots = Table(
    "snapshots", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("status", String(16), nullable=False),  # running | complete | partial | failed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("tool_version", String(32), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    Column("error", Text),
    Column("resource_count", Integer),
    Column("changed_count", Integer),
    Column("api_calls", Integer),  # every unit's API calls in this run (unit rows keep no timings)
)

# Unit history as intervals, like resource versions: a row per change of a unit's status, error
# or resource count, valid for snapshots [valid_from, valid_to). An unchanged night writes no
# unit row, so history grows with change, not with the number of units (per-run timings are
# not history: the snapshot keeps its API-call total). Readers use the ``collection_units``
# view below, one row per unit per snapshot.
unit_versions = Table(
    "unit_versions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("unit_key", String(512), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("account", String(255), nullable=False),
    Column("region", String(64), nullable=False),
    Column("resource_type", String(128), nullable=False),
    Column("status", String(16), nullable=False),  # ok | empty | denied | error | throttled | skipped
    Column("error", Text),
    Column("resource_count", Integer, nullable=False, server_default=text("0")),
    Column("valid_from", Id, nullable=False),  # first snapshot recording the unit so
    Column("valid_to", Id),  # first snapshot NOT recording it so (NULL: still current)
    # SHA-256 of the unit's resource keys and content hashes as last confirmed (completed units):
    # a unit whose digest is unchanged skips the per-resource comparison. NULL: unknown.
    Column("digest", String(64)),
)
# One open version per unit (the writer's head lookup), and the as-of lookup by unit.
Index("ux_unit_versions_open", unit_versions.c.unit_key, unique=True,
      sqlite_where=unit_versions.c.valid_to.is_(None), postgresql_where=unit_versions.c.valid_to.is_(None))
Index("ix_unit_versions_unit_from", unit_versions.c.unit_key, unit_versions.c.valid_from)

# The per-snapshot shape of unit history: a view (auditor.store.views), created by migrations.
# Declared on its own MetaData so schema comparison and table creation never see it as a table.
view_metadata = MetaData()
collection_units = Table(
    "collection_units", view_metadata,
    Column("snapshot_id", Id),
    Column("unit_key", String(512)),
    Column("provider", String(16)),
    Column("account", String(255)),
    Column("region", String(64)),
    Column("resource_type", String(128)),
    Column("status", String(16)),
    Column("error", Text),
    Column("resource_count", Integer),
)

resource_versions = Table(
    "resource_versions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("resource_key", String(1024), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("valid_from", Id, nullable=False),  # first snapshot holding this version
    Column("valid_to", Id),  # first snapshot NOT holding it (NULL: still current)
    Column("unit_key", String(512), nullable=False),
    Column("provider", String(16), nullable=False),
    Column("account", String(255), nullable=False),
    Column("region", String(64), nullable=False),
    Column("location", String(16)),
    Column("category", String(16), nullable=False),
    Column("type", String(128), nullable=False),
    Column("name", Text),
    Column("native_id", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("facets", Text, nullable=False),
    Column("config", Text, nullable=False),  # largest last: small columns stay off overflow pages
)
# The open (current) versions, by collection unit then key. Covering, so the ingest hot
# path ("the open versions of this unit", one range scan) reads no table rows. One open
# version per key is kept by the single running writer (see auditor.store.ingest).
Index(
    "ix_resource_versions_open", resource_versions.c.unit_key, resource_versions.c.resource_key,
    resource_versions.c.content_hash, resource_versions.c.valid_from,
    resource_versions.c.valid_to,  # valid_to: SQLite needs it to treat the partial index as covering
    sqlite_where=resource_versions.c.valid_to.is_(None),
    postgresql_where=resource_versions.c.valid_to.is_(None),
)
Index("ix_resource_versions_valid_from", resource_versions.c.valid_from)

baselines = Table(
    "baselines", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("parent_id", Id, ForeignKey("baselines.id")),
    Column("snapshot_id", Id, ForeignKey("snapshots.id")),
    Column("scope", Text),  # JSON: unit filters the baseline covers (NULL = whole snapshot)
    Column("status", String(16), nullable=False),  # active | revoked
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("entry_count", Integer),
    UniqueConstraint("name", "version", name="uq_baselines_name_version"),
)

# A baseline version stores only its delta from the parent: content_hash NULL = removed.
baseline_entries = Table(
    "baseline_entries", metadata,
    Column("baseline_id", Id, ForeignKey("baselines.id"), primary_key=True),
    Column("resource_key", String(1024), primary_key=True),
    Column("content_hash", String(64)),
    Column("version_id", Id),  # resource_versions.id approved (for attribute diffs)
)

# What a Terraform baseline version declares, per resource key (DESIGN.md decision 20).
# The version's baseline_entries hold the same keys with the SHA-256 of ``declared``.
terraform_declarations = Table(
    "terraform_declarations", metadata,
    Column("baseline_id", Id, ForeignKey("baselines.id"), primary_key=True),
    Column("resource_key", String(1024), primary_key=True),
    Column("provider", String(16), nullable=False),
    Column("type", String(128), nullable=False),
    Column("account", String(255)),
    Column("region", String(64)),
    Column("declared", Text, nullable=False),  # JSON: values, tags, sets, addresses (redacted)
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(1024), nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
)

findings = Table(
    "findings", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("snapshot_id", Id, ForeignKey("snapshots.id"), nullable=False),
    Column("finding_id", String(64), nullable=False),  # stable: hash(rule_id, resource_key)
    Column("rule_id", String(128), nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # PASS | FAIL | UNKNOWN
    Column("provider", String(16)),
    Column("account", String(255)),
    Column("region", String(64)),
    Column("resource_key", String(1024)),
    Column("native_id", Text),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("frameworks", Text, nullable=False),
    UniqueConstraint("snapshot_id", "finding_id", name="uq_findings_snapshot_finding"),
)

trust_edges = Table(
    "trust_edges", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("snapshot_id", Id, ForeignKey("snapshots.id"), nullable=False),
    Column("edge_id", String(64), nullable=False),
    Column("source_key", String(1024), nullable=False),  # the trusting resource (role, SA, identity)
    Column("source_provider", String(16), nullable=False),
    Column("mechanism", String(64), nullable=False),
    Column("trusted_kind", String(64), nullable=False),
    Column("trusted_id", Text, nullable=False),
    Column("trusted_provider", String(16), nullable=False),
    Column("conditions", Text, nullable=False),
    Column("cross_cloud", Boolean, nullable=False),
    Column("external", Boolean, nullable=False),
    Column("details", Text, nullable=False),
)
Index("ix_trust_edges_snapshot", trust_edges.c.snapshot_id)

locks = Table(
    "locks", metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
)

# The scheduler's persistent state as plain columns (migration 0002): jobs themselves are
# rebuilt from the config at every start and never read back from the database, so whoever
# can write this table can at most move a run time, never run code (no pickle; DESIGN 13, 16).
schedule_state = Table(
    "schedule_state", metadata,
    Column("job_id", String(191), primary_key=True),
    Column("func", String(255), nullable=False),  # textual reference: compared, never imported from here
    Column("trigger", Text, nullable=False),  # JSON: {"kind": "cron"|"interval", "value": ..., "timezone": ...}
    Column("kwargs", Text, nullable=False),  # JSON, password-free
    Column("misfire_grace_seconds", Integer),
    Column("next_run_time", DateTime(timezone=True)),  # NULL: none scheduled (paused or finished)
    Column("last_run_at", DateTime(timezone=True)),  # scheduled time of the last run submitted
    Column("last_outcome", String(16)),  # executed | error | missed
    Column("last_finished_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
