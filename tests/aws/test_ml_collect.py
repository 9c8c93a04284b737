"""ML platform collection from the seeded moto server over real HTTP (issue 16).

Everything here came from moto's server mode except SageMaker user profiles (moto has no
ListUserProfiles: see test_ml_stubbed.py). Page sizes are lowered to 1 so every listing
follows its page tokens through the emulator.
"""

from __future__ import annotations

import json

import pytest

from auditor.demo.emulators import aws_ml_seed
from auditor.facets import unknown_facet_keys
from collectors.aws import AwsClientFactory, classify, plan
from collectors.aws.ml_specs import IMAGE_SPEC, ML_SPECS
from collectors.runner import ListSink, run_units

from aws_testlib import PRIMARY, aws_config

ML_TYPES = [s.type for s in (*ML_SPECS, IMAGE_SPEC)]


@pytest.fixture(scope="module")
def ml(moto_url, estate):  # type: ignore[no-untyped-def]
    from collectors.aws import listing

    old, listing.PAGE_SIZE = listing.PAGE_SIZE, 1
    try:
        cfg = aws_config(moto_url, resource_types=ML_TYPES)
        sink = ListSink()
        run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    finally:
        listing.PAGE_SIZE = old
    return sink


def facets(res) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(res.facets)


def by_name(sink: ListSink, type_: str) -> dict:
    return {r.name: r for r in sink.by_type(type_)}


def test_every_ml_unit_completes_and_every_seeded_ml_resource_is_collected(ml, estate) -> None:
    bad = [(str(u.unit), u.status.value, u.error) for u in ml.units if not u.status.completed or u.error]
    # moto lacks ListUserProfiles; the seeded estate has no Studio domain, so that unit makes no call.
    assert bad == []
    keys = {r.resource_key for r in ml.resources}
    seeded = {r.resource_key for r in estate.resources if r.type in ML_TYPES}
    assert seeded - keys == set()
    assert len(keys) == len(ml.resources)
    for r in ml.resources:
        assert unknown_facet_keys(r.category, facets(r)) == [], r.type


def test_paging_followed_every_token(ml) -> None:
    # page size 1: two notebooks, two models, two endpoints, two repositories need two pages each
    for t in ("aws.sagemaker.notebook_instance", "aws.sagemaker.model", "aws.sagemaker.endpoint",
              "aws.ecr.repository", "aws.eks.cluster", "aws.rds.snapshot", "aws.sagemaker.training_job"):
        assert len(ml.by_type(t)) >= 2, t


def test_notebook_facets(ml, estate) -> None:
    nb = {r.resource_key: r for r in ml.by_type("aws.sagemaker.notebook_instance")}
    bad = facets(nb[estate.problems["notebook_direct_internet"]])
    assert bad["ml_kind"] == "notebook" and bad["direct_internet_access"] is True and bad["root_access"] is True
    assert bad["identity"].endswith(aws_ml_seed.ROLE)
    safe = facets(by_name(ml, "aws.sagemaker.notebook_instance")["acme-secure-notebook"])
    assert safe["direct_internet_access"] is False and safe["root_access"] is False and safe["in_vpc"] is True


def test_model_provenance_is_resolved(ml, estate) -> None:
    models = {r.resource_key: facets(r) for r in ml.by_type("aws.sagemaker.model")}
    foreign = models[estate.problems["model_foreign_artifact"]]
    [src] = foreign["artifact_sources"]
    assert src["bucket"] == aws_ml_seed.FOREIGN_BUCKET and src["account"] is None and src["exists"] is False
    own = facets(by_name(ml, "aws.sagemaker.model")["acme-churn-v1"])
    [src] = own["artifact_sources"]
    assert src["account"] == PRIMARY and src["region"] == "eu-west-1" and src["exists"] is True
    [img] = own["images"]
    assert img["account"] == PRIMARY and img["digest"] == aws_ml_seed.DIGEST and img["region"] == "eu-west-1"


def test_endpoint_carries_what_it_serves(ml) -> None:
    eps = by_name(ml, "aws.sagemaker.endpoint")
    churn = facets(eps["acme-churn"])
    assert churn["ml_kind"] == "endpoint" and churn["models"] == ["acme-churn-v1"]
    assert churn["artifact_locations"] == ["s3://acme-ml-artifacts-9012/churn/v1/model.tar.gz"]
    assert churn["data_capture"] is True and churn["encrypted"] is True and churn["key_management"] == "customer"
    assert churn["identity"].endswith(aws_ml_seed.ROLE)
    sentiment = facets(eps["acme-sentiment"])
    assert sentiment["data_capture"] is False and sentiment["key_management"] == "provider"


def test_training_job_facets_and_tags(ml, estate) -> None:
    jobs = {r.resource_key: r for r in ml.by_type("aws.sagemaker.training_job")}
    bad = jobs[estate.problems["training_without_isolation"]]
    f = facets(bad)
    assert f["ml_kind"] == "job" and f["network_isolation"] is False and f["inter_container_encryption"] is False
    assert f["input_locations"] == ["s3://acme-ml-artifacts-9012/churn/train/"]
    assert {s["region"] for s in f["data_sources"]} == {"eu-west-1"}
    assert json.loads(bad.tags)["data-classification"] == "restricted"
    safe = facets(by_name(ml, "aws.sagemaker.training_job")["acme-churn-train-isolated"])
    assert safe["network_isolation"] is True
    proc = facets(by_name(ml, "aws.sagemaker.processing_job")["acme-features"])
    assert proc["network_isolation"] is True and proc["output_locations"] == ["s3://acme-ml-artifacts-9012/features/"]


def test_registry_cluster_database_and_snapshot_facets(ml, estate) -> None:
    res = {r.resource_key: facets(r) for r in ml.resources}
    p = estate.problems
    repo = res[p["ecr_public_mutable"]]
    assert repo["public"] is True and repo["tag_immutable"] is False and repo["scan_on_push"] is False
    safe_repo = facets(by_name(ml, "aws.ecr.repository")["acme/training"])
    assert safe_repo["public"] is False and safe_repo["tag_immutable"] is True
    cl = res[p["eks_public_endpoint"]]
    assert cl["endpoint_public"] is True and cl["endpoint_public_cidrs"] == ["0.0.0.0/0"]
    private = facets(by_name(ml, "aws.eks.cluster")["acme-private-cluster"])
    assert private["endpoint_public"] is False and private["secrets_encrypted"] is True
    assert res[p["public_db_snapshot"]]["public"] is True
    assert facets(by_name(ml, "aws.rds.snapshot")["acme-features-nightly"])["public"] is False
    ebs = res[p["public_ebs_snapshot"]]
    assert ebs["public"] is True and ebs["encrypted"] is False and ebs["public_reasons"] == ["createVolumePermission:all"]
    assert by_name(ml, "aws.eks.nodegroup")["acme-training-cluster/gpu"]


def test_lambda_keeps_env_names_never_values(ml, estate) -> None:
    fn = ml.by_type("aws.lambda.function")
    [f] = [r for r in fn if r.resource_key == estate.problems["lambda_public_url"]]
    fc = facets(f)
    assert fc["url_auth"] == "none" and fc["public"] is True and fc["env_names"] == ["API_TOKEN", "MODEL_ENDPOINT"]
    for r in ml.resources:
        assert aws_ml_seed.LAMBDA_SECRET not in r.config + r.facets + r.tags, r.type


def test_secret_metadata_only(ml) -> None:
    [s] = ml.by_type("aws.secretsmanager.secret")
    f = facets(s)
    assert f["encrypted"] is True and f["rotation"] is False and f["public"] is False
    assert "SecretString" not in s.config
