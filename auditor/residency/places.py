"""Where copies of a resource's data land, read from the cloud's own config (facets as fallback).

* AWS S3: the bucket's region; each *enabled* replication rule's destination bucket, whose
  region comes from that bucket's own resource in the snapshot (else unknown).
* Azure storage: the primary location; the secondary of GRS/GZRS SKUs (reported, else the
  shipped pair table).
* GCS: a region; or the members of a dual-/multi-region (custom ``dataLocations``, the
  predefined composition table, or the undisclosed multi-region's jurisdiction).
* Compute: where it runs.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from auditor.catalogue import azure_pairs, gcs_multi_locations, lookup
from auditor.residency.policy import Place

GEO_SKUS = ("GRS", "GZRS")
_GCP_REGION = re.compile(r"\b[a-z]+-[a-z]+\d+\b")


def place(kind: str, provider: str, region: str | None, note: str | None = None) -> Place:
    if not region or region == "global":
        return Place(kind, provider, region, None, note=note or "location not collected")
    hit = lookup(provider, region)
    if hit is not None:
        return Place(kind, provider, region, hit.country, hit.in_eu, hit.in_eea, note)
    if provider == "gcp":
        multi = gcs_multi_locations().get(region.upper())
        if multi is not None:
            j = (multi.get("jurisdiction") or "").strip().upper()
            if j == "EU":
                return Place(kind, provider, region, "EU", True, True, note or "EU multi-region (country not disclosed)")
            if re.fullmatch(r"[A-Z]{2}", j):
                ref = next((r for r in _members_of(region) if lookup("gcp", r)), None)
                info = lookup("gcp", ref) if ref else None
                return Place(kind, provider, region, j, bool(info and info.in_eu), bool(info and info.in_eea), note)
            return Place(kind, provider, region, "MULTI", note=note or "multi-jurisdiction location")
    return Place(kind, provider, region, None, note=note or "region not in the shipped catalogue")


def _members_of(location: str) -> list[str]:
    row = gcs_multi_locations().get(location.upper())
    return _GCP_REGION.findall(row.get("places_data_in", "")) if row else []


def _bucket_name(value: str) -> str:
    return value.split(":::", 1)[1] if ":::" in value else value


def replication_rules(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    rc = config.get("ReplicationConfiguration")
    if isinstance(rc, dict) and isinstance(rc.get("ReplicationConfiguration"), dict):
        rc = rc["ReplicationConfiguration"]
    if not isinstance(rc, dict):
        return []
    return [r for r in rc.get("Rules") or [] if isinstance(r, dict)]


def s3_places(res: Any, bucket_regions: Mapping[str, str]) -> tuple[list[Place], list[Place]]:
    """(primary, replicas) of an S3 bucket."""
    locs = (res.facets or {}).get("locations") or []
    region = res.region if res.region and res.region != "global" else (locs[0] if locs else None)
    replicas: list[Place] = []
    for rule in replication_rules(res.config or {}):
        if str(rule.get("Status", "")).lower() != "enabled":
            continue
        dest = rule.get("Destination") if isinstance(rule.get("Destination"), dict) else {}
        name = _bucket_name(str(dest.get("Bucket") or ""))
        dest_region = bucket_regions.get(name)
        hint = ((dest.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID") or "") if isinstance(
            dest.get("EncryptionConfiguration"), dict) else ""
        note = f"destination bucket {name}" + ("" if dest_region else " not in the snapshot: region unknown"
                                               + (f" (KMS key hint: {hint})" if hint else ""))
        replicas.append(place("replica", "aws", dest_region, note) if dest_region else
                        Place("replica", "aws", None, None, note=note))
    return [place("primary", "aws", region)], replicas


def azure_storage_places(res: Any) -> tuple[list[Place], list[Place]]:
    cfg = res.config or {}
    props = cfg.get("properties") if isinstance(cfg.get("properties"), dict) else {}
    primary = str(props.get("primaryLocation") or cfg.get("location") or res.region or "").lower() or None
    sku = str((cfg.get("sku") or {}).get("name") or "") if isinstance(cfg.get("sku"), dict) else ""
    secondaries: list[Place] = []
    geo = any(s in sku.upper() for s in GEO_SKUS)
    if geo:
        secondary = props.get("secondaryLocation")
        if secondary:
            secondaries.append(place("secondary", "azure", str(secondary).lower(), f"{sku} secondary (reported)"))
        else:
            pair = azure_pairs().get(primary or "", {})
            target = (pair.get("secondary_region") or "").strip()
            secondaries.append(place("secondary", "azure", target, f"{sku} secondary (paired region of {primary})")
                               if target and not target.startswith("N/A") else
                               Place("secondary", "azure", None, None, note=f"{sku}: no pair known for {primary}"))
    elif not sku:
        for r in (res.facets or {}).get("replica_locations") or []:
            secondaries.append(place("secondary", "azure", str(r).lower(), "from facets"))
    return [place("primary", "azure", primary)], secondaries


def gcs_places(res: Any) -> tuple[list[Place], list[Place]]:
    """(primary, members): a single-region bucket has a primary; dual/multi-region buckets members."""
    cfg = res.config or {}
    location = str(cfg.get("location") or res.region or "").strip()
    ltype = str(cfg.get("locationType") or (res.facets or {}).get("location_type") or "").lower()
    custom = (cfg.get("customPlacementConfig") or {}).get("dataLocations") if isinstance(
        cfg.get("customPlacementConfig"), dict) else None
    if custom:
        return [], [place("member", "gcp", str(r).lower(), f"custom dual-region {location}") for r in custom]
    if ltype in ("dual-region", "multi-region") or location.upper() in gcs_multi_locations():
        members = _members_of(location)
        if members:
            return [], [place("member", "gcp", r, f"{ltype or 'dual-region'} {location}") for r in members]
        return [], [place("member", "gcp", location, f"{ltype or 'multi-region'} {location}")]
    return [place("primary", "gcp", location.lower() or None)], []


def compute_places(res: Any) -> list[Place]:
    locs = (res.facets or {}).get("locations") or []
    regions = [str(x) for x in locs] or ([res.region] if res.region else [])
    return [place("processing", res.provider, r) for r in regions] or [place("processing", res.provider, None)]
