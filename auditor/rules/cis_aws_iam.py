"""CIS AWS Foundations: the identity and account section (root user, users' credentials, password
policy, support role, certificates, Access Analyzer, contacts) and the storage section (S3, RDS,
EFS), over the facets the AWS collectors fill.

Every rule reads only facets; a facet that was not collected (None) gives UNKNOWN, never PASS.
Ages are measured against the snapshot's time (``ctx.as_of``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from auditor.rules.facts import MISSING, age_days, facet, flag, unknown
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, UNKNOWN, Result

USER = ("aws.iam.user",)
PRINCIPALS = ("aws.iam.user", "aws.iam.group", "aws.iam.role")
ROOT = ("aws.iam.root_user",)
PASSWORD_POLICY = ("aws.iam.password_policy",)
BUCKET = ("aws.s3.bucket",)
RDS_INSTANCE = ("aws.rds.instance",)
RDS = ("aws.rds.instance", "aws.rds.cluster")

UNUSED_DAYS = 45  # CIS: credentials unused for 45 days or more are disabled
ROOT_USE_DAYS = 30  # root sign-in or key use this recent is "daily use" (CIS asks for none at all)
MIN_PASSWORD_LENGTH = 14
PASSWORD_REUSE = 24
CLOUDSHELL_FULL = ":iam::aws:policy/AWSCloudShellFullAccess"




# ---- root user --------------------------------------------------------------------------------

@rule(id="iam.root_access_key", title="Root user has an active access key", severity="critical", kind="posture",
      rationale="A root access key is an unrestricted, unscopable credential for the whole account.",
      remediation="Delete the root user's access keys; use IAM roles or users with scoped permissions.",
      types=ROOT, reads=("root_access_keys_active",))
def root_access_key(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "root_access_keys_active", good=False, ok="root has no active access key",
                 bad="root has an active access key", what="root access keys")


@rule(id="iam.root_mfa", title="Root user without MFA", severity="critical", kind="posture",
      rationale="The root user can do anything, including closing the account; a password alone is phishable.",
      remediation="Enable MFA on the root user (a hardware device where possible).",
      types=ROOT, reads=("root_mfa",))
def root_mfa(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "root_mfa", good=True, ok="root MFA enabled", bad="root has no MFA", what="root MFA")


@rule(id="iam.root_hardware_mfa", title="Root user MFA is not a hardware device", severity="high", kind="posture",
      rationale="A virtual MFA lives on a phone or laptop that can be lost, cloned or compromised; the root user "
                "deserves a dedicated hardware key.",
      remediation="Replace the root user's virtual MFA with a hardware MFA device or FIDO security key.",
      types=ROOT, reads=("root_hardware_mfa",))
def root_hardware_mfa(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "root_hardware_mfa", good=True, ok="root MFA is a hardware device",
                 bad="root has no hardware MFA", what="root MFA device type")


@rule(id="iam.root_recent_use", title="Root user used recently", severity="medium", kind="posture",
      rationale="Daily use of root exposes the one credential that cannot be limited; CIS asks that it be kept "
                "for the few tasks only root can do.",
      remediation=f"Use IAM roles for administration; investigate root sign-ins or key use in the last "
                  f"{ROOT_USE_DAYS} days.", types=ROOT, reads=("root_last_used", "root_mfa"))
def root_recent_use(res: Any, ctx: RuleContext) -> Result | None:
    last = facet(res, "root_last_used")
    if last is MISSING:
        return None
    if last is None:
        # the credential report was read (root_mfa known) and shows no use at all
        return unknown("root use") if res.facets.get("root_mfa") is None else Result(PASS, "root never used")
    days = age_days(last, ctx.as_of)
    if days is None:
        return unknown("root last use")
    ev = {"root_last_used": last, "days_ago": days, "window_days": ROOT_USE_DAYS}
    if days <= ROOT_USE_DAYS:
        return Result(FAIL, f"root used {days} day(s) ago", ev)
    return Result(PASS, f"root not used in the last {ROOT_USE_DAYS} days", ev)


@rule(id="iam.root_access_not_centralized", title="Member accounts' root credentials are not managed centrally",
      severity="medium", kind="posture",
      rationale="With centralized root access, member accounts can have no root password, keys or MFA at all; "
                "privileged root tasks run as short sessions from the management account.",
      remediation="Enable IAM trusted access in AWS Organizations and turn on root credentials management "
                  "(and root sessions) in the IAM console of the management account.",
      types=("aws.iam.organizations_features",), reads=("root_credentials_management",))
def root_access_not_centralized(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "root_credentials_management", good=True, ok="root credentials managed centrally",
                 bad="root credentials management is off", what="organization features")


# ---- delegated administration (AWS Organizations, management account) ---------------------------

def _trusted_admins(ctx: RuleContext) -> set[str]:
    checks = getattr(ctx.config, "checks", None)
    return set(getattr(checks, "aws_trusted_delegated_admins", None) or [])


def _delegates_verdict(accounts: list[str], trusted: set[str], ev: dict[str, Any], *, none: str,
                       untrusted: str, ok: str) -> Result:
    """CIS asks for a delegate, and only trusted ones: none -> FAIL, any untrusted -> FAIL."""
    if not accounts:
        return Result(FAIL, none, ev)
    outside = [a for a in accounts if a not in trusted]
    if outside:
        return Result(FAIL, untrusted.format(n=len(outside)), {**ev, "untrusted": outside})
    return Result(PASS, ok.format(n=len(accounts)), ev)


@rule(id="organizations.policy_management_not_delegated",
      title="Organizations policies are not managed by a trusted delegated administrator", severity="medium",
      kind="posture",
      rationale="Without a delegation policy every SCP, RCP and tag-policy change is made in the management "
                "account, which no SCP restrains; a delegate that is not a vetted governance account can rewrite the "
                "organization's guardrails.",
      remediation="In the management account, attach a resource-based delegation policy (Organizations > Settings) "
                  "that grants a dedicated governance account least-privilege policy actions, and list that account "
                  "in checks.aws_trusted_delegated_admins.",
      types=("aws.organizations.delegation_policy",), reads=("org_policy_delegates",))
def policy_management_not_delegated(res: Any, ctx: RuleContext) -> Result | None:
    delegates = facet(res, "org_policy_delegates")
    if delegates is MISSING:
        return None
    if delegates is None:
        return unknown("the Organizations delegation policy")
    trusted = _trusted_admins(ctx)
    return _delegates_verdict(
        delegates, trusted, {"delegates": delegates, "trusted": sorted(trusted)},
        none="no delegation policy: Organizations policies are managed from the management account",
        untrusted="the delegation policy names {n} account(s) not in checks.aws_trusted_delegated_admins",
        ok="Organizations policies are delegated to trusted account(s) only")


@rule(id="organizations.services_not_delegated",
      title="Organizations-integrated services are not run by trusted delegated administrators", severity="medium",
      kind="posture",
      rationale="Services administered from the management account concentrate daily work in the one account SCPs "
                "cannot restrain; a delegated administrator that is not a vetted security or logging account holds "
                "organization-wide control of that service.",
      remediation="Register dedicated member accounts as delegated administrators of the integrated services "
                  "(CloudTrail, GuardDuty, Security Hub...), deregister any other account, and list the dedicated "
                  "ones in checks.aws_trusted_delegated_admins.",
      types=("aws.organizations.delegated_administrators",), reads=("delegated_admins",))
def services_not_delegated(res: Any, ctx: RuleContext) -> Result | None:
    admins = facet(res, "delegated_admins")
    if admins is MISSING:
        return None
    if admins is None or not isinstance(admins, list):
        return unknown("delegated administrators")
    trusted = _trusted_admins(ctx)
    accounts = [str(a.get("account")) for a in admins if isinstance(a, dict)]
    return _delegates_verdict(
        accounts, trusted, {"delegated_admins": admins, "trusted": sorted(trusted)},
        none="no delegated administrator: integrated services are run from the management account",
        untrusted="{n} delegated administrator(s) not in checks.aws_trusted_delegated_admins",
        ok="{n} delegated administrator(s), all trusted")


# ---- users' credentials -----------------------------------------------------------------------

@rule(id="iam.credentials_unused", title="User credentials unused for 45 days or more", severity="medium",
      kind="posture",
      rationale="Passwords and keys nobody uses are forgotten credentials: they stay valid for whoever finds them.",
      remediation=f"Disable console passwords and deactivate access keys unused for {UNUSED_DAYS} days or more.",
      types=USER, reads=("console_access", "password_unused", "access_keys"))
def credentials_unused(res: Any, ctx: RuleContext) -> Result | None:
    """The collector judges "unused" at collection time (last-use timestamps are volatile, never stored)."""
    console, keys = res.facets.get("console_access"), res.facets.get("access_keys")
    stale: list[str] = []
    gaps: list[str] = []
    if console is True:
        unused = res.facets.get("password_unused")
        if unused is None:
            gaps.append("password use")
        elif unused:
            stale.append("console password")
    elif console is None:
        gaps.append("console access")
    if keys is None:
        gaps.append("access keys")
    for k in keys or []:
        if isinstance(k, dict) and k.get("active"):
            if k.get("unused") is None:
                gaps.append(f"key …{k.get('id_suffix')} use")
            elif k["unused"]:
                stale.append(f"key …{k.get('id_suffix')}")
    ev = {"unused_days": UNUSED_DAYS, "stale": stale, "not_collected": gaps}
    if stale:
        return Result(FAIL, f"unused for {UNUSED_DAYS}+ days: " + ", ".join(stale), ev)
    if gaps:
        return Result(UNKNOWN, ", ".join(gaps) + " not collected", ev)
    return Result(PASS, f"every active credential used within {UNUSED_DAYS} days", ev)


def _active_keys(res: Any) -> list[dict[str, Any]] | None | object:
    keys = facet(res, "access_keys")
    if keys is MISSING or keys is None:
        return keys
    return [k for k in keys if isinstance(k, dict) and k.get("active")]


@rule(id="iam.multiple_active_keys", title="User has more than one active access key", severity="medium",
      kind="posture",
      rationale="Two live keys double the secrets to protect and usually mean a rotation never finished.",
      remediation="Keep one active access key per user; deactivate and delete the other after rotation.",
      types=USER, reads=("access_keys",))
def multiple_active_keys(res: Any, ctx: RuleContext) -> Result | None:
    active = _active_keys(res)
    if active is MISSING:
        return None
    if active is None:
        return unknown("access keys")
    ev = {"active_keys": [k.get("id_suffix") for k in active]}  # type: ignore[union-attr]
    n = len(active)  # type: ignore[arg-type]
    return Result(FAIL, f"{n} active access keys", ev) if n > 1 else Result(PASS, f"{n} active access key(s)", ev)


@rule(id="iam.setup_access_key", title="Console user has an access key that was never used", severity="low",
      kind="posture",
      rationale="Keys created with a console user \"just in case\" are long-lived secrets nobody needs.",
      remediation="Delete access keys never used; create keys only when a workload needs them.",
      types=USER, reads=("console_access", "access_keys"))
def setup_access_key(res: Any, ctx: RuleContext) -> Result | None:
    console = facet(res, "console_access")
    if console is MISSING or console is False:
        return None
    active = _active_keys(res)
    if console is None or active is None or active is MISSING:
        return unknown("console access or access keys")
    unused = [k.get("id_suffix") for k in active if k.get("used") is False]  # type: ignore[union-attr]
    if unused:
        return Result(FAIL, f"{len(unused)} active key(s) never used", {"keys": unused})
    return Result(PASS, "no unused access key on a console user")


@rule(id="iam.user_direct_policies", title="User has policies attached directly", severity="low", kind="posture",
      rationale="Permissions granted per user drift and escape review; groups and roles keep grants in one place.",
      remediation="Move the user's inline and attached policies to a group (or role) and add the user to it.",
      types=USER, reads=("direct_policies",))
def user_direct_policies(res: Any, ctx: RuleContext) -> Result | None:
    direct = facet(res, "direct_policies")
    if direct is MISSING:
        return None
    if direct is None:
        return unknown("user policies")
    if direct:
        return Result(FAIL, f"{len(direct)} policy(ies) on the user itself", {"direct_policies": list(direct)[:50]})
    return Result(PASS, "permissions only through groups")


@rule(id="iam.admin_policy_attached", title="Customer policy granting full admin is attached", severity="high",
      kind="posture",
      rationale="An attached \"*:*\" policy hands full control of the account to whoever holds it.",
      remediation="Detach the policy and grant scoped permissions; keep full admin to break-glass roles.",
      types=("aws.iam.policy",), reads=("admin", "attached"))
def admin_policy_attached(res: Any, ctx: RuleContext) -> Result | None:
    admin, attached = facet(res, "admin"), facet(res, "attached")
    if admin is MISSING or attached is MISSING:
        return None
    if admin is False or attached is False:
        return Result(PASS, "not admin-equivalent" if admin is False else "admin policy not attached",
                      {"admin": admin, "attached": attached})
    if admin is None or attached is None:
        return unknown("policy content or attachments")
    return Result(FAIL, "admin-equivalent policy is attached", {"admin": admin, "attached": attached})


@rule(id="iam.cloudshell_full_access", title="Identity holds AWSCloudShellFullAccess", severity="medium",
      kind="posture",
      rationale="CloudShell full access allows file upload and download and unrestricted outbound network "
                "from inside the account: a data-exfiltration path.",
      remediation="Detach AWSCloudShellFullAccess; grant CloudShell with a scoped custom policy if needed.",
      types=PRINCIPALS, reads=("managed_policy_arns",))
def cloudshell_full_access(res: Any, ctx: RuleContext) -> Result | None:
    arns = facet(res, "managed_policy_arns")
    if arns is MISSING:
        return None
    if arns is None:
        return unknown("attached policies")
    if any(str(a).endswith(CLOUDSHELL_FULL) for a in arns):
        return Result(FAIL, "AWSCloudShellFullAccess attached")
    return Result(PASS, "AWSCloudShellFullAccess not attached")


# ---- account settings -------------------------------------------------------------------------

def _password_setting(res: Any, name: str, minimum: int, label: str) -> Result | None:
    is_set = facet(res, "password_policy_set")
    if is_set is MISSING:
        return None
    if is_set is False:
        return Result(FAIL, "no account password policy (AWS defaults apply)", {"password_policy_set": False})
    if is_set is None:
        return unknown("password policy")
    value = res.facets.get(name)
    ev = {name: value, "required": minimum}
    if isinstance(value, int) and value >= minimum:
        return Result(PASS, f"{label} {value}", ev)
    return Result(FAIL, f"{label} {value if value is not None else 'not set'} (needs {minimum})", ev)


@rule(id="iam.password_min_length", title="Password policy allows passwords shorter than 14 characters",
      severity="medium", kind="posture",
      rationale="Short passwords fall to guessing and cracking; CIS asks for at least 14 characters.",
      remediation=f"Set the account password policy's minimum length to {MIN_PASSWORD_LENGTH} or more.",
      types=PASSWORD_POLICY, reads=("password_policy_set", "password_min_length"))
def password_min_length(res: Any, ctx: RuleContext) -> Result | None:
    return _password_setting(res, "password_min_length", MIN_PASSWORD_LENGTH, "minimum length")


@rule(id="iam.password_reuse", title="Password policy allows reusing recent passwords", severity="medium",
      kind="posture",
      rationale="Reused passwords bring back credentials that may already have leaked.",
      remediation=f"Set the password policy to remember the last {PASSWORD_REUSE} passwords.",
      types=PASSWORD_POLICY, reads=("password_policy_set", "password_reuse_prevention"))
def password_reuse(res: Any, ctx: RuleContext) -> Result | None:
    return _password_setting(res, "password_reuse_prevention", PASSWORD_REUSE, "passwords remembered:")


@rule(id="iam.no_federation", title="Account has no SAML identity provider for central sign-in", severity="low",
      kind="posture",
      rationale="People who sign in as IAM users have one more password and key set per account, outside the "
                "organisation's joiner/leaver process; federation keeps identities in one place.",
      remediation="Federate sign-in (an IAM SAML provider, or IAM Identity Center for the organization) and "
                  "retire IAM users for people.", types=("aws.iam.federation",), reads=("saml_providers",))
def no_federation(res: Any, ctx: RuleContext) -> Result | None:
    n = facet(res, "saml_providers")
    if n is MISSING:
        return None
    if n is None:
        return unknown("SAML providers")
    return Result(PASS, f"{n} SAML identity provider(s)", {"saml_providers": n}) if n else \
        Result(FAIL, "no SAML identity provider (IAM Identity Center is not checked)", {"saml_providers": 0})


@rule(id="iam.support_role_missing", title="No role can manage AWS Support incidents", severity="low",
      kind="posture",
      rationale="During an incident someone must be able to open support cases without using root.",
      remediation="Create a role with the AWSSupportAccess managed policy and let the incident team assume it.",
      types=("aws.iam.support_access",), reads=("support_roles",))
def support_role_missing(res: Any, ctx: RuleContext) -> Result | None:
    roles = facet(res, "support_roles")
    if roles is MISSING:
        return None
    if roles is None:
        return unknown("AWSSupportAccess holders")
    if roles:
        return Result(PASS, f"support role(s): {', '.join(map(str, roles[:5]))}", {"support_roles": list(roles)})
    return Result(FAIL, "no role holds AWSSupportAccess", {"support_roles": []})


@rule(id="iam.server_certificate_expired", title="Expired SSL/TLS certificate stored in IAM", severity="medium",
      kind="posture",
      rationale="An expired certificate still deployed breaks clients or gets trusted by mistake; stored ones "
                "clutter and get redeployed.",
      remediation="Delete expired server certificates (aws iam delete-server-certificate); use ACM.",
      types=("aws.iam.server_certificate",), reads=("expires",))
def server_certificate_expired(res: Any, ctx: RuleContext) -> Result | None:
    expires = facet(res, "expires")
    if expires is MISSING:
        return None
    if expires is None:
        return unknown("certificate expiry")
    then = datetime.fromisoformat(str(expires))
    now = ctx.as_of or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return Result(FAIL if then <= now else PASS, f"expire{'d' if then <= now else 's'} {expires}",
                  {"expires": expires})


@rule(id="iam.access_analyzer_missing", title="IAM Access Analyzer not enabled in the region", severity="medium",
      kind="posture",
      rationale="Access Analyzer reports resources shared outside the account or organisation as they appear.",
      remediation="Create an account (or organization) analyzer in every enabled region.",
      types=("aws.accessanalyzer.analyzers",), reads=("access_analyzer",))
def access_analyzer_missing(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "access_analyzer", good=True, ok="an active analyzer exists",
                 bad="no active Access Analyzer in this region", what="Access Analyzer state")


@rule(id="account.security_contact_missing", title="No security contact registered for the account",
      severity="low", kind="posture",
      rationale="AWS sends abuse and security notices to the security alternate contact; without one they "
                "reach whoever reads the root mailbox, if anyone.",
      remediation="Register a SECURITY alternate contact (a team address, not a person).",
      types=("aws.account.security_contact",), reads=("security_contact",))
def security_contact_missing(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "security_contact", good=True, ok="security contact registered",
                 bad="no security contact registered", what="security contact")


# ---- storage: S3, RDS, EFS --------------------------------------------------------------------

@rule(id="s3.mfa_delete", title="S3 bucket without MFA delete", severity="low", kind="posture",
      rationale="MFA delete stops a stolen credential from deleting object versions or suspending versioning.",
      remediation="Enable versioning with MFA delete (root credentials with MFA are required to set it).",
      types=BUCKET, reads=("mfa_delete",))
def s3_mfa_delete(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "mfa_delete", good=True, ok="MFA delete enabled", bad="MFA delete not enabled",
                 what="MFA delete")


@rule(id="s3.versioning", title="S3 bucket without versioning", severity="medium", kind="posture",
      rationale="Without versioning an overwrite or delete (ransomware, a bad deploy) destroys the only copy.",
      remediation="Enable bucket versioning, with lifecycle rules to expire old versions.",
      types=BUCKET, reads=("versioning",))
def s3_versioning(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "versioning", good=True, ok="versioning enabled", bad="versioning not enabled",
                 what="versioning")


@rule(id="s3.block_public_access", title="S3 Block Public Access not fully enabled", severity="medium",
      kind="posture",
      rationale="All four Block Public Access settings stop a future policy or ACL from exposing data.",
      remediation="Turn on all four Block Public Access settings on the account (and buckets).",
      types=("aws.s3.bucket", "aws.s3.account_public_access_block"), reads=("public_access_blocked",))
def s3_block_public_access(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "public_access_blocked", good=True, ok="all four settings on (bucket or account)",
                 bad="Block Public Access not fully on", what="Block Public Access")


@rule(id="rds.unencrypted", title="RDS database not encrypted at rest", severity="high", kind="posture",
      rationale="Unencrypted database storage is readable from snapshots and the underlying volumes.",
      remediation="Restore from an encrypted snapshot copy into an encrypted instance (encryption cannot be "
                  "turned on in place).", types=RDS_INSTANCE, reads=("encrypted",))
def rds_unencrypted(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "encrypted", good=True, ok="storage encrypted", bad="storage not encrypted",
                 what="storage encryption")


@rule(id="rds.publicly_accessible", title="RDS instance publicly accessible", severity="high", kind="posture",
      rationale="A public endpoint puts the database listener on the internet, one weak password from a breach.",
      remediation="Set PubliclyAccessible to false and reach the database through private networking.",
      types=RDS_INSTANCE, reads=("public_network_access",))
def rds_publicly_accessible(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "public_network_access", good=False, ok="not publicly accessible",
                 bad="publicly accessible", what="public accessibility")


@rule(id="rds.auto_minor_upgrade", title="RDS instance without automatic minor version upgrades",
      severity="low", kind="posture",
      rationale="Minor engine versions carry security fixes; automatic upgrades apply them in the maintenance "
                "window.", remediation="Enable AutoMinorVersionUpgrade on the instance.",
      types=RDS_INSTANCE, reads=("auto_minor_version_upgrade",))
def rds_auto_minor_upgrade(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "auto_minor_version_upgrade", good=True, ok="automatic minor upgrades on",
                 bad="automatic minor upgrades off", what="minor version upgrade setting")


@rule(id="rds.multi_az", title="RDS database without Multi-AZ", severity="low", kind="posture",
      rationale="A single-AZ database is down for the whole of an AZ outage or a failed host.",
      remediation="Enable Multi-AZ (instances) or add instances in other AZs (clusters).",
      types=RDS, reads=("multi_az",))
def rds_multi_az(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "multi_az", good=True, ok="Multi-AZ", bad="single AZ", what="Multi-AZ setting")


@rule(id="s3.macie_disabled", title="Amazon Macie not enabled in the region", severity="low", kind="posture",
      rationale="Without sensitive-data discovery nobody knows which buckets hold personal or secret data, so "
                "nobody knows which ones need the strictest controls.",
      remediation="Enable Macie (automated sensitive data discovery) in every region that holds S3 data.",
      types=("aws.macie.session",), reads=("macie_enabled",))
def macie_disabled(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "macie_enabled", good=True, ok="Macie enabled", bad="Macie not enabled",
                 what="Macie status")


@rule(id="efs.unencrypted", title="EFS file system not encrypted at rest", severity="high", kind="posture",
      rationale="Unencrypted file systems expose their data to anyone with access to the storage media.",
      remediation="Create an encrypted file system and migrate the data (encryption cannot be enabled later).",
      types=("aws.efs.file_system",), reads=("encrypted",))
def efs_unencrypted(res: Any, ctx: RuleContext) -> Result | None:
    return flag(res, "encrypted", good=True, ok="encrypted at rest", bad="not encrypted at rest",
                 what="encryption at rest")


@rule(id="compute.instance_profile_missing", title="EC2 instance without an IAM instance role", severity="low",
      kind="posture",
      rationale="Without an instance role, software on the instance needs long-lived access keys stored on it.",
      remediation="Attach an instance profile with the role the workload needs; remove keys from the instance.",
      types=("aws.ec2.instance",), reads=("identity",))
def instance_profile_missing(res: Any, ctx: RuleContext) -> Result | None:
    if facet(res, "identity") is MISSING or res.facets.get("state") in ("terminated", "shutting-down"):
        return None
    profile = res.facets.get("identity")  # the collector sets the profile ARN, None when none is attached
    return Result(PASS, "instance role attached", {"identity": profile}) if profile else \
        Result(FAIL, "no instance profile attached")
