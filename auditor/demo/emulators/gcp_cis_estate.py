"""The CIS slice of the GCP estate: log sinks, log-based metrics, alert policies, Cloud DNS
zones, API keys, SSL policies and the proxies that use them (REST JSON of their discovery
documents), plus ``cis_estate()``: one project that breaks every CIS control we judge and its
safe twin, for the collection tests.
"""

from __future__ import annotations

from typing import Any

from auditor.demo.emulators.gcp_estate import (
    COMPUTE_URL, SAMPLE_ORG, GcpEstate, GcpProject, _num, bucket, instance, network, policy, service_account,
    sa_key, subnetwork, firewall,
)

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
ALL_AUDIT = [{"logType": t} for t in ("ADMIN_READ", "DATA_READ", "DATA_WRITE")]

# The CIS benchmark's own filters (section 2), as an operator would paste them.
CIS_FILTERS: dict[str, str] = {
    "project_ownership": (
        '(protoPayload.serviceName="cloudresourcemanager.googleapis.com") AND (ProjectOwnership OR '
        'projectOwnerInvitee) OR (protoPayload.serviceData.policyDelta.bindingDeltas.action="REMOVE" AND '
        'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner") OR '
        '(protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD" AND '
        'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner")'),
    "audit_config": 'protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.auditConfigDeltas:*',
    "custom_role": ('resource.type="iam_role" AND (protoPayload.methodName="google.iam.admin.v1.CreateRole" OR '
                    'protoPayload.methodName="google.iam.admin.v1.DeleteRole" OR '
                    'protoPayload.methodName="google.iam.admin.v1.UpdateRole")'),
    "firewall": ('resource.type="gce_firewall_rule" AND (protoPayload.methodName:"compute.firewalls.patch" OR '
                 'protoPayload.methodName:"compute.firewalls.insert" OR protoPayload.methodName:"compute.firewalls.delete")'),
    "route": ('resource.type="gce_route" AND (protoPayload.methodName:"compute.routes.delete" OR '
              'protoPayload.methodName:"compute.routes.insert")'),
    "network": ('resource.type="gce_network" AND (protoPayload.methodName:"compute.networks.insert" OR '
                'protoPayload.methodName:"compute.networks.patch" OR protoPayload.methodName:"compute.networks.delete" OR '
                'protoPayload.methodName:"compute.networks.removePeering" OR '
                'protoPayload.methodName:"compute.networks.addPeering")'),
    "bucket_iam": 'resource.type="gcs_bucket" AND protoPayload.methodName="storage.setIamPermissions"',
    "sql_config": 'protoPayload.methodName="cloudsql.instances.update"',
}


def _sink(name: str, destination: str, writer: str, filter_: str, disabled: bool) -> dict[str, Any]:
    s: dict[str, Any] = {
        "name": name,
        "destination": destination,
        "disabled": disabled,
        "writerIdentity": f"serviceAccount:{writer}@gcp-sa-logging.iam.gserviceaccount.com",
        "createTime": "2025-01-10T09:00:00Z",
        "updateTime": "2025-01-10T09:00:00Z",
    }
    if filter_:
        s["filter"] = filter_
    return s


def log_sink(project: GcpProject, name: str, destination: str, *, filter_: str = "", disabled: bool = False
             ) -> dict[str, Any]:
    s = _sink(name, destination, f"service-{project.number}", filter_, disabled)
    project.log_sinks.append(s)
    return s


def hierarchy_sink(estate: GcpEstate, parent: str, name: str, destination: str, *, filter_: str = "",
                   include_children: bool = True) -> dict[str, Any]:
    """An aggregated sink of a folder or the organisation (covers child projects with includeChildren)."""
    kind, _, num = parent.partition("/")
    s = _sink(name, destination, f"service-{'org' if kind == 'organizations' else 'folder'}-{num}", filter_, False)
    s["includeChildren"] = include_children
    estate.hierarchy_sinks.setdefault(parent, []).append(s)
    return s


def log_metric(project: GcpProject, name: str, filter_: str) -> dict[str, Any]:
    m = {
        "name": name,
        "filter": filter_,
        "description": f"CIS monitoring: {name}",
        "metricDescriptor": {"name": f"projects/{project.project_id}/metricDescriptors/logging.googleapis.com/user/{name}",
                             "type": f"logging.googleapis.com/user/{name}", "metricKind": "DELTA",
                             "valueType": "INT64", "unit": "1"},
        "createTime": "2025-01-10T09:00:00Z",
        "updateTime": "2025-01-10T09:00:00Z",
    }
    project.log_metrics.append(m)
    return m


def alert_policy(project: GcpProject, display: str, metric: str, *, enabled: bool = True) -> dict[str, Any]:
    pid = _num(project.project_id + display)
    p = {
        "name": f"projects/{project.project_id}/alertPolicies/{pid}",
        "displayName": display,
        "combiner": "OR",
        "enabled": enabled,
        "conditions": [{
            "name": f"projects/{project.project_id}/alertPolicies/{pid}/conditions/{_num(display)}",
            "displayName": f"{metric} > 0",
            "conditionThreshold": {
                "filter": f'resource.type = "global" AND metric.type = "logging.googleapis.com/user/{metric}"',
                "comparison": "COMPARISON_GT", "thresholdValue": 0, "duration": "0s",
                "aggregations": [{"alignmentPeriod": "60s", "perSeriesAligner": "ALIGN_COUNT"}],
                "trigger": {"count": 1}},
        }],
        "notificationChannels": [f"projects/{project.project_id}/notificationChannels/{_num(display + 'ch')}"],
    }
    project.alert_policies.append(p)
    return p


def dns_zone(project: GcpProject, name: str, dns_name: str, *, visibility: str = "public", dnssec: str = "on",
             ksk: str = "rsasha256", zsk: str = "rsasha256") -> dict[str, Any]:
    z: dict[str, Any] = {
        "kind": "dns#managedZone",
        "name": name,
        "dnsName": dns_name,
        "description": "",
        "id": _num(project.project_id + name),
        "creationTime": "2025-01-10T09:00:00.000Z",
        "visibility": visibility,
        "nameServers": [f"ns-cloud-a{i}.googledomains.com." for i in (1, 2)],
    }
    if visibility == "public":
        z["dnssecConfig"] = {"kind": "dns#managedZoneDnsSecConfig", "state": dnssec, "nonExistence": "nsec3",
                             "defaultKeySpecs": [
                                 {"kind": "dns#dnsKeySpec", "keyType": "keySigning", "algorithm": ksk, "keyLength": 2048},
                                 {"kind": "dns#dnsKeySpec", "keyType": "zoneSigning", "algorithm": zsk, "keyLength": 1024}]}
    project.dns_zones.append(z)
    return z


def dns_policy(project: GcpProject, name: str, networks: list[dict[str, Any]], *, logging: bool) -> dict[str, Any]:
    p = {"kind": "dns#policy", "id": _num(project.project_id + name), "name": name, "description": "",
         "enableLogging": logging, "enableInboundForwarding": False,
         "networks": [{"kind": "dns#policyNetwork", "networkUrl": net["selfLink"]} for net in networks]}
    project.dns_policies.append(p)
    return p


def api_key(project: GcpProject, uid: str, created: str, *, services: list[str] | None = None,
            referrers: list[str] | None = None) -> dict[str, Any]:
    k: dict[str, Any] = {
        "name": f"projects/{project.number}/locations/global/keys/{uid}",
        "uid": uid,
        "displayName": f"key {uid[:8]}",
        "createTime": created,
        "updateTime": created,
        "etag": f'W/"{uid[:12]}"',
    }
    restrictions: dict[str, Any] = {}
    if services:
        restrictions["apiTargets"] = [{"service": s} for s in services]
    if referrers:
        restrictions["browserKeyRestrictions"] = {"allowedReferrers": list(referrers)}
    if restrictions:
        k["restrictions"] = restrictions
    project.api_keys.append(k)
    return k


def ssl_policy(project: GcpProject, name: str, *, profile: str, min_tls: str,
               custom: list[str] | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {
        "kind": "compute#sslPolicy",
        "id": _num(project.project_id + name),
        "creationTimestamp": "2025-01-10T09:00:00.000-08:00",
        "name": name,
        "selfLink": f"{COMPUTE_URL}/projects/{project.project_id}/global/sslPolicies/{name}",
        "profile": profile,
        "minTlsVersion": min_tls,
        "fingerprint": "sslfp=",
    }
    if custom is not None:
        p["customFeatures"] = list(custom)
    project.ssl_policies.append(p)
    return p


def https_proxy(project: GcpProject, name: str, *, ssl_policy_: dict[str, Any] | None,
                region: str | None = None) -> dict[str, Any]:
    pid = project.project_id
    where = f"regions/{region}" if region else "global"
    p: dict[str, Any] = {
        "kind": "compute#targetHttpsProxy",
        "id": _num(pid + where + name),
        "creationTimestamp": "2025-01-10T09:00:00.000-08:00",
        "name": name,
        "selfLink": f"{COMPUTE_URL}/projects/{pid}/{where}/targetHttpsProxies/{name}",
        "urlMap": f"{COMPUTE_URL}/projects/{pid}/{where}/urlMaps/{name}-map",
        "sslCertificates": [f"{COMPUTE_URL}/projects/{pid}/{where}/sslCertificates/{name}-cert"],
        "quicOverride": "NONE",
        "fingerprint": "pxfp=",
    }
    if region:
        p["region"] = f"{COMPUTE_URL}/projects/{pid}/regions/{region}"
    if ssl_policy_ is not None:
        p["sslPolicy"] = ssl_policy_["selfLink"]
    project.https_proxies.append(p)
    return p


def ssl_proxy(project: GcpProject, name: str, *, ssl_policy_: dict[str, Any] | None) -> dict[str, Any]:
    pid = project.project_id
    p: dict[str, Any] = {
        "kind": "compute#targetSslProxy",
        "id": _num(pid + name),
        "creationTimestamp": "2025-01-10T09:00:00.000-08:00",
        "name": name,
        "selfLink": f"{COMPUTE_URL}/projects/{pid}/global/targetSslProxies/{name}",
        "service": f"{COMPUTE_URL}/projects/{pid}/global/backendServices/{name}-be",
        "sslCertificates": [f"{COMPUTE_URL}/projects/{pid}/global/sslCertificates/{name}-cert"],
        "proxyHeader": "NONE",
    }
    if ssl_policy_ is not None:
        p["sslPolicy"] = ssl_policy_["selfLink"]
    project.ssl_proxies.append(p)
    return p


def backend_service(project: GcpProject, name: str, *, protocol: str = "HTTPS", logging: bool) -> dict[str, Any]:
    pid = project.project_id
    b: dict[str, Any] = {
        "kind": "compute#backendService",
        "id": _num(pid + name),
        "creationTimestamp": "2025-01-10T09:00:00.000-08:00",
        "name": name,
        "selfLink": f"{COMPUTE_URL}/projects/{pid}/global/backendServices/{name}",
        "protocol": protocol,
        "loadBalancingScheme": "EXTERNAL_MANAGED",
        "port": 443 if protocol == "HTTPS" else 80,
        "portName": "http",
        "timeoutSec": 30,
        "healthChecks": [f"{COMPUTE_URL}/projects/{pid}/global/healthChecks/{name}-hc"],
        "sessionAffinity": "NONE",
        "logConfig": {"enable": logging, **({"sampleRate": 1.0} if logging else {})},
        "fingerprint": "befp=",
    }
    project.backend_services.append(b)
    return b


def contact(estate: GcpEstate, email: str, *categories: str) -> dict[str, Any]:
    org = (estate.organization or {}).get("name", SAMPLE_ORG)
    c = {"name": f"{org}/contacts/{_num(email)}", "email": email, "languageTag": "en",
         "notificationCategorySubscriptions": list(categories), "validationState": "VALID",
         "validateTime": "2025-01-10T09:00:00Z"}
    estate.org_contacts.append(c)
    return c


def monitor_everything(project: GcpProject, *, skip: tuple[str, ...] = (), unalerted: tuple[str, ...] = ()) -> None:
    """A metric per CIS filter, each with an enabled alert policy (bar ``unalerted``)."""
    for concern, text in CIS_FILTERS.items():
        if concern in skip:
            continue
        log_metric(project, f"cis-{concern.replace('_', '-')}", text)
        if concern not in unalerted:
            alert_policy(project, f"CIS {concern}", f"cis-{concern.replace('_', '-')}")


# ---------------------------------------------------------------- the sample estate's CIS slice


def seed_cis(estate: GcpEstate) -> None:
    """Give the sample estate's projects the CIS-relevant settings (mixed, as real estates are)."""
    ml, data = estate.project("ml-prod"), estate.project("data-lake")
    assert ml is not None and data is not None
    ml.iam_policy["auditConfigs"] = [{"service": "allServices", "auditLogConfigs": list(ALL_AUDIT)}]
    log_sink(ml, "all-to-gcs", "storage.googleapis.com/ml-prod-logs")
    log_sink(data, "errors-only", f"logging.googleapis.com/projects/{data.project_id}/locations/global/buckets/errors",
             filter_="severity>=ERROR")
    monitor_everything(ml, unalerted=("sql_config",))
    log_metric(data, "firewall-changes", CIS_FILTERS["firewall"])
    dns_policy(ml, "log-queries", [n for n in ml.networks if n["name"] == "ml-vpc"], logging=True)
    dns_zone(ml, "ml-public", "ml.example.com.")
    dns_zone(data, "data-public", "data.example.com.", dnssec="off")
    dns_zone(data, "data-legacy", "legacy.example.com.", ksk="rsasha1", zsk="rsasha1")
    api_key(ml, "8c7f9a3e-0d0e-4b0a-9c3c-6a9a1f7e2b11", "2026-01-05T10:00:00Z", services=["maps-backend.googleapis.com"])
    api_key(data, "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9", "2024-03-01T10:00:00Z")
    modern = ssl_policy(ml, "modern-tls12", profile="MODERN", min_tls="TLS_1_2")
    https_proxy(ml, "ml-api", ssl_policy_=modern)
    https_proxy(data, "data-portal", ssl_policy_=None)
    ssl_proxy(data, "data-tcp", ssl_policy_=ssl_policy(data, "compat", profile="COMPATIBLE", min_tls="TLS_1_0"))
    backend_service(ml, "ml-api-be", logging=True)
    backend_service(data, "data-portal-be", logging=False)
    ml.extra_services.append("cloudasset.googleapis.com")
    contact(estate, "secops@example.com", "SECURITY", "TECHNICAL_INCIDENTS")
    # folders/111 (ml) exports everything below it to a central bucket of ml-prod
    hierarchy_sink(estate, "folders/111", "ml-folder-all", "storage.googleapis.com/ml-prod-logs")
    hierarchy_sink(estate, SAMPLE_ORG, "org-audit-only", "logging.googleapis.com/projects/ml-prod/locations/global/"
                   "buckets/org-audit", filter_='logName:"cloudaudit.googleapis.com"')


# ---------------------------------------------------------------- unsafe / safe twins for the tests


def _twin(project_id: str, number: str, unsafe: bool) -> GcpProject:
    p = GcpProject(project_id, number, SAMPLE_ORG)
    pid = p.project_id
    default_sa = f"{number}-compute@developer.gserviceaccount.com"
    app = service_account(p, "app")
    ops = service_account(p, "ops")
    if unsafe:
        p.iam_policy = policy(("roles/owner", ["user:root@example.com"]),
                              ("roles/iam.serviceAccountUser", ["user:dev@example.com"]),
                              ("roles/iam.serviceAccountAdmin", ["user:dev@example.com"]),
                              ("roles/iam.serviceAccountTokenCreator", ["group:ci@example.com"]),
                              ("roles/compute.admin", [f"serviceAccount:{app['email']}"]))
        p.iam_policy["auditConfigs"] = [{"service": "allServices", "auditLogConfigs": [
            {"logType": "ADMIN_READ"}, {"logType": "DATA_READ", "exemptedMembers": ["user:dev@example.com"]}]}]
        sa_key(p, app["email"], "a" * 40, "2024-01-01T00:00:00Z")
    else:
        p.iam_policy = policy(("roles/owner", ["group:admins@example.com"]),
                              ("roles/iam.serviceAccountAdmin", ["group:iam-admins@example.com"]),
                              ("roles/logging.viewer", [f"serviceAccount:{app['email']}"]))
        p.iam_policy["auditConfigs"] = [{"service": "allServices", "auditLogConfigs": list(ALL_AUDIT)}]
        # impersonation granted on one service account, not project-wide
        p.sa_policies[ops["email"]] = policy(("roles/iam.serviceAccountUser", ["user:dev@example.com"]))
    p.common_metadata = ([{"key": "enable-oslogin", "value": "FALSE"}, {"key": "ssh-keys", "value": "u:ssh-rsa AAAA u"}]
                         if unsafe else [{"key": "enable-oslogin", "value": "TRUE"}])
    net = network(p, "default" if unsafe else "prod-vpc", auto=unsafe)
    if unsafe:
        legacy = {"kind": "compute#network", "id": _num(pid + "legacy"), "name": "legacy",
                  "creationTimestamp": "2014-01-10T09:00:00.000-08:00", "IPv4Range": "10.240.0.0/16",
                  "gatewayIPv4": "10.240.0.1", "selfLink": f"{COMPUTE_URL}/projects/{pid}/global/networks/legacy"}
        p.networks.append(legacy)
    dns_policy(p, "dns", [net], logging=not unsafe)
    sn = subnetwork(p, net, "europe-west1", "main", "10.50.0.0/20", private_google_access=not unsafe,
                    flow_logs=not unsafe)
    firewall(p, net, "ssh", ranges=["0.0.0.0/0"] if unsafe else ["35.235.240.0/20"], allowed=[("tcp", ["22", "3389"])])
    logs = f"{pid}-audit-logs"
    bucket(p, logs, "EU", "multi-region", uniform=not unsafe, retention_s="31536000")
    if not unsafe:
        p.buckets[-1]["retentionPolicy"]["isLocked"] = True
    if unsafe:
        log_sink(p, "errors", f"storage.googleapis.com/{logs}", filter_="severity>=ERROR")
        log_sink(p, "paused-all", f"storage.googleapis.com/{logs}", disabled=True)
        monitor_everything(p, skip=("audit_config", "route", "bucket_iam", "sql_config"),
                           unalerted=("project_ownership", "custom_role", "firewall", "network"))
    else:
        log_sink(p, "everything-gcs", f"storage.googleapis.com/{logs}")
        monitor_everything(p)
    if unsafe:
        inst = instance(p, "europe-west1-b", "vm", sn, external_ip="34.76.1.2", service_account=default_sa,
                        scopes=[CLOUD_PLATFORM], metadata={"serial-port-enable": "TRUE"}, shielded=False)
        inst["canIpForward"] = True
    else:
        inst = instance(p, "europe-west1-b", "vm", sn, service_account=app["email"],
                        scopes=["https://www.googleapis.com/auth/logging.write"],
                        metadata={"block-project-ssh-keys": "TRUE"})
        inst["confidentialInstanceConfig"] = {"enableConfidentialCompute": True}
        for d in inst["disks"]:
            d["diskEncryptionKey"] = {"sha256": "DnDuD+UkEb1ixCO2tnGtpuHhk8KXb8KeVmDe4NUX5WY="}
    dns_zone(p, "public", f"{pid}.example.com.", dnssec="on", ksk="rsasha1" if unsafe else "rsasha256",
             zsk="rsasha1" if unsafe else "ecdsap256sha256")
    if unsafe:
        dns_zone(p, "unsigned", f"unsigned.{pid}.example.com.", dnssec="off")
    dns_zone(p, "internal", "corp.internal.", visibility="private")
    if unsafe:
        api_key(p, "0a1b2c3d-0000-4000-8000-000000000001", "2024-01-01T00:00:00Z")
    else:
        api_key(p, "0a1b2c3d-0000-4000-8000-000000000002", _recent(), services=["translate.googleapis.com"],
                referrers=["https://app.example.com/*"])
    backend_service(p, "web-be", logging=not unsafe)
    if not unsafe:
        p.extra_services.append("cloudasset.googleapis.com")
        p.access_approval = {"enrolledServices": [{"cloudProduct": "all", "enrollmentLevel": "BLOCK_ALL"}],
                             "notificationEmails": ["approvers@example.com"]}
    if unsafe:
        https_proxy(p, "web", ssl_policy_=None)
        https_proxy(p, "web-eu", ssl_policy_=None, region="europe-west1")  # regional external LB
        ssl_proxy(p, "tcp", ssl_policy_=ssl_policy(p, "weak", profile="CUSTOM", min_tls="TLS_1_2",
                                                     custom=["TLS_RSA_WITH_AES_128_CBC_SHA",
                                                             "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]))
    else:
        strong = ssl_policy(p, "strong", profile="RESTRICTED", min_tls="TLS_1_2")
        https_proxy(p, "web", ssl_policy_=strong)
        ssl_proxy(p, "tcp", ssl_policy_=strong)
    return p


def _recent() -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")


def cis_estate() -> GcpEstate:
    """Project ``cis-unsafe`` breaks every judged CIS control; ``cis-safe`` is its compliant twin, and
    ``cis-keyless`` an empty project (compliance with "no API keys" is having none) without Access
    Transparency."""
    org = {"name": SAMPLE_ORG, "displayName": "example.com", "directoryCustomerId": "C0abc123",
           "state": "ACTIVE", "createTime": "2020-01-01T00:00:00Z", "etag": "W/org"}
    estate = GcpEstate(projects=[_twin("cis-unsafe", "200000000001", True), _twin("cis-safe", "200000000002", False),
                                 # no Access Transparency: Access Approval answers FAILED_PRECONDITION
                                 GcpProject("cis-keyless", "200000000003", SAMPLE_ORG, access_transparency=False)],
                       organization=org, zones=["europe-west1-b"], page_size=2)
    contact(estate, "secops@example.com", "SECURITY", "TECHNICAL", "TECHNICAL_INCIDENTS")
    contact(estate, "legal@example.com", "LEGAL", "SUSPENSION")
    return estate
