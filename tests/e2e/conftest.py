"""End-to-end fixtures: a moto server in its own process (its state cannot mix with the
in-process moto of tests/aws), a small seeded estate, and a config pointing at it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_subprocess() -> Iterator[str]:
    """A moto server in its own process: its state cannot mix with any in-process moto."""
    port = free_port()
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                requests.get(url + "/moto-api/", timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, "moto server exited"
                assert time.time() < deadline, "moto server did not start"
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def moto_process():
    with moto_subprocess() as url:
        yield url


@pytest.fixture(scope="module")
def seeded(moto_process):
    from auditor.demo.emulators.aws_seed import EstateSpec, seed_estate

    spec = EstateSpec(regions=("us-east-1", "eu-west-1"), vpcs=1, security_groups=2, instances=2, buckets=1,
                      users=2, roles=1, policies=1)
    return seed_estate(moto_process, spec)


@pytest.fixture
def workspace(tmp_path, moto_process, seeded):
    from auditor.demo.emulators.aws_seed import AUDITOR_ROLE, PRIMARY_ACCOUNT, SECOND_ACCOUNT

    cfg = {
        "database": {"url": f"sqlite:///{tmp_path / 'auditor.db'}"},
        "collection": {"progress": False},
        "aws": {"credential_source": "static-test", "endpoint_url": moto_process, "regions": ["us-east-1", "eu-west-1"],
                "accounts": [{"id": PRIMARY_ACCOUNT}, {"id": SECOND_ACCOUNT, "role_name": AUDITOR_ROLE}],
                # not implemented by moto; the organization units skip outside a management account
                "exclude_resource_types": ["aws.accessanalyzer.*", "aws.iam.organizations_features",
                                           "aws.organizations.*"]},
        "estate": {"aws_accounts": [PRIMARY_ACCOUNT, SECOND_ACCOUNT]},
        "export": {"out_dir": str(tmp_path / "exports")},
        "signing": {"private_key": str(tmp_path / "signing.key")},
    }
    from auditor.signing import generate

    generate(tmp_path / "signing.key")  # evidence is signed, so verify can say "intact"
    path = tmp_path / "auditor.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def auditor(*args: str, cwd: Path, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    full_env.pop("AUDITOR_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
