"""The ML rules written for AWS judge GCP resources collected over HTTP from the fake:
each rule's unsafe shape and its safe twin, from the same seeded estate."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace
from typing import Iterator

import pytest

from auditor.demo.emulators.gcp_estate import sample_estate
from auditor.demo.emulators.gcp_fake import GcpFake
from auditor.identity.estate import Estate
from auditor.rules import ml
from auditor.rules.registry import RuleContext

from .conftest import anonymous_config, collect

TYPES = ["gcp.aiplatform.model", "gcp.aiplatform.endpoint", "gcp.aiplatform.custom_job", "gcp.aiplatform.pipeline_job",
         "gcp.notebooks.instance", "gcp.container.cluster", "gcp.storage.bucket", "gcp.artifactregistry.repository"]


@pytest.fixture(scope="module")
def resources() -> Iterator[dict[str, SimpleNamespace]]:
    with GcpFake(sample_estate(), strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, projects=["ml-prod", "data-lake"], resource_types=TYPES))
    assert summary.complete and fake.violations == []
    yield {r.name: SimpleNamespace(provider=r.provider, account=r.account, region=r.region, category=r.category,
                                   type=r.type, native_id=r.native_id, name=r.name, tags=json.loads(r.tags or "{}"),
                                   config=json.loads(r.config), facets=json.loads(r.facets), state="present")
           for r in sink.resources}


def ctx(buckets: list[SimpleNamespace] = ()) -> RuleContext:  # type: ignore[assignment]
    c = RuleContext(estate=Estate(gcp_projects={"ml-prod", "data-lake", "100000000001", "100000000002"}))
    for b in buckets:
        ml.remember_bucket(c.cache, b)
    return c


@pytest.mark.parametrize(("rule", "unsafe", "safe"), [
    (ml.model_provenance, "sentiment-ext", "churn-v4"),           # external bucket + docker.io vs own, pinned
    (ml.model_provenance, "sentiment-public", "churn-private"),   # endpoints judged by what they serve
    (ml.model_provenance, "vendor-eval", "churn-nightly"),        # pipeline steps: docker.io vs estate/Google
    (ml.notebook_direct_internet, "ds-open", "ds-locked"),        # Workbench public IP
    (ml.notebook_root_access, "ds-open", "ds-locked"),
    (ml.endpoint_encryption, "sentiment-public", "churn-private"),  # Google-managed key vs CMEK
    (ml.endpoint_data_capture, "sentiment-public", "churn-private"),
    (ml.cluster_public_endpoint, "lake-gke", "ml-gke"),           # 0.0.0.0/0 vs private endpoint
    (ml.cluster_public_endpoint, "lake-gke", "ml-gke-edge"),      # vs public but authorized networks only
    (ml.registry_mutable_tags, "scratch", "serving"),             # Artifact Registry immutableTags
])
def test_unsafe_fails_and_safe_twin_passes(resources, rule, unsafe, safe) -> None:  # type: ignore[no-untyped-def]
    c = ctx()
    bad, good = rule(resources[unsafe], c), rule(resources[safe], c)
    assert bad is not None and bad.status == "FAIL", (unsafe, bad)
    assert good is not None and good.status == "PASS", (safe, good)


def test_google_published_serving_image_is_trusted(resources) -> None:  # type: ignore[no-untyped-def]
    assert ml.model_provenance(resources["churn-v3"], ctx()).status == "PASS"  # vertex-ai prebuilt container


def test_running_job_provenance_and_rules_that_do_not_apply(resources) -> None:  # type: ignore[no-untyped-def]
    job = resources["train-churn-v5"]
    assert ml.model_provenance(job, ctx()).status == "PASS"
    assert ml.notebook_direct_internet(job, ctx()) is None
    assert ml.cluster_public_endpoint(resources["churn-v4"], ctx()) is None


def test_artifact_in_another_estate_project_bucket(resources) -> None:  # type: ignore[no-untyped-def]
    """The collector proves only its own project's buckets; the audit's bucket memo places the rest."""
    moved = copy.deepcopy(resources["churn-v4"])
    src = {"uri": "gs://data-lake-raw/m/", "bucket": "data-lake-raw", "region": None, "account": None,
           "exists": None}
    moved.facets.update(artifact_locations=[src["uri"]], artifact_sources=[src])
    assert ml.model_provenance(moved, ctx()).status == "FAIL"
    assert ml.model_provenance(moved, ctx([resources["data-lake-raw"]])).status == "PASS"
    public = copy.deepcopy(moved)
    public.facets["artifact_sources"] = [dict(src, bucket="data-lake-public", uri="gs://data-lake-public/m/")]
    verdict = ml.model_provenance(public, ctx([resources["data-lake-public"]]))
    assert verdict.status == "FAIL" and "public" in verdict.message


def test_image_from_another_estate_project_is_ours_and_a_stranger_is_not(resources) -> None:  # type: ignore[no-untyped-def]
    m = copy.deepcopy(resources["churn-v4"])
    m.facets["images"] = [dict(m.facets["images"][0], account="data-lake")]
    assert ml.model_provenance(m, ctx()).status == "PASS"
    m.facets["images"] = [dict(m.facets["images"][0], account="someone-elses-project")]
    assert ml.model_provenance(m, ctx()).status == "FAIL"


def test_uncollected_facet_is_unknown_never_pass(resources) -> None:  # type: ignore[no-untyped-def]
    nb = copy.deepcopy(resources["ds-locked"])
    nb.facets["root_access"] = None
    assert ml.notebook_root_access(nb, ctx()).status == "UNKNOWN"
    ep = copy.deepcopy(resources["churn-private"])
    ep.facets.update(artifact_sources=None, images=None)  # models list was unreadable
    assert ml.model_provenance(ep, ctx()).status == "UNKNOWN"


def test_demo_drift_replaces_the_served_model_and_provenance_flips() -> None:
    from auditor.demo.emulators.gcp_ml_estate import replace_endpoint_model

    estate = sample_estate()
    verdicts = []
    for step in ("before", "after"):
        if step == "after":
            assert replace_endpoint_model(estate).startswith("gs://partner-share-models/")
        with GcpFake(estate, strict=True) as fake:
            sink, _ = collect(fake, anonymous_config(fake, projects=["ml-prod"],
                                                     resource_types=["gcp.aiplatform.endpoint"]))
            assert fake.violations == []
        ep = next(r for r in sink.resources if r.name == "churn-private")
        res = SimpleNamespace(provider="gcp", account=ep.account, facets=json.loads(ep.facets))
        verdicts.append(ml.model_provenance(res, ctx()).status)
    assert verdicts == ["PASS", "FAIL"]
