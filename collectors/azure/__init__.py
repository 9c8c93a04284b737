"""Azure collector: storage, compute, network and identity across subscriptions.

Integration: ``run_units(plan(cfg.azure, collection=cfg.collection), sink,
classifiers={"azure": classify})``; ``permissions()`` is the custom role for
``auditor permissions azure``. Imports are lazy so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collectors.spec import ResourceSpec

__all__ = ["SPECS", "AzureClients", "plan", "classify", "permissions"]


def __getattr__(name: str) -> Any:
    if name == "SPECS":
        from collectors.azure.specs import SPECS

        return SPECS
    if name == "AzureClients":
        from collectors.azure.clients import AzureClients

        return AzureClients
    raise AttributeError(name)


def plan(cfg, *, clients=None, collection=None):  # type: ignore[no-untyped-def]
    from collectors.azure.planning import plan as _plan

    return _plan(cfg, clients=clients, collection=collection)


def classify(exc: BaseException):  # type: ignore[no-untyped-def]
    from collectors.azure.errors import classify as _classify

    return _classify(exc)


def permissions() -> dict:
    from collectors.azure.role_definition import permissions as _permissions

    return _permissions()
