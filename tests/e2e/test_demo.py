"""`auditor demo` end to end, exactly as a newcomer runs it: the report is written, findings
and drift are non-empty, the export manifest verifies, and no secret reaches the database."""

from __future__ import annotations

import json
import sqlite3

from tests.e2e.conftest import auditor


def test_demo_runs_end_to_end(tmp_path):
    work = tmp_path / "demo"
    r = auditor("demo", "--workdir", str(work), cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "SIMULATED ESTATE" in r.stdout and "Traceback" not in r.stderr
    assert "exit code 0" in r.stdout and "exit code 1" not in r.stdout  # the printed code is the returned one

    exports = sorted((work / "exports").glob("snapshot-*"))
    assert exports, "no export directory"
    report = exports[-1] / "report.html"
    assert report.exists() and report.stat().st_size > 10_000
    cfg = ["--config", str(work / "auditor.yaml")]
    assert auditor(*cfg, "verify", str(exports[-1]), cwd=tmp_path).returncode == 0
    assert auditor(*cfg, "verify", cwd=tmp_path).returncode == 0  # the baseline audit log chain
    iac = sorted((work / "exports").glob("iac-*"))  # the same snapshot judged against the Terraform state
    assert iac and 'id="iac-coverage"' in (iac[-1] / "report.html").read_text()
    assert auditor(*cfg, "verify", str(iac[-1]), cwd=tmp_path).returncode == 0

    drift = auditor(*cfg, "-f", "json", "drift", "--fail-on", "none", cwd=tmp_path)
    assert drift.returncode == 0, drift.stderr
    items = json.loads(drift.stdout)
    changes = {i["change"] for i in items}
    assert {"added", "removed", "modified"} <= changes
    assert "removed" not in {i["change"] for i in items if i["provider"] == "azure"}  # denied subscription: unknown

    db = sqlite3.connect(work / "auditor.db")
    failing = {row[0] for row in db.execute("SELECT rule_id FROM findings WHERE status = 'FAIL'")}
    for rule in ("storage.public", "network.admin_port_open", "identity.aws.oidc_shared_unpinned",
                 "iam.user_without_mfa"):
        assert rule in failing, rule
    assert any(r.startswith("residency.") for r in failing)
    cross = db.execute("SELECT count(*) FROM trust_edges WHERE cross_cloud").fetchone()[0]
    assert cross > 0

    # every facet the three collectors wrote is in the shared vocabulary (auditor/facets.py)
    from auditor.facets import unknown_facet_keys

    for type_, category, facets in db.execute("SELECT type, category, facets FROM resource_versions"):
        assert not unknown_facet_keys(category, json.loads(facets)), type_

    # nothing secret-shaped in any stored document
    dump = "\n".join(str(row) for row in db.execute("SELECT tags, config, facets FROM resource_versions"))
    from auditor.demo.emulators.aws_seed import SecretMarkers

    planted = (*SecretMarkers().all(), "hunter2", "Seeded-Passw0rd!", "Temp-Passw0rd-2026!", "export TOKEN=")
    for marker in planted:
        assert marker not in dump, marker
