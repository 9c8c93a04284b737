"""Exports: every format, determinism, manifests and tamper detection, official schemas."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from auditor.errors import UsageError
from auditor.exports.bundle import FORMATS, export_snapshot
from auditor.exports.gather import gather
from auditor.exports.manifest import verify_manifest
from auditor.exports.ocsf import validate_event

from .conftest import FORMULA, XSS

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
EXPECTED = {
    "inventory.csv", "findings.csv", "drift.csv", "trust_edges.csv", "frameworks.csv", "compliance.csv",
    "inventory.json", "findings.json", "drift.json", "trust_edges.json", "frameworks.json", "compliance.json",
    "findings.ocsf.json", "drift.ocsf.json", "frameworks.ocsf.json", "findings.sarif", "report.html",
}


def sarif_errors(log: dict) -> list[str]:
    v = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{list(e.path)}: {e.message}" for e in v.iter_errors(log)]


@pytest.fixture()
def exported(seeded, tmp_path):
    result = export_snapshot(seeded.engine, seeded.snapshot_id, tmp_path / "out", FORMATS, drift_report=seeded.drift)
    return result


def test_every_format_is_written_and_the_manifest_verifies(exported):
    assert set(exported.files) == EXPECTED
    assert verify_manifest(exported.out_dir) == []
    m = json.loads((exported.out_dir / "manifest.json").read_text())
    assert set(m["files"]) == EXPECTED
    assert m["snapshot_id"] == 1 and m["baseline"] == {"id": 7, "name": "prod", "version": 2}
    assert m["tool_version"] and m["created_at"].endswith("Z") and m["drift"] == "ok"
    assert all(len(e["sha256"]) == 64 for e in m["files"].values())


def test_exports_are_deterministic(seeded, tmp_path):
    a = export_snapshot(seeded.engine, seeded.snapshot_id, tmp_path / "a", FORMATS, drift_report=seeded.drift)
    b = export_snapshot(seeded.engine, seeded.snapshot_id, tmp_path / "b", FORMATS, drift_report=seeded.drift)
    for name in [*a.files, "manifest.json"]:
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name


@pytest.mark.parametrize("tamper, expected", [
    (lambda d: (d / "findings.csv").write_bytes((d / "findings.csv").read_bytes().replace(b"FAIL", b"PASS", 1)),
     "findings.csv: modified"),
    (lambda d: (d / "report.html").unlink(), "report.html: missing"),
    (lambda d: (d / "extra.txt").write_text("planted"), "extra.txt: extra file"),
    (lambda d: (d / "sub").mkdir() or (d / "sub" / "x.json").write_text("{}"), "sub/x.json: extra file"),
    (lambda d: (d / "manifest.json").write_text("{not json"), "not valid JSON"),
])
def test_a_tampered_export_is_detected(exported, tamper, expected):
    tamper(exported.out_dir)
    problems = verify_manifest(exported.out_dir)
    assert any(expected in p for p in problems), problems


def test_verify_accepts_the_manifest_path_and_reports_a_missing_manifest(exported, tmp_path):
    assert verify_manifest(exported.out_dir / "manifest.json") == []
    assert "manifest not found" in verify_manifest(tmp_path / "nowhere")[0]


def test_sarif_validates_against_the_official_schema(exported):
    log = json.loads((exported.out_dir / "findings.sarif").read_text())
    assert sarif_errors(log) == []
    run = log["runs"][0]
    kinds = {(r["ruleId"], r["kind"]) for r in run["results"]}
    assert ("storage.public_access", "pass") in kinds and ("storage.public_access", "open") in kinds
    assert ("drift.modified", "fail") in kinds and ("drift.added", "fail") in kinds
    assert {t["name"] for t in run["taxonomies"]} == {"CIS-AWS", "CIS-GCP", "GDPR", "ISO27001", "SOC2"}
    for r in run["results"]:
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]


def test_the_sarif_schema_check_can_fail(exported):
    log = json.loads((exported.out_dir / "findings.sarif").read_text())
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    assert len(sarif_errors(log)) == 2


def test_ocsf_events_validate_with_the_model_package(exported):
    findings = json.loads((exported.out_dir / "findings.ocsf.json").read_text())
    drift = json.loads((exported.out_dir / "drift.ocsf.json").read_text())
    controls = json.loads((exported.out_dir / "frameworks.ocsf.json").read_text())
    assert len(findings) == 7 and len(drift) == 2 and len(controls) == 8
    for ev in findings + controls:
        assert ev["class_uid"] == 2003 and ev["category_uid"] == 2 and ev["type_uid"] == 200301
        assert validate_event(ev) == []
    for ev in drift:
        assert ev["class_uid"] == 2004 and ev["type_uid"] == 200401
        assert validate_event(ev) == []
    by_status = {(e["finding_info"]["title"], e["compliance"]["status_id"]) for e in findings}
    assert ("storage.public_access title", 2) in by_status  # UNKNOWN -> Warning, never Pass
    ssh = next(e for e in findings if e["metadata"]["event_code"] == "network.ssh_open_world")
    assert ssh["severity_id"] == 5 and ssh["compliance"]["requirements"] == ["CIS-AWS 5.2", "SOC2 CC6.6"]


def test_ocsf_validation_rejects_bad_events(exported):
    ev = json.loads((exported.out_dir / "findings.ocsf.json").read_text())[0]
    assert validate_event({**ev, "severity_id": 42}) != []
    assert validate_event({**ev, "not_an_ocsf_field": 1}) != []
    assert validate_event({**ev, "class_uid": 9999}) != []
    del ev["finding_info"]
    assert validate_event(ev) != []


def test_framework_view_counts_resources_per_control(seeded):
    data = gather(seeded.engine, seeded.snapshot_id, drift_report=seeded.drift)
    view = {(c.framework, c.control): c for c in data.controls}
    cc61 = view[("SOC2", "CC6.1")]
    assert (cc61.status, cc61.passed, cc61.failed, cc61.unknown) == ("FAIL", 1, 1, 1)
    assert view[("CIS-GCP", "5.1")].status == "PASS"
    art44 = view[("GDPR", "Art.44")]
    assert (art44.failed, art44.passed) == (2, 1)
    assert [k for k in view if k[0] == "ISO27001"] == [("ISO27001", "A.5.34"), ("ISO27001", "A.8.3")]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_is_spreadsheet_friendly(exported):
    d = exported.out_dir
    findings = _csv(d / "findings.csv")
    ssh = next(r for r in findings if r["rule_id"] == "network.ssh_open_world")
    assert ssh["framework.CIS-AWS"] == "5.2" and ssh["frameworks"] == "CIS-AWS 5.2; SOC2 CC6.6"
    assert ssh["evidence.cidr"] == "0.0.0.0/0"
    inventory = _csv(d / "inventory.csv")
    bucket = next(r for r in inventory if r["name"] == "ml-datasets-public")
    assert bucket["facet.storage.public"] == "true" and bucket["tags"] == "classification=restricted"
    assert bucket["facet.storage.replica_locations"] == "US"
    role = next(r for r in inventory if r["type"] == "aws.iam.role")
    assert role["name"] == "'" + FORMULA  # formula injection neutralised
    drift = _csv(d / "drift.csv")
    assert drift[0]["baseline"] == "prod@2" and drift[0]["path"] == "config.acl"
    assert drift[0]["before"] == "private" and drift[0]["after"] == "public-read"
    controls = _csv(d / "frameworks.csv")
    assert {"framework": "SOC2", "control": "CC6.1", "status": "FAIL", "pass": "1", "fail": "1", "unknown": "1"}.items() \
        <= next(r for r in controls if r["control"] == "CC6.1").items()


def test_json_matches_the_documented_shape(exported):
    doc = json.loads((exported.out_dir / "findings.json").read_text())
    assert doc["schema"] == "auditor-export/1" and doc["kind"] == "findings" and doc["count"] == 7
    assert {"finding_id", "rule_id", "severity", "status", "evidence", "frameworks", "remediation"} <= set(doc["items"][0])
    drift = json.loads((exported.out_dir / "drift.json").read_text())
    assert drift["status"] == "ok" and drift["baseline"]["name"] == "prod" and drift["count"] == 2
    edges = json.loads((exported.out_dir / "trust_edges.json").read_text())
    assert sum(e["cross_cloud"] for e in edges["items"]) == 2


def test_without_a_baseline_exports_say_so(seeded, tmp_path):
    r = export_snapshot(seeded.engine, seeded.snapshot_id, tmp_path / "nb", FORMATS)
    assert r.manifest["baseline"] is None and r.manifest["drift"].startswith("no baseline")
    assert json.loads((r.out_dir / "drift.json").read_text())["status"] == "no baseline"
    assert _csv(r.out_dir / "drift.csv")[0]["baseline"].startswith("no baseline")
    assert "No baseline" in (r.out_dir / "report.html").read_text()
    assert json.loads((r.out_dir / "drift.ocsf.json").read_text()) == []
    assert sarif_errors(json.loads((r.out_dir / "findings.sarif").read_text())) == []
    assert verify_manifest(r.out_dir) == []


def test_html_is_self_contained_and_escaped(exported):
    html = (exported.out_dir / "report.html").read_text()
    assert XSS not in html and "<script>alert" not in html and "&lt;script&gt;alert(" in html
    assert html.count("<script>") == 1  # only the report's own inline script
    for needle in ("src=", "href=\"http", "href='http", "@import", "url(http", "<link rel=\"stylesheet\""):
        assert needle not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for section in ("summary", "findings", "drift", "trust-graph", "residency", "frameworks"):
        assert f'id="{section}"' in html
    assert "<svg" in html and html.count('class="tg-node') == 5


def test_export_refuses_a_directory_with_foreign_files_but_replaces_its_own(seeded, tmp_path):
    out = tmp_path / "o"
    export_snapshot(seeded.engine, seeded.snapshot_id, out, ["json"])
    export_snapshot(seeded.engine, seeded.snapshot_id, out, ["csv"])  # replaces the previous export
    assert sorted(p.name for p in out.iterdir()) == sorted([*(n for n in EXPECTED if n.endswith(".csv")), "manifest.json"])
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not part of its export"):
        export_snapshot(seeded.engine, seeded.snapshot_id, out, ["csv"])
    with pytest.raises(UsageError, match="unknown export format"):
        export_snapshot(seeded.engine, seeded.snapshot_id, tmp_path / "p", ["pdf"])


def test_cli_export_and_exit_codes(seeded, tmp_path):
    db = str(seeded.engine.url)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = lambda *a: subprocess.run([sys.executable, "-m", "auditor", "--db", db, *a], capture_output=True, text=True,
                                    cwd=tmp_path, env=env)
    ok = run("export", "--snapshot", str(seeded.snapshot_id), "--format", "sarif", "--format", "html",
             "--out", str(tmp_path / "cli"))
    assert ok.returncode == 0, ok.stderr
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == ["findings.sarif", "manifest.json", "report.html"]
    assert verify_manifest(tmp_path / "cli") == []
    assert run("export", "--snapshot", "99", "--out", str(tmp_path / "x")).returncode == 2
    assert run("export", "--format", "pdf", "--out", str(tmp_path / "y")).returncode == 2


def test_the_report_puts_the_ml_platform_rules_side_by_side_per_cloud():
    """One table for the ML rules: FAIL per cloud (one rule judges all three), unknowns apart, PASS left out."""
    from types import SimpleNamespace

    from auditor.exports.html import _ml_platform

    def f(rule_id, provider, status="FAIL"):
        return {"rule_id": rule_id, "provider": provider, "status": status}

    findings = [f("ml.notebook_direct_internet", "aws"), f("ml.notebook_direct_internet", "gcp"),
                f("ml.notebook_direct_internet", "azure"), f("ml.notebook_direct_internet", "azure", "UNKNOWN"),
                f("cluster.public_endpoint", "gcp"), f("ml.model_provenance", "aws", "PASS"),
                f("storage.public", "aws")]
    data = SimpleNamespace(findings=findings, rule=lambda rid: {"title": f"<{rid}>"})
    html = _ml_platform(data)
    assert 'id="ml-platform"' in html and "storage.public" not in html and "ml.model_provenance" not in html
    row = html[html.index("ml.notebook_direct_internet</code>"):]
    assert [c for c in row.split("<td")[2:6]] and "&lt;ml.notebook_direct_internet&gt;" in html
    cells = [c.split(">", 1)[1].split("<", 1)[0] for c in row.split("<td")[2:6]]
    assert cells == ["1", "1", "1", "1"]  # aws, gcp, azure FAIL, then UNKNOWN
    assert "4 failing" in html
    empty = _ml_platform(SimpleNamespace(findings=[f("ml.model_provenance", "aws", "PASS")], rule=lambda rid: {}))
    assert "No failing or unknown ML platform checks" in empty
