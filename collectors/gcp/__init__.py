"""GCP collector: Cloud Storage, Compute (instances, disks, network) and IAM across projects.

Integration (see prompts/common.md): ``run_units(plan(cfg), sink, classifiers={"gcp": classify})``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collectors.gcp.clients import GcpClients
from collectors.gcp.errors import classify
from collectors.gcp.specs import SPECS

if TYPE_CHECKING:
    from auditor.config.schema import GcpConfig
    from collectors.runner import UnitTask

__all__ = ["SPECS", "GcpClients", "classify", "permissions", "plan"]


def plan(cfg: "GcpConfig", *, clients: GcpClients | None = None, collection: Any = None) -> list["UnitTask"]:
    """One unit per (project x resource type), plus folder/org policy units; never raises.

    ``collection`` (CollectionConfig) sets the retry budget and timeouts of the default clients.
    """
    from collectors.gcp.planning import build_plan

    if clients is None and collection is not None:
        clients = GcpClients(cfg, max_attempts=collection.max_attempts, connect_timeout=collection.connect_timeout_s,
                             read_timeout=collection.read_timeout_s)
    return build_plan(cfg, clients or GcpClients(cfg), SPECS)


def permissions() -> dict:
    """The custom role ({title, description, stage, includedPermissions}) plus predefinedRoles and notes."""
    from collectors.gcp.custom_role import permissions_document

    return permissions_document(SPECS)
