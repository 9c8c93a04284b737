"""Residency verdicts per resource: each kind of place a copy lands is its own rule."""

from __future__ import annotations

from typing import Any, Iterable

from auditor.checks.result import FAIL, PASS, UNKNOWN, Result
from auditor.residency.places import azure_storage_places, compute_places, gcs_places, s3_places
from auditor.residency.policy import Place, ResidencyPolicy, permits

STORAGE_TYPES = ("aws.s3.bucket", "gcp.storage.bucket", "azure.storage.account")
COMPUTE_TYPES = ("aws.ec2.instance", "gcp.compute.instance", "azure.compute.vm")
RULE_BY_KIND = {"primary": "residency.primary_location", "replica": "residency.replica_location",
                "secondary": "residency.geo_secondary", "member": "residency.multi_region_member",
                "processing": "residency.compute_location"}


def places_of(res: Any, bucket_regions: dict[str, str]) -> list[Place]:
    if res.type == "aws.s3.bucket":
        primary, copies = s3_places(res, bucket_regions)
    elif res.type == "azure.storage.account":
        primary, copies = azure_storage_places(res)
    elif res.type == "gcp.storage.bucket":
        primary, copies = gcs_places(res)
    elif res.type in COMPUTE_TYPES:
        return compute_places(res)
    else:
        return []
    return primary + copies


def verdicts(places: Iterable[Place], classification: str, allowed: frozenset[str]) -> list[Result]:
    """One Result per rule: FAIL if any place of that kind is outside, else UNKNOWN if any unknown."""
    by_rule: dict[str, list[tuple[Place, bool | None]]] = {}
    for p in places:
        by_rule.setdefault(RULE_BY_KIND[p.kind], []).append((p, permits(allowed, p)))
    out: list[Result] = []
    for rule_id, items in sorted(by_rule.items()):
        evidence = {"classification": classification, "allowed": sorted(allowed),
                    "places": [dict(p.as_dict(), permitted=ok) for p, ok in items]}
        outside = [p for p, ok in items if ok is False]
        unknown = [p for p, ok in items if ok is None]
        if outside:
            where = ", ".join(f"{p.region} ({p.country})" for p in outside)
            out.append(Result(rule_id, FAIL, f"{classification} data lands outside {sorted(allowed)}: {where}", evidence))
        elif unknown:
            out.append(Result(rule_id, UNKNOWN, "location could not be determined: "
                              + "; ".join(p.note or str(p.region) for p in unknown), evidence))
        else:
            out.append(Result(rule_id, PASS, f"all {len(items)} location(s) within {sorted(allowed)}", evidence))
    return out


def evaluate_resource(res: Any, policy: ResidencyPolicy, bucket_regions: dict[str, str]) -> list[Result]:
    if res.type not in STORAGE_TYPES and res.type not in COMPUTE_TYPES:
        return []
    classification = policy.classification(res.tags)
    allowed = policy.allowed_for(classification)
    if allowed is None:
        return []  # the policy says nothing about this classification
    return verdicts(places_of(res, bucket_regions), classification, allowed)
