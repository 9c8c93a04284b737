"""End-to-end: plan() + run_units through the real azure-mgmt-* clients against the HTTPS fake."""

from __future__ import annotations

import json

import pytest

from auditor.catalogue import location_of
from auditor.demo.emulators.azure_estate import (COGNITO_ISSUER, GITHUB_ISSUER, GOOGLE_ISSUER, OWNER, SUB_DENIED,
                                            SUB_DEV, SUB_PROD)
from auditor.demo.emulators.azure_fake import read_action_for_path
from auditor.facets import unknown_facet_keys
from auditor.model import UnitStatus
from collectors.azure import SPECS, classify, permissions, plan
from collectors.azure.specs import TENANT_SPECS
from collectors.runner import ListSink, run_units

from azure_test_support import fake_config, fast_clients

pytestmark = pytest.mark.slow


def by_name(e2e, type_):  # type: ignore[no-untyped-def]
    return {r.name: r for r in e2e.sink.by_type(type_)}


def facets(r):  # type: ignore[no-untyped-def]
    return json.loads(r.facets)


def config(r):  # type: ignore[no-untyped-def]
    return json.loads(r.config)


def test_every_type_collected_in_both_readable_subscriptions(e2e) -> None:
    expected = {
        "azure.storage.account": 8, "azure.storage.container": 4, "azure.compute.vm": 4, "azure.compute.disk": 2,  # dev disks: throttled
        "azure.network.vnet": 3, "azure.network.subnet": 5, "azure.network.nsg": 3, "azure.network.public_ip": 3,
        "azure.authorization.role_definition": 8, "azure.authorization.role_assignment": 7,
        "azure.identity.user_assigned": 2, "azure.identity.federated_credential": 4,
        "azure.resources.subscription": 2,
        # the ML slice (prod only; see test_azure_ml_e2e.py)
        "azure.ml.workspace": 2, "azure.ml.compute": 4, "azure.ml.online_endpoint": 2,
        "azure.containerservice.managed_cluster": 3, "azure.containerregistry.registry": 2,
        # the data-store slice (prod only; see test_azure_data_collect.py)
        "azure.keyvault.vault": 2, "azure.keyvault.key": 4, "azure.keyvault.secret": 2, "azure.sql.server": 2,
        "azure.sql.database": 3, "azure.cosmosdb.account": 2, "azure.ml.registry": 2,
        "azure.databricks.workspace": 2,  # unsafe and safe twin (azure_databricks_estate.py)
        # the CIS slice (azure_cis_estate.py; the edge VNet above is prod's; see test_cis_azure_collect.py)
        "azure.security.pricing": 24, "azure.security.contacts": 2, "azure.monitor.diagnostic_settings": 2,
        "azure.monitor.activity_log_alerts": 2, "azure.network.flow_log": 5,
        "azure.network.bastion_hosts": 2, "azure.security.assessments": 2,
        "azure.monitor.app_insights": 2, "azure.authorization.policy_assignment": 2,
        "azure.security.iot_solutions": 2, "azure.web.site": 4, "azure.authorization.locks": 2,
    }
    assert dict(e2e.summary.resources_by_type) == expected
    assert {s.type for s in SPECS} == set(expected)
    assert {r.account for r in e2e.sink.resources} == {SUB_PROD, SUB_DEV}
    for r in e2e.sink.resources:
        assert r.provider == "azure"
        assert r.resource_key == f"{r.type}|{r.native_id.lower()}"
        assert unknown_facet_keys(r.category, facets(r)) == [], r.type


def test_units_denied_throttled_and_the_rest_complete(e2e) -> None:
    statuses = {(u.unit.account, u.unit.resource_type): u for u in e2e.summary.units}
    assert len(statuses) == 3 * len(SPECS) + len(TENANT_SPECS)
    # directory (Graph) units: no azure.tenant_id configured, so skipped, visibly (test_cis_azure_collect.py reads them)
    assert {statuses[("tenant", s.type)].status for s in TENANT_SPECS} == {UnitStatus.SKIPPED}
    denied = [u for (sub, _), u in statuses.items() if sub == SUB_DENIED]
    assert {u.status for u in denied} == {UnitStatus.DENIED}
    assert all("AuthorizationFailed" in (u.error or "") for u in denied)
    throttled = statuses[(SUB_DEV, "azure.compute.disk")]
    assert throttled.status is UnitStatus.THROTTLED and "429" in (throttled.error or "")
    assert throttled.duration_s >= 1.0  # Retry-After: 1 honoured before the single retry
    assert throttled.api_calls == 2  # collection.max_attempts = 2
    rest = [u for k, u in statuses.items() if k[0] not in (SUB_DENIED, "tenant") and k != (SUB_DEV, "azure.compute.disk")]
    assert {u.status for u in rest} <= {UnitStatus.OK, UnitStatus.EMPTY}
    assert statuses[(SUB_PROD, "azure.compute.disk")].status is UnitStatus.OK
    assert not e2e.summary.complete  # the snapshot is partial
    assert not any(r.account == SUB_DENIED for r in e2e.sink.resources)


def test_paging_followed_to_the_end(e2e) -> None:
    listing = [p for m, p in e2e.requests
               if f"/subscriptions/{SUB_PROD}/providers/Microsoft.Storage/storageAccounts".lower() in p.lower()]
    # 6 accounts, page size 2: every unit listing storage accounts walks 3 pages
    assert sum("$skiptoken=" in p for p in listing) >= 2 * 2
    names = {r.name for r in e2e.sink.by_type("azure.storage.account") if r.account == SUB_PROD}
    assert names == {"stprodpublic01", "stprodgrs01", "stprodragrsbr", "stprodlogs00", "stprodlogs01", "stprodlogs02"}


def test_storage_residency_and_public_access(e2e) -> None:
    acc = by_name(e2e, "azure.storage.account")
    grs = facets(acc["stprodgrs01"])
    assert grs["locations"] == ["northeurope"] and grs["replica_locations"] == ["westeurope"]
    assert location_of("azure", "northeurope") != location_of("azure", "westeurope")  # IE -> NL
    assert grs["key_management"] == "customer" and grs["kms_key"] == "https://kv-prod-cmk.vault.azure.net/keys/wrappingKey"
    assert grs["public_network_access"] is False and grs["public_access_blocked"] is True
    ragrs = facets(acc["stprodragrsbr"])  # no secondaryLocation reported: derived from the pair table
    assert ragrs["replica_locations"] == ["southcentralus"] and ragrs["location_type"] == "region"
    lrs = facets(acc["stprodpublic01"])
    assert lrs["replica_locations"] == [] and lrs["location_type"] == "region"
    assert lrs["public_access_blocked"] is False and lrs["https_only"] is False and lrs["min_tls"] == "TLS1_0"
    assert lrs["public_network_access"] is True and lrs["key_management"] == "provider"
    # keyCreationTime is configuration (rotation), kept in config and as the key-age facet
    assert config(acc["stprodpublic01"])["properties"]["keyCreationTime"]["key1"].startswith("2025-03-01")
    assert lrs["key_created"] == "2025-03-01T10:00:00.0000000Z"
    de = facets(acc["stdevgrs01"])
    assert de["replica_locations"] == ["germanynorth"]
    cfg = config(acc["stprodgrs01"])
    assert cfg["sku"]["name"] == "Standard_GRS" and cfg["properties"]["allowSharedKeyAccess"] is False
    assert cfg["properties"]["secondaryLocation"] == "westeurope"
    assert "geoReplicationStats" not in cfg["properties"]  # volatile, excluded from the hash
    cont = by_name(e2e, "azure.storage.container")
    assert facets(cont["public-assets"])["public"] is True
    assert facets(cont["blob-downloads"])["public_reasons"] == ["container:publicAccess=Blob"]
    assert facets(cont["internal"])["public"] is False
    assert facets(cont["records"])["public"] is False
    assert cont["records"].region == "northeurope"


def test_nsg_rules_normalised(e2e) -> None:
    nsgs = by_name(e2e, "azure.network.nsg")
    open_in = facets(nsgs["prod-nsg-open"])["ingress"]
    allows = {(r["cidr"], r["protocol"], r["from_port"], r["to_port"]) for r in open_in if r["action"] == "allow"}
    assert {("0.0.0.0/0", "tcp", 22, 22), ("::/0", "tcp", 22, 22), ("0.0.0.0/0", "tcp", 3389, 3389),
            ("0.0.0.0/0", "udp", 1000, 2000), ("0.0.0.0/0", "tcp", 8080, 8080), ("10.0.0.0/8", "tcp", 1000, 2000),
            ("0.0.0.0/0", "icmp", 0, 65535)} <= allows
    assert any(r["action"] == "deny" and r["priority"] == 65500 and r["protocol"] == "all" for r in open_in)
    for name in ("prod-nsg-closed", "dev-nsg-closed"):
        world = [r for r in facets(nsgs[name])["ingress"] if r["cidr"] in ("0.0.0.0/0", "::/0") and r["action"] == "allow"]
        assert world == []
    egress = facets(nsgs["prod-nsg-closed"])["egress"]
    assert any(r["cidr"] == "0.0.0.0/0" and r["action"] == "allow" and r["priority"] == 65001 for r in egress)


def test_vms_public_ips_identity_and_disks(e2e) -> None:
    vms = by_name(e2e, "azure.compute.vm")
    web, db, dev = facets(vms["prod-vm-web0"]), facets(vms["prod-vm-db1"]), facets(vms["dev-vm-db0"])
    assert web["public_ips"] == ["20.61.15.14"] and db["public_ips"] == [] and dev["public_ips"] == []
    assert web["identity"] == "6b2e1c0d-7f3a-4b8e-9d1c-5a4f3e2d1c0b" and db["identity"] is None
    assert web["disk_encryption"] == "provider" and db["disk_encryption"] == "customer"
    assert web["network_groups"] == [nsg.resource_key for nsg in e2e.sink.by_type("azure.network.nsg")
                                     if nsg.name == "prod-nsg-open"]
    # the addresses themselves (CIS 7.7): the web VM's is held by its NIC, prod's orphan by nothing
    pips = {n: facets(r) for n, r in by_name(e2e, "azure.network.public_ip").items()}
    assert pips["prod-vm-web0-pip"]["attached"] is True and pips["prod-vm-web0-pip"]["attached_to"].endswith(
        "/networkinterfaces/prod-vm-web0-nic/ipconfigurations/ipconfig1")
    assert pips["pip-orphan"] == {"attached": False, "attached_to": None, "allocation_method": "Static",
                                  "sku": "Standard"}
    assert pips["pip-bas"]["attached"] is True  # dev's Bastion host
    cfg = config(vms["prod-vm-web0"])
    assert cfg["properties"]["hardwareProfile"]["vmSize"] == "Standard_D2s_v5"
    assert cfg["properties"]["storageProfile"]["osDisk"]["osType"] == "Linux"
    assert cfg["identity"]["type"] == "SystemAssigned"
    disks = by_name(e2e, "azure.compute.disk")
    assert facets(disks["prod-vm-db1_OsDisk_1"])["disk_encryption"] == "customer"
    assert facets(disks["prod-vm-web0_OsDisk_1"])["disk_encryption"] == "provider"
    subnets = e2e.sink.by_type("azure.network.subnet")
    assert {r.name for r in subnets} == {"app", "data", "edge"}  # edge: the CIS slice's VNet without a watcher
    assert all(r.region in ("westeurope", "eastus", "eastus2") for r in subnets)


def test_roles_identities_and_federation(e2e) -> None:
    assignments = e2e.sink.by_type("azure.authorization.role_assignment")
    owner_sub = [r for r in assignments if config(r)["properties"]["roleDefinitionId"].endswith(OWNER)
                 and config(r)["properties"]["scope"] == f"/subscriptions/{SUB_PROD}"]
    assert len(owner_sub) == 1 and facets(owner_sub[0])["admin"] is True
    assert config(owner_sub[0])["properties"]["principalType"] == "User"
    conditioned = [r for r in assignments if config(r)["properties"].get("condition")]
    assert len(conditioned) == 1 and config(conditioned[0])["properties"]["conditionVersion"] == "2.0"
    contributor = [r for r in assignments if config(r)["properties"]["principalType"] == "ServicePrincipal"
                   and config(r)["properties"]["scope"].endswith("/resourceGroups/rg-prod")]
    assert len(contributor) == 1 and facets(contributor[0])["admin"] is False
    escalation = [r for r in assignments if config(r)["properties"]["roleDefinitionId"].endswith("e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a7b8")]
    assert facets(escalation[0])["admin"] is True  # custom role that can write role assignments
    # every assignment's admin is known: built-ins outside the table resolve from their definition
    assert all(facets(r)["admin"] in (True, False) for r in assignments)
    blob_reader = [r for r in assignments if config(r)["properties"]["roleDefinitionId"].endswith("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1")]
    assert len(blob_reader) == 1 and facets(blob_reader[0])["admin"] is False
    defs = {(r.account, config(r)["properties"]["roleName"]): r for r in e2e.sink.by_type("azure.authorization.role_definition")}
    assert set(defs) == {(SUB_PROD, "Owner"), (SUB_PROD, "Contributor"), (SUB_PROD, "User Access Administrator"),
                         (SUB_PROD, "Access Delegator"), (SUB_PROD, "Storage Reader Custom"),
                         (SUB_DEV, "Owner"), (SUB_DEV, "Reader"), (SUB_DEV, "Storage Blob Data Reader")}
    assert facets(defs[(SUB_PROD, "Owner")])["admin"] is True
    assert facets(defs[(SUB_PROD, "Contributor")])["admin"] is False
    assert facets(defs[(SUB_PROD, "Storage Reader Custom")])["admin"] is False
    identities = by_name(e2e, "azure.identity.user_assigned")
    props = config(identities["uami-deploy"])["properties"]
    assert {"clientId", "principalId", "tenantId"} <= set(props)
    fics = by_name(e2e, "azure.identity.federated_credential")
    assert {config(f)["properties"]["issuer"] for f in fics.values()} == {GITHUB_ISSUER, GOOGLE_ISSUER, COGNITO_ISSUER}
    gh = fics["gh-prod"]
    assert gh.native_id == identities["uami-deploy"].native_id + "/federatedIdentityCredentials/gh-prod"
    assert config(gh)["properties"]["subject"] == "repo:octo-org/octo-repo:environment:prod"
    assert config(gh)["properties"]["audiences"] == ["api://AzureADTokenExchange"]
    assert gh.region == "westeurope"


def test_read_only_and_every_request_covered_by_the_role(e2e) -> None:
    actions = set(permissions()["Actions"])
    assert {m for m, _ in e2e.requests} == {"GET"}
    needed = {read_action_for_path(p) for _, p in e2e.requests}
    assert needed <= actions, needed - actions


def test_management_group_and_listed_scopes(azure_fake) -> None:
    cfg = fake_config(azure_fake, management_group="mg-platform")
    tasks = plan(cfg, clients=fast_clients(cfg))
    subscription_tasks = [t for t in tasks if t.unit.account != "tenant"]
    assert {t.unit.account for t in subscription_tasks} == {SUB_PROD} and len(subscription_tasks) == len(SPECS)
    cfg = fake_config(azure_fake, subscriptions=[SUB_DEV.upper()], resource_types=["azure.network.*"])
    tasks = plan(cfg, clients=fast_clients(cfg))
    assert {(t.unit.account, t.unit.resource_type) for t in tasks} == {
        (SUB_DEV, t) for t in ("azure.network.vnet", "azure.network.subnet", "azure.network.nsg", "azure.network.public_ip",
                               "azure.network.flow_log", "azure.network.bastion_hosts")}


def test_discovery_failure_is_a_unit_status(azure_fake) -> None:
    cfg = fake_config(azure_fake, management_group="mg-does-not-exist")
    tasks = [t for t in plan(cfg, clients=fast_clients(cfg)) if t.unit.account != "tenant"]  # directory units aside
    assert len(tasks) == 1
    sink = ListSink()
    summary = run_units(tasks, sink, classifiers={"azure": classify})
    assert summary.units[0].status is UnitStatus.ERROR and "404" in (summary.units[0].error or "")
    assert not summary.complete


def test_tls_is_verified_against_the_configured_ca_only(azure_fake) -> None:
    from auditor.config.schema import AzureConfig

    cfg = AzureConfig(arm_endpoint=azure_fake.base_url, credential="static-test-token", subscriptions=[SUB_PROD],
                      resource_types=["azure.network.public_ip"])
    summary = run_units(plan(cfg, clients=fast_clients(cfg, max_attempts=1)), ListSink(), classifiers={"azure": classify})
    (unit,) = summary.units
    assert unit.status is UnitStatus.ERROR and "certificate" in (unit.error or "").lower()


def test_content_hashes_are_stable_across_runs(azure_fake, e2e) -> None:
    cfg = fake_config(azure_fake, subscriptions=[SUB_PROD], resource_types=["azure.storage.*", "azure.network.nsg"])
    sink = ListSink()
    run_units(plan(cfg, clients=fast_clients(cfg)), sink, classifiers={"azure": classify})
    first = {r.resource_key: r.content_hash for r in e2e.sink.resources if r.resource_key in
             {s.resource_key for s in sink.resources}}
    assert first and first == {r.resource_key: r.content_hash for r in sink.resources}


def test_lighthouse_managed_by_tenants_become_external_trust_edges(e2e) -> None:
    from auditor.config.schema import AuditorConfig, EstateConfig
    from auditor.demo.emulators.azure_estate import LIGHTHOUSE_MSP_TENANT
    from auditor.identity.graph import build_from_resources
    from tests.identity.factories import stored

    subs = {r.account: r for r in e2e.sink.by_type("azure.resources.subscription")}
    assert config(subs[SUB_PROD])["managedByTenants"] == [{"tenantId": LIGHTHOUSE_MSP_TENANT}]
    assert config(subs[SUB_DEV])["managedByTenants"] == []
    g = build_from_resources([stored(r) for r in subs.values()], AuditorConfig(estate=EstateConfig()))
    (edge,) = g.edges
    assert edge.mechanism == "azure_lighthouse" and edge.trusted_id == LIGHTHOUSE_MSP_TENANT and edge.external
    assert [i["code"] for i in edge.details["issues"]] == ["azure.lighthouse_external_tenant"]
    # safe twin: the managing tenant is declared part of the estate
    ours = build_from_resources([stored(r) for r in subs.values()],
                                AuditorConfig(estate=EstateConfig(azure_tenants=[LIGHTHOUSE_MSP_TENANT])))
    assert [(e.external, e.details["issues"]) for e in ours.edges] == [(False, [])]
