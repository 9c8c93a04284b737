"""Specs for the account-level identity and storage facts the CIS AWS Foundations benchmark
(sections IAM and storage) judges. Registered in ``specs.SPECS``."""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.aws import account, efs, organizations
from collectors.spec import ResourceSpec

CIS_IAM_SPECS: tuple[ResourceSpec, ...] = (
    ResourceSpec(
        provider="aws", type="aws.iam.root_user", category="iam", service="iam", scope="global",
        list_call="iam:generate_credential_report",
        detail_calls=("iam:get_credential_report", "iam:list_virtual_mfa_devices"),
        permissions=("iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:ListVirtualMFADevices"),
        # root's last use is kept (not volatile): root should almost never be used, so each use is
        # an event worth a new version, unlike a user's daily sign-ins

        collect=account.collect_root_user,
        doc="The root user from the credential report: access keys, MFA (hardware or virtual), last use."),
    ResourceSpec(
        provider="aws", type="aws.iam.organizations_features", category="iam", service="iam", scope="global",
        list_call="iam:list_organizations_features", permissions=("iam:ListOrganizationsFeatures",),
        hash_rules=HashRules(unordered=("config.EnabledFeatures",)), collect=account.collect_organizations_features,
        doc="Centralized root access for member accounts; answered by the management account only (others skip)."),
    ResourceSpec(
        provider="aws", type="aws.organizations.delegated_administrators", category="iam", service="organizations",
        scope="global", list_call="organizations:describe_organization",
        detail_calls=("organizations:list_delegated_administrators", "organizations:list_delegated_services_for_account"),
        permissions=("organizations:DescribeOrganization", "organizations:ListDelegatedAdministrators",
                     "organizations:ListDelegatedServicesForAccount"),
        collect=organizations.collect_delegated_administrators,
        doc="Delegated administrators of Organizations-integrated services and the services each runs; read in "
            "the management account (accounts outside an organization, and member accounts, skip)."),
    ResourceSpec(
        provider="aws", type="aws.organizations.delegation_policy", category="iam", service="organizations",
        scope="global", list_call="organizations:describe_organization",
        detail_calls=("organizations:describe_resource_policy",),
        permissions=("organizations:DescribeOrganization", "organizations:DescribeResourcePolicy"),
        hash_rules=HashRules(unordered=("config.Delegates", "config.Actions", "facets.org_policy_delegates")),
        collect=organizations.collect_delegation_policy,
        doc="The resource-based delegation policy: member accounts allowed to manage Organizations policies "
            "(management account only; others skip)."),
    ResourceSpec(
        provider="aws", type="aws.iam.support_access", category="iam", service="iam", scope="global",
        list_call="iam:list_entities_for_policy", permissions=("iam:ListEntitiesForPolicy",),
        hash_rules=HashRules(unordered=("config.PolicyGroups", "config.PolicyUsers", "config.PolicyRoles",
                                        "facets.support_roles")),
        collect=account.collect_support_access,
        doc="Groups, users and roles holding the AWS-managed AWSSupportAccess policy."),
    ResourceSpec(
        provider="aws", type="aws.iam.federation", category="iam", service="iam", scope="global",
        list_call="iam:list_saml_providers", permissions=("iam:ListSAMLProviders",),
        hash_rules=HashRules(unordered=("config.SAMLProviders",)), collect=account.collect_federation,
        doc="Whether the account federates sign-in: its IAM SAML identity providers (one resource per account)."),
    ResourceSpec(
        provider="aws", type="aws.iam.server_certificate", category="iam", service="iam", scope="global",
        list_call="iam:list_server_certificates", permissions=("iam:ListServerCertificates",),
        collect=account.collect_server_certificates, doc="IAM server certificates (metadata and expiry only)."),
    ResourceSpec(
        provider="aws", type="aws.accessanalyzer.analyzers", category="iam", service="accessanalyzer",
        list_call="accessanalyzer:list_analyzers", permissions=("access-analyzer:ListAnalyzers",),
        hash_rules=HashRules(unordered=("config.Analyzers",)), collect=account.collect_access_analyzers,
        doc="IAM Access Analyzer analyzers of each region (one resource per region, also when there is none)."),
    ResourceSpec(
        provider="aws", type="aws.account.security_contact", category="iam", service="account", scope="global",
        list_call="account:get_alternate_contact", permissions=("account:GetAlternateContact",),
        collect=account.collect_security_contact,
        doc="Whether a SECURITY alternate contact is registered (its personal data is not stored)."),
    ResourceSpec(
        provider="aws", type="aws.macie.session", category="storage", service="macie2",
        list_call="macie2:get_macie_session", permissions=("macie2:GetMacieSession",),
        collect=account.collect_macie_session,
        doc="Amazon Macie status per region (one resource per region, also when Macie is off)."),
    ResourceSpec(
        provider="aws", type="aws.efs.file_system", category="storage", service="efs",
        list_call="efs:describe_file_systems", detail_calls=("kms:describe_key",),
        permissions=("elasticfilesystem:DescribeFileSystems", "kms:DescribeKey"),
        hash_rules=HashRules(volatile=("config.LifeCycleState",)), collect=efs.collect_file_systems,
        doc="EFS file systems: encryption at rest and its key."),
)
