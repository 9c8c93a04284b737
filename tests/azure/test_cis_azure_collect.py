"""CIS Azure collection end-to-end: the real ARM pipeline over HTTPS to the loopback fake, one
subscription built to fail every CIS rule and its twin built to pass, then each rule judged on
what was collected (unsafe FAILs, safe PASSes); denied namespaces are unit statuses, never PASS."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import pytest

from auditor.demo.emulators.azure_cis_estate import cis_resources, web_site
from auditor.demo.emulators.azure_estate import (
    READER, USER_ACCESS_ADMINISTRATOR, builtin_roles, nsg, rid, role_assignment, role_definition, security_rule,
    storage_account, virtual_machine, vnet,
)
from auditor.demo.emulators.azure_fake import AzureFake
from auditor.facets import unknown_facet_keys
from auditor.model import UnitStatus
from auditor.rules import cis_azure
from auditor.rules.engine import evaluate
from auditor.rules.registry import rules_in
from auditor.rules.verdict import FAIL, PASS, UNKNOWN
from collectors.azure import classify, plan
from collectors.runner import ListSink, run_units
from tests.identity.factories import stored
from tests.rules.examples import CONFIG

from azure_test_support import fake_config, fast_clients

UNSAFE = "4d9e5f6a-7b8c-4d2e-9f3a-4b5c6d7e8f90"
SAFE = "5e0f6a7b-8c9d-4e3f-8a4b-5c6d7e8f9a01"
DENIED = "6f1a7b8c-9d0e-4f4a-9b5c-6d7e8f9a0b12"
PLAIN_ARCHIVE = "7a2b8c9d-0e1f-4a5b-8c6d-7e8f9a0b1c23"  # safe, but its activity-log archive uses a platform key
NOW = datetime.now(timezone.utc)
CIS_TYPES = ("azure.security.pricing", "azure.security.contacts", "azure.monitor.diagnostic_settings",
             "azure.monitor.activity_log_alerts", "azure.network.flow_log", "azure.storage.account",
             "azure.network.nsg", "azure.network.vnet", "azure.network.subnet", "azure.authorization.role_assignment",
             "azure.network.bastion_hosts", "azure.security.assessments", "azure.monitor.app_insights",
             "azure.resources.subscription", "azure.authorization.role_definition",
             "azure.authorization.policy_assignment", "azure.security.iot_solutions", "azure.web.site",
             "azure.authorization.locks", "azure.network.public_ip")
# Rules of cis_azure_ops.py judged on this estate: sites' resource logging (6.1.4) and the lock on the
# restricted (mission-critical) storage account (6.2).
OPS_RULES = ("monitor.resource_logging", "iam.azure_critical_resource_unlocked")
# Rules judged here beyond cis_azure.py: the older rules the CIS tables reuse for storage and NSGs.
REUSED = ("storage.plain_http", "storage.min_tls_below_1_2", "storage.public_network_access",
          "network.admin_port_open")


def _subscription(sub: str, *, safe: bool, cmk: bool = True) -> list[dict[str, Any]]:
    rg, loc = "rg-cis", "westeurope"
    key = {"keyname": "archive", "keyversion": "", "keyvaulturi": "https://kv-cis.vault.azure.net"}
    acct = storage_account(sub, rg, f"stcis{'safe' if safe else 'open'}01", loc, "Standard_GRS" if safe else "Standard_LRS",
                           tags={"data-classification": "restricted"},
                           allow_public=False, https_only=safe, min_tls="TLS1_2" if safe else "TLS1_0",
                           public_network="Disabled" if safe else "Enabled",
                           default_action="Deny" if safe else "Allow", shared_key=not safe,
                           key_vault=key if safe and cmk else None)
    p = acct["properties"]
    p["allowCrossTenantReplication"] = not safe
    p["defaultToOAuthAuthentication"] = safe
    p["networkAcls"]["bypass"] = "AzureServices" if safe else "None"
    created = (NOW - timedelta(days=10 if safe else 400)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")
    p["keyCreationTime"] = {"key1": created, "key2": created}
    p["privateEndpointConnections"] = []
    if safe:
        p["keyPolicy"] = {"keyExpirationPeriodInDays": 90}
        p["privateEndpointConnections"] = [{
            "id": f"{acct['id']}/privateEndpointConnections/pe-blob", "name": "pe-blob",
            "type": "Microsoft.Storage/storageAccounts/privateEndpointConnections",
            "properties": {"privateEndpoint": {"id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/"
                                                     "Microsoft.Network/privateEndpoints/pe-blob"},
                           "privateLinkServiceConnectionState": {"status": "Approved", "description": "Auto-Approved",
                                                                 "actionRequired": "None"},
                           "provisioningState": "Succeeded"}}]
    rules = [security_rule("{nsg}", "allow-https-vnet", priority=100, protocol="Tcp", source="10.0.0.0/16", ports="443")]
    if not safe:
        rules += [security_rule("{nsg}", "allow-dns-udp", priority=110, protocol="Udp", source="*", ports="53"),
                  security_rule("{nsg}", "allow-web", priority=120, protocol="Tcp", source="Internet",
                                ports=["80", "443"]),
                  security_rule("{nsg}", "allow-ssh", priority=130, protocol="Tcp", source="0.0.0.0/0", ports="22")]
    group = nsg(sub, rg, "nsg-cis", loc, rules)
    net = vnet(sub, rg, "vnet-cis", loc, "10.0.0.0/16",
               [("app", "10.0.1.0/24", group["id"] if safe else None), ("GatewaySubnet", "10.0.255.0/27", None)])
    if safe:
        net["properties"]["enableDdosProtection"] = True
        net["properties"]["ddosProtectionPlan"] = {
            "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/ddosProtectionPlans/ddos"}
    grant = role_assignment(sub, "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f" if safe else "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a",
                            f"/subscriptions/{sub}", READER if safe else USER_ACCESS_ADMINISTRATOR,
                            "0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f", "User")
    vm = virtual_machine(sub, rg, "vm-cis", loc, size="Standard_D2s_v5", os_type="Linux",
                         nic_id=rid(sub, rg, "Microsoft.Network/networkInterfaces/vm-cis-nic"))
    roles = builtin_roles(sub)
    if safe:
        roles.append(role_definition(sub, "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b", "Lock Administrator", builtin=False,
                                     actions=["Microsoft.Authorization/locks/*"], description="Manages resource locks."))
    base = [acct, group, net, grant, vm, *roles]
    if not safe:  # more sites than one page (page_size 3) so the App Service listing follows nextLink
        base += [web_site(sub, rg, f"app-extra-{i}", loc) for i in range(2)]
    return base + cis_resources(sub, rg, loc, base, safe=safe)


def _estate() -> dict[str, Any]:
    return {"tenant_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", "page_size": 3,
            "subscriptions": [{"subscriptionId": s} for s in (UNSAFE, SAFE, DENIED, PLAIN_ARCHIVE)],
            "resources": _subscription(UNSAFE, safe=False) + _subscription(SAFE, safe=True)
                         + _subscription(DENIED, safe=True) + _subscription(PLAIN_ARCHIVE, safe=True, cmk=False),
            "faults": {"denied_namespaces": [(DENIED, "Microsoft.Security"), (DENIED, "Microsoft.Insights")]}}


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[ListSink, dict[tuple[str, str], Any]]]:
    with AzureFake(_estate()) as fake:
        cfg = fake_config(fake, resource_types=list(CIS_TYPES))
        sink = ListSink()
        summary = run_units(plan(cfg, clients=fast_clients(cfg)), sink, classifiers={"azure": classify},
                            concurrency=4)
        assert {m for m, _ in fake.router.requests} == {"GET"}
        assert any("/microsoft.web/sites?" in p.lower() and "skiptoken" in p.lower() for _, p in fake.router.requests)
    yield sink, {(u.unit.account, u.unit.resource_type): u for u in summary.units}


def _statuses(sink: ListSink, sub: str, rule_id: str) -> set[str]:
    rs = [stored(r) for r in sink.resources if r.account == sub]
    findings, _ = evaluate(rs, rs, CONFIG, rules=[rule_id], as_of=NOW)
    return {f.status for f in findings if f.rule_id == rule_id}


# the archive-key rule has nothing to judge where nothing is archived (the unsafe twin): its own test below
ARCHIVE_RULE = "monitor.activity_log_storage_cmk"
RULE_IDS = sorted([r.id for r in rules_in(cis_azure)
                   if not r.id.startswith(("entra.", "monitor.entra_")) and r.id != ARCHIVE_RULE]
                  + list(REUSED) + list(OPS_RULES))
ENTRA_RULE_IDS = sorted([r.id for r in rules_in(cis_azure)
                         if r.id.startswith("entra.") or r.id.startswith("monitor.entra_")] + ["entra.stale_guests"])


def test_units_ok_and_facets_in_the_contract(run) -> None:  # type: ignore[no-untyped-def]
    sink, units = run
    for sub in (UNSAFE, SAFE):
        assert {t: units[(sub, t)].status for t in CIS_TYPES} == {t: UnitStatus.OK for t in CIS_TYPES}
    for r in sink.resources:
        import json

        assert unknown_facet_keys(r.category, json.loads(r.facets)) == [], r.type


def test_collected_facets(run) -> None:  # type: ignore[no-untyped-def]
    import json

    sink, _ = run

    def one(sub: str, type_: str, name: str | None = None) -> dict[str, Any]:
        [r] = [r for r in sink.by_type(type_) if r.account == sub and (name is None or r.name == name)]
        return json.loads(r.facets)

    assert one(SAFE, "azure.security.contacts") == {"notify_roles": ["Owner"], "contact_emails": True,
                                                    "alert_min_severity": "High", "attack_path_min_risk": "High"}
    assert one(UNSAFE, "azure.security.contacts")["alert_min_severity"] == "Critical"
    assert one(SAFE, "azure.security.iot_solutions") == {"iot_solutions": 1, "iot_solutions_disabled": []}
    assert one(UNSAFE, "azure.security.iot_solutions") == {"iot_solutions": 1,
                                                           "iot_solutions_disabled": ["iot-plant-security"]}
    assert one(SAFE, "azure.web.site", f"app-cis-{SAFE[:4]}") == {"http_logging": True, "resource_logging": True}
    assert one(UNSAFE, "azure.web.site", f"app-cis-{UNSAFE[:4]}") == {"http_logging": False,
                                                                       "resource_logging": True}  # console logs
    assert len([r for r in sink.by_type("azure.web.site") if r.account == UNSAFE]) == 4  # both pages read
    # function apps: no HTTP-log verdict, but their resource logging is judged
    assert one(SAFE, "azure.web.site", f"func-cis-{SAFE[:4]}") == {"resource_logging": True}
    assert one(UNSAFE, "azure.web.site", f"func-cis-{UNSAFE[:4]}") == {"resource_logging": False}
    rg = f"/subscriptions/{SAFE}/resourcegroups/rg-cis"
    assert one(SAFE, "azure.authorization.locks") == {"locks": [{"scope": rg, "level": "CanNotDelete"}]}
    assert one(UNSAFE, "azure.authorization.locks")["locks"] == [
        {"scope": f"/subscriptions/{UNSAFE}/resourcegroups/rg-cis/providers/microsoft.compute/virtualmachines/vm-cis",
         "level": "ReadOnly"}]
    assert one(SAFE, "azure.resources.subscription") == {"tenant_id": "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"}
    assert one(SAFE, "azure.security.pricing", "VirtualMachines") == {"defender_plan": "VirtualMachines",
                                                                      "defender_on": True}
    assert one(SAFE, "azure.monitor.diagnostic_settings")["diagnostic_settings"] == [
        {"name": "activity-to-law", "categories": ["Administrative", "Alert", "Policy", "Security"],
         "destinations": ["storageAccountId", "workspaceId"],
         "storage_account": f"/subscriptions/{SAFE}/resourcegroups/rg-cis/providers/microsoft.storage/storageaccounts/"
                            "stcissafe01"}]
    alerts = one(SAFE, "azure.monitor.activity_log_alerts")
    assert len(alerts["alert_operations"]) == 10 and alerts["alert_categories"] == ["Administrative", "ServiceHealth"]
    assert one(UNSAFE, "azure.monitor.activity_log_alerts")["alert_operations"] == []  # the one alert is disabled
    acct = one(SAFE, "azure.storage.account")
    assert {k: acct[k] for k in ("shared_key_access", "cross_tenant_replication", "trusted_services_bypass",
                                 "key_expiration_days", "private_endpoint", "default_oauth",
                                 "blob_soft_delete_days", "container_soft_delete_days", "versioning")} == {
        "shared_key_access": False, "cross_tenant_replication": False, "trusted_services_bypass": True,
        "key_expiration_days": 90, "private_endpoint": True, "default_oauth": True, "blob_soft_delete_days": 14,
        "container_soft_delete_days": 14, "versioning": True}
    unsafe = one(UNSAFE, "azure.storage.account")
    assert (acct["smb_versions"], acct["smb_channel_encryption"], acct["file_soft_delete_days"]) == (
        ["SMB3.1.1"], ["AES-256-GCM"], 14)
    assert unsafe["smb_versions"] == ["SMB2.1", "SMB3.0", "SMB3.1.1"]  # unset: every supported version
    assert unsafe["shared_key_access"] is True and unsafe["blob_soft_delete_days"] == 0
    subnets = {r.name: json.loads(r.facets) for r in sink.by_type("azure.network.subnet") if r.account == UNSAFE}
    assert subnets["app"]["nsg_attached"] is False and "nsg_attached" not in subnets["GatewaySubnet"]
    bas = f"/subscriptions/{SAFE}/resourcegroups/rg-cis/providers/microsoft.network/bastionhosts/bas-hub"
    assert one(SAFE, "azure.network.public_ip") == {
        "attached": True, "attached_to": f"{bas}/bastionhostipconfigurations/bastionhostipconfiguration",
        "allocation_method": "Static", "sku": "Standard"}
    assert one(UNSAFE, "azure.network.public_ip") == {"attached": False, "attached_to": None,
                                                      "allocation_method": "Static", "sku": "Standard"}
    logs = [json.loads(r.facets) for r in sink.by_type("azure.network.flow_log") if r.account == UNSAFE]
    assert sorted(f["retention_days"] for f in logs) == [7, 7] and not any(f["traffic_analytics"] for f in logs)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_unsafe_subscription_fails_and_safe_twin_passes(run, rule_id: str) -> None:  # type: ignore[no-untyped-def]
    sink, _ = run
    assert FAIL in _statuses(sink, UNSAFE, rule_id), f"{rule_id}: the unsafe subscription does not FAIL"
    got = _statuses(sink, SAFE, rule_id)
    assert PASS in got and FAIL not in got, f"{rule_id}: the safe twin gives {got}"


def test_activity_log_archive_key_joins_the_storage_account(run) -> None:  # type: ignore[no-untyped-def]
    sink, _ = run
    assert _statuses(sink, SAFE, ARCHIVE_RULE) == {PASS}  # archived to its customer-key account
    assert _statuses(sink, PLAIN_ARCHIVE, ARCHIVE_RULE) == {FAIL}  # archived to a platform-key account
    assert _statuses(sink, UNSAFE, ARCHIVE_RULE) == set()  # not archived at all: nothing to judge


def test_denied_namespaces_are_unit_statuses_and_never_pass(run) -> None:  # type: ignore[no-untyped-def]
    sink, units = run
    for t in ("azure.security.pricing", "azure.security.contacts", "azure.monitor.diagnostic_settings",
              "azure.monitor.activity_log_alerts", "azure.security.iot_solutions"):
        assert units[(DENIED, t)].status is UnitStatus.DENIED, t
        assert "AuthorizationFailed" in (units[(DENIED, t)].error or "")
    assert units[(DENIED, "azure.storage.account")].status is UnitStatus.OK  # other namespaces still read
    # sites are read, their diagnostic settings (Microsoft.Insights) denied: HTTP logging unknown, never PASS
    site = units[(DENIED, "azure.web.site")]
    assert site.status is UnitStatus.OK and "HTTP logging and resource logging unknown" in (site.error or ""), \
        site.error
    assert _statuses(sink, DENIED, "appservice.http_logs_missing") == {UNKNOWN}
    assert _statuses(sink, DENIED, "monitor.resource_logging") == {UNKNOWN}
    from auditor.rules.registry import get

    for rid in RULE_IDS:
        if all(t.startswith(("azure.security.", "azure.monitor.")) for t in get(rid).types or ("-",)):
            assert PASS not in _statuses(sink, DENIED, rid), rid


# ---- directory settings over Microsoft Graph (tenant units) --------------------------------------

TENANT_UNSAFE = "8b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"
TENANT_SAFE = "9c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f"


@pytest.fixture(scope="module")
def graph_runs() -> Iterator[dict[str, tuple[ListSink, dict[str, Any]]]]:
    """One collection per tenant twin (and one with Graph not consented) against the same fake."""
    from auditor.demo.emulators.azure_cis_estate import entra_diagnostic_setting, graph_settings

    out: dict[str, tuple[ListSink, dict[str, Any]]] = {}
    with AzureFake({"subscriptions": [], "resources": [], "graph": graph_settings(safe=False)}) as fake:
        router = fake.router
        assert router is not None
        for label, tenant, graph, denied in (("unsafe", TENANT_UNSAFE, graph_settings(safe=False), False),
                                             ("safe", TENANT_SAFE, graph_settings(safe=True), False),
                                             ("denied", TENANT_SAFE, graph_settings(safe=True), True)):
            router.graph = {k.lower(): v for k, v in graph.items()}
            router.graph_denied = denied
            entra = entra_diagnostic_setting("entra-to-law", "/subscriptions/x/resourceGroups/rg/providers/"
                                             "Microsoft.OperationalInsights/workspaces/law",
                                             ["AuditLogs", "SignInLogs", "MicrosoftGraphActivityLogs"]
                                             if label != "unsafe" else ["AuditLogs"])
            router.items = {entra["id"].lower(): entra}
            if denied:
                router.deny_namespace("", "microsoft.aadiam")
            cfg = fake_config(fake, tenant_id=tenant, graph_endpoint=fake.base_url, resource_types=["azure.entra.*"])
            sink = ListSink()
            summary = run_units(plan(cfg, clients=fast_clients(cfg)), sink, classifiers={"azure": classify})
            out[label] = (sink, {u.unit.resource_type: u for u in summary.units})
        graph_paths = {p.split("?")[0] for _, p in router.requests} - {"/subscriptions",  # discovery: none
                                                                       "/providers/microsoft.aadiam/diagnosticSettings"}
        assert graph_paths == {"/v1.0/policies/authorizationPolicy",
                               "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy",
                               "/v1.0/identity/conditionalAccess/policies",
                               "/v1.0/identity/conditionalAccess/namedLocations",
                               "/v1.0/directoryRoles(roleTemplateId='62e90394-69f5-4237-9190-012177145e10')/members",
                               "/v1.0/groupSettings", "/v1.0/reports/authenticationMethods/userRegistrationDetails",
                               "/v1.0/users"}
    yield out


def test_directory_units_and_facets(graph_runs) -> None:  # type: ignore[no-untyped-def]
    import json

    sink, units = graph_runs["unsafe"]
    assert {t: u.status for t, u in units.items()} == {"azure.entra.authorization_policy": UnitStatus.OK,
                                                       "azure.entra.security_defaults": UnitStatus.OK,
                                                       "azure.entra.conditional_access": UnitStatus.OK,
                                                       "azure.entra.diagnostic_settings": UnitStatus.OK,
                                                       "azure.entra.directory_settings": UnitStatus.OK,
                                                       "azure.entra.mfa_registration": UnitStatus.OK,
                                                       "azure.entra.guest_users": UnitStatus.OK}
    [mfa] = sink.by_type("azure.entra.mfa_registration")
    assert json.loads(mfa.facets) == {"users_without_mfa": 2, "admins_without_mfa": 0,
                                      "mfa_incapable_ids": ["00000001-2b3c-4d4e-9f5a-6b7c8d9e0f1a",
                                                            "00000003-2b3c-4d4e-9f5a-6b7c8d9e0f1a"]}
    [guests] = sink.by_type("azure.entra.guest_users")
    # the guest never used since creation is stale; the active one and the disabled one are not
    assert json.loads(guests.facets) == {"guests": 3, "stale_guests": ["00000002-3c4d-4e5f-8a6b-7c8d9e0f1a2b"]}
    assert "signInActivity" not in guests.config and "lastSignIn" not in guests.config  # volatile: not stored
    [safe_guests] = graph_runs["safe"][0].by_type("azure.entra.guest_users")
    assert json.loads(safe_guests.facets) == {"guests": 2, "stale_guests": []}
    assert "@contoso.example" not in mfa.config  # ids only
    [ds] = sink.by_type("azure.entra.directory_settings")
    assert json.loads(ds.facets) == {"global_admins": 6, "users_can_create_unified_groups": True}
    assert "admin0@contoso.example" not in ds.config  # member ids and types only
    [ca] = graph_runs["safe"][0].by_type("azure.entra.conditional_access")
    ca_facets = json.loads(ca.facets)
    assert ca_facets["trusted_locations"] == 1 and len(ca_facets["ca_policies"]) == 4
    assert {"name": "Require MFA for admin portals", "enabled": True, "all_users": True,
            "applications": ["MicrosoftAdminPortals"], "mfa": True, "block": False,
            "locations": False} in ca_facets["ca_policies"]
    [policy] = sink.by_type("azure.entra.authorization_policy")
    assert policy.account == TENANT_UNSAFE and policy.native_id == f"/tenants/{TENANT_UNSAFE}/policies/authorizationPolicy"
    assert json.loads(policy.facets) == {"guest_access": "member", "guest_invites": "everyone",
                                         "users_can_create_apps": True, "users_can_create_security_groups": True,
                                         "users_can_create_tenants": True, "user_consent": "any"}
    assert "@odata.context" not in json.loads(policy.config)
    for r in sink.resources:
        assert unknown_facet_keys(r.category, json.loads(r.facets)) == [], r.type


@pytest.mark.parametrize("rule_id", ENTRA_RULE_IDS)
def test_unsafe_tenant_fails_and_safe_twin_passes(graph_runs, rule_id: str) -> None:  # type: ignore[no-untyped-def]
    def statuses(label: str) -> set[str]:
        rs = [stored(r) for r in graph_runs[label][0].resources]
        findings, _ = evaluate(rs, rs, CONFIG, rules=[rule_id], as_of=NOW)
        return {f.status for f in findings}

    assert FAIL in statuses("unsafe")
    assert PASS in statuses("safe") and FAIL not in statuses("safe")
    assert statuses("denied") == set()  # nothing collected: no verdict at all, never a PASS


def test_graph_not_consented_is_denied(graph_runs) -> None:  # type: ignore[no-untyped-def]
    sink, units = graph_runs["denied"]
    assert sink.resources == []
    for t, u in units.items():
        assert u.status is UnitStatus.DENIED, t
        assert ("AuthorizationFailed" if t == "azure.entra.diagnostic_settings" else "Authorization_RequestDenied") \
            in (u.error or "")


def test_graph_calls_declared_and_kept_out_of_the_arm_role() -> None:
    from auditor.config.schema import AzureConfig
    from collectors.azure import permissions
    from collectors.azure.clients import AzureClients
    from collectors.azure.graph import GRAPH_PERMISSIONS, TENANT_ARM_PERMISSIONS, graph_permissions, tenant_arm_permissions
    from collectors.azure.specs import TENANT_SPECS, spec_calls

    class Cred:
        def get_token(self, *a, **k):  # type: ignore[no-untyped-def]
            raise AssertionError("no request is made here")

    clients = AzureClients(AzureConfig(), credential=Cred())
    assert clients.client("graph", "tenant")._base == "https://graph.microsoft.com"
    declared = {**GRAPH_PERMISSIONS, **TENANT_ARM_PERMISSIONS}
    for spec in TENANT_SPECS:
        for service, call in spec_calls(spec):
            assert declared[(service, call)] in spec.permissions
            group, method = call.split(".")
            assert callable(getattr(getattr(clients.client(service, "tenant"), group), method))
    assert graph_permissions() == ["AuditLog.Read.All", "Directory.Read.All", "Policy.Read.All",
                                   "RoleManagement.Read.Directory", "User.Read.All"]
    assert tenant_arm_permissions() == ["microsoft.aadiam/diagnosticSettings/read"]
    assert not set(graph_permissions()) & set(permissions()["Actions"])


def test_http_logging_reads_category_group_and_needs_a_destination() -> None:
    from collectors.azure.web_collect import site_facets

    def setting(log: dict[str, Any], dest: bool = True) -> dict[str, Any]:
        props: dict[str, Any] = {"logs": [{**log, "enabled": True}]}
        if dest:
            props["storageAccountId"] = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a"
        return {"name": "d", "properties": props}

    app = {"kind": "app,linux"}
    assert site_facets(app, [setting({"categoryGroup": "allLogs"})]) == {"http_logging": True, "resource_logging": True}
    assert site_facets(app, [setting({"categoryGroup": "audit"})]) == {"http_logging": False, "resource_logging": True}
    assert site_facets(app, [setting({"category": "AppServiceHTTPLogs"}, dest=False)]) == {
        "http_logging": False, "resource_logging": False}  # no destination: exports nothing
    # settings not read: unknown, never False
    assert site_facets(app, None) == {"http_logging": None, "resource_logging": None}
    assert site_facets({"kind": "functionapp"}, []) == {"resource_logging": False}


# ---- CIS 3.1.1: users who can reach VMs, joined to the registration report of their tenant --------

VM_CONTRIBUTOR = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
VM_USER_LOGIN = "fb879df8-f326-4884-b1cf-06f3ad86be52"
HOME_TENANT = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"


def _vm_access_statuses(graph: dict[str, Any] | None) -> dict[str, set[str]]:
    """ARM role assignments and the tenant's MFA report collected in one run (Graph denied when None)."""
    from auditor.demo.emulators.azure_cis_estate import graph_settings

    sub = UNSAFE
    scope = f"/subscriptions/{sub}"
    users = {"user1": "00000001-2b3c-4d4e-9f5a-6b7c8d9e0f1a",  # MFA capable only in the safe report
             "user0": "00000000-2b3c-4d4e-9f5a-6b7c8d9e0f1a"}  # MFA capable in both
    estate = {"tenant_id": HOME_TENANT, "subscriptions": [{"subscriptionId": sub}],
              "resources": [role_assignment(sub, "1a1b1c1d-0000-4000-8000-000000000001", scope, VM_CONTRIBUTOR,
                                            users["user1"], "User"),
                            role_assignment(sub, "1a1b1c1d-0000-4000-8000-000000000002", scope, VM_USER_LOGIN,
                                            users["user0"], "User"),
                            role_assignment(sub, "1a1b1c1d-0000-4000-8000-000000000003", scope, READER,
                                            users["user1"], "User"),  # no VM access: not judged
                            *builtin_roles(sub),
                            role_definition(sub, VM_CONTRIBUTOR, "Virtual Machine Contributor", builtin=True,
                                            actions=["Microsoft.Compute/virtualMachines/*"]),
                            role_definition(sub, VM_USER_LOGIN, "Virtual Machine User Login", builtin=True,
                                            actions=["Microsoft.Compute/virtualMachines/*/read"])],
              "graph": graph or graph_settings(safe=True), "faults": {"graph_denied": graph is None}}
    with AzureFake(estate) as fake:
        cfg = fake_config(fake, tenant_id=HOME_TENANT, graph_endpoint=fake.base_url,
                          resource_types=["azure.authorization.role_assignment", "azure.resources.subscription",
                                          "azure.entra.mfa_registration"])
        sink = ListSink()
        run_units(plan(cfg, clients=fast_clients(cfg)), sink, classifiers={"azure": classify})
    rs = [stored(r) for r in sink.resources]
    findings, _ = evaluate(rs, rs, CONFIG, rules=["entra.vm_access_without_mfa"], as_of=NOW)
    by_user: dict[str, set[str]] = {}
    for f in findings:
        name = next(k for k, v in users.items() if v in json.dumps(f.evidence))
        by_user.setdefault(name, set()).add(f.status)
    return by_user


def test_vm_access_needs_mfa_from_the_subscriptions_tenant_report() -> None:
    from auditor.demo.emulators.azure_cis_estate import graph_settings

    assert _vm_access_statuses(graph_settings(safe=False)) == {"user1": {FAIL}, "user0": {PASS}}
    assert _vm_access_statuses(graph_settings(safe=True)) == {"user1": {PASS}, "user0": {PASS}}
    # Graph not consented: the report is missing, the assignments are UNKNOWN, never PASS
    assert _vm_access_statuses(None) == {"user1": {UNKNOWN}, "user0": {UNKNOWN}}


def test_guest_staleness_counts_any_sign_in_and_creation_when_never_used() -> None:
    from collectors.azure.graph import guest_facets

    def ago(days: int) -> str:
        return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    guests = [
        {"id": "A", "accountEnabled": True, "createdDateTime": ago(10), "signInActivity": None},  # new, unused
        {"id": "B", "accountEnabled": True, "createdDateTime": ago(300),
         "signInActivity": {"lastSignInDateTime": ago(200), "lastNonInteractiveSignInDateTime": ago(5)}},
        {"id": "C", "accountEnabled": True, "createdDateTime": ago(300),
         "signInActivity": {"lastSignInDateTime": ago(120), "lastNonInteractiveSignInDateTime": None}},
        {"id": "D", "accountEnabled": True, "createdDateTime": None},  # dates unreadable: cannot be shown used
        {"id": "E", "accountEnabled": False, "createdDateTime": ago(900)},  # disabled: not judged
    ]
    assert guest_facets(guests, NOW) == {"guests": 5, "stale_guests": ["c", "d"]}


def test_public_ip_in_use_is_read_from_its_holder_and_unknown_without_properties() -> None:
    """CIS 7.7: the address names what uses it (any IP configuration, or a NAT gateway); an address
    whose payload carries no properties is UNKNOWN, never PASS."""
    from collectors.azure.cis_normalise import public_ip_facets
    from tests.rules.examples import res

    lb = (f"/subscriptions/{UNSAFE}/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb/"
          "frontendIPConfigurations/fe")
    nat = f"/subscriptions/{UNSAFE}/resourceGroups/rg/providers/Microsoft.Network/natGateways/nat-out"
    sku = {"name": "Standard", "tier": "Regional"}
    cases = {
        "lb": ({"sku": sku, "properties": {"publicIPAllocationMethod": "Static", "ipConfiguration": {"id": lb}}},
               {"attached": True, "attached_to": lb.lower()}, PASS),
        "nat": ({"sku": sku, "properties": {"publicIPAllocationMethod": "Static", "natGateway": {"id": nat}}},
                {"attached": True, "attached_to": nat.lower()}, PASS),
        # a Basic dynamic address nothing uses holds no address, but is still an unused resource
        "idle": ({"sku": {"name": "Basic"}, "properties": {"publicIPAllocationMethod": "Dynamic",
                                                           "ipConfiguration": None}},
                 {"attached": False, "attached_to": None, "allocation_method": "Dynamic", "sku": "Basic"}, FAIL),
        # a reference ARM would not send (no usable id): cannot tell, so neither FAIL nor PASS
        "hostile": ({"sku": "Standard", "properties": {"ipConfiguration": {"id": 42}, "publicIPAllocationMethod": []}},
                    {"attached": None, "allocation_method": None, "sku": None}, UNKNOWN),
        "blank": ({"sku": sku, "properties": {"natGateway": {"id": " "}}}, {"attached": None}, UNKNOWN),
        "unread": ({"sku": sku}, {"attached": None, "attached_to": None, "allocation_method": None}, UNKNOWN),
    }
    for name, (doc, expected, status) in cases.items():
        f = public_ip_facets(doc)
        assert {k: f[k] for k in expected} == expected, name
        assert unknown_facet_keys("network", f) == []
        rs = [stored(res("azure", "azure.network.public_ip", "network", name, f))]
        [finding] = evaluate(rs, rs, CONFIG, rules=["network.public_ip_unused"], as_of=NOW)[0]
        assert finding.status == status, name
        assert finding.evidence["name"] == name and "ipAddress" not in json.dumps(finding.evidence)
