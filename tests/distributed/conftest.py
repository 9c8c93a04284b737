"""Fixtures for distributed collection: real brokers, real PostgreSQL, worker subprocesses.

A broker that is not reachable skips its tests with the reason, except in CI (env CI set):
then it is a failure, as for PostgreSQL (tests/conftest.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.e2e.conftest import moto_subprocess

ROOT = Path(__file__).resolve().parents[2]
RABBIT_URL = os.environ.get("AUDITOR_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("AUDITOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def _reachable(url: str) -> str | None:
    """None when the broker answers, else why not."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # noqa: BLE001 - any transport error means unreachable
        return f"{type(exc).__name__}: {exc}"
    return None


def broker_or_skip(url: str) -> str:
    why = _reachable(url)
    if why is not None:
        shown = url.split("@")[-1]
        if os.environ.get("CI"):
            pytest.fail(f"broker required in CI but unreachable at {shown}: {why}")
        pytest.skip(f"broker not reachable at {shown} ({why}; set CI=1 to make this a failure)")
    return url


@pytest.fixture(params=["amqp", "redis"])
def any_broker(request) -> str:
    return broker_or_skip(RABBIT_URL if request.param == "amqp" else REDIS_URL)


@pytest.fixture
def rabbit() -> str:
    return broker_or_skip(RABBIT_URL)


@pytest.fixture(scope="session")
def moto_estate() -> Iterator[str]:
    from auditor.demo.emulators.aws_seed import EstateSpec, seed_estate

    with moto_subprocess() as url:
        seed_estate(url, EstateSpec(regions=("us-east-1", "eu-west-1"), vpcs=1, security_groups=2, instances=1,
                                    buckets=2, users=2, roles=1, policies=1))
        yield url


TYPES = ("aws.s3.bucket", "aws.iam.user", "aws.iam.role", "aws.ec2.vpc", "aws.ec2.security_group")


def fresh_db(pg_admin) -> str:  # type: ignore[no-untyped-def]
    """A new, migrated PostgreSQL database (dropped by drop_db)."""
    conn, u = pg_admin
    name = f"auditor_t_{uuid.uuid4().hex[:12]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    url = u.set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)
    from tests.conftest import migrated_engine

    with migrated_engine(url):
        pass
    return url


def drop_db(pg_admin, url: str) -> None:  # type: ignore[no-untyped-def]
    pg_admin[0].execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def collect(cfg_dict: dict):  # type: ignore[no-untyped-def]
    """Run a collection in this process (as coordinator when the config names a broker)."""
    from auditor.collect import run_collection
    from auditor.config.loader import load_config_text
    from tests.conftest import migrated_engine

    cfg = load_config_text(yaml.safe_dump(cfg_dict))
    with migrated_engine(cfg_dict["database"]["url"]) as engine:
        result = run_collection(cfg, engine)
        return result, open_versions(engine), unit_statuses(engine, result.snapshot_id)


@pytest.fixture(scope="session")
def reference(moto_estate, pg_admin):  # type: ignore[no-untyped-def]
    """The in-process snapshot of the emulated estate: what every distributed run must equal."""
    url = fresh_db(pg_admin)
    try:
        result, versions, units = collect(config_dict(url, moto_estate))
        assert result.status == "complete", result.error
        yield versions, units
    finally:
        drop_db(pg_admin, url)


def config_dict(db_url: str, moto_url: str, broker: str | None = None, **distributed: Any) -> dict:
    from auditor.demo.emulators.aws_seed import AUDITOR_ROLE, PRIMARY_ACCOUNT, SECOND_ACCOUNT

    cfg: dict[str, Any] = {
        "database": {"url": db_url},
        "collection": {"progress": False, "concurrency": 4},
        "aws": {"credential_source": "static-test", "endpoint_url": moto_url, "regions": ["us-east-1"],
                "resource_types": list(TYPES),
                "accounts": [{"id": PRIMARY_ACCOUNT}, {"id": SECOND_ACCOUNT, "role_name": AUDITOR_ROLE}]},
        "estate": {"aws_accounts": [PRIMARY_ACCOUNT, SECOND_ACCOUNT]},
    }
    if broker:
        cfg["distributed"] = {"broker_url": broker, "queue": f"auditor.test.{uuid.uuid4().hex[:10]}",
                              "concurrency": 2, "result_timeout_s": 30, **distributed}
    return cfg


def write_config(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(cfg))
    return path


class Workers:
    """`auditor worker` subprocesses for one config; killed and reaped at the end."""

    def __init__(self, config: Path, tmp: Path) -> None:
        self.config, self.tmp = config, tmp
        self.procs: list[subprocess.Popen] = []

    def start(self, n: int = 1, *, module: str = "auditor", extra_env: dict | None = None,
              concurrency: int | None = None, pool: str = "threads") -> list[subprocess.Popen]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
        env.pop("AUDITOR_CONFIG", None)
        started = []
        for _ in range(n):
            i = len(self.procs)
            log = open(self.tmp / f"worker{i}.log", "wb")
            args = [sys.executable, "-m", module, "--config", str(self.config), "worker", "--name", f"w{i}-{uuid.uuid4().hex[:6]}"]
            args += ["--pool", pool]
            if concurrency:
                args += ["--concurrency", str(concurrency)]
            p = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            self.procs.append(p)
            started.append(p)
        return started

    def logs(self, tail: int = 3000) -> str:
        return "\n".join((self.tmp / f"worker{i}.log").read_text(errors="replace")[-tail:]
                         for i in range(len(self.procs)))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
        for p in self.procs:
            p.wait(timeout=30)


@pytest.fixture
def workers(tmp_path) -> Iterator[Any]:
    made: list[Workers] = []

    def factory(config: Path) -> Workers:
        w = Workers(config, tmp_path)
        made.append(w)
        return w

    yield factory
    for w in made:
        w.stop()
        drop_queue(yaml.safe_load(w.config.read_text()).get("distributed") or {})


def drop_queue(dist: dict) -> None:
    """Leave no test queue behind on the shared broker."""
    from kombu import Connection

    if not dist.get("broker_url"):
        return
    try:
        with Connection(dist["broker_url"], connect_timeout=3) as conn:
            conn.default_channel.queue_delete(dist["queue"])
            if conn.transport_cls in ("amqp", "pyamqp"):
                conn.default_channel.exchange_delete(dist["queue"])
    except Exception:  # noqa: BLE001 - best effort cleanup
        pass


def open_versions(engine) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return set(c.exec_driver_sql(
            "SELECT resource_key, content_hash FROM resource_versions WHERE valid_to IS NULL").all())


def unit_statuses(engine, sid: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return dict(c.exec_driver_sql(
            f"SELECT unit_key, status FROM collection_units WHERE snapshot_id = {int(sid)}").all())


def version_rows(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return sorted(c.exec_driver_sql(
            "SELECT resource_key, content_hash, valid_from, valid_to FROM resource_versions").all())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
