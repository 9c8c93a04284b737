"""Collectors decide every place a copy lands; residency rules read only those facets."""

from __future__ import annotations

from collectors.azure.normalise import storage_account_facets
from collectors.gcp.normalise import bucket_facets
from tests.rules.examples import CONFIG
from auditor.rules.engine import make_context
from auditor.rules.residency import geo_secondary, multi_region_member
from tests.identity.factories import azure_storage, gcs_bucket, stored


def test_gcs_predefined_dual_region_members_come_from_the_catalogue():
    f = bucket_facets({"name": "b", "location": "EUR4", "locationType": "dual-region"}, None)
    assert f["locations"] == ["EUR4"] and set(f["replica_locations"]) == {"europe-north1", "europe-west4"}
    custom = bucket_facets({"name": "b", "location": "EU", "locationType": "dual-region",
                            "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST4"]}}, None)
    assert custom["replica_locations"] == ["EUROPE-WEST1", "EUROPE-WEST4"]
    assert bucket_facets({"name": "b", "location": "EU", "locationType": "multi-region"}, None)["replica_locations"] == []


def test_azure_grs_secondary_and_unknown_pair():
    doc = {"location": "northeurope", "sku": {"name": "Standard_GRS"}, "properties": {"primaryLocation": "northeurope"}}
    assert storage_account_facets(doc)["replica_locations"] == ["westeurope"]
    unpaired = {"location": "italynorth", "sku": {"name": "Standard_GRS"}, "properties": {"primaryLocation": "italynorth"}}
    f = storage_account_facets(unpaired)
    assert f["replica_locations"] is None and f["location_type"] == "region"
    # The rule says UNKNOWN for a copy whose region nobody knows, never PASS.
    acct = stored(azure_storage("it", "italynorth", "Standard_GRS", tags={"data-classification": "restricted"}))
    assert geo_secondary(acct, make_context(CONFIG)).status == "UNKNOWN"


def test_rules_ignore_raw_config():
    """Rewriting the raw config without the facets changes nothing: the facets are the facts."""
    b = stored(gcs_bucket("x", "EUR5", "dual-region", labels={"data-classification": "restricted"}))
    before = multi_region_member(b, make_context(CONFIG)).status
    b.config.clear()
    assert multi_region_member(b, make_context(CONFIG)).status == before == "FAIL"
