"""`auditor compliance`: per-control status over a real seeded store, its errors, and the
generated coverage page (docs/compliance.md must match the registry)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from auditor.cli.main import run
from auditor.exports import compliance_view as cv
from auditor.model import Resource, UnitStatus
from auditor.rules.frameworks import _parse, tables
from auditor.store.ingest import SnapshotWriter
from collectors.runner import Unit, UnitResult
from tests.rules.examples import AWS_ACCT, res

ROOT = Path(__file__).resolve().parents[2]

# A benchmark table of our own, so the statuses do not move when the real tables gain rules.
TEST_TABLE = """\
# framework: CIS-AWS-9.9
# title: Test benchmark for the compliance view
# source: tests/cli/test_compliance.py
control_id,title,rules,upstream,note
1.1,S3 buckets are not public,storage.public,automated,
1.2,Instances require IMDSv2,compute.legacy_metadata,automated,
1.3,No admin ports open to the world,network.admin_port_open,automated,
1.4,VPC flow logs enabled,network.flow_logs_missing,automated,
1.5,Console users have MFA,iam.user_without_mfa,automated,
1.6,Maintain contact details,,manual,
1.7,Delegated admin manages Organizations policies,,automated,needs organizations:ListPolicies in the management account
"""


def public_bucket() -> Resource:
    return res("aws", "aws.s3.bucket", "storage", "open-data", {"public": True, "public_reasons": ["acl:AllUsers:READ"]})


def private_bucket() -> Resource:
    return res("aws", "aws.s3.bucket", "storage", "closed-data", {"public": False})


def safe_sg() -> Resource:
    from auditor.facets import rule as net_rule

    return res("aws", "aws.ec2.security_group", "network", "sg",
               {"ingress": [net_rule("ingress", "10.0.0.0/8", "tcp", 22, 22)], "egress": []})


def seed(engine) -> int:  # type: ignore[no-untyped-def]
    """Buckets (one public) and a private SG collected; EC2 instances denied; VPCs listed empty."""
    units = {
        Unit("aws", AWS_ACCT, "eu-west-1", "aws.s3.bucket"): (UnitStatus.OK, [public_bucket(), private_bucket()]),
        Unit("aws", AWS_ACCT, "eu-west-1", "aws.ec2.security_group"): (UnitStatus.OK, [safe_sg()]),
        Unit("aws", AWS_ACCT, "eu-west-1", "aws.ec2.vpc"): (UnitStatus.EMPTY, []),
        Unit("aws", AWS_ACCT, "eu-west-1", "aws.ec2.instance"): (UnitStatus.DENIED, []),
    }
    # every other AWS network type listed, empty: the network rules' whole category was collected
    for t in sorted(t for t, c in cv._type_categories().items() if t.startswith("aws.") and c == "network"):
        units.setdefault(Unit("aws", AWS_ACCT, "eu-west-1", t), (UnitStatus.EMPTY, []))
    with SnapshotWriter(engine, note="compliance tests") as w:
        for unit, (status, rs) in units.items():
            if rs:
                w.write(rs, unit)
            w.record_unit(UnitResult(unit=unit, status=status, resource_count=len(rs), api_calls=1,
                                     error=None if status.completed else "AccessDenied: ec2:DescribeInstances",
                                     started_at=datetime.now(timezone.utc), duration_s=0.01))
        w.finish()
        return w.snapshot_id


@pytest.fixture
def store_url(sqlite_url):  # type: ignore[no-untyped-def]
    from tests.conftest import migrated_engine

    with migrated_engine(sqlite_url) as engine:
        seed(engine)
    return sqlite_url


@pytest.fixture
def any_store_url(db_url):  # type: ignore[no-untyped-def]
    """The same store on SQLite and on PostgreSQL."""
    from tests.conftest import migrated_engine

    with migrated_engine(db_url) as engine:
        seed(engine)
    return db_url


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text("audit:\n  fail_on: none\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COLUMNS", raising=False)

    def invoke(url: str, *args: str) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            run(["--config", str(cfg), "--db", url, *args])
        out = capsys.readouterr()
        return int(exc.value.code or 0), out.out, out.err

    return invoke


@pytest.fixture
def test_table(monkeypatch):  # type: ignore[no-untyped-def]
    """The real tables plus TEST_TABLE, as `--framework` sees them."""
    extra = _parse("test.csv", TEST_TABLE)
    monkeypatch.setattr(cv, "tables", lambda: (*tables(), extra))
    return extra


def controls_of(doc: dict, key: str) -> dict[str, dict]:
    fw = next(f for f in doc["frameworks"] if f["framework"] == key)
    return {c["control"]: c for c in fw["controls"]}


def test_each_status_with_its_reason(cli, any_store_url, test_table):  # type: ignore[no-untyped-def]
    code, out, err = cli(any_store_url, "compliance", "--framework", "cis-aws-9.9", "-f", "json")
    assert code == 0, err
    doc = json.loads(out)
    c = controls_of(doc, "CIS-AWS-9.9")
    # FAIL names the failing resource (and only it: the private bucket passes)
    assert c["1.1"]["status"] == "FAIL" and c["1.1"]["rules"] == ["storage.public"]
    assert c["1.1"]["failing_count"] == 1 and c["1.1"]["pass_count"] == 1
    assert c["1.1"]["failing_resources"] == [public_bucket().resource_key]
    # the EC2 instance unit was denied: UNKNOWN, never "no resources in scope"
    assert c["1.2"]["status"] == "UNKNOWN" and "inputs not collected" in c["1.2"]["reason"]
    assert "aws.ec2.instance" in c["1.2"]["reason"] and "denied" in c["1.2"]["reason"]
    assert c["1.3"]["status"] == "PASS" and c["1.3"]["pass_count"] == 1
    # VPCs were listed completely and there are none: PASS because that unit answered
    assert c["1.4"]["status"] == "PASS" and c["1.4"]["reason"].startswith("no resources in scope")
    # no AWS IAM unit at all in this snapshot: a run that saw nothing never says PASS
    assert c["1.5"]["status"] == "UNKNOWN" and "nothing its rules read was collected for aws" in c["1.5"]["reason"]
    assert c["1.6"]["status"] == "MANUAL" and c["1.6"]["automation"] == "manual"
    assert c["1.7"]["status"] == "NOT_COLLECTED" and "organizations:ListPolicies" in c["1.7"]["reason"]
    summary = doc["frameworks"][0]["summary"]
    assert summary == {"controls": 7, "FAIL": 1, "UNKNOWN": 2, "PASS": 2, "MANUAL": 1, "NOT_COLLECTED": 1}


def test_json_shape(cli, store_url):  # type: ignore[no-untyped-def]
    code, out, _ = cli(store_url, "compliance", "-f", "json")
    doc = json.loads(out)
    assert set(doc) == {"snapshot_id", "coverage", "frameworks"} and doc["snapshot_id"] == 1
    assert doc["coverage"]["units"]["denied"] == 1 and doc["coverage"]["planned"] > doc["coverage"]["ok"]
    cis = {t.key: t for t in tables() if t.key.startswith("CIS-")}
    assert [f["framework"] for f in doc["frameworks"]] == list(cis)  # default: every CIS table, none other
    for fw in doc["frameworks"]:
        assert set(fw) == {"framework", "title", "source", "summary", "controls"}
        assert fw["summary"]["controls"] == len(fw["controls"]) == len(cis[fw["framework"]].controls)
        for c in fw["controls"]:
            assert set(c) == {"framework", "control", "title", "status", "automation", "upstream", "rules", "reason",
                              "failing_count", "unknown_count", "pass_count", "failing_resources", "unknown_resources"}
            assert c["status"] in cv.STATUSES
            assert (c["status"] in ("MANUAL", "NOT_COLLECTED")) == (not c["rules"])
            if c["rules"] and c["framework"].startswith(("CIS-GCP", "CIS-Azure")):
                assert c["status"] == "UNKNOWN"  # only AWS was collected: never PASS on another cloud


def test_real_aws_tables_show_the_public_bucket(cli, store_url):  # type: ignore[no-untyped-def]
    code, out, _ = cli(store_url, "compliance", "--framework", "CIS-AWS", "-f", "json")
    doc = json.loads(out)
    assert [f["framework"] for f in doc["frameworks"]] == ["CIS-AWS-6.0", "CIS-AWS-7.0"]
    for fw in doc["frameworks"]:
        mapped = [c for c in fw["controls"] if "storage.public" in c["rules"]]
        assert mapped, f"{fw['framework']}: no control maps storage.public"
        for c in mapped:
            assert c["status"] == "FAIL" and public_bucket().resource_key in c["failing_resources"]


def test_table_output_lists_failing_resources_and_counts(cli, store_url, test_table):  # type: ignore[no-untyped-def]
    code, out, _ = cli(store_url, "compliance", "--framework", "CIS-AWS-9.9")
    assert code == 0
    assert "1: " + public_bucket().resource_key in out
    assert "CIS-AWS-9.9: 7 controls: 1 FAIL, 2 UNKNOWN, 2 PASS, 1 MANUAL, 1 NOT_COLLECTED" in out
    code, out, _ = cli(store_url, "compliance", "--framework", "CIS-AWS-9.9", "-f", "csv")
    rows = out.splitlines()
    assert rows[0].startswith("framework,control,title,status") and len(rows) == 8


def test_list_shows_automation_and_why(cli, store_url, test_table):  # type: ignore[no-untyped-def]
    code, out, _ = cli(store_url, "compliance", "--list", "--framework", "cis-aws-9.9", "-f", "json")
    rows = {r["control"]: r for r in json.loads(out)}
    assert rows["1.1"]["automation"] == "automated" and rows["1.1"]["why"] == "judged by storage.public"
    assert rows["1.6"]["automation"] == "manual"
    assert rows["1.7"]["automation"] == "not_collected"
    assert rows["1.7"]["why"] == "needs organizations:ListPolicies in the management account"


def test_unknown_framework_lists_valid_keys(cli, store_url):  # type: ignore[no-untyped-def]
    code, out, err = cli(store_url, "compliance", "--framework", "cis-aws-1.0")
    assert code == 2 and out == ""
    assert "unknown framework 'cis-aws-1.0'" in err and "CIS-AWS-7.0" in err and "CIS-GCP-5.0" in err
    code, _, err = cli(store_url, "compliance", "--framework", "cis-a")  # a prefix ends where a key part ends
    assert code == 2 and "unknown framework" in err


def test_no_snapshot_yet(cli, sqlite_url):  # type: ignore[no-untyped-def]
    from tests.conftest import migrated_engine

    with migrated_engine(sqlite_url):
        pass
    code, out, err = cli(sqlite_url, "compliance")
    assert code == 2 and "no finished snapshot yet" in err


def test_compliance_is_read_only(cli, store_url):  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from auditor.store.engine import make_engine
    from auditor.store.schema import findings, trust_edges

    cli(store_url, "compliance")
    engine = make_engine(store_url)
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(findings)).scalar() == 0
        assert c.execute(select(func.count()).select_from(trust_edges)).scalar() == 0
    engine.dispose()


def test_coverage_rows_partition_every_table() -> None:
    for row, t in zip(cv.coverage_rows(), cv.default_tables()):
        assert row["framework"] == t.key
        assert row["automated"] + row["manual"] + row["not_collected"] == row["controls"] == len(t.controls)
        assert row["automatable_automated"] <= min(row["automated"], row["automatable_upstream"])


def test_docs_compliance_md_is_current() -> None:
    page = ROOT / "docs" / "compliance.md"
    assert page.exists(), f"docs/compliance.md is missing; generate it: {cv.REGENERATE}"
    assert page.read_text(encoding="utf-8") == cv.coverage_markdown(), \
        f"docs/compliance.md is stale (the framework tables or rules changed); regenerate it: {cv.REGENERATE}"


def test_coverage_markdown_command_prints_the_page(cli, store_url) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(store_url, "compliance", "--coverage", "-f", "markdown")
    assert code == 0 and out == cv.coverage_markdown()
    code, _, err = cli(store_url, "compliance", "-f", "markdown")
    assert code == 2 and "markdown" in err
