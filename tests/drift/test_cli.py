"""The drift CLI end to end (in process): exit codes, JSON shape, stderr notes, verify."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from auditor.cli.main import run
from auditor.drift import baselines

from conftest import U_VM, Estate, base_estate, changed_estate

CONFIG = """\
ignore:
  - path: "tags.*"
    owner: platform
    reason: tag churn from the cost tool
  - type: "aws.iam.role"
    owner: iam
    reason: break-glass role
    expires: 2020-01-01
audit:
  fail_on: high
"""


@pytest.fixture
def cli(sqlite_store, sqlite_url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUDITOR_ACTOR", "ci-bot")

    def invoke(*args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            run(["--config", str(cfg), "--db", sqlite_url, *args])
        out = capsys.readouterr()
        return int(exc.value.code or 0), out.out, out.err

    invoke.engine = sqlite_store  # type: ignore[attr-defined]
    invoke.db = sqlite_url.removeprefix("sqlite:///")  # type: ignore[attr-defined]
    return invoke


def _seed(cli) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    est = Estate(cli.engine)
    s1 = est.snap(base_estate())
    code, _out, err = cli("baseline", "approve", "--name", "prod", "--reason", "initial review")
    assert code == 0, err
    s2 = est.snap(changed_estate(), {U_VM: "error"})
    return s1, s2


def test_drift_json_shape_exit_code_and_notes(cli) -> None:  # type: ignore[no-untyped-def]
    _s1, _s2 = _seed(cli)
    code, out, err = cli("drift", "--format", "json")
    assert code == 1  # high items (rules that flip) and fail_on high
    items = json.loads(out)
    assert {tuple(sorted(i)) for i in items} == {tuple(sorted(
        ["resource_key", "native_id", "provider", "account", "region", "type", "change", "changes", "element_changes",
         "severity"]))}
    kinds = sorted(i["change"] for i in items)
    assert kinds == ["added", "modified", "modified", "removed", "unknown"]  # the tag-only change is ignored
    assert items[0]["severity"] == "high"
    mod = next(i for i in items if i["resource_key"].endswith("goes-public"))
    assert {"path": "facets.public", "before": False, "after": True} in mod["changes"]
    assert "unit aws|111111111111|us-west-2|aws.ec2.instance is error" in err
    assert "ignore rule #1 (owner iam: break-glass role) expired on 2020-01-01" in err


def test_fail_on_and_show_ignored(cli) -> None:  # type: ignore[no-untyped-def]
    _seed(cli)
    assert cli("drift", "--fail-on", "none")[0] == 0
    code, out, _ = cli("drift", "--format", "json", "--show-ignored", "--fail-on", "none")
    tagged = next(i for i in json.loads(out) if i["resource_key"].endswith("retagged"))
    assert tagged["ignored_by"][0]["owner"] == "platform"
    assert tagged["changes"] == [{"path": "tags.Owner", "before": "data", "after": "ml"}]
    assert cli("drift", "--fail-on", "bogus")[0] == 2


def test_csv_and_between_snapshots(cli) -> None:  # type: ignore[no-untyped-def]
    s1, s2 = _seed(cli)
    code, out, _ = cli("drift", "--from", str(s1), "--to", str(s2), "--format", "csv", "--fail-on", "none")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {r["change"] for r in rows} == {"added", "removed", "modified", "unknown"}
    assert cli("drift", "--from", str(s1), "--baseline", "prod")[0] == 2


def test_baseline_commands(cli) -> None:  # type: ignore[no-untyped-def]
    _s1, s2 = _seed(cli)
    role = "aws.iam.role|arn:aws:iam::111111111111:role/new-admin"
    code, out, err = cli("--format", "json", "baseline", "accept", "prod", role, "--reason", "CHG-7")
    assert code == 0, err
    assert json.loads(out)[0]["baseline"] == "prod@2"
    code, out, _ = cli("--format", "json", "baseline", "list")
    assert [(b["baseline"], b["created_by"]) for b in json.loads(out)] == [("prod@1", "ci-bot"), ("prod@2", "ci-bot")]
    code, out, _ = cli("--format", "json", "baseline", "show", "prod@2")
    shown = json.loads(out)
    assert shown["entry_count"] == 9 and role in {r["resource_key"] for r in shown["resources"]}
    assert cli("baseline", "show", "nope")[0] == 2
    assert cli("baseline", "approve", "--name", "p2", "--reason", "x", "--snapshot", str(s2))[0] == 2  # partial
    assert cli("baseline", "revoke", "prod@2", "--reason", "mistake")[0] == 0
    code, out, _ = cli("--format", "json", "drift", "--fail-on", "none")
    assert role in {i["resource_key"] for i in json.loads(out)}  # back on prod@1: the role is drift again


def test_verify_passes_then_fails_after_hand_edit(cli) -> None:  # type: ignore[no-untyped-def]
    _seed(cli)
    assert cli("baseline", "revoke", "prod", "--reason", "cleanup")[0] == 0
    code, _out, err = cli("verify")  # no signing key configured: consistent, but not proof
    assert code == 1 and "audit log: UNSIGNED: hashes are consistent" in err and "intact" not in err
    con = sqlite3.connect(cli.db)
    con.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1")
    con.commit()
    con.close()
    code, _out, err = cli("verify")
    assert code == 1 and "audit log seq 1:" in err


def test_verify_export_directory(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from auditor.exports.manifest import build_manifest, write_manifest

    out = tmp_path / "export"
    out.mkdir()
    (out / "findings.json").write_text("[]")
    write_manifest(out, build_manifest(out, ["findings.json"], snapshot_id=1, baseline=None, drift_status="none",
                                       tool_version="t", created_at="2025-01-01T00:00:00Z", formats=["json"]))
    code, _o, err = cli("verify", str(out))
    assert code == 1 and "UNSIGNED" in err and "FAIL" not in err
    (out / "findings.json").write_text("[1]")
    code, _o, err = cli("verify", str(out))
    assert code == 1 and "findings.json: modified" in err
    assert cli("verify", str(tmp_path / "missing"))[0] == 2


def test_no_baseline_is_a_usage_error(cli) -> None:  # type: ignore[no-untyped-def]
    Estate(cli.engine).snap(base_estate())
    code, _out, err = cli("drift")
    assert code == 2 and "no active baseline" in err
    baselines.approve(cli.engine, name="x", reason="r", by="b")
    assert cli("drift", "--baseline", "x")[0] == 0
