"""Residency rules: every place a copy lands, read from the facets the collectors fill.

``locations`` is where the primary copy lives (for a dual-/multi-region, the location's
name), ``replica_locations`` every other region a copy lands in (``None``: not collected),
``location_type`` says whether the places are one region or members of a dual/multi-region.
Each kind of place is its own rule; a region maps to a jurisdiction through the catalogue.
"""

from __future__ import annotations

from typing import Any

from auditor.residency.access import foreign_access, located_reach
from auditor.residency.jurisdiction import place
from auditor.residency.policy import ANYWHERE, Place, ResidencyPolicy, permits
from auditor.rules.facts import MISSING, facet
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, UNKNOWN, Result

STORAGE = ("storage",)
COMPUTE_TYPES = ("aws.ec2.instance", "gcp.compute.instance", "azure.compute.vm")
MULTI = ("dual-region", "multi-region")
# What a copy outside the primary region is called per type; every other storage type replicates.
GEO_SECONDARY_TYPES = ("azure.storage.account", "azure.storage.container")  # containers inherit the account's SKU
_COMMON = dict(kind="residency")


def _allowed(res: Any, ctx: RuleContext) -> tuple[str, frozenset[str]] | None:
    """(classification, allowed jurisdictions), or None when the policy says nothing about it."""
    policy = ctx.memo("residency.policy", lambda: ResidencyPolicy.from_config(ctx.config.residency))
    classification = ctx.classification(res) or policy.classification(res.tags)
    allowed = policy.allowed_for(classification)
    return (classification, allowed) if allowed is not None else None


def judge_places(places: list[Place], classification: str, allowed: frozenset[str]) -> Result:
    """FAIL if any place is outside ``allowed``, else UNKNOWN if any is unknown, else PASS."""
    items = [(p, permits(allowed, p)) for p in places]
    evidence = {"classification": classification, "allowed": sorted(allowed),
                "places": [dict(p.as_dict(), permitted=ok) for p, ok in items]}
    outside = [p for p, ok in items if ok is False]
    if outside:
        where = ", ".join(f"{p.region} ({p.country})" for p in outside)
        return Result(FAIL, f"{classification} data lands outside {sorted(allowed)}: {where}", evidence)
    unknown = [p for p, ok in items if ok is None]
    if unknown:
        return Result(UNKNOWN, "location could not be determined: " + "; ".join(p.note or str(p.region) for p in unknown),
                      evidence)
    return Result(PASS, f"all {len(items)} location(s) within {sorted(allowed)}", evidence)


def _judge(res: Any, ctx: RuleContext, kind: str, regions: list[Any] | None, note: str | None = None) -> Result | None:
    policy = _allowed(res, ctx)
    if policy is None:
        return None
    if regions is None:
        places = [Place(kind, res.provider, None, None, note=note or "locations were not collected")]
    else:
        places = [place(kind, res.provider, str(r), note) for r in regions] or \
            [Place(kind, res.provider, None, None, note="location not collected")]
    return judge_places(places, *policy)


@rule(id="residency.primary_location", title="Data stored outside its allowed jurisdictions", severity="high",
      rationale="The primary copy must stay where the classification's residency policy allows.",
      remediation="Move the data to an allowed region, or change its classification with the data owner.",
      categories=STORAGE, **_COMMON)
def primary_location(res: Any, ctx: RuleContext) -> Result | None:
    locations = facet(res, "locations")
    if locations is MISSING or res.facets.get("location_type") in MULTI:
        return None
    return _judge(res, ctx, "primary", locations)


def _copies(res: Any) -> list[Any] | None | object:
    if res.facets.get("location_type") in MULTI:
        return MISSING
    return facet(res, "replica_locations")


@rule(id="residency.replica_location", title="Replication copies data outside its allowed jurisdictions",
      severity="high",
      rationale="Replication destinations (S3 CRR and the like) are copies of the data and fall under the same "
                "policy.",
      remediation="Replicate to a destination in an allowed region.", categories=STORAGE, **_COMMON)
def replica_location(res: Any, ctx: RuleContext) -> Result | None:
    copies = _copies(res)
    if copies is MISSING or copies == [] or res.type in GEO_SECONDARY_TYPES:
        return None
    return _judge(res, ctx, "replica", copies, None if copies else "replication destinations were not collected")


@rule(id="residency.geo_secondary", title="Geo-redundant secondary outside the allowed jurisdictions",
      severity="high",
      rationale="GRS/GZRS silently copy every write to the paired region, which may be in another country.",
      remediation="Use LRS/ZRS, or a region whose pair stays inside the allowed jurisdictions.",
      types=GEO_SECONDARY_TYPES, **_COMMON)
def geo_secondary(res: Any, ctx: RuleContext) -> Result | None:
    copies = _copies(res)
    if copies is MISSING or copies == []:
        return None
    return _judge(res, ctx, "secondary", copies, None if copies else "geo-redundant secondary is not known")


@rule(id="residency.multi_region_member", title="Dual/multi-region location spans disallowed jurisdictions",
      severity="high",
      rationale="Every member region of a dual- or multi-region location holds a full copy of the data.",
      remediation="Use a single region or a dual-region whose members are all allowed.", categories=STORAGE,
      **_COMMON)
def multi_region_member(res: Any, ctx: RuleContext) -> Result | None:
    ltype = res.facets.get("location_type")
    if ltype not in MULTI:
        return None
    members = res.facets.get("replica_locations") or res.facets.get("locations")
    name = ",".join(map(str, res.facets.get("locations") or []))
    return _judge(res, ctx, "member", members, f"{ltype} {name}".strip())


@rule(id="residency.compute_location", title="Compute processing restricted data outside its allowed jurisdictions",
      severity="medium",
      rationale="Processing is a transfer too when the data is read in another jurisdiction.",
      remediation="Run the workload in an allowed region.", types=COMPUTE_TYPES, **_COMMON)
def compute_location(res: Any, ctx: RuleContext) -> Result | None:
    locations = res.facets.get("locations") or ([res.region] if res.region else [])
    return _judge(res, ctx, "processing", locations)


@rule(id="residency.foreign_identity_access", title="Identity in another jurisdiction can read restricted data",
      severity="high",
      rationale="A federated workload running in another jurisdiction that can read the data moves it there.",
      remediation="Remove the read permission, or restrict the trust to workloads in allowed regions.",
      types=("aws.s3.bucket", "gcp.storage.bucket", "azure.storage.account"), **_COMMON)
def foreign_identity_access(res: Any, ctx: RuleContext) -> Result | None:
    policy = _allowed(res, ctx)
    if ctx.graph is None or policy is None or ANYWHERE in policy[1]:
        return None
    reach = ctx.memo("residency.located_reach", lambda: located_reach(ctx.graph))
    return foreign_access(ctx.graph, reach, res, *policy) if reach else None
