"""GCP fixtures: the strict loopback fake (one per scenario per session) and collected runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest

from auditor.config.schema import GcpConfig
from auditor.demo.emulators.gcp_estate import GcpEstate, sample_estate
from auditor.demo.emulators.gcp_fake import GcpFake
from collectors.gcp import GcpClients, classify, plan
from collectors.runner import ListSink, RunSummary, run_units

ORG = "123456789012"


@dataclass
class Collected:
    fake: GcpFake
    estate: GcpEstate
    sink: ListSink
    summary: RunSummary

    def unit(self, account: str, type_: str):  # type: ignore[no-untyped-def]
        hits = [u for u in self.sink.units if u.unit.account == account and u.unit.resource_type == type_]
        assert len(hits) == 1, (account, type_, [str(u.unit) for u in self.sink.units])
        return hits[0]


def anonymous_config(fake: GcpFake, **kw) -> GcpConfig:  # type: ignore[no-untyped-def]
    return GcpConfig(credentials="anonymous", endpoints=fake.endpoints(), **kw)


def collect(fake: GcpFake, cfg: GcpConfig, **clients_kw) -> tuple[ListSink, RunSummary]:  # type: ignore[no-untyped-def]
    sink = ListSink()
    clients = GcpClients(cfg, retry_base=0.001, **clients_kw)
    summary = run_units(plan(cfg, clients=clients), sink, classifiers={"gcp": classify}, concurrency=4)
    return sink, summary


@pytest.fixture(scope="session")
def clean_run() -> Iterator[Collected]:
    """The whole sample estate discovered under the organisation, nothing failing."""
    estate = sample_estate()
    with GcpFake(estate, strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, organization=ORG))
        yield Collected(fake, estate, sink, summary)


@pytest.fixture(scope="session")
def degraded_run() -> Iterator[Collected]:
    """Same estate; Compute disabled in web-dev and zone us-east1-b unreachable."""
    estate = sample_estate()
    with GcpFake(estate, strict=True) as fake:
        fake.disable_api("web-dev", "compute.googleapis.com")
        fake.make_zone_unreachable("us-east1-b")
        sink, summary = collect(fake, anonymous_config(fake, organization=ORG))
        yield Collected(fake, estate, sink, summary)


@pytest.fixture()
def fresh_fake() -> Iterator[GcpFake]:
    """A strict fake of its own, for tests that flip switches."""
    with GcpFake(sample_estate(), strict=True) as fake:
        yield fake
