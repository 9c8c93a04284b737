"""The CLI side of issue 11 (findings 1, 5, 7, 10): `auditor query` and `db create-reader`
end to end, passwords never echoed, read commands never creating a database."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy.engine import make_url

from auditor.store.engine import mask_secrets, mask_url
from tests.store.conftest import drop_role, role_url


def run_cli(monkeypatch, capsys, cwd, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """`auditor ARGS` in-process through the console-script entry (the exit-code contract)."""
    from auditor.cli.main import run

    monkeypatch.chdir(cwd)
    for var in ("AUDITOR_CONFIG", "AUDITOR_DB", "AUDITOR_QUERY_URL"):
        monkeypatch.delenv(var, raising=False)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        run(list(args))
    out = capsys.readouterr()
    return exited.value.code, out.out, out.err


READ_COMMANDS = [
    ["query", "SELECT 1"], ["resources"], ["snapshots"], ["units"], ["check"], ["drift"], ["identity"],
    ["schedule", "list"], ["verify"], ["baseline", "list"],
]


@pytest.mark.parametrize("argv", READ_COMMANDS, ids=lambda a: " ".join(a))
def test_read_commands_without_a_config_never_create_a_database(argv, tmp_path, monkeypatch, capsys):
    code, _out, err = run_cli(monkeypatch, capsys, tmp_path, *argv)
    assert code == 2, err
    assert err.count("\n") == 1 and "auditor init" in err, err
    assert list(tmp_path.iterdir()) == []  # no auditor.db, no -wal, nothing


def test_read_command_with_a_db_in_a_missing_directory_creates_nothing(tmp_path, monkeypatch, capsys):
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "--db", f"sqlite:///{tmp_path}/no/such/inv.db", "snapshots")
    assert code == 2 and "no inventory database" in err
    assert list(tmp_path.iterdir()) == []


BAD_URLS = [
    "postgresql://auditor:s3cret@db.example:notaport/inv",
    "postgresql://auditor:s3c@ret@127.0.0.1:5432/inv",  # unescaped @: half the password would be the host
    "postgresql://auditor:s3cret@[::1/inv",
    "postgresql://auditor@127.0.0.1:5432/inv?password=s3cret&bogus=1",
    "postgresql://auditor:s3cret@127.0.0.1:5432/inv?sslmode=bogus",
    "postgresql:///inv?host=x password=s3cret",
    "not a url at all s3cret:s3cret@",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_database_urls_never_echo_the_password(url, tmp_path, monkeypatch, capsys):
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, "--db", url, "snapshots")
    assert code in (2, 3), err
    assert "s3cret" not in out + err and "ret@" not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err


def test_mask_url():
    assert mask_url("postgresql://u:s3cret@h/db") == "postgresql://u:***@h/db"
    assert mask_url("postgresql://u:pa@ss@h/db") == "postgresql://u:***@h/db"
    assert "s3cret" not in mask_url("postgresql://u@h/db?sslmode=require&password=s3cret")
    assert mask_url("host=h password=s3cret user=u") == "host=h password=*** user=u"
    assert mask_url("sqlite:////var/lib/auditor.db") == "sqlite:////var/lib/auditor.db"
    assert mask_secrets("FATAL: bad s3cret!", "postgresql://u:s3cret@h/db") == "FATAL: bad ***!"


# --- `auditor query` on SQLite ---------------------------------------------------------------------

def test_sqlite_query_cli_time_limit_and_refusals(sqlite_store, sqlite_url, tmp_path, monkeypatch, capsys):
    endless = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT max(n) FROM r"
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "--db", sqlite_url, "query", "--timeout", "0.3", endless)
    assert code == 3 and "ran longer than 0.3 s" in err and err.count("\n") == 1
    (tmp_path / "auditor.yaml").write_text("database:\n  statement_timeout: 0.3\n")
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "--db", sqlite_url, "query", endless)
    assert code == 3 and "ran longer than 0.3 s" in err
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "--db", sqlite_url, "query", "SELECT fts3_tokenizer('simple')")
    assert code == 2 and "fts3_tokenizer() is not allowed" in err
    code, out, err = run_cli(monkeypatch, capsys, tmp_path, "--db", sqlite_url, "-f", "json", "query",
                             "SELECT count(*) AS n FROM current_resources")
    assert code == 0 and json.loads(out) == [{"n": 0}]


def test_create_reader_on_sqlite_is_a_usage_error(sqlite_store, sqlite_url, tmp_path, monkeypatch, capsys):
    code, _, err = run_cli(monkeypatch, capsys, tmp_path, "--db", sqlite_url, "db", "create-reader")
    assert code == 2 and "PostgreSQL" in err


# --- `auditor query` on PostgreSQL ----------------------------------------------------------------

def test_pg_query_cli_through_the_reader_role(pg_store, tmp_path, monkeypatch, capsys):
    admin = pg_store.url.render_as_string(hide_password=False)
    role = f"auditor_t_cli_{uuid.uuid4().hex[:10]}"
    try:
        code, _, err = run_cli(monkeypatch, capsys, tmp_path, "--db", admin, "db", "create-reader", "--role", role,
                               "--password-env", "READER_PW", env={"READER_PW": "pw-Xq9-s3cret"})
        assert code == 0, err
        assert "pw-Xq9-s3cret" not in err and f"query_url: postgresql://{role}@" in err
        with pg_store.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = '{role}'").scalar_one()
        reader = role_url(pg_store, role)  # trust authentication here: no password needed
        cfg = tmp_path / "auditor.yaml"
        cfg.write_text(f"database:\n  url: '{admin}'\n  query_url: '{reader}'\n")

        code, out, err = run_cli(monkeypatch, capsys, tmp_path, "-f", "json", "query",
                                 "SELECT count(*) AS n FROM current_resources")
        assert code == 0 and json.loads(out) == [{"n": 0}], err
        marker = f"/tmp/auditor-pwned-{uuid.uuid4().hex}"
        for attack in (f"COPY (SELECT 1) TO PROGRAM 'touch {marker}'", "SELECT pg_read_file('/etc/passwd')",
                       "SELECT * FROM pg_authid", "DELETE FROM snapshots"):
            code, _, err = run_cli(monkeypatch, capsys, tmp_path, "query", attack)
            assert code == 2 and err.startswith("error: refused: ") and err.count("\n") == 1, err

        # The superuser as query URL (env override): refused before any user SQL.
        code, _, err = run_cli(monkeypatch, capsys, tmp_path, "query", "SELECT 1", env={"AUDITOR_QUERY_URL": admin})
        assert code == 2 and "superuser" in err and "database.query_url" in err and err.count("\n") == 1

        # TLS required by the query URL against this non-TLS server: fails, never falls back to clear text.
        tls = make_url(reader).update_query_dict({"sslmode": "require"}).render_as_string(hide_password=False)
        code, _, err = run_cli(monkeypatch, capsys, tmp_path, "query", "SELECT 1", env={"AUDITOR_QUERY_URL": tls})
        assert code == 3 and "SSL" in err
    finally:
        drop_role(pg_store, role)
