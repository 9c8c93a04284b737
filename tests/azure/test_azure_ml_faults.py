"""Azure ML collection when things go wrong: denied namespace, a deleted model version, facets the
API did not send. None of them may become a PASS or an empty (clean) listing."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from auditor.demo.emulators.azure_estate import SUB_PROD, TENANT, storage_account
from auditor.demo.emulators.azure_fake import AzureFake
from auditor.demo.emulators.azure_ml_estate import ml_resources
from auditor.model import UnitStatus
from auditor.rules import ml
from auditor.rules.registry import RuleContext
from collectors.azure import classify, plan
from collectors.azure import ml_normalise as m
from collectors.runner import ListSink, run_units

from azure_test_support import fake_config, fast_clients

pytestmark = pytest.mark.slow


def _estate(drop: str | None = None) -> dict:
    res = [storage_account(SUB_PROD, "rg-prod", "stprodlogs00", "westeurope", "Standard_LRS", allow_public=False)]
    res += [d for d in ml_resources(SUB_PROD, "rg-prod", "westeurope", TENANT, storage="stprodlogs00")
            if not (drop and d["id"].endswith(drop))]
    return {"tenant_id": TENANT, "page_size": 1, "subscriptions": [{"subscriptionId": SUB_PROD}], "resources": res}


def _run(fake: AzureFake):  # type: ignore[no-untyped-def]
    cfg = fake_config(fake, resource_types=["azure.ml.*", "azure.container*"])
    sink = ListSink()
    summary = run_units(plan(cfg, clients=fast_clients(cfg)), sink, classifiers={"azure": classify}, concurrency=2)
    return sink, {u.unit.resource_type: u for u in summary.units}


def _stored(r):  # type: ignore[no-untyped-def]
    return SimpleNamespace(provider="azure", account=r.account, region=r.region, category=r.category, type=r.type,
                           name=r.name, tags={}, config=json.loads(r.config), facets=json.loads(r.facets))


def test_denied_ml_namespace_is_denied_not_empty() -> None:
    with AzureFake(_estate()) as fake:
        assert fake.router is not None
        fake.router.deny_namespace(SUB_PROD, "Microsoft.MachineLearningServices")
        sink, units = _run(fake)
    for t in ("azure.ml.workspace", "azure.ml.compute", "azure.ml.online_endpoint"):
        assert units[t].status is UnitStatus.DENIED, t
        assert "AuthorizationFailed" in (units[t].error or "")
    assert units["azure.containerservice.managed_cluster"].status is UnitStatus.OK
    assert not sink.by_type("azure.ml.workspace")


def test_deleted_model_version_leaves_provenance_unknown() -> None:
    # the unsafe endpoint's model version answers 404: provenance is not collected, never PASS
    with AzureFake(_estate(drop="/models/fraud/versions/3")) as fake:
        sink, units = _run(fake)
    assert units["azure.ml.online_endpoint"].status is UnitStatus.OK
    ep = {r.name: r for r in sink.by_type("azure.ml.online_endpoint")}["ep-fraud-public"]
    facets = json.loads(ep.facets)
    assert facets["artifact_sources"] is None and facets["images"] is None
    assert ml.model_provenance(_stored(ep), RuleContext()).status == "UNKNOWN"
    # page size 1: every listing was walked page by page
    assert len(sink.by_type("azure.containerservice.managed_cluster")) == 3


def test_facets_the_api_did_not_send_are_unknown() -> None:
    ws = {"id": f"/subscriptions/{SUB_PROD}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/"
                "workspaces/old", "location": "westeurope", "properties": {"publicNetworkAccess": "Enabled"}}
    f = m.workspace_facets(ws)
    assert f["direct_internet_access"] is None and f["network_isolation"] is None
    res = SimpleNamespace(facets=f)
    assert ml.notebook_direct_internet(res, RuleContext()).status == "UNKNOWN"
    ci = {"id": ws["id"] + "/computes/ci", "properties": {"computeType": "ComputeInstance", "properties": {}}}
    cf = m.compute_facets(ci, ws)
    assert cf["public_ip"] is None and cf["direct_internet_access"] is None
    assert ml.notebook_direct_internet(SimpleNamespace(facets=cf), RuleContext()).status == "UNKNOWN"
    aks = m.managed_cluster_facets({"id": "x", "properties": {}})
    assert aks["endpoint_public"] is True and aks["endpoint_public_cidrs"] == ["0.0.0.0/0"]


@pytest.mark.parametrize("uri, bucket", [
    ("https://evil.example/blob.core.windows.net/x", None),  # not a blob host, whatever the path says
    ("javascript:alert(1)", None),
    ("https://acct.blob.core.windows.net/c/m.pkl", "acct/c"),
    ("azureml://subscriptions/abc/resourcegroups/rg/workspaces/w/datastores/d/paths/m", "azureml:w"),
])
def test_hostile_and_odd_model_uris(uri: str, bucket: str | None) -> None:
    src = m.blob_source(uri, {}, SUB_PROD)
    assert src["bucket"] == bucket and src["account"] in (None, "abc")
    img = m.image_ref("ubuntu", {}, SUB_PROD)
    assert img["registry"] == "docker.io" and img["account"] is None


def test_overnight_model_replacement_is_seen_and_judged() -> None:
    from auditor.demo.emulators.azure_ml_estate import CANDIDATE_URI, replace_endpoint_model

    estate = _estate()
    with AzureFake(estate) as fake:
        before, _ = _run(fake)
        assert replace_endpoint_model(estate) == CANDIDATE_URI
        after, _ = _run(fake)

    def endpoint(sink):  # type: ignore[no-untyped-def]
        return {r.name: r for r in sink.by_type("azure.ml.online_endpoint")}["ep-fraud-private"]

    b, a = endpoint(before), endpoint(after)
    assert b.resource_key == a.resource_key and b.content_hash != a.content_hash
    assert CANDIDATE_URI in json.loads(a.facets)["artifact_locations"]
    assert ml.model_provenance(_stored(b), RuleContext()).status == "PASS"
    assert ml.model_provenance(_stored(a), RuleContext()).status == "FAIL"


def test_hostile_model_reference_is_never_fetched_and_fails_provenance() -> None:
    """A deployment's ``model`` is a cloud string: a URL to another host must not receive a GET
    (with the ARM bearer token); it is judged as an artifact outside the estate instead."""
    estate = _estate()
    evil = "https://127.0.0.1:9/subscriptions/x/models/fraud/versions/1"
    dep = next(d for d in estate["resources"] if d["id"].endswith("/onlineEndpoints/ep-fraud-public/deployments/blue"))
    dep["properties"]["model"] = evil
    with AzureFake(estate) as fake:
        sink, units = _run(fake)
        assert fake.router is not None
        assert not any("127.0.0.1:9" in p for _, p in fake.router.requests)
    assert units["azure.ml.online_endpoint"].status is UnitStatus.OK  # port 9 was never contacted
    ep = {r.name: r for r in sink.by_type("azure.ml.online_endpoint")}["ep-fraud-public"]
    assert json.loads(ep.facets)["artifact_locations"] == [evil]
    verdict = ml.model_provenance(_stored(ep), RuleContext())
    assert verdict.status == "FAIL" and any("127.0.0.1" in p for p in verdict.evidence["problems"])
