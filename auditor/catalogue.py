"""Region catalogue: cloud region -> country / jurisdiction, shipped as package data."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Region:
    provider: str
    region: str
    country: str  # ISO 3166-1 alpha-2, or a multi-country code such as "EU" / "MULTI"
    jurisdiction: str
    in_eu: bool
    in_eea: bool
    location: str


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("auditor.data").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def regions() -> dict[tuple[str, str], Region]:
    out: dict[tuple[str, str], Region] = {}
    for r in _rows("regions.csv"):
        key = (r["provider"].strip().lower(), r["region"].strip().lower())
        out[key] = Region(
            provider=key[0],
            region=key[1],
            country=r["country_iso2"].strip(),
            jurisdiction=r["jurisdiction"].strip() or r["country_iso2"].strip(),
            in_eu=r["in_eu"].strip() == "True",
            in_eea=r["in_eea"].strip() == "True",
            location=r["location"].strip(),
        )
    return out


@lru_cache(maxsize=1)
def azure_pairs() -> dict[str, dict[str, str]]:
    return {r["region"].strip().lower(): r for r in _rows("azure_paired_regions.csv")}


@lru_cache(maxsize=1)
def gcs_multi_locations() -> dict[str, dict[str, str]]:
    return {r["location"].strip().upper(): r for r in _rows("gcs_multi_dual_regions.csv")}


_GCP_REGION = re.compile(r"\b[a-z]+-[a-z]+\d+\b")


def gcs_members(location: str | None) -> list[str]:
    """Member regions of a predefined GCS dual-/multi-region named in the catalogue ([] if undisclosed)."""
    row = gcs_multi_locations().get(str(location or "").upper())
    return _GCP_REGION.findall(row.get("places_data_in", "")) if row else []


def lookup(provider: str, region: str | None) -> Region | None:
    """Catalogue entry for a region; GCP zones ("europe-west1-b") resolve to their region."""
    if not region:
        return None
    provider, region = provider.lower(), region.lower()
    table = regions()
    hit = table.get((provider, region))
    if hit is None and provider == "gcp" and region.count("-") == 2:
        hit = table.get((provider, region.rsplit("-", 1)[0]))
    if hit is None and provider == "aws" and region[-1:].isalpha() and region[-2:-1].isdigit():
        hit = table.get((provider, region[:-1]))  # availability zone "us-east-1a"
    return hit


def location_of(provider: str, region: str | None) -> str | None:
    """Normalised location (country code, or a multi-country code) used by the envelope."""
    if not region or region == "global":
        return None
    hit = lookup(provider, region)
    if hit is not None:
        return hit.country
    if provider.lower() == "gcp":
        multi = gcs_multi_locations().get(region.upper())
        if multi is not None:
            return multi["jurisdiction"].strip() or None
    return None
