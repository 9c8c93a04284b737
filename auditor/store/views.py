"""Documented SQL views over the inventory (portable across SQLite and PostgreSQL).

These are the interface for ad hoc `auditor query` SQL; the README documents each one
(all but ``collection_units``, which the application reads; see DOCUMENTED below).
Views are (re)created by migrations, never by the application at run time.
"""

from __future__ import annotations

VISIBLE = "('complete', 'partial')"

VIEWS: dict[str, str] = {
    "snapshots_v": """
        SELECT id AS snapshot_id, status, started_at, finished_at, tool_version,
               resource_count, changed_count, api_calls, note, error
        FROM snapshots""",
    # Every unit as recorded in every snapshot. Unit history is stored as intervals
    # (unit_versions: a row per change of status, error or resource count), so this view,
    # like resources_as_of, expands them per snapshot. Filter by snapshot_id.
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

# Dependency order for creation; dropped in reverse. ``collection_units`` is the readers'
# per-snapshot shape of unit history (kept under its historical name), not a documented view.
ORDER = ("snapshots_v", "collection_units", "units_v", "resources_as_of", "current_resources", "findings_v", "trust_edges_v")


def create_statements(names: tuple[str, ...] = ORDER) -> list[str]:
    return [f"CREATE VIEW {n} AS {VIEWS[n].strip()}" for n in names]


def drop_statements(names: tuple[str, ...] = ORDER) -> list[str]:
    return [f"DROP VIEW IF EXISTS {n}" for n in reversed(names)]


DOCUMENTED: tuple[str, ...] = tuple(n for n in ORDER if n != "collection_units")
