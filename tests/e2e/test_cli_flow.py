"""The CLI end to end over real HTTP: collect, list, query, baseline, drift, check, export,
verify; and two audits started together (one runs, one exits with a clear message)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.e2e.conftest import ROOT, auditor


def test_collect_then_inspect(workspace, seeded):
    cwd = workspace.parent
    c = ["--config", str(workspace)]
    assert auditor(*c, "db", "upgrade", cwd=cwd).returncode == 0
    r = auditor(*c, "--format", "json", "collect", cwd=cwd)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["status"] == "complete" and summary["resources"] >= len(seeded.resources)

    snaps = json.loads(auditor(*c, "-f", "json", "snapshots", cwd=cwd).stdout)
    assert snaps[0]["status"] == "complete"
    units = json.loads(auditor(*c, "-f", "json", "units", cwd=cwd).stdout)
    assert units and all(u["status"] in ("ok", "empty") for u in units)
    buckets = json.loads(auditor(*c, "-f", "json", "resources", "--type", "aws.s3.*", cwd=cwd).stdout)
    assert seeded.keys("aws.s3.bucket") <= {b["resource_key"] for b in buckets}
    q = auditor(*c, "-f", "csv", "query", "SELECT count(*) AS n FROM current_resources", cwd=cwd)
    assert q.returncode == 0 and int(q.stdout.splitlines()[1]) == summary["resources"]
    refused = auditor(*c, "query", "DELETE FROM snapshots", cwd=cwd)
    assert refused.returncode == 2 and "read-only" in refused.stderr
    policy = json.loads(auditor(*c, "permissions", "aws", cwd=cwd).stdout)
    assert policy["Statement"]

    assert auditor(*c, "baseline", "approve", "--name", "prod", "--reason", "e2e", "--by", "ci", cwd=cwd).returncode == 0
    import boto3

    from auditor.demo.emulators.aws_seed import PRIMARY_ACCOUNT

    ec2 = boto3.client("ec2", endpoint_url=seeded.endpoint_url, region_name="eu-west-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    group = next(g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default")
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    try:
        assert auditor(*c, "collect", cwd=cwd).returncode == 0
        drift = auditor(*c, "-f", "json", "drift", "--baseline", "prod", "--fail-on", "high", cwd=cwd)
        assert drift.returncode == 1, drift.stderr
        items = json.loads(drift.stdout)
        hit = [i for i in items if group["GroupId"] in i["resource_key"]]
        assert hit and hit[0]["change"] == "modified" and hit[0]["severity"] in ("high", "critical")
        assert any(ch["path"].startswith("facets.ingress") for ch in hit[0]["changes"])
        check = auditor(*c, "-f", "json", "check", "--fail-on", "critical", cwd=cwd)
        findings = json.loads(check.stdout)
        assert any(f["rule_id"] == "network.admin_port_open" and f["status"] == "FAIL"
                   and group["GroupId"] in f["resource_key"] for f in findings)
        out = workspace.parent / "export"
        assert auditor(*c, "export", "--out", str(out), cwd=cwd).returncode == 0
        assert (out / "manifest.json").exists() and (out / "report.html").exists()
        assert auditor(*c, "verify", str(out), cwd=cwd).returncode == 0
        (out / "findings.json").write_text("[]")
        assert auditor(*c, "verify", str(out), cwd=cwd).returncode == 1
        assert auditor(*c, "verify", cwd=cwd).returncode == 0  # the audit log chain
    finally:
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert PRIMARY_ACCOUNT in {b["account"] for b in buckets}


def test_two_audits_started_together_one_runs(workspace):
    cwd = workspace.parent
    c = ["--config", str(workspace)]
    assert auditor(*c, "db", "upgrade", cwd=cwd).returncode == 0
    env = {"PYTHONPATH": str(ROOT)}
    import os

    procs = [subprocess.Popen([sys.executable, "-m", "auditor", *c, "audit", "--no-export", "--fail-on", "none"],
                              cwd=cwd, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 3], results
    loser = next(r for r in results if r[0] == 3)
    assert "another audit is running" in loser[2] and "Traceback" not in loser[2]
