"""The engine's first pass feeds rule modules' observers: ML provenance learns every estate
account's buckets from the snapshot, not only those the collector could prove its own."""

from __future__ import annotations

from types import SimpleNamespace

from auditor.config.schema import AuditorConfig
from auditor.rules import ml
from auditor.rules.engine import evaluate
from auditor.rules.registry import observers

OURS, TEAM_B = "123456789012", "210987654321"


def _res(key: str, type_: str, category: str, account: str, facets: dict, config: dict | None = None,
         name: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(resource_key=key, provider="aws", account=account, region="eu-west-1",
                           location="IE", category=category, type=type_, native_id=key, name=name,
                           tags={}, config=config or {}, facets=facets, state="present")


def _model() -> SimpleNamespace:
    src = {"uri": "s3://team-b-models/m.tar.gz", "bucket": "team-b-models", "account": None, "region": None}
    return _res("aws.sagemaker.model|m", "aws.sagemaker.model", "compute", OURS,
                {"ml_kind": "model", "artifact_sources": [src], "images": [],
                 "artifact_locations": [src["uri"]]})


def _config() -> AuditorConfig:
    return AuditorConfig.model_validate({"estate": {"aws_accounts": [OURS, TEAM_B]}})


def _verdict(resources: list) -> str:  # type: ignore[type-arg]
    findings, _graph = evaluate(resources, resources, _config(), rules=["ml.model_provenance"])
    return next(f.status for f in findings if f.resource_key == "aws.sagemaker.model|m")


def test_remember_bucket_is_a_registered_observer() -> None:
    assert ml.remember_bucket in observers()


def test_bucket_of_another_estate_account_in_the_snapshot_makes_the_model_ours() -> None:
    bucket = _res("aws.s3.bucket|b", "aws.s3.bucket", "storage", TEAM_B, {"public": False},
                  {"Name": "team-b-models"}, "team-b-models")
    assert _verdict([bucket, _model()]) == "PASS"


def test_unknown_owner_without_the_bucket_in_the_snapshot_fails() -> None:
    assert _verdict([_model()]) == "FAIL"


def test_a_public_estate_bucket_still_fails() -> None:
    bucket = _res("aws.s3.bucket|b", "aws.s3.bucket", "storage", TEAM_B, {"public": True},
                  {"Name": "team-b-models"}, "team-b-models")
    assert _verdict([bucket, _model()]) == "FAIL"
