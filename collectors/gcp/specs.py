"""The GCP resource specs: a table of facts (calls, permissions, scope, hash rules, collect)."""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.gcp import collect as c
from collectors.spec import ResourceSpec

_POLICY_RULES = HashRules(volatile=("config.etag",),
                          unordered=("config.bindings", "config.bindings[*].members", "config.auditConfigs"))
_COMPUTE_VOLATILE = ("config.fingerprint", "config.labelFingerprint")


def _spec(type_: str, category: str, service: str, list_call: str, *, detail: tuple[str, ...] = (),
          permissions: tuple[str, ...], scope: str = "account", rules: HashRules = HashRules(),
          collect=None, doc: str = "") -> ResourceSpec:  # type: ignore[no-untyped-def]
    return ResourceSpec(provider="gcp", type=type_, category=category, service=service, list_call=list_call,
                        detail_calls=detail, permissions=permissions, scope=scope,  # type: ignore[arg-type]
                        hash_rules=rules, collect=collect, doc=doc)


SPECS: tuple[ResourceSpec, ...] = (
    _spec("gcp.storage.bucket", "storage", "storage", "storage.buckets.list",
          detail=("storage.buckets.getIamPolicy",),
          permissions=("storage.buckets.list", "storage.buckets.getIamPolicy"),
          rules=HashRules(volatile=("config.etag", "config.updated", "config.metageneration", "config.iamPolicy.etag",
                                    "config.softDeletePolicy.effectiveTime"),
                          unordered=("config.iamPolicy.bindings", "config.iamPolicy.bindings[*].members",
                                     "config.customPlacementConfig.dataLocations", "config.cors",
                                     "config.lifecycle.rule")),
          collect=c.collect_buckets,
          doc="Buckets with location type, dual-region placement, IAM policy (public members), CMEK, versioning."),
    _spec("gcp.compute.instance", "compute", "compute", "compute.instances.aggregatedList",
          detail=("compute.projects.get",),
          permissions=("compute.instances.list", "compute.projects.get"), scope="zonal",
          rules=HashRules(volatile=(*_COMPUTE_VOLATILE, "config.lastStartTimestamp", "config.lastStopTimestamp",
                                    "config.lastSuspendedTimestamp", "config.tags.fingerprint",
                                    "config.networkInterfaces[*].fingerprint", "config.cpuPlatform",
                                    "config.satisfiesPzi", "config.satisfiesPzs"),
                          unordered=("config.tags.items", "config.serviceAccounts[*].scopes",
                                     "config.metadata.items")),
          collect=c.collect_instances,
          doc="Instances in every zone (aggregated list); metadata keeps only on/off flags, never values."),
    _spec("gcp.compute.disk", "storage", "compute", "compute.disks.aggregatedList",
          permissions=("compute.disks.list",), scope="zonal",
          rules=HashRules(volatile=(*_COMPUTE_VOLATILE, "config.lastAttachTimestamp", "config.lastDetachTimestamp",
                                    "config.users"),
                          unordered=("config.replicaZones",)),
          collect=c.collect_disks, doc="Persistent disks with their encryption key (CMEK)."),
    _spec("gcp.compute.network", "network", "compute", "compute.networks.list",
          permissions=("compute.networks.list",), scope="global",
          rules=HashRules(volatile=_COMPUTE_VOLATILE, unordered=("config.subnetworks", "config.peerings")),
          collect=c.collect_networks, doc="VPC networks."),
    _spec("gcp.compute.subnetwork", "network", "compute", "compute.subnetworks.aggregatedList",
          permissions=("compute.subnetworks.list",), scope="regional",
          rules=HashRules(volatile=_COMPUTE_VOLATILE, unordered=("config.secondaryIpRanges",)),
          collect=c.collect_subnetworks, doc="Subnetworks with private Google access and flow logs."),
    _spec("gcp.compute.firewall", "network", "compute", "compute.firewalls.list",
          permissions=("compute.firewalls.list",), scope="global",
          rules=HashRules(volatile=_COMPUTE_VOLATILE,
                          unordered=("config.sourceRanges", "config.destinationRanges", "config.sourceTags",
                                     "config.targetTags", "config.sourceServiceAccounts",
                                     "config.targetServiceAccounts", "config.allowed", "config.denied",
                                     "facets.ingress", "facets.egress")),
          collect=c.collect_firewalls, doc="VPC firewall rules as (cidr, protocol, ports) facets."),
    _spec("gcp.compute.route", "network", "compute", "compute.routes.list",
          permissions=("compute.routes.list",), scope="global",
          rules=HashRules(volatile=(*_COMPUTE_VOLATILE, "config.warnings"), unordered=("config.tags",)),
          collect=c.collect_routes, doc="VPC routes."),
    _spec("gcp.iam.project_policy", "iam", "cloudresourcemanager", "cloudresourcemanager.projects.getIamPolicy",
          permissions=("resourcemanager.projects.getIamPolicy",), rules=_POLICY_RULES,
          collect=c.collect_hierarchy_policy, doc="The project's IAM policy."),
    _spec("gcp.iam.folder_policy", "iam", "cloudresourcemanager", "cloudresourcemanager.folders.getIamPolicy",
          permissions=("resourcemanager.folders.getIamPolicy",), scope="global", rules=_POLICY_RULES,
          collect=c.collect_hierarchy_policy, doc="IAM policy of each folder in scope."),
    _spec("gcp.iam.organization_policy", "iam", "cloudresourcemanager",
          "cloudresourcemanager.organizations.getIamPolicy",
          permissions=("resourcemanager.organizations.getIamPolicy",), scope="global", rules=_POLICY_RULES,
          collect=c.collect_hierarchy_policy, doc="IAM policy of the organisation in scope."),
    _spec("gcp.iam.service_account", "iam", "iam", "iam.projects.serviceAccounts.list",
          detail=("iam.projects.serviceAccounts.getIamPolicy", "cloudresourcemanager.projects.getIamPolicy"),
          permissions=("iam.serviceAccounts.list", "iam.serviceAccounts.getIamPolicy",
                       "resourcemanager.projects.getIamPolicy"),
          rules=HashRules(volatile=("config.etag", "config.iamPolicy.etag"),
                          unordered=("config.iamPolicy.bindings", "config.iamPolicy.bindings[*].members")),
          collect=c.collect_service_accounts,
          doc="Service accounts with their own IAM policy (who can impersonate them, incl. pool principals)."),
    _spec("gcp.iam.service_account_key", "iam", "iam", "iam.projects.serviceAccounts.list",
          detail=("iam.projects.serviceAccounts.keys.list",),
          permissions=("iam.serviceAccounts.list", "iam.serviceAccountKeys.list"),
          collect=c.collect_service_account_keys, doc="User-managed service account keys (metadata only, age)."),
    _spec("gcp.iam.workload_identity_pool", "iam", "iam", "iam.projects.locations.workloadIdentityPools.list",
          permissions=("iam.workloadIdentityPools.list",),
          rules=HashRules(volatile=("config.expireTime",)),
          collect=c.collect_pools, doc="Workload identity pools (incl. soft-deleted ones)."),
    _spec("gcp.iam.workload_identity_provider", "iam", "iam",
          "iam.projects.locations.workloadIdentityPools.list",
          detail=("iam.projects.locations.workloadIdentityPools.providers.list",),
          permissions=("iam.workloadIdentityPools.list", "iam.workloadIdentityPoolProviders.list"),
          rules=HashRules(volatile=("config.expireTime",), unordered=("config.oidc.allowedAudiences",)),
          collect=c.collect_providers,
          doc="Pool providers: issuer, AWS account, audiences, attribute mapping and condition, state."),
)

# Calls made while planning (scope discovery), not by any one spec.
DISCOVERY_CALLS: dict[str, tuple[str, ...]] = {
    "cloudresourcemanager.projects.list": ("resourcemanager.projects.list",),
    "cloudresourcemanager.folders.list": ("resourcemanager.folders.list",),
}

# Which permission each API method needs (the permission test checks specs against this).
CALL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "storage.buckets.list": ("storage.buckets.list",),
    "storage.buckets.getIamPolicy": ("storage.buckets.getIamPolicy",),
    "compute.instances.aggregatedList": ("compute.instances.list",),
    "compute.projects.get": ("compute.projects.get",),
    "compute.disks.aggregatedList": ("compute.disks.list",),
    "compute.networks.list": ("compute.networks.list",),
    "compute.subnetworks.aggregatedList": ("compute.subnetworks.list",),
    "compute.firewalls.list": ("compute.firewalls.list",),
    "compute.routes.list": ("compute.routes.list",),
    "cloudresourcemanager.projects.getIamPolicy": ("resourcemanager.projects.getIamPolicy",),
    "cloudresourcemanager.folders.getIamPolicy": ("resourcemanager.folders.getIamPolicy",),
    "cloudresourcemanager.organizations.getIamPolicy": ("resourcemanager.organizations.getIamPolicy",),
    "iam.projects.serviceAccounts.list": ("iam.serviceAccounts.list",),
    "iam.projects.serviceAccounts.getIamPolicy": ("iam.serviceAccounts.getIamPolicy",),
    "iam.projects.serviceAccounts.keys.list": ("iam.serviceAccountKeys.list",),
    "iam.projects.locations.workloadIdentityPools.list": ("iam.workloadIdentityPools.list",),
    "iam.projects.locations.workloadIdentityPools.providers.list": ("iam.workloadIdentityPoolProviders.list",),
    **DISCOVERY_CALLS,
}
