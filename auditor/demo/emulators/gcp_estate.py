"""A declarative GCP estate: what the loopback fake serves.

Each resource is stored in the REST JSON shape of its discovery document, so the fake can
serve it verbatim (and validate it). Builders below keep seeds short and realistic; the
``sample_estate()`` is shared by the tests and by ``auditor demo``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COMPUTE_URL = "https://www.googleapis.com/compute/v1"
SAMPLE_ORG = "organizations/123456789012"


@dataclass
class GcpProject:
    project_id: str
    number: str
    parent: str  # "organizations/N" or "folders/N"
    state: str = "ACTIVE"  # ACTIVE | DELETE_REQUESTED
    iam_policy: dict[str, Any] = field(default_factory=dict)
    common_metadata: list[dict[str, str]] = field(default_factory=list)  # project metadata items
    buckets: list[dict[str, Any]] = field(default_factory=list)
    bucket_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    instances: list[dict[str, Any]] = field(default_factory=list)
    disks: list[dict[str, Any]] = field(default_factory=list)
    networks: list[dict[str, Any]] = field(default_factory=list)
    subnetworks: list[dict[str, Any]] = field(default_factory=list)
    firewalls: list[dict[str, Any]] = field(default_factory=list)
    routes: list[dict[str, Any]] = field(default_factory=list)
    service_accounts: list[dict[str, Any]] = field(default_factory=list)
    sa_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # email -> Policy
    sa_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # email -> keys
    pools: list[dict[str, Any]] = field(default_factory=list)
    providers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # pool name -> providers
    # CIS slice (gcp_cis_estate.py builds these): logging, monitoring, DNS, API keys, TLS policies
    log_sinks: list[dict[str, Any]] = field(default_factory=list)
    log_metrics: list[dict[str, Any]] = field(default_factory=list)
    alert_policies: list[dict[str, Any]] = field(default_factory=list)
    dns_zones: list[dict[str, Any]] = field(default_factory=list)
    dns_policies: list[dict[str, Any]] = field(default_factory=list)
    api_keys: list[dict[str, Any]] = field(default_factory=list)
    ssl_policies: list[dict[str, Any]] = field(default_factory=list)
    https_proxies: list[dict[str, Any]] = field(default_factory=list)
    ssl_proxies: list[dict[str, Any]] = field(default_factory=list)
    backend_services: list[dict[str, Any]] = field(default_factory=list)
    extra_services: list[str] = field(default_factory=list)  # enabled beyond the APIs the fake serves
    # Access Approval v1 AccessApprovalSettings fields (name added by the fake); {} = never enrolled.
    # access_transparency False: the API answers FAILED_PRECONDITION, as it does without Access Transparency.
    access_approval: dict[str, Any] = field(default_factory=dict)
    access_transparency: bool = True
    # ML platform (gcp_ml_estate.py builds these): Vertex AI, Workbench, GKE
    vertex_models: list[dict[str, Any]] = field(default_factory=list)
    vertex_endpoints: list[dict[str, Any]] = field(default_factory=list)
    custom_jobs: list[dict[str, Any]] = field(default_factory=list)
    pipeline_jobs: list[dict[str, Any]] = field(default_factory=list)
    workbench: list[dict[str, Any]] = field(default_factory=list)
    gke_clusters: list[dict[str, Any]] = field(default_factory=list)
    repositories: list[dict[str, Any]] = field(default_factory=list)  # Artifact Registry
    repository_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # repository name -> Policy
    # data stores and keys (issue 17; gcp_data_estate.py builds them)
    vertex_datasets: list[dict[str, Any]] = field(default_factory=list)
    featurestores: list[dict[str, Any]] = field(default_factory=list)
    feature_online_stores: list[dict[str, Any]] = field(default_factory=list)
    vertex_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # feature store name -> Policy
    sql_instances: list[dict[str, Any]] = field(default_factory=list)  # sqladmin DatabaseInstance
    bq_datasets: list[dict[str, Any]] = field(default_factory=list)  # full BigQuery Dataset (datasets.get)
    bq_tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # dataset id -> Table (tables.get)
    key_rings: list[dict[str, Any]] = field(default_factory=list)
    crypto_keys: list[dict[str, Any]] = field(default_factory=list)
    key_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # key or key ring name -> Policy
    dataproc_clusters: list[dict[str, Any]] = field(default_factory=list)  # Dataproc v1 Cluster (region in labels)


@dataclass
class GcpEstate:
    """The whole fake world plus the switches that make parts of it fail."""

    projects: list[GcpProject]
    organization: dict[str, Any] | None = None  # CRM v3 Organization JSON
    org_policy: dict[str, Any] = field(default_factory=dict)
    folders: list[dict[str, Any]] = field(default_factory=list)  # CRM v3 Folder JSON
    folder_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    org_contacts: list[dict[str, Any]] = field(default_factory=list)  # Essential Contacts of the organisation
    hierarchy_sinks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # folders/N|organizations/N
    zones: list[str] = field(default_factory=list)  # every zone aggregated lists report
    page_size: int = 2
    # failure switches
    disabled_apis: dict[str, set[str]] = field(default_factory=dict)  # project id -> {"compute.googleapis.com"}
    unreachable_zones: set[str] = field(default_factory=set)
    denied: set[tuple[str, str]] = field(default_factory=set)  # (project id, method id) -> 403
    throttled: dict[str, int] = field(default_factory=dict)  # method id -> number of 429s to answer

    def project(self, key: str) -> GcpProject | None:
        """Look a project up by id, number or ``projects/N`` name."""
        key = key.removeprefix("projects/")
        for p in self.projects:
            if key in (p.project_id, p.number):
                return p
        return None

    def regions(self) -> list[str]:
        return sorted({z.rsplit("-", 1)[0] for z in self.zones})


# ---------------------------------------------------------------- builders (REST JSON shapes)


def _num(seed: str) -> str:
    """A stable 19-digit resource id derived from a name (ids are uint64 strings)."""
    import hashlib

    return str(int(hashlib.sha256(seed.encode()).hexdigest()[:15], 16))


def policy(*bindings: tuple[str, list[str]], etag: str = "BwYFake0000=") -> dict[str, Any]:
    return {"version": 1, "etag": etag, "bindings": [{"role": r, "members": list(m)} for r, m in bindings]}


def bucket(project: GcpProject, name: str, location: str, location_type: str, *, data_locations: list[str] | None = None,
           uniform: bool = True, pap: str = "inherited", kms_key: str | None = None, versioning: bool = False,
           log_bucket: str | None = None, retention_s: str | None = None, labels: dict[str, str] | None = None,
           ) -> dict[str, Any]:
    b: dict[str, Any] = {
        "kind": "storage#bucket",
        "id": name,
        "name": name,
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "projectNumber": project.number,
        "metageneration": "1",
        "location": location,
        "locationType": location_type,
        "storageClass": "STANDARD",
        "etag": "CAE=",
        "timeCreated": "2025-03-01T10:00:00.000Z",
        "updated": "2025-03-01T10:00:00.000Z",
        "rpo": "DEFAULT",
        "iamConfiguration": {
            "bucketPolicyOnly": {"enabled": uniform},
            "uniformBucketLevelAccess": {"enabled": uniform},
            "publicAccessPrevention": pap,
        },
        "softDeletePolicy": {"retentionDurationSeconds": "604800", "effectiveTime": "2025-03-01T10:00:00.000Z"},
    }
    if data_locations:
        b["customPlacementConfig"] = {"dataLocations": data_locations}
    if kms_key:
        b["encryption"] = {"defaultKmsKeyName": kms_key}
    b["versioning"] = {"enabled": versioning}
    if log_bucket:
        b["logging"] = {"logBucket": log_bucket, "logObjectPrefix": name}
    if retention_s:
        b["retentionPolicy"] = {"retentionPeriod": retention_s, "effectiveTime": "2025-03-01T10:00:00.000Z"}
    if labels:
        b["labels"] = dict(labels)
    project.buckets.append(b)
    return b


def network(project: GcpProject, name: str, *, auto: bool = False) -> dict[str, Any]:
    n = {
        "kind": "compute#network",
        "id": _num(project.project_id + name),
        "creationTimestamp": "2025-01-10T09:00:00.000-08:00",
        "name": name,
        "selfLink": f"{COMPUTE_URL}/projects/{project.project_id}/global/networks/{name}",
        "autoCreateSubnetworks": auto,
        "routingConfig": {"routingMode": "REGIONAL"},
        "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL",
    }
    project.networks.append(n)
    return n


def subnetwork(project: GcpProject, net: dict[str, Any], region: str, name: str, cidr: str, *,
               private_google_access: bool, flow_logs: bool) -> dict[str, Any]:
    s: dict[str, Any] = {
        "kind": "compute#subnetwork",
        "id": _num(project.project_id + region + name),
        "creationTimestamp": "2025-01-10T09:00:00.000-08:00",
        "name": name,
        "network": net["selfLink"],
        "ipCidrRange": cidr,
        "gatewayAddress": cidr.split("/")[0][:-1] + "1",
        "region": f"{COMPUTE_URL}/projects/{project.project_id}/regions/{region}",
        "selfLink": f"{COMPUTE_URL}/projects/{project.project_id}/regions/{region}/subnetworks/{name}",
        "privateIpGoogleAccess": private_google_access,
        "stackType": "IPV4_ONLY",
        "purpose": "PRIVATE",
        "fingerprint": "fp-" + name,
    }
    if flow_logs:
        s["enableFlowLogs"] = True
        s["logConfig"] = {"enable": True, "aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 0.5,
                          "metadata": "INCLUDE_ALL_METADATA"}
    else:
        s["logConfig"] = {"enable": False}
    project.subnetworks.append(s)
    return s


def firewall(project: GcpProject, net: dict[str, Any], name: str, *, direction: str = "INGRESS",
             ranges: list[str] | None = None, allowed: list[tuple[str, list[str]]] | None = None,
             denied: list[tuple[str, list[str]]] | None = None, priority: int = 1000,
             target_tags: list[str] | None = None, disabled: bool = False) -> dict[str, Any]:
    f: dict[str, Any] = {
        "kind": "compute#firewall",
        "id": _num(project.project_id + name),
        "creationTimestamp": "2025-01-10T09:00:00.000-08:00",
        "name": name,
        "network": net["selfLink"],
        "priority": priority,
        "direction": direction,
        "disabled": disabled,
        "logConfig": {"enable": False},
        "selfLink": f"{COMPUTE_URL}/projects/{project.project_id}/global/firewalls/{name}",
    }
    f["sourceRanges" if direction == "INGRESS" else "destinationRanges"] = list(ranges or ["0.0.0.0/0"])
    if allowed is not None:
        f["allowed"] = [{"IPProtocol": p, **({"ports": ports} if ports else {})} for p, ports in allowed]
    if denied is not None:
        f["denied"] = [{"IPProtocol": p, **({"ports": ports} if ports else {})} for p, ports in denied]
    if target_tags:
        f["targetTags"] = list(target_tags)
    project.firewalls.append(f)
    return f


def route(project: GcpProject, net: dict[str, Any], name: str, dest: str, *, internet: bool = True,
          priority: int = 1000) -> dict[str, Any]:
    r: dict[str, Any] = {
        "kind": "compute#route",
        "id": _num(project.project_id + name),
        "creationTimestamp": "2025-01-10T09:00:00.000-08:00",
        "name": name,
        "network": net["selfLink"],
        "destRange": dest,
        "priority": priority,
        "routeType": "STATIC",
        "selfLink": f"{COMPUTE_URL}/projects/{project.project_id}/global/routes/{name}",
    }
    if internet:
        r["nextHopGateway"] = f"{COMPUTE_URL}/projects/{project.project_id}/global/gateways/default-internet-gateway"
    else:
        r["nextHopIp"] = "10.0.0.250"
    project.routes.append(r)
    return r


def disk(project: GcpProject, zone: str, name: str, *, size_gb: str = "10", kms_key: str | None = None,
         users: list[str] | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "kind": "compute#disk",
        "id": _num(project.project_id + zone + name),
        "creationTimestamp": "2025-02-01T09:00:00.000-08:00",
        "name": name,
        "sizeGb": size_gb,
        "zone": f"{COMPUTE_URL}/projects/{project.project_id}/zones/{zone}",
        "status": "READY",
        "selfLink": f"{COMPUTE_URL}/projects/{project.project_id}/zones/{zone}/disks/{name}",
        "type": f"{COMPUTE_URL}/projects/{project.project_id}/zones/{zone}/diskTypes/pd-balanced",
        "physicalBlockSizeBytes": "4096",
        "labelFingerprint": "42WmSpB8rSM=",
        "lastAttachTimestamp": "2025-02-01T09:01:00.000-08:00",
    }
    if kms_key:
        d["diskEncryptionKey"] = {"kmsKeyName": kms_key + "/cryptoKeyVersions/1", "kmsKeyServiceAccount": "svc@example.iam"}
    if users:
        d["users"] = list(users)
    if labels:
        d["labels"] = dict(labels)
    project.disks.append(d)
    return d


def instance(project: GcpProject, zone: str, name: str, subnet: dict[str, Any], *, external_ip: str | None = None,
             service_account: str | None = None, scopes: list[str] | None = None,
             metadata: dict[str, str] | None = None, shielded: bool = True, status: str = "RUNNING",
             machine_type: str = "e2-medium", kms_key: str | None = None, labels: dict[str, str] | None = None,
             tags: list[str] | None = None) -> dict[str, Any]:
    pid = project.project_id
    boot = disk(project, zone, name, kms_key=kms_key,
                users=[f"{COMPUTE_URL}/projects/{pid}/zones/{zone}/instances/{name}"])
    nic: dict[str, Any] = {
        "kind": "compute#networkInterface",
        "name": "nic0",
        "network": subnet["network"],
        "subnetwork": subnet["selfLink"],
        "networkIP": subnet["ipCidrRange"].split("/")[0][:-1] + str(10 + len(project.instances)),
        "stackType": "IPV4_ONLY",
        "fingerprint": "nicfp=",
    }
    if external_ip:
        nic["accessConfigs"] = [{"kind": "compute#accessConfig", "type": "ONE_TO_ONE_NAT", "name": "External NAT",
                                 "natIP": external_ip, "networkTier": "PREMIUM"}]
    attached: dict[str, Any] = {
        "kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE", "source": boot["selfLink"],
        "deviceName": name, "index": 0, "boot": True, "autoDelete": True, "interface": "SCSI", "diskSizeGb": "10",
    }
    if kms_key:
        attached["diskEncryptionKey"] = {"kmsKeyName": kms_key + "/cryptoKeyVersions/1"}
    inst: dict[str, Any] = {
        "kind": "compute#instance",
        "id": _num(pid + zone + name),
        "creationTimestamp": "2025-02-01T09:00:00.000-08:00",
        "name": name,
        "machineType": f"{COMPUTE_URL}/projects/{pid}/zones/{zone}/machineTypes/{machine_type}",
        "status": status,
        "zone": f"{COMPUTE_URL}/projects/{pid}/zones/{zone}",
        "canIpForward": False,
        "networkInterfaces": [nic],
        "disks": [attached],
        "metadata": {"kind": "compute#metadata", "fingerprint": "mdfp=",
                     "items": [{"key": k, "value": v} for k, v in (metadata or {}).items()]},
        "selfLink": f"{COMPUTE_URL}/projects/{pid}/zones/{zone}/instances/{name}",
        "scheduling": {"onHostMaintenance": "MIGRATE", "automaticRestart": True, "preemptible": False,
                       "provisioningModel": "STANDARD"},
        "cpuPlatform": "Intel Broadwell",
        "labelFingerprint": "42WmSpB8rSM=",
        "fingerprint": "instfp=",
        "lastStartTimestamp": "2025-02-01T09:00:30.000-08:00",
        "deletionProtection": False,
        "shieldedInstanceConfig": {"enableSecureBoot": shielded, "enableVtpm": shielded,
                                   "enableIntegrityMonitoring": shielded},
        "tags": {"items": list(tags or []), "fingerprint": "tagsfp="},
    }
    if service_account:
        inst["serviceAccounts"] = [{"email": service_account, "scopes": list(scopes or [
            "https://www.googleapis.com/auth/cloud-platform"])}]
    if labels:
        inst["labels"] = dict(labels)
    project.instances.append(inst)
    return inst


def service_account(project: GcpProject, account_id: str, *, display: str = "", disabled: bool = False,
                    impersonators: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    email = f"{account_id}@{project.project_id}.iam.gserviceaccount.com"
    uid = _num(email)[:18].rjust(21, "1")
    sa = {
        "name": f"projects/{project.project_id}/serviceAccounts/{email}",
        "projectId": project.project_id,
        "uniqueId": uid,
        "email": email,
        "displayName": display or account_id,
        "etag": "MDEwMjE5MjA=",
        "oauth2ClientId": uid,
        "disabled": disabled,
    }
    project.service_accounts.append(sa)
    bindings: dict[str, list[str]] = {}
    for role, member in impersonators or []:
        bindings.setdefault(role, []).append(member)
    project.sa_policies[email] = policy(*bindings.items()) if bindings else {"etag": "ACAB"}
    project.sa_keys.setdefault(email, [])
    return sa


def sa_key(project: GcpProject, email: str, key_id: str, valid_after: str, *, user_managed: bool = True,
           disabled: bool = False) -> dict[str, Any]:
    k: dict[str, Any] = {
        "name": f"projects/{project.project_id}/serviceAccounts/{email}/keys/{key_id}",
        "validAfterTime": valid_after,
        "validBeforeTime": "9999-12-31T23:59:59Z" if user_managed else "2026-12-31T00:00:00Z",
        "keyAlgorithm": "KEY_ALG_RSA_2048",
        "keyOrigin": "GOOGLE_PROVIDED",
        "keyType": "USER_MANAGED" if user_managed else "SYSTEM_MANAGED",
    }
    if disabled:
        k["disabled"] = True
    project.sa_keys.setdefault(email, []).append(k)
    return k


def pool(project: GcpProject, pool_id: str, *, display: str = "", disabled: bool = False) -> dict[str, Any]:
    p = {
        "name": f"projects/{project.number}/locations/global/workloadIdentityPools/{pool_id}",
        "displayName": display or pool_id,
        "description": "",
        "state": "ACTIVE",
        "disabled": disabled,
    }
    project.pools.append(p)
    project.providers.setdefault(p["name"], [])
    return p


def aws_provider(project: GcpProject, pool_: dict[str, Any], provider_id: str, account_id: str, *,
                 condition: str | None = None) -> dict[str, Any]:
    pr: dict[str, Any] = {
        "name": f"{pool_['name']}/providers/{provider_id}",
        "displayName": provider_id,
        "state": "ACTIVE",
        "disabled": False,
        "attributeMapping": {"google.subject": "assertion.arn", "attribute.aws_role":
                             "assertion.arn.extract('assumed-role/{role}/')"},
        "aws": {"accountId": account_id},
    }
    if condition:
        pr["attributeCondition"] = condition
    project.providers[pool_["name"]].append(pr)
    return pr


def oidc_provider(project: GcpProject, pool_: dict[str, Any], provider_id: str, issuer: str, *,
                  audiences: list[str] | None = None, mapping: dict[str, str] | None = None,
                  condition: str | None = None, disabled: bool = False) -> dict[str, Any]:
    pr: dict[str, Any] = {
        "name": f"{pool_['name']}/providers/{provider_id}",
        "displayName": provider_id,
        "state": "ACTIVE",
        "disabled": disabled,
        "attributeMapping": dict(mapping or {"google.subject": "assertion.sub"}),
        "oidc": {"issuerUri": issuer, "allowedAudiences": list(audiences or [])},
    }
    if condition:
        pr["attributeCondition"] = condition
    project.providers[pool_["name"]].append(pr)
    return pr


# ---------------------------------------------------------------- the shared sample estate

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def sample_estate() -> GcpEstate:
    """Three active projects (and one being deleted) under an org and nested folders."""
    org = {"name": SAMPLE_ORG, "displayName": "example.com", "directoryCustomerId": "C0abc123",
           "state": "ACTIVE", "createTime": "2020-01-01T00:00:00Z", "etag": "W/org"}
    folders = [
        {"name": "folders/111", "parent": SAMPLE_ORG, "displayName": "ml", "state": "ACTIVE",
         "createTime": "2021-01-01T00:00:00Z", "etag": "W/f111"},
        {"name": "folders/222", "parent": "folders/111", "displayName": "data", "state": "ACTIVE",
         "createTime": "2021-01-01T00:00:00Z", "etag": "W/f222"},
    ]
    ml = GcpProject("ml-prod", "100000000001", "folders/111")
    data = GcpProject("data-lake", "100000000002", "folders/222")
    web = GcpProject("web-dev", "100000000003", SAMPLE_ORG)
    old = GcpProject("old-sandbox", "100000000004", SAMPLE_ORG, state="DELETE_REQUESTED")
    kms = "projects/ml-prod/locations/europe-west1/keyRings/ring/cryptoKeys/data"

    # --- ml-prod: EU, federation, CMEK
    ml.iam_policy = policy(("roles/owner", ["user:alice@example.com"]),
                           ("roles/viewer", ["group:ml-team@example.com",
                                             "serviceAccount:trainer@ml-prod.iam.gserviceaccount.com"]))
    ml.common_metadata = [{"key": "enable-oslogin", "value": "TRUE"}, {"key": "ssh-keys", "value": "alice:ssh-ed25519 AAAA"}]
    bucket(ml, "ml-prod-features", "EUROPE-WEST1", "region", pap="enforced", kms_key=kms, versioning=True,
           log_bucket="ml-prod-logs", retention_s="2592000", labels={"data-classification": "confidential"})
    bucket(ml, "ml-prod-models", "EU", "dual-region", data_locations=["EUROPE-WEST1", "EUROPE-WEST4"],
           labels={"team": "ml"})
    bucket(ml, "ml-prod-logs", "EUR4", "dual-region")
    net = network(ml, "ml-vpc")
    sn_b = subnetwork(ml, net, "europe-west1", "ml-ew1", "10.10.0.0/20", private_google_access=True, flow_logs=True)
    sn_n = subnetwork(ml, net, "europe-west4", "ml-ew4", "10.20.0.0/20", private_google_access=False, flow_logs=False)
    trainer = service_account(ml, "trainer", impersonators=[
        ("roles/iam.workloadIdentityUser",
         f"principalSet://iam.googleapis.com/projects/{ml.number}/locations/global/workloadIdentityPools/ci-federation/"
         "attribute.repository_id/260064828"),
        ("roles/iam.serviceAccountTokenCreator",
         f"principalSet://iam.googleapis.com/projects/{ml.number}/locations/global/workloadIdentityPools/ci-federation/*"),
    ])
    service_account(ml, "notebook", display="Notebook runner")
    sa_key(ml, trainer["email"], "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "2024-01-15T10:00:00Z")
    sa_key(ml, trainer["email"], "0f0e0d0c0b0a09080706050403020100ffeeddcc", "2026-01-01T00:00:00Z", user_managed=False)
    instance(ml, "europe-west1-b", "trainer-1", sn_b, service_account=trainer["email"], scopes=[CLOUD_PLATFORM],
             metadata={"enable-oslogin": "TRUE", "startup-script": "#!/bin/sh\nexport TOKEN=hunter2\n",
                       "block-project-ssh-keys": "true"}, kms_key=kms, labels={"team": "ml"}, tags=["trainer"])
    instance(ml, "europe-west4-a", "batch-1", sn_n, external_ip="34.90.1.2",
             service_account=f"{ml.number}-compute@developer.gserviceaccount.com",
             scopes=["https://www.googleapis.com/auth/devstorage.read_only"],
             metadata={"serial-port-enable": "true", "ssh-keys": "bob:ssh-rsa AAAAB3Nza bob"}, shielded=False,
             tags=["ssh"])
    firewall(ml, net, "allow-ssh-world", ranges=["0.0.0.0/0"], allowed=[("tcp", ["22"])], target_tags=["ssh"])
    firewall(ml, net, "allow-internal", ranges=["10.0.0.0/8"], allowed=[("all", [])], priority=65534)
    firewall(ml, net, "deny-egress-smtp", direction="EGRESS", ranges=["0.0.0.0/0"], denied=[("tcp", ["25"])])
    route(ml, net, "default-route-ml", "0.0.0.0/0")
    route(ml, net, "to-onprem", "192.168.0.0/16", internet=False, priority=100)
    ci = pool(ml, "ci-federation", display="CI federation")
    oidc_provider(ml, ci, "github", GITHUB_ISSUER,
                  mapping={"google.subject": "assertion.sub", "attribute.repository_id": "assertion.repository_id",
                           "attribute.repository_owner_id": "assertion.repository_owner_id"},
                  condition="assertion.repository_owner_id == '1342004' && assertion.repository_id == '260064828'")
    aws_provider(ml, ci, "aws-prod", "111122223333")
    # a GitHub provider nobody pinned to an organisation: any repository on GitHub can federate
    oidc_provider(ml, ci, "github-unpinned", GITHUB_ISSUER, audiences=["https://iam.googleapis.com/ci"],
                  mapping={"google.subject": "assertion.sub", "attribute.repository": "assertion.repository"})

    # --- data-lake: US and ASIA, public bucket, open port range
    data.iam_policy = policy(("roles/owner", ["user:bob@example.com"]),
                             ("roles/storage.objectViewer", ["domain:example.com"]),
                             ("roles/editor", ["serviceAccount:etl@data-lake.iam.gserviceaccount.com"]))
    bucket(data, "data-lake-public", "US", "multi-region", uniform=True, versioning=False, labels={"exposure": "public"})
    data.bucket_policies["data-lake-public"] = policy(
        ("roles/storage.objectViewer", ["allUsers"]), ("roles/storage.legacyBucketOwner", ["projectOwner:data-lake"]))
    bucket(data, "data-lake-asia", "ASIA", "multi-region", uniform=False)
    bucket(data, "data-lake-raw", "US-CENTRAL1", "region", versioning=True)
    dnet = network(data, "default", auto=True)
    sn_c = subnetwork(data, dnet, "us-central1", "default", "10.128.0.0/20", private_google_access=False, flow_logs=False)
    sn_e = subnetwork(data, dnet, "us-east1", "default", "10.142.0.0/20", private_google_access=False, flow_logs=False)
    sn_a = subnetwork(data, dnet, "asia-northeast1", "default", "10.146.0.0/20", private_google_access=True,
                      flow_logs=True)
    etl = service_account(data, "etl")
    sa_key(data, etl["email"], "1111111111111111111111111111111111111111", "2023-06-01T00:00:00Z")
    instance(data, "us-central1-a", "etl-1", sn_c, external_ip="35.1.2.3", service_account=etl["email"],
             metadata={"enable-oslogin": "FALSE"})
    instance(data, "us-east1-b", "etl-2", sn_e, service_account=etl["email"], status="TERMINATED")
    instance(data, "asia-northeast1-a", "jp-cache", sn_a, external_ip="34.84.5.6")
    firewall(data, dnet, "allow-app-range", ranges=["0.0.0.0/0"], allowed=[("tcp", ["8000-9000"]), ("udp", [])])
    firewall(data, dnet, "deny-rdp", ranges=["0.0.0.0/0"], denied=[("tcp", ["3389"])], priority=900)
    firewall(data, dnet, "allow-icmp-v6", ranges=["::/0"], allowed=[("58", [])], disabled=True)
    route(data, dnet, "default-route-data", "0.0.0.0/0")

    # --- web-dev: small; tests disable its Compute API
    web.iam_policy = policy(("roles/editor", ["user:carol@example.com"]))
    bucket(web, "web-dev-assets", "US-CENTRAL1", "region")
    wnet = network(web, "web")
    sn_w = subnetwork(web, wnet, "us-central1", "web", "10.30.0.0/20", private_google_access=False, flow_logs=False)
    instance(web, "us-central1-f", "web-1", sn_w, external_ip="34.1.1.1")
    firewall(web, wnet, "allow-http", ranges=["0.0.0.0/0"], allowed=[("tcp", ["80", "443"])])
    service_account(web, "deployer")

    # --- old-sandbox: DELETE_REQUESTED, must never be collected
    bucket(old, "old-sandbox-bucket", "US", "multi-region")

    estate = GcpEstate(
        projects=[ml, data, web, old],
        organization=org,
        org_policy=policy(("roles/resourcemanager.organizationAdmin", ["group:admins@example.com"])),
        folders=folders,
        folder_policies={"folders/111": policy(("roles/viewer", ["group:ml-team@example.com"]))},
        zones=["europe-west1-b", "europe-west1-c", "europe-west4-a", "us-central1-a", "us-central1-f",
               "us-east1-b", "asia-northeast1-a"],
        page_size=2,
    )
    from auditor.demo.emulators.gcp_ml_estate import seed_ml  # the ML slice (issue 17)

    seed_ml(estate)
    from auditor.demo.emulators.gcp_data_estate import seed_data  # data stores and keys (issue 17)

    seed_data(estate)
    from auditor.demo.emulators.gcp_cis_estate import seed_cis  # the CIS slice (issue 15)

    seed_cis(estate)
    return estate
