"""ML rules: each with its unsafe shape, its safe twin, and UNKNOWN when a facet was not collected."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from auditor.config.schema import ResidencyConfig
from auditor.identity.estate import Estate
from auditor.rules import ml
from auditor.rules.registry import RuleContext, rules_in

OURS, OTHER = "123456789012", "999999999999"
REG = f"{OURS}.dkr.ecr.eu-west-1.amazonaws.com"


def res(facets: dict, *, tags: dict | None = None, type_: str = "aws.sagemaker.model", category: str = "compute"):
    return SimpleNamespace(provider="aws", account=OURS, region="eu-west-1", location="IE", category=category,
                           type=type_, native_id="arn:x", name="x", tags=tags or {}, config={}, facets=facets,
                           state="present", resource_key=f"{type_}|arn:x")


def ctx(**kw) -> RuleContext:  # type: ignore[no-untyped-def]
    residency = ResidencyConfig(allowed={"restricted": ["EU"], "internal": ["*"]})
    cfg = SimpleNamespace(residency=residency, checks=SimpleNamespace())
    estate = Estate(aws_accounts={OURS, "210987654321"})

    def classify(r):  # type: ignore[no-untyped-def]
        return (r.tags or {}).get("data-classification", "internal")

    return RuleContext(config=cfg, estate=estate, classify=classify, **kw)


def src(uri: str, account: str | None, region: str | None = "eu-west-1") -> dict:
    return {"uri": uri, "bucket": uri.split("/")[2], "region": region, "account": account}


def img(uri: str) -> dict:
    from collectors.aws.refs import image_ref

    return image_ref(uri)


def model(sources: list, images: list, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"ml_kind": "model", "artifact_sources": sources, "images": images,
            "artifact_locations": [s["uri"] for s in sources or []], "locations": ["eu-west-1"], **extra}


def test_every_rule_has_metadata() -> None:
    rules = rules_in(ml)
    assert len(rules) == 10
    for r in rules:
        assert r.rationale and r.remediation and r.kind in ("posture", "residency")


@pytest.mark.parametrize(("facets", "status"), [
    (model([src("s3://ours/m.tar.gz", OURS)], [img(f"{REG}/serve@sha256:" + "a" * 64)]), "PASS"),
    (model([src("s3://vendor/m.tar.gz", None)], [img(f"{REG}/serve:1")]), "FAIL"),
    (model([src("s3://ours/m.tar.gz", OURS)], [img("docker.io/someone/serve:latest")]), "FAIL"),
    (model([src("s3://ours/m.tar.gz", OURS)], [img("999999999999.dkr.ecr.eu-west-1.amazonaws.com/x:1")]), "FAIL"),
    (model([src("s3://ours/m.tar.gz", OURS)], [img("763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch:2")]), "PASS"),
    (model(None, [img(f"{REG}/serve:1")]), "UNKNOWN"),  # type: ignore[arg-type]
])
def test_model_provenance(facets, status) -> None:  # type: ignore[no-untyped-def]
    if facets["artifact_sources"] is None:
        facets["artifact_locations"] = None
    assert ml.model_provenance(res(facets), ctx()).status == status


def test_provenance_uses_the_snapshot_bucket_map_when_the_engine_provides_it() -> None:
    f = model([src("s3://shared-team/m.tar.gz", None)], [img(f"{REG}/serve:1")])
    assert ml.model_provenance(res(f), ctx()).status == "FAIL"
    known = ctx(cache={ml.BUCKETS_MEMO: {"shared-team": {"account": "210987654321", "region": "eu-west-1"}}})
    assert ml.model_provenance(res(f), known).status == "PASS"
    public = ctx(cache={ml.BUCKETS_MEMO: {"shared-team": {"account": OURS, "public": True}}})
    r = ml.model_provenance(res(f), public)
    assert r.status == "FAIL" and "public" in r.message


def test_job_provenance_reads_its_data_sources() -> None:
    job = {"ml_kind": "job", "data_sources": [src("s3://vendor/in/", None)], "images": [img(f"{REG}/t:1")]}
    assert ml.model_provenance(res(job, type_="aws.sagemaker.training_job"), ctx()).status == "FAIL"


@pytest.mark.parametrize(("facets", "status"), [
    ({"ml_kind": "notebook", "direct_internet_access": True}, "FAIL"),
    ({"ml_kind": "notebook", "direct_internet_access": False}, "PASS"),
    ({"ml_kind": "domain", "direct_internet_access": True}, "FAIL"),
    ({"ml_kind": "notebook", "direct_internet_access": None}, "UNKNOWN"),
])
def test_notebook_direct_internet(facets, status) -> None:  # type: ignore[no-untyped-def]
    assert ml.notebook_direct_internet(res(facets), ctx()).status == status


def test_notebook_root_access() -> None:
    assert ml.notebook_root_access(res({"ml_kind": "notebook", "root_access": True}), ctx()).status == "FAIL"
    assert ml.notebook_root_access(res({"ml_kind": "notebook", "root_access": False}), ctx()).status == "PASS"
    assert ml.notebook_root_access(res({"ml_kind": "notebook", "root_access": None}), ctx()).status == "UNKNOWN"
    assert ml.notebook_root_access(res({"ml_kind": "model"}), ctx()) is None


def test_endpoint_encryption_and_capture() -> None:
    ep = lambda **kw: res({"ml_kind": "endpoint", **kw}, type_="aws.sagemaker.endpoint")  # noqa: E731
    assert ml.endpoint_encryption(ep(encrypted=True, key_management="customer"), ctx()).status == "PASS"
    assert ml.endpoint_encryption(ep(encrypted=True, key_management="provider"), ctx()).status == "FAIL"
    r = ml.endpoint_encryption(ep(encrypted=False, key_management=None), ctx())
    assert r.status == "FAIL" and r.severity == "high"
    assert ml.endpoint_encryption(ep(encrypted=None), ctx()).status == "UNKNOWN"
    assert ml.endpoint_data_capture(ep(data_capture=False), ctx()).status == "FAIL"
    assert ml.endpoint_data_capture(ep(data_capture=True), ctx()).status == "PASS"
    assert ml.endpoint_data_capture(ep(data_capture=None), ctx()).status == "UNKNOWN"


def test_training_isolation_only_on_restricted_data() -> None:
    job = lambda iso, tags: res({"ml_kind": "job", "network_isolation": iso, "inter_container_encryption": iso},  # noqa: E731
                                tags=tags, type_="aws.sagemaker.training_job")
    restricted = {"data-classification": "restricted"}
    assert ml.training_network_isolation(job(False, restricted), ctx()).status == "FAIL"
    assert ml.training_network_isolation(job(True, restricted), ctx()).status == "PASS"
    assert ml.training_network_isolation(job(None, restricted), ctx()).status == "UNKNOWN"
    assert ml.training_network_isolation(job(False, {"data-classification": "public"}), ctx()) is None


def test_cluster_public_endpoint() -> None:
    cl = lambda pub, cidrs: res({"endpoint_public": pub, "endpoint_public_cidrs": cidrs}, type_="aws.eks.cluster")  # noqa: E731
    assert ml.cluster_public_endpoint(cl(True, ["0.0.0.0/0"]), ctx()).status == "FAIL"
    assert ml.cluster_public_endpoint(cl(True, ["203.0.113.0/24"]), ctx()).status == "PASS"
    assert ml.cluster_public_endpoint(cl(False, []), ctx()).status == "PASS"
    assert ml.cluster_public_endpoint(cl(None, None), ctx()).status == "UNKNOWN"


def test_registry_mutable_tags_and_public_function() -> None:
    repo = lambda v: res({"tag_immutable": v, "public": False}, type_="aws.ecr.repository", category="storage")  # noqa: E731
    assert ml.registry_mutable_tags(repo(False), ctx()).status == "FAIL"
    assert ml.registry_mutable_tags(repo(True), ctx()).status == "PASS"
    assert ml.registry_mutable_tags(repo(None), ctx()).status == "UNKNOWN"
    fn = lambda pub, auth: res({"url_auth": auth, "public": pub, "public_reasons": ["url:AuthType NONE"] if pub else []},  # noqa: E731
                               type_="aws.lambda.function")
    assert ml.function_public(fn(True, "none"), ctx()).status == "FAIL"
    assert ml.function_public(fn(False, "iam"), ctx()).status == "PASS"
    assert ml.function_public(fn(None, None), ctx()).status == "UNKNOWN"


def test_ml_data_residency() -> None:
    restricted = {"data-classification": "restricted"}
    job = lambda sources: res({"ml_kind": "job", "data_sources": sources, "images": [],  # noqa: E731
                               "locations": ["eu-west-1"]}, tags=restricted, type_="aws.sagemaker.training_job")
    assert ml.ml_data_residency(job([src("s3://ours/in/", OURS, "eu-central-1")]), ctx()).status == "PASS"
    r = ml.ml_data_residency(job([src("s3://ours/in/", OURS, "us-east-1")]), ctx())
    assert r.status == "FAIL" and "us-east-1" in r.message
    assert ml.ml_data_residency(job([src("s3://gone/in/", None, None)]), ctx()).status == "UNKNOWN"
    assert ml.ml_data_residency(job(None), ctx()).status == "UNKNOWN"
    internal = res({"ml_kind": "job", "data_sources": [src("s3://x/y", OURS, "us-east-1")]},
                   type_="aws.sagemaker.training_job")
    assert ml.ml_data_residency(internal, ctx()).status == "PASS"  # internal: anywhere


def test_remember_bucket_feeds_provenance() -> None:
    c = ctx()
    bucket = res({"public": False}, type_="aws.s3.bucket", category="storage")
    bucket.account, bucket.name, bucket.config = "210987654321", "team-b-models", {"Name": "team-b-models"}
    ml.remember_bucket(c.cache, bucket)
    ml.remember_bucket(c.cache, res({}, type_="aws.ec2.volume", category="storage"))
    assert c.cache[ml.BUCKETS_MEMO] == {"team-b-models": {"account": "210987654321", "region": "eu-west-1",
                                                          "public": False}}
    f = model([src("s3://team-b-models/m.tar.gz", None)], [img(f"{REG}/serve:1")])
    assert ml.model_provenance(res(f), c).status == "PASS"


def test_a_referenced_bucket_that_does_not_exist_is_a_provenance_failure() -> None:
    gone = dict(src("s3://vendor-public-models/m.tar.gz", None, None), exists=False)
    r = ml.model_provenance(res(model([gone], [img(f"{REG}/serve:1")])), ctx())
    assert r.status == "FAIL" and "does not exist" in r.message
