"""Account-level posture the CIS AWS Foundations IAM and storage sections judge: the root user
(from the credential report), who holds AWSSupportAccess, IAM server certificates, IAM Access
Analyzer and Amazon Macie per region, and the security alternate contact.

Credential-report cells are attacker-influenced strings: only flags and timestamps are parsed
out of them, nothing is copied. The alternate contact's name, e-mail and phone are personal
data: only whether one is registered is stored.
"""

from __future__ import annotations

from typing import Any, Iterator

from botocore.exceptions import ClientError

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, paginate
from collectors.aws.errors import error_code
from collectors.aws.iam import credential_report, iso_utc, report_flag, report_time
from collectors.runner import UnitSkipped

ROOT_ROW = "<root_account>"
SUPPORT_POLICY = "AWSSupportAccess"


# ---- root user ------------------------------------------------------------------------------

def _latest(*stamps: str | None) -> str | None:
    known = [s for s in stamps if s]
    return max(known) if known else None  # ISO-8601 UTC strings sort by time


def _root_virtual_mfa(ctx: AwsUnitContext) -> bool:
    """Whether root's MFA device is a virtual one (the only kind ListVirtualMFADevices lists)."""
    root = f"arn:{ctx.partition}:iam::{ctx.account}:root"
    for dev in paginate(ctx.client("iam"), "list_virtual_mfa_devices", "VirtualMFADevices",
                        AssignmentStatus="Assigned"):
        user_arn = (dev.get("User") or {}).get("Arn")
        if user_arn == root or str(dev.get("SerialNumber", "")).endswith(":mfa/root-account-mfa-device"):
            return True
    return False


def root_facets(row: dict[str, str] | None, virtual_mfa: bool | None) -> dict[str, Any]:
    """Root facts from its credential-report row; all None when the report has no root row."""
    if row is None:
        return {"root_access_keys_active": None, "root_mfa": None, "root_hardware_mfa": None,
                "root_last_used": None}
    keys = [report_flag(row.get(f"access_key_{n}_active")) for n in (1, 2)]
    mfa = report_flag(row.get("mfa_active"))
    if mfa is None:
        hardware = None
    else:
        hardware = False if not mfa else (None if virtual_mfa is None else not virtual_mfa)
    return {
        "root_access_keys_active": True if True in keys else (None if None in keys else False),
        "root_mfa": mfa,
        "root_hardware_mfa": hardware,
        # None with root_mfa known means the report shows no use at all
        "root_last_used": _latest(report_time(row.get("password_last_used")),
                                  *(report_time(row.get(f"access_key_{n}_last_used_date")) for n in (1, 2))),
    }


def collect_root_user(ctx: AwsUnitContext) -> Iterator[Resource]:
    """Always one resource: the root user exists in every account, whether or not it is readable."""
    reports = credential_report(ctx)
    row = next((r for r in reports.values() if r.get("user") == ROOT_ROW), None)
    if row is None:
        ctx.note("credential report has no <root_account> row: root facets unknown")
    virtual = _root_virtual_mfa(ctx)
    facets = root_facets(row, virtual)
    config = {"InCredentialReport": row is not None,
              "AccessKeysActive": facets["root_access_keys_active"], "MfaActive": facets["root_mfa"],
              "VirtualMfa": virtual if row is not None else None, "LastUsed": facets["root_last_used"]}
    yield ctx.resource(native_id=f"arn:{ctx.partition}:iam::{ctx.account}:root", name="root",
                       config=config, facets=facets)


# ---- support role ---------------------------------------------------------------------------

def collect_support_access(ctx: AwsUnitContext) -> Iterator[Resource]:
    """Who can open AWS Support cases (CIS: a role for incident handling exists)."""
    arn = f"arn:{ctx.partition}:iam::aws:policy/{SUPPORT_POLICY}"
    groups, users, roles = [], [], []
    pager = ctx.client("iam").get_paginator("list_entities_for_policy")
    for page in pager.paginate(PolicyArn=arn):
        groups += [str(g.get("GroupName")) for g in page.get("PolicyGroups") or []]
        users += [str(u.get("UserName")) for u in page.get("PolicyUsers") or []]
        roles += [str(r.get("RoleName")) for r in page.get("PolicyRoles") or []]
    config = {"PolicyArn": arn, "PolicyGroups": sorted(groups), "PolicyUsers": sorted(users),
              "PolicyRoles": sorted(roles)}
    yield ctx.resource(native_id=f"arn:{ctx.partition}:iam::{ctx.account}:support-access", name=ctx.account,
                       config=config, facets={"support_roles": sorted(roles)})


# ---- federation -----------------------------------------------------------------------------

def collect_federation(ctx: AwsUnitContext) -> Iterator[Resource]:
    """Always one resource: an account whose people sign in as IAM users, with no SAML identity
    provider, is itself the finding (CIS: users managed centrally through federation)."""
    arns = sorted(str(p.get("Arn")) for p in ctx.client("iam").list_saml_providers().get("SAMLProviderList") or [])
    yield ctx.resource(native_id=f"arn:{ctx.partition}:iam::{ctx.account}:federation", name=ctx.account,
                       config={"SAMLProviders": arns}, facets={"saml_providers": len(arns)})


# ---- centralized root access (AWS Organizations) -------------------------------------------------

NOT_MANAGING = frozenset({"AccountNotManagementOrDelegatedAdministratorException", "OrganizationNotFoundException"})
# The organization exists but cannot have the feature on: IAM trusted access off, or billing-only mode.
FEATURE_OFF = frozenset({"ServiceAccessNotEnabledException", "OrganizationNotInAllFeaturesModeException"})


def collect_organizations_features(ctx: AwsUnitContext) -> Iterator[Resource]:
    """Centralized root access for member accounts (IAM ListOrganizationsFeatures). Only the
    organization's management account (or IAM's delegated administrator) can answer; any other
    account skips the unit, since the control is judged once, where it is set."""
    try:
        resp = ctx.client("iam").list_organizations_features()
    except ClientError as exc:
        code = error_code(exc)
        if code in NOT_MANAGING:
            raise UnitSkipped(f"not an organization management or IAM delegated administrator account ({code})")
        if code not in FEATURE_OFF:
            raise
        ctx.note(f"centralized root access is off: {code}")
        resp = {}
    features = sorted(str(f) for f in resp.get("EnabledFeatures") or [])
    yield ctx.resource(native_id=f"arn:{ctx.partition}:iam::{ctx.account}:organizations-features", name=ctx.account,
                       config={"OrganizationId": resp.get("OrganizationId"), "EnabledFeatures": features},
                       facets={"root_credentials_management": "RootCredentialsManagement" in features})


# ---- server certificates --------------------------------------------------------------------

def collect_server_certificates(ctx: AwsUnitContext) -> Iterator[Resource]:
    """Certificate metadata only (ListServerCertificates never returns bodies or keys)."""
    for meta in paginate(ctx.client("iam"), "list_server_certificates", "ServerCertificateMetadataList"):
        cfg = {k: meta.get(k) for k in ("ServerCertificateName", "ServerCertificateId", "Path", "Arn",
                                        "UploadDate", "Expiration")}
        yield ctx.resource(native_id=meta["Arn"], name=meta.get("ServerCertificateName"), config=cfg,
                           facets={"expires": iso_utc(meta.get("Expiration"))})


# ---- IAM Access Analyzer --------------------------------------------------------------------

def collect_access_analyzers(ctx: AwsUnitContext) -> Iterator[Resource]:
    """One resource per region, also when it has no analyzer (that absence is the finding)."""
    analyzers = [{"name": a.get("name"), "type": a.get("type"), "status": a.get("status")}
                 for a in paginate(ctx.client("accessanalyzer"), "list_analyzers", "analyzers")]
    active = any(a["status"] == "ACTIVE" for a in analyzers)
    yield ctx.resource(native_id=ctx.arn("access-analyzer", "analyzers"), name=f"{ctx.account}/{ctx.region}",
                       config={"Analyzers": sorted(analyzers, key=lambda a: str(a["name"]))},
                       facets={"access_analyzer": active})


# ---- alternate contacts ---------------------------------------------------------------------

def collect_security_contact(ctx: AwsUnitContext) -> Iterator[Resource]:
    try:
        ctx.client("account").get_alternate_contact(AlternateContactType="SECURITY")
        registered = True
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        registered = False
    yield ctx.resource(native_id=f"arn:{ctx.partition}:account::{ctx.account}:alternate-contact/SECURITY",
                       name=ctx.account, config={"AlternateContactType": "SECURITY", "Registered": registered},
                       facets={"security_contact": registered})


# ---- Amazon Macie ---------------------------------------------------------------------------

def _macie_off(exc: ClientError) -> bool:
    """Macie not enabled: AWS answers AccessDeniedException "Macie is not enabled", some
    emulators ResourceNotFoundException. Any other denial is a real denial (unit status)."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", ""))
    return code == "ResourceNotFoundException" or (code == "AccessDeniedException" and "Macie is not enabled" in message)


def collect_macie_session(ctx: AwsUnitContext) -> Iterator[Resource]:
    """One resource per region: Macie's status there (sensitive data discovery for S3)."""
    try:
        status = ctx.client("macie2").get_macie_session().get("status")
    except ClientError as exc:
        if not _macie_off(exc):
            raise
        status = None
    yield ctx.resource(native_id=ctx.arn("macie2", "session"), name=f"{ctx.account}/{ctx.region}",
                       config={"Status": status or "NOT_ENABLED"}, facets={"macie_enabled": status == "ENABLED"})
