"""The AWS resource specs: a table of facts (calls, permissions, scope, hash rules, collector).

Calls are written ``"<boto3 service>:<method>"``; permissions are IAM actions. A test maps
every call to its IAM action through botocore's service model and fails on any gap.
"""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.aws import ec2, iam, peering, s3
from collectors.aws.cis_specs import CIS_IAM_SPECS
from collectors.aws.logging_specs import LOGGING_SPECS
from collectors.aws.ml_specs import IMAGE_SPEC, ML_SPECS
from collectors.aws.policy import DOC_UNORDERED
from collectors.spec import ResourceSpec


def _doc(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}.{p}" for p in DOC_UNORDERED)


def _rules(volatile: tuple[str, ...] = (), unordered: tuple[str, ...] = ()) -> HashRules:
    return HashRules(volatile=volatile, unordered=unordered)


NET_FACETS = ("facets.ingress", "facets.egress")
# GetAccountSummary counts follow from other resources (a new user is that user's change, not the
# summary's): volatile. Quotas and the Account* flags (root MFA, root keys) stay configuration.
SUMMARY_COUNTS = ("Users", "Groups", "Roles", "Policies", "PolicyVersionsInUse", "InstanceProfiles", "Providers",
                  "ServerCertificates", "MFADevices", "MFADevicesInUse")
IAM_COMMON = ("config.AttachedManagedPolicies", "facets.malformed")
# Users, groups and roles also read the account's policy catalogue (GetAccountAuthorizationDetails
# with LocalManagedPolicy/AWSManagedPolicy/Group, once per account and run) for their admin and
# privilege_escalation facets: the same call and permission as their listing.
CATALOGUE_DOC = " Admin/escalation facets evaluate attached AWS-managed policies from the shared policy catalogue."

S3_BUCKET_CALLS = tuple(f"s3:{m}" for m, *_ in s3.BUCKET_DETAILS) + (
    "s3:get_bucket_location", "s3control:get_public_access_block", "kms:describe_key")

SPECS: tuple[ResourceSpec, ...] = (
    # ---- storage ----------------------------------------------------------------------------
    ResourceSpec(
        provider="aws", type="aws.s3.bucket", category="storage", service="s3", scope="global",
        list_call="s3:list_buckets", detail_calls=S3_BUCKET_CALLS,
        permissions=("s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPublicAccessBlock",
                     "s3:GetBucketPolicy", "s3:GetBucketPolicyStatus", "s3:GetBucketAcl",
                     "s3:GetBucketOwnershipControls", "s3:GetEncryptionConfiguration",
                     "s3:GetBucketVersioning", "s3:GetReplicationConfiguration", "s3:GetBucketLogging",
                     "s3:GetBucketTagging", "s3:GetBucketObjectLockConfiguration",
                     "s3:GetAccountPublicAccessBlock", "kms:DescribeKey"),
        hash_rules=_rules(unordered=("config.Acl.Grants", "config.ReplicationConfiguration.Rules",
                                     "config.ReplicationDestinations", "config.OwnershipControls.Rules",
                                     "config.ServerSideEncryptionConfiguration.Rules",
                                     "facets.public_reasons", "facets.replica_locations", *_doc("config.Policy"))),
        collect=s3.collect_buckets, doc="S3 buckets, each in its own region; one unit per account.",
    ),
    ResourceSpec(
        provider="aws", type="aws.s3.account_public_access_block", category="storage", service="s3control",
        scope="global", list_call="s3control:get_public_access_block",
        permissions=("s3:GetAccountPublicAccessBlock",), collect=s3.collect_account_public_access_block,
        doc="The account-wide S3 Block Public Access settings.",
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.volume", category="storage", service="ec2",
        list_call="ec2:describe_volumes", detail_calls=("kms:describe_key",),
        permissions=("ec2:DescribeVolumes", "kms:DescribeKey"),
        hash_rules=_rules(unordered=("config.Attachments",)), collect=ec2.collect_volumes,
        doc="EBS volumes (a data store, so storage facets: encrypted, kms_key).",
    ),
    # ---- compute ----------------------------------------------------------------------------
    ResourceSpec(
        provider="aws", type="aws.ec2.instance", category="compute", service="ec2",
        list_call="ec2:describe_instances", permissions=("ec2:DescribeInstances",),
        hash_rules=_rules(unordered=("config.SecurityGroups", "config.NetworkInterfaces",
                                     "config.BlockDeviceMappings", "config.ProductCodes",
                                     "facets.network_groups", "facets.public_ips")),
        collect=ec2.collect_instances, doc="EC2 instances; user data is never requested.",
    ),
    IMAGE_SPEC,  # AMIs: storage facets (public launch permission), see ml_specs
    # ---- network ----------------------------------------------------------------------------
    ResourceSpec(
        provider="aws", type="aws.ec2.vpc", category="network", service="ec2", list_call="ec2:describe_vpcs",
        detail_calls=("ec2:describe_flow_logs",), permissions=("ec2:DescribeVpcs", "ec2:DescribeFlowLogs"),
        hash_rules=_rules(unordered=("config.CidrBlockAssociationSet", "config.Ipv6CidrBlockAssociationSet")),
        collect=ec2.collect_vpcs,
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.subnet", category="network", service="ec2",
        list_call="ec2:describe_subnets", detail_calls=("ec2:describe_flow_logs",),
        permissions=("ec2:DescribeSubnets", "ec2:DescribeFlowLogs"),
        # free addresses move with every instance/ENI start and stop: not a configuration change
        hash_rules=_rules(volatile=("config.AvailableIpAddressCount",),
                          unordered=("config.Ipv6CidrBlockAssociationSet",)), collect=ec2.collect_subnets,
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.security_group", category="network", service="ec2",
        list_call="ec2:describe_security_groups", permissions=("ec2:DescribeSecurityGroups",),
        hash_rules=_rules(unordered=(  # inner lists before the lists that hold them
            *(f"config.{k}[*].{r}" for k in ("IpPermissions", "IpPermissionsEgress")
              for r in ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds")),
            "config.IpPermissions", "config.IpPermissionsEgress", *NET_FACETS)),
        collect=ec2.collect_security_groups,
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.network_acl", category="network", service="ec2",
        list_call="ec2:describe_network_acls", permissions=("ec2:DescribeNetworkAcls",),
        hash_rules=_rules(unordered=("config.Entries", "config.Associations", *NET_FACETS)),
        collect=ec2.collect_network_acls,
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.internet_gateway", category="network", service="ec2",
        list_call="ec2:describe_internet_gateways", permissions=("ec2:DescribeInternetGateways",),
        hash_rules=_rules(unordered=("config.Attachments",)), collect=ec2.collect_internet_gateways,
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.route_table", category="network", service="ec2",
        list_call="ec2:describe_route_tables", permissions=("ec2:DescribeRouteTables",),
        hash_rules=_rules(unordered=("config.Routes", "config.Associations", "config.PropagatingVgws")),
        collect=ec2.collect_route_tables,
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.vpc_peering", category="network", service="ec2",
        list_call="ec2:describe_vpc_peering_connections", detail_calls=("ec2:describe_route_tables",),
        permissions=("ec2:DescribeVpcPeeringConnections", "ec2:DescribeRouteTables"),
        collect=peering.collect_vpc_peerings, doc="Peering connections with the routes through them (CIS least access).",
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.flow_log", category="network", service="ec2",
        list_call="ec2:describe_flow_logs", permissions=("ec2:DescribeFlowLogs",),
        collect=ec2.collect_flow_logs,
    ),
    # ---- iam --------------------------------------------------------------------------------
    ResourceSpec(
        provider="aws", type="aws.iam.user", category="iam", service="iam", scope="global",
        list_call="iam:get_account_authorization_details",
        detail_calls=("iam:generate_credential_report", "iam:get_credential_report", "iam:list_mfa_devices",
                      "iam:list_access_keys", "iam:get_access_key_last_used"),
        permissions=("iam:GetAccountAuthorizationDetails", "iam:GenerateCredentialReport",
                     "iam:GetCredentialReport", "iam:ListMFADevices", "iam:ListAccessKeys",
                     "iam:GetAccessKeyLastUsed"),
        hash_rules=_rules(
            volatile=("config.PasswordLastUsed", "config.LoginProfile.PasswordLastUsed",
                      "config.AccessKeys[*].LastUsedDate", "config.AccessKeys[*].LastUsedService",
                      "config.AccessKeys[*].LastUsedRegion"),
            unordered=(*_doc("config.UserPolicyList[*].PolicyDocument"), "config.UserPolicyList",
                       "config.GroupList", "config.AccessKeys", "config.MFADevices", "facets.access_keys",
                       *IAM_COMMON)),
        collect=iam.collect_users, doc="IAM users, credential report, MFA and access keys." + CATALOGUE_DOC,
    ),
    ResourceSpec(
        provider="aws", type="aws.iam.group", category="iam", service="iam", scope="global",
        list_call="iam:get_account_authorization_details", permissions=("iam:GetAccountAuthorizationDetails",),
        hash_rules=_rules(unordered=(*_doc("config.GroupPolicyList[*].PolicyDocument"), "config.GroupPolicyList",
                                     *IAM_COMMON)),
        collect=iam.collect_groups, doc="IAM groups." + CATALOGUE_DOC,
    ),
    ResourceSpec(
        provider="aws", type="aws.iam.role", category="iam", service="iam", scope="global",
        list_call="iam:get_account_authorization_details", permissions=("iam:GetAccountAuthorizationDetails",),
        hash_rules=_rules(volatile=("config.RoleLastUsed",),
                          unordered=(*_doc("config.AssumeRolePolicyDocument"),
                                     *_doc("config.RolePolicyList[*].PolicyDocument"), "config.RolePolicyList",
                                     "config.InstanceProfileList", *IAM_COMMON)),
        collect=iam.collect_roles, doc="IAM roles with trust policies." + CATALOGUE_DOC,
    ),
    ResourceSpec(
        provider="aws", type="aws.iam.policy", category="iam", service="iam", scope="global",
        list_call="iam:get_account_authorization_details", permissions=("iam:GetAccountAuthorizationDetails",),
        # attachment counts change when a principal attaches the policy (that principal's change)
        hash_rules=_rules(volatile=("config.AttachmentCount", "config.PermissionsBoundaryUsageCount"),
                          unordered=("facets.malformed", *_doc("config.PolicyVersionList[*].Document"))),
        collect=iam.collect_policies, doc="Customer managed policies with their default version document.",
    ),
    ResourceSpec(
        provider="aws", type="aws.iam.oidc_provider", category="iam", service="iam", scope="global",
        list_call="iam:list_open_id_connect_providers", detail_calls=("iam:get_open_id_connect_provider",),
        permissions=("iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"),
        hash_rules=_rules(unordered=("config.ClientIDList", "config.ThumbprintList")),
        collect=iam.collect_oidc_providers,
    ),
    ResourceSpec(
        provider="aws", type="aws.iam.saml_provider", category="iam", service="iam", scope="global",
        list_call="iam:list_saml_providers", detail_calls=("iam:get_saml_provider",),
        permissions=("iam:ListSAMLProviders", "iam:GetSAMLProvider"), collect=iam.collect_saml_providers,
    ),
    ResourceSpec(
        provider="aws", type="aws.iam.password_policy", category="iam", service="iam", scope="global",
        list_call="iam:get_account_password_policy", permissions=("iam:GetAccountPasswordPolicy",),
        collect=iam.collect_password_policy,
    ),
    ResourceSpec(
        provider="aws", type="aws.iam.account_summary", category="iam", service="iam", scope="global",
        list_call="iam:get_account_summary", permissions=("iam:GetAccountSummary",),
        hash_rules=_rules(volatile=tuple(f"config.SummaryMap.{k}" for k in SUMMARY_COUNTS)),
        collect=iam.collect_account_summary,
    ),
    *ML_SPECS,
    *CIS_IAM_SPECS,
    *LOGGING_SPECS,
)

# Calls plan() makes to resolve scope (not tied to one spec).
DISCOVERY_CALLS = ("ec2:describe_regions", "organizations:list_accounts", "sts:get_caller_identity")
DISCOVERY_PERMISSIONS = ("ec2:DescribeRegions", "organizations:ListAccounts")
