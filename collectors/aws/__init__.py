"""AWS collector: S3, EC2 compute and network, IAM across accounts and regions.

Integration: ``run_units(plan(cfg.aws, clients=AwsClientFactory(cfg.aws,
max_attempts=cfg.collection.max_attempts)), sink, classifiers={"aws": classify})``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collectors.aws.clients import AccountTarget, AwsClientFactory
from collectors.aws.errors import classify
from collectors.aws.specs import SPECS

if TYPE_CHECKING:
    from auditor.config.schema import AwsConfig
    from collectors.runner import UnitTask


def plan(cfg: "AwsConfig", *, clients: AwsClientFactory | None = None, collection: Any = None) -> list["UnitTask"]:
    """One UnitTask per (account x region x resource type); discovery failures are failing units.

    ``collection`` (CollectionConfig) sets the retry budget of the default client factory.
    """
    from collectors.aws.scope import plan as _plan

    if clients is None and collection is not None:
        clients = AwsClientFactory(cfg, max_attempts=collection.max_attempts, connect_timeout=collection.connect_timeout_s,
                                   read_timeout=collection.read_timeout_s)
    return _plan(cfg, clients=clients)


def permissions() -> dict[str, Any]:
    """The least-privilege, read-only IAM policy generated from SPECS."""
    from collectors.aws.least_privilege import permissions as _permissions

    return _permissions()


__all__ = ["SPECS", "AccountTarget", "AwsClientFactory", "classify", "permissions", "plan"]
