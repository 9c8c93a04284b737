"""Shared fixtures: one moto server per test session (real HTTP) and one seeded estate."""

from __future__ import annotations

import logging
import os
from typing import Iterator

import pytest
from aws_testlib import PRIMARY, REGIONS, SECOND


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    # Must be set before moto builds any backend.
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def estate(moto_url: str):  # type: ignore[no-untyped-def]
    from auditor.demo.emulators.aws_seed import EstateSpec, seed_estate

    return seed_estate(moto_url, EstateSpec(accounts=(PRIMARY, SECOND), regions=REGIONS))
