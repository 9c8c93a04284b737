"""FAIL and PASS estates for the CIS AWS identity/account and storage rules (auditor/rules/cis_aws_iam.py).

States moto cannot produce (a root row in the credential report, keys and passwords used or
created months ago, an unexpired server certificate) are covered here only.
"""

from __future__ import annotations

from typing import Any

from tests.identity.factories import AWS_OTHER
from tests.rules.examples import ago, res

ARN = "arn:aws:iam::aws:policy/"


def a(type_: str, category: str = "iam", **facets: Any) -> list:  # type: ignore[type-arg]
    return [res("aws", type_, category, type_.rsplit(".", 1)[-1], facets,
                region="global" if category == "iam" else "eu-west-1")]


def root(**kw: Any) -> list:  # type: ignore[type-arg]
    base = {"root_access_keys_active": False, "root_mfa": True, "root_hardware_mfa": True, "root_last_used": None}
    return a("aws.iam.root_user", **{**base, **kw})


def key(suffix: str, created: int, used: int | None, active: bool = True) -> dict[str, Any]:
    """A key facet as the collector builds it (unused: 45+ days since last use, or creation)."""
    return {"id_suffix": suffix, "active": active, "created": ago(created), "used": used is not None,
            "unused": (used if used is not None else created) >= 45}


def user(**kw: Any) -> list:  # type: ignore[type-arg]
    base = {"console_access": True, "mfa": True, "password_unused": False,
            "access_keys": [key("AAAA", 30, 1)],
            "direct_policies": [], "managed_policy_arns": []}
    return a("aws.iam.user", **{**base, **kw})


def pw(**kw: Any) -> list:  # type: ignore[type-arg]
    return a("aws.iam.password_policy", **{"password_policy_set": True, **kw})


def db(type_: str = "aws.rds.instance", **kw: Any) -> list:  # type: ignore[type-arg]
    return a(type_, "storage", **kw)


EXAMPLES = {
    "iam.root_access_key": (lambda: root(root_access_keys_active=True), lambda: root()),
    "iam.root_mfa": (lambda: root(root_mfa=False, root_hardware_mfa=False), lambda: root()),
    "iam.root_hardware_mfa": (lambda: root(root_hardware_mfa=False), lambda: root()),
    "iam.root_recent_use": (lambda: root(root_last_used=ago(2)), lambda: root(root_last_used=ago(200))),
    # the trusted delegated administrator is AWS_OTHER (checks.aws_trusted_delegated_admins in examples.CONFIG)
    "organizations.policy_management_not_delegated": (
        lambda: a("aws.organizations.delegation_policy", org_policy_delegates=[AWS_OTHER, "999988887777"]),
        lambda: a("aws.organizations.delegation_policy", org_policy_delegates=[AWS_OTHER])),
    "organizations.services_not_delegated": (
        lambda: a("aws.organizations.delegated_administrators", delegated_admins=[]),
        lambda: a("aws.organizations.delegated_administrators", delegated_admins=[
            {"account": AWS_OTHER, "status": "ACTIVE", "services": ["cloudtrail.amazonaws.com"]}])),
    "iam.root_access_not_centralized": (
        lambda: a("aws.iam.organizations_features", root_credentials_management=False),
        lambda: a("aws.iam.organizations_features", root_credentials_management=True)),
    "iam.credentials_unused": (
        lambda: user(access_keys=[key("AAAA", 400, 60)]),
        lambda: user()),
    "iam.multiple_active_keys": (
        lambda: user(access_keys=[key("AAAA", 10, 1), key("BBBB", 5, 1)]),
        lambda: user(access_keys=[key("AAAA", 10, 1), key("BBBB", 5, 1, active=False)])),
    "iam.setup_access_key": (
        lambda: user(access_keys=[key("AAAA", 10, None)]),
        lambda: user(access_keys=[key("AAAA", 10, 2)])),
    "iam.user_direct_policies": (
        lambda: user(direct_policies=[ARN + "ReadOnlyAccess", "inline:extra"]),
        lambda: user()),
    "iam.admin_policy_attached": (
        lambda: a("aws.iam.policy", admin=True, attached=True, malformed=[]),
        lambda: a("aws.iam.policy", admin=True, attached=False, malformed=[])),
    "iam.cloudshell_full_access": (
        lambda: a("aws.iam.role", admin=False, managed_policy_arns=[ARN + "AWSCloudShellFullAccess"]),
        lambda: a("aws.iam.role", admin=False, managed_policy_arns=[ARN + "ReadOnlyAccess"])),
    "iam.password_min_length": (
        lambda: pw(password_min_length=8, password_reuse_prevention=24),
        lambda: pw(password_min_length=14, password_reuse_prevention=24)),
    "iam.password_reuse": (
        lambda: a("aws.iam.password_policy", password_policy_set=False, password_min_length=None,
                  password_reuse_prevention=None),
        lambda: pw(password_min_length=14, password_reuse_prevention=24)),
    "iam.no_federation": (lambda: a("aws.iam.federation", saml_providers=0),
                          lambda: a("aws.iam.federation", saml_providers=1)),
    "iam.support_role_missing": (lambda: a("aws.iam.support_access", support_roles=[]),
                                 lambda: a("aws.iam.support_access", support_roles=["incident-support"])),
    "iam.server_certificate_expired": (lambda: a("aws.iam.server_certificate", expires=ago(3)),
                                       lambda: a("aws.iam.server_certificate", expires=ago(-90))),
    "iam.access_analyzer_missing": (lambda: a("aws.accessanalyzer.analyzers", access_analyzer=False),
                                    lambda: a("aws.accessanalyzer.analyzers", access_analyzer=True)),
    "account.security_contact_missing": (lambda: a("aws.account.security_contact", security_contact=False),
                                         lambda: a("aws.account.security_contact", security_contact=True)),
    "s3.mfa_delete": (lambda: a("aws.s3.bucket", "storage", versioning=True, mfa_delete=False),
                      lambda: a("aws.s3.bucket", "storage", versioning=True, mfa_delete=True)),
    "s3.versioning": (lambda: a("aws.s3.bucket", "storage", versioning=False),
                      lambda: a("aws.s3.bucket", "storage", versioning=True)),
    "s3.block_public_access": (
        lambda: a("aws.s3.account_public_access_block", "storage", public_access_blocked=False),
        lambda: a("aws.s3.account_public_access_block", "storage", public_access_blocked=True)),
    "rds.unencrypted": (lambda: db(encrypted=False), lambda: db(encrypted=True)),
    "rds.publicly_accessible": (lambda: db(public_network_access=True), lambda: db(public_network_access=False)),
    "rds.auto_minor_upgrade": (lambda: db(auto_minor_version_upgrade=False),
                               lambda: db(auto_minor_version_upgrade=True)),
    "rds.multi_az": (lambda: db("aws.rds.cluster", multi_az=False), lambda: db("aws.rds.cluster", multi_az=True)),
    "s3.macie_disabled": (lambda: a("aws.macie.session", "storage", macie_enabled=False),
                          lambda: a("aws.macie.session", "storage", macie_enabled=True)),
    "efs.unencrypted": (lambda: db("aws.efs.file_system", encrypted=False),
                        lambda: db("aws.efs.file_system", encrypted=True)),
    "compute.instance_profile_missing": (
        lambda: a("aws.ec2.instance", "compute", identity=None, state="running"),
        lambda: a("aws.ec2.instance", "compute", identity="arn:aws:iam::111122223333:instance-profile/app",
                  state="running")),
}
