"""GKE clusters: collect + the cluster facets (auditor/facets.py ``CLUSTER``).

``clusters.list`` on ``locations/-`` answers every zone and region at once and names the
locations that did not answer in ``missingZones`` (a :class:`PartialCollection`, after the
clusters that did come back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from collectors.gcp import normalise as n
from collectors.gcp.errors import PartialCollection

if TYPE_CHECKING:
    from auditor.model import Resource
    from collectors.gcp.collect import GcpJob

FULL_SCOPES = frozenset({"https://www.googleapis.com/auth/cloud-platform"})
OPEN = "0.0.0.0/0"


def _public_endpoint(c: dict[str, Any]) -> bool | None:
    ip = (c.get("controlPlaneEndpointsConfig") or {}).get("ipEndpointsConfig") or {}
    if "enablePublicEndpoint" in ip:
        return bool(ip.get("enabled", True)) and bool(ip["enablePublicEndpoint"])
    private = c.get("privateClusterConfig") or {}
    if private.get("enablePrivateEndpoint"):
        return False
    return True  # a cluster without a private endpoint answers on its public address


def _authorized(c: dict[str, Any]) -> dict[str, Any]:
    ip = (c.get("controlPlaneEndpointsConfig") or {}).get("ipEndpointsConfig") or {}
    return ip.get("authorizedNetworksConfig") or c.get("masterAuthorizedNetworksConfig") or {}


def cluster_facets(c: dict[str, Any]) -> dict[str, Any]:
    public = _public_endpoint(c)
    auth = _authorized(c)
    if auth.get("enabled"):
        cidrs = sorted({b["cidrBlock"] for b in auth.get("cidrBlocks") or [] if b.get("cidrBlock")})
    else:
        cidrs = [OPEN]  # authorized networks off: any address may reach the public endpoint
    configs = [c.get("nodeConfig") or {}] if not c.get("nodePools") else \
        [p.get("config") or {} for p in c.get("nodePools") or []]
    identities = sorted({cfg.get("serviceAccount") or "default" for cfg in configs})
    scopes = sorted({s for cfg in configs for s in cfg.get("oauthScopes") or []})
    db = c.get("databaseEncryption") or {}
    logs = ((c.get("loggingConfig") or {}).get("componentConfig") or {}).get("enableComponents")
    return {
        "endpoint_public": public,
        "endpoint_public_cidrs": cidrs if public else [],
        "secrets_encrypted": db.get("state") == "ENCRYPTED",
        "control_plane_logs": sorted(logs) if logs is not None else None,
        "version": c.get("currentMasterVersion"),
        "legacy_abac": bool((c.get("legacyAbac") or {}).get("enabled")),
        "workload_identity": bool((c.get("workloadIdentityConfig") or {}).get("workloadPool")),
        "shielded_nodes": bool((c.get("shieldedNodes") or {}).get("enabled")),
        "node_identities": identities,
        "node_full_scope": bool(FULL_SCOPES & set(scopes)),
        "identity": identities[0] if len(identities) == 1 else None,
        "state": c.get("status"),
        "locations": sorted(c.get("locations") or ([c["location"]] if c.get("location") else [])),
    }


def cluster_config(c: dict[str, Any]) -> dict[str, Any]:
    """The cluster without credentials: masterAuth keeps no password or client key."""
    out = dict(c)
    if "masterAuth" in out:
        out["masterAuth"] = {k: v for k, v in (out["masterAuth"] or {}).items()
                             if k not in ("password", "clientKey", "clientCertificate", "clusterCaCertificate")}
    return out


def collect_clusters(job: "GcpJob") -> Iterable["Resource"]:
    api = job.clients.container().projects().locations().clusters()
    resp = job.call(lambda: api.list(parent=f"projects/{job.scope}/locations/-").execute())
    for c in resp.get("clusters", []):
        where = c.get("location") or c.get("zone")
        if not job.in_regions(where):
            continue
        yield job.resource(native_id=f"//container.googleapis.com/projects/{job.scope}/locations/{where}/clusters/"
                                     f"{c['name']}", name=c["name"], region=where, config=cluster_config(c),
                           facets=cluster_facets(c), tags=c.get("resourceLabels"))
    missing = resp.get("missingZones") or []
    if missing:
        raise PartialCollection(sorted(f"{z} unreachable" for z in missing))
