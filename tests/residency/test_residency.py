"""Residency of every copy: replicas, geo-secondaries, dual/multi-region members, compute, identity."""

from __future__ import annotations

import pytest

from auditor.config.schema import AuditorConfig, EstateConfig, ResidencyConfig
from auditor.model import make_resource
from auditor.residency.policy import Place, permits
from auditor.rules.engine import evaluate, make_context
from auditor.rules.registry import select
from tests.identity.factories import (
    AWS_ACCT, EU_ACCOUNT, GCP_PROJECT, TENANT, azure_storage, gcs_bucket, s3_bucket, stored, three_cloud_estate,
)

RESIDENCY = ResidencyConfig(default_classification="internal",
                            allowed={"internal": ["*"], "restricted": ["EU"], "br-only": ["BR"], "eea": ["EEA"],
                                     "de-only": ["DE"]})
CTX = make_context(AuditorConfig(residency=RESIDENCY))
EU = {"data-classification": "restricted"}


def verdicts(res):
    """Every residency rule's verdict on one resource (rule id -> Result), as the engine runs them."""
    r = stored(res)
    return {rule.id: v for rule in select(["residency."]) if (v := rule.judge(r, CTX)) is not None}


def verdict(res, rule):
    return verdicts(res).get(rule)


# ---------------------------------------------------------------- S3 replication

def test_eu_bucket_replicated_to_us_is_flagged_and_eu_twin_is_not():
    regions = {"analytics-us": "us-east-1", "analytics-fra": "eu-central-1"}
    bad = verdict(s3_bucket("analytics-eu", "eu-west-1", tags=EU, replicate_to=["analytics-us"],
                            destination_regions=regions), "residency.replica_location")
    good = verdict(s3_bucket("analytics-eu", "eu-west-1", tags=EU, replicate_to=["analytics-fra"],
                             destination_regions=regions), "residency.replica_location")
    assert bad.status == "FAIL" and "us-east-1 (US)" in bad.message
    assert good.status == "PASS"
    assert verdict(s3_bucket("analytics-eu", "eu-west-1", tags=EU), "residency.primary_location").status == "PASS"


def test_replication_destination_outside_the_snapshot_is_unknown_and_disabled_rules_do_not_count():
    unknown = verdict(s3_bucket("b", "eu-west-1", tags=EU, replicate_to=["someone-elses"]), "residency.replica_location")
    assert unknown.status == "UNKNOWN" and "not collected" in unknown.message
    off = s3_bucket("b", "eu-west-1", tags=EU, replicate_to=["analytics-us"], status="Disabled",
                    destination_regions={"analytics-us": "us-east-1"})
    assert verdict(off, "residency.replica_location") is None


def test_unclassified_data_uses_the_default_classification():
    assert verdict(s3_bucket("b", "us-east-1"), "residency.primary_location").status == "PASS"  # internal: "*"
    assert verdict(s3_bucket("b", "us-east-1", tags={"Classification": "Restricted"}),
                   "residency.primary_location").status == "FAIL"  # key and value compared case-insensitively


# ---------------------------------------------------------------- Azure GRS pairs

def test_azure_grs_pair_crossing_a_border_is_flagged_and_twins_are_not():
    br = {"data-classification": "br-only"}
    grs = verdict(azure_storage("brdata", "brazilsouth", "Standard_RAGRS", tags=br), "residency.geo_secondary")
    assert grs.status == "FAIL" and "southcentralus (US)" in grs.message
    lrs = set(verdicts(azure_storage("brdata", "brazilsouth", "Standard_LRS", tags=br)))
    assert lrs == {"residency.primary_location"}  # no secondary copy at all
    de = verdict(azure_storage("dedata", "germanywestcentral", "Standard_GZRS", tags={"data-classification": "de-only"}),
                 "residency.geo_secondary")
    assert de.status == "PASS" and de.evidence["places"][0]["region"] == "germanynorth"


def test_azure_reported_secondary_wins_over_the_pair_table():
    r = verdict(azure_storage("x", "northeurope", "Standard_GRS", tags=EU, secondary="eastus"), "residency.geo_secondary")
    assert r.status == "FAIL" and r.evidence["places"][0]["region"] == "eastus"


# ---------------------------------------------------------------- GCS dual/multi-region

@pytest.mark.parametrize("location,ltype,data_locations,status", [
    ("EUR5", "dual-region", None, "FAIL"),  # europe-west1 (BE) + europe-west2 (GB)
    ("EUR8", "dual-region", None, "FAIL"),  # DE + CH
    ("EUR4", "dual-region", None, "PASS"),  # FI + NL
    ("EU", "dual-region", ["EUROPE-WEST1", "EUROPE-WEST4"], "PASS"),
    ("EU", "dual-region", ["EUROPE-WEST3", "EUROPE-WEST6"], "FAIL"),
    ("EU", "multi-region", None, "PASS"),
    ("ASIA", "multi-region", None, "FAIL"),
])
def test_gcs_dual_and_multi_region_members(location, ltype, data_locations, status):
    b = gcs_bucket("ml-features", location, ltype, labels={"data-classification": "restricted"},
                   data_locations=data_locations)
    assert verdict(b, "residency.multi_region_member").status == status
    assert verdict(b, "residency.primary_location") is None  # members are judged instead


def test_eu_multi_region_is_not_a_single_country():
    b = gcs_bucket("x", "EU", "multi-region", labels={"data-classification": "de-only"})
    assert verdict(b, "residency.multi_region_member").status == "FAIL"


def test_single_region_gcs_bucket_primary():
    assert verdict(gcs_bucket("x", "US-CENTRAL1", "region", labels=EU), "residency.primary_location").status == "FAIL"
    assert verdict(gcs_bucket("x", "EUROPE-WEST3", "region", labels=EU), "residency.primary_location").status == "PASS"


# ---------------------------------------------------------------- compute and the jurisdiction algebra

def test_compute_processing_location():
    vm = make_resource(provider="gcp", account=GCP_PROJECT, region="us-central1-a", category="compute",
                       type="gcp.compute.instance", native_id="//compute.googleapis.com/projects/p/zones/us-central1-a/instances/t",
                       name="t", config={"name": "t", "labels": EU}, tags=EU, facets={"locations": ["us-central1-a"]})
    assert verdict(vm, "residency.compute_location").status == "FAIL"


def test_permits():
    de = Place("primary", "aws", "eu-central-1", "DE", True, True)
    no = Place("primary", "aws", "eu-north-1", "NO", False, True)
    gb = Place("primary", "aws", "eu-west-2", "GB")
    assert permits(frozenset({"EU"}), de) and not permits(frozenset({"EU"}), no)
    assert permits(frozenset({"EEA"}), no) and permits(frozenset({"EEA"}), de)
    assert permits(frozenset({"GB"}), gb) and not permits(frozenset({"EU"}), gb)
    assert permits(frozenset({"*"}), Place("primary", "aws", None, None))
    assert permits(frozenset({"EU"}), Place("primary", "aws", "mars-1", None)) is None


# ---------------------------------------------------------------- identity in another jurisdiction

def test_identity_in_another_jurisdiction_can_read_restricted_data():
    config = AuditorConfig(estate=EstateConfig(aws_accounts=[AWS_ACCT], azure_tenants=[TENANT]), residency=RESIDENCY)
    resources = [stored(r) for r in three_cloud_estate()]
    findings, _ = evaluate(resources, resources, config, rules=["residency.*"])
    access = [f for f in findings if f.rule_id == "residency.foreign_identity_access"]
    assert len(access) == 1 and access[0].status == "FAIL"
    assert access[0].resource_key.endswith(f"/storageaccounts/{EU_ACCOUNT}")
    assert access[0].evidence["identity_region"] == "us-east-1" and access[0].evidence["identity_country"] == "US"
    # The compliant twin: the same estate where the data may live (and be read) anywhere.
    relaxed = AuditorConfig(residency=ResidencyConfig(allowed={"restricted": ["*"]}))
    findings, _ = evaluate(resources, resources, relaxed, rules=["residency.*"])
    assert not [f for f in findings if f.rule_id == "residency.foreign_identity_access"]
    assert all(f.status == "PASS" for f in findings)
