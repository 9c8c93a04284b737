"""FAIL / PASS examples for the CIS GCP rules (auditor/rules/cis_gcp.py)."""

from __future__ import annotations

from typing import Any, Callable

from auditor.model import Resource
from tests.rules.examples import ago, res

Estate = Callable[[], list[Resource]]


def one(type_: str, category: str, **facets: Any) -> Estate:
    return lambda: [res("gcp", type_, category, type_.rsplit(".", 1)[-1], facets, region="global")]


def policy(**facets: Any) -> Estate:
    base = {"audit_log_gaps": [], "sa_impersonation_grants": [], "sa_duty_conflicts": [],
            "audit_logged": ["ADMIN_READ", "DATA_READ", "DATA_WRITE"], "audit_exemptions": [], "ancestors": None}
    return one("gcp.iam.project_policy", "iam", **{**base, **facets})


def vm(**facets: Any) -> Estate:
    base = {"public_ips": [], "serial_port": False, "default_service_account": False, "default_sa_full_access": False,
            "project_ssh_keys_blocked": True, "os_login": True, "ip_forwarding": False, "shielded_vm": True,
            "confidential_computing": True, "disk_csek": True, "gke_node": False}
    return one("gcp.compute.instance", "compute", **{**base, **facets})


def zone(**facets: Any) -> Estate:
    base = {"public_zone": True, "dnssec": "on", "ksk_algorithms": ["rsasha256"], "zsk_algorithms": ["rsasha256"]}
    return one("gcp.dns.managed_zone", "network", **{**base, **facets})


CONCERNS = ("project_ownership", "audit_config", "custom_role", "firewall", "route", "network", "bucket_iam",
            "sql_config")


def monitoring(missing: str | None = None, *, all_sink: bool = True) -> Estate:
    metrics = {c: [f"cis-{c}"] for c in CONCERNS}
    alerts = {c: ([] if c == missing else [f"cis-{c}"]) for c in CONCERNS}
    return one("gcp.logging.project_monitoring", "iam", all_entries_sink=all_sink, change_metrics=metrics,
               change_alerts=alerts)


def sink_to(locked: bool | None) -> Estate:
    """A sink to bucket ``audit-logs``: its lock read by the collector, or (None) only from the snapshot."""
    sink = {"exports_all_entries": True, "destination_bucket": "audit-logs", "destination_locked": locked}
    if locked is not None:
        return one("gcp.logging.sink", "iam", **sink)
    return lambda: [res("gcp", "gcp.logging.sink", "iam", "all", sink, region="global"),
                    res("gcp", "gcp.storage.bucket", "storage", "audit-logs", {"retention_locked": False,
                                                                               "uniform_access": True})]


EXAMPLES: dict[str, tuple[Estate, Estate]] = {
    "iam.project_sa_impersonation": (
        policy(sa_impersonation_grants=["roles/iam.serviceAccountUser user:dev@example.com"]), policy()),
    "iam.sa_duty_separation": (policy(sa_duty_conflicts=["user:dev@example.com"]), policy()),
    "iam.gcp_audit_logging_incomplete": (policy(audit_logged=["ADMIN_READ"]), policy()),
    "iam.sa_admin_role": (one("gcp.iam.service_account", "iam", admin=False, admin_roles=["roles/compute.admin"]),
                          one("gcp.iam.service_account", "iam", admin=False, admin_roles=[])),
    "iam.api_key_exists": (one("gcp.apikeys.inventory", "iam", api_key_count=2),
                           one("gcp.apikeys.inventory", "iam", api_key_count=0)),
    "iam.api_key_unrestricted": (one("gcp.apikeys.key", "iam", api_restricted=False, created=ago(3)),
                                 one("gcp.apikeys.key", "iam", api_restricted=True, created=ago(3))),
    "iam.api_key_no_app_restriction": (one("gcp.apikeys.key", "iam", app_restricted=False, created=ago(3)),
                                       one("gcp.apikeys.key", "iam", app_restricted=True, created=ago(3))),
    "iam.api_key_old": (one("gcp.apikeys.key", "iam", api_restricted=True, created=ago(200)),
                        one("gcp.apikeys.key", "iam", api_restricted=True, created=ago(30))),
    "logging.sink_all_entries_missing": (monitoring(all_sink=False), monitoring()),
    "logging.sink_bucket_unlocked": (sink_to(False), sink_to(True)),
    **{f"logging.gcp_alert_{c}": (monitoring(missing=c), monitoring()) for c in CONCERNS},
    "logging.asset_inventory_disabled": (
        one("gcp.serviceusage.project_services", "iam", enabled_services=["compute.googleapis.com"]),
        one("gcp.serviceusage.project_services", "iam", enabled_services=["cloudasset.googleapis.com"])),
    "logging.lb_logging_disabled": (one("gcp.compute.backend_service", "network", http_lb=True, lb_logging=False),
                                    one("gcp.compute.backend_service", "network", http_lb=True, lb_logging=True)),
    "iam.access_approval_disabled": (one("gcp.accessapproval.settings", "iam", access_approval=False),
                                     one("gcp.accessapproval.settings", "iam", access_approval=True)),
    "iam.essential_contacts_missing": (
        one("gcp.essentialcontacts.organization", "iam", contact_categories=["SECURITY"]),
        one("gcp.essentialcontacts.organization", "iam", contact_categories=[
            "LEGAL", "SECURITY", "SUSPENSION", "TECHNICAL", "TECHNICAL_INCIDENTS"])),
    "network.gcp_default_network": (one("gcp.compute.network", "network", default_network=True, legacy_network=False),
                                    one("gcp.compute.network", "network", default_network=False,
                                        legacy_network=False)),
    "network.gcp_legacy_network": (one("gcp.compute.network", "network", default_network=False, legacy_network=True),
                                   one("gcp.compute.network", "network", default_network=False,
                                       legacy_network=False)),
    "dns.logging_disabled": (one("gcp.compute.network", "network", dns_logging=False),
                             one("gcp.compute.network", "network", dns_logging=True)),
    "dns.dnssec_disabled": (zone(dnssec="off"), zone()),
    "dns.dnssec_rsasha1_ksk": (zone(ksk_algorithms=["rsasha1"]), zone()),
    "dns.dnssec_rsasha1_zsk": (zone(zsk_algorithms=["rsasha1"]), zone()),
    "network.gcp_weak_tls_policy": (
        one("gcp.compute.target_https_proxy", "network", ssl_policy=None,
            tls_weaknesses=["no SSL policy: Google default (COMPATIBLE, TLS 1.0)"]),
        one("gcp.compute.target_https_proxy", "network", ssl_policy="modern", tls_weaknesses=[])),
    "compute.default_service_account": (vm(default_service_account=True), vm()),
    "compute.default_sa_full_access": (vm(default_service_account=True, default_sa_full_access=True),
                                       vm(default_service_account=True)),
    "compute.project_ssh_keys_allowed": (vm(project_ssh_keys_blocked=False), vm()),
    "compute.os_login_disabled": (one("gcp.compute.project", "compute", os_login=False),
                                  one("gcp.compute.project", "compute", os_login=True)),
    "compute.serial_port_enabled": (vm(serial_port=True), vm()),
    "compute.ip_forwarding": (vm(ip_forwarding=True), vm()),
    "compute.csek_missing": (vm(disk_csek=False), vm()),
    "compute.shielded_vm_disabled": (vm(shielded_vm=False), vm()),
    "compute.gcp_public_ip": (vm(public_ips=["34.1.2.3"]), vm()),
    "compute.confidential_computing_disabled": (vm(confidential_computing=False), vm()),
    "storage.uniform_access_disabled": (
        one("gcp.storage.bucket", "storage", uniform_access=False, public=None, public_reasons=[]),
        one("gcp.storage.bucket", "storage", uniform_access=True, public=False, public_reasons=[])),
}
