"""Artifact Registry repositories: immutable tags, public IAM members, CMEK, location.

Repositories are listed per location (configured regions, else the API's ``locations.list``,
which also names the multi-regions ``us``/``europe``/``asia``); each repository's IAM policy
says whether ``allUsers``/``allAuthenticatedUsers`` may pull. Facets: storage + ``STORE``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from collectors.gcp import normalise as n
from collectors.gcp.vertex import PAGE_SIZE, _pages

if TYPE_CHECKING:
    from auditor.model import Resource
    from collectors.gcp.collect import GcpJob


def repository_facets(r: dict[str, Any], policy: dict[str, Any] | None, location: str) -> dict[str, Any]:
    reasons = n.policy_public_reasons(policy)
    docker = r.get("format") == "DOCKER"
    scanning = (r.get("vulnerabilityScanningConfig") or {}).get("enablementState")
    return {
        "public": bool(reasons) if policy is not None else None,
        "public_reasons": reasons,
        "encrypted": True,
        "key_management": "customer" if r.get("kmsKeyName") else "provider",
        "kms_key": r.get("kmsKeyName"),
        "locations": [location],
        # only Docker repositories have tags; other formats do not carry the facet at all
        **({"tag_immutable": bool((r.get("dockerConfig") or {}).get("immutableTags"))} if docker else {}),
        **({"scan_on_push": scanning == "SCANNING_ACTIVE"} if docker and scanning else {}),
    }


def collect_repositories(job: "GcpJob") -> Iterable["Resource"]:
    api = job.clients.artifactregistry().projects().locations()
    if job.regions:
        locations = list(job.regions)
    else:
        locations = sorted(loc["locationId"] for loc in _pages(
            job, lambda t: api.list(name=f"projects/{job.scope}", pageSize=PAGE_SIZE, pageToken=t), "locations")
            if loc.get("locationId"))
    repos = api.repositories()
    for location in locations:
        parent = f"projects/{job.scope}/locations/{location}"
        for r in _pages(job, lambda t, p=parent: repos.list(parent=p, pageSize=PAGE_SIZE, pageToken=t),
                        "repositories"):
            pol = job.call(lambda name=r["name"]: repos.getIamPolicy(
                resource=name, options_requestedPolicyVersion=3).execute())
            yield job.resource(native_id=f"//artifactregistry.googleapis.com/{r['name']}", name=n.last(r["name"]),
                               region=location, config={**r, "iamPolicy": pol},
                               facets=repository_facets(r, pol, location), tags=r.get("labels"))
