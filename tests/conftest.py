"""Shared fixtures: a fresh SQLite inventory, and a real PostgreSQL one when reachable.

PostgreSQL tests skip with a reason when the server is unreachable, except in CI (env CI
set) or when AUDITOR_TEST_PG_URL is given: then an unreachable server is a failure.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

PG_ADMIN_URL = os.environ.get("AUDITOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("AUDITOR_TEST_PG_URL"))


@pytest.fixture(scope="session")
def pg_admin():
    """A psycopg connection to the admin database, or a skip/fail when unreachable."""
    import psycopg

    from sqlalchemy.engine import make_url

    u = make_url(PG_ADMIN_URL)
    try:
        conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database,
                               password=u.password, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if _pg_required():
            pytest.fail(f"PostgreSQL required in CI but unreachable at {PG_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} (set CI=1 to make this a failure)")
    yield conn, u
    conn.close()


@pytest.fixture
def pg_url(pg_admin):
    """URL of a brand-new database, dropped afterwards."""
    conn, u = pg_admin
    name = f"auditor_t_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    yield u.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'inventory.db'}"


@contextmanager
def migrated_engine(url: str) -> Iterator[Any]:
    """An engine on ``url`` with the schema at head, disposed afterwards (shared by the store fixtures)."""
    from auditor.store import migrate
    from auditor.store.engine import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()

@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> str:
    """Both backends: every store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inventory.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    with migrated_engine(db_url) as engine:
        yield engine


@pytest.fixture
def sqlite_store(sqlite_url):
    """A migrated SQLite inventory, for tests that need no PostgreSQL twin."""
    with migrated_engine(sqlite_url) as engine:
        yield engine
