"""Dataproc clusters: whose key encrypts their persistent disks (CIS GCP 8.1).

Dataproc is regional and has no region list of its own: its regions are Compute Engine's
(configured regions, else ``compute.regions.list``), and each unit lists every one of them.
A cluster's disks are always encrypted; the question is whose key, so the facets are the shared
``encrypted``/``key_management``/``kms_key`` ones. Instance metadata (startup scripts, user
data) is dropped from the stored config. Facet layout: auditor/facets.py ``COMPUTE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from collectors.gcp.vertex import PAGE_SIZE, _pages

if TYPE_CHECKING:
    from auditor.model import Resource
    from collectors.gcp.collect import GcpJob


def cluster_key(c: dict[str, Any]) -> str | None:
    """The customer key of the cluster's disks: ``gcePdKmsKeyName``, or ``kmsKey`` (which also covers
    the disks, and job arguments) on clusters created with the newer field."""
    enc = (c.get("config") or {}).get("encryptionConfig") or {}
    return enc.get("gcePdKmsKeyName") or enc.get("kmsKey") or None


def cluster_facets(c: dict[str, Any], region: str) -> dict[str, Any]:
    key = cluster_key(c)
    return {"encrypted": True,  # Dataproc disks are always encrypted at rest; the question is whose key
            "key_management": "customer" if key else "provider", "kms_key": key,
            "disk_encryption": "customer" if key else "provider",
            "identity": ((c.get("config") or {}).get("gceClusterConfig") or {}).get("serviceAccount"),
            "locations": [region]}  # the state (RUNNING/STOPPED) is volatile: a start is not a new version


def cluster_config(c: dict[str, Any]) -> dict[str, Any]:
    """The cluster without its instance metadata values (startup scripts and user data live there)."""
    out = dict(c)
    config = dict(out.get("config") or {})
    gce = dict(config.get("gceClusterConfig") or {})
    if "metadata" in gce:
        gce["metadata"] = sorted(gce["metadata"] or {})  # the keys only
        config["gceClusterConfig"] = gce
        out["config"] = config
    return out


def regions(job: "GcpJob") -> list[str]:
    """Configured regions, else every Compute Engine region of the project (Dataproc's regions)."""
    if job.regions:
        return list(job.regions)
    from collectors.gcp.collect import _global_list

    return sorted(str(r["name"]) for r in _global_list(job, "Regions") if r.get("name"))


def collect_clusters(job: "GcpJob") -> Iterable["Resource"]:
    api = job.clients.dataproc().projects().regions().clusters()
    for region in regions(job):
        for c in _pages(job, lambda t, r=region: api.list(projectId=job.scope, region=r, pageSize=PAGE_SIZE,
                                                          pageToken=t), "clusters"):
            yield job.resource(native_id=f"//dataproc.googleapis.com/projects/{job.scope}/regions/{region}/clusters/"
                                         f"{c['clusterName']}", name=c["clusterName"], region=region,
                               config=cluster_config(c), facets=cluster_facets(c, region), tags=c.get("labels"))
