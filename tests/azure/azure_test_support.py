"""Helpers shared by the Azure tests (a plain module: tests/ is not a package)."""

from __future__ import annotations

from auditor.config.schema import AzureConfig
from auditor.demo.emulators.azure_fake import AzureFake
from collectors.azure.clients import AzureClients


def fake_config(fake: AzureFake, **kw) -> AzureConfig:  # type: ignore[no-untyped-def]
    return AzureConfig(arm_endpoint=fake.base_url, credential="static-test-token", ca_bundle=fake.ca_bundle, **kw)


def fast_clients(cfg: AzureConfig, max_attempts: int = 2) -> AzureClients:
    return AzureClients(cfg, max_attempts=max_attempts, backoff=0.01, backoff_max=0.05)
