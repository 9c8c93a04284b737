"""`auditor query` runs with the least privilege that can answer it (issue 11, findings 1, 5, 7).

SQLite: read-only file, authorizer with a function allow-list, a time limit, capped values.
PostgreSQL (the tests connect as the superuser ``postgres``: exactly the dangerous case): user
SQL runs only as a reader role that can SELECT the documented views; a superuser session, or
one holding pg_read_server_files / pg_write_server_files / pg_execute_server_program, is
refused; the URL's TLS parameters are kept; rows stream from a server-side cursor.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from auditor.errors import AuditorError, ReadOnlyViolation, UsageError
from auditor.model import UnitStatus
from auditor.store.ingest import SnapshotWriter
from auditor.store.reader_role import DEFAULT_READER_ROLE, create_reader
from auditor.store.readonly import (
    SQLITE_FUNCTIONS, QueryTimeout, _Authorizer, pg_connect_kwargs, reader_url, run_readonly_query,
)
from auditor.store.schema import snapshots
from tests.store.conftest import role_url
from tests.store.helpers import BUCKETS, ROLES, bucket, result, role

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
    "WITH gone AS (DELETE FROM snapshots RETURNING id) SELECT * FROM gone",
    "SET ROLE postgres",
    "RESET ROLE",
    "SELECT set_config('role', 'postgres', false)",
    "SELECT nextval('snapshots_id_seq')",
]


def _ingest(engine) -> int:
    with SnapshotWriter(engine) as w:
        w.write([bucket(1, public=True), bucket(2)], BUCKETS)
        w.write([role(1)], ROLES)
        w.record_unit(result(BUCKETS, UnitStatus.OK, 2))
        w.record_unit(result(ROLES, UnitStatus.OK, 1))
        w.finish()
    return w.snapshot_id


def _snapshot_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(snapshots)).scalar_one()


# --- both databases -----------------------------------------------------------------------------

def test_writes_refused(store, query_url):
    _ingest(store)
    stmts = WRITES + (SQLITE_ONLY if store.dialect.name == "sqlite" else PG_ONLY)
    for sql in stmts:
        with pytest.raises((ReadOnlyViolation, UsageError)):
            run_readonly_query(store, sql, query_url=query_url)
    assert _snapshot_count(store) == 1  # nothing changed
    assert "evil" not in run_readonly_query(store, "SELECT * FROM snapshots_v", query_url=query_url).columns
    names = run_readonly_query(
        store,
        "SELECT name FROM sqlite_master WHERE name = 'evil'" if store.dialect.name == "sqlite"
        else "SELECT table_name FROM information_schema.tables WHERE table_name = 'evil'",
        query_url=query_url,
    )
    assert names.rows == []


def test_write_keywords_are_refused_as_read_only(store, query_url):
    for sql in ("DELETE FROM snapshots", "DROP TABLE snapshots"):
        with pytest.raises(ReadOnlyViolation, match="read-only"):
            run_readonly_query(store, sql, query_url=query_url)


def test_reads_over_the_documented_views_work(store, query_url):
    sid = _ingest(store)
    run = lambda sql: run_readonly_query(store, sql, query_url=query_url)  # noqa: E731
    assert run("SELECT count(*) AS n FROM current_resources").rows == [(3,)]
    assert run("SELECT snapshot_id, status FROM snapshots_v").rows == [(sid, "complete")]
    assert sorted(r[0] for r in run(f"SELECT status FROM units_v WHERE snapshot_id = {sid}").rows) == ["ok", "ok"]
    assert run(f"SELECT count(*) FROM resources_as_of WHERE snapshot_id = {sid}").rows == [(3,)]
    assert run("SELECT count(*) FROM findings_v").rows == [(0,)]
    assert run("SELECT count(*) FROM trust_edges_v").rows == [(0,)]
    public = ("json_extract(facets, '$.public') = 1" if store.dialect.name == "sqlite"
              else "(facets::jsonb->>'public')::bool")
    assert run(f"SELECT name FROM current_resources WHERE {public}").rows == [("bucket-1",)]
    grouped = run("SELECT type, count(*) AS n, row_number() OVER (ORDER BY type) AS i "
                  "FROM current_resources GROUP BY type ORDER BY type")
    assert grouped.columns == ["type", "n", "i"]
    assert grouped.rows == [("aws.iam.role", 1, 1), ("aws.s3.bucket", 2, 2)]
    limited = run_readonly_query(store, "SELECT resource_key FROM current_resources", limit=2, query_url=query_url)
    assert len(limited.rows) == 2 and limited.truncated


# --- SQLite -------------------------------------------------------------------------------------

def test_sqlite_endless_recursive_cte_stops_at_the_time_limit(sqlite_store):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"ran longer than 0.5 s") as err:
        run_readonly_query(sqlite_store, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
                                         "SELECT count(*) FROM r", timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert err.value.exit_code == 3


@pytest.mark.parametrize("sql, function", [
    ("SELECT fts3_tokenizer('simple')", "fts3_tokenizer"),
    ("SELECT load_extension('/tmp/evil.so')", "load_extension"),
    ("SELECT zeroblob(1000000000)", "zeroblob"),
    ("SELECT sqlite_compileoption_get(0)", "sqlite_compileoption_get"),
])
def test_sqlite_functions_outside_the_allow_list_are_refused(sqlite_store, sql, function):
    with pytest.raises(ReadOnlyViolation, match=rf"function {function}\(\) is not allowed"):
        run_readonly_query(sqlite_store, sql)


def test_sqlite_allow_list_is_by_name():
    """Functions an extension or a host application could register (readfile, writefile,
    edit) are refused even if present: the list names what is allowed, nothing else."""
    auth = _Authorizer()
    for name in ("readfile", "writefile", "edit", "fts3_tokenizer", "load_extension", "Load_Extension"):
        assert auth(sqlite3.SQLITE_FUNCTION, None, name, None, None) == sqlite3.SQLITE_DENY
    for name in ("json_extract", "count", "lower", "datetime", "row_number"):
        assert name in SQLITE_FUNCTIONS
        assert auth(sqlite3.SQLITE_FUNCTION, None, name, None, None) == sqlite3.SQLITE_OK


def test_sqlite_hostile_view_planted_in_the_file_is_refused(sqlite_store, sqlite_url):
    """Whoever can write the file can define views; their functions go through the same list."""
    path = make_url(sqlite_url).database
    raw = sqlite3.connect(path)
    raw.execute("CREATE VIEW evil AS SELECT load_extension('/tmp/evil.so') AS x")
    raw.commit()
    raw.close()
    with pytest.raises(ReadOnlyViolation, match="load_extension"):
        run_readonly_query(sqlite_store, "SELECT * FROM evil")


def test_sqlite_values_are_capped(sqlite_store):
    with pytest.raises(UsageError, match="too big"):
        run_readonly_query(sqlite_store, "SELECT replace(printf('%.*c', 60000000, 'x'), 'x', 'xx')")


def test_sqlite_query_never_creates_a_database(tmp_path):
    from auditor.store.engine import make_engine

    missing = tmp_path / "nope" / "inventory.db"
    engine = make_engine(f"sqlite:///{missing}")  # engines connect lazily
    with pytest.raises(UsageError, match="read-only"):
        run_readonly_query(engine, "SELECT 1")
    assert not missing.exists()


# --- PostgreSQL: the reader role ------------------------------------------------------------------

@pytest.fixture
def victim(pg_store):
    """A connection the attacks try to kill (as pg_terminate_backend would)."""
    u = pg_store.url
    conn = psycopg.connect(host=u.host, port=u.port, user=u.username, dbname=u.database, autocommit=True,
                           application_name="auditor-victim")
    yield conn
    conn.close()


def _pg_attacks(marker: str, victim_pid: int) -> list[str]:
    return [
        f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'",
        f"SELECT * FROM (SELECT 1) x; COPY (SELECT 1) TO PROGRAM 'touch {marker}'",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_read_binary_file('/etc/passwd')",
        "SELECT pg_ls_dir('.')",
        "SELECT * FROM pg_authid",
        "SELECT rolpassword FROM pg_authid",
        f"SELECT pg_terminate_backend({victim_pid})",
        f"SELECT pg_cancel_backend({victim_pid})",
        "SELECT lo_import('/etc/passwd')",
        "SELECT * FROM snapshots",  # base tables: not for the reader
        "UPDATE snapshots SET status = 'failed'",
        "SELECT set_config('role', 'postgres', false), pg_read_file('/etc/passwd')",
    ]


def test_pg_attacks_fail_as_the_reader(pg_store, pg_query_url, victim, tmp_path):
    _ingest(pg_store)
    marker = f"/tmp/auditor-pwned-{uuid.uuid4().hex}"
    for sql in _pg_attacks(marker, victim.info.backend_pid):
        with pytest.raises((ReadOnlyViolation, UsageError)) as err:
            run_readonly_query(pg_store, sql, query_url=pg_query_url)
        assert str(err.value).startswith("refused: "), (sql, str(err.value))
        assert "\n" not in str(err.value)
    assert not os.path.exists(marker)
    assert victim.execute("SELECT 1").fetchone() == (1,)  # still alive
    assert _snapshot_count(pg_store) == 1
    with pg_store.connect() as conn:
        assert conn.exec_driver_sql("SELECT status FROM snapshots").scalar_one() == "complete"


def test_pg_reader_can_select_only_the_documented_views(pg_store, pg_query_url):
    rows = run_readonly_query(pg_store, "SELECT table_name, privilege_type FROM information_schema.table_privileges "
                                        "WHERE grantee = current_user ORDER BY 1", query_url=pg_query_url).rows
    assert rows == sorted((v, "SELECT") for v in
                          ("current_resources", "findings_v", "resources_as_of", "snapshots_v", "trust_edges_v", "units_v"))


def test_pg_superuser_session_is_refused_before_any_user_sql(pg_store, victim):
    """CI connects as the superuser: that login must never run user SQL, whatever the SQL."""
    superuser = pg_store.url.render_as_string(hide_password=False)
    for sql in ("SELECT 1", f"SELECT pg_terminate_backend({victim.info.backend_pid})"):
        with pytest.raises(UsageError) as err:
            run_readonly_query(pg_store, sql, query_url=superuser)
        msg = str(err.value)
        assert "superuser" in msg and "database.query_url" in msg and "create-reader" in msg and "\n" not in msg
        assert err.value.exit_code == 2
    assert victim.execute("SELECT 1").fetchone() == (1,)


def test_pg_reader_with_a_dangerous_membership_is_refused(pg_store, make_role):
    reader = make_role(pg_store)
    create_reader(pg_store, reader)
    url = role_url(pg_store, reader)
    for granted in ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program",
                    "pg_signal_backend", "pg_read_all_data"):
        with pg_store.begin() as conn:
            conn.exec_driver_sql(f'GRANT {granted} TO "{reader}"')
        with pytest.raises(UsageError, match=f"member of {granted}"):
            run_readonly_query(pg_store, "SELECT 1", query_url=url)
        with pg_store.begin() as conn:
            conn.exec_driver_sql(f'REVOKE {granted} FROM "{reader}"')
    assert run_readonly_query(pg_store, "SELECT 1", query_url=url).rows == [(1,)]


def test_pg_reader_that_could_write_is_refused(pg_store, make_role):
    for grant, reason in (('GRANT INSERT ON snapshots TO "{r}"', "can write tables"),
                          ('ALTER TABLE locks OWNER TO "{r}"', "owns or can write tables"),
                          ('ALTER ROLE "{r}" CREATEROLE', "CREATEROLE")):
        reader = make_role(pg_store)
        create_reader(pg_store, reader)
        with pg_store.begin() as conn:
            conn.exec_driver_sql(grant.format(r=reader))
        with pytest.raises(UsageError, match=reason):
            run_readonly_query(pg_store, "SELECT 1", query_url=role_url(pg_store, reader))


def test_pg_create_reader_is_idempotent_and_tightens(pg_store, make_role):
    reader = make_role(pg_store)
    create_reader(pg_store, reader)
    with pg_store.begin() as conn:
        conn.exec_driver_sql(f'GRANT SELECT, INSERT ON snapshots TO "{reader}"')
        conn.exec_driver_sql(f'GRANT pg_execute_server_program TO "{reader}"')
    create_reader(pg_store, reader)  # again: back to views only, no memberships
    url = role_url(pg_store, reader)
    assert run_readonly_query(pg_store, "SELECT count(*) FROM snapshots_v", query_url=url).rows == [(0,)]
    with pytest.raises(ReadOnlyViolation, match="permission denied for table snapshots"):
        run_readonly_query(pg_store, "SELECT * FROM snapshots", query_url=url)


def test_pg_create_reader_refuses_a_superuser_name(pg_store):
    with pytest.raises(UsageError, match="superuser|connects as"):
        create_reader(pg_store, "postgres")
    with pytest.raises(UsageError, match="role name"):
        create_reader(pg_store, 'x"; DROP ROLE postgres; --')


def test_create_reader_on_sqlite_explains(sqlite_store):
    with pytest.raises(UsageError, match="PostgreSQL"):
        create_reader(sqlite_store, "auditor_reader")


# --- PostgreSQL: TLS, streaming, time limit ---------------------------------------------------------

def test_reader_url_keeps_tls_and_connection_parameters():
    main = "postgresql://owner:s3cret@db.example:6543/inv?sslmode=verify-full&sslrootcert=/etc/ca.pem&password=x"
    derived, explicit = reader_url(main, None)
    assert not explicit
    assert (derived.username, derived.password, derived.host, derived.port, derived.database) == \
        (DEFAULT_READER_ROLE, None, "db.example", 6543, "inv")
    assert dict(derived.query) == {"sslmode": "verify-full", "sslrootcert": "/etc/ca.pem"}
    given, explicit = reader_url(main, "postgresql://r:pw@db.example/inv?sslmode=require&target_session_attrs=read-only")
    assert explicit
    kw = pg_connect_kwargs(given, 5)
    assert kw["sslmode"] == "require" and kw["target_session_attrs"] == "read-only"
    assert (kw["user"], kw["password"], kw["host"], kw["dbname"]) == ("r", "pw", "db.example", "inv")
    assert "statement_timeout=5000" in kw["options"] and "default_transaction_read_only=on" in kw["options"]
    with pytest.raises(UsageError, match="query_url"):
        reader_url(main, "sqlite:///x.db")


def test_pg_sslmode_require_fails_against_a_server_without_tls(pg_store, pg_query_url):
    """The test server has ssl=off: with sslmode=require the query must fail, never run in clear."""
    with pg_store.connect() as conn:
        if conn.exec_driver_sql("SHOW ssl").scalar_one() == "on":
            pytest.skip("this server offers TLS; the test needs one that does not")
    required = make_url(pg_query_url).update_query_dict({"sslmode": "require"}).render_as_string(hide_password=False)
    with pytest.raises(AuditorError, match="SSL") as err:
        run_readonly_query(pg_store, "SELECT 1", query_url=required)
    assert "\n" not in str(err.value)
    disabled = make_url(pg_query_url).update_query_dict({"sslmode": "disable"}).render_as_string(hide_password=False)
    assert run_readonly_query(pg_store, "SELECT 1", query_url=disabled).rows == [(1,)]


def test_pg_limit_fetches_only_what_it_returns(pg_store, pg_query_url, monkeypatch):
    fetched: list[int] = []
    original = psycopg.ServerCursor.fetchmany

    def counting(self, size=0):
        rows = original(self, size)
        fetched.append(len(rows))
        return rows

    monkeypatch.setattr(psycopg.ServerCursor, "fetchmany", counting)
    res = run_readonly_query(pg_store, "SELECT g, repeat('x', 100000) FROM generate_series(1, 5000) g",
                             limit=1, query_url=pg_query_url)
    assert len(res.rows) == 1 and res.truncated
    assert sum(fetched) == 2  # the row returned and one to know there are more


def test_pg_limit_bounds_client_memory(pg_store, pg_query_url, tmp_path):
    """60 rows of 10 MB (600 MB) with --limit 1: the client stays far below what the rows weigh."""
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(f"database:\n  url: '{pg_store.url.render_as_string(hide_password=False)}'\n"
                   f"  query_url: '{pg_query_url}'\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    import subprocess
    import sys

    # The child reports its own VmHWM: ru_maxrss from wait4 would carry the forking test
    # worker's RSS into the child (Linux resets VmHWM at exec, not ru_maxrss).
    hwm = tmp_path / "hwm.txt"
    probe = ("import runpy, sys\n"
             "try:\n    runpy.run_module('auditor', run_name='__main__')\n"
             "finally:\n"
             f"    open({str(hwm)!r}, 'w').write(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')))\n")
    with open(tmp_path / "out.json", "w") as out:
        proc = subprocess.Popen([sys.executable, "-c", probe, "--config", str(cfg), "-f", "json", "query",
                                 "--limit", "1", "SELECT g, repeat('x', 10000000) AS big FROM generate_series(1, 60) g"],
                                cwd=tmp_path, env=env, stdout=out, stderr=subprocess.PIPE)
        proc.wait()
    assert proc.returncode == 0, proc.stderr.read().decode()
    assert (tmp_path / "out.json").stat().st_size > 10_000_000  # the one row did arrive
    peak_mb = int(hwm.read_text().split()[1]) / 1024  # "VmHWM:  123456 kB"
    assert peak_mb < 300, f"peak RSS {peak_mb:.0f} MB for one 10 MB row"


def test_pg_statement_timeout(pg_store, pg_query_url):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="ran longer than 0.5 s"):
        run_readonly_query(pg_store, "SELECT pg_sleep(10)", timeout_s=0.5, query_url=pg_query_url)
    assert time.monotonic() - started < 5
