"""Unit tests through the real azure-mgmt-* clients with in-process HTTP mocking (responses)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import responses

from auditor.config.schema import AzureConfig
from auditor.demo.emulators.azure_estate import SUB_DEV, SUB_PROD, seeded_estate
from auditor.demo.emulators.azure_fake import ArmRouter
from auditor.model import UnitStatus
from collectors.azure import classify, plan
from collectors.azure.clients import AzureClients, endpoints_for, make_credential
from collectors.runner import ListSink, run_units


class DummyCredential:
    """Implements both token protocols; records the scopes it was asked for."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken("dummy", int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: Any = None):  # type: ignore[no-untyped-def]
        from azure.core.credentials import AccessTokenInfo

        self.scopes.append(scopes)
        return AccessTokenInfo("dummy", int(time.time()) + 3600)


def mock_arm(rsps: responses.RequestsMock, router: ArmRouter, host: str = "https://management.azure.com") -> None:
    def callback(request):  # type: ignore[no-untyped-def]
        return router.handle(request.method, request.url, dict(request.headers))

    for method in ("GET", "POST", "PUT"):
        rsps.add_callback(method, re.compile(re.escape(host) + r"/.*"), callback=callback)


def run(cfg: AzureConfig, cred: DummyCredential, max_attempts: int = 2):  # type: ignore[no-untyped-def]
    clients = AzureClients(cfg, max_attempts=max_attempts, backoff=0.01, backoff_max=0.05, credential=cred)
    sink = ListSink()
    summary = run_units(plan(cfg, clients=clients), sink, classifiers={"azure": classify}, concurrency=4)
    return sink, {(u.unit.account, u.unit.resource_type): u for u in summary.units}, summary


@pytest.fixture()
def router() -> ArmRouter:
    estate = seeded_estate(page_size=1)
    estate["faults"] = {}
    return ArmRouter(estate)


def test_paging_through_every_page_and_api_version_rewrites(router: ArmRouter) -> None:
    cfg = AzureConfig(subscriptions=[SUB_PROD], resource_types=["azure.storage.account"])
    cred = DummyCredential()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_arm(rsps, router)
        sink, units, _ = run(cfg, cred)
    assert units[(SUB_PROD, "azure.storage.account")].status is UnitStatus.OK
    assert len(sink.resources) == 6
    pages = [p for _, p in router.requests if "storageAccounts?" in p]
    assert len(pages) == 6 and sum("$skiptoken" in p for p in pages) == 5
    assert all("api-version=" in p for p in pages)
    # + the containers of the one account that allows blob public access (3, one per page)
    containers = [p for _, p in router.requests if "/containers" in p]
    assert len(containers) == 3
    # + each account's blob and file service properties (soft delete, versioning, SMB: the CIS controls)
    assert sum(p.split("?")[0].endswith("/blobServices/default") for _, p in router.requests) == 6
    assert sum(p.split("?")[0].endswith("/fileServices/default") for _, p in router.requests) == 6
    assert units[(SUB_PROD, "azure.storage.account")].api_calls == 6 + 3 + 6 + 6
    assert cred.scopes and all(s == ("https://management.azure.com/.default",) for s in cred.scopes)


def test_429_with_retry_after_is_honoured_then_succeeds(router: ArmRouter) -> None:
    router.throttle("/providers/microsoft.network/publicipaddresses", retry_after=1, times=1)
    cfg = AzureConfig(subscriptions=[SUB_PROD], resource_types=["azure.network.public_ip"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_arm(rsps, router)
        t0 = time.perf_counter()
        sink, units, summary = run(cfg, DummyCredential(), max_attempts=3)
        elapsed = time.perf_counter() - t0
    assert units[(SUB_PROD, "azure.network.public_ip")].status is UnitStatus.OK
    assert len(sink.resources) == 2 and elapsed >= 1.0 and summary.complete  # prod has two public IPs


def test_429_outlasting_retries_is_throttled_not_empty(router: ArmRouter) -> None:
    router.throttle("/providers/microsoft.network/publicipaddresses", retry_after=0)
    cfg = AzureConfig(subscriptions=[SUB_PROD], resource_types=["azure.network.public_ip"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_arm(rsps, router)
        sink, units, summary = run(cfg, DummyCredential(), max_attempts=3)
    unit = units[(SUB_PROD, "azure.network.public_ip")]
    assert unit.status is UnitStatus.THROTTLED and unit.api_calls == 3 and not summary.complete
    assert sink.resources == []


def test_unregistered_provider_is_skipped_and_never_registered(router: ArmRouter) -> None:
    router.unregister(SUB_DEV, "Microsoft.Compute")
    cfg = AzureConfig(subscriptions=[SUB_DEV], resource_types=["azure.compute.*", "azure.network.nsg"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_arm(rsps, router)
        _, units, _ = run(cfg, DummyCredential())
    for t in ("azure.compute.vm", "azure.compute.disk"):
        assert units[(SUB_DEV, t)].status is UnitStatus.SKIPPED
        assert "not registered to use namespace 'Microsoft.Compute'" in (units[(SUB_DEV, t)].error or "")
    assert units[(SUB_DEV, "azure.network.nsg")].status is UnitStatus.OK
    assert {m for m, _ in router.requests} == {"GET"}  # no POST .../register from the SDK's default policy


def test_403_on_one_resource_provider_denies_only_its_units(router: ArmRouter) -> None:
    router.deny_namespace(SUB_PROD, "Microsoft.ManagedIdentity")
    cfg = AzureConfig(subscriptions=[SUB_PROD], resource_types=["azure.identity.*", "azure.storage.account"])
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_arm(rsps, router)
        _, units, _ = run(cfg, DummyCredential())
    assert units[(SUB_PROD, "azure.identity.user_assigned")].status is UnitStatus.DENIED
    assert units[(SUB_PROD, "azure.identity.federated_credential")].status is UnitStatus.DENIED
    assert units[(SUB_PROD, "azure.storage.account")].status is UnitStatus.OK


def test_all_subscriptions_and_management_group(router: ArmRouter) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_arm(rsps, router)
        clients = AzureClients(AzureConfig(), credential=DummyCredential())
        assert sorted(clients.list_subscription_ids()) == sorted(s["subscriptionId"] for s in router.subscriptions)
        assert sorted(clients.management_group_subscription_ids("mg-contoso")) == sorted([SUB_PROD, SUB_DEV])
    assert any("/descendants?api-version=2020-05-01" in p for _, p in router.requests)


@pytest.mark.parametrize("cloud, host", [("china", "https://management.chinacloudapi.cn"),
                                         ("usgov", "https://management.usgovcloudapi.net")])
def test_sovereign_clouds_use_their_endpoint_and_scope(router: ArmRouter, cloud: str, host: str) -> None:
    cfg = AzureConfig(cloud=cloud, subscriptions=[SUB_PROD], resource_types=["azure.network.public_ip"])
    cred = DummyCredential()
    router.base_url = host  # that cloud's ARM writes its own host into nextLink (two pages here)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mock_arm(rsps, router, host)
        sink, units, _ = run(cfg, cred)
    assert units[(SUB_PROD, "azure.network.public_ip")].status is UnitStatus.OK and len(sink.resources) == 2
    assert cred.scopes[0] == (f"{host}/.default",)


def test_endpoints_and_credentials_per_config(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from azure.identity import AzureAuthorityHosts, DefaultAzureCredential

    from collectors.azure.clients import StaticTestTokenCredential

    assert endpoints_for(AzureConfig()).authority == AzureAuthorityHosts.AZURE_PUBLIC_CLOUD
    assert endpoints_for(AzureConfig(cloud="china")).authority == AzureAuthorityHosts.AZURE_CHINA
    assert endpoints_for(AzureConfig(cloud="usgov")).authority == AzureAuthorityHosts.AZURE_GOVERNMENT
    custom = AzureConfig(arm_endpoint="https://arm.contoso.example/", ca_bundle=str(tmp_path / "ca.pem"))
    assert endpoints_for(custom).arm == "https://arm.contoso.example"
    assert endpoints_for(custom).scope == "https://arm.contoso.example/.default"
    assert isinstance(make_credential(AzureConfig()), DefaultAzureCredential)
    loop = AzureConfig(arm_endpoint="https://127.0.0.1:8443", credential="static-test-token")
    cred = make_credential(loop)
    assert isinstance(cred, StaticTestTokenCredential)
    assert cred.get_token("x").token and cred.get_token_info("x").token
    kw = AzureClients(custom, credential=DummyCredential()).client_kwargs()
    assert kw["connection_verify"] == str(tmp_path / "ca.pem") and kw["base_url"] == "https://arm.contoso.example"
    assert kw["credential_scopes"] == ["https://arm.contoso.example/.default"]
    with pytest.raises(ValueError):
        AzureConfig(credential="static-test-token", arm_endpoint="https://management.azure.com")
    with pytest.raises(ValueError):
        AzureConfig(arm_endpoint="http://127.0.0.1:8080")


def test_classify_maps_errors() -> None:
    from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

    assert classify(ServiceRequestError("boom"))[0] is UnitStatus.ERROR
    assert classify(ClientAuthenticationError("no credential"))[0] is UnitStatus.ERROR
    assert classify(ValueError("x")) == (UnitStatus.ERROR, "ValueError: x")
