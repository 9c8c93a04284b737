"""Fixtures for the scheduling tests: subprocess environment and a migrated SQLite inventory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sub_env() -> dict[str, str]:
    """Environment for child processes: this checkout importable, no inherited config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


@pytest.fixture
def spawn(sub_env, tmp_path):
    """Start ``python -m tests.scheduling.jobs ...`` children; any left running are killed at teardown."""
    children: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "tests.scheduling.jobs", *args], cwd=tmp_path, env=sub_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        children.append(proc)
        return proc

    yield start
    for proc in children:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)



@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_db(request, tmp_path_factory):
    """One migrated inventory per module and backend (creating a PostgreSQL database per test
    would dominate the run time); ``inventory`` empties the scheduling tables between tests."""
    import uuid

    from auditor.store import migrate
    from auditor.store.engine import make_engine

    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path_factory.mktemp('inv') / 'inventory.db'}", None
    else:
        conn, u = request.getfixturevalue("pg_admin")
        name = f"auditor_sched_{uuid.uuid4().hex[:12]}"
        conn.execute(f'CREATE DATABASE "{name}"')
        url = u.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)

        def drop() -> None:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine = make_engine(url)
    migrate.upgrade(engine)
    yield engine, url
    engine.dispose()
    if drop:
        drop()


@pytest.fixture
def inventory(shared_db):
    """(engine, url) of a migrated inventory on each backend, with empty locks and job store."""
    from auditor.store.schema import locks, schedule_state

    engine, _url = shared_db
    yield shared_db
    with engine.begin() as conn:
        conn.execute(locks.delete())
        conn.execute(schedule_state.delete())
