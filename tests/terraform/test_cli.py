"""`auditor baseline import terraform` and `auditor drift --coverage`, in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditor.cli.main import run


def _cli(estate, capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        run(["--config", str(estate.config_path), *args])
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_import_and_drift_with_coverage(estate, capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AUDITOR_ACTOR", "ci-bot")
    code, out, err = _cli(estate, capsys, "--format", "json", "baseline", "import", "terraform", "--name", "cli-iac",
                          str(estate.states / "azure" / "terraform.tfstate"), str(estate.states / "aws"))
    assert code == 0, err
    assert "aws_elasticache_cluster" in err  # unmapped types are named, not silently dropped
    cov = tmp_path / "coverage.json"
    code, out, err = _cli(estate, capsys, "drift", "--baseline", "cli-iac", "--snapshot", str(estate.sid),
                          "--format", "json", "--fail-on", "none", "--coverage", str(cov))
    assert code == 0, err
    items = json.loads(out)
    assert isinstance(items, list)  # stdout keeps the documented item array
    assert {"unmanaged", "missing", "modified"} <= {i["change"] for i in items}
    coverage = json.loads(cov.read_text())
    assert any(c["type"] == "azure.network.nsg" and c["managed"] == 1 for c in coverage)
    assert cov.stat().st_mode & 0o077 == 0
    code, out, err = _cli(estate, capsys, "drift", "--baseline", "cli-iac", "--snapshot", str(estate.sid),
                          "--format", "table", "--fail-on", "high")
    assert code == 1  # the out-of-band SSH rule on tf-web is high
    assert "IaC coverage" in out and "unmanaged" in err + out
    code, _out, err = _cli(estate, capsys, "baseline", "approve", "--name", "cli-iac", "--reason", "r",
                           "--snapshot", str(estate.sid))
    assert code == 2 and "Terraform" in err
    code, _out, err = _cli(estate, capsys, "baseline", "import", "terraform", "--name", "cli-iac",
                           str(estate.states / "nope.tfstate"))
    assert code == 2 and "nope.tfstate" in err
