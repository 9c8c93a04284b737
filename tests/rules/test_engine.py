"""Posture rules over facets for all three clouds, statuses, stable ids, persistence and the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from auditor.rules.engine import evaluate, failing_at_or_above, run_checks
from auditor.rules.registry import all_rules
from auditor.rules.verdict import FINDING_KEYS, SEVERITIES, finding_id
from auditor.config.schema import AuditorConfig, ChecksConfig, EstateConfig, ResidencyConfig
from auditor.facets import rule as net_rule
from auditor.model import make_resource
from auditor.store.engine import make_engine
from auditor.store.migrate import upgrade
from auditor.store.schema import findings as findings_table
from tests.identity.factories import AWS_ACCT, GCP_PROJECT, SUB, TENANT, seed, stored, three_cloud_estate

CONFIG = AuditorConfig(
    estate=EstateConfig(aws_accounts=[AWS_ACCT], gcp_projects=[GCP_PROJECT], azure_tenants=[TENANT],
                        github_orgs=["1342004"]),
    residency=ResidencyConfig(allowed={"internal": ["*"], "restricted": ["EU"]}),
    checks=ChecksConfig(access_key_max_age_days=90, sa_key_max_age_days=30),
)
FRAMEWORK_KEYS = {"CIS-AWS-7.0", "CIS-AWS-6.0", "CIS-GCP-5.0", "CIS-GCP-4.0", "CIS-Azure-6.0", "CIS-Azure-5.0",
                  "SOC2-2017", "ISO27001-2022", "GDPR-2016"}

AS_OF_TIME = datetime(2026, 6, 1, tzinfo=timezone.utc)


def ago(days: int) -> str:
    """A timestamp ``days`` before the snapshot time: facets carry timestamps, rules compute ages."""
    return (AS_OF_TIME - timedelta(days=days)).isoformat()


def res(provider, type_, category, name, facets, *, region="eu-west-1", config=None, tags=None):
    account = {"aws": AWS_ACCT, "gcp": GCP_PROJECT, "azure": SUB}[provider]
    return make_resource(provider=provider, account=account, region=region, category=category, type=type_,
                         native_id=f"{type_}/{name}", name=name, config=config or {"name": name}, tags=tags or {},
                         facets=facets)


def posture_estate():
    return [
        res("aws", "aws.s3.bucket", "storage", "open", {"public": True, "public_reasons": ["policy:Principal *"]}),
        res("gcp", "gcp.storage.bucket", "storage", "closed", {"public": False}, region="europe-west1"),
        res("azure", "azure.storage.account", "storage", "unknown", {"public": None}, region="westeurope"),
        res("aws", "aws.s3.bucket", "storage", "secret", {"public": False, "key_management": "provider"},
            tags={"data-classification": "restricted"}),
        res("aws", "aws.ec2.security_group", "network", "ssh-world",
            {"ingress": [net_rule("ingress", "0.0.0.0/0", "tcp", 22, 22)], "egress": []}),
        res("gcp", "gcp.compute.firewall", "network", "rdp-world",
            {"ingress": [net_rule("ingress", "0.0.0.0/0", "all", priority=1000)], "egress": []}, region="global"),
        res("azure", "azure.network.nsg", "network", "denied-first",
            {"ingress": [net_rule("ingress", "0.0.0.0/0", "tcp", 22, 22, "deny", 100),
                         net_rule("ingress", "0.0.0.0/0", "tcp", 22, 22, "allow", 200),
                         net_rule("ingress", "10.0.0.0/8", "tcp", 3389, 3389, "allow", 300)],
             "egress": [], "flow_logs": None}, region="westeurope"),
        res("aws", "aws.ec2.instance", "compute", "imdsv1", {"legacy_metadata": True, "locations": ["eu-west-1a"]}),
        res("gcp", "gcp.compute.instance", "compute", "modern", {"legacy_metadata": False}, region="europe-west1-b"),
        res("aws", "aws.iam.user", "iam", "alice", {"mfa": False, "console_access": True,
                                                    "access_keys": [{"id_suffix": "ABCD", "active": True, "created": ago(400)}]}),
        res("aws", "aws.iam.user", "iam", "robot", {"mfa": False, "console_access": False,
                                                    "access_keys": [{"id_suffix": "WXYZ", "active": True, "created": ago(10)}]}),
        res("gcp", "gcp.iam.service_account_key", "iam", "old-key", {"key_created": ago(120), "user_managed": True},
            region="global"),
        res("aws", "aws.iam.policy", "iam", "star", {"admin": True, "malformed": []}, region="global",
            config={"Arn": "arn:aws:iam::111122223333:policy/star", "PolicyVersionList": [
                {"VersionId": "v1", "IsDefaultVersion": True,
                 "Document": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}),
        res("aws", "aws.ec2.vpc", "network", "vpc-nolog", {"flow_logs": False, "ingress": None}),
        res("gcp", "gcp.compute.subnetwork", "network", "subnet-log", {"flow_logs": True}, region="europe-west1"),
    ]


@pytest.fixture
def findings():
    rs = [stored(r) for r in posture_estate()]
    out, _ = evaluate(rs, rs, CONFIG, as_of=AS_OF_TIME)
    return {(f.rule_id, f.resource_key.rsplit("/", 1)[-1]): f for f in out}


@pytest.mark.parametrize("rule_id,name,status", [
    ("storage.public", "open", "FAIL"), ("storage.public", "closed", "PASS"), ("storage.public", "unknown", "UNKNOWN"),
    ("storage.customer_key_required", "secret", "FAIL"),
    ("network.admin_port_open", "ssh-world", "FAIL"), ("network.admin_port_open", "rdp-world", "FAIL"),
    ("network.admin_port_open", "denied-first", "PASS"),  # higher-priority internet-wide deny wins
    ("compute.legacy_metadata", "imdsv1", "FAIL"), ("compute.legacy_metadata", "modern", "PASS"),
    ("iam.user_without_mfa", "alice", "FAIL"),
    ("iam.access_key_stale", "alice", "FAIL"), ("iam.access_key_stale", "robot", "PASS"),
    ("iam.sa_key_old", "old-key", "FAIL"),
    ("iam.wildcard_admin", "star", "FAIL"),
    ("network.flow_logs_missing", "vpc-nolog", "FAIL"), ("network.flow_logs_missing", "subnet-log", "PASS"),
    ("network.flow_logs_missing", "denied-first", "UNKNOWN"),
])
def test_posture_rules_over_facets(findings, rule_id, name, status):
    assert findings[(rule_id, name)].status == status


def test_rules_that_do_not_apply_produce_nothing(findings):
    assert ("iam.user_without_mfa", "robot") not in findings  # no console access: MFA does not apply
    assert ("storage.customer_key_required", "open") not in findings  # internal data: CMK not required


def test_finding_shape_ids_and_framework_mapping(findings):
    f = findings[("storage.public", "open")]
    d = f.as_dict()
    assert tuple(d) == FINDING_KEYS
    assert d["finding_id"] == finding_id("storage.public", f.resource_key)
    assert len(d["finding_id"]) == 32 and d["severity"] in SEVERITIES
    assert d["frameworks"]["CIS-AWS-7.0"] == ["2.21", "3.1.4"] and d["frameworks"]["SOC2-2017"] == ["CC6.1"]
    for rule in all_rules().values():
        assert rule.severity in SEVERITIES
        assert set(rule.frameworks) <= FRAMEWORK_KEYS and rule.frameworks
        assert all(isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in rule.frameworks.values())
    assert all_rules()["residency.replica_location"].frameworks["GDPR-2016"] == ["Art.44", "Art.46"]


def test_fail_on_threshold(findings):
    fs = list(findings.values())
    assert failing_at_or_above(fs, "none") == []
    high = failing_at_or_above(fs, "high")
    assert high and all(f.severity in ("high", "critical") for f in high)
    assert len(failing_at_or_above(fs, "low")) > len(high)


def test_unknown_state_makes_every_verdict_unknown():
    r = stored(posture_estate()[0], state="unknown")
    out, _ = evaluate([r], [r], CONFIG, rules=["storage.public"])
    assert [f.status for f in out] == ["UNKNOWN"]
    assert "collection incomplete" in out[0].message


@pytest.fixture
def engine(sqlite_url):
    e = make_engine(sqlite_url)
    upgrade(e)
    yield e
    e.dispose()


def test_persisted_per_snapshot_and_stable_across_runs(engine):
    sid1 = seed(engine, posture_estate() + three_cloud_estate())
    first = run_checks(engine, CONFIG, sid1)
    again = run_checks(engine, CONFIG, sid1)  # idempotent: replaces, never duplicates
    with engine.connect() as c:
        rows = c.execute(select(findings_table).where(findings_table.c.snapshot_id == sid1)).mappings().all()
    assert len(rows) == len(first) == len(again)
    assert {r["finding_id"] for r in rows} == {f.finding_id for f in first}
    row = next(r for r in rows if r["rule_id"] == "identity.chain_to_admin" and r["status"] == "FAIL")
    assert json.loads(row["frameworks"])["SOC2-2017"] and json.loads(row["evidence"])["chains"]
    subset = run_checks(engine, CONFIG, sid1, rules=["storage.*"], persist=False)
    assert subset and {f.rule_id for f in subset} <= {r for r in all_rules() if r.startswith("storage.")}


def test_resource_whose_unit_failed_later_is_unknown(engine):
    estate = posture_estate()
    seed(engine, estate)
    failed = {(r.provider, r.account, r.region, r.type) for r in estate if r.type == "aws.s3.bucket"}
    sid2 = seed(engine, [r for r in estate if r.type != "aws.s3.bucket"], failed_units=failed)
    out = {(f.rule_id, f.resource_key.rsplit("/", 1)[-1]): f for f in run_checks(engine, CONFIG, sid2)}
    assert out[("storage.public", "open")].status == "UNKNOWN"  # was FAIL; not collected this time
    assert out[("storage.public", "closed")].status == "PASS"


def _cli(tmp_path: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(
        f"estate:\n  aws_accounts: ['{AWS_ACCT}']\n  gcp_projects: ['{GCP_PROJECT}']\n  azure_tenants: ['{TENANT}']\n"
        "residency:\n  allowed:\n    internal: ['*']\n    restricted: ['EU']\naudit:\n  fail_on: critical\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "COLUMNS": "400"}
    return subprocess.run([sys.executable, "-m", "auditor", "--config", str(cfg), "--db", db, *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_cli_check_identity_and_exit_codes(engine, sqlite_url, tmp_path):
    seed(engine, posture_estate() + three_cloud_estate())
    done = _cli(tmp_path, sqlite_url, "check", "--format", "json", "--fail-on", "high")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data and all(set(f) == set(FINDING_KEYS) for f in data)
    assert _cli(tmp_path, sqlite_url, "check", "--rules", "compute.legacy_metadata", "--fail-on", "high").returncode == 0
    assert _cli(tmp_path, sqlite_url, "check", "--rules", "nope.*").returncode == 2
    assert _cli(tmp_path, sqlite_url, "check", "--fail-on", "severe").returncode == 2
    dot = _cli(tmp_path, sqlite_url, "identity", "--format", "dot")
    assert dot.returncode == 0 and dot.stdout.startswith("digraph trust {")
    js = json.loads(_cli(tmp_path, sqlite_url, "identity", "--format", "json").stdout)
    assert any(c["reaches_admin"] and c["cross_cloud"] for c in js["chains"])
    table = _cli(tmp_path, sqlite_url, "identity")
    assert table.returncode == 0 and "aws_google" in table.stdout


def test_findings_and_edges_persist_on_both_backends(db_url):
    """SQLite and PostgreSQL (skips with a reason when the server is unreachable outside CI)."""
    from auditor.store.schema import trust_edges

    e = make_engine(db_url)
    try:
        upgrade(e)
        sid = seed(e, three_cloud_estate())
        out = run_checks(e, CONFIG, sid)
        with e.connect() as c:
            n_findings = len(c.execute(select(findings_table.c.finding_id).where(findings_table.c.snapshot_id == sid)).all())
            edges = c.execute(select(trust_edges.c.cross_cloud).where(trust_edges.c.snapshot_id == sid)).scalars().all()
        assert n_findings == len(out) and any(edges)
    finally:
        e.dispose()
