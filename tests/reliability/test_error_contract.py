"""Issue 13 finding 6: every error a user can cause is one line naming the file/field/object
(exit 2); every runtime failure is one line with its cause (exit 3), never a library's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.cli.main import run

BASE = "ignore: []\n"


@pytest.fixture
def cli(sqlite_store, sqlite_url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUDITOR_ACTOR", "ci-bot")

    def invoke(*args: str, config: str = BASE, db: str | None = None) -> tuple[int, str, str]:
        cfg = tmp_path / "auditor.yaml"
        cfg.write_text(config)
        with pytest.raises(SystemExit) as exc:
            run(["--config", str(cfg), "--db", db or sqlite_url, *args])
        out = capsys.readouterr()
        return int(exc.value.code or 0), out.out, out.err

    invoke.engine = sqlite_store  # type: ignore[attr-defined]
    invoke.cfg = tmp_path / "auditor.yaml"  # type: ignore[attr-defined]
    return invoke


def _one_line(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_database_error_is_one_line_naming_the_database_with_password_masked(cli):
    code, _, err = cli("resources", db="postgresql://auditor:s3cret@127.0.0.1:1/inv")
    assert code == 3
    line = _one_line(err)
    assert line.startswith("error: ") and "auditor:***@127.0.0.1:1/inv: " in line  # names the database
    assert "s3cret" not in err and "sqlalche.me" not in err and "Background on this error" not in err


def test_newer_schema_says_upgrade_the_tool(cli):
    with cli.engine.begin() as c:
        c.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    code, _, err = cli("resources")
    assert code == 2
    assert "upgrade the auditor tool, not the database" in _one_line(err)


@pytest.mark.parametrize("config, field, words", [
    ("ignore:\n  - owner: a\n    reason: b\n    expires: 2026-02-30\n", "expires", "impossible date 2026-02-30"),
    ('ignore:\n  - owner: a\n    reason: b\n    expires: "2026-02-30"\n', "ignore[0].expires", "valid date"),
    ('schedule:\n  cron: "61 * * * *"\n', "schedule.cron", "invalid cron expression"),
    ("aws:\n  regions: [us-east-7]\n", "aws.regions", "unknown aws region 'us-east-7'"),
    ("gcp:\n  regions: [europe-mars1]\n", "gcp.regions", "unknown gcp region"),
    ('notifications:\n  webhooks: [{url: "http://hooks.example.com/T0/B0/x"}]\n', "notifications.webhooks[0].url",
     "must be https://"),
    ('notifications:\n  webhooks: [{url: "hooks.example.com"}]\n', "notifications.webhooks[0].url", "https:// URL"),
    ("residency:\n  allowed: {restricted: [DE, XX]}\n", "residency.allowed", "unknown jurisdiction 'XX'"),
])
def test_config_errors_name_file_and_field(cli, config, field, words):
    code, _, err = cli("snapshots", config=config)
    assert code == 2
    line = _one_line(err)
    assert f"{cli.cfg}: {field}: " in line and words in line
    assert "hooks.example.com/T0" not in err  # a webhook URL is a credential: never echoed


def test_failed_snapshot_is_refused_by_every_read_command(cli):
    from auditor.model import UnitStatus
    from auditor.store.ingest import ingest
    from tests.store.helpers import BUCKETS, bucket, result

    ok, _, _ = ingest(cli.engine, [[bucket(1)]], [result(BUCKETS, UnitStatus.OK, 1)])
    bad, status, _ = ingest(cli.engine, [], [result(BUCKETS, UnitStatus.DENIED, 0, "AccessDenied")])
    assert status == "failed"
    for args in (["resources", "--snapshot", str(bad)], ["check", "--snapshot", str(bad)],
                 ["identity", "--snapshot", str(bad)], ["drift", "--from", str(ok), "--to", str(bad)],
                 ["export", "--snapshot", str(bad), "--out", "x"]):
        code, _, err = cli(*args)
        assert code == 2, (args, err)
        line = _one_line(err)
        assert f"snapshot {bad} is failed" in line, (args, line)


def test_drift_from_newer_than_to_is_refused(cli):
    code, _, err = cli("drift", "--from", "5", "--to", "2")
    assert code == 2
    assert "--from 5 is newer than --to 2" in _one_line(err)


@pytest.mark.parametrize("args", [["audit", "--fail-on", "severe"], ["check", "--fail-on", "severe"],
                                  ["drift", "--fail-on", "severe"]])
def test_fail_on_has_one_wording(cli, args):
    code, _, err = cli(*args)
    assert code == 2
    assert _one_line(err) == "error: --fail-on 'severe' is not one of info, low, medium, high, critical, none"


def test_postgresql_that_never_answers_fails_within_the_connect_timeout(cli, hung):
    import time

    t0 = time.monotonic()
    code, _, err = cli("resources", config="database:\n  connect_timeout_s: 2\n",
                       db=f"postgresql://auditor:pw@127.0.0.1:{hung.port}/inv")
    assert code == 3 and time.monotonic() - t0 < 20
    line = _one_line(err)
    assert line.startswith("error: ") and f"auditor:***@127.0.0.1:{hung.port}/inv: " in line
    assert "timeout" in line.lower()
