"""Drift: an endpoint whose served model artifact, image digest or role changed is high."""

from __future__ import annotations

import copy

from auditor.drift.diff import diff_documents
from auditor.drift.severity import assess

OLD = "s3://acme-ml-artifacts-9012/churn/v1/model.tar.gz"
NEW = "s3://vendor-public-models/churn/v2/model.tar.gz"
IMAGE = {"uri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/serving@sha256:" + "ab" * 32,
         "registry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "account": "123456789012",
         "region": "eu-west-1", "digest": "sha256:" + "ab" * 32}


def endpoint(**facets):  # type: ignore[no-untyped-def]
    base = {"ml_kind": "endpoint", "artifact_locations": [OLD], "images": [IMAGE], "models": ["acme-churn-v1"],
            "roles": ["arn:aws:iam::123456789012:role/acme-ml-execution"], "data_capture": True}
    return {"name": "acme-churn", "config": {"EndpointConfigName": "acme-churn-v1"}, "facets": {**base, **facets}}


def test_replaced_artifact_is_high_with_the_path_in_the_diff() -> None:
    before, after = endpoint(), endpoint(artifact_locations=[NEW], models=["acme-churn-v2"])
    after["config"]["EndpointConfigName"] = "acme-churn-v2"
    changes = diff_documents(before, after)
    art = [c for c in changes if c.path.startswith("facets.artifact_locations")]
    assert art and art[0].before == OLD and art[0].after == NEW
    a = assess("modified", "compute", before, after, changes)
    assert a.severity == "high" and "model-replaced: introduced" in a.reasons


def test_new_image_digest_or_role_is_high() -> None:
    other = copy.deepcopy(IMAGE)
    other["digest"] = "sha256:" + "cd" * 32
    other["uri"] = other["uri"].replace("ab" * 32, "cd" * 32)
    before = endpoint()
    for after in (endpoint(images=[other]), endpoint(roles=["arn:aws:iam::123456789012:role/other"])):
        assert assess("modified", "compute", before, after, diff_documents(before, after)).severity == "high"


def test_unrelated_endpoint_change_is_not_model_replaced() -> None:
    before, after = endpoint(), endpoint(data_capture=False)
    a = assess("modified", "compute", before, after, diff_documents(before, after))
    assert not any(r.startswith("model-replaced") for r in a.reasons)


def test_other_compute_is_not_judged_as_an_endpoint() -> None:
    before = {"facets": {"ml_kind": "model", "artifact_locations": [OLD]}}
    after = {"facets": {"ml_kind": "model", "artifact_locations": [NEW]}}
    a = assess("modified", "compute", before, after, diff_documents(before, after))
    assert not any(r.startswith("model-replaced") for r in a.reasons)
