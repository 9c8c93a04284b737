"""Coverage is part of the verdict: a run that saw nothing exits 3, says so, and notifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from auditor.config.schema import CoverageFloor
from auditor.coverage import Coverage
from auditor.store import migrate
from auditor.store.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, aws: dict, webhook_url: str | None = None, extra_env: dict | None = None):
    cfg = {
        "database": {"url": f"sqlite:///{tmp_path / 'auditor.db'}"},
        "collection": {"progress": False, "max_attempts": 1, "connect_timeout_s": 1, "read_timeout_s": 2},
        "aws": {"regions": ["us-east-1"], "accounts": [{"id": "123456789012"}], **aws},
        "export": {"out_dir": str(tmp_path / "out")},
        "audit": {"fail_on": "none"},  # coverage decides whatever --fail-on says
    }
    if webhook_url:
        cfg["notifications"] = {"webhooks": [{"url": webhook_url, "min_severity": "critical"}]}
    path = tmp_path / "auditor.yaml"
    path.write_text(yaml.safe_dump(cfg))
    engine = make_engine(cfg["database"]["url"])
    migrate.upgrade(engine)
    engine.dispose()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    env.pop("AUDITOR_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "auditor", "-c", str(path), "-f", "json", "audit", "--no-export"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_all_endpoints_dead_exits_3_and_posts_one_webhook(tmp_path, dead_url, webhook):
    r = _run(tmp_path, {"credential_source": "static-test", "endpoint_url": dead_url}, webhook.url)
    assert r.returncode == 3, r.stderr
    summary = json.loads(r.stdout)
    assert summary["snapshot_status"] == "failed"
    assert summary["coverage"]["ok"] == 0 and summary["coverage"]["planned"] > 0
    assert any(b.startswith("aws: no unit succeeded") for b in summary["coverage_breaches"])
    assert len(webhook.posts) == 1
    post = webhook.posts[0]
    assert "coverage below the floor" in post["text"]
    assert post["auditor"]["coverage"]["providers"]["aws"]["ok"] == 0
    assert post["auditor"]["exit_code"] == 3


def test_no_credentials_exits_3_with_coverage_named(tmp_path, dead_url):
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
           "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    env = {k: v for k, v in env.items() if v}
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.get(k) and env.setdefault(k, "")
    r = _run(tmp_path, {"endpoint_url": dead_url}, extra_env=env)
    assert r.returncode == 3, r.stderr
    summary = json.loads(r.stdout)
    assert summary["coverage"]["ok"] == 0
    assert "aws account 123456789012: every unit denied" in " ".join(summary["coverage_breaches"]), summary
    assert "coverage below the floor" in r.stderr


def _cov(*rows):
    return Coverage.of(rows)


def test_floor_default_flags_dead_provider_and_fully_denied_account():
    cov = _cov(("aws", "111", "ok"), ("aws", "222", "denied"), ("aws", "222", "denied"),
               ("gcp", "p", "error"), ("gcp", "p", "skipped"), ("azure", "s", "empty"))
    breaches = cov.breaches(CoverageFloor())
    assert breaches == ["gcp: no unit succeeded (1 error, 1 skipped)", "aws account 222: every unit denied (2)"]
    assert cov.total.ok == 2 and cov.total.planned == 5  # skipped units are in neither side
    assert cov.line() == "coverage 2/5 units (aws 1/3, azure 1/1, gcp 0/1)"


def test_floor_ratio_and_switches():
    cov = _cov(("aws", "1", "ok"), ("aws", "1", "error"), ("aws", "1", "throttled"), ("aws", "1", "ok"))
    assert cov.breaches(CoverageFloor()) == []
    assert cov.breaches(CoverageFloor(min_ratio=0.9)) == ["coverage 2/4 is below the floor 90%"]
    dead = _cov(("aws", "1", "denied"))
    assert dead.breaches(CoverageFloor(provider_without_success=False, account_fully_denied=False)) == []


def test_snapshot_with_no_successful_unit_is_failed_and_its_writes_undone(sqlite_store):
    from auditor.model import UnitStatus
    from auditor.store.ingest import ingest
    from tests.store.helpers import BUCKETS, bucket, result

    sid, status, _ = ingest(sqlite_store, [[bucket(1)]], [result(BUCKETS, UnitStatus.ERROR, 1, "boom")])
    assert status == "failed"
    with sqlite_store.connect() as c:
        assert c.exec_driver_sql(f"SELECT count(*) FROM resource_versions WHERE valid_from = {sid}").scalar() == 0
        assert "no collection unit succeeded (1 error)" in c.exec_driver_sql(
            f"SELECT error FROM snapshots WHERE id = {sid}").scalar()
