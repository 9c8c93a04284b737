"""The discovery-document validator, and the fake refusing payloads a real API would never send."""

from __future__ import annotations

import copy

import pytest

from auditor.demo.emulators.gcp_estate import sample_estate
from auditor.demo.emulators.gcp_fake import GcpFake
from auditor.demo.emulators.gcp_schema import SchemaViolation, Validator, iter_methods, method
from auditor.model import UnitStatus

from .conftest import anonymous_config, collect


def _firewall() -> dict:
    return copy.deepcopy(sample_estate().projects[0].firewalls[0])


def test_valid_firewall_passes() -> None:
    assert Validator("compute").errors("Firewall", _firewall()) == []


def test_misspelt_field_is_rejected() -> None:
    fw = _firewall()
    fw["sourceRange"] = fw.pop("sourceRanges")
    errors = Validator("compute").errors("Firewall", fw)
    assert errors == ["Firewall: unknown field 'sourceRange'"]
    with pytest.raises(SchemaViolation):
        Validator("compute").check("Firewall", fw)


def test_bad_enum_wrong_type_and_bad_int64_are_rejected() -> None:
    fw = _firewall()
    fw["direction"] = "INBOUND"
    fw["priority"] = "1000"
    fw["id"] = "not-a-number"
    errors = Validator("compute").errors("Firewall", fw)
    assert any("direction" in e and "INBOUND" in e for e in errors)
    assert any("priority" in e and "expected integer" in e for e in errors)
    assert any(".id" in e and "int64" in e for e in errors)


def test_nested_refs_arrays_and_maps_are_checked() -> None:
    v = Validator("iam")
    provider = {"name": "p", "oidc": {"issuerUri": "https://x", "allowedAudience": ["a"]},
                "attributeMapping": {"google.subject": 1}, "state": "LIVE"}
    errors = v.errors("WorkloadIdentityPoolProvider", provider)
    assert "WorkloadIdentityPoolProvider.oidc: unknown field 'allowedAudience'" in errors
    assert any("attributeMapping.google.subject: expected string" in e for e in errors)
    assert any("state: 'LIVE'" in e for e in errors)
    bucket = {"name": "b", "labels": {"a": "b"}, "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": "yes"}}}
    assert Validator("storage").errors("Bucket", bucket) == [
        "Bucket.iamConfiguration.uniformBucketLevelAccess.enabled: expected boolean, got str"]


def test_every_route_of_the_fake_is_a_real_discovery_method() -> None:
    fake = GcpFake(sample_estate())
    for route in fake.routes:
        m = method(route.api, route.method_id)
        assert route.response == m.response and route.http_method == m.http_method
    assert any(m.id == "compute.instances.aggregatedList" for m in iter_methods("compute"))


def test_every_seeded_payload_validates() -> None:
    """The seed itself: each object against its schema (the fake checks whole responses too)."""
    estate = sample_estate()
    schemas = {"buckets": ("storage", "Bucket"), "instances": ("compute", "Instance"), "disks": ("compute", "Disk"),
               "networks": ("compute", "Network"), "subnetworks": ("compute", "Subnetwork"),
               "firewalls": ("compute", "Firewall"), "routes": ("compute", "Route"),
               "service_accounts": ("iam", "ServiceAccount"), "pools": ("iam", "WorkloadIdentityPool"),
               "vertex_models": ("aiplatform", "GoogleCloudAiplatformV1Model"),
               "vertex_endpoints": ("aiplatform", "GoogleCloudAiplatformV1Endpoint"),
               "custom_jobs": ("aiplatform", "GoogleCloudAiplatformV1CustomJob"),
               "pipeline_jobs": ("aiplatform", "GoogleCloudAiplatformV1PipelineJob"),
               "workbench": ("notebooks", "Instance"), "gke_clusters": ("container", "Cluster"),
               "repositories": ("artifactregistry", "Repository"),
               "vertex_datasets": ("aiplatform", "GoogleCloudAiplatformV1Dataset"),
               "featurestores": ("aiplatform", "GoogleCloudAiplatformV1Featurestore"),
               "feature_online_stores": ("aiplatform", "GoogleCloudAiplatformV1FeatureOnlineStore"),
               "sql_instances": ("sqladmin", "DatabaseInstance"), "bq_datasets": ("bigquery", "Dataset"),
               "key_rings": ("cloudkms", "KeyRing"), "crypto_keys": ("cloudkms", "CryptoKey"),
               "dataproc_clusters": ("dataproc", "Cluster")}
    for p in estate.projects:
        for attr, (api, schema) in schemas.items():
            for item in getattr(p, attr):
                assert Validator(api).errors(schema, item) == [], (p.project_id, attr, item.get("name"))
        for pol in p.key_policies.values():
            assert Validator("cloudkms").errors("Policy", pol) == []
        for tables in p.bq_tables.values():
            for t in tables:
                assert Validator("bigquery").errors("Table", t) == []
        for pol in p.vertex_policies.values():
            assert Validator("aiplatform").errors("GoogleIamV1Policy", pol) == []
        for provs in p.providers.values():
            for pr in provs:
                assert Validator("iam").errors("WorkloadIdentityPoolProvider", pr) == []


def test_strict_fake_refuses_an_invalid_fixture_and_the_unit_fails() -> None:
    estate = sample_estate()
    bad = estate.projects[0].firewalls[0]
    bad["sourceRange"] = bad.pop("sourceRanges")  # what a careless fixture author would write
    with GcpFake(estate, strict=True) as fake:
        cfg = anonymous_config(fake, projects=["ml-prod"], resource_types=["gcp.compute.firewall"])
        sink, _ = collect(fake, cfg)
    assert [u.status for u in sink.units] == [UnitStatus.ERROR]
    assert "fake payload rejected" in (sink.units[0].error or "")
    assert any("unknown field 'sourceRange'" in v for v in fake.violations)


def test_ml_payload_with_an_invented_field_is_refused() -> None:
    """The ML slice is held to the official Vertex/Notebooks/GKE documents like the rest."""
    from auditor.demo.emulators.gcp_ml_estate import model

    estate = sample_estate()
    ml = estate.project("ml-prod")
    assert ml is not None
    bad = model(ml, "europe-west1", "typo", artifact="gs://x/y", image="gcr.io/ml-prod/x:1")
    bad["artifactURI"] = bad.pop("artifactUri")
    errors = Validator("aiplatform").errors("GoogleCloudAiplatformV1Model", bad)
    assert any("unknown field 'artifactURI'" in e for e in errors)
    bad_cluster = {"name": "c", "status": "UP", "legacyAbac": {"enabled": "yes"}}
    errors = Validator("container").errors("Cluster", bad_cluster)
    assert any("'UP'" in e for e in errors) and any("legacyAbac.enabled: expected boolean" in e for e in errors)


def test_data_store_payload_with_an_invented_field_is_refused() -> None:
    """Cloud SQL, BigQuery and Cloud KMS payloads are held to their official documents too."""
    from auditor.demo.emulators.gcp_data_estate import bq_dataset, crypto_key, key_ring, sql_instance

    p = sample_estate().project("web-dev")
    assert p is not None
    inst = sql_instance(p, "europe-west1", "typo", "POSTGRES_16")
    inst["settings"]["ipConfiguration"]["requireSSL"] = True  # the real field is requireSsl
    inst["settings"]["ipConfiguration"]["sslMode"] = "REQUIRED"
    errors = Validator("sqladmin").errors("DatabaseInstance", inst)
    assert any("unknown field 'requireSSL'" in e for e in errors) and any("'REQUIRED'" in e for e in errors)
    ds = bq_dataset(p, "typo", "EU", public="allUsers")
    ds["access"].append({"role": "READER", "specialgroup": "allAuthenticatedUsers"})
    assert any("unknown field 'specialgroup'" in e for e in Validator("bigquery").errors("Dataset", ds))
    key = crypto_key(p, key_ring(p, "global", "r"), "k")
    key["purpose"] = "ENCRYPT"
    assert any("'ENCRYPT'" in e for e in Validator("cloudkms").errors("CryptoKey", key))


def test_dataproc_cluster_with_a_misspelt_key_field_is_refused() -> None:
    """A cluster's key lives in ``gcePdKmsKeyName``: a fixture spelling it otherwise would read as no CMEK."""
    from auditor.demo.emulators.gcp_data_estate import dataproc_cluster

    p = sample_estate().project("web-dev")
    assert p is not None
    c = dataproc_cluster(p, "europe-west1", "typo", kms="projects/p/locations/l/keyRings/r/cryptoKeys/k")
    assert Validator("dataproc").errors("Cluster", c) == []
    c["config"]["encryptionConfig"] = {"gcePdKmsKeyname": "k"}
    c["status"]["state"] = "ACTIVE"  # a list filter word, not a state
    errors = Validator("dataproc").errors("Cluster", c)
    assert any("unknown field 'gcePdKmsKeyname'" in e for e in errors) and any("'ACTIVE'" in e for e in errors)
