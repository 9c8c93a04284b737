"""Azure ML, AKS and ACR end-to-end: the real ARM pipeline over HTTPS to the fake, then the shared
ML rules (auditor/rules/ml.py, written for AWS) judging the collected Azure resources."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from auditor.config.schema import ResidencyConfig
from auditor.demo.emulators.azure_estate import SUB_DEV, SUB_PROD
from auditor.facets import unknown_facet_keys
from auditor.identity.estate import Estate
from auditor.model import UnitStatus
from auditor.rules import ml
from auditor.rules.registry import RuleContext
from collectors.azure import permissions
from collectors.azure.specs import CALL_ACTIONS, SPEC_BY_TYPE, spec_calls

pytestmark = pytest.mark.slow

ML_TYPES = {"azure.ml.workspace": 2, "azure.ml.compute": 4, "azure.ml.online_endpoint": 2,
            "azure.containerservice.managed_cluster": 3, "azure.containerregistry.registry": 2}


def by_name(e2e, type_):  # type: ignore[no-untyped-def]
    return {r.name: r for r in e2e.sink.by_type(type_)}


def facets(r):  # type: ignore[no-untyped-def]
    return json.loads(r.facets)


def stored(r):  # type: ignore[no-untyped-def]
    """A collected resource as the rules see it (facets and config parsed)."""
    return SimpleNamespace(provider=r.provider, account=r.account, region=r.region, location=None,
                           category=r.category, type=r.type, native_id=r.native_id, name=r.name,
                           tags=json.loads(r.tags) if isinstance(r.tags, str) else r.tags,
                           config=json.loads(r.config), facets=facets(r), state="present",
                           resource_key=r.resource_key)


def ctx() -> RuleContext:
    cfg = SimpleNamespace(residency=ResidencyConfig(allowed={"internal": ["*"]}), checks=SimpleNamespace())
    return RuleContext(config=cfg, estate=Estate(), classify=lambda r: "internal")


def has(d: dict, expected: dict) -> bool:
    return {k: d.get(k) for k in expected} == expected


def verdict(rule, e2e, type_, name):  # type: ignore[no-untyped-def]
    return rule(stored(by_name(e2e, type_)[name]), ctx())


def test_types_collected_with_contract_facets_and_units(e2e) -> None:
    counts = dict(e2e.summary.resources_by_type)
    assert {t: counts.get(t) for t in ML_TYPES} == ML_TYPES
    for r in e2e.sink.resources:
        if r.type in ML_TYPES:
            assert r.account == SUB_PROD and r.region == "westeurope"
            assert unknown_facet_keys(r.category, facets(r)) == [], r.type
    units = {(u.unit.account, u.unit.resource_type): u.status for u in e2e.summary.units}
    for t in ML_TYPES:
        assert units[(SUB_PROD, t)] is UnitStatus.OK
        assert units[(SUB_DEV, t)] is UnitStatus.EMPTY  # a subscription without ML is empty, not failed


def test_paging_followed_for_workspace_children(e2e) -> None:
    # page size 2: four computes across two workspaces, two endpoints' deployments (one has two)
    deps = [p for _, p in e2e.requests if "/onlineendpoints/ep-fraud-private/deployments" in p.lower()]
    assert any("$skiptoken=" not in p for p in deps)
    regs = [p for _, p in e2e.requests
            if f"/subscriptions/{SUB_PROD}/providers/Microsoft.ContainerRegistry/registries".lower() in p.lower()]
    assert regs and all("api-version=2023-07-01" in p for p in regs)
    clusters = [p for _, p in e2e.requests if "managedclusters" in p.lower() and SUB_PROD in p]
    assert sum("$skiptoken=" in p for p in clusters) >= 1  # three clusters, page size 2
    assert set(by_name(e2e, "azure.containerservice.managed_cluster")) == {"aks-open", "aks-restricted",
                                                                           "aks-private"}


def test_workspace_facets(e2e) -> None:
    ws = by_name(e2e, "azure.ml.workspace")
    open_, locked = facets(ws["mlw-open"]), facets(ws["mlw-locked"])
    assert open_["ml_kind"] == "domain" and open_["direct_internet_access"] is True
    assert open_["key_management"] == "provider" and open_["public_reasons"] == ["publicNetworkAccess=Enabled"]
    assert locked["direct_internet_access"] is False and locked["network_isolation"] is True
    assert locked["key_management"] == "customer" and locked["kms_key"].startswith("https://kv-ml-cmk.vault")
    cfg = json.loads(ws["mlw-locked"].config)["properties"]
    assert cfg["hbiWorkspace"] is True and cfg["containerRegistry"].endswith("/registries/crmlprod")


def test_compute_facets(e2e) -> None:
    c = {k: facets(v) for k, v in by_name(e2e, "azure.ml.compute").items()}
    assert has(c["ci-public-ssh"], {"ml_kind": "notebook", "public_ip": True, "direct_internet_access": True,
                                      "in_vpc": False, "root_access": True})
    assert c["ci-public-ssh"]["public_reasons"] == ["ssh:public", "node-public-ip"]
    assert c["ci-private"]["direct_internet_access"] is False and c["ci-private"]["in_vpc"] is True
    assert c["ci-private"]["public_reasons"] == []
    assert "ml_kind" not in c["cc-public"] and c["cc-public"]["public_ip"] is True
    assert c["cc-private"]["public_reasons"] == []


def test_endpoint_facets_resolve_models_and_images(e2e) -> None:
    eps = {k: facets(v) for k, v in by_name(e2e, "azure.ml.online_endpoint").items()}
    bad, good = eps["ep-fraud-public"], eps["ep-fraud-private"]
    assert bad["auth"] == "key" and good["auth"] == "iam"
    assert has(bad["artifact_sources"][0], {"bucket": "modelzoo/public", "account": None})
    assert bad["image_registries"] == ["docker.io"] and bad["data_capture"] is False
    own = good["artifact_sources"][0]
    assert own["account"] == SUB_PROD and own["region"] == "westeurope" and own["bucket"] == "stprodlogs00/models"
    assert good["image_registries"] == ["crmlprod.azurecr.io", "mcr.microsoft.com"]
    assert {i["registry"]: i["account"] for i in good["images"]}["crmlprod.azurecr.io"] == SUB_PROD
    assert good["data_capture"] is True and good["key_management"] == "customer"


def test_rules_unsafe_and_safe_twins_on_azure(e2e) -> None:
    ws, comp, ep = "azure.ml.workspace", "azure.ml.compute", "azure.ml.online_endpoint"
    aks = "azure.containerservice.managed_cluster"
    cases = [
        (ml.notebook_direct_internet, comp, "ci-public-ssh", "FAIL"),
        (ml.notebook_direct_internet, comp, "ci-private", "PASS"),
        (ml.notebook_direct_internet, ws, "mlw-open", "FAIL"),
        (ml.notebook_direct_internet, ws, "mlw-locked", "PASS"),
        (ml.notebook_root_access, comp, "ci-public-ssh", "FAIL"),
        (ml.model_provenance, ep, "ep-fraud-public", "FAIL"),
        (ml.model_provenance, ep, "ep-fraud-private", "PASS"),
        (ml.endpoint_encryption, ep, "ep-fraud-public", "FAIL"),
        (ml.endpoint_encryption, ep, "ep-fraud-private", "PASS"),
        (ml.endpoint_data_capture, ep, "ep-fraud-public", "FAIL"),
        (ml.endpoint_data_capture, ep, "ep-fraud-private", "PASS"),
        (ml.cluster_public_endpoint, aks, "aks-open", "FAIL"),
        (ml.cluster_public_endpoint, aks, "aks-restricted", "PASS"),
        (ml.cluster_public_endpoint, aks, "aks-private", "PASS"),
    ]
    got = [(rule.__name__, name, verdict(rule, e2e, type_, name).status) for rule, type_, name, _ in cases]
    assert got == [(rule.__name__, name, want) for rule, _, name, want in cases]
    # a compute cluster is not a notebook; a registry without a tag-immutability setting is not judged
    assert verdict(ml.notebook_direct_internet, e2e, comp, "cc-public") is None
    assert verdict(ml.registry_mutable_tags, e2e, "azure.containerregistry.registry", "crmlopen") is None
    problems = verdict(ml.model_provenance, e2e, ep, "ep-fraud-public").evidence["problems"]
    assert any("modelzoo/public" in p for p in problems) and any("docker.io" in p for p in problems)


def test_registry_and_cluster_facets(e2e) -> None:
    reg = {k: facets(v) for k, v in by_name(e2e, "azure.containerregistry.registry").items()}
    assert has(reg["crmlopen"], {"public": True, "public_network_access": True,
                                     "public_reasons": ["anonymousPull", "adminUser"]})
    assert has(reg["crmlprod"], {"public": False, "public_network_access": False, "public_reasons": []})
    aks = {k: facets(v) for k, v in by_name(e2e, "azure.containerservice.managed_cluster").items()}
    assert aks["aks-open"]["endpoint_public_cidrs"] == ["0.0.0.0/0"]
    assert aks["aks-restricted"]["endpoint_public_cidrs"] == ["203.0.113.0/24"]
    assert has(aks["aks-private"], {"endpoint_public": False, "version": "1.30.6"})


@pytest.mark.parametrize("type_", sorted(ML_TYPES))
def test_generated_role_covers_every_new_call_and_fake_request(e2e, type_) -> None:  # type: ignore[no-untyped-def]
    from auditor.demo.emulators.azure_fake import read_action_for_path

    actions = set(permissions()["Actions"])
    for service, call in spec_calls(SPEC_BY_TYPE[type_]):
        assert CALL_ACTIONS[(service, call)] in actions
    needed = {read_action_for_path(p).lower() for _, p in e2e.requests
              if any(ns in p.lower() for ns in ("machinelearningservices", "containerservice", "containerregistry"))}
    assert needed and needed <= {a.lower() for a in actions}
