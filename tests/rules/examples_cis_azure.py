"""FAIL/PASS twins for auditor/rules/cis_azure.py (CIS Azure Foundations 6.0 / 5.0)."""

from __future__ import annotations

from typing import Any, Callable

from auditor.facets import rule as net_rule
from auditor.model import Resource
from auditor.rules.cis_azure import ALERT_OPERATIONS, ASSESSMENTS, CA_MFA, DEFENDER_PLANS
from tests.rules.examples import ago, res

Estate = Callable[[], list[Resource]]


def one(type_: str, category: str, **facets: Any) -> list[Resource]:
    return [res("azure", type_, category, type_.rsplit(".", 1)[-1], facets, region="westeurope")]


def pricing(plan: str, on: bool) -> Estate:
    return lambda: one("azure.security.pricing", "security", defender_plan=plan, defender_on=on)


def contacts(**kw: Any) -> Estate:
    base = {"notify_roles": ["Owner"], "contact_emails": True, "alert_min_severity": "High",
            "attack_path_min_risk": "High"}
    return lambda: one("azure.security.contacts", "security", **{**base, **kw})


def diagnostics(settings: list[dict[str, Any]]) -> Estate:
    return lambda: one("azure.monitor.diagnostic_settings", "logging", diagnostic_settings=settings)


def alerts(ops: list[str], cats: list[str]) -> Estate:
    return lambda: one("azure.monitor.activity_log_alerts", "logging", alert_operations=ops, alert_categories=cats)


def nsg(*rules: dict[str, Any]) -> Estate:
    return lambda: one("azure.network.nsg", "network", ingress=list(rules), egress=[], flow_logs=None)


def flow_log(**kw: Any) -> Estate:
    base = {"flow_log_target": "/subscriptions/s/x", "flow_log_enabled": True, "retention_days": 90,
            "traffic_analytics": True}
    return lambda: one("azure.network.flow_log", "network", **{**base, **kw})


def directory(**kw: Any) -> Estate:
    base = {"guest_access": "restricted", "guest_invites": "adminsAndGuestInviters", "users_can_create_apps": False,
            "users_can_create_security_groups": False, "users_can_create_tenants": False, "user_consent": "none"}
    return lambda: [res("azure", "azure.entra.authorization_policy", "iam", "authorizationPolicy", {**base, **kw},
                        region="global")]


def ca(policies: list[dict[str, Any]], trusted: int = 0) -> list[Resource]:
    return [res("azure", "azure.entra.conditional_access", "iam", "conditionalAccess",
                {"ca_policies": policies, "trusted_locations": trusted}, region="global")]


def entra_diag(categories: list[str]) -> list[Resource]:
    return [res("azure", "azure.entra.diagnostic_settings", "logging", "diagnosticSettings",
                {"diagnostic_settings": [{"name": "d", "categories": categories, "destinations": ["workspaceId"],
                                          "storage_account": None}]}, region="global")]


def account(**kw: Any) -> Estate:
    return lambda: one("azure.storage.account", "storage", **kw)


ALL_OPS = [op for _, op, _ in ALERT_OPERATIONS]
DENY_ALL = net_rule("ingress", "0.0.0.0/0", "all", action="deny", priority=4096)

EXAMPLES: dict[str, tuple[Estate, Estate]] = {
    **{rid: (pricing(plan, False), pricing(plan, True)) for rid, plan, _, _ in DEFENDER_PLANS},
    "defender.notify_owners": (contacts(notify_roles=[]), contacts()),
    "defender.additional_email": (contacts(contact_emails=False), contacts()),
    "defender.alert_notifications": (contacts(alert_min_severity="Critical"), contacts()),
    "defender.attack_path_notifications": (contacts(attack_path_min_risk=None), contacts(attack_path_min_risk="Medium")),
    "monitor.activity_log_export": (diagnostics([]), diagnostics([{"name": "d", "categories": ["Administrative"],
                                                                  "destinations": ["workspaceId"]}])),
    "monitor.activity_log_categories": (
        diagnostics([{"name": "d", "categories": ["Administrative"], "destinations": ["workspaceId"]}]),
        diagnostics([{"name": "d", "categories": ["Administrative", "Alert", "Policy", "Security"],
                      "destinations": ["storageAccountId"]}])),
    **{rid: (alerts([o for o in ALL_OPS if o != op], ["ServiceHealth"]), alerts([op.upper()], []))
       for rid, op, _ in ALERT_OPERATIONS},
    "monitor.alert_service_health": (alerts(ALL_OPS, ["Administrative"]), alerts([], ["ServiceHealth"])),
    "network.udp_open_internet": (
        nsg(net_rule("ingress", "0.0.0.0/0", "udp", 53, 53, priority=100), DENY_ALL),
        nsg(net_rule("ingress", "0.0.0.0/0", "all", action="deny", priority=90),
            net_rule("ingress", "0.0.0.0/0", "udp", 53, 53, priority=100),
            net_rule("ingress", "10.0.0.0/8", "udp", 53, 53, priority=110))),
    "network.http_open_internet": (
        nsg(net_rule("ingress", "::/0", "tcp", 443, 443, priority=100), DENY_ALL),
        nsg(net_rule("ingress", "10.0.0.0/16", "tcp", 80, 443, priority=100), DENY_ALL)),
    "network.flow_log_retention": (flow_log(retention_days=7), flow_log(retention_days=0)),
    "network.flow_log_traffic_analytics": (flow_log(traffic_analytics=False), flow_log()),
    "network.watcher_missing": (lambda: one("azure.network.vnet", "network", network_watcher=False, flow_logs=None),
                                lambda: one("azure.network.vnet", "network", network_watcher=True, flow_logs=None)),
    "network.subnet_without_nsg": (lambda: one("azure.network.subnet", "network", nsg_attached=False),
                                   lambda: one("azure.network.subnet", "network", nsg_attached=True)),
    "network.vnet_ddos_protection": (lambda: one("azure.network.vnet", "network", ddos_protection=False),
                                     lambda: one("azure.network.vnet", "network", ddos_protection=True)),
    "network.public_ip_unused": (
        lambda: one("azure.network.public_ip", "network", attached=False, attached_to=None,
                    allocation_method="Static", sku="Standard"),
        lambda: one("azure.network.public_ip", "network", attached=True, allocation_method="Static", sku="Standard",
                    attached_to="/subscriptions/s/resourcegroups/rg/providers/microsoft.network/networkinterfaces/"
                                "vm-nic/ipconfigurations/ipconfig1")),
    "storage.shared_key_access": (account(shared_key_access=True), account(shared_key_access=False)),
    "storage.cross_tenant_replication": (account(cross_tenant_replication=True), account(cross_tenant_replication=False)),
    "storage.trusted_services_bypass": (account(trusted_services_bypass=False), account(trusted_services_bypass=True)),
    "storage.key_rotation_reminder": (account(key_expiration_days=None), account(key_expiration_days=90)),
    "storage.access_key_rotation": (account(key_created=ago(200)), account(key_created=ago(30))),
    "storage.blob_soft_delete": (account(blob_soft_delete_days=0), account(blob_soft_delete_days=14)),
    "storage.container_soft_delete": (account(container_soft_delete_days=0), account(container_soft_delete_days=7)),
    "storage.blob_versioning": (account(versioning=False), account(versioning=True)),
    "storage.private_endpoint": (account(private_endpoint=False), account(private_endpoint=True)),
    "storage.default_oauth": (account(default_oauth=False), account(default_oauth=True)),
    "entra.security_defaults": (
        lambda: [res("azure", "azure.entra.security_defaults", "iam", "sd", {"security_defaults": False}, region="global")],
        lambda: [res("azure", "azure.entra.security_defaults", "iam", "sd", {"security_defaults": True}, region="global")]),
    "entra.users_create_tenants": (directory(users_can_create_tenants=True), directory()),
    "entra.users_register_apps": (directory(users_can_create_apps=True), directory()),
    "entra.users_create_security_groups": (directory(users_can_create_security_groups=True), directory()),
    "entra.user_consent": (directory(user_consent="verified_low_impact"), directory()),
    "entra.user_consent_unverified": (directory(user_consent="any"), directory(user_consent="verified_low_impact")),
    "entra.guest_access_restricted": (directory(guest_access="limited"), directory()),
    "entra.guest_invites_restricted": (directory(guest_invites="everyone"), directory(guest_invites="none")),
    "iam.azure_user_access_administrator": (
        lambda: [res("azure", "azure.authorization.role_assignment", "iam", "ra",
                     {"admin": True, "role_definition": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"}, region="global")],
        lambda: [res("azure", "azure.authorization.role_assignment", "iam", "ra",
                     {"admin": False, "role_definition": "acdd72a7-3385-48ef-bd42-f606fba81ae7"}, region="global")]),
    "monitor.activity_log_storage_cmk": (
        lambda: diagnostics([{"name": "d", "categories": ["Administrative"], "destinations": ["storageAccountId"],
                              "storage_account": "azure.storage.account/account"}])() + account(key_management="provider")(),
        lambda: diagnostics([{"name": "d", "categories": ["Administrative"], "destinations": ["storageAccountId"],
                              "storage_account": "azure.storage.account/account"}])() + account(key_management="customer")()),
    "network.bastion_missing": (lambda: one("azure.network.bastion_hosts", "network", bastion_hosts=0),
                                lambda: one("azure.network.bastion_hosts", "network", bastion_hosts=1)),
    **{rid: (lambda n=name: one("azure.security.assessments", "security", assessments={n: "unhealthy"}),
             lambda n=name: one("azure.security.assessments", "security", assessments={n: "healthy", "other": "unhealthy"}))
       for rid, name, _ in ASSESSMENTS},
    "defender.iot_hub": (lambda: one("azure.security.iot_solutions", "security", iot_solutions=2,
                                     iot_solutions_disabled=["iot-edge"]),
                         lambda: one("azure.security.iot_solutions", "security", iot_solutions=2,
                                     iot_solutions_disabled=[])),
    "appservice.http_logs_missing": (lambda: one("azure.web.site", "compute", http_logging=False),
                                     lambda: one("azure.web.site", "compute", http_logging=True)),
    "monitor.app_insights_missing": (lambda: one("azure.monitor.app_insights", "logging", app_insights=0),
                                     lambda: one("azure.monitor.app_insights", "logging", app_insights=2)),
    "storage.critical_geo_redundant": (
        lambda: [res("azure", "azure.storage.account", "storage", "sa", {"replica_locations": []},
                     tags={"data-classification": "restricted"})],
        lambda: [res("azure", "azure.storage.account", "storage", "sa", {"replica_locations": ["northeurope"]},
                     tags={"data-classification": "restricted"})]),
    **{rid: (lambda a=apps: ca([{"name": "p", "enabled": False, "all_users": True, "applications": [a[-1]], "mfa": True},
                                {"name": "q", "enabled": True, "all_users": False, "applications": ["All"], "mfa": True}]),
             lambda a=apps: ca([{"name": "p", "enabled": True, "all_users": True, "applications": [a[-1]], "mfa": True}]))
       for rid, apps, _, _ in CA_MFA},
    "entra.trusted_locations": (lambda: ca([], trusted=0), lambda: ca([], trusted=1)),
    "entra.ca_geo_block": (
        lambda: ca([{"name": "g", "enabled": True, "all_users": True, "applications": ["All"], "mfa": False,
                     "block": True, "locations": False}]),
        lambda: ca([{"name": "g", "enabled": True, "all_users": True, "applications": ["All"], "mfa": False,
                     "block": True, "locations": True}])),
    "iam.azure_lock_admin_role": (
        lambda: [res("azure", "azure.resources.subscription", "iam", "sub", {}, region="global"),
                 res("azure", "azure.authorization.role_definition", "iam", "Reader", {"admin": False,
                                                                                     "manages_locks": False},
                     region="global")],
        lambda: [res("azure", "azure.resources.subscription", "iam", "sub", {}, region="global"),
                 res("azure", "azure.authorization.role_definition", "iam", "Lock admin", {"admin": False,
                                                                                         "manages_locks": True},
                     region="global")]),
    "monitor.entra_activity_logs": (
        lambda: entra_diag(["AuditLogs"]), lambda: entra_diag(["AuditLogs", "SignInLogs"])),
    "monitor.entra_graph_activity_logs": (
        lambda: entra_diag(["AuditLogs", "SignInLogs"]), lambda: entra_diag(["MicrosoftGraphActivityLogs"])),
    "defender.benchmark_policies_enforced": (
        lambda: [res("azure", "azure.authorization.policy_assignment", "iam", "SecurityCenterBuiltIn",
                     {"enforcement_mode": "Default", "disabled_effects": ["endpointProtectionMonitoringEffect"]},
                     region="global")],
        lambda: [res("azure", "azure.authorization.policy_assignment", "iam", "SecurityCenterBuiltIn",
                     {"enforcement_mode": "Default", "disabled_effects": []}, region="global")]),
    "entra.global_admin_count": (
        lambda: [res("azure", "azure.entra.directory_settings", "iam", "ds", {"global_admins": 5}, region="global")],
        lambda: [res("azure", "azure.entra.directory_settings", "iam", "ds", {"global_admins": 2}, region="global")]),
    "entra.users_create_m365_groups": (
        lambda: [res("azure", "azure.entra.directory_settings", "iam", "ds", {"users_can_create_unified_groups": True},
                     region="global")],
        lambda: [res("azure", "azure.entra.directory_settings", "iam", "ds", {"users_can_create_unified_groups": False},
                     region="global")]),
    "entra.users_without_mfa": (
        lambda: [res("azure", "azure.entra.mfa_registration", "iam", "mfa",
                     {"users_without_mfa": 2, "admins_without_mfa": 1}, region="global")],
        lambda: [res("azure", "azure.entra.mfa_registration", "iam", "mfa",
                     {"users_without_mfa": 0, "admins_without_mfa": 0}, region="global")]),
    "storage.file_share_soft_delete": (account(file_soft_delete_days=0), account(file_soft_delete_days=7)),
    "storage.smb_protocol_version": (account(smb_versions=["SMB3.0", "SMB3.1.1"]), account(smb_versions=["SMB3.1.1"])),
    "storage.smb_channel_encryption": (account(smb_channel_encryption=["AES-128-GCM", "AES-256-GCM"]),
                                       account(smb_channel_encryption=["AES-256-GCM"])),
}
