"""Resolve scope (subscriptions) and turn it into one unit per subscription x resource type."""

from __future__ import annotations

from functools import partial
from typing import Iterable

from auditor.config.schema import AzureConfig, CollectionConfig
from collectors.azure.clients import AzureClients
from collectors.azure.context import AzureContext
from collectors.runner import Unit, UnitContext, UnitSkipped, UnitTask
from collectors.spec import ResourceSpec, select_specs

DISCOVERY_TYPE = "azure.discovery.subscriptions"


def _run(spec: ResourceSpec, clients: AzureClients, subscription_id: str, ctx: UnitContext) -> Iterable:
    assert spec.collect is not None
    return spec.collect(AzureContext(ctx, clients, subscription_id))


def _failed(exc: BaseException, ctx: UnitContext) -> Iterable:
    raise exc


def _discover(cfg: AzureConfig, clients: AzureClients) -> list[str]:
    if cfg.management_group:
        return clients.management_group_subscription_ids(cfg.management_group)
    if cfg.subscriptions == "all":
        return clients.list_subscription_ids()
    return list(cfg.subscriptions)


def plan(cfg: AzureConfig, *, clients: AzureClients | None = None,
         collection: CollectionConfig | None = None) -> list[UnitTask]:
    """One UnitTask per (subscription x resource type) and per (tenant x directory type); a
    discovery failure becomes a failing unit."""
    from collectors.azure.specs import SPECS, TENANT_SPECS

    if not cfg.enabled:
        return []
    if clients is None:
        coll = collection or CollectionConfig()
        clients = AzureClients(cfg, max_attempts=coll.max_attempts, connect_timeout=coll.connect_timeout_s,
                               read_timeout=coll.read_timeout_s)
    specs = select_specs(SPECS, cfg.resource_types, cfg.exclude_resource_types)
    scope = cfg.management_group or ("all" if cfg.subscriptions == "all" else "listed")
    tenant_tasks = _tenant_tasks(cfg, clients, select_specs(TENANT_SPECS, cfg.resource_types,
                                                            cfg.exclude_resource_types))
    try:
        subscriptions = list(dict.fromkeys(s.lower() for s in _discover(cfg, clients)))
    except Exception as exc:  # noqa: BLE001 - becomes the discovery unit's status
        return [UnitTask(Unit("azure", scope, "global", DISCOVERY_TYPE), partial(_failed, exc)), *tenant_tasks]
    return [
        UnitTask(Unit("azure", sub, "global", spec.type), partial(_run, spec, clients, sub))
        for sub in subscriptions
        for spec in specs
    ] + tenant_tasks


def _tenant_tasks(cfg: AzureConfig, clients: AzureClients, specs: list[ResourceSpec]) -> list[UnitTask]:
    """Directory (Graph) units for the configured tenant; without ``tenant_id`` they are skipped, visibly."""
    if not cfg.tenant_id:
        reason = UnitSkipped("directory settings need azure.tenant_id (the tenant whose Graph settings to read)")
        return [UnitTask(Unit("azure", "tenant", "global", s.type), partial(_failed, reason)) for s in specs]
    tenant = cfg.tenant_id.lower()
    return [UnitTask(Unit("azure", tenant, "global", s.type), partial(_run, s, clients, tenant)) for s in specs]
