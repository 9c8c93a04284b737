"""The export's per-framework compliance summary: compliance.csv / compliance.json in the
manifest, and a compact section in the HTML report, from a snapshot checked for real."""

from __future__ import annotations

import csv
import json

import pytest

from auditor.config.schema import AuditorConfig
from auditor.exports.bundle import FORMATS, export_snapshot
from auditor.exports.compliance_view import STATUSES, default_tables
from auditor.exports.manifest import verify_manifest
from auditor.rules.engine import run_checks
from tests.cli.test_compliance import public_bucket, seed
from tests.conftest import migrated_engine


@pytest.fixture
def engine(sqlite_url):  # type: ignore[no-untyped-def]
    with migrated_engine(sqlite_url) as e:
        yield e


def test_compliance_files_are_sealed_and_agree(engine, tmp_path):  # type: ignore[no-untyped-def]
    sid = seed(engine)
    run_checks(engine, AuditorConfig(), sid, persist=True)
    result = export_snapshot(engine, sid, tmp_path / "out", FORMATS)
    d = result.out_dir
    assert {"compliance.csv", "compliance.json"} <= set(result.manifest["files"])
    assert verify_manifest(d) == []
    doc = json.loads((d / "compliance.json").read_text())
    assert doc["kind"] == "compliance" and doc["snapshot"]["id"] == sid
    total = sum(len(t.controls) for t in default_tables())
    assert doc["count"] == len(doc["items"]) == total
    with (d / "compliance.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == total
    key = public_bucket().resource_key
    for item, row in zip(doc["items"], rows):
        assert (row["framework"], row["control"], row["status"]) == (item["framework"], item["control"], item["status"])
        assert int(row["failing_count"]) == item["failing_count"]
        if "storage.public" in item["rules"] and item["framework"].startswith("CIS-AWS"):
            assert item["status"] == "FAIL" and item["failing_resources"] == [key]
            assert row["failing_resources"] == key and row["rules"] == "; ".join(item["rules"])
    by_fw = {s["framework"]: s for s in doc["summary"]}
    assert set(by_fw) == {t.key for t in default_tables()}
    for s in by_fw.values():
        assert sum(s[k] for k in STATUSES) == s["controls"]
    assert by_fw["CIS-AWS-7.0"]["FAIL"] >= 1
    assert by_fw["CIS-GCP-5.0"]["PASS"] == 0  # nothing of GCP was collected

    html = (d / "report.html").read_text()
    start = html.index('id="compliance"')
    section = html[start:html.index("</section>", start)]
    assert "CIS-AWS-7.0" in section and "failing controls" in section
    assert key not in section  # counts, not resources: the report stays small
    assert len(section) < 8000


def test_a_snapshot_never_checked_is_unknown_not_pass(engine, tmp_path):  # type: ignore[no-untyped-def]
    sid = seed(engine)  # collected, but `auditor check` never ran: no stored findings
    result = export_snapshot(engine, sid, tmp_path / "out", ["json"])
    items = json.loads((result.out_dir / "compliance.json").read_text())["items"]
    judged = [i for i in items if i["rules"]]
    assert judged and all(i["status"] == "UNKNOWN" for i in judged)
    assert all("did not run" in i["reason"] or "not registered" in i["reason"] for i in judged)


def test_a_disabled_rule_is_unknown_not_no_resources(engine, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """VPCs were listed empty, so network.flow_logs_missing has nothing to judge: PASS when the
    rule ran, UNKNOWN when the config disabled it (it judged nothing because it never ran)."""
    from auditor.config.schema import ChecksConfig
    from auditor.exports import compliance_view as cv
    from auditor.rules.frameworks import _parse, tables
    from tests.cli.test_compliance import TEST_TABLE

    extra = _parse("test.csv", TEST_TABLE)  # 1.4 is judged by network.flow_logs_missing alone
    monkeypatch.setattr(cv, "tables", lambda: (*tables(), extra))

    sid = seed(engine)
    config = AuditorConfig(checks=ChecksConfig(disabled_rules=["network.flow_logs_missing"]))
    run_checks(engine, config, sid, persist=True)

    def flow_logs(disabled: list[str]) -> list[dict]:
        out = tmp_path / f"out-{len(disabled)}"
        export_snapshot(engine, sid, out, ["json"], disabled_rules=disabled)
        items = json.loads((out / "compliance.json").read_text())["items"]
        return [i for i in items if (i["framework"], i["control"]) == ("CIS-AWS-9.9", "1.4")]

    ran, skipped = flow_logs([]), flow_logs(["network.flow_logs_missing"])
    assert ran and all(i["status"] == "PASS" and i["reason"].startswith("no resources in scope") for i in ran)
    assert skipped and all(i["status"] == "UNKNOWN" and "did not run" in i["reason"] for i in skipped)


def test_a_cloud_benchmark_counts_only_that_clouds_resources() -> None:
    """storage.public maps to CIS AWS and CIS GCP controls: a failing GCP bucket fails the GCP
    control only, in the compliance view and in the framework view alike."""
    from auditor.exports.compliance_view import compliance_view
    from auditor.exports.framework_view import framework_view
    from auditor.rules.frameworks import _parse

    aws = _parse("a.csv", "# framework: CIS-AWS-9.9\n# title: t\n# source: s\ncontrol_id,title,rules,upstream,note\n"
                          "1,public,storage.public,automated,\n")
    gcp = _parse("g.csv", "# framework: CIS-GCP-9.9\n# title: t\n# source: s\ncontrol_id,title,rules,upstream,note\n"
                          "1,public,storage.public,automated,\n")
    fw = {"CIS-AWS-9.9": ["1"], "CIS-GCP-9.9": ["1"]}
    findings = [
        {"finding_id": "a", "rule_id": "storage.public", "provider": "aws", "resource_key": "aws-b", "status": "PASS",
         "frameworks": fw},
        {"finding_id": "g", "rule_id": "storage.public", "provider": "gcp", "resource_key": "gcp-b", "status": "FAIL",
         "frameworks": fw},
    ]
    units = [{"provider": "aws", "resource_type": "aws.s3.bucket", "status": "ok", "resource_count": 1},
             {"provider": "gcp", "resource_type": "gcp.storage.bucket", "status": "ok", "resource_count": 1}]
    categories = {"aws.s3.bucket": "storage", "gcp.storage.bucket": "storage"}  # the storage types there are
    by_fw = {r.framework: r for r in compliance_view(findings, units, frameworks=[aws, gcp], categories=categories)}
    assert (by_fw["CIS-AWS-9.9"].status, by_fw["CIS-AWS-9.9"].failing) == ("PASS", ())
    assert (by_fw["CIS-GCP-9.9"].status, by_fw["CIS-GCP-9.9"].failing) == ("FAIL", ("gcp-b",))
    view = {c.framework: c for c in framework_view(findings)}
    assert (view["CIS-AWS-9.9"].status, view["CIS-AWS-9.9"].failed) == ("PASS", 0)
    assert view["CIS-GCP-9.9"].failing == ("gcp-b",)


def test_pass_needs_every_type_the_rules_judge() -> None:
    """A category rule that passed on buckets proves nothing about volumes nobody listed."""
    from auditor.exports.compliance_view import compliance_view
    from auditor.rules.frameworks import _parse

    t = _parse("a.csv", "# framework: CIS-AWS-9.9\n# title: t\n# source: s\ncontrol_id,title,rules,upstream,note\n"
                        "1,public,storage.public,automated,\n")
    findings = [{"finding_id": "a", "rule_id": "storage.public", "provider": "aws", "resource_key": "b",
                 "status": "PASS"}]
    bucket = {"provider": "aws", "resource_type": "aws.s3.bucket", "status": "ok", "resource_count": 1}
    volume = {"provider": "aws", "resource_type": "aws.ec2.volume", "status": "empty", "resource_count": 0}
    categories = {"aws.s3.bucket": "storage", "aws.ec2.volume": "storage"}
    [partial] = compliance_view(findings, [bucket], frameworks=[t], categories=categories)
    assert partial.status == "UNKNOWN" and "not collected in this snapshot: aws.ec2.volume" in partial.reason
    [whole] = compliance_view(findings, [bucket, volume], frameworks=[t], categories=categories)
    assert (whole.status, whole.reason) == ("PASS", "1 resource passes")
