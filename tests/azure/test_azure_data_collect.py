"""Key Vault, SQL, Cosmos DB and ML registries end-to-end: the ARM pipeline over HTTPS to the fake,
facets, paging, unit statuses, generated permissions, and the rules on every unsafe/safe twin."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from auditor.config.schema import ResidencyConfig
from auditor.demo.emulators.azure_data_estate import data_resources, vault, vault_secret
from auditor.demo.emulators.azure_estate import SUB_DENIED, SUB_DEV, SUB_PROD, TENANT
from auditor.demo.emulators.azure_fake import AzureFake, read_action_for_path
from auditor.facets import unknown_facet_keys
from auditor.identity.estate import Estate
from auditor.model import UnitStatus
from auditor.residency.policy import ResidencyPolicy
from auditor.rules import cis_azure_data as r
from auditor.rules import cis_azure_ops as ops
from auditor.rules import residency, storage
from auditor.rules.registry import RuleContext
from auditor.rules.verdict import FAIL, PASS, UNKNOWN
from collectors.azure import classify, permissions, plan
from collectors.azure.specs import CALL_ACTIONS, SPEC_BY_TYPE, spec_calls
from collectors.runner import ListSink, run_units

from azure_test_support import fake_config, fast_clients

pytestmark = pytest.mark.slow

DATA_TYPES = {"azure.keyvault.vault": 2, "azure.keyvault.key": 4, "azure.keyvault.secret": 2, "azure.sql.server": 2,
              "azure.sql.database": 3, "azure.cosmosdb.account": 2, "azure.ml.registry": 2,
              "azure.databricks.workspace": 2}
NAMESPACES = ("microsoft.keyvault", "microsoft.sql", "microsoft.documentdb", "/registries", "microsoft.databricks")


def facets(res):  # type: ignore[no-untyped-def]
    return json.loads(res.facets)


def by_name(sink, type_):  # type: ignore[no-untyped-def]
    return {x.name: x for x in sink.by_type(type_)}


def stored(res):  # type: ignore[no-untyped-def]
    return SimpleNamespace(provider=res.provider, account=res.account, region=res.region, location=None,
                           category=res.category, type=res.type, native_id=res.native_id, name=res.name,
                           tags=json.loads(res.tags), config=json.loads(res.config), facets=facets(res),
                           state="present", resource_key=res.resource_key)


def ctx() -> RuleContext:
    cfg = SimpleNamespace(residency=ResidencyConfig(allowed={"restricted": ["EU"], "internal": ["*"]}),
                          checks=SimpleNamespace(cmk_required_for=[]))
    policy = ResidencyPolicy.from_config(cfg.residency)
    return RuleContext(config=cfg, estate=Estate(), classify=lambda x: policy.classification(x.tags))


def test_types_units_and_facet_contract(e2e) -> None:
    counts = dict(e2e.summary.resources_by_type)
    assert {t: counts.get(t) for t in DATA_TYPES} == DATA_TYPES
    units = {(u.unit.account, u.unit.resource_type): u.status for u in e2e.summary.units}
    for t in DATA_TYPES:
        assert units[(SUB_PROD, t)] is UnitStatus.OK
        assert units[(SUB_DEV, t)] is UnitStatus.EMPTY  # nothing there: empty, not failed
        assert units[(SUB_DENIED, t)] is UnitStatus.DENIED
    for x in e2e.sink.resources:
        if x.type in DATA_TYPES:
            assert x.account == SUB_PROD and x.region in ("westeurope", "northeurope")
            assert unknown_facet_keys(x.category, facets(x)) == [], x.type


def test_paging_followed_for_children(e2e) -> None:
    keys = [p for _, p in e2e.requests if "/vaults/kv-prod-open/keys" in p]
    assert any("$skiptoken=" in p for p in keys)  # three keys, page size 2
    assert set(by_name(e2e.sink, "azure.keyvault.key")) == {"app-key", "legacy-key", "sign-key", "cmk-key"}
    # each key is read once by id, where the rotation policy is certain to be returned
    assert any(p.split("?")[0].endswith("/vaults/kv-prod-locked/keys/cmk-key") for _, p in e2e.requests)
    rules = [p for _, p in e2e.requests if "/servers/sql-prod-open/firewallRules" in p]
    assert any("$skiptoken=" in p for p in rules) and all("api-version=2021-11-01" in p for p in rules)
    assert facets(by_name(e2e.sink, "azure.sql.server")["sql-prod-open"])["firewall_ranges"] == [
        "0.0.0.0-255.255.255.255", "0.0.0.0-0.0.0.0", "203.0.113.0-203.0.113.255"]


def test_key_vault_facets_and_no_secret_values(e2e) -> None:
    v = {k: facets(x) for k, x in by_name(e2e.sink, "azure.keyvault.vault").items()}
    assert v["kv-prod-open"] == {**v["kv-prod-open"], "public_network_access": True, "purge_protection": False,
                                 "rbac_authorization": False, "private_endpoint": False, "soft_delete": True,
                                 "audit_logging": False}
    assert v["kv-prod-locked"] == {**v["kv-prod-locked"], "public_network_access": False, "purge_protection": True,
                                   "rbac_authorization": True, "private_endpoint": True, "audit_logging": True}
    diag = [p for _, p in e2e.requests if "/providers/microsoft.insights/diagnosticsettings" in p.lower()
            and "/vaults/" in p.lower()]
    assert {p.split("/vaults/")[1].split("/")[0] for p in diag} == {"kv-prod-open", "kv-prod-locked"}
    assert all("api-version=2021-05-01-preview" in p for p in diag)
    assert v["kv-prod-open"]["replica_locations"] == ["northeurope"]  # the paired region holds a copy
    k = {n: facets(x) for n, x in by_name(e2e.sink, "azure.keyvault.key").items()}
    assert (k["app-key"]["expiry_set"], k["app-key"]["rotation"]) == (False, False)
    assert (k["cmk-key"]["expiry_set"], k["cmk-key"]["rotation"], k["cmk-key"]["rbac_authorization"]) == (True, True, True)
    for s in e2e.sink.by_type("azure.keyvault.secret"):
        assert "value" not in json.loads(s.config)["properties"]


def test_sql_and_cosmos_facets(e2e) -> None:
    s = {n: facets(x) for n, x in by_name(e2e.sink, "azure.sql.server").items()}
    assert s["sql-prod-open"] == {**s["sql-prod-open"], "allows_all_ips": True, "allows_azure_services": True,
                                  "auditing": False, "entra_admin": False, "key_management": "provider",
                                  "min_tls": "1.0", "public_network_access": True}
    assert s["sql-prod-locked"] == {**s["sql-prod-locked"], "allows_all_ips": False, "auditing": True,
                                    "audit_retention_days": 120, "entra_admin": True, "key_management": "customer",
                                    "replica_locations": ["westeurope"]}
    db = {n: facets(x) for n, x in by_name(e2e.sink, "azure.sql.database").items()}
    assert (db["orders"]["encrypted"], db["orders"]["replica_locations"]) == (False, ["northeurope"])
    assert (db["ledger"]["encrypted"], db["ledger"]["key_management"]) == (True, "customer")
    assert db["ledger"]["replica_locations"] == ["westeurope"]  # failover-group partner
    assert "encrypted" not in db["master"]  # TDE does not apply to the system database: no verdict
    assert storage.storage_unencrypted(stored(by_name(e2e.sink, "azure.sql.database")["master"]), ctx()) is None
    assert not any("/databases/master/transparentDataEncryption" in p for _, p in e2e.requests)
    c = {n: facets(x) for n, x in by_name(e2e.sink, "azure.cosmosdb.account").items()}
    assert c["cosmos-orders"] == {**c["cosmos-orders"], "locations": ["westeurope"], "replica_locations": ["eastus"],
                                  "local_auth": True, "public_network_access": True, "min_tls": "TLS1_0"}
    assert c["cosmos-ledger"] == {**c["cosmos-ledger"], "locations": ["northeurope"],
                                  "replica_locations": ["westeurope"], "local_auth": False,
                                  "public_network_access": False, "key_management": "customer"}
    reg = {n: facets(x) for n, x in by_name(e2e.sink, "azure.ml.registry").items()}
    assert reg["mlreg-shared"]["replica_locations"] == ["eastus"] and reg["mlreg-eu"]["public_network_access"] is False


CASES = [
    # (rule, type, unsafe name, safe name)
    (r.purge_protection, "azure.keyvault.vault", "kv-prod-open", "kv-prod-locked"),
    (r.access_policies, "azure.keyvault.vault", "kv-prod-open", "kv-prod-locked"),
    (r.vault_public_network, "azure.keyvault.vault", "kv-prod-open", "kv-prod-locked"),
    (r.vault_private_endpoint, "azure.keyvault.vault", "kv-prod-open", "kv-prod-locked"),
    (r.key_rotation, "azure.keyvault.key", "app-key", "cmk-key"),
    (r.vault_logging, "azure.keyvault.vault", "kv-prod-open", "kv-prod-locked"),
    (r.legacy_key_no_expiry, "azure.keyvault.key", "app-key", "legacy-key"),
    (r.legacy_secret_no_expiry, "azure.keyvault.secret", "db-password", None),
    (r.rbac_secret_no_expiry, "azure.keyvault.secret", None, "api-token"),
    (r.rbac_key_no_expiry, "azure.keyvault.key", None, "cmk-key"),
    (r.sql_firewall_all, "azure.sql.server", "sql-prod-open", "sql-prod-locked"),
    (r.sql_allow_azure, "azure.sql.server", "sql-prod-open", "sql-prod-locked"),
    (r.sql_auditing, "azure.sql.server", "sql-prod-open", "sql-prod-locked"),
    (r.sql_entra_admin, "azure.sql.server", "sql-prod-open", "sql-prod-locked"),
    (r.sql_tde_customer_key, "azure.sql.server", "sql-prod-open", "sql-prod-locked"),
    (storage.storage_unencrypted, "azure.sql.database", "orders", "ledger"),
    (storage.storage_min_tls, "azure.sql.server", "sql-prod-open", "sql-prod-locked"),
    (r.cosmos_local_auth, "azure.cosmosdb.account", "cosmos-orders", "cosmos-ledger"),
    (r.cosmos_key_metadata, "azure.cosmosdb.account", "cosmos-orders", "cosmos-ledger"),
    (storage.storage_public_network, "azure.cosmosdb.account", "cosmos-orders", "cosmos-ledger"),
    (storage.storage_min_tls, "azure.cosmosdb.account", "cosmos-orders", "cosmos-ledger"),
    (residency.replica_location, "azure.cosmosdb.account", "cosmos-orders", "cosmos-ledger"),
    (storage.storage_public_network, "azure.ml.registry", "mlreg-shared", "mlreg-eu"),
    (r.cluster_local_accounts, "azure.containerservice.managed_cluster", "aks-open", "aks-private"),
    (r.cluster_rbac, "azure.containerservice.managed_cluster", None, "aks-open"),
    (r.registry_admin_user, "azure.containerregistry.registry", "crmlopen", "crmlprod"),
    (r.databricks_vnet_injection, "azure.databricks.workspace", "dbw-analytics-open", "dbw-analytics-locked"),
    (r.databricks_no_public_ip, "azure.databricks.workspace", "dbw-analytics-open", "dbw-analytics-locked"),
    (r.databricks_public_network, "azure.databricks.workspace", "dbw-analytics-open", "dbw-analytics-locked"),
    (r.databricks_customer_managed_key, "azure.databricks.workspace", "dbw-analytics-open", "dbw-analytics-locked"),
    # CIS 6.1.4 resource logging: a diagnostic setting on the resource exports its logs
    (ops.resource_logging, "azure.keyvault.vault", "kv-prod-open", "kv-prod-locked"),
    (ops.resource_logging, "azure.cosmosdb.account", "cosmos-orders", "cosmos-ledger"),
    (ops.resource_logging, "azure.databricks.workspace", "dbw-analytics-open", "dbw-analytics-locked"),
]


@pytest.mark.parametrize("rule, type_, unsafe, safe", CASES, ids=lambda x: getattr(x, "__name__", None))
def test_rules_on_unsafe_and_safe_twins(e2e, rule, type_, unsafe, safe) -> None:  # type: ignore[no-untyped-def]
    found = by_name(e2e.sink, type_)
    if unsafe:
        assert rule(stored(found[unsafe]), ctx()).status == FAIL
    if safe:
        assert rule(stored(found[safe]), ctx()).status == PASS


def test_expiry_rules_judge_only_their_permission_model(e2e) -> None:
    keys = by_name(e2e.sink, "azure.keyvault.key")
    assert r.rbac_key_no_expiry(stored(keys["app-key"]), ctx()) is None  # access-policy vault: the twin judges it
    assert r.legacy_key_no_expiry(stored(keys["cmk-key"]), ctx()) is None
    assert r.legacy_key_no_expiry(stored(keys["sign-key"]), ctx()) is None  # disabled key: not judged


@pytest.mark.parametrize("type_", sorted(DATA_TYPES))
def test_generated_role_covers_every_call_and_fake_request(e2e, type_) -> None:  # type: ignore[no-untyped-def]
    actions = {a.lower() for a in permissions()["Actions"]}
    for service, call in spec_calls(SPEC_BY_TYPE[type_]):
        assert CALL_ACTIONS[(service, call)].lower() in actions
    needed = {read_action_for_path(p).lower() for _, p in e2e.requests if any(ns in p.lower() for ns in NAMESPACES)}
    assert needed and needed <= actions


# ---- faults: a smaller estate of its own -------------------------------------------------------

def _estate(drop: tuple[str, ...] = (), extra: list[dict] | None = None) -> dict:
    res = [d for d in data_resources(SUB_PROD, "rg-prod", "westeurope", TENANT)
           if not any(d["id"].endswith(x) for x in drop)]
    return {"tenant_id": TENANT, "page_size": 1, "subscriptions": [{"subscriptionId": SUB_PROD}],
            "resources": res + (extra or [])}


def _run(fake: AzureFake):  # type: ignore[no-untyped-def]
    cfg = fake_config(fake, resource_types=["azure.keyvault.*", "azure.sql.*", "azure.cosmosdb.*"])
    sink = ListSink()
    summary = run_units(plan(cfg, clients=fast_clients(cfg)), sink, classifiers={"azure": classify}, concurrency=2)
    return sink, {u.unit.resource_type: u for u in summary.units}


def test_denied_sql_namespace_is_denied_while_vaults_complete() -> None:
    with AzureFake(_estate()) as fake:
        assert fake.router is not None
        fake.router.deny_namespace(SUB_PROD, "Microsoft.Sql")
        sink, units = _run(fake)
    for t in ("azure.sql.server", "azure.sql.database"):
        assert units[t].status is UnitStatus.DENIED and "Microsoft.Sql/servers/read" in (units[t].error or "")
    assert units["azure.keyvault.vault"].status is UnitStatus.OK
    assert not sink.by_type("azure.sql.server")


def test_missing_auditing_and_protector_are_unknown_never_pass() -> None:
    drop = ("/sql-prod-locked/auditingSettings/default", "/sql-prod-locked/encryptionProtector/current",
            "/ledger/transparentDataEncryption/current")
    with AzureFake(_estate(drop)) as fake:
        sink, units = _run(fake)
    assert units["azure.sql.server"].status is UnitStatus.OK
    srv = stored(by_name(sink, "azure.sql.server")["sql-prod-locked"])
    assert (srv.facets["auditing"], srv.facets["key_management"]) == (None, None)
    assert r.sql_auditing(srv, ctx()).status == UNKNOWN
    assert r.sql_tde_customer_key(srv, ctx()).status == UNKNOWN
    db = stored(by_name(sink, "azure.sql.database")["ledger"])
    assert storage.storage_unencrypted(db, ctx()).status == UNKNOWN


def test_a_vaults_diagnostic_setting_is_not_a_subscription_export(e2e) -> None:
    """ARM lists a subscription's diagnostic settings at its own scope: the vault's setting in SUB_PROD
    must not make the subscription look like it exports its activity log."""
    subs = [x for x in e2e.sink.by_type("azure.monitor.diagnostic_settings") if x.account == SUB_PROD]
    assert subs and all(facets(x)["diagnostic_settings"] == [] for x in subs)


def test_denied_vault_diagnostic_settings_leave_audit_logging_unknown() -> None:
    """Microsoft.Insights denied: the vaults are still inventoried, their audit logging is None (UNKNOWN)."""
    with AzureFake(_estate()) as fake:
        assert fake.router is not None
        fake.router.deny_namespace(SUB_PROD, "Microsoft.Insights")
        sink, units = _run(fake)
    assert units["azure.keyvault.vault"].status is UnitStatus.OK
    vaults = by_name(sink, "azure.keyvault.vault")
    assert set(vaults) == {"kv-prod-open", "kv-prod-locked"}
    for v in vaults.values():
        assert facets(v)["audit_logging"] is None and facets(v)["resource_logging"] is None
        assert r.vault_logging(stored(v), ctx()).status == UNKNOWN
        assert ops.resource_logging(stored(v), ctx()).status == UNKNOWN
    accounts = by_name(sink, "azure.cosmosdb.account")
    assert units["azure.cosmosdb.account"].status is UnitStatus.OK and accounts
    assert all(ops.resource_logging(stored(a), ctx()).status == UNKNOWN for a in accounts.values())
    assert "diagnostic settings of kv-prod-locked not read (403)" in (units["azure.keyvault.vault"].error or "")


@pytest.mark.parametrize("log, destination, expected", [
    ({"category": "AuditEvent", "enabled": True}, "workspaceId", True),
    ({"categoryGroup": "audit", "enabled": True}, "storageAccountId", True),
    ({"categoryGroup": "allLogs", "enabled": True}, "eventHubAuthorizationRuleId", True),
    ({"category": "AuditEvent", "enabled": False}, "workspaceId", False),
    ({"category": "AzurePolicyEvaluationDetails", "enabled": True}, "workspaceId", False),
    ({"category": "AuditEvent", "enabled": True}, None, False),  # no destination: nothing leaves the vault
])
def test_vault_audit_logging_needs_the_audit_log_and_a_destination(log, destination, expected) -> None:  # type: ignore[no-untyped-def]
    from collectors.azure.data_normalise import audit_logging

    p = {"logs": [log], "workspaceId": ""}  # the service sends "" for an unset destination
    if destination:
        p[destination] = "/subscriptions/s/resourceGroups/rg/providers/X/y/z"
    assert audit_logging([{"name": "s", "properties": p}]) is expected
    assert audit_logging([]) is False and audit_logging(None) is None


def test_a_secret_value_sent_by_the_server_is_never_stored() -> None:
    kv = vault(SUB_PROD, "rg-prod", "kv-leaky", "westeurope", TENANT, rbac=True, purge_protection=True,
               public=False, private_endpoint=False, user="0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f")
    leaky = vault_secret(kv, "conn", expires=True)
    leaky["properties"]["value"] = "Server=tcp:x;Password=hunter2-DO-NOT-STORE"
    with AzureFake(_estate(extra=[kv, leaky])) as fake:
        sink, _ = _run(fake)
    got = by_name(sink, "azure.keyvault.secret")["conn"]
    assert "hunter2" not in got.config and "value" not in json.loads(got.config)["properties"]


def test_vault_network_exposure_is_one_finding_not_two(e2e) -> None:
    open_vault = stored(by_name(e2e.sink, "azure.keyvault.vault")["kv-prod-open"])
    assert r.vault_public_network(open_vault, ctx()).status == FAIL
    assert storage.storage_public_network(open_vault, ctx()) is None  # CIS 8.3.7's own rule judges vaults
    open_sql = stored(by_name(e2e.sink, "azure.sql.server")["sql-prod-open"])
    assert r.sql_firewall_all(open_sql, ctx()).status == FAIL
    assert storage.storage_public_network(open_sql, ctx()) is None


def test_vault_replica_is_the_paired_region_except_where_kept_in_region() -> None:
    from collectors.azure.data_normalise import vault_facets

    def replicas(location: str):  # type: ignore[no-untyped-def]
        doc = vault(SUB_PROD, "rg", "kv-x", location, TENANT, rbac=True, purge_protection=True, public=False,
                    private_endpoint=False, user="u")
        return vault_facets(doc)["replica_locations"]

    assert replicas("westeurope") == ["northeurope"]
    assert replicas("brazilsouth") == []  # Microsoft keeps Brazil South vaults in-region


def test_aks_identity_and_access_facets(e2e) -> None:
    aks = {n: facets(x) for n, x in by_name(e2e.sink, "azure.containerservice.managed_cluster").items()}
    assert (aks["aks-open"]["local_accounts"], aks["aks-open"]["workload_identity"]) == (True, False)
    assert (aks["aks-private"]["local_accounts"], aks["aks-private"]["workload_identity"]) == (False, True)
    assert all(f["rbac"] is True for f in aks.values())


def test_throttled_child_listing_fails_the_unit_not_empties_it() -> None:
    with AzureFake(_estate()) as fake:
        assert fake.router is not None
        fake.router.throttle("/vaults/kv-prod-open/keys", retry_after=0)
        sink, units = _run(fake)
    assert units["azure.keyvault.key"].status is UnitStatus.THROTTLED
    assert units["azure.keyvault.vault"].status is UnitStatus.OK and units["azure.keyvault.secret"].status is UnitStatus.OK


def test_geo_redundant_backups_are_copies_in_the_paired_region() -> None:
    from auditor.demo.emulators.azure_data_estate import cosmos_account, database, sql_server
    from collectors.azure.data_normalise import cosmos_facets, sql_database_facets

    srv = sql_server(SUB_PROD, "rg", "s", "westeurope", public=False, min_tls="1.2")
    db = database(srv, "d", "6c764297-577b-470f-9af4-96d3d41e2ba3")
    db["properties"]["currentBackupStorageRedundancy"] = "Geo"
    tde_doc = {"properties": {"state": "Enabled"}}
    assert sql_database_facets(db, {}, tde_doc, [], [])["replica_locations"] == ["northeurope"]
    db["properties"]["currentBackupStorageRedundancy"] = "Local"
    assert sql_database_facets(db, {}, tde_doc, [], [])["replica_locations"] == []
    acct = cosmos_account(SUB_PROD, "rg", "c", ["West Europe"], public=False, local_auth=False, key_uri=None, tags={})
    acct["properties"]["backupPolicy"]["periodicModeProperties"]["backupStorageRedundancy"] = "Geo"
    assert cosmos_facets(acct)["replica_locations"] == ["northeurope"]


# ---- Azure Databricks -------------------------------------------------------------------------

def test_databricks_workspace_facets(e2e) -> None:
    w = {n: facets(x) for n, x in by_name(e2e.sink, "azure.databricks.workspace").items()}
    assert w["dbw-analytics-open"] == {
        "vnet_injection": False, "public_ip": True, "public_network_access": True,
        "public_reasons": ["publicNetworkAccess=Enabled"], "key_management": "provider", "kms_key": None,
        "locations": ["westeurope"], "resource_logging": False}
    assert w["dbw-analytics-locked"]["resource_logging"] is True  # allLogs to a workspace
    assert w["dbw-analytics-locked"] == {
        **w["dbw-analytics-locked"], "vnet_injection": True, "public_ip": False, "public_network_access": False,
        "key_management": "customer", "kms_key": "https://kv-prod-locked.vault.azure.net/keys/dbfs-key",
        "locations": ["northeurope"]}
    regions = {x.name: x.region for x in e2e.sink.by_type("azure.databricks.workspace")}
    assert regions == {"dbw-analytics-open": "westeurope", "dbw-analytics-locked": "northeurope"}


def _run_databricks(fake: AzureFake):  # type: ignore[no-untyped-def]
    cfg = fake_config(fake, resource_types=["azure.databricks.*", "azure.cosmosdb.*"])
    sink = ListSink()
    summary = run_units(plan(cfg, clients=fast_clients(cfg)), sink, classifiers={"azure": classify}, concurrency=2)
    return sink, {u.unit.resource_type: u for u in summary.units}


def test_databricks_workspaces_page_to_the_end() -> None:
    with AzureFake(_estate()) as fake:
        assert fake.router is not None
        sink, units = _run_databricks(fake)
        calls = [p for _, p in fake.router.requests if "/providers/microsoft.databricks/workspaces" in p.lower()
                 and "diagnosticsettings" not in p.lower()]  # the workspaces' own diagnostic settings aside
    assert units["azure.databricks.workspace"].status is UnitStatus.OK
    assert any("$skiptoken=" in p for p in calls)  # two workspaces, page size 1
    assert all("api-version=2024-05-01" in p for p in calls if "$skiptoken=" not in p)
    assert set(by_name(sink, "azure.databricks.workspace")) == {"dbw-analytics-open", "dbw-analytics-locked"}


def test_denied_databricks_namespace_is_a_denied_unit_not_an_empty_one() -> None:
    with AzureFake(_estate()) as fake:
        assert fake.router is not None
        fake.router.deny_namespace(SUB_PROD, "Microsoft.Databricks")
        sink, units = _run_databricks(fake)
    unit = units["azure.databricks.workspace"]
    assert unit.status is UnitStatus.DENIED and "Microsoft.Databricks/workspaces/read" in (unit.error or "")
    assert units["azure.cosmosdb.account"].status is UnitStatus.OK
    assert not sink.by_type("azure.databricks.workspace")


@pytest.mark.parametrize("change, facet, expected", [
    (lambda p: p.pop("publicNetworkAccess"), "public_network_access", True),  # the service default is Enabled
    (lambda p: p.update(parameters=None), "public_ip", None),  # not stated (e.g. serverless): unknown
    (lambda p: p.update(parameters=None), "vnet_injection", False),  # no customer VNet named: the managed one
])
def test_databricks_omitted_settings(change, facet, expected) -> None:  # type: ignore[no-untyped-def]
    from auditor.demo.emulators.azure_databricks_estate import databricks_resources
    from collectors.azure.databricks import workspace_facets

    doc = databricks_resources(SUB_PROD, "rg-prod")[1]
    change(doc["properties"])
    assert workspace_facets(doc)[facet] is expected


def test_databricks_unknown_no_public_ip_is_unknown_never_pass() -> None:
    from auditor.demo.emulators.azure_databricks_estate import databricks_resources
    from collectors.azure.databricks import workspace_facets

    doc = databricks_resources(SUB_PROD, "rg-prod")[1]
    doc["properties"]["parameters"] = None
    res = SimpleNamespace(type="azure.databricks.workspace", facets=workspace_facets(doc))
    assert r.databricks_no_public_ip(res, ctx()).status == UNKNOWN
    assert r.databricks_vnet_injection(res, ctx()).status == FAIL


def test_databricks_managed_disk_key_alone_is_customer_managed() -> None:
    """Prowler's check reads the managed-disk key; a workspace with only that key is customer-managed too."""
    from auditor.demo.emulators.azure_databricks_estate import databricks_resources
    from collectors.azure.databricks import workspace_facets

    doc = databricks_resources(SUB_PROD, "rg-prod")[1]
    p = doc["properties"]
    del p["parameters"]["encryption"], p["encryption"]["entities"]["managedServices"]
    f = workspace_facets(doc)
    assert (f["key_management"], f["kms_key"]) == ("customer", "https://kv-prod-locked.vault.azure.net/keys/disk-key")
    del p["encryption"]
    assert workspace_facets(doc)["key_management"] == "provider"
