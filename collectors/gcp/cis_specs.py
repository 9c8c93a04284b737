"""Resource specs for the CIS Foundations controls (issue 15): appended to ``specs.SPECS``."""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.gcp import cis
from collectors.spec import ResourceSpec


def _spec(type_: str, category: str, service: str, list_call: str, *, detail: tuple[str, ...] = (),
          permissions: tuple[str, ...], rules: HashRules = HashRules(), collect=None,  # type: ignore[no-untyped-def]
          doc: str = "") -> ResourceSpec:
    scope = ("regional" if list_call.endswith(".aggregatedList") else "global") if service == "compute" else "account"
    return ResourceSpec(provider="gcp", type=type_, category=category, service=service, list_call=list_call,
                        detail_calls=detail, permissions=permissions, scope=scope, hash_rules=rules,  # type: ignore[arg-type]
                        collect=collect, doc=doc)


_COMPUTE_VOLATILE = ("config.fingerprint",)

CIS_SPECS: tuple[ResourceSpec, ...] = (
    _spec("gcp.compute.project", "compute", "compute", "compute.projects.get",
          permissions=("compute.projects.get",),
          rules=HashRules(volatile=("config.commonInstanceMetadata.fingerprint",),
                          unordered=("config.commonInstanceMetadata.items", "config.enabledFeatures")),
          collect=cis.collect_compute_project,
          doc="Project-wide Compute settings: OS Login and other metadata switches (values never kept)."),
    _spec("gcp.logging.sink", "iam", "logging", "logging.projects.sinks.list", detail=("storage.buckets.list",),
          permissions=("logging.sinks.list", "storage.buckets.list"), rules=HashRules(volatile=("config.updateTime",)),
          collect=cis.collect_sinks, doc="Log sinks: filter (all entries?) and destination (bucket lock is judged "
                                         "against the destination bucket)."),
    ResourceSpec(provider="gcp", type="gcp.logging.folder_sink", category="iam", service="logging",
                 list_call="logging.folders.sinks.list", permissions=("logging.sinks.list",), scope="global",
                 hash_rules=HashRules(volatile=("config.updateTime",)), collect=cis.collect_hierarchy_sinks,
                 doc="Aggregated sinks of each folder in scope (includeChildren covers the projects below)."),
    ResourceSpec(provider="gcp", type="gcp.logging.organization_sink", category="iam", service="logging",
                 list_call="logging.organizations.sinks.list", permissions=("logging.sinks.list",), scope="global",
                 hash_rules=HashRules(volatile=("config.updateTime",)), collect=cis.collect_hierarchy_sinks,
                 doc="Aggregated sinks of the organisation in scope."),
    _spec("gcp.logging.project_monitoring", "iam", "logging", "logging.projects.metrics.list",
          detail=("logging.projects.sinks.list", "monitoring.projects.alertPolicies.list"),
          permissions=("logging.logMetrics.list", "logging.sinks.list", "monitoring.alertPolicies.list"),
          rules=HashRules(unordered=("config.sinks", "config.metrics", "config.alertPolicies")),
          collect=cis.collect_project_monitoring,
          doc="Per project: an all-entries sink, and log metrics with enabled alert policies for each CIS "
              "monitoring concern (filters matched after normalisation)."),
    _spec("gcp.dns.managed_zone", "network", "dns", "dns.managedZones.list",
          permissions=("dns.managedZones.list",),
          rules=HashRules(unordered=("config.nameServers", "config.dnssecConfig.defaultKeySpecs")),
          collect=cis.collect_dns_zones, doc="Cloud DNS zones: visibility, DNSSEC state and key algorithms."),
    _spec("gcp.apikeys.key", "iam", "apikeys", "apikeys.projects.locations.keys.list",
          permissions=("apikeys.keys.list",), rules=HashRules(volatile=("config.etag", "config.updateTime"),
                                                               unordered=("config.restrictions.apiTargets",)),
          collect=cis.collect_api_keys, doc="API keys: restrictions and age (the key string is never read)."),
    _spec("gcp.apikeys.inventory", "iam", "apikeys", "apikeys.projects.locations.keys.list",
          permissions=("apikeys.keys.list",), rules=HashRules(unordered=("config.keys",)),
          collect=cis.collect_api_key_inventory, doc="Per project: the API keys that exist (names only)."),
    _spec("gcp.compute.target_https_proxy", "network", "compute", "compute.targetHttpsProxies.aggregatedList",
          detail=("compute.sslPolicies.aggregatedList",),
          permissions=("compute.targetHttpsProxies.list", "compute.sslPolicies.list"),
          rules=HashRules(volatile=_COMPUTE_VOLATILE, unordered=("config.sslCertificates",)),
          collect=cis.collect_https_proxies,
          doc="Global and regional HTTPS load-balancer proxies with their SSL policy's TLS weaknesses."),
    _spec("gcp.compute.target_ssl_proxy", "network", "compute", "compute.targetSslProxies.list",
          detail=("compute.sslPolicies.aggregatedList",),
          permissions=("compute.targetSslProxies.list", "compute.sslPolicies.list"),
          rules=HashRules(unordered=("config.sslCertificates",)),
          collect=cis.collect_ssl_proxies, doc="SSL proxy load balancers with their SSL policy's TLS weaknesses."),
    _spec("gcp.compute.backend_service", "network", "compute", "compute.backendServices.aggregatedList",
          permissions=("compute.backendServices.list",),
          rules=HashRules(volatile=_COMPUTE_VOLATILE, unordered=("config.backends", "config.healthChecks",
                                                                 "config.usedBy")),
          collect=cis.collect_backend_services, doc="Global and regional backend services: HTTP(S) load balancer request logging."),
    _spec("gcp.serviceusage.project_services", "iam", "serviceusage", "serviceusage.services.list",
          permissions=("serviceusage.services.list",), rules=HashRules(unordered=("config.enabled",)),
          collect=cis.collect_enabled_services, doc="Per project: enabled APIs (e.g. Cloud Asset Inventory)."),
    _spec("gcp.accessapproval.settings", "iam", "accessapproval", "accessapproval.projects.getAccessApprovalSettings",
          permissions=("accessapproval.settings.get",), rules=HashRules(unordered=("config.enrolledServices",)),
          collect=cis.collect_access_approval,
          doc="Per project: Access Approval enrollment (own or inherited); settings metadata, no customer data."),
    ResourceSpec(provider="gcp", type="gcp.essentialcontacts.organization", category="iam",
                 service="essentialcontacts", list_call="essentialcontacts.organizations.contacts.list",
                 permissions=("essentialcontacts.contacts.list",), scope="global",
                 hash_rules=HashRules(unordered=("config.categories",)), collect=cis.collect_org_contacts,
                 doc="The organisation's Essential Contacts: notification categories covered (no addresses kept)."),
)

CIS_CALL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "logging.projects.sinks.list": ("logging.sinks.list",),
    "logging.folders.sinks.list": ("logging.sinks.list",),
    "logging.organizations.sinks.list": ("logging.sinks.list",),
    "logging.projects.metrics.list": ("logging.logMetrics.list",),
    "monitoring.projects.alertPolicies.list": ("monitoring.alertPolicies.list",),
    "dns.managedZones.list": ("dns.managedZones.list",),
    "apikeys.projects.locations.keys.list": ("apikeys.keys.list",),
    "compute.targetHttpsProxies.aggregatedList": ("compute.targetHttpsProxies.list",),
    "compute.targetSslProxies.list": ("compute.targetSslProxies.list",),
    "compute.sslPolicies.aggregatedList": ("compute.sslPolicies.list",),
    "compute.backendServices.aggregatedList": ("compute.backendServices.list",),
    "serviceusage.services.list": ("serviceusage.services.list",),
    "essentialcontacts.organizations.contacts.list": ("essentialcontacts.contacts.list",),
    "accessapproval.projects.getAccessApprovalSettings": ("accessapproval.settings.get",),
}
