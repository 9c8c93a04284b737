"""GCP collection for the CIS Foundations controls: project-level settings, logging and
monitoring, Cloud DNS, API keys and TLS policies, plus the facet functions (pure, tested
without a server) that the existing instance, bucket, network and IAM collectors also use.

Facts are decided here once; rules only read the facets. Metadata values, API key strings and
sink/metric text beyond what a control needs are never stored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from collectors.gcp import normalise as n

if TYPE_CHECKING:
    from auditor.model import Resource
    from collectors.gcp.collect import GcpJob

# ------------------------------------------------------------------ IAM policy facts

AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
SA_IMPERSONATION_ROLES = ("roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator")
SA_ADMIN_ROLE = "roles/iam.serviceAccountAdmin"
BROAD_ROLES = frozenset({"roles/owner", "roles/editor"})


def _bindings(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [b for b in (policy or {}).get("bindings") or [] if isinstance(b, dict)]


def audit_log_gaps(policy: dict[str, Any]) -> list[str]:
    """What CIS 'audit logging configured properly' misses in a policy's ``auditConfigs``:
    allServices must log ADMIN_READ, DATA_READ and DATA_WRITE, and no member may be exempted."""
    configs = [c for c in policy.get("auditConfigs") or [] if isinstance(c, dict)]
    logged = {lc.get("logType") for c in configs if c.get("service") == "allServices"
              for lc in c.get("auditLogConfigs") or [] if isinstance(lc, dict)}
    gaps = [f"allServices does not log {t}" for t in AUDIT_LOG_TYPES if t not in logged]
    gaps += [f"{c.get('service')} {lc.get('logType')} exempts {m}" for c in configs
             for lc in c.get("auditLogConfigs") or [] if isinstance(lc, dict) for m in lc.get("exemptedMembers") or []]
    return gaps


def policy_audit_facets(policy: dict[str, Any]) -> dict[str, Any]:
    """What a project, folder or organisation policy's auditConfigs contribute (they are inherited
    down the hierarchy and merged): allServices log types, and exempted members at any service."""
    configs = [c for c in policy.get("auditConfigs") or [] if isinstance(c, dict)]
    return {
        "audit_logged": sorted({str(lc.get("logType")) for c in configs if c.get("service") == "allServices"
                                for lc in c.get("auditLogConfigs") or [] if isinstance(lc, dict)}),
        "audit_exemptions": sorted(f"{c.get('service')} {lc.get('logType')} exempts {m}" for c in configs
                                   for lc in c.get("auditLogConfigs") or [] if isinstance(lc, dict)
                                   for m in lc.get("exemptedMembers") or []),
    }


def project_policy_facets(policy: dict[str, Any]) -> dict[str, Any]:
    """Project-level grants CIS names: impersonation roles, the SA admin/user duty conflict, audit gaps."""
    by_member: dict[str, set[str]] = {}
    for b in _bindings(policy):
        for m in b.get("members") or []:
            by_member.setdefault(str(m), set()).add(str(b.get("role")))
    return {
        "audit_log_gaps": audit_log_gaps(policy),
        "sa_impersonation_grants": sorted(f"{r} {m}" for m, roles in by_member.items() for r in roles
                                          if r in SA_IMPERSONATION_ROLES),
        "sa_duty_conflicts": sorted(m for m, roles in by_member.items()
                                    if SA_ADMIN_ROLE in roles and "roles/iam.serviceAccountUser" in roles),
    }


def sa_admin_roles(policy: dict[str, Any]) -> dict[str, list[str]]:
    """{service account email: project roles that are admin, owner or editor} (CIS 'no admin privileges')."""
    out: dict[str, set[str]] = {}
    for b in _bindings(policy):
        role = str(b.get("role"))
        if role in BROAD_ROLES or "admin" in role.lower():
            for m in b.get("members") or []:
                if str(m).startswith("serviceAccount:"):
                    out.setdefault(str(m).split(":", 1)[1].lower(), set()).add(role)
    return {k: sorted(v) for k, v in out.items()}


# ------------------------------------------------------------------ compute facts

DEFAULT_COMPUTE_SA = re.compile(r"^\d+-compute@developer\.gserviceaccount\.com$")
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def instance_cis_facets(inst: dict[str, Any], own: dict[str, bool], project_flags: dict[str, bool]) -> dict[str, Any]:
    sas = inst.get("serviceAccounts") or []
    default_sas = [sa for sa in sas if DEFAULT_COMPUTE_SA.match(str(sa.get("email") or ""))]
    shielded = inst.get("shieldedInstanceConfig") or {}
    confidential = inst.get("confidentialInstanceConfig") or {}
    disks = inst.get("disks") or []
    os_login = own.get("enable-oslogin", project_flags.get("enable-oslogin", False))
    return {
        "default_service_account": bool(default_sas),
        "default_sa_full_access": any(CLOUD_PLATFORM_SCOPE in (sa.get("scopes") or []) for sa in default_sas),
        # block-project-ssh-keys is an instance switch: the project-level item has no effect
        "project_ssh_keys_blocked": own.get("block-project-ssh-keys", False),
        "os_login": os_login,
        "ip_forwarding": bool(inst.get("canIpForward")),
        "shielded_vm": bool(shielded.get("enableVtpm")) and bool(shielded.get("enableIntegrityMonitoring")),
        "confidential_computing": bool(confidential.get("enableConfidentialCompute")
                                       or confidential.get("confidentialInstanceType")),
        "disk_csek": bool(disks) and all((d.get("diskEncryptionKey") or {}).get("sha256") for d in disks),
        "gke_node": "goog-gke-node" in (inst.get("labels") or {}),
    }


def project_config(project: dict[str, Any]) -> dict[str, Any]:
    """compute projects.get without quotas (they change by the minute) and with metadata flags only."""
    out = {k: v for k, v in project.items() if k not in ("quotas", "usageExportLocation")}
    if "commonInstanceMetadata" in out:
        out["commonInstanceMetadata"] = n.scrub_metadata(out["commonInstanceMetadata"])
    return out


def network_cis_facets(net: dict[str, Any], dns_logging: dict[str, bool] | None) -> dict[str, Any]:
    """``dns_logging`` maps network resource names to a logging DNS policy (None: policies unreadable)."""
    name = n.compute_resource_name(net["selfLink"]) if net.get("selfLink") else None
    return {"default_network": net.get("name") == "default", "legacy_network": "IPv4Range" in net,
            "dns_logging": dns_logging.get(name or "", False) if dns_logging is not None else None}


def dns_logging_by_network(job: "GcpJob") -> dict[str, bool] | None:
    """{network resource name: a DNS server policy with query logging applies}; None when the DNS
    policies cannot be read (API disabled, denied), so the rule says UNKNOWN rather than FAIL."""
    from googleapiclient.errors import HttpError

    api = job.clients.dns().policies()
    out: dict[str, bool] = {}
    try:
        for p in _pages(job, lambda t: api.list(project=job.scope, maxResults=200, pageToken=t), "policies"):
            for net in p.get("networks") or []:
                key = n.compute_resource_name(net["networkUrl"]) if net.get("networkUrl") else ""
                out[key] = out.get(key, False) or bool(p.get("enableLogging"))
    except HttpError as exc:
        job.ctx.note(f"DNS policies unreadable (HTTP {exc.status_code}): network DNS logging unknown")
        return None
    return out


def bucket_cis_facets(b: dict[str, Any]) -> dict[str, Any]:
    iam_cfg = b.get("iamConfiguration") or {}
    retention = b.get("retentionPolicy") or {}
    return {"uniform_access": bool((iam_cfg.get("uniformBucketLevelAccess") or {}).get("enabled")),
            "retention_locked": bool(retention.get("isLocked")) and bool(retention.get("retentionPeriod"))}


# ------------------------------------------------------------------ TLS policies

# Cipher suites CIS 3.11 calls weak (RSA key exchange, CBC, 3DES).
WEAK_FEATURES = frozenset({
    "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
})
# A proxy without an SSL policy gets Google's default: COMPATIBLE profile, TLS 1.0.
DEFAULT_POLICY = {"profile": "COMPATIBLE", "minTlsVersion": "TLS_1_0"}


def tls_weaknesses(policy: dict[str, Any]) -> list[str]:
    """Why an SSL policy allows weak TLS per CIS: anything but MODERN/TLS 1.2, RESTRICTED, or a
    CUSTOM policy at TLS 1.2 without the weak suites."""
    profile = policy.get("profile") or "COMPATIBLE"
    min_tls = policy.get("minTlsVersion") or "TLS_1_0"
    out = []
    if min_tls != "TLS_1_2" and profile != "RESTRICTED":
        out.append(f"minimum TLS {min_tls}")
    if profile == "COMPATIBLE":
        out.append("COMPATIBLE profile allows weak cipher suites")
    if profile == "CUSTOM":
        weak = sorted(set(policy.get("customFeatures") or []) & WEAK_FEATURES)
        if weak:
            out.append("weak cipher suites: " + ", ".join(weak))
    return out


def proxy_facets(proxy: dict[str, Any], policies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    link = proxy.get("sslPolicy")
    if not link:
        return {"ssl_policy": None, "tls_weaknesses": ["no SSL policy: Google default (COMPATIBLE, TLS 1.0)"]}
    pol = policies.get(n.compute_resource_name(link))
    return {"ssl_policy": n.last(link), "tls_weaknesses": tls_weaknesses(pol) if pol is not None else None}


# ------------------------------------------------------------------ monitoring

# The CIS filters' distinguishing terms, normalised (lower case, no white space, ' as ", : as =).
ALERT_CONCERNS: dict[str, tuple[str, ...]] = {
    "project_ownership": ('protopayload.servicename="cloudresourcemanager.googleapis.com"', "projectownership",
                          "projectownerinvitee", 'bindingdeltas.action="remove"', 'bindingdeltas.action="add"',
                          'bindingdeltas.role="roles/owner"'),
    "audit_config": ('protopayload.methodname="setiampolicy"', "protopayload.servicedata.policydelta.auditconfigdeltas=*"),
    "custom_role": ('resource.type="iam_role"', "google.iam.admin.v1.createrole", "google.iam.admin.v1.deleterole",
                    "google.iam.admin.v1.updaterole"),
    "firewall": ('resource.type="gce_firewall_rule"', "compute.firewalls.patch", "compute.firewalls.insert",
                 "compute.firewalls.delete"),
    "route": ('resource.type="gce_route"', "compute.routes.delete", "compute.routes.insert"),
    "network": ('resource.type="gce_network"', "compute.networks.insert", "compute.networks.patch",
                "compute.networks.delete", "compute.networks.removepeering", "compute.networks.addpeering"),
    "bucket_iam": ('resource.type="gcs_bucket"', "storage.setiampermissions"),
    "sql_config": ("cloudsql.instances.update",),
}
_USER_METRIC = re.compile(r"logging\.googleapis\.com/user/([A-Za-z0-9_.\-/]+?)(?=[\"'\s)]|$)")


def normalise_filter(text: str) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower().replace("'", '"').replace(":", "=")


def filter_concerns(text: str) -> list[str]:
    """The CIS monitoring concerns a log filter covers (every distinguishing term present)."""
    norm = normalise_filter(text)
    return [c for c, terms in ALERT_CONCERNS.items() if all(normalise_filter(t) in norm for t in terms)]


def alerted_metrics(policies: Iterable[dict[str, Any]]) -> set[str]:
    """User-defined log metrics an enabled alert policy watches (threshold, absence or MQL)."""
    out: set[str] = set()
    for p in policies:
        if p.get("enabled") is False:
            continue
        for cond in p.get("conditions") or []:
            for kind in ("conditionThreshold", "conditionAbsent", "conditionMonitoringQueryLanguage"):
                body = cond.get(kind) or {}
                out.update(_USER_METRIC.findall(str(body.get("filter") or body.get("query") or "")))
    return out


def sink_facets(sink: dict[str, Any]) -> dict[str, Any]:
    dest = str(sink.get("destination") or "")
    return {"exports_all_entries": not sink.get("disabled") and not str(sink.get("filter") or "").strip(),
            "destination_bucket": dest.split("/", 1)[1] if dest.startswith("storage.googleapis.com/") else None,
            # folder/organisation sinks: exports the entries of every project below too
            "include_children": bool(sink.get("includeChildren"))}


def monitoring_facets(sinks: list[dict[str, Any]], metrics: list[dict[str, Any]],
                      policies: list[dict[str, Any]]) -> dict[str, Any]:
    alerted = alerted_metrics(policies)
    covered: dict[str, list[str]] = {c: [] for c in ALERT_CONCERNS}
    for m in metrics:
        if m.get("disabled"):
            continue
        for c in filter_concerns(m.get("filter") or ""):
            covered[c].append(str(m.get("name")))
    return {
        "all_entries_sink": any(sink_facets(s)["exports_all_entries"] for s in sinks),
        "change_metrics": {c: sorted(v) for c, v in covered.items()},
        "change_alerts": {c: sorted(x for x in v if x in alerted) for c, v in covered.items()},
    }


# ------------------------------------------------------------------ collect functions


def _pages(job: "GcpJob", make: Any, field: str) -> Iterator[dict[str, Any]]:
    from collectors.gcp.collect import _iam_pages

    return _iam_pages(job, make, field)


def _sinks(job: "GcpJob") -> Iterator[dict[str, Any]]:
    api = job.clients.logging().projects().sinks()
    return _pages(job, lambda t: api.list(parent=f"projects/{job.scope}", pageSize=200, pageToken=t), "sinks")


def collect_compute_project(job: "GcpJob") -> Iterable["Resource"]:
    from collectors.gcp.collect import _to_json

    project = _to_json(job.call(lambda: job.clients.compute("Projects").get(project=job.scope)))
    flags = n.metadata_flags((project.get("commonInstanceMetadata") or {}).get("items"))
    yield job.resource(native_id=f"//compute.googleapis.com/projects/{project.get('name') or job.scope}",
                       name=project.get("name") or job.scope, region="global", config=project_config(project),
                       facets={"os_login": flags.get("enable-oslogin", False)})


def _project_bucket_locks(job: "GcpJob") -> dict[str, bool]:
    """{bucket name: retention locked} for the project's own buckets (sink destinations are usually there)."""
    from collectors.gcp.vertex import project_buckets

    return {b.name: bucket_cis_facets(dict(b._properties))["retention_locked"]  # noqa: SLF001 - raw REST JSON
            for b in project_buckets(job)}


def collect_sinks(job: "GcpJob") -> Iterable["Resource"]:
    sinks = list(_sinks(job))
    locks = _project_bucket_locks(job) if any(sink_facets(s)["destination_bucket"] for s in sinks) else {}
    for s in sinks:
        facets = sink_facets(s)
        # a bucket of another project is not listed here: None, and the rule looks for it in the snapshot
        facets["destination_locked"] = locks.get(facets["destination_bucket"] or "")
        yield job.resource(native_id=f"//logging.googleapis.com/projects/{job.scope}/sinks/{s['name']}",
                           name=s["name"], region="global", config=s, facets=facets)


def collect_hierarchy_sinks(job: "GcpJob") -> Iterable["Resource"]:
    """Aggregated sinks of a folder or the organisation (their destination buckets are judged from the
    snapshot: they usually live in a logging project)."""
    kind = job.scope.split("/", 1)[0]
    api = (job.clients.logging().folders() if kind == "folders" else job.clients.logging().organizations()).sinks()
    for s in _pages(job, lambda t: api.list(parent=job.scope, pageSize=200, pageToken=t), "sinks"):
        facets = {**sink_facets(s), "destination_locked": None}
        yield job.resource(native_id=f"//logging.googleapis.com/{job.scope}/sinks/{s['name']}", name=s["name"],
                           region="global", config=s, facets=facets)


def collect_project_monitoring(job: "GcpJob") -> Iterable["Resource"]:
    """One resource per project: do its sinks, log metrics and alert policies cover CIS section 2?"""
    metrics_api = job.clients.logging().projects().metrics()
    alerts_api = job.clients.monitoring().projects().alertPolicies()
    sinks = list(_sinks(job))
    metrics = list(_pages(job, lambda t: metrics_api.list(parent=f"projects/{job.scope}", pageSize=200,
                                                          pageToken=t), "metrics"))
    policies = list(_pages(job, lambda t: alerts_api.list(name=f"projects/{job.scope}", pageSize=200,
                                                          pageToken=t), "alertPolicies"))
    config = {
        "sinks": [{k: s.get(k) for k in ("name", "destination", "filter", "disabled")} for s in sinks],
        "metrics": [{k: m.get(k) for k in ("name", "filter", "disabled")} for m in metrics],
        "alertPolicies": [{"name": p.get("name"), "displayName": p.get("displayName"), "enabled": p.get("enabled"),
                           "metrics": sorted(alerted_metrics([{**p, "enabled": True}]))} for p in policies],
    }
    facets = {**monitoring_facets(sinks, metrics, policies),
              "ancestors": list(job.ancestors) if job.ancestors is not None else None}
    yield job.resource(native_id=f"//logging.googleapis.com/projects/{job.scope}/cisMonitoring",
                       name=job.scope, region="global", config=config, facets=facets)


def collect_dns_zones(job: "GcpJob") -> Iterable["Resource"]:
    api = job.clients.dns().managedZones()
    for z in _pages(job, lambda t: api.list(project=job.scope, maxResults=200, pageToken=t), "managedZones"):
        sec = z.get("dnssecConfig") or {}
        specs = sec.get("defaultKeySpecs") or []
        facets = {
            "public_zone": z.get("visibility", "public") == "public",
            "dnssec": sec.get("state", "off"),
            "ksk_algorithms": sorted({str(k.get("algorithm")) for k in specs if k.get("keyType") == "keySigning"}),
            "zsk_algorithms": sorted({str(k.get("algorithm")) for k in specs if k.get("keyType") == "zoneSigning"}),
        }
        yield job.resource(native_id=f"//dns.googleapis.com/projects/{job.scope}/managedZones/{z['name']}",
                           name=z["name"], region="global", config=z, facets=facets, tags=z.get("labels"))


def collect_api_keys(job: "GcpJob") -> Iterable["Resource"]:
    api = job.clients.apikeys().projects().locations().keys()
    parent = f"projects/{job.scope}/locations/global"
    for k in _pages(job, lambda t: api.list(parent=parent, pageSize=300, pageToken=t), "keys"):
        config = {kk: v for kk, v in k.items() if kk != "keyString"}  # the secret itself is never kept
        r = k.get("restrictions") or {}
        facets = {
            "api_restricted": bool(r.get("apiTargets")),
            "app_restricted": any(r.get(x) for x in ("browserKeyRestrictions", "serverKeyRestrictions",
                                                      "androidKeyRestrictions", "iosKeyRestrictions")),
            "created": k.get("createTime"),
        }
        # keyed by project id (the API answers with the project number) so Terraform state maps onto it
        native = f"//apikeys.googleapis.com/projects/{job.scope}/locations/global/keys/{n.last(k['name'])}"
        yield job.resource(native_id=native, name=k.get("displayName") or k.get("uid"),
                           region="global", config=config, facets=facets)


def collect_api_key_inventory(job: "GcpJob") -> Iterable["Resource"]:
    """One resource per project: how many API keys exist (CIS wants none it cannot justify)."""
    api = job.clients.apikeys().projects().locations().keys()
    parent = f"projects/{job.scope}/locations/global"
    names = sorted(str(k.get("name")) for k in _pages(job, lambda t: api.list(parent=parent, pageSize=300,
                                                                               pageToken=t), "keys"))
    yield job.resource(native_id=f"//apikeys.googleapis.com/projects/{job.scope}/locations/global/keys",
                       name=job.scope, region="global", config={"keys": names}, facets={"api_key_count": len(names)})


def _ssl_policies(job: "GcpJob") -> dict[str, dict[str, Any]]:
    from collectors.gcp.collect import _aggregated

    return {n.compute_resource_name(p["selfLink"]): p for p in _aggregated(job, "SslPolicies", "sslPolicies")}


def _collect_proxies(job: "GcpJob", proxies: Iterable[dict[str, Any]]) -> Iterable["Resource"]:
    policies = _ssl_policies(job)
    for p in proxies:
        yield job.resource(native_id=n.compute_resource_name(p["selfLink"]), name=p.get("name"),
                           region=n.last(p.get("region")) or "global", config=p, facets=proxy_facets(p, policies))


def collect_https_proxies(job: "GcpJob") -> Iterable["Resource"]:
    """Global and regional HTTPS proxies (aggregated list), each with its SSL policy's weaknesses."""
    from collectors.gcp.collect import _aggregated

    return _collect_proxies(job, list(_aggregated(job, "TargetHttpsProxies", "targetHttpsProxies")))


def collect_ssl_proxies(job: "GcpJob") -> Iterable["Resource"]:
    from collectors.gcp.collect import _global_list

    return _collect_proxies(job, list(_global_list(job, "TargetSslProxies")))  # SSL proxies are global only


# ------------------------------------------------------------------ load balancers, services, contacts

HTTP_PROTOCOLS = frozenset({"HTTP", "HTTPS", "HTTP2"})
# Notification categories CIS asks an organisation to route to someone (ALL covers them).
CONTACT_CATEGORIES = ("LEGAL", "SECURITY", "SUSPENSION", "TECHNICAL", "TECHNICAL_INCIDENTS")


def backend_service_facets(b: dict[str, Any]) -> dict[str, Any]:
    return {"http_lb": str(b.get("protocol") or "") in HTTP_PROTOCOLS
            and str(b.get("loadBalancingScheme") or "") != "INTERNAL",
            "lb_logging": bool((b.get("logConfig") or {}).get("enable"))}


def collect_backend_services(job: "GcpJob") -> Iterable["Resource"]:
    """Global and regional backend services (aggregated list)."""
    from collectors.gcp.collect import _aggregated

    for b in _aggregated(job, "BackendServices", "backendServices"):
        yield job.resource(native_id=n.compute_resource_name(b["selfLink"]), name=b.get("name"),
                           region=n.last(b.get("region")) or "global", config=b, facets=backend_service_facets(b))


def collect_enabled_services(job: "GcpJob") -> Iterable["Resource"]:
    """One resource per project: the APIs it has enabled (Cloud Asset Inventory is one CIS names)."""
    api = job.clients.serviceusage().services()
    names = sorted(str((s.get("config") or {}).get("name") or str(s.get("name")).rsplit("/", 1)[-1])
                   for s in _pages(job, lambda t: api.list(parent=f"projects/{job.scope}", filter="state:ENABLED",
                                                           pageSize=200, pageToken=t), "services"))
    yield job.resource(native_id=f"//serviceusage.googleapis.com/projects/{job.scope}/services", name=job.scope,
                       region="global", config={"enabled": names}, facets={"enabled_services": names})


def collect_org_contacts(job: "GcpJob") -> Iterable["Resource"]:
    """The organisation's Essential Contacts: which notification categories reach someone (no emails kept)."""
    api = job.clients.essentialcontacts().organizations().contacts()
    subscribed: set[str] = set()
    count = 0
    for c in _pages(job, lambda t: api.list(parent=job.scope, pageSize=100, pageToken=t), "contacts"):
        count += 1
        subscribed.update(str(x) for x in c.get("notificationCategorySubscriptions") or [])
    covered = sorted(CONTACT_CATEGORIES if "ALL" in subscribed else subscribed & set(CONTACT_CATEGORIES))
    yield job.resource(native_id=f"//essentialcontacts.googleapis.com/{job.scope}/contacts", name=job.scope,
                       region="global", config={"contacts": count, "categories": sorted(subscribed)},
                       facets={"contact_categories": covered})


# ------------------------------------------------------------------ Access Approval

# Answers that mean "not enrolled" rather than "not read": no settings at this project, or the
# FAILED_PRECONDITION Google gives while Access Transparency (its prerequisite) is off.
AA_NOT_ENROLLED = {(404, "NOT_FOUND"), (400, "FAILED_PRECONDITION")}


def access_approval_facets(settings: dict[str, Any]) -> dict[str, Any]:
    """Enrolled here, or through a folder or the organisation (enrolledAncestor)."""
    own = [str(s.get("cloudProduct")) for s in settings.get("enrolledServices") or [] if isinstance(s, dict)]
    inherited = [str(s.get("cloudProduct")) for s in settings.get("ancestorsEnrolledServices") or []
                 if isinstance(s, dict)]
    return {"access_approval": bool(own or inherited or settings.get("enrolledAncestor") is True),
            "access_approval_services": sorted(set(own) | set(inherited))}


def collect_access_approval(job: "GcpJob") -> Iterable["Resource"]:
    """One resource per project: its Access Approval settings. This is the one ``.get`` the CIS
    slice adds to the custom role: the settings are configuration metadata (enrolled services,
    notification e-mails that are not kept, a signing key name), never customer data."""
    from collectors.gcp.errors import google_error

    api = job.clients.accessapproval().projects()
    name = f"projects/{job.scope}/accessApprovalSettings"
    try:
        settings = job.call(lambda: api.getAccessApprovalSettings(name=name).execute())
        answered = "settings"
    except Exception as exc:  # noqa: BLE001 - only the two "not enrolled" answers are kept; others re-raise
        ge = google_error(exc)
        if ge is None or (ge.code, ge.status) not in AA_NOT_ENROLLED:
            raise
        job.ctx.note(f"Access Approval in {job.scope}: {ge.status} (not enrolled)")
        settings, answered = {}, ge.status
    facets = access_approval_facets(settings)
    config = {"answer": answered, "enrolledServices": facets["access_approval_services"],
              "enrolledAncestor": settings.get("enrolledAncestor") is True}
    yield job.resource(native_id=f"//accessapproval.googleapis.com/{name}", name=job.scope, region="global",
                       config=config, facets={"access_approval": facets["access_approval"]})
