"""Shared Azure fixtures: one loopback HTTPS ARM fake per session, one end-to-end run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest

from auditor.config.schema import AzureConfig
from auditor.demo.emulators.azure_estate import SUB_DEV, seeded_estate
from auditor.demo.emulators.azure_fake import AzureFake
from collectors.azure import classify, plan
from collectors.runner import ListSink, RunSummary, run_units

from azure_test_support import fake_config, fast_clients

THROTTLED_PATH = f"/subscriptions/{SUB_DEV}/providers/microsoft.compute/disks"


@pytest.fixture(scope="session")
def azure_fake() -> Iterator[AzureFake]:
    with AzureFake(seeded_estate(page_size=2)) as fake:
        yield fake


@dataclass
class E2ERun:
    sink: ListSink
    summary: RunSummary
    requests: list[tuple[str, str]]


@pytest.fixture(scope="session")
def e2e(azure_fake: AzureFake) -> E2ERun:
    """plan() + run_units over every subscription visible to the credential, with a 429 that never ends."""
    router = azure_fake.router
    assert router is not None
    router.throttle(THROTTLED_PATH, retry_after=1)
    start = len(router.requests)
    try:
        cfg = fake_config(azure_fake)
        sink = ListSink()
        summary = run_units(plan(cfg, clients=fast_clients(cfg)), sink, classifiers={"azure": classify}, concurrency=6)
    finally:
        router.faults.throttles.clear()
    return E2ERun(sink, summary, list(router.requests[start:]))
