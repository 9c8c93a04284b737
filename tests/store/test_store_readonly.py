"""`auditor query` is read-only by construction on both databases."""

from __future__ import annotations

import pytest

from auditor.errors import ReadOnlyViolation, UsageError
from auditor.store.readonly import run_readonly_query

WRITES = [
    "INSERT INTO locks (name, holder, host, pid, acquired_at, heartbeat_at) VALUES ('x','y','z',1,CURRENT_TIMESTAMP,CURRENT_TIMESTAMP)",
    "UPDATE snapshots SET status = 'complete'",
    "DELETE FROM snapshots",
    "DROP TABLE snapshots",
    "CREATE TABLE evil (a INTEGER)",
    "ALTER TABLE snapshots ADD COLUMN evil INTEGER",
    "CREATE VIEW evil AS SELECT 1",
]
SQLITE_ONLY = [
    "ATTACH DATABASE '/tmp/auditor-evil.db' AS evil",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA user_version = 5",
    "VACUUM",
]
PG_ONLY = [
    "COMMIT; DELETE FROM snapshots",
    "SET default_transaction_read_only = off; DELETE FROM snapshots",
    "SELECT pg_terminate_backend(1); DELETE FROM snapshots",
]


def test_writes_refused(store):
    stmts = WRITES + (SQLITE_ONLY if store.dialect.name == "sqlite" else PG_ONLY)
    for sql in stmts:
        with pytest.raises((ReadOnlyViolation, UsageError)):
            run_readonly_query(store, sql)
    # nothing changed
    assert run_readonly_query(store, "SELECT count(*) FROM snapshots").rows == [(0,)]
    cols = run_readonly_query(store, "SELECT * FROM snapshots").columns
    assert "evil" not in cols
    names = run_readonly_query(
        store,
        "SELECT name FROM sqlite_master WHERE name = 'evil'" if store.dialect.name == "sqlite"
        else "SELECT table_name FROM information_schema.tables WHERE table_name = 'evil'",
    )
    assert names.rows == []


def test_write_keywords_are_refused_as_read_only(store):
    with pytest.raises(ReadOnlyViolation):
        run_readonly_query(store, "DELETE FROM snapshots")
    with pytest.raises(ReadOnlyViolation):
        run_readonly_query(store, "DROP TABLE snapshots")


def test_reads_work(store):
    res = run_readonly_query(store, "SELECT count(*) AS n FROM current_resources")
    assert res.columns == ["n"] and res.rows == [(0,)]
