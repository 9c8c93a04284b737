"""Config-relative SQLite URLs, the demo's default directory, and the report's size bound."""

from __future__ import annotations

import tempfile
from pathlib import Path

from auditor.store.inventory import anchor_sqlite_url, resolve_url

REPO = Path(__file__).resolve().parents[2]


def test_relative_sqlite_url_in_a_config_resolves_next_to_the_config(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("AUDITOR_DB", raising=False)
    cfg_dir = tmp_path / "etc" / "auditor"
    cfg_dir.mkdir(parents=True)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    url = resolve_url(None, "sqlite:///data/inv.db", cfg_dir / "auditor.yaml")
    assert url == f"sqlite:///{cfg_dir / 'data' / 'inv.db'}"
    # absolute paths, memory databases, other drivers and --db are left alone
    assert anchor_sqlite_url("sqlite:////abs/inv.db", cfg_dir) == "sqlite:////abs/inv.db"
    assert anchor_sqlite_url("sqlite://", cfg_dir) == "sqlite://"
    assert anchor_sqlite_url("sqlite:///:memory:", cfg_dir) == "sqlite:///:memory:"
    assert anchor_sqlite_url("postgresql://u:p@h/db", cfg_dir) == "postgresql://u:p@h/db"
    assert resolve_url("sqlite:///rel.db", "sqlite:///x.db", cfg_dir / "auditor.yaml") == "sqlite:///rel.db"


def test_relative_sqlite_url_through_the_cli(tmp_path, monkeypatch, capsys) -> None:
    import pytest

    from auditor.cli.main import run

    monkeypatch.delenv("AUDITOR_DB", raising=False)
    cfg_dir = tmp_path / "conf"
    cfg_dir.mkdir()
    (cfg_dir / "auditor.yaml").write_text("database:\n  url: sqlite:///inv.db\n")
    cwd = tmp_path / "somewhere-else"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    with pytest.raises(SystemExit) as exc:
        run(["db", "upgrade", "--config", str(cfg_dir / "auditor.yaml")])  # --config after the verb
    assert exc.value.code in (0, None), capsys.readouterr().err
    assert (cfg_dir / "inv.db").exists() and not (cwd / "inv.db").exists()


def test_demo_defaults_to_a_temporary_directory_outside_the_checkout() -> None:
    from auditor.demo.run import demo_workdir

    d = demo_workdir(None)
    try:
        assert d.is_dir() and d.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
        assert not d.resolve().is_relative_to(REPO)
    finally:
        d.rmdir()
    assert demo_workdir(Path("~/x")) == Path("~/x").expanduser().resolve()


def test_report_stays_bounded_for_a_large_estate() -> None:
    from auditor.exports.gather import DriftData, ExportData
    from auditor.exports.html import TOP_N, render_report

    findings = [{"finding_id": str(i), "rule_id": "storage.public", "title": "public bucket", "severity": "high",
                 "status": "FAIL", "provider": "aws", "account": "1", "region": "r", "resource_key": f"aws|b{i}",
                 "native_id": f"arn:aws:s3:::bucket-{i:06d}", "message": "public", "evidence": {"public": True},
                 "frameworks": {}} for i in range(20_000)]
    units = [{"unit_key": f"azure|sub-{i}|global|azure.storage.account", "status": "denied", "error": "403"}
             for i in range(5_000)]
    data = ExportData(snapshot={"id": 9, "status": "partial"}, resources=[], findings=findings, trust_edges=[],
                      drift=DriftData(available=False, reason="no baseline"), rules={}, units=units)
    html = render_report(data)
    assert len(html) < 1_000_000
    assert html.count("arn:aws:s3:::bucket-") == TOP_N
    assert "19950 more not shown" in html and "findings.csv" in html
