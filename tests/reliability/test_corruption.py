"""A damaged page inside a valid SQLite file: `verify` reports it, a write run refuses (exit 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from auditor.cli.main import run
from auditor.model import UnitStatus
from auditor.store import migrate
from auditor.store.engine import make_engine
from auditor.store.ingest import ingest
from tests.store.helpers import BUCKETS, bucket, result


@pytest.fixture
def corrupt_db(tmp_path: Path) -> str:
    path = tmp_path / "inventory.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    ingest(engine, [[bucket(i) for i in range(400)]], [result(BUCKETS, UnitStatus.OK, 400)])
    engine.dispose()
    with sqlite3.connect(path) as c:  # fold the WAL into the file, so the damage below is what is read
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = c.execute("PRAGMA page_size").fetchone()[0]
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'resource_versions'").fetchone()[0]
        pages = c.execute("PRAGMA page_count").fetchone()[0]
    assert pages > root + 3
    data = bytearray(path.read_bytes())
    victim = (pages - 2) * page_size  # a page deep inside, well past the (intact) header
    data[victim:victim + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    with sqlite3.connect(path) as c:  # the file still opens: the damage is silent without a check
        assert c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    return url


def _cli(capsys, url: str, tmp_path: Path, *args: str) -> tuple[int, str]:
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text("gcp:\n  credentials: anonymous\n  projects: [p]\n  endpoints: {storage: 'http://127.0.0.1:9'}\n")
    with pytest.raises(SystemExit) as exc:
        run(["--config", str(cfg), "--db", url, *args])
    return int(exc.value.code or 0), capsys.readouterr().err


def test_verify_reports_corruption(corrupt_db, tmp_path, capsys):
    code, err = _cli(capsys, corrupt_db, tmp_path, "verify")
    assert code == 1
    assert "FAIL: database file:" in err


def test_write_run_refuses_a_corrupt_file(corrupt_db, tmp_path, capsys):
    code, err = _cli(capsys, corrupt_db, tmp_path, "collect")
    assert code == 3
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "is corrupt (PRAGMA quick_check:" in lines[0] and "nothing was written" in lines[0]
    engine = make_engine(corrupt_db)
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM locks").scalar() == 0  # lock released
    engine.dispose()
