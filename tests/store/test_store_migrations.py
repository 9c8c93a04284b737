"""Migrations are the only way the schema changes: the migrated database must match the
run-time table definitions exactly, and an out-of-date schema is refused."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from auditor.errors import SchemaOutOfDate
from auditor.store import migrate
from auditor.store.engine import make_engine
from auditor.store.schema import metadata


def test_migrated_schema_matches_metadata(store):
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_unmigrated_database_refused(sqlite_url):
    engine = make_engine(sqlite_url)
    with pytest.raises(SchemaOutOfDate, match="auditor init"):
        migrate.check_schema(engine)


def test_old_revision_refused(store):
    with store.begin() as c:
        c.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
    with pytest.raises(SchemaOutOfDate, match="db upgrade"):
        migrate.check_schema(store)


def test_newer_schema_says_upgrade_the_tool(store):
    from auditor.store import migrate

    with store.begin() as c:
        c.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(SchemaOutOfDate, match="upgrade the auditor tool, not the database") as err:
        migrate.check_schema(store)
    assert "\n" not in str(err.value)
    with pytest.raises(SchemaOutOfDate, match="upgrade the auditor tool"):
        migrate.upgrade(store)


def test_views_module_matches_the_migrated_views(sqlite_store):
    """auditor.store.views documents what the latest migration created (migrations freeze their
    own copies, so the two must be kept equal by hand: this test is the reminder)."""
    from auditor.store import views

    with sqlite_store.connect() as c:
        created = dict(c.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'view'").all())
    assert sorted(created) == sorted(views.ORDER)
    norm = lambda sql: " ".join(sql.split())  # noqa: E731
    assert {n: norm(created[n]) for n in views.ORDER} == {n: norm(s) for n, s in zip(views.ORDER, views.create_statements())}
