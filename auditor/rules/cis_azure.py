"""CIS Microsoft Azure Foundations (6.0 / 5.0): Defender for Cloud, Azure Monitor, networking
and storage-account settings, over the facets collectors/azure/cis_*.py fill.

Subscription-wide questions ("is there an alert for ...") are judged on the one resource per
subscription that holds every item its unit listed; when that unit was denied there is no
resource and so no verdict, never a PASS. Rules that differ only in the plan or operation
they look for are generated from tables, so each CIS control has its own rule id.
"""

from __future__ import annotations

from typing import Any, Callable

from auditor.rules.facts import MISSING, age_days, facet, flag, unknown
from auditor.rules.network import is_internet, open_admin_ports
from auditor.rules.registry import RuleContext, observer, rule
from auditor.rules.verdict import FAIL, PASS, Result

ACCOUNT = ("azure.storage.account",)
NSG = ("azure.network.nsg",)
PRICING = ("azure.security.pricing",)
CONTACTS = ("azure.security.contacts",)
DIAGNOSTICS = ("azure.monitor.diagnostic_settings",)
ALERTS = ("azure.monitor.activity_log_alerts",)
FLOW_LOG = ("azure.network.flow_log",)
KEY_MAX_AGE_DAYS = 90
FLOW_LOG_MIN_DAYS = 90
ACTIVITY_CATEGORIES = ("Administrative", "Security", "Alert", "Policy")


def _flag(res: Any, name: str, what: str, good: bool, ok: str, bad: str) -> Result | None:
    """PASS when the boolean facet equals ``good``; UNKNOWN when not collected."""
    return flag(res, name, good=good, ok=ok, bad=bad, what=what)


# ---- Defender for Cloud: one rule per plan ------------------------------------------------------

# (rule id, pricing name, what it protects, severity)
DEFENDER_PLANS: tuple[tuple[str, str, str, str], ...] = (
    ("defender.cspm_on", "CloudPosture", "Defender CSPM (cloud security posture)", "medium"),
    ("defender.apis_on", "Api", "Defender for APIs", "medium"),
    ("defender.servers_on", "VirtualMachines", "Defender for Servers", "high"),
    ("defender.containers_on", "Containers", "Defender for Containers", "medium"),
    ("defender.storage_on", "StorageAccounts", "Defender for Storage", "medium"),
    ("defender.app_services_on", "AppServices", "Defender for App Service", "medium"),
    ("defender.cosmosdb_on", "CosmosDbs", "Defender for Azure Cosmos DB", "medium"),
    ("defender.oss_databases_on", "OpenSourceRelationalDatabases", "Defender for open-source relational databases",
     "medium"),
    ("defender.sql_databases_on", "SqlServers", "Defender for Azure SQL databases", "medium"),
    ("defender.sql_on_machines_on", "SqlServerVirtualMachines", "Defender for SQL servers on machines", "medium"),
    ("defender.keyvault_on", "KeyVaults", "Defender for Key Vault", "medium"),
    ("defender.arm_on", "Arm", "Defender for Resource Manager", "medium"),
)


def _plan_judge(plan: str, label: str) -> Callable[[Any, RuleContext], Result | None]:
    def judge(res: Any, ctx: RuleContext) -> Result | None:
        if str(res.facets.get("defender_plan") or "").lower() != plan.lower():
            return None
        return _flag(res, "defender_on", f"{label} pricing tier", True, f"{label} is on (Standard tier)",
                     f"{label} is off (Free tier)")

    judge.__doc__ = f"{label}: the {plan} pricing's tier is Standard."
    return judge


for _id, _plan, _label, _sev in DEFENDER_PLANS:
    globals()["rule_" + _id.replace(".", "_")] = rule(
        id=_id, title=f"{_label} is not enabled", severity=_sev, kind="posture",
        rationale=f"Without {_label} the subscription gets no threat detection or hardening recommendations for "
                  "those resources.",
        remediation=f"Defender for Cloud > Environment settings > the subscription > turn the {_plan} plan On "
                    f"(az security pricing create -n {_plan} --tier standard).",
        types=PRICING, reads=("defender_plan", "defender_on"))(_plan_judge(_plan, _label))


@rule(id="defender.notify_owners", title="Security alerts are not e-mailed to subscription owners", severity="medium",
      kind="posture", rationale="Owners who never hear of an alert cannot act on it.",
      remediation="Defender for Cloud > Email notifications: 'All users with the following roles' = Owner.",
      types=CONTACTS, reads=("notify_roles",))
def notify_owners(res: Any, ctx: RuleContext) -> Result | None:
    roles = facet(res, "notify_roles")
    if roles is MISSING:
        return None
    if roles is None:
        return unknown("notified roles")
    ok = any(str(r).lower() == "owner" for r in roles)
    return Result(PASS if ok else FAIL, "owners are notified" if ok else "owners are not notified", {"roles": roles})


@rule(id="defender.additional_email", title="No security contact e-mail for Defender alerts", severity="medium",
      kind="posture", rationale="A security team address makes sure alerts reach people whose job is to respond.",
      remediation="Defender for Cloud > Email notifications: set 'Additional email addresses'.",
      types=CONTACTS, reads=("contact_emails",))
def additional_email(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "contact_emails", "security contact e-mails", True, "a security contact e-mail is set",
                 "no additional security contact e-mail")


def _threshold(res: Any, name: str, what: str, passing: tuple[str, ...]) -> Result | None:
    v = facet(res, name)
    if v is MISSING:
        return None
    ok = v is not None and str(v).lower() in passing
    return Result(PASS if ok else FAIL, f"{what}: {v or 'off'}", {name: v})


@rule(id="defender.alert_notifications", title="Alert e-mails are not sent for high-severity alerts", severity="medium",
      kind="posture", rationale="Notifications limited to critical alerts (or off) leave high-severity attacks unseen.",
      remediation="Defender for Cloud > Email notifications: notify about alerts with severity High (or lower).",
      types=CONTACTS, reads=("alert_min_severity",))
def alert_notifications(res: Any, ctx: RuleContext) -> Result | None:
    return _threshold(res, "alert_min_severity", "alert notification threshold", ("low", "medium", "high"))


@rule(id="defender.attack_path_notifications", title="Attack-path e-mails are not sent for high-risk paths",
      severity="low", kind="posture",
      rationale="Attack paths show exploitable chains to critical assets; owners should hear of high-risk ones.",
      remediation="Defender for Cloud > Email notifications: notify about attack paths with risk level High (or lower).",
      types=CONTACTS, reads=("attack_path_min_risk",))
def attack_path_notifications(res: Any, ctx: RuleContext) -> Result | None:
    return _threshold(res, "attack_path_min_risk", "attack-path notification threshold", ("low", "medium", "high"))


# ---- Azure Monitor -----------------------------------------------------------------------------

@rule(id="monitor.activity_log_export", title="Subscription activity log is not exported by a diagnostic setting",
      severity="medium", kind="posture",
      rationale="The activity log keeps 90 days in the platform; a diagnostic setting keeps it where it can be "
                "retained, searched and alerted on.",
      remediation="Monitor > Activity log > Export activity logs: add a diagnostic setting to a workspace, storage "
                  "account or event hub.", types=DIAGNOSTICS, reads=("diagnostic_settings",))
def activity_log_export(res: Any, ctx: RuleContext) -> Result | None:
    settings = facet(res, "diagnostic_settings")
    if settings is MISSING:
        return None
    exporting = [s.get("name") for s in settings or [] if s.get("destinations") and s.get("categories")]
    if exporting:
        return Result(PASS, f"exported by {', '.join(map(str, exporting))}", {"settings": exporting})
    return Result(FAIL, "no diagnostic setting exports the activity log", {"settings": settings or []})


@rule(id="monitor.activity_log_categories", title="Activity-log export misses CIS categories", severity="medium",
      kind="posture",
      rationale="Administrative, Security, Alert and Policy events are the ones investigations need.",
      remediation="Edit the subscription diagnostic setting to export Administrative, Security, Alert and Policy.",
      types=DIAGNOSTICS, reads=("diagnostic_settings",))
def activity_log_categories(res: Any, ctx: RuleContext) -> Result | None:
    settings = facet(res, "diagnostic_settings")
    if settings is MISSING:
        return None
    want = {c.lower() for c in ACTIVITY_CATEGORIES}
    for s in settings or []:
        if s.get("destinations") and want <= {str(c).lower() for c in s.get("categories") or []}:
            return Result(PASS, f"{s.get('name')} exports {', '.join(ACTIVITY_CATEGORIES)}", {"setting": s.get("name")})
    best = max((set(map(str.lower, s.get("categories") or [])) for s in settings or []), key=len, default=set())
    return Result(FAIL, "no setting exports all of " + ", ".join(ACTIVITY_CATEGORIES),
                  {"missing": sorted(c for c in ACTIVITY_CATEGORIES if c.lower() not in best)})


# (rule id, operationName, what)
ALERT_OPERATIONS: tuple[tuple[str, str, str], ...] = (
    ("monitor.alert_policy_assignment_write", "Microsoft.Authorization/policyAssignments/write",
     "create policy assignment"),
    ("monitor.alert_policy_assignment_delete", "Microsoft.Authorization/policyAssignments/delete",
     "delete policy assignment"),
    ("monitor.alert_nsg_write", "Microsoft.Network/networkSecurityGroups/write",
     "create or update network security group"),
    ("monitor.alert_nsg_delete", "Microsoft.Network/networkSecurityGroups/delete", "delete network security group"),
    ("monitor.alert_security_solution_write", "Microsoft.Security/securitySolutions/write",
     "create or update security solution"),
    ("monitor.alert_security_solution_delete", "Microsoft.Security/securitySolutions/delete",
     "delete security solution"),
    ("monitor.alert_sql_firewall_write", "Microsoft.Sql/servers/firewallRules/write",
     "create or update SQL server firewall rule"),
    ("monitor.alert_sql_firewall_delete", "Microsoft.Sql/servers/firewallRules/delete",
     "delete SQL server firewall rule"),
    ("monitor.alert_public_ip_write", "Microsoft.Network/publicIPAddresses/write", "create or update public IP address"),
    ("monitor.alert_public_ip_delete", "Microsoft.Network/publicIPAddresses/delete", "delete public IP address"),
)


def _alert_judge(field: str, value: str, what: str) -> Callable[[Any, RuleContext], Result | None]:
    def judge(res: Any, ctx: RuleContext) -> Result | None:
        seen = facet(res, field)
        if seen is MISSING:
            return None
        if seen is None:
            return unknown("activity-log alerts")
        ok = any(str(v).lower() == value.lower() for v in seen)
        return Result(PASS if ok else FAIL, f"{'an' if ok else 'no'} enabled activity-log alert for {what}",
                      {"looked_for": value})

    judge.__doc__ = f"An enabled, subscription-scoped activity-log alert on {field} = {value}."
    return judge


for _id, _op, _what in ALERT_OPERATIONS:
    globals()["rule_" + _id.replace(".", "_")] = rule(
        id=_id, title=f"No activity-log alert for {_what}", severity="low", kind="posture",
        rationale=f"An alert on '{_what}' makes unexpected changes visible as they happen, not at the next review.",
        remediation=f"Monitor > Alerts > create an activity-log alert rule on the subscription for operation {_op} "
                    "with an action group.", types=ALERTS, reads=("alert_operations",))(
        _alert_judge("alert_operations", _op, _what))

rule_monitor_alert_service_health = rule(
    id="monitor.alert_service_health", title="No activity-log alert for Service Health", severity="low",
    kind="posture", rationale="Service Health alerts tell you of platform incidents and planned maintenance that "
                              "affect your resources.",
    remediation="Monitor > Alerts > create an activity-log alert with category ServiceHealth on the subscription.",
    types=ALERTS, reads=("alert_categories",))(_alert_judge("alert_categories", "ServiceHealth", "Service Health"))


# ---- network -----------------------------------------------------------------------------------

def _udp_open(ingress: list[Any]) -> list[dict[str, Any]]:
    """Internet allows carrying UDP that no earlier (lower priority number) internet deny covers."""
    rules = sorted((r for r in ingress if isinstance(r, dict) and is_internet(r.get("cidr"))),
                   key=lambda r: (r.get("priority") if isinstance(r.get("priority"), int) else 0,
                                  0 if str(r.get("action")).lower() == "deny" else 1))
    udp = ("udp", "all", "17", "-1", "*")
    found, denies = [], []
    for r in rules:
        if str(r.get("protocol", "all")).lower() not in udp:
            continue
        lo, hi = int(r.get("from_port") or 0), int(r.get("to_port") if r.get("to_port") is not None else 65535)
        if str(r.get("action", "allow")).lower() == "deny":
            denies.append((lo, hi))
        elif not any(dlo <= lo and hi <= dhi for dlo, dhi in denies):
            found.append({"cidr": r.get("cidr"), "protocol": r.get("protocol"), "ports": f"{lo}-{hi}",
                          "priority": r.get("priority")})
    return found


@rule(id="network.udp_open_internet", title="UDP reachable from the internet", severity="high", kind="posture",
      rationale="Internet-reachable UDP services (DNS, NTP, SSDP, CLDAP ...) are abused for reflection and "
                "amplification attacks.",
      remediation="Remove or narrow NSG rules allowing UDP (or Any) from Internet/*/0.0.0.0/0.",
      types=NSG, reads=("ingress",))
def udp_open_internet(res: Any, ctx: RuleContext) -> Result | None:
    ingress = facet(res, "ingress")
    if ingress is MISSING:
        return None
    if ingress is None:
        return unknown("ingress rules")
    found = _udp_open(ingress)
    return Result(FAIL, f"UDP open to the internet ({len(found)} rule(s))", {"open": found}) if found else \
        Result(PASS, "no UDP open to the internet")


@rule(id="network.http_open_internet", title="HTTP(S) reachable from the internet on a network security group",
      severity="medium", kind="posture",
      rationale="Web ports open to the world should sit behind a gateway or WAF, not straight on VMs.",
      remediation="Publish web workloads through Application Gateway/Front Door with WAF; restrict NSG rules on 80/443.",
      types=NSG, reads=("ingress",))
def http_open_internet(res: Any, ctx: RuleContext) -> Result | None:
    ingress = facet(res, "ingress")
    if ingress is MISSING:
        return None
    if ingress is None:
        return unknown("ingress rules")
    found = open_admin_ports(ingress, [80, 443])
    if found:
        return Result(FAIL, f"ports {sorted({f['port'] for f in found})} open to the internet", {"open": found})
    return Result(PASS, "HTTP(S) not open to the internet")


@rule(id="network.flow_log_retention", title="Flow logs kept less than 90 days", severity="low", kind="posture",
      rationale="Intrusions are often found months later; flow records must outlive the investigation window.",
      remediation="Network Watcher > Flow logs: enable retention of 90 days or more (0 keeps them forever).",
      types=FLOW_LOG, reads=("flow_log_enabled", "retention_days"))
def flow_log_retention(res: Any, ctx: RuleContext) -> Result | None:
    enabled, days = facet(res, "flow_log_enabled"), facet(res, "retention_days")
    if enabled is MISSING:
        return None
    ev = {"enabled": enabled, "retention_days": days, "target": res.facets.get("flow_log_target")}
    if enabled is False:
        return Result(FAIL, "flow log disabled", ev)
    if enabled is None or days is None or days is MISSING:
        return unknown("flow log retention", ev)
    if days == 0 or days >= FLOW_LOG_MIN_DAYS:
        return Result(PASS, "kept forever" if days == 0 else f"kept {days} days", ev)
    return Result(FAIL, f"kept only {days} days", ev)


@rule(id="network.flow_log_traffic_analytics", title="Flow logs not sent to Log Analytics", severity="low",
      kind="posture", rationale="Traffic analytics in a workspace turns flow logs into queries and alerts.",
      remediation="Network Watcher > Flow logs: enable traffic analytics to a Log Analytics workspace.",
      types=FLOW_LOG, reads=("traffic_analytics",))
def flow_log_traffic_analytics(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "traffic_analytics", "traffic analytics", True, "sent to Log Analytics",
                 "not sent to Log Analytics")


@rule(id="network.watcher_missing", title="No Network Watcher in a region with virtual networks", severity="low",
      kind="posture", rationale="Without Network Watcher there are no flow logs, packet capture or topology for "
                                "the region's networks.",
      remediation="Enable Network Watcher in every region where the subscription has virtual networks.",
      types=("azure.network.vnet",), reads=("network_watcher",))
def watcher_missing(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "network_watcher", "network watchers", True, f"Network Watcher enabled in {res.region}",
                 f"no Network Watcher in {res.region}")


@rule(id="network.subnet_without_nsg", title="Subnet without a network security group", severity="medium",
      kind="posture", rationale="A subnet without an NSG filters nothing between it and the rest of the network.",
      remediation="Associate a network security group with the subnet.",
      types=("azure.network.subnet",), reads=("nsg_attached",))
def subnet_without_nsg(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "nsg_attached", "subnet NSG association", True, "an NSG is attached", "no NSG attached")


@rule(id="network.vnet_ddos_protection", title="Virtual network without DDoS Network Protection", severity="low",
      kind="posture", rationale="DDoS Network Protection adds adaptive mitigation and cost protection for public "
                                "endpoints in the network.",
      remediation="Attach a DDoS protection plan to the virtual network.",
      types=("azure.network.vnet",), reads=("ddos_protection",))
def vnet_ddos_protection(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "ddos_protection", "DDoS protection", True, "DDoS Network Protection on",
                 "DDoS Network Protection off")


@rule(id="network.public_ip_unused", title="Public IP address is not associated with any resource", severity="low",
      kind="posture",
      rationale="CIS asks that public IP addresses be reviewed periodically and the ones not in use deleted: an "
                "address left allocated (and, when Static, billed) is exposure nobody watches, and can be "
                "attached to a resource later without the review its creation would have had. The upstream "
                "check looks each address up in Shodan; this rule makes no outside call (and needs no API key): it "
                "judges the review's question from the address's own ARM record, which names the NIC, "
                "frontend, gateway, Bastion or firewall IP configuration or NAT gateway that uses it.",
      remediation="Review the address; if nothing needs it, delete it (az network public-ip delete); otherwise "
                  "associate it with the resource that should hold it.",
      types=("azure.network.public_ip",), reads=("attached",))
def public_ip_unused(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "attached")
    if v is MISSING:
        return None
    ev = {"name": res.name, "allocation_method": res.facets.get("allocation_method"), "sku": res.facets.get("sku")}
    if v is None:
        return unknown("the public IP's association", ev)
    if v:
        return Result(PASS, "in use", {**ev, "attached_to": res.facets.get("attached_to")})
    method = ev["allocation_method"]
    return Result(FAIL, f"not associated with any resource{f' ({method} allocation)' if method else ''}", ev)


# ---- storage accounts --------------------------------------------------------------------------

@rule(id="storage.shared_key_access", title="Storage account allows shared-key authorisation", severity="high",
      kind="posture",
      rationale="Account keys grant full access, cannot be scoped and leave no identity in the logs; Entra ID "
                "authorisation can.",
      remediation="Set allowSharedKeyAccess=false after moving clients to Entra ID (RBAC) authorisation.",
      types=ACCOUNT, reads=("shared_key_access",))
def shared_key_access(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "shared_key_access", "shared key access", False, "shared-key access disabled",
                 "shared-key access allowed")


@rule(id="storage.cross_tenant_replication", title="Storage account allows cross-tenant replication",
      severity="medium", kind="posture",
      rationale="Object replication to another tenant can copy data outside the organisation's control.",
      remediation="Set allowCrossTenantReplication=false.", types=ACCOUNT, reads=("cross_tenant_replication",))
def cross_tenant_replication(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "cross_tenant_replication", "cross-tenant replication setting", False,
                 "cross-tenant replication disabled", "cross-tenant replication allowed")


@rule(id="storage.trusted_services_bypass", title="Trusted Microsoft services cannot reach a firewalled account",
      severity="low", kind="posture",
      rationale="With the network default-deny, platform services such as Backup and Monitor need the trusted "
                "services exception to keep working without opening the firewall wider.",
      remediation="Networking > Exceptions: allow Azure services on the trusted services list (bypass AzureServices).",
      types=ACCOUNT, reads=("trusted_services_bypass",))
def trusted_services_bypass(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "trusted_services_bypass", "network bypass setting", True, "trusted services allowed",
                 "trusted services not allowed")


@rule(id="storage.key_rotation_reminder", title="No key rotation reminder on the storage account", severity="low",
      kind="posture", rationale="A key expiration policy reminds owners to rotate shared keys at least every 90 days.",
      remediation="Access keys > Set rotation reminder: 90 days (keyPolicy.keyExpirationPeriodInDays).",
      types=ACCOUNT, reads=("key_expiration_days",))
def key_rotation_reminder(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "key_expiration_days")
    if v is MISSING:
        return None
    if v is None:
        return Result(FAIL, "no key expiration policy")
    ok = int(v) <= KEY_MAX_AGE_DAYS
    return Result(PASS if ok else FAIL, f"rotation reminder every {v} days", {"key_expiration_days": v})


@rule(id="storage.access_key_rotation", title="Storage account key not regenerated in 90 days", severity="medium",
      kind="posture", rationale="A leaked account key works until it is regenerated.",
      remediation="Regenerate both access keys (one at a time) at least every 90 days, or disable shared keys.",
      types=ACCOUNT, reads=("key_created",))
def access_key_rotation(res: Any, ctx: RuleContext) -> Result | None:
    created = facet(res, "key_created")
    if created is MISSING:
        return None
    days = age_days(created, ctx.as_of)
    if days is None:
        return unknown("key creation time")
    ok = days <= KEY_MAX_AGE_DAYS
    return Result(PASS if ok else FAIL, f"oldest key is {days} days old", {"key_created": created, "age_days": days})


def _soft_delete(res: Any, name: str, what: str) -> Result | None:
    v = facet(res, name)
    if v is MISSING:
        return None
    if v is None:
        return unknown(f"{what} soft delete")
    return Result(PASS, f"{what} soft delete keeps {v} days", {name: v}) if v > 0 else \
        Result(FAIL, f"{what} soft delete off", {name: v})


@rule(id="storage.blob_soft_delete", title="Blob soft delete is off", severity="medium", kind="posture",
      rationale="Soft delete recovers blobs deleted or overwritten by mistake or by an attacker.",
      remediation="Data protection: enable soft delete for blobs (7 days or more).",
      types=ACCOUNT, reads=("blob_soft_delete_days",))
def blob_soft_delete(res: Any, ctx: RuleContext) -> Result | None:
    return _soft_delete(res, "blob_soft_delete_days", "blob")


@rule(id="storage.container_soft_delete", title="Container soft delete is off", severity="medium", kind="posture",
      rationale="Container soft delete recovers whole containers deleted by mistake or by an attacker.",
      remediation="Data protection: enable soft delete for containers (7 days or more).",
      types=ACCOUNT, reads=("container_soft_delete_days",))
def container_soft_delete(res: Any, ctx: RuleContext) -> Result | None:
    return _soft_delete(res, "container_soft_delete_days", "container")


@rule(id="storage.blob_versioning", title="Blob versioning is off", severity="low", kind="posture",
      rationale="Versions keep every prior state of a blob, so overwrites and ransomware can be rolled back.",
      remediation="Data protection: enable versioning for blobs.", types=ACCOUNT, reads=("versioning",))
def blob_versioning(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "versioning", "blob versioning", True, "versioning on", "versioning off")


@rule(id="storage.private_endpoint", title="Storage account has no private endpoint", severity="low", kind="posture",
      rationale="Private endpoints keep traffic to the account on the private network.",
      remediation="Networking > Private endpoint connections: add an approved private endpoint.",
      types=ACCOUNT, reads=("private_endpoint",))
def private_endpoint(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "private_endpoint", "private endpoint connections", True, "an approved private endpoint",
                 "no approved private endpoint")


@rule(id="storage.default_oauth", title="Portal does not default to Entra authorisation for the account",
      severity="low", kind="posture",
      rationale="Defaulting to Entra ID in the portal keeps data access on identities and RBAC, not account keys.",
      remediation="Configuration: 'Default to Microsoft Entra authorization in the Azure portal' = Enabled.",
      types=ACCOUNT, reads=("default_oauth",))
def default_oauth(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "default_oauth", "default authorisation setting", True, "defaults to Entra authorisation",
                 "defaults to account-key authorisation")


@rule(id="storage.file_share_soft_delete", title="File share soft delete is off", severity="medium", kind="posture",
      rationale="Share soft delete recovers Azure Files shares deleted by mistake or by an attacker.",
      remediation="File service > Data protection: enable soft delete for file shares (7 days or more).",
      types=ACCOUNT, reads=("file_soft_delete_days",))
def file_share_soft_delete(res: Any, ctx: RuleContext) -> Result | None:
    return _soft_delete(res, "file_soft_delete_days", "file share")


def _only(res: Any, name: str, what: str, allowed: tuple[str, ...]) -> Result | None:
    v = facet(res, name)
    if v is MISSING:
        return None
    if v is None:
        return unknown(what)
    weak = sorted(x for x in v if str(x).upper() not in allowed)
    return Result(FAIL, f"{what} allows {', '.join(weak)}", {name: v}) if weak else \
        Result(PASS, f"{what}: {', '.join(v)}", {name: v})


@rule(id="storage.smb_protocol_version", title="File service accepts SMB versions below 3.1.1", severity="medium",
      kind="posture", rationale="SMB 2.1 and 3.0 lack the pre-authentication integrity and AES-GCM of SMB 3.1.1.",
      remediation="File share settings > Security: SMB protocol versions = SMB 3.1.1 only.",
      types=ACCOUNT, reads=("smb_versions",))
def smb_protocol_version(res: Any, ctx: RuleContext) -> Result | None:
    return _only(res, "smb_versions", "SMB protocol versions", ("SMB3.1.1",))


@rule(id="storage.smb_channel_encryption", title="File service accepts SMB channel encryption weaker than AES-256-GCM",
      severity="medium", kind="posture", rationale="AES-128 channel encryption is below the benchmark's bar for data "
                                                    "in transit to file shares.",
      remediation="File share settings > Security: SMB channel encryption = AES-256-GCM only.",
      types=ACCOUNT, reads=("smb_channel_encryption",))
def smb_channel_encryption(res: Any, ctx: RuleContext) -> Result | None:
    return _only(res, "smb_channel_encryption", "SMB channel encryption", ("AES-256-GCM",))


# ---- Microsoft Entra directory settings (Graph) -------------------------------------------------

AUTH_POLICY = ("azure.entra.authorization_policy",)


@rule(id="entra.security_defaults", title="Entra security defaults are not enabled", severity="high", kind="posture",
      rationale="Security defaults enforce MFA registration, block legacy authentication and protect privileged "
                "actions for tenants without Conditional Access.",
      remediation="Entra ID > Properties > Manage security defaults: Enabled (or equivalent Conditional Access).",
      types=("azure.entra.security_defaults",), reads=("security_defaults",))
def security_defaults(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "security_defaults", "security defaults", True, "security defaults enforced",
                 "security defaults off")


def _no(name: str, what: str) -> Callable[[Any, RuleContext], Result | None]:
    def judge(res: Any, ctx: RuleContext) -> Result | None:
        return _flag(res, name, what, False, f"default users cannot {what}", f"default users can {what}")

    judge.__doc__ = f"Default users may not {what}."
    return judge


for _id, _facet, _what, _sev in (
        ("entra.users_create_tenants", "users_can_create_tenants", "create tenants", "medium"),
        ("entra.users_register_apps", "users_can_create_apps", "register applications", "medium"),
        ("entra.users_create_security_groups", "users_can_create_security_groups", "create security groups", "low")):
    globals()["rule_" + _id.replace(".", "_")] = rule(
        id=_id, title=f"Non-admin users can {_what}", severity=_sev, kind="posture",
        rationale=f"Letting every user {_what} spreads ownership of directory objects outside administration.",
        remediation=f"Entra ID > User settings: set 'Users can {_what}' to No.", types=AUTH_POLICY,
        reads=(_facet,))(_no(_facet, _what))


@rule(id="entra.user_consent", title="Users can consent to applications", severity="high", kind="posture",
      rationale="Consent phishing gets a malicious app a user's data access with one click.",
      remediation="Enterprise applications > Consent and permissions: 'Do not allow user consent'.",
      types=AUTH_POLICY, reads=("user_consent",))
def user_consent(res: Any, ctx: RuleContext) -> Result | None:
    return _threshold(res, "user_consent", "user consent", ("none",))


@rule(id="entra.user_consent_unverified", title="Users can consent to apps beyond verified low-impact ones",
      severity="medium", kind="posture",
      rationale="If users may consent at all, it should only be to verified publishers and low-impact permissions.",
      remediation="Consent and permissions: 'Allow user consent for apps from verified publishers, for selected "
                  "permissions' (or no user consent).", types=AUTH_POLICY, reads=("user_consent",))
def user_consent_unverified(res: Any, ctx: RuleContext) -> Result | None:
    return _threshold(res, "user_consent", "user consent", ("none", "verified_low_impact"))


@rule(id="entra.guest_access_restricted", title="Guests can read more than their own directory objects",
      severity="medium", kind="posture",
      rationale="Guests with member-like read access can enumerate users, groups and apps of the whole directory.",
      remediation="External collaboration settings: guest user access is restricted to properties and memberships "
                  "of their own directory objects.", types=AUTH_POLICY, reads=("guest_access",))
def guest_access_restricted(res: Any, ctx: RuleContext) -> Result | None:
    return _threshold(res, "guest_access", "guest access", ("restricted",))


@rule(id="entra.guest_invites_restricted", title="Anyone can invite guest users", severity="medium", kind="posture",
      rationale="Invitations should come from admins or the Guest Inviter role so external access is deliberate.",
      remediation="External collaboration settings: only users assigned to specific admin roles (or no one) can "
                  "invite guests.", types=AUTH_POLICY, reads=("guest_invites",))
def guest_invites_restricted(res: Any, ctx: RuleContext) -> Result | None:
    return _threshold(res, "guest_invites", "guest invitations", ("none", "adminsandguestinviters"))


USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"


@rule(id="iam.azure_user_access_administrator", title="User Access Administrator role is assigned",
      severity="high", kind="posture",
      rationale="User Access Administrator can grant any role, including Owner, to anyone: it is meant for "
                "break-glass elevation, not standing assignments.",
      remediation="Remove standing User Access Administrator assignments (az role assignment delete); use PIM "
                  "or a narrower RBAC Administrator role with conditions.",
      types=("azure.authorization.role_assignment",), reads=("role_definition",))
def user_access_administrator(res: Any, ctx: RuleContext) -> Result | None:
    role = facet(res, "role_definition")
    if role is MISSING:
        return None
    if role is None:
        return unknown("assigned role")
    if str(role).lower() == USER_ACCESS_ADMINISTRATOR:
        return Result(FAIL, "assigns User Access Administrator", {"role_definition": role})
    return Result(PASS, "not User Access Administrator", {"role_definition": role})


# ---- joins across resources ----------------------------------------------------------------------

_ACCOUNT_KEYS = "cis_azure.storage_key_management"


@observer
def storage_account_keys(cache: dict[str, Any], res: Any) -> None:
    """Who manages each storage account's key, by lower-case ARM id (for the activity-log archive)."""
    if getattr(res, "type", None) == "azure.storage.account" and isinstance(getattr(res, "facets", None), dict):
        cache.setdefault(_ACCOUNT_KEYS, {})[str(res.native_id).lower()] = res.facets.get("key_management")


@rule(id="monitor.activity_log_storage_cmk", title="Activity-log archive not encrypted with a customer-managed key",
      severity="medium", kind="posture",
      rationale="The activity log records who changed what; its archive should be under a key the organisation "
                "controls and can revoke.",
      remediation="Encrypt the storage account the diagnostic setting exports to with a Key Vault key.",
      types=DIAGNOSTICS, reads=("diagnostic_settings",))
def activity_log_storage_cmk(res: Any, ctx: RuleContext) -> Result | None:
    settings = facet(res, "diagnostic_settings")
    if settings is MISSING:
        return None
    targets = sorted({s["storage_account"] for s in settings or [] if s.get("storage_account")})
    if not targets:
        return None  # the activity log is not archived to storage: nothing to judge
    keys = ctx.cache.get(_ACCOUNT_KEYS, {})
    plain = [t for t in targets if keys.get(t) == "provider"]
    if plain:
        return Result(FAIL, f"archived with a provider-managed key: {', '.join(plain)}", {"accounts": plain})
    unseen = [t for t in targets if keys.get(t) is None]
    if unseen:
        return unknown("archive account encryption", {"accounts": unseen})
    return Result(PASS, "archive accounts use customer-managed keys", {"accounts": targets})


@rule(id="network.bastion_missing", title="No Azure Bastion host in the subscription", severity="low",
      kind="posture", rationale="Bastion gives RDP/SSH through the portal over TLS without public IPs on VMs.",
      remediation="Deploy an Azure Bastion host in the hub network and remove public management access.",
      types=("azure.network.bastion_hosts",), reads=("bastion_hosts",))
def bastion_missing(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "bastion_hosts")
    if v is MISSING:
        return None
    if v is None:
        return unknown("Bastion hosts")
    return Result(PASS, f"{v} Bastion host(s)") if v else Result(FAIL, "no Bastion host")


@rule(id="defender.iot_hub", title="Microsoft Defender for IoT Hub is not on", severity="medium", kind="posture",
      rationale="Defender for IoT watches IoT hubs and their devices for threats and misconfiguration; "
                "without an enabled IoT security solution those alerts and recommendations never appear.",
      remediation="Enable Defender for IoT on each IoT hub (Defender for Cloud > IoT Hub > Secure your IoT solution).",
      types=("azure.security.iot_solutions",), reads=("iot_solutions", "iot_solutions_disabled"))
def iot_hub_defender(res: Any, ctx: RuleContext) -> Result | None:
    count, off = facet(res, "iot_solutions"), facet(res, "iot_solutions_disabled")
    if count is MISSING:
        return None
    if count is None or off is MISSING or off is None:
        return unknown("IoT security solutions")
    if not count:
        return Result(FAIL, "no IoT security solution in the subscription")
    if off:
        return Result(FAIL, f"IoT security solution(s) not enabled: {', '.join(off)}", {"disabled": off})
    return Result(PASS, f"{count} IoT security solution(s), all enabled")


@rule(id="appservice.http_logs_missing", title="App Service web app does not export its HTTP logs",
      severity="low", kind="posture",
      rationale="HTTP logs record every request the app served; without them an attack or abuse through the web "
                "app cannot be traced afterwards.",
      remediation="Add a diagnostic setting on the web app that sends the AppServiceHTTPLogs category (or the "
                  "allLogs group) to a Log Analytics workspace, storage account or event hub.",
      types=("azure.web.site",), reads=("http_logging",))
def app_http_logs(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "http_logging", "App Service HTTP logging", True,
                 "a diagnostic setting exports AppServiceHTTPLogs", "no diagnostic setting exports AppServiceHTTPLogs")


# (rule id, Defender recommendation display name, what)
ASSESSMENTS: tuple[tuple[str, str, str], ...] = (
    ("defender.vulnerability_assessment", "Machines should have a vulnerability assessment solution",
     "vulnerability assessment on machines"),
    ("defender.endpoint_protection", "Install endpoint protection solution on virtual machines",
     "endpoint protection on virtual machines"),
    ("defender.system_updates", "System updates should be installed on your machines",
     "system updates on machines"),
)


def _assessment_judge(display_name: str, what: str) -> Callable[[Any, RuleContext], Result | None]:
    def judge(res: Any, ctx: RuleContext) -> Result | None:
        seen = facet(res, "assessments")
        if seen is MISSING:
            return None
        state = (seen or {}).get(display_name)
        if state is None:
            return None  # Defender does not assess it here (no machines, or the plan is off)
        ok = state == "healthy"
        return Result(PASS if ok else FAIL, f"{what}: {state}", {"recommendation": display_name})

    judge.__doc__ = f"Defender's '{display_name}' recommendation is healthy on every machine."
    return judge


for _id, _name, _what in ASSESSMENTS:
    globals()["rule_" + _id.replace(".", "_")] = rule(
        id=_id, title=f"Defender reports machines without {_what}", severity="medium", kind="posture",
        rationale=f"Defender for Cloud found machines failing '{_name}'.",
        remediation=f"Defender for Cloud > Recommendations > '{_name}': remediate the unhealthy machines.",
        types=("azure.security.assessments",), reads=("assessments",))(_assessment_judge(_name, _what))


@rule(id="monitor.app_insights_missing", title="No Application Insights in the subscription", severity="low",
      kind="posture", rationale="Application Insights gives application-level telemetry for detecting and "
                                "investigating attacks on the workloads.",
      remediation="Create an Application Insights resource (workspace-based) for the subscription's applications.",
      types=("azure.monitor.app_insights",), reads=("app_insights",))
def app_insights_missing(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "app_insights")
    if v is MISSING:
        return None
    if v is None:
        return unknown("Application Insights components")
    return Result(PASS, f"{v} Application Insights component(s)") if v else Result(FAIL, "no Application Insights")


@rule(id="storage.critical_geo_redundant", title="Critical storage account is not geo-redundant", severity="medium",
      kind="posture",
      rationale="Data classified as critical needs a copy in a second region to survive a regional outage.",
      remediation="Use a geo-redundant SKU (GRS/RA-GRS/GZRS) for accounts holding critical data.",
      types=ACCOUNT, reads=("replica_locations",))
def critical_geo_redundant(res: Any, ctx: RuleContext) -> Result | None:
    """'Critical' = a classification listed in checks.cmk_required_for (the owner's own sensitive tiers)."""
    classification = ctx.classification(res)
    critical = {c.lower() for c in getattr(getattr(ctx.config, "checks", None), "cmk_required_for", []) or []}
    if classification is None or classification.lower() not in critical:
        return None
    replicas = facet(res, "replica_locations")
    if replicas is MISSING:
        return None
    ev = {"classification": classification, "replica_locations": replicas}
    if replicas is None:
        return Result(PASS, "geo-redundant (secondary region not reported)", ev)
    return Result(PASS, f"replicated to {', '.join(replicas)}", ev) if replicas else \
        Result(FAIL, f"{classification} data kept in one region only", ev)


CONDITIONAL_ACCESS = ("azure.entra.conditional_access",)
AZURE_MANAGEMENT_APP = "797f4846-ba00-4fd7-ba43-dac1f8f63013"

# (rule id, applications that satisfy it (any), what, severity)
CA_MFA: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("entra.ca_mfa_all_users", ("All",), "all cloud apps", "high"),
    ("entra.ca_mfa_azure_management", ("All", AZURE_MANAGEMENT_APP), "Azure management (ARM, portal, CLI)", "high"),
    ("entra.ca_mfa_admin_portals", ("All", "MicrosoftAdminPortals"), "Microsoft admin portals", "high"),
)


def _ca_judge(apps: tuple[str, ...], what: str) -> Callable[[Any, RuleContext], Result | None]:
    want = {a.lower() for a in apps}

    def judge(res: Any, ctx: RuleContext) -> Result | None:
        policies = facet(res, "ca_policies")
        if policies is MISSING:
            return None
        if policies is None:
            return unknown("conditional access policies")
        hits = [p.get("name") for p in policies if p.get("enabled") and p.get("all_users") and p.get("mfa")
                and want & {str(a).lower() for a in p.get("applications") or []}]
        if hits:
            return Result(PASS, f"MFA required for all users on {what} by {', '.join(map(str, hits))}",
                          {"policies": hits})
        return Result(FAIL, f"no enabled conditional access policy requires MFA for all users on {what}")

    judge.__doc__ = f"An enabled conditional access policy requires MFA for all users on {what}."
    return judge


for _id, _apps, _what, _sev in CA_MFA:
    globals()["rule_" + _id.replace(".", "_")] = rule(
        id=_id, title=f"MFA not required by conditional access for {_what}", severity=_sev, kind="posture",
        rationale=f"Without an enforced MFA policy on {_what}, one phished password is enough to get in.",
        remediation=f"Create (and enable) a conditional access policy: all users, {_what}, grant: require MFA.",
        types=CONDITIONAL_ACCESS, reads=("ca_policies",))(_ca_judge(_apps, _what))


@rule(id="entra.trusted_locations", title="No trusted named locations defined", severity="low", kind="posture",
      rationale="Trusted locations let conditional access and risk detection tell the organisation's networks "
                "from the rest of the internet.",
      remediation="Conditional access > Named locations: define the organisation's IP ranges and mark them trusted.",
      types=CONDITIONAL_ACCESS, reads=("trusted_locations",))
def trusted_locations(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "trusted_locations")
    if v is MISSING:
        return None
    if v is None:
        return unknown("named locations")
    return Result(PASS, f"{v} trusted location(s)") if v else Result(FAIL, "no trusted named location")


_LOCK_ROLES = "cis_azure.lock_roles"  # account -> custom roles that administer locks
_ROLES_SEEN = "cis_azure.role_definitions_seen"  # accounts whose role definitions were collected


@observer
def lock_roles(cache: dict[str, Any], res: Any) -> None:
    """Custom roles able to administer resource locks, per subscription."""
    if getattr(res, "type", None) != "azure.authorization.role_definition":
        return
    account = str(getattr(res, "account", "")).lower()
    cache.setdefault(_ROLES_SEEN, set()).add(account)
    if (getattr(res, "facets", None) or {}).get("manages_locks"):
        cache.setdefault(_LOCK_ROLES, {}).setdefault(account, []).append(res.name)


@rule(id="iam.azure_lock_admin_role", title="No custom role for administering resource locks", severity="low",
      kind="posture",
      rationale="A dedicated lock-administrator role lets locks be managed without handing out Owner or "
                "User Access Administrator.",
      remediation="Create a custom role with Microsoft.Authorization/locks/* (read, write, delete) and assign it to "
                  "the people who manage locks.",
      types=("azure.resources.subscription",), reads=("manages_locks",))
def lock_admin_role(res: Any, ctx: RuleContext) -> Result | None:
    account = str(res.account).lower()
    if account not in ctx.cache.get(_ROLES_SEEN, set()):
        return unknown("role definitions")
    roles = ctx.cache.get(_LOCK_ROLES, {}).get(account, [])
    return Result(PASS, f"lock administrator role(s): {', '.join(map(str, roles))}", {"roles": roles}) if roles else \
        Result(FAIL, "no custom role administers resource locks")


ENTRA_DIAGNOSTICS = ("azure.entra.diagnostic_settings",)


def _exports(categories: tuple[str, ...], what: str) -> Callable[[Any, RuleContext], Result | None]:
    want = {c.lower() for c in categories}

    def judge(res: Any, ctx: RuleContext) -> Result | None:
        settings = facet(res, "diagnostic_settings")
        if settings is MISSING:
            return None
        for s in settings or []:
            if s.get("destinations") and want <= {str(c).lower() for c in s.get("categories") or []}:
                return Result(PASS, f"{s.get('name')} exports {what}", {"setting": s.get("name")})
        return Result(FAIL, f"no Entra diagnostic setting exports {what} ({', '.join(categories)})")

    judge.__doc__ = f"One Entra diagnostic setting exports {', '.join(categories)} to a destination."
    return judge


rule_monitor_entra_activity_logs = rule(
    id="monitor.entra_activity_logs", title="Entra audit and sign-in logs are not exported", severity="medium",
    kind="posture", rationale="Entra keeps audit and sign-in logs for 30 days at most; investigations need them "
                              "exported to a workspace, storage or event hub.",
    remediation="Entra ID > Diagnostic settings: export AuditLogs and SignInLogs (and the other sign-in logs).",
    types=ENTRA_DIAGNOSTICS, reads=("diagnostic_settings",))(_exports(("AuditLogs", "SignInLogs"), "audit and sign-in logs"))

rule_monitor_entra_graph_activity_logs = rule(
    id="monitor.entra_graph_activity_logs", title="Microsoft Graph activity logs are not exported", severity="low",
    kind="posture", rationale="Graph activity logs show every API request made against the directory, the trail "
                              "of token theft and data harvesting.",
    remediation="Entra ID > Diagnostic settings: export MicrosoftGraphActivityLogs.",
    types=ENTRA_DIAGNOSTICS, reads=("diagnostic_settings",))(
    _exports(("MicrosoftGraphActivityLogs",), "Microsoft Graph activity logs"))


MCSB_ASSIGNMENT = "securitycenterbuiltin"  # the Defender for Cloud default initiative's assignment name


@rule(id="defender.benchmark_policies_enforced", title="Microsoft cloud security benchmark policies disabled",
      severity="medium", kind="posture",
      rationale="The default Defender for Cloud initiative drives its recommendations; policies set to Disabled "
                "(or an assignment that does not enforce) silently remove checks.",
      remediation="Defender for Cloud > Environment settings > Security policies: set the benchmark's policies "
                  "back to their default effects and the assignment's enforcement to Default.",
      types=("azure.authorization.policy_assignment",), reads=("enforcement_mode", "disabled_effects"))
def benchmark_policies_enforced(res: Any, ctx: RuleContext) -> Result | None:
    name = (res.config or {}).get("name") if isinstance(getattr(res, "config", None), dict) else None
    if str(name or res.name or "").lower() != MCSB_ASSIGNMENT:
        return None
    mode, disabled = facet(res, "enforcement_mode"), facet(res, "disabled_effects")
    if mode is MISSING:
        return None
    ev = {"enforcement_mode": mode, "disabled_effects": disabled}
    if str(mode).lower() != "default":
        return Result(FAIL, f"enforcement mode {mode}", ev)
    if disabled:
        return Result(FAIL, f"policies disabled: {', '.join(disabled)}", ev)
    return Result(PASS, "enforced, no policy disabled", ev)


@rule(id="entra.ca_geo_block", title="No conditional access policy blocks sign-ins by location", severity="low",
      kind="posture",
      rationale="Blocking sign-ins from countries the organisation does not operate in removes much of the "
                "password-spray and token-replay traffic.",
      remediation="Create a conditional access policy: all users, all apps, locations = any except the allowed "
                  "countries (named locations), grant = block.",
      types=CONDITIONAL_ACCESS, reads=("ca_policies",))
def ca_geo_block(res: Any, ctx: RuleContext) -> Result | None:
    policies = facet(res, "ca_policies")
    if policies is MISSING:
        return None
    if policies is None:
        return unknown("conditional access policies")
    hits = [p.get("name") for p in policies if p.get("enabled") and p.get("block") and p.get("locations")]
    return Result(PASS, f"location block by {', '.join(map(str, hits))}", {"policies": hits}) if hits else \
        Result(FAIL, "no enabled policy blocks by location")


GLOBAL_ADMIN_MAX = 4  # "fewer than 5"


@rule(id="entra.global_admin_count", title="Five or more Global Administrators", severity="medium", kind="posture",
      rationale="Every Global Administrator can take over the whole tenant; keep the number small.",
      remediation="Remove Global Administrator from users who do not need it; use narrower roles and PIM.",
      types=("azure.entra.directory_settings",), reads=("global_admins",))
def global_admin_count(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "global_admins")
    if v is MISSING:
        return None
    if v is None:
        return unknown("Global Administrator members")
    return Result(PASS if v <= GLOBAL_ADMIN_MAX else FAIL, f"{v} Global Administrator user(s)", {"global_admins": v})


@rule(id="entra.users_create_m365_groups", title="Non-admin users can create Microsoft 365 groups", severity="low",
      kind="posture", rationale="Uncontrolled Microsoft 365 groups spread data and guest access outside governance.",
      remediation="Group settings: set EnableGroupCreation = false (Group.Unified) and allow a specific group only.",
      types=("azure.entra.directory_settings",), reads=("users_can_create_unified_groups",))
def users_create_m365_groups(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "users_can_create_unified_groups", "Microsoft 365 group creation setting", False,
                 "users cannot create Microsoft 365 groups", "users can create Microsoft 365 groups")


@rule(id="entra.users_without_mfa", title="Directory members not registered for MFA", severity="high",
      kind="posture", rationale="A member without a second factor falls to one phished or sprayed password.",
      remediation="Require MFA registration (security defaults or a registration campaign / conditional access) and "
                  "follow up on the listed members.",
      types=("azure.entra.mfa_registration",), reads=("users_without_mfa",))
def users_without_mfa(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "users_without_mfa")
    if v is MISSING:
        return None
    if v is None:
        return unknown("MFA registration")
    ev = {"users_without_mfa": v, "admins_without_mfa": res.facets.get("admins_without_mfa")}
    return Result(FAIL, f"{v} member(s) without MFA", ev) if v else Result(PASS, "every member registered MFA", ev)
