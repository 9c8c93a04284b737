"""`auditor init` writes private files whatever the umask and never writes through a symlink."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _init(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_CONFIG", "AUDITOR_DB")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0); from auditor.cli.main import run; "
                           "run(sys.argv[1:])", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_init_creates_config_and_database_0600_with_umask_0(tmp_path):
    r = _init(tmp_path, "init", "--path", str(tmp_path / "conf" / "auditor.yaml"))
    assert r.returncode == 0, r.stderr
    cfg = tmp_path / "conf" / "auditor.yaml"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert stat.S_IMODE(cfg.parent.stat().st_mode) == 0o700
    dbs = list(cfg.parent.glob("*.db"))
    assert dbs, list(cfg.parent.iterdir())
    for db in cfg.parent.iterdir():
        if db.name.startswith("auditor.db"):
            assert stat.S_IMODE(db.stat().st_mode) == 0o600, db


def test_init_refuses_a_dangling_symlink_at_the_config_path(tmp_path):
    link = tmp_path / "auditor.yaml"
    link.symlink_to(tmp_path / "target.yaml")
    r = _init(tmp_path, "init", "--path", str(link))
    assert r.returncode == 2 and "symbolic link" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "target.yaml").exists()


def test_init_refuses_a_symlink_at_the_database_path(tmp_path):
    (tmp_path / "inv.db").symlink_to(tmp_path / "elsewhere.db")
    r = _init(tmp_path, "--db", f"sqlite:///{tmp_path / 'inv.db'}", "init", "--path", str(tmp_path / "a.yaml"))
    assert r.returncode == 2 and "database" in r.stderr and "symbolic link" in r.stderr
    assert not (tmp_path / "elsewhere.db").exists()
