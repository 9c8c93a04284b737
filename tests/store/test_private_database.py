"""A database the store creates is private whatever the umask: the inventory is an estate's posture."""

from __future__ import annotations

import os
import stat

import pytest

from auditor.errors import UsageError
from auditor.store.engine import make_engine
from auditor.store.migrate import upgrade


def test_new_sqlite_database_is_0600_under_a_permissive_umask(tmp_path):
    db = tmp_path / "nested" / "inventory.db"
    old = os.umask(0)
    try:
        engine = make_engine(f"sqlite:///{db}")
        upgrade(engine)
        engine.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    for side in tmp_path.glob("nested/inventory.db-*"):  # WAL/SHM copy the database file's mode
        assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0


def test_dangling_symlink_at_the_database_path_is_refused(tmp_path):
    target = tmp_path / "elsewhere.db"
    link = tmp_path / "inventory.db"
    link.symlink_to(target)
    engine = make_engine(f"sqlite:///{link}")  # engines connect lazily: the refusal comes on connect
    with pytest.raises(UsageError, match="symbolic link"):
        engine.connect()
    assert not target.exists()
