"""CIS Google Cloud Platform Foundations (v5.0 / v4.0) controls over the GCP facets that
collectors/gcp/cis.py fills: IAM grants and audit logging, log sinks and change alerts,
networks and DNSSEC, TLS policies, VM hardening and bucket access.

Every rule reads facets only; a facet the collector did not fill means the rule does not apply
(MISSING) and a facet it could not decide (None) gives UNKNOWN.
"""

from __future__ import annotations

from typing import Any

from auditor.rules.facts import MISSING, age_days, facet, flag, unknown
from auditor.rules.registry import RuleContext, observer, rule
from auditor.rules.verdict import FAIL, PASS, UNKNOWN, Result

INSTANCE = ("gcp.compute.instance",)
PROJECT_POLICY = ("gcp.iam.project_policy",)
MONITORING = ("gcp.logging.project_monitoring",)
API_KEY = ("gcp.apikeys.key",)
ZONE = ("gcp.dns.managed_zone",)
PROXIES = ("gcp.compute.target_https_proxy", "gcp.compute.target_ssl_proxy")
API_KEY_MAX_AGE_DAYS = 90  # CIS: rotate API keys every 90 days
LOCKED_BUCKETS = "cis_gcp.bucket_retention_locked"


def _flag(res: Any, name: str, what: str, *, bad: bool, fail: str, ok: str) -> Result | None:
    """FAIL when the boolean facet ``name`` equals ``bad``; UNKNOWN when it is None."""
    return flag(res, name, good=not bad, ok=ok, bad=fail, what=what)


def _listed(res: Any, name: str, what: str, *, fail: str, ok: str) -> Result | None:
    """FAIL when the list facet ``name`` is non-empty (its items are the evidence)."""
    v = facet(res, name)
    if v is MISSING:
        return None
    if v is None:
        return unknown(what)
    return Result(FAIL, f"{fail}: {'; '.join(map(str, list(v)[:5]))}", {name: list(v)}) if v else \
        Result(PASS, ok)


# ------------------------------------------------------------------ IAM (CIS section 1)


@rule(id="iam.project_sa_impersonation", title="Service Account User or Token Creator granted at project level",
      severity="high", kind="posture",
      rationale="A project-level Service Account User / Token Creator grant lets the member act as every service "
                "account in the project, present and future, including privileged ones.",
      remediation="Remove the project-level binding; grant the role on the specific service accounts instead.",
      types=PROJECT_POLICY, reads=("sa_impersonation_grants",))
def project_sa_impersonation(res: Any, ctx: RuleContext) -> Result | None:
    return _listed(res, "sa_impersonation_grants", "project IAM policy",
                   fail="project-level impersonation grants", ok="no project-level Service Account User/Token Creator")


@rule(id="iam.sa_duty_separation", title="Member holds both Service Account Admin and Service Account User",
      severity="medium", kind="posture",
      rationale="Whoever can create service accounts and also act as them can mint and use any identity; CIS asks "
                "for separation of these duties.",
      remediation="Give Service Account Admin and Service Account User to different members.",
      types=PROJECT_POLICY, reads=("sa_duty_conflicts",))
def sa_duty_separation(res: Any, ctx: RuleContext) -> Result | None:
    return _listed(res, "sa_duty_conflicts", "project IAM policy",
                   fail="members with both roles", ok="no member holds both service account admin and user")


@rule(id="iam.sa_admin_role", title="Service account holds an admin, owner or editor role on the project",
      severity="high", kind="posture",
      rationale="Service accounts run unattended code and their keys leak; an admin role turns a leak into full "
                "control of the project.",
      remediation="Replace owner/editor/*Admin roles of the service account with the narrow roles it needs.",
      types=("gcp.iam.service_account",), reads=("admin_roles",))
def sa_admin_role(res: Any, ctx: RuleContext) -> Result | None:
    return _listed(res, "admin_roles", "service account's project roles",
                   fail="administrative project roles", ok="no administrative project role")


AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
HIERARCHY_AUDIT = "cis_gcp.hierarchy_audit_configs"


@observer
def remember_hierarchy_audit(cache: dict[str, Any], res: Any) -> None:
    """First pass: audit configs of folder and organisation policies (projects inherit them)."""
    if getattr(res, "type", None) not in ("gcp.iam.folder_policy", "gcp.iam.organization_policy"):
        return
    f = res.facets if isinstance(res.facets, dict) else {}
    cache.setdefault(HIERARCHY_AUDIT, {})[str(res.name)] = (f.get("audit_logged"), f.get("audit_exemptions"))


@rule(id="iam.gcp_audit_logging_incomplete", title="Cloud Audit Logs do not cover every service and log type",
      severity="medium", kind="posture",
      rationale="Without DATA_READ/DATA_WRITE/ADMIN_READ audit logs for all services, and with exempted members, "
                "access to data cannot be reconstructed after an incident.",
      remediation="Set an auditConfig for allServices logging ADMIN_READ, DATA_READ and DATA_WRITE with no "
                  "exempted members, on the project or a folder/organisation above it.",
      types=PROJECT_POLICY, reads=("audit_logged", "audit_exemptions", "ancestors"))
def audit_logging(res: Any, ctx: RuleContext) -> Result | None:
    """The project's effective audit config: its own merged with every folder and the organisation above it."""
    logged, exempt = facet(res, "audit_logged"), facet(res, "audit_exemptions")
    if logged is MISSING:
        return None
    if logged is None or exempt is None:
        return unknown("audit configuration")
    ancestors = facet(res, "ancestors")
    seen = ctx.cache.get(HIERARCHY_AUDIT, {})
    logged, exempt = set(logged), set(exempt)
    unread: list[str] = []
    for a in ancestors if isinstance(ancestors, list) else []:
        got = seen.get(a)
        if got is None or got[0] is None or got[1] is None:
            unread.append(a)
            continue
        logged |= set(got[0])
        exempt |= {f"{a}: {e}" for e in got[1]}
    missing = [f"allServices does not log {t}" for t in AUDIT_LOG_TYPES if t not in logged]
    ev = {"missing": missing, "exemptions": sorted(exempt), "ancestors": ancestors, "ancestors_unread": unread}
    if exempt:
        return Result(FAIL, f"audit logging exempts members: {'; '.join(sorted(exempt)[:3])}", ev)
    if unread:  # an unread folder/organisation may add the missing types, or exempt someone
        return Result(UNKNOWN, f"policies of {', '.join(unread)} were not collected", ev)
    if missing:
        where = "" if isinstance(ancestors, list) else " (folders/organisation above it were not discovered)"
        return Result(FAIL, "; ".join(missing) + where, ev)
    return Result(PASS, "all services log every type, nobody exempted", ev)


@rule(id="iam.api_key_exists", title="API keys exist in the project", severity="low", kind="posture",
      rationale="API keys are bearer secrets without an identity; CIS wants them only where a service cannot use "
                "anything stronger.",
      remediation="Delete API keys that are not needed; prefer service accounts or OAuth.",
      types=("gcp.apikeys.inventory",), reads=("api_key_count",))
def api_key_exists(res: Any, ctx: RuleContext) -> Result | None:
    n = facet(res, "api_key_count")
    if n is MISSING:
        return None
    if n is None:
        return unknown("API keys")
    return Result(FAIL, f"{n} API key(s) exist (confirm each serves an active service)", {"api_keys": n}) if n \
        else Result(PASS, "no API key", {"api_keys": 0})


@rule(id="iam.api_key_unrestricted", title="API key not restricted to specific APIs", severity="medium",
      kind="posture",
      rationale="An API key without API targets can call every enabled API of the project.",
      remediation="Restrict the key to the APIs the application needs (restrictions.apiTargets).",
      types=API_KEY, reads=("api_restricted",))
def api_key_unrestricted(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "api_restricted", "API key restrictions", bad=False,
                 fail="the key may call any API", ok="restricted to named APIs")


@rule(id="iam.api_key_no_app_restriction", title="API key not restricted to hosts or apps", severity="medium",
      kind="posture",
      rationale="A key without referrer, IP or app restrictions works from anywhere it leaks to.",
      remediation="Restrict the key to HTTP referrers, server IP addresses, or Android/iOS apps.",
      types=API_KEY, reads=("app_restricted",))
def api_key_no_app_restriction(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "app_restricted", "API key restrictions", bad=False,
                 fail="usable from any host or app", ok="restricted to named hosts or apps")


@rule(id="iam.api_key_old", title="API key older than 90 days", severity="medium", kind="posture",
      rationale="API keys never expire; rotation bounds how long a leaked key works.",
      remediation="Create a new key, move clients to it and delete the old one at least every 90 days.",
      types=API_KEY, reads=("created",))
def api_key_old(res: Any, ctx: RuleContext) -> Result | None:
    created = facet(res, "created")
    if created is MISSING:
        return None
    age = age_days(created, ctx.as_of)
    if age is None:
        return unknown("API key creation time")
    ev = {"created": created, "age_days": age, "max_age_days": API_KEY_MAX_AGE_DAYS}
    return Result(FAIL if age > API_KEY_MAX_AGE_DAYS else PASS,
                  f"key is {age} days old (limit {API_KEY_MAX_AGE_DAYS})", ev)


# ------------------------------------------------------------------ logging and monitoring (CIS section 2)


HIERARCHY_SINKS = "cis_gcp.hierarchy_all_entries_sinks"
SINK_TYPES = ("gcp.logging.sink", "gcp.logging.folder_sink", "gcp.logging.organization_sink")


@observer
def remember_hierarchy_sinks(cache: dict[str, Any], res: Any) -> None:
    """First pass: folder/organisation sinks that export every entry of the projects below them."""
    if getattr(res, "type", None) not in ("gcp.logging.folder_sink", "gcp.logging.organization_sink"):
        return
    f = res.facets if isinstance(res.facets, dict) else {}
    if f.get("exports_all_entries") and f.get("include_children"):
        cache.setdefault(HIERARCHY_SINKS, {}).setdefault(str(res.account), []).append(str(res.name))


@rule(id="logging.sink_all_entries_missing", title="No log sink exports all log entries", severity="medium",
      kind="posture",
      rationale="Logs kept only in the project's default buckets expire and die with the project; an unfiltered "
                "sink keeps a copy of every entry.",
      remediation="Create an enabled sink with an empty filter (on the project, or on a folder/the organisation "
                  "with includeChildren) to Cloud Storage, BigQuery or another log bucket.",
      types=MONITORING, reads=("all_entries_sink", "ancestors"))
def sink_all_entries(res: Any, ctx: RuleContext) -> Result | None:
    own = facet(res, "all_entries_sink")
    if own is MISSING:
        return None
    if own is None:
        return unknown("log sinks")
    if own:
        return Result(PASS, "an enabled project sink exports every entry")
    ancestors = facet(res, "ancestors")
    above = ctx.cache.get(HIERARCHY_SINKS, {})
    for a in ancestors if isinstance(ancestors, list) else []:
        if above.get(a):
            return Result(PASS, f"{a} sink {above[a][0]} exports every entry of its projects",
                          {"covered_by": a, "sinks": above[a]})
    where = "" if isinstance(ancestors, list) else " (folders/organisation above it were not discovered)"
    return Result(FAIL, "no enabled sink without a filter, on the project or above it" + where,
                  {"ancestors": ancestors})


@observer
def remember_bucket_lock(cache: dict[str, Any], res: Any) -> None:
    """First pass: retention lock of every GCS bucket in the snapshot, by name, for sink destinations."""
    if getattr(res, "type", None) != "gcp.storage.bucket":
        return
    f = res.facets if isinstance(res.facets, dict) else {}
    cache.setdefault(LOCKED_BUCKETS, {})[str(res.name)] = f.get("retention_locked")


@rule(id="logging.sink_bucket_unlocked", title="Log sink bucket has no locked retention policy", severity="medium",
      kind="posture",
      rationale="Without bucket lock an attacker (or mistake) can delete exported audit logs before their "
                "retention ends.",
      remediation="Set a retention policy on the sink's destination bucket and lock it.",
      types=SINK_TYPES, reads=("destination_bucket", "destination_locked"))
def sink_bucket_unlocked(res: Any, ctx: RuleContext) -> Result | None:
    dest = facet(res, "destination_bucket")
    if dest is MISSING or not dest:
        return None  # not a Cloud Storage sink
    locked = facet(res, "destination_locked")
    if locked is None or locked is MISSING:  # another project's bucket: look for it in the snapshot
        locked = ctx.cache.get(LOCKED_BUCKETS, {}).get(dest)
    if locked is None:
        return unknown(f"destination bucket {dest}", {"bucket": dest})
    return Result(PASS, f"bucket {dest} has a locked retention policy", {"bucket": dest}) if locked else \
        Result(FAIL, f"bucket {dest} has no locked retention policy", {"bucket": dest})


def _alert(res: Any, concern: str, what: str) -> Result | None:
    alerts = facet(res, "change_alerts")
    if alerts is MISSING:
        return None
    if not isinstance(alerts, dict) or alerts.get(concern) is None:
        return unknown("log metrics and alert policies")
    metrics = (facet(res, "change_metrics") or {}).get(concern) or []
    ev = {"metrics": list(metrics), "alerted_metrics": list(alerts[concern])}
    if alerts[concern]:
        return Result(PASS, f"{what} are alerted on (metric {alerts[concern][0]})", ev)
    if metrics:
        return Result(FAIL, f"log metric for {what} exists but no enabled alert policy watches it", ev)
    return Result(FAIL, f"no log metric matches {what}", ev)


_ALERT = dict(severity="low", kind="posture", types=MONITORING, reads=("change_alerts",),
              rationale="CIS asks for a log-based metric and an alert on each sensitive change so it is noticed "
                        "when it happens, not at the next audit.",
              remediation="Create the log-based metric with the CIS filter for this change and an alert policy on it "
                          "(see the benchmark's section 2 for the exact filter).")


@rule(id="logging.gcp_alert_project_ownership", title="No alert on project ownership changes", **_ALERT)
def alert_project_ownership(res: Any, ctx: RuleContext) -> Result | None:
    return _alert(res, "project_ownership", "project ownership changes")


@rule(id="logging.gcp_alert_audit_config", title="No alert on audit configuration changes", **_ALERT)
def alert_audit_config(res: Any, ctx: RuleContext) -> Result | None:
    return _alert(res, "audit_config", "audit configuration changes")


@rule(id="logging.gcp_alert_custom_role", title="No alert on custom role changes", **_ALERT)
def alert_custom_role(res: Any, ctx: RuleContext) -> Result | None:
    return _alert(res, "custom_role", "custom role changes")


@rule(id="logging.gcp_alert_firewall", title="No alert on VPC firewall rule changes", **_ALERT)
def alert_firewall(res: Any, ctx: RuleContext) -> Result | None:
    return _alert(res, "firewall", "firewall rule changes")


@rule(id="logging.gcp_alert_route", title="No alert on VPC route changes", **_ALERT)
def alert_route(res: Any, ctx: RuleContext) -> Result | None:
    return _alert(res, "route", "route changes")


@rule(id="logging.gcp_alert_network", title="No alert on VPC network changes", **_ALERT)
def alert_network(res: Any, ctx: RuleContext) -> Result | None:
    return _alert(res, "network", "VPC network changes")


@rule(id="logging.gcp_alert_bucket_iam", title="No alert on Cloud Storage IAM permission changes", **_ALERT)
def alert_bucket_iam(res: Any, ctx: RuleContext) -> Result | None:
    return _alert(res, "bucket_iam", "bucket IAM permission changes")


@rule(id="logging.gcp_alert_sql_config", title="No alert on Cloud SQL instance configuration changes", **_ALERT)
def alert_sql_config(res: Any, ctx: RuleContext) -> Result | None:
    return _alert(res, "sql_config", "SQL instance configuration changes")


@rule(id="logging.asset_inventory_disabled", title="Cloud Asset Inventory API is not enabled", severity="low",
      kind="posture",
      rationale="Cloud Asset Inventory keeps a five-week history of resources and IAM policies, the record an "
                "investigation needs.",
      remediation="Enable cloudasset.googleapis.com in the project.",
      types=("gcp.serviceusage.project_services",), reads=("enabled_services",))
def asset_inventory(res: Any, ctx: RuleContext) -> Result | None:
    enabled = facet(res, "enabled_services")
    if enabled is MISSING:
        return None
    if enabled is None:
        return unknown("enabled services")
    return Result(PASS, "Cloud Asset Inventory is enabled") if "cloudasset.googleapis.com" in enabled else \
        Result(FAIL, "cloudasset.googleapis.com is not enabled")


@rule(id="logging.lb_logging_disabled", title="HTTP(S) load balancer backend does not log requests",
      severity="low", kind="posture",
      rationale="Load balancer request logs are the record of who called an application from the internet.",
      remediation="Enable logging (logConfig.enable, sample rate 1.0) on the backend service.",
      types=("gcp.compute.backend_service",), reads=("lb_logging", "http_lb"))
def lb_logging(res: Any, ctx: RuleContext) -> Result | None:
    if facet(res, "http_lb") is not True:
        return None  # CIS names HTTP(S) load balancers only
    return _flag(res, "lb_logging", "backend service logging", bad=False,
                 fail="request logging is off", ok="request logging is on")


@rule(id="iam.essential_contacts_missing", title="Essential Contacts do not cover the categories CIS names",
      severity="low", kind="posture",
      rationale="Google sends security, legal, suspension and technical notices to Essential Contacts; without "
                "them notices go to whoever happens to hold a role.",
      remediation="Add organisation Essential Contacts for LEGAL, SECURITY, SUSPENSION, TECHNICAL and "
                  "TECHNICAL_INCIDENTS (or ALL).",
      types=("gcp.essentialcontacts.organization",), reads=("contact_categories",))
def essential_contacts(res: Any, ctx: RuleContext) -> Result | None:
    from collectors.gcp.cis import CONTACT_CATEGORIES

    covered = facet(res, "contact_categories")
    if covered is MISSING:
        return None
    if covered is None:
        return unknown("essential contacts")
    missing = [c for c in CONTACT_CATEGORIES if c not in covered]
    return Result(FAIL, f"no contact for {', '.join(missing)}", {"missing": missing}) if missing else \
        Result(PASS, "every CIS category has a contact")


@rule(id="iam.access_approval_disabled", title="Access Approval is not enabled", severity="low", kind="posture",
      rationale="With Access Approval, Google personnel need the customer's explicit approval before they access "
                "the project's content; without it, Access Transparency only reports the access afterwards.",
      remediation="Enable Access Transparency for the organisation, then enroll the project (or its folder or "
                  "organisation) in Access Approval for all services.",
      types=("gcp.accessapproval.settings",), reads=("access_approval",))
def access_approval_disabled(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "access_approval", good=True, ok="Access Approval enrolls the project's services",
                bad="no service is enrolled in Access Approval", what="Access Approval settings")


# ------------------------------------------------------------------ networking (CIS section 3)


@rule(id="network.gcp_default_network", title="The default network exists", severity="medium", kind="posture",
      rationale="The auto-created default network comes with permissive firewall rules (SSH, RDP, ICMP from "
                "anywhere) and subnets in every region.",
      remediation="Create purpose-built VPC networks and delete the default network.",
      types=("gcp.compute.network",), reads=("default_network",))
def default_network(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "default_network", "network name", bad=True,
                 fail="the project keeps its default network", ok="not the default network")


@rule(id="network.gcp_legacy_network", title="Legacy (non-VPC) network in use", severity="medium", kind="posture",
      rationale="Legacy networks have one global IP range, no subnets and no per-subnet flow logs or private "
                "Google access.",
      remediation="Migrate workloads to a VPC network and delete the legacy network.",
      types=("gcp.compute.network",), reads=("legacy_network",))
def legacy_network(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "legacy_network", "network mode", bad=True, fail="legacy network", ok="VPC network")


@rule(id="dns.logging_disabled", title="Cloud DNS query logging is off for the network", severity="low",
      kind="posture",
      rationale="DNS query logs show which names workloads resolve: command-and-control and exfiltration "
                "domains show up there first.",
      remediation="Attach a DNS server policy with enableLogging=true to the network.",
      types=("gcp.compute.network",), reads=("dns_logging",))
def dns_logging(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "dns_logging", "DNS server policies", bad=False,
                 fail="no DNS policy with query logging applies", ok="DNS queries are logged")


@rule(id="dns.dnssec_disabled", title="DNSSEC is not enabled on a public Cloud DNS zone", severity="medium",
      kind="posture",
      rationale="Without DNSSEC, resolvers cannot detect spoofed or hijacked answers for the zone.",
      remediation="Turn DNSSEC on for the zone and publish the DS record at the registrar.",
      types=ZONE, reads=("dnssec", "public_zone"))
def dnssec_disabled(res: Any, ctx: RuleContext) -> Result | None:
    state = facet(res, "dnssec")
    if state is MISSING or facet(res, "public_zone") is False:
        return None  # DNSSEC applies to public zones only
    if state is None:
        return unknown("DNSSEC state")
    return Result(PASS, f"DNSSEC {state}") if state in ("on", "transfer") else Result(FAIL, "DNSSEC is off")


def _sha1(res: Any, name: str, which: str) -> Result | None:
    algs = facet(res, name)
    if algs is MISSING or facet(res, "public_zone") is False:
        return None
    if algs is None:
        return unknown("DNSSEC key algorithms")
    if facet(res, "dnssec") not in ("on", "transfer"):
        return None  # nothing is signed; dns.dnssec_disabled reports it
    return Result(FAIL, f"{which} uses RSASHA1", {name: algs}) if "rsasha1" in algs else \
        Result(PASS, f"{which} algorithms: {', '.join(algs) or 'default'}", {name: algs})


@rule(id="dns.dnssec_rsasha1_ksk", title="DNSSEC key-signing key uses RSASHA1", severity="medium", kind="posture",
      rationale="SHA-1 signatures are forgeable in practice; a RSASHA1 key-signing key weakens the whole chain.",
      remediation="Switch the zone's key-signing key to RSASHA256, RSASHA512 or ECDSA (turn DNSSEC off, change "
                  "defaultKeySpecs, turn it on, update the DS record).",
      types=ZONE, reads=("ksk_algorithms",))
def dnssec_rsasha1_ksk(res: Any, ctx: RuleContext) -> Result | None:
    return _sha1(res, "ksk_algorithms", "key-signing key")


@rule(id="dns.dnssec_rsasha1_zsk", title="DNSSEC zone-signing key uses RSASHA1", severity="medium", kind="posture",
      rationale="SHA-1 signatures are forgeable in practice; RSASHA1 zone signatures can be spoofed.",
      remediation="Switch the zone's zone-signing key to RSASHA256, RSASHA512 or ECDSA.",
      types=ZONE, reads=("zsk_algorithms",))
def dnssec_rsasha1_zsk(res: Any, ctx: RuleContext) -> Result | None:
    return _sha1(res, "zsk_algorithms", "zone-signing key")


@rule(id="network.gcp_weak_tls_policy", title="HTTPS/SSL proxy allows weak TLS versions or cipher suites",
      severity="medium", kind="posture",
      rationale="TLS 1.0/1.1 and RSA-key-exchange or CBC suites are open to downgrade and decryption attacks.",
      remediation="Attach an SSL policy with profile MODERN and minimum TLS 1.2, RESTRICTED, or a CUSTOM policy "
                  "without the weak suites.",
      types=PROXIES, reads=("tls_weaknesses",))
def weak_tls_policy(res: Any, ctx: RuleContext) -> Result | None:
    return _listed(res, "tls_weaknesses", "the proxy's SSL policy", fail="weak TLS", ok="TLS 1.2+ with strong suites")


# ------------------------------------------------------------------ virtual machines (CIS section 4)


def _not_gke(res: Any) -> bool:
    return facet(res, "gke_node") is not True


@rule(id="compute.default_service_account", title="VM runs as the Compute Engine default service account",
      severity="medium", kind="posture",
      rationale="The default service account is shared by every VM and historically holds Editor on the project.",
      remediation="Attach a dedicated, least-privilege service account to the instance.",
      types=INSTANCE, reads=("default_service_account",))
def default_service_account(res: Any, ctx: RuleContext) -> Result | None:
    if not _not_gke(res):
        return None
    return _flag(res, "default_service_account", "instance service account", bad=True,
                 fail="uses the default compute service account", ok="does not use the default service account")


@rule(id="compute.default_sa_full_access", title="VM uses the default service account with full Cloud API access",
      severity="high", kind="posture",
      rationale="The cloud-platform scope with the default (Editor) account gives any process on the VM, or an "
                "SSRF to its metadata server, control of the project.",
      remediation="Use a dedicated service account, or at least drop the cloud-platform scope.",
      types=INSTANCE, reads=("default_sa_full_access",))
def default_sa_full_access(res: Any, ctx: RuleContext) -> Result | None:
    if not _not_gke(res):
        return None
    return _flag(res, "default_sa_full_access", "instance scopes", bad=True,
                 fail="default service account with the cloud-platform scope", ok="no default SA with full access")


@rule(id="compute.project_ssh_keys_allowed", title="VM accepts project-wide SSH keys", severity="medium",
      kind="posture",
      rationale="A project-wide SSH key opens every VM of the project; one leaked key compromises all of them.",
      remediation="Set instance metadata block-project-ssh-keys=TRUE (or use OS Login).",
      types=INSTANCE, reads=("project_ssh_keys_blocked",))
def project_ssh_keys(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "project_ssh_keys_blocked", "instance metadata", bad=False,
                 fail="project-wide SSH keys are accepted", ok="project-wide SSH keys are blocked")


@rule(id="compute.os_login_disabled", title="OS Login is not enabled", severity="medium", kind="posture",
      rationale="OS Login ties SSH access to IAM identities (and their revocation) instead of metadata keys.",
      remediation="Set project metadata enable-oslogin=TRUE and remove instance-level overrides.",
      types=("gcp.compute.project", *INSTANCE), reads=("os_login",))
def os_login(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "os_login", "OS Login metadata", bad=False, fail="OS Login is off", ok="OS Login is on")


@rule(id="compute.serial_port_enabled", title="Interactive serial port access is enabled", severity="medium",
      kind="posture",
      rationale="The serial console accepts connections from any IP address and bypasses firewall rules.",
      remediation="Remove serial-port-enable (or set it FALSE) in instance and project metadata.",
      types=INSTANCE, reads=("serial_port",))
def serial_port(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "serial_port", "serial port metadata", bad=True,
                 fail="serial port connections enabled", ok="serial port connections disabled")


@rule(id="compute.ip_forwarding", title="VM can forward IP packets", severity="medium", kind="posture",
      rationale="IP forwarding lets a VM route traffic not addressed to it, a path around network controls.",
      remediation="Recreate the instance with canIpForward=false unless it is a router/NAT appliance.",
      types=INSTANCE, reads=("ip_forwarding",))
def ip_forwarding(res: Any, ctx: RuleContext) -> Result | None:
    if not _not_gke(res):
        return None
    return _flag(res, "ip_forwarding", "canIpForward", bad=True, fail="IP forwarding enabled",
                 ok="IP forwarding disabled")


@rule(id="compute.csek_missing", title="VM disks not encrypted with customer-supplied keys (CSEK)", severity="low",
      kind="posture",
      rationale="CIS asks critical VMs to use customer-supplied keys so Google cannot decrypt their disks alone.",
      remediation="Recreate the disks with a customer-supplied encryption key (for critical VMs).",
      types=INSTANCE, reads=("disk_csek",))
def csek_missing(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "disk_csek", "disk encryption keys", bad=False,
                 fail="not every disk uses a customer-supplied key", ok="every disk uses a customer-supplied key")


@rule(id="compute.shielded_vm_disabled", title="Shielded VM (vTPM and integrity monitoring) is off",
      severity="medium", kind="posture",
      rationale="Shielded VM detects boot-level and kernel rootkits through measured boot and integrity checks.",
      remediation="Stop the instance and enable vTPM and integrity monitoring (and secure boot where supported).",
      types=INSTANCE, reads=("shielded_vm",))
def shielded_vm(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "shielded_vm", "shielded instance config", bad=False,
                 fail="vTPM or integrity monitoring is off", ok="vTPM and integrity monitoring on")


@rule(id="compute.gcp_public_ip", title="VM has a public IP address", severity="high", kind="posture",
      rationale="A VM with an external address is reachable from the internet wherever a firewall rule slips.",
      remediation="Remove the access config; reach the VM through IAP, a bastion or a load balancer, and Cloud NAT "
                  "for egress.",
      types=INSTANCE, reads=("public_ips",))
def public_ip(res: Any, ctx: RuleContext) -> Result | None:
    if not _not_gke(res):
        return None
    return _listed(res, "public_ips", "network interfaces", fail="external addresses", ok="no external address")


@rule(id="compute.confidential_computing_disabled", title="VM does not use Confidential Computing", severity="low",
      kind="posture",
      rationale="Confidential VMs keep memory encrypted while in use, against host-level access.",
      remediation="Recreate the instance as a Confidential VM on a supported machine type.",
      types=INSTANCE, reads=("confidential_computing",))
def confidential_computing(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "confidential_computing", "confidential instance config", bad=False,
                 fail="not a confidential VM", ok="confidential VM")


# ------------------------------------------------------------------ storage (CIS section 5)


@rule(id="storage.uniform_access_disabled", title="Bucket allows object ACLs (uniform bucket-level access off)",
      severity="high", kind="posture",
      rationale="Object ACLs can make single objects public behind the bucket's IAM policy; uniform access makes "
                "IAM the only access path.",
      remediation="Enable uniform bucket-level access on the bucket.",
      types=("gcp.storage.bucket",), reads=("uniform_access",))
def uniform_access(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "uniform_access", "bucket IAM configuration", bad=False,
                 fail="fine-grained object ACLs allowed", ok="uniform bucket-level access")
