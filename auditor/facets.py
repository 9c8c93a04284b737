"""Normalised facets (DESIGN.md decision 8): the cross-cloud vocabulary rules are written in.

Collectors fill these on each envelope's ``facets``; posture, identity and residency rules
read only facets, so one rule covers three clouds. A facet whose value could not be
determined is ``None`` (the rule then says UNKNOWN), never a guessed default.

This module is the contract; ``FACET_KEYS`` is checked by tests for every collector.
"""

from __future__ import annotations

from typing import Any

# ---- storage (aws.s3.bucket, gcp.storage.bucket, azure.storage.account, azure.storage.container)
STORAGE = {
    "public": "bool|None: readable by anyone on the internet (policy, ACL, IAM allUsers, blob access)",
    "public_reasons": "list[str]: why it is public, e.g. ['policy:Principal *', 'acl:AllUsers:READ']",
    "public_access_blocked": "bool|None: an account/bucket-level guard forbids public access",
    "encrypted": "bool|None: data encrypted at rest",
    "key_management": "'provider'|'customer'|None: who manages the key (CMK/CMEK = customer)",
    "kms_key": "str|None: key id/ARN/name when customer-managed",
    "versioning": "bool|None",
    "logging": "bool|None: access logging enabled",
    "locations": "list[str]: regions/locations where the primary copy lives (region names as the cloud spells them; "
                 "for a dual-/multi-region its name, e.g. 'EUR4')",
    "replica_locations": "list[str]|None: every other region a copy lands in (replication targets, GRS secondary, "
                         "dual-/multi-region members); None when a copy exists but its region is unknown. "
                         "Residency rules read only these three facets: the collector decides every place.",
    "location_type": "'region'|'dual-region'|'multi-region'|None (a GRS secondary is a replica of a 'region')",
    "https_only": "bool|None",
    "min_tls": "str|None, e.g. 'TLS1_2'",
    "public_network_access": "bool|None: data-plane endpoint reachable from any network",
    "key_created": "ISO-8601|None: creation of the oldest shared access key (Azure keyCreationTime; rotation "
                   "resets it); None when the cloud has no account keys or did not say",
    "malformed": "list[str]: resource policy documents that could not be parsed, with reasons",
}

# ---- network (aws.ec2.security_group, gcp.compute.firewall, azure.network.nsg, ACLs)
# A rule: {"direction": "ingress"|"egress", "action": "allow"|"deny", "cidr": "0.0.0.0/0",
#          "protocol": "tcp"|"udp"|"icmp"|"all"|<number as str>, "from_port": int, "to_port": int,
#          "priority": int|None}
# "all" protocol or no port restriction is from_port=0, to_port=65535. Tags/service tags
# such as Azure "Internet" or "*" are normalised to 0.0.0.0/0 (and ::/0 where they mean both).
NETWORK = {
    "ingress": "list[rule]",
    "egress": "list[rule]",
    "flow_logs": "bool|None (on networks/VPCs/subnets)",
    "default_group": "bool|None: the VPC's default security group (CIS: must allow nothing)",
    "peer_cidrs": "list[str]: CIDRs of both VPCs of a peering connection",
    "peering_routes": "list[{route_table, cidr}]: routes that send traffic through a peering connection",
    "access_logging": "bool|None: request access logs delivered (load balancers, CDN distributions, API stages)",
}

# ---- compute (aws.ec2.instance, gcp.compute.instance, azure.compute.vm)
COMPUTE = {
    "public_ips": "list[str]",
    "legacy_metadata": "bool|None: IMDSv1 allowed (AWS HttpTokens optional), GCP legacy endpoints",
    "serial_port": "bool|None: interactive serial console enabled",
    "identity": "str|None: instance profile ARN / service account email / managed identity id",
    "network_groups": "list[str]: resource keys of attached security groups/NSGs/firewall tags",
    "disk_encryption": "'provider'|'customer'|None",
    "state": "str|None: running/stopped/...",
    "locations": "list[str]: region or zone where it runs (for residency of processing)",
}

# ---- iam
IAM = {
    # users
    "mfa": "bool|None: (console) user has MFA",
    "console_access": "bool|None",
    # Timestamps, never ages: an age changes every day by itself and would version the
    # resource nightly. Rules compute ages against the snapshot's own time.
    "access_keys": "list[{id_suffix, active, created: ISO-8601|None, used: bool, unused: bool|None}] (never the "
                   "secret; last use is volatile, so only whether the key was ever used / is unused 45+ days)",
    # policies/roles
    "admin": "bool|None: grants admin-equivalent permissions (*:* or Owner etc.); AWS: the policy evaluator's "
             "answer over inline, attached (customer and AWS managed) and group policies",
    "admin_conditions": "list[str]|None: admin only when these conditions hold (e.g. MFA); [] = unconditional "
                        "or not admin",
    "privilege_escalation": "list[{path, actions: list[str], resource}]|None: escalation paths the identity's "
                            "policies open (auditor.identity.privilege.ESCALATION_PATHS); [] none, None unread",
    "malformed": "list[str]: policy documents that could not be parsed, with reasons",
    # keys (gcp service account keys)
    "key_created": "ISO-8601|None: when a user-managed key became valid",
    "user_managed": "bool|None",
}


# ---- ML platform, clusters, functions (DESIGN.md decision 19) ---------------------------------
# Layout: FLAT keys beside the category's own facets, with ``ml_kind`` as the discriminator, so
# a rule reads ``res.facets["network_isolation"]`` and a drift path reads ``facets.artifact_locations``
# whatever the cloud. Keys shared with storage/compute keep their meaning there (``encrypted``,
# ``kms_key``, ``key_management``, ``identity``, ``public``, ``locations``, ``state``).
# An S3/GCS/Blob reference is a URI string; a *source* is that URI resolved by the collector:
#   {"uri": str, "bucket": str, "region": str|None, "account": str|None, "exists": bool|None}
# where ``account`` is the owning account when the collector could prove it (a bucket listed by the
# resource's own account), else None; ``region`` is None when the bucket's region could not be read;
# ``exists`` is False when the object store says there is no such bucket (anyone may claim the name).
# An image is {"uri": str, "registry": str, "account": str|None, "region": str|None, "digest": str|None}:
# ``registry`` is the host (``123456789012.dkr.ecr.eu-west-1.amazonaws.com``, ``docker.io``),
# ``account`` the registry's cloud account when the host names one (ECR), ``digest`` the sha256
# pinned in the URI or resolved by the platform (an endpoint's deployed image), else None.
ML = {
    "ml_kind": "'notebook'|'domain'|'user_profile'|'model'|'endpoint_config'|'endpoint'|'job'|"
               "'model_package_group'|'model_package': which ML facet set applies",
    # ml.notebook (also domain / user_profile: their default app settings)
    "direct_internet_access": "bool|None: notebook/app traffic goes to the internet outside the customer VPC",
    "root_access": "bool|None: users can become root on the notebook",
    "public_ip": "bool|None: reachable from/egressing to the internet through a provider-managed public address",
    # ml.model / ml.model_package / ml.endpoint / ml.job
    "artifact_locations": "list[str]: URIs of model artifacts it loads (model data) or writes (job output model)",
    "artifact_sources": "list[source]: artifact_locations resolved to bucket, region and owning account",
    "images": "list[image]: container images it runs",
    "image_registries": "list[str]: registry hosts of ``images`` (sorted, distinct)",
    "network_isolation": "bool|None: containers have no outbound network access",
    "in_vpc": "bool|None: runs attached to a customer VPC (subnets/security groups)",
    "approval_status": "str|None: model package approval (Approved, PendingManualApproval, Rejected)",
    # ml.endpoint / endpoint_config
    "auth": "'iam'|'key'|'none'|None: how callers authenticate to the inference endpoint",
    "roles": "list[str]: execution roles of the models it serves (``identity`` when there is one)",
    "models": "list[str]: names of the models it serves (production variants)",
    "data_capture": "bool|None: request/response capture enabled",
    "data_capture_locations": "list[str]: URIs captured inference data is written to",
    # ml.job (training, processing)
    "input_locations": "list[str]: URIs of input data channels",
    "output_locations": "list[str]: URIs the job writes to",
    "data_sources": "list[source]: input, output, artifact and capture URIs resolved (residency, provenance)",
    "inter_container_encryption": "bool|None: traffic between job containers is encrypted",
}

# ---- managed Kubernetes (aws.eks.cluster, gcp.container.cluster, azure.containerservice.managedcluster)
CLUSTER = {
    "endpoint_public": "bool|None: the control-plane API endpoint is reachable from the internet",
    "endpoint_public_cidrs": "list[str]|None: CIDRs allowed to reach the public endpoint (0.0.0.0/0 = all)",
    "secrets_encrypted": "bool|None: Kubernetes secrets envelope-encrypted with a customer key",
    "control_plane_logs": "list[str]|None: enabled control-plane log types",
    "version": "str|None: Kubernetes version",
    "legacy_abac": "bool|None: legacy attribute-based access control on (GKE)",
    "workload_identity": "bool|None: pods get cloud identities through workload identity, not the node's",
    "shielded_nodes": "bool|None: nodes boot verified (GKE shielded nodes)",
    "node_identities": "list[str]|None: service accounts/roles of the nodes ('default' = the compute default SA)",
    "node_full_scope": "bool|None: node OAuth scopes include cloud-platform (identity limited by IAM only)",
    "local_accounts": "bool|None: static local cluster-admin credentials can be fetched (AKS local accounts)",
    "rbac": "bool|None: Kubernetes RBAC is enabled",
}

# ---- serverless functions (aws.lambda.function, gcp.cloudfunctions.function, azure.web.function)
FUNCTION = {
    "url_auth": "'iam'|'none'|None: auth of the function's public URL; None when it has no URL",
    "public": "bool|None: invocable by anyone (URL without auth, or a resource policy Principal *)",
    "public_reasons": "list[str]: why it is public",
    "env_names": "list[str]: environment variable NAMES only (values are never collected)",
}

# ---- analytics workspaces (azure.databricks.workspace; compute category)
DATABRICKS = {
    "vnet_injection": "bool|None: deployed into a customer-managed virtual network (not the provider-managed one)",
    "public_network_access": STORAGE["public_network_access"],  # the same meaning, on a workspace
}

# ---- extra storage facets for stores that are not buckets (snapshots, images, registries, secrets)
STORE = {
    "shared_with": "list[str]|None: other accounts granted access (snapshot restore/launch permission)",
    "tag_immutable": "bool|None: container registry tags cannot be overwritten",
    "scan_on_push": "bool|None: images are scanned for vulnerabilities when pushed",
    "rotation": "bool|None: automatic rotation enabled (secrets)",
    "ml_kind": ML["ml_kind"],
}

# ---- data services that are stores but not buckets (Key Vault, SQL, Cosmos DB, ML registries, ACR)
DATA_STORE = {
    "private_endpoint": "bool|None: reachable through at least one approved private endpoint",
    "soft_delete": "bool|None: deleted objects are recoverable for a retention period",
    "purge_protection": "bool|None: soft-deleted objects cannot be purged before the retention ends",
    "audit_logging": "bool|None: a diagnostic setting sends the store's audit log (Key Vault AuditEvent) to a "
                     "destination; None when the settings could not be read",
    "rbac_authorization": "bool|None: data-plane access decided by cloud RBAC, not legacy access policies",
    "expiry_set": "bool|None: the key/secret has an expiry date",
    "enabled": "bool|None: the key/secret can be used (a disabled one is not judged for expiry)",
    "firewall_ranges": "list[str]: allowed client IP ranges as 'start-end'",
    "allows_all_ips": "bool|None: a firewall rule admits every IPv4 address (0.0.0.0-255.255.255.255)",
    "allows_azure_services": "bool|None: the 'Allow Azure services' rule (0.0.0.0-0.0.0.0) admits any tenant's Azure "
                             "resources",
    "auditing": "bool|None: server/database auditing enabled",
    "audit_retention_days": "int|None: audit log retention in days (0 = unlimited)",
    "entra_admin": "bool|None: a Microsoft Entra administrator is set",
    "local_auth": "bool|None: shared keys / local credentials are accepted besides Entra ID",
    "key_metadata_write": "bool|None: account keys may change metadata (databases, containers, throughput)",
    "admin_user": "bool|None: a built-in admin user with a shared password is enabled (container registry)",
}

# ---- managed databases and warehouses (gcp.sql.instance, gcp.bigquery.dataset; storage category)
DATABASE = {
    "engine": "'postgres'|'mysql'|'sqlserver'|None: database engine",
    "public_ip": "bool|None: the instance has a public IPv4 address",
    "authorized_networks": "list[str]|None: CIDRs allowed to connect to the public address",
    "tls_required": "bool|None: the server refuses unencrypted connections",
    "automated_backups": "bool|None: automated backups enabled",
    "deletion_protection": "bool|None",
    "db_flags": "dict[str, str]|None: database flags as set (name -> value); an unset flag is absent",
    "replica_of": "str|None: the primary instance's name when this is a read replica",
    "tables_without_cmek": "list[str]|None: ids of a dataset's stored tables encrypted with a provider key "
                           "(BigQuery); None when the tables were not read",
}

# ---- encryption keys (gcp.cloudkms.crypto_key; iam category)
KEY = {
    "public": STORAGE["public"],
    "public_reasons": STORAGE["public_reasons"],
    "key_purpose": "str|None: e.g. ENCRYPT_DECRYPT (symmetric; the only purpose with automatic rotation)",
    "key_state": "str|None: state of the primary version (ENABLED, DISABLED, DESTROYED...)",
    "rotation": "bool|None: automatic rotation scheduled",
    "rotation_period_days": "float|None: automatic rotation period in days (None when there is none)",
    "duty_conflicts": "list[str]|None: members who both administer the key and may use it to encrypt/decrypt "
                      "(project, key ring and key policies); None when a policy could not be read",
    "locations": "list[str]: where the key material lives (region, multi-region or 'global')",
}

# ---- CIS Foundations on GCP (issue 15): settings CIS judges that no cross-cloud facet names
GCP_CIS = {
    # compute (gcp.compute.instance; os_login also on gcp.compute.project)
    "default_service_account": "bool: runs as the Compute Engine default service account",
    "default_sa_full_access": "bool: the default service account with the cloud-platform scope",
    "project_ssh_keys_blocked": "bool: instance metadata block-project-ssh-keys is on",
    "os_login": "bool: OS Login enabled (instance metadata, else project metadata; default off)",
    "ip_forwarding": "bool: canIpForward",
    "shielded_vm": "bool: vTPM and integrity monitoring both on",
    "confidential_computing": "bool: confidential VM",
    "disk_csek": "bool: every attached disk uses a customer-supplied key (CSEK)",
    "gke_node": "bool: a GKE node (label goog-gke-node); CIS excludes them from default-SA checks",
    # storage (gcp.storage.bucket)
    "uniform_access": "bool: uniform bucket-level access (no object ACLs)",
    "retention_locked": "bool: a retention policy is set and locked (bucket lock)",
    # network (gcp.compute.network, gcp.dns.managed_zone, target HTTPS/SSL proxies)
    "default_network": "bool: the auto-created network named 'default'",
    "legacy_network": "bool: a legacy (non-VPC) network",
    "dns_logging": "bool|None: a Cloud DNS server policy with query logging applies to the network",
    "public_zone": "bool: a public DNS zone (DNSSEC applies)",
    "dnssec": "'on'|'off'|'transfer'",
    "ksk_algorithms": "list[str]: DNSSEC key-signing key algorithms",
    "zsk_algorithms": "list[str]: DNSSEC zone-signing key algorithms",
    "ssl_policy": "str|None: name of the SSL policy (None = Google's default)",
    "tls_weaknesses": "list[str]|None: why the proxy's TLS policy is weak per CIS; None when the policy was not read",
    # iam (project policy, service accounts, API keys, logging)
    "audit_log_gaps": "list[str]: allServices log types missing and exempted members in the policy's own auditConfigs",
    "audit_logged": "list[str]: log types an allServices auditConfig of this policy enables (project/folder/org)",
    "audit_exemptions": "list[str]: 'service LOG_TYPE exempts member' in this policy's auditConfigs",
    "ancestors": "list[str]|None: a project's folders and organisation, nearest first (None: not discovered by a walk)",
    "sa_impersonation_grants": "list[str]: 'role member' of project-level Service Account User/Token Creator grants",
    "sa_duty_conflicts": "list[str]: members holding both Service Account Admin and Service Account User",
    "admin_roles": "list[str]|None: project roles of a service account that are owner, editor or *admin*",
    "api_key_count": "int: API keys in the project",
    "api_restricted": "bool: API key restricted to named APIs",
    "app_restricted": "bool: API key restricted to referrers, IPs or apps",
    "created": "ISO-8601|None: creation time",
    "exports_all_entries": "bool: an enabled sink without a filter",
    "destination_bucket": "str|None: Cloud Storage bucket a sink writes to",
    "destination_locked": "bool|None: that bucket's retention policy is locked; None when it is not the project's",
    "include_children": "bool: a folder/organisation sink that also exports its child projects' entries",
    "all_entries_sink": "bool: the project has an enabled sink without a filter",
    "change_metrics": "{concern: [log metric names]} whose filter covers a CIS monitoring concern",
    "change_alerts": "{concern: [log metric names]} of those watched by an enabled alert policy",
    "http_lb": "bool: backend service of an HTTP(S) load balancer",
    "lb_logging": "bool: request logging enabled on the backend service",
    "enabled_services": "list[str]: APIs enabled in the project",
    "contact_categories": "list[str]: CIS notification categories an Essential Contact subscribes to",
    "access_approval": "bool|None: Access Approval enrolls at least one service for the project, itself or through "
                       "a folder or the organisation (gcp.accessapproval.settings)",
}

# ---- CIS AWS Foundations, IAM and storage sections (account-level identity facts, users' credential use)
CIS_IAM = {
    # users (aws.iam.user). Last-use timestamps are volatile (never stored): collectors judge
    # "unused for 45 days or more" at collection time, counting from creation when never used.
    # access_keys entries also carry used: bool (ever used) and unused: bool|None.
    "password_unused": "bool|None: console password unused 45+ days; None without a password or report",
    "direct_policies": "list[str]: policies on the user itself ('inline:<name>' or managed ARN), not via groups",
    "managed_policy_arns": "list[str]|None: managed policies attached (users: with their groups')",
    # customer managed policies
    "attached": "bool|None: the policy is attached to at least one user, group or role",
    # root user (aws.iam.root_user), from the credential report
    "root_access_keys_active": "bool|None",
    "root_mfa": "bool|None",
    "root_hardware_mfa": "bool|None: root MFA is not a virtual device",
    "root_last_used": "ISO-8601|None: latest root password or key use; None with root_mfa known = never",
    # account settings
    "password_policy_set": "bool: an account password policy exists",
    "password_min_length": "int|None",
    "password_reuse_prevention": "int|None: previous passwords remembered",
    "support_roles": "list[str]: roles holding AWSSupportAccess",
    "expires": "ISO-8601|None: certificate expiry",
    "access_analyzer": "bool|None: an ACTIVE IAM Access Analyzer in the region",
    "security_contact": "bool|None: a SECURITY alternate contact is registered",
    "saml_providers": "int|None: IAM SAML identity providers in the account (aws.iam.federation)",
    "root_credentials_management": "bool|None: the organization manages member accounts' root credentials centrally",
    # AWS Organizations, read in the management account only
    "delegated_admins": "list[{account, status, services: list[str]|None}]|None: delegated administrators of "
                        "Organizations-integrated services (aws.organizations.delegated_administrators)",
    "org_policy_delegates": "list[str]|None: accounts the resource-based delegation policy lets manage Organizations "
                            "policies ([] = no policy); a principal that is not an account id is kept as given",
}
CIS_STORE = {
    "mfa_delete": "bool|None: S3 versioning requires MFA to delete versions",
    "multi_az": "bool|None: database keeps a standby in another availability zone",
    "auto_minor_version_upgrade": "bool|None: database engine minor versions upgrade automatically",
    "macie_enabled": "bool|None: Amazon Macie is ENABLED in the region (aws.macie.session)",
}

# ---- account/region security services (category "security"): audit trails, recorders, alarms,
# Security Hub, defaults. One resource per region (or per account) exists whether or not the
# service is on, so "off" is a failing resource rather than an absence.
SECURITY = {
    # aws.cloudtrail.trail
    "multi_region": "bool: the trail records every region",
    "organization_trail": "bool",
    "trail_logging": "bool|None: the trail is delivering now (status IsLogging)",
    "log_file_validation": "bool: digest files let log tampering be detected",
    "kms_encrypted": "bool: log files encrypted with a KMS key (SSE-KMS)",
    "kms_key": "str: the KMS key ARN/id, '' when none",
    "log_bucket": "str|None: S3 bucket the trail delivers to",
    "log_bucket_access_logging": "bool|None: server access logging on that bucket (None: other account / unread)",
    "cloudwatch_log_group": "str: CloudWatch Logs group ARN the trail also delivers to, '' when none",
    "management_events": "list['read'|'write']|None: management events recorded",
    "object_read_events": "bool|None: S3 object-level read events recorded for every bucket",
    "object_write_events": "bool|None: S3 object-level write events recorded for every bucket",
    # aws.cloudtrail.account (object_*_events there: by some logging multi-region trail)
    "multi_region_trails": "list[str]|None: multi-region trails logging read+write management events",
    # aws.cloudwatch.trail_alarms
    "trail_log_groups": "list[str]|None: log groups that working multi-region trails deliver to",
    "alarmed_filters": "list[{log_group, filter, pattern, alarms}]|None: metric filters on those groups whose "
                       "alarm notifies an SNS topic with a confirmed subscriber (patterns as AWS returns them)",
    # aws.config.recorders
    "config_recording": "bool|None: a recorder records all supported types and its last delivery did not fail",
    "config_recorders": "list[str]: names of such recorders",
    # aws.securityhub.hub
    "securityhub_enabled": "bool|None",
    # aws.ec2.ebs_default_encryption
    "ebs_default_encryption": "bool|None: new EBS volumes are encrypted by default in the region",
}

# ---- encryption keys (aws.kms.key; category iam: their policies grant access)
KMS_KEYS = {
    "key_manager": "'customer'|'provider'|None",
    "key_state": "str|None: Enabled, Disabled, PendingDeletion, ...",
    "key_spec": "str|None: SYMMETRIC_DEFAULT, RSA_2048, ...",
    "rotatable": "bool|None: customer-managed, enabled, symmetric, KMS-generated: CIS expects rotation",
    "key_rotation": "bool|None: automatic rotation enabled (None when not rotatable or unread)",
}

# ---- account-level posture the CIS Foundations benchmarks judge (Azure first) -----------------
STORAGE_POSTURE = {
    "shared_key_access": "bool|None: requests may authorise with the account's shared keys",
    "cross_tenant_replication": "bool|None: object replication to accounts in other tenants allowed",
    "trusted_services_bypass": "bool|None: trusted platform services may pass the network rules",
    "key_expiration_days": "int|None: key rotation reminder period (None = no key expiration policy)",
    "private_endpoint": "bool|None: at least one approved private endpoint connection",
    "default_oauth": "bool|None: the portal defaults to directory (OAuth) authorisation",
    "infrastructure_encryption": "bool|None: a second, infrastructure-level encryption layer",
    "blob_soft_delete_days": "int|None: blob soft-delete retention (0 = off)",
    "container_soft_delete_days": "int|None: container soft-delete retention (0 = off)",
    "file_soft_delete_days": "int|None: file share soft-delete retention (0 = off)",
    "smb_versions": "list[str]|None: SMB versions the file service accepts (unset = every supported version)",
    "smb_channel_encryption": "list[str]|None: SMB channel encryption algorithms accepted (unset = all)",
}
NETWORK_POSTURE = {
    "network_watcher": "bool|None: a network watcher exists in this network's region",
    "ddos_protection": "bool|None: DDoS network protection on the virtual network",
    "nsg_attached": "bool|None: a network security group is attached to the subnet",
    "flow_log_target": "str|None: resource key-like ARM id of the NSG/VNet a flow log records",
    "flow_log_enabled": "bool|None",
    "retention_days": "int|None: log retention in days (0 = never deleted: retention off, or on with 0 days)",
    "traffic_analytics": "bool|None: flow logs are sent to a Log Analytics workspace",
    "bastion_hosts": "int|None: Azure Bastion hosts in the subscription",
    # public IP addresses (azure.network.public_ip): in use or left allocated (CIS Azure 7.7)
    "attached": "bool|None: the public IP is associated with a resource: an IP configuration of a NIC, load "
                "balancer or application gateway frontend, VPN/ExpressRoute gateway, Bastion host or firewall "
                "(properties.ipConfiguration), or a NAT gateway (properties.natGateway); None when the payload "
                "carries no properties or a reference without a usable id",
    "attached_to": "str|None: lower-case ARM id of what holds it (that IP configuration or NAT gateway)",
    "allocation_method": "'Static'|'Dynamic'|None: publicIPAllocationMethod (a Static address is held, and "
                         "billed, while unused)",
    "sku": "str|None: the public IP SKU name (Basic, Standard)",
}
# Azure Defender for Cloud (category "security", beside the AWS services above)
DEFENDER = {
    "defender_plan": "str: the Defender for Cloud plan (pricing name, e.g. VirtualMachines)",
    "defender_on": "bool|None: the plan's tier is Standard",
    "notify_roles": "list[str]|None: RBAC roles notified of alerts (notificationsByRole on)",
    "contact_emails": "bool|None: additional notification addresses are configured",
    "alert_min_severity": "str|None: minimal alert severity that notifies (None = alert notifications off)",
    "attack_path_min_risk": "str|None: minimal attack-path risk that notifies (None = off)",
    "assessments": "dict[str, 'healthy'|'unhealthy']: Defender recommendations by display name "
                   "(unhealthy when any resource fails it)",
    "iot_solutions": "int|None: Defender for IoT security solutions in the subscription",
    "iot_solutions_disabled": "list[str]|None: names of those whose status is not Enabled",
}
LOGGING = {
    "diagnostic_settings": "list[{name, categories: list[str], destinations: list[str], storage_account: "
                           "lower-case ARM id|None}]: subscription activity-log export settings",
    "alert_operations": "list[str]: operationName values of enabled activity-log alerts on the subscription",
    "alert_categories": "list[str]: categories of enabled activity-log alerts (e.g. ServiceHealth)",
    "app_insights": "int|None: Application Insights components in the subscription",
}

DIRECTORY = {  # tenant-wide directory settings (Microsoft Graph), on azure.entra.* resources
    "security_defaults": "bool|None: Entra security defaults enforced",
    "guest_access": "'member'|'limited'|'restricted'|None: what guests may read in the directory",
    "guest_invites": "str|None: who may invite guests (none, adminsAndGuestInviters, ..., everyone)",
    "users_can_create_apps": "bool|None: default users may register applications",
    "users_can_create_security_groups": "bool|None: default users may create security groups",
    "users_can_create_tenants": "bool|None: default users may create tenants",
    "user_consent": "'none'|'verified_low_impact'|'any'|'custom'|None: what users may consent to for apps",
    "role_definition": "str|None: role definition GUID an Azure role assignment grants (lower-case)",
    "ca_policies": "list[{name, enabled, all_users, applications: list[str], mfa, block, locations}]: conditional "
                   "access policies (locations: the policy is scoped by named locations)",
    "trusted_locations": "int|None: named locations marked trusted",
    "manages_locks": "bool|None: a custom role definition whose actions administer resource locks",
    "global_admins": "int|None: users holding the Global Administrator directory role",
    "users_without_mfa": "int|None: directory members not registered for MFA",
    "admins_without_mfa": "int|None: administrators among them",
    "users_can_create_unified_groups": "bool|None: default users may create Microsoft 365 groups",
    "enforcement_mode": "str|None: policy assignment enforcement (Default enforces, DoNotEnforce audits only)",
    "disabled_effects": "list[str]: policy assignment parameters set to the Disabled effect",
}
APP_SERVICE = {  # Azure App Service sites (azure.web.site)
    "http_logging": "bool|None: a diagnostic setting exports the web app's AppServiceHTTPLogs (absent on "
                    "function apps)",
}
AZURE_ACCESS = {  # management locks and who reaches VMs without MFA (CIS Azure 6.2, 3.1.1)
    "locks": "list[{scope: lower-case ARM id the lock sits on (subscription, resource group or resource), "
             "level: 'CanNotDelete'|'ReadOnly'}]: every management lock in the subscription (azure.authorization.locks)",
    "principal_id": "str|None: object id of the principal an Azure role assignment grants to (lower-case)",
    "principal_type": "str|None: its principalType (User, Group, ServicePrincipal, ForeignGroup, Device)",
    "tenant_id": "str|None: the subscription's home tenant (azure.resources.subscription)",
    "guests": "int|None: guest users in the directory (azure.entra.guest_users)",
    "stale_guests": "list[str]|None: ids of enabled guests with no sign-in in 90 days (from creation when never "
                    "signed in), judged at collection time",
    "mfa_incapable_ids": "list[str]|None: object ids (lower-case) of every directory user, member or guest, the "
                         "registration report marks not MFA capable (isMfaCapable false)",
}
RESOURCE_LOGGING = {  # Azure Monitor resource logs (diagnostic settings on the resource itself)
    "resource_logging": "bool|None: a diagnostic setting on the resource sends at least one enabled resource-log "
                        "category or category group to a destination (None: its settings were not read)",
}

FACET_KEYS: dict[str, dict[str, str]] = {
    "storage": STORAGE,
    "network": NETWORK,
    "compute": COMPUTE,
    "iam": IAM,
    "security": SECURITY,
    "logging": LOGGING,
}
# Facet families a category may carry besides its own (an ML job is compute, a snapshot storage).
EXTRA_KEYS: dict[str, tuple[dict[str, str], ...]] = {
    "compute": (ML, CLUSTER, FUNCTION, APP_SERVICE, {k: v for k, v in STORAGE.items()
                                        if k in ("encrypted", "key_management", "kms_key", "public_reasons")}, GCP_CIS,
                DATABRICKS, RESOURCE_LOGGING),
    "storage": (STORE, DATA_STORE, DATABASE, GCP_CIS, CIS_STORE, STORAGE_POSTURE, RESOURCE_LOGGING),
    "network": (GCP_CIS, NETWORK_POSTURE),
    "iam": (KEY, GCP_CIS, CIS_IAM, KMS_KEYS, DIRECTORY, AZURE_ACCESS),
    "security": (DEFENDER,),
}


def unknown_facet_keys(category: str, facets: dict[str, Any]) -> list[str]:
    """Facet keys not in the contract; tests call this so typos cannot slip in."""
    allowed = set(FACET_KEYS.get(category, {}))
    for extra in EXTRA_KEYS.get(category, ()):
        allowed |= set(extra)
    return sorted(k for k in facets if k not in allowed)


def rule(direction: str, cidr: str, protocol: str, from_port: int = 0, to_port: int = 65535,
         action: str = "allow", priority: int | None = None) -> dict[str, Any]:
    """Build one normalised network rule (keeps the three collectors' output identical)."""
    proto = str(protocol).lower()
    if proto in ("-1", "*", "all", "any"):
        proto, from_port, to_port = "all", 0, 65535
    elif proto == "6":
        proto = "tcp"
    elif proto == "17":
        proto = "udp"
    elif proto == "1":
        proto = "icmp"
    return {
        "direction": direction,
        "action": action,
        "cidr": cidr,
        "protocol": proto,
        "from_port": int(from_port),
        "to_port": int(to_port),
        "priority": priority,
    }
