"""IAM collectors. Users, groups, roles and customer managed policies come from
GetAccountAuthorizationDetails (one paginated call per type) instead of N per-entity calls;
console access and MFA state come from the credential report.

Admin and privilege-escalation facets are the policy evaluator's answer
(``auditor.identity.privilege``) over every policy that applies: inline, attached customer
managed, attached AWS managed (read once per account with the AWSManagedPolicy filter of the
same call) and, for users, those of their groups.

Access keys are stored by the last four characters of their id only.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from botocore.exceptions import ClientError

from auditor.identity.policy import PolicyDocument, parse_policy
from auditor.identity.privilege import admin_verdict, escalation_paths
from auditor.model import Resource
from collectors.aws import policy
from collectors.aws.context import AwsUnitContext, paginate, tags_dict
from collectors.aws.errors import DetailFailures, error_code

REPORT_POLLS = 10
UNUSED_DAYS = 45  # CIS AWS: credentials unused for 45 days or more are disabled


def iso_utc(value: Any) -> str | None:
    """A timestamp as ISO-8601 UTC (facets carry timestamps; rules compute ages)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


def _auth_details(ctx: AwsUnitContext, filter_: str, key: str) -> Iterator[dict[str, Any]]:
    yield from paginate(ctx.client("iam"), "get_account_authorization_details", key, Filter=[filter_])


def _inline(entries: list[dict[str, Any]] | None, label: str, malformed: list[str]) -> list[dict[str, Any]]:
    out = []
    for e in entries or []:
        e = dict(e)
        e["PolicyDocument"] = policy.canonical_or_note(e.get("PolicyDocument"), f"{label}/{e.get('PolicyName')}",
                                                       malformed)
        out.append(e)
    return out


@dataclass(slots=True)
class PolicyCatalogue:
    """An account's managed policies (default versions, parsed) and groups, read once per run."""

    policies: dict[str, PolicyDocument] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # group name -> GroupDetail


CATALOGUE_FILTER = ["LocalManagedPolicy", "AWSManagedPolicy", "Group"]


def _default_document(pol: dict[str, Any]) -> Any:
    for v in pol.get("PolicyVersionList") or []:
        if v.get("IsDefaultVersion"):
            return v.get("Document")
    return None


def read_catalogue(ctx: AwsUnitContext) -> PolicyCatalogue:
    cat = PolicyCatalogue()
    iam = ctx.client("iam")
    for page in iam.get_paginator("get_account_authorization_details").paginate(Filter=CATALOGUE_FILTER):
        for pol in page.get("Policies") or []:
            # AWS-managed policies nobody attached cannot grant anything here.
            if pol.get("AttachmentCount", 1) or ":iam::aws:policy/" not in pol["Arn"]:
                cat.policies[pol["Arn"]] = parse_policy(_default_document(pol))
        for group in page.get("GroupDetailList") or []:
            cat.groups[group["GroupName"]] = group
    return cat


def catalogue(ctx: AwsUnitContext) -> PolicyCatalogue | None:
    """The account's catalogue, shared by the user, group and role units of one run; None when
    it cannot be read (the facets that rest on it are then unknown, never a guess)."""
    try:
        return ctx.factory.memo(("iam-policy-catalogue", ctx.target), lambda: read_catalogue(ctx))
    except ClientError as exc:
        ctx.note(f"managed policies unreadable ({error_code(exc)}): admin and escalation facets unknown")
        return None


def _policies_of(entity: dict[str, Any], inline_key: str, cat: PolicyCatalogue | None
                 ) -> tuple[list[PolicyDocument], list[str], bool]:
    """(documents, attached ARNs, every document was found)."""
    docs = [parse_policy(p.get("PolicyDocument")) for p in entity.get(inline_key) or []]
    arns = [str(p.get("PolicyArn")) for p in entity.get("AttachedManagedPolicies") or []]
    complete = True
    for arn in arns:
        doc = cat.policies.get(arn) if cat is not None else None
        if doc is None:
            complete = False
        else:
            docs.append(doc)
    return docs, arns, complete


def _principal_facets(cfg: dict[str, Any], inline_key: str, malformed: list[str],
                      cat: PolicyCatalogue | None) -> dict[str, Any]:
    docs, arns, complete = _policies_of(cfg, inline_key, cat)
    arns_known = True
    for group_name in cfg.get("GroupList") or []:  # users inherit their groups' policies
        group = cat.groups.get(group_name) if cat is not None else None
        if group is None:
            complete = arns_known = False
            continue
        gdocs, garns, gcomplete = _policies_of(group, "GroupPolicyList", cat)
        docs, arns, complete = docs + gdocs, arns + garns, complete and gcomplete
    verdict = admin_verdict(docs, arns)
    paths = escalation_paths(docs, self_arn=cfg.get("Arn"))
    admin: bool | None = True if verdict.admin else (False if complete else None)
    return {"admin": admin,
            "managed_policy_arns": sorted(set(arns)) if arns_known else None,
            "admin_conditions": verdict.conditions if admin is not None else None,
            "privilege_escalation": paths if (complete or paths) else None,
            "malformed": malformed}


def _record_malformed(ctx: AwsUnitContext, what: str, malformed: list[str]) -> None:
    for m in malformed:
        ctx.note(f"{what}: malformed policy {m}")


# ---- users ------------------------------------------------------------------------------------

def credential_report(ctx: AwsUnitContext) -> dict[str, dict[str, str]]:
    """Credential report rows by user ARN (generated on demand; AWS builds it asynchronously)."""
    iam = ctx.client("iam")
    for attempt in range(REPORT_POLLS):
        if iam.generate_credential_report().get("State") == "COMPLETE":
            break
        time.sleep(min(0.1 * 2**attempt, 5.0))
    content = iam.get_credential_report()["Content"]
    text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
    return {row["arn"]: row for row in csv.DictReader(io.StringIO(text))}


def report_flag(value: str | None) -> bool | None:
    if value in (None, "", "N/A", "not_supported"):
        return None
    return value.lower() == "true"


def _access_keys(ctx: AwsUnitContext, user: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    iam = ctx.client("iam")
    stored, facets = [], []
    for key in paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user):
        kid = key["AccessKeyId"]
        used = iam.get_access_key_last_used(AccessKeyId=kid).get("AccessKeyLastUsed") or {}
        last = used.get("LastUsedDate")
        stored.append({"AccessKeyIdSuffix": kid[-4:], "Status": key.get("Status"),
                       "CreateDate": key.get("CreateDate"), "LastUsedDate": last,
                       "LastUsedService": used.get("ServiceName"), "LastUsedRegion": used.get("Region")})
        created = iso_utc(key.get("CreateDate"))
        facets.append({"id_suffix": kid[-4:], "active": key.get("Status") == "Active", "created": created,
                       "used": last is not None, "unused": unused_since(iso_utc(last), created)})
    return stored, facets


def collect_users(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    try:
        report: dict[str, dict[str, str]] | None = credential_report(ctx)
    except ClientError as exc:
        failures.add("credential report", exc)
        report = None
    iam = ctx.client("iam")
    cat = catalogue(ctx)
    for user in _auth_details(ctx, "User", "UserDetailList"):
        name, arn = user["UserName"], user["Arn"]
        malformed: list[str] = []
        cfg = {k: v for k, v in user.items() if k != "Tags"}
        cfg["UserPolicyList"] = _inline(user.get("UserPolicyList"), "UserPolicyList", malformed)
        facets = _principal_facets(cfg, "UserPolicyList", malformed, cat)
        row = (report or {}).get(arn)
        console = report_flag(row.get("password_enabled")) if row else None
        cfg["LoginProfile"] = ({"PasswordEnabled": console, "PasswordLastUsed": row.get("password_last_used")}
                               if row else None)
        try:
            mfa = list(paginate(iam, "list_mfa_devices", "MFADevices", UserName=name))
            cfg["MFADevices"] = [{"SerialNumber": d.get("SerialNumber"), "EnableDate": d.get("EnableDate")}
                                 for d in mfa]
            facets["mfa"] = bool(mfa)
        except ClientError as exc:
            failures.add(f"{name} list_mfa_devices", exc)
            facets["mfa"] = report_flag(row.get("mfa_active")) if row else None
        try:
            cfg["AccessKeys"], facets["access_keys"] = _access_keys(ctx, name)
        except ClientError as exc:
            failures.add(f"{name} list_access_keys", exc)
            cfg["AccessKeys"], facets["access_keys"] = None, None
        facets["console_access"] = console
        facets.update(user_cis_facets(user, row))
        _record_malformed(ctx, arn, malformed)
        yield ctx.resource(native_id=arn, name=name, config=cfg, tags=tags_dict(user.get("Tags")), facets=facets)
    failures.raise_if_any()


def report_time(value: str | None) -> str | None:
    """A credential-report timestamp as ISO-8601 UTC; 'N/A', 'no_information', 'not_supported' are None."""
    return iso_utc(value) if value and value[:1].isdigit() else None


def unused_since(last_used: str | None, created: str | None, now: datetime | None = None) -> bool | None:
    """Unused for UNUSED_DAYS or more at collection time, counted from creation when never used.

    Last-use timestamps move with every use, so they are volatile and never stored; this
    boolean changes only when a credential crosses the threshold (a posture change)."""
    ref = last_used or created
    if ref is None:
        return None
    now = now or datetime.now(timezone.utc)
    return (now - datetime.fromisoformat(ref)).days >= UNUSED_DAYS


def user_cis_facets(user: dict[str, Any], row: dict[str, str] | None) -> dict[str, Any]:
    """What the CIS IAM controls judge on a user: whether its console password sat unused
    (report strings parsed, never copied) and the policies attached to the user itself rather
    than through a group."""
    direct = [f"inline:{p.get('PolicyName')}" for p in user.get("UserPolicyList") or []]
    direct += [str(p.get("PolicyArn")) for p in user.get("AttachedManagedPolicies") or []]
    console = report_flag(row.get("password_enabled")) if row else None
    # never used: count from the password's last change (its creation), else the user's creation
    since = report_time(row.get("password_last_changed")) if row else None
    unused = (unused_since(report_time(row.get("password_last_used")) or since, iso_utc(user.get("CreateDate")))
              if row and console else None)
    return {"password_unused": unused, "direct_policies": sorted(direct)}


# ---- groups, roles, policies ------------------------------------------------------------------

def collect_groups(ctx: AwsUnitContext) -> Iterator[Resource]:
    cat = catalogue(ctx)
    for group in _auth_details(ctx, "Group", "GroupDetailList"):
        malformed: list[str] = []
        cfg = dict(group)
        cfg["GroupPolicyList"] = _inline(group.get("GroupPolicyList"), "GroupPolicyList", malformed)
        _record_malformed(ctx, group["Arn"], malformed)
        yield ctx.resource(native_id=group["Arn"], name=group["GroupName"], config=cfg,
                           facets=_principal_facets(cfg, "GroupPolicyList", malformed, cat))


def collect_roles(ctx: AwsUnitContext) -> Iterator[Resource]:
    cat = catalogue(ctx)
    for role in _auth_details(ctx, "Role", "RoleDetailList"):
        malformed: list[str] = []
        cfg = {k: v for k, v in role.items() if k not in ("Tags", "InstanceProfileList")}
        cfg["AssumeRolePolicyDocument"] = policy.canonical_or_note(
            role.get("AssumeRolePolicyDocument"), "AssumeRolePolicyDocument", malformed)
        cfg["RolePolicyList"] = _inline(role.get("RolePolicyList"), "RolePolicyList", malformed)
        # Instance profiles repeat the whole role inside; keep only which profiles carry it.
        cfg["InstanceProfileList"] = [{"InstanceProfileName": p.get("InstanceProfileName"), "Arn": p.get("Arn")}
                                      for p in role.get("InstanceProfileList") or []]
        _record_malformed(ctx, role["Arn"], malformed)
        yield ctx.resource(native_id=role["Arn"], name=role["RoleName"], config=cfg,
                           tags=tags_dict(role.get("Tags")),
                           facets=_principal_facets(cfg, "RolePolicyList", malformed, cat))


def collect_policies(ctx: AwsUnitContext) -> Iterator[Resource]:
    for pol in _auth_details(ctx, "LocalManagedPolicy", "Policies"):
        malformed: list[str] = []
        cfg = {k: v for k, v in pol.items() if k != "Tags"}
        default = [dict(v) for v in pol.get("PolicyVersionList") or [] if v.get("IsDefaultVersion")]
        for v in default:
            v["Document"] = policy.canonical_or_note(v.get("Document"), f"version {v.get('VersionId')}", malformed)
        cfg["PolicyVersionList"] = default
        _record_malformed(ctx, pol["Arn"], malformed)
        admin = admin_verdict([parse_policy(v.get("Document")) for v in default]).admin
        # PolicyName is always set by AWS; some emulators omit it, the ARN ends with it either way.
        name = pol.get("PolicyName") or pol["Arn"].rsplit("/", 1)[-1]
        yield ctx.resource(native_id=pol["Arn"], name=name, config=cfg,
                           tags=tags_dict(pol.get("Tags")),
                           facets={"admin": admin, "attached": _attached(pol), "malformed": malformed})


def _attached(pol: dict[str, Any]) -> bool | None:
    count = pol.get("AttachmentCount")
    return count > 0 if isinstance(count, int) else None


# ---- identity providers and account settings --------------------------------------------------

def collect_oidc_providers(ctx: AwsUnitContext) -> Iterator[Resource]:
    iam = ctx.client("iam")
    for entry in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList") or []:
        arn = entry["Arn"]
        try:
            resp = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                continue
            raise
        cfg = {"Arn": arn, **{k: v for k, v in resp.items() if k not in ("ResponseMetadata", "Tags")}}
        yield ctx.resource(native_id=arn, name=resp.get("Url") or arn, config=cfg, tags=tags_dict(resp.get("Tags")))


def collect_saml_providers(ctx: AwsUnitContext) -> Iterator[Resource]:
    iam = ctx.client("iam")
    for entry in iam.list_saml_providers().get("SAMLProviderList") or []:
        arn = entry["Arn"]
        try:
            resp = iam.get_saml_provider(SAMLProviderArn=arn)
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                continue
            raise
        cfg = {"Arn": arn, **{k: v for k, v in resp.items() if k not in ("ResponseMetadata", "Tags")}}
        yield ctx.resource(native_id=arn, name=arn.rsplit("/", 1)[-1], config=cfg, tags=tags_dict(resp.get("Tags")))


def collect_password_policy(ctx: AwsUnitContext) -> Iterator[Resource]:
    """Always one resource: an account without a password policy is itself a finding."""
    try:
        pp = ctx.client("iam").get_account_password_policy().get("PasswordPolicy")
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        pp = None
    yield ctx.resource(native_id=f"arn:{ctx.partition}:iam::{ctx.account}:account-password-policy",
                       name=ctx.account, config={"PasswordPolicy": pp}, facets=password_policy_facets(pp))


def password_policy_facets(pp: dict[str, Any] | None) -> dict[str, Any]:
    """No policy at all is a fact (AWS then allows 8-character passwords and reuse)."""
    pp = pp if isinstance(pp, dict) else None
    length, reuse = (pp or {}).get("MinimumPasswordLength"), (pp or {}).get("PasswordReusePrevention")
    return {"password_policy_set": pp is not None,
            "password_min_length": length if isinstance(length, int) else None,
            "password_reuse_prevention": reuse if isinstance(reuse, int) else None}


def collect_account_summary(ctx: AwsUnitContext) -> Iterator[Resource]:
    summary = ctx.client("iam").get_account_summary().get("SummaryMap") or {}
    yield ctx.resource(native_id=f"arn:{ctx.partition}:iam::{ctx.account}:account-summary",
                       name=ctx.account, config={"SummaryMap": summary})
