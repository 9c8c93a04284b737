"""The demo's overnight ML drift on moto: the churn endpoint is re-pointed at a model whose artifact
lies outside the estate; collected before and after, the diff names the artifact and ranks high."""

from __future__ import annotations

import json

from auditor.demo.emulators import aws_ml_seed
from auditor.demo.emulators.aws_seed import EstateSpec, _account_header, _Seeder
from auditor.drift.diff import diff_documents
from auditor.drift.severity import assess
from collectors.aws import AwsClientFactory, classify, plan
from collectors.runner import ListSink, run_units

from aws_testlib import aws_config

ACCOUNT, REGION = "444444444444", "eu-west-1"


class OneAccountFactory(AwsClientFactory):
    """Reads a moto account other than the default one with the base credentials."""

    def caller_account(self) -> str:
        return ACCOUNT

    def _make_client(self, session, service, region, counter):  # type: ignore[no-untyped-def]
        c = super()._make_client(session, service, region, counter)
        c.meta.events.register("before-sign", _account_header(ACCOUNT))
        return c


def collect_endpoint(url: str) -> dict:
    cfg = aws_config(url, accounts=(ACCOUNT,), resource_types=["aws.sagemaker.endpoint"])
    cfg = cfg.model_copy(update={"regions": [REGION]})
    sink = ListSink()
    run_units(plan(cfg, clients=OneAccountFactory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    assert all(u.status.completed for u in sink.units), [(u.unit, u.error) for u in sink.units]
    [ep] = [r for r in sink.resources if r.name == "acme-churn"]
    return {"name": ep.name, "config": json.loads(ep.config), "facets": json.loads(ep.facets)}


def test_overnight_model_replacement_is_high_with_the_artifact_in_the_diff(moto_url) -> None:  # type: ignore[no-untyped-def]
    seeder = _Seeder(moto_url, EstateSpec(accounts=(ACCOUNT,), regions=(REGION,)))
    aws_ml_seed.seed(seeder, ACCOUNT)
    before = collect_endpoint(moto_url)
    artifact = aws_ml_seed.replace_endpoint_model(moto_url, ACCOUNT, REGION)
    after = collect_endpoint(moto_url)
    changes = diff_documents(before, after)
    paths = {c.path: c for c in changes}
    change = paths.get("facets.artifact_locations[0]") or paths["facets.artifact_locations"]
    assert artifact in json.dumps(change.after) and "acme-ml-artifacts" in json.dumps(change.before)
    verdict = assess("modified", "compute", before, after, changes)
    assert verdict.severity == "high" and "model-replaced: introduced" in verdict.reasons
