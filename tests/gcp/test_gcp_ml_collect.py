"""Vertex AI, Workbench and GKE through the discovery clients over HTTP to the strict fake:
every seeded resource, paging at one item a page, facets, partial scopes and scrubbed secrets."""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from auditor.demo.emulators.gcp_estate import sample_estate
from auditor.demo.emulators.gcp_fake import GcpFake
from auditor.facets import unknown_facet_keys
from auditor.model import UnitStatus

from .conftest import anonymous_config, collect

ML_TYPES = ["gcp.aiplatform.model", "gcp.aiplatform.endpoint", "gcp.aiplatform.custom_job",
            "gcp.aiplatform.pipeline_job", "gcp.notebooks.instance", "gcp.container.cluster",
            "gcp.artifactregistry.repository"]
PROJECTS = ["ml-prod", "data-lake", "web-dev"]


@pytest.fixture(scope="module")
def ml_run() -> Iterator[tuple]:
    estate = sample_estate()
    estate.page_size = 1  # every list of two or more items must be followed to its last page
    with GcpFake(estate, strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, projects=PROJECTS, resource_types=ML_TYPES))
        yield fake, estate, sink, summary


def by_name(sink, type_: str) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {r.name: {"facets": json.loads(r.facets), "config": json.loads(r.config), "region": r.region,
                     "native_id": r.native_id, "account": r.account} for r in sink.by_type(type_)}


def test_every_seeded_ml_resource_is_collected_and_schema_valid(ml_run) -> None:  # type: ignore[no-untyped-def]
    fake, estate, sink, summary = ml_run
    assert fake.violations == [] and summary.complete
    assert {u.status for u in sink.units} <= {UnitStatus.OK, UnitStatus.EMPTY}
    assert set(by_name(sink, "gcp.aiplatform.model")) == {"churn-v3", "churn-v4", "sentiment-ext"}
    assert set(by_name(sink, "gcp.aiplatform.endpoint")) == {"churn-private", "sentiment-public"}
    assert set(by_name(sink, "gcp.aiplatform.custom_job")) == {"train-churn-v5"}  # the 2024 job is not recent
    assert set(by_name(sink, "gcp.aiplatform.pipeline_job")) == {"churn-nightly", "vendor-eval"}
    assert set(by_name(sink, "gcp.notebooks.instance")) == {"ds-open", "ds-locked", "lake-explore"}
    assert set(by_name(sink, "gcp.container.cluster")) == {"ml-gke", "ml-gke-edge", "lake-gke"}
    assert set(by_name(sink, "gcp.artifactregistry.repository")) == {"serving", "training", "scratch"}
    for r in sink.resources:
        assert unknown_facet_keys(r.category, json.loads(r.facets)) == [], r.type
    model = by_name(sink, "gcp.aiplatform.model")["churn-v4"]
    assert model["native_id"].startswith("//aiplatform.googleapis.com/projects/100000000001/locations/europe-west1/")
    assert model["account"] == "ml-prod" and model["region"] == "europe-west1"


def test_pages_are_followed(ml_run) -> None:  # type: ignore[no-untyped-def]
    fake, estate, sink, _ = ml_run
    calls = fake.calls
    # page size 1: ml-prod's 3 models need 3 pages for the model unit and again for the endpoint unit
    assert calls["aiplatform.projects.locations.models.list"] >= 6
    assert calls["notebooks.projects.locations.instances.list"] >= 2 + 1 + 1
    regions = len(estate.regions())
    assert calls["aiplatform.projects.locations.list"] >= 3 * len(PROJECTS) * regions


def test_vertex_facets(ml_run) -> None:  # type: ignore[no-untyped-def]
    sink = ml_run[2]
    models = by_name(sink, "gcp.aiplatform.model")
    v4 = models["churn-v4"]["facets"]
    assert v4["ml_kind"] == "model" and v4["key_management"] == "customer"
    assert v4["artifact_sources"] == [{"uri": "gs://ml-prod-models/churn/v4/", "bucket": "ml-prod-models",
                                       "region": "eu", "account": "ml-prod", "exists": True}]
    assert v4["images"][0]["account"] == "ml-prod" and v4["images"][0]["digest"].startswith("sha256:")
    ext = models["sentiment-ext"]["facets"]
    assert ext["artifact_sources"][0]["account"] is None and ext["images"][0]["registry"] == "docker.io"
    eps = by_name(sink, "gcp.aiplatform.endpoint")
    private, public = eps["churn-private"]["facets"], eps["sentiment-public"]["facets"]
    assert private["in_vpc"] is True and public["in_vpc"] is False
    assert private["data_capture"] is True and public["data_capture"] is False
    assert public["artifact_locations"] == ["gs://partner-share-models/sentiment/v7/"]  # what it serves
    assert private["roles"] == ["trainer@ml-prod.iam.gserviceaccount.com"]
    job = by_name(sink, "gcp.aiplatform.custom_job")["train-churn-v5"]["facets"]
    assert job["identity"] == "trainer@ml-prod.iam.gserviceaccount.com" and job["in_vpc"] is True
    assert job["output_locations"] == ["gs://ml-prod-models/churn/v5/"]
    run = by_name(sink, "gcp.aiplatform.pipeline_job")["churn-nightly"]
    assert run["facets"]["ml_kind"] == "job" and run["facets"]["in_vpc"] is True
    assert {i["account"] for i in run["facets"]["images"]} == {"ml-prod", "vertex-ai"}
    assert run["config"]["runtimeConfig"]["parameterValues"] == ["db_password"]  # names, never values
    assert set(run["config"]["pipelineSpec"]) == {"images"}


def test_workbench_and_gke_facets(ml_run) -> None:  # type: ignore[no-untyped-def]
    sink = ml_run[2]
    nb = by_name(sink, "gcp.notebooks.instance")
    assert nb["ds-open"]["facets"]["public_ip"] is True and nb["ds-open"]["facets"]["root_access"] is True
    assert nb["ds-locked"]["facets"]["public_ip"] is False and nb["ds-locked"]["facets"]["root_access"] is False
    assert nb["ds-locked"]["config"]["disableProxyAccess"] is True
    assert nb["ds-open"]["region"] == "europe-west1-b"
    gke = by_name(sink, "gcp.container.cluster")
    lake = gke["lake-gke"]["facets"]
    assert lake["endpoint_public"] is True and lake["endpoint_public_cidrs"] == ["0.0.0.0/0"]
    assert lake["legacy_abac"] is True and lake["workload_identity"] is False and lake["shielded_nodes"] is False
    assert lake["node_identities"] == ["default"] and lake["node_full_scope"] is True
    ml = gke["ml-gke"]["facets"]
    assert ml["endpoint_public"] is False and ml["secrets_encrypted"] is True and ml["workload_identity"] is True
    assert gke["ml-gke-edge"]["facets"]["endpoint_public_cidrs"] == ["203.0.113.0/24"]


def test_artifact_registry_facets(ml_run) -> None:  # type: ignore[no-untyped-def]
    fake, _, sink, _ = ml_run
    repos = by_name(sink, "gcp.artifactregistry.repository")
    scratch, serving = repos["scratch"]["facets"], repos["serving"]["facets"]
    assert scratch["public"] is True and scratch["public_reasons"] == ["iam:allUsers:roles/artifactregistry.reader"]
    assert scratch["tag_immutable"] is False and scratch["key_management"] == "provider"
    assert serving["public"] is False and serving["tag_immutable"] is True and serving["kms_key"]
    assert repos["scratch"]["config"]["iamPolicy"]["bindings"][0]["members"] == ["allUsers"]
    # one IAM policy read per repository, and the location list was paged (page size 1)
    assert fake.calls["artifactregistry.projects.locations.repositories.getIamPolicy"] == 3
    assert fake.calls["artifactregistry.projects.locations.list"] > len(PROJECTS)


def test_secrets_never_stored(ml_run) -> None:  # type: ignore[no-untyped-def]
    sink = ml_run[2]
    text = " ".join(r.config for r in sink.resources)
    assert "s3cr3t" not in text  # job args/env values, notebook startup-script, cluster CA material
    job = by_name(sink, "gcp.aiplatform.custom_job")["train-churn-v5"]["config"]
    assert job["jobSpec"]["workerPoolSpecs"][0]["containerSpec"]["env"] == [{"name": "API_KEY"}]
    nb = by_name(sink, "gcp.notebooks.instance")["ds-locked"]["config"]
    assert nb["gceSetup"]["metadata"] == {"notebook-disable-root": "true"}
    assert "clusterCaCertificate" not in by_name(sink, "gcp.container.cluster")["ml-gke"]["config"]["masterAuth"]


def test_unreachable_locations_make_units_partial_not_empty() -> None:
    estate = sample_estate()
    with GcpFake(estate, strict=True) as fake:
        fake.make_zone_unreachable("us-central1")  # a regional cluster's location
        fake.make_zone_unreachable("europe-west1-c")
        sink, summary = collect(fake, anonymous_config(
            fake, projects=["data-lake", "ml-prod"],
            resource_types=["gcp.container.cluster", "gcp.notebooks.instance"]))
    assert not summary.complete
    assert {u.status for u in sink.units if u.unit.account == "ml-prod"} == {UnitStatus.OK}
    units = {u.unit.resource_type: u for u in sink.units if u.unit.account == "data-lake"}
    assert {t: u.status for t, u in units.items()} == {"gcp.container.cluster": UnitStatus.ERROR,
                                                       "gcp.notebooks.instance": UnitStatus.ERROR}
    assert "us-central1 unreachable" in str(units["gcp.container.cluster"].error)
    assert "europe-west1-c unreachable" in str(units["gcp.notebooks.instance"].error)
    assert {r.name for r in sink.resources} == {"ml-gke", "ml-gke-edge", "ds-open", "ds-locked"}


def test_disabled_vertex_api_is_a_skipped_unit_not_an_empty_one() -> None:
    with GcpFake(sample_estate(), strict=True) as fake:
        fake.disable_api("ml-prod", "aiplatform.googleapis.com")
        sink, summary = collect(fake, anonymous_config(fake, projects=["ml-prod"],
                                                       resource_types=["gcp.aiplatform.model"]))
    assert not sink.resources
    assert [u.status for u in sink.units] == [UnitStatus.SKIPPED]  # never "empty": nothing was seen
    assert "aiplatform.googleapis.com" in str(sink.units[0].error)


def test_vertex_clients_use_regional_endpoints_on_real_gcp() -> None:
    from google.auth.credentials import AnonymousCredentials

    from auditor.config.schema import GcpConfig
    from collectors.gcp.clients import GcpClients

    clients = GcpClients(GcpConfig(), credentials=AnonymousCredentials())
    assert clients.aiplatform("europe-west4")._baseUrl == "https://europe-west4-aiplatform.googleapis.com/"
    assert clients.aiplatform(None)._baseUrl == "https://aiplatform.googleapis.com/"
    assert clients.aiplatform("global")._baseUrl == "https://aiplatform.googleapis.com/"
