"""`auditor worker` refuses, in one line with exit 2, what cannot work."""

from __future__ import annotations

import yaml

from tests.e2e.conftest import auditor


def test_worker_needs_a_broker_and_postgresql(tmp_path):
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(yaml.safe_dump({"database": {"url": f"sqlite:///{tmp_path / 'a.db'}"}}))
    out = auditor("--config", str(cfg), "worker", cwd=tmp_path, timeout=120)
    assert out.returncode == 2 and "distributed.broker_url is not set" in out.stderr
    cfg.write_text(yaml.safe_dump({"database": {"url": f"sqlite:///{tmp_path / 'a.db'}"},
                                   "distributed": {"broker_url": "amqp://u:s3cret@127.0.0.1:5672//"}}))
    auditor("--config", str(cfg), "init", cwd=tmp_path, timeout=120)
    out = auditor("--config", str(cfg), "worker", cwd=tmp_path, timeout=120)
    assert out.returncode == 2 and "PostgreSQL" in out.stderr and "s3cret" not in out.stderr + out.stdout
