"""GCP Dataproc clusters (CIS GCP 8.1): appended to ``specs.SPECS`` and ``specs.CALL_PERMISSIONS``."""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.gcp import dataproc
from collectors.spec import ResourceSpec

DATAPROC_SPECS: tuple[ResourceSpec, ...] = (
    ResourceSpec(provider="gcp", type="gcp.dataproc.cluster", category="compute", service="dataproc",
                 list_call="dataproc.projects.regions.clusters.list", detail_calls=("compute.regions.list",),
                 permissions=("dataproc.clusters.list", "compute.regions.list"), scope="regional",
                 hash_rules=HashRules(volatile=("config.status", "config.statusHistory", "config.metrics"),
                                      unordered=("config.config.masterConfig.instanceNames",
                                                 "config.config.workerConfig.instanceNames")),
                 collect=dataproc.collect_clusters,
                 doc="Dataproc clusters per region: customer-managed disk key, service account "
                     "(instance metadata values dropped)."),
)

DATAPROC_CALL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "dataproc.projects.regions.clusters.list": ("dataproc.clusters.list",),
    "compute.regions.list": ("compute.regions.list",),  # Dataproc's regions are Compute Engine's
}
