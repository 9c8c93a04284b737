"""Region -> jurisdiction for one place a copy lands, through the shipped region catalogue."""

from __future__ import annotations

import re

from auditor.catalogue import gcs_members, gcs_multi_locations, lookup
from auditor.residency.policy import Place


def place(kind: str, provider: str, region: str | None, note: str | None = None) -> Place:
    """A located place; an unknown or uncatalogued region gives a place of unknown country."""
    if not region or region in ("global", "unknown"):
        return Place(kind, provider, None, None, note=note or "location not collected")
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
                ref = next((r for r in gcs_members(region) if lookup("gcp", r)), None)
                info = lookup("gcp", ref) if ref else None
                return Place(kind, provider, region, j, bool(info and info.in_eu), bool(info and info.in_eea), note)
            return Place(kind, provider, region, "MULTI", note=note or "multi-jurisdiction location")
    return Place(kind, provider, region, None, note=note or "region not in the shipped catalogue")
