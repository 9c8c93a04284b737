"""IAM posture over the iam facets: MFA, key age, admin-equivalent grants, escalation paths."""

from __future__ import annotations

from typing import Any

from auditor.rules.facts import MISSING, age_days, facet, unknown
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, UNKNOWN, Result

IAM = ("iam",)


@rule(id="iam.user_without_mfa", title="Console user without MFA", severity="high", kind="posture",
      rationale="A password alone is phishable; MFA is the baseline for interactive cloud access.",
      remediation="Enforce MFA for every user with console access.", categories=IAM)
def user_without_mfa(res: Any, ctx: RuleContext) -> Result | None:
    mfa = facet(res, "mfa")
    if mfa is MISSING:
        return None
    console = res.facets.get("console_access")
    if console is False:
        return None  # no interactive sign-in: MFA does not apply
    if mfa is None or console is None:
        return unknown("MFA or console-access status")
    return Result(PASS, "MFA enabled", {"console_access": console}) if mfa else \
        Result(FAIL, "console access without MFA", {"console_access": console})


@rule(id="iam.access_key_stale", title="Access key older than the allowed age", severity="medium", kind="posture",
      rationale="Long-lived keys leak through code, logs and laptops; rotation bounds the damage.",
      remediation="Rotate or delete keys older than checks.access_key_max_age_days; prefer federation.",
      categories=IAM)
def access_key_stale(res: Any, ctx: RuleContext) -> Result | None:
    keys = facet(res, "access_keys")
    if keys is MISSING:
        return None
    if keys is None:
        return unknown("access keys")
    limit = ctx.config.checks.access_key_max_age_days
    active = [{**k, "age_days": age_days(k.get("created"), ctx.as_of)}
              for k in keys if isinstance(k, dict) and k.get("active", True)]
    stale = [k for k in active if k["age_days"] is not None and k["age_days"] > limit]
    ev = {"max_age_days": limit,
          "keys": [{"id_suffix": k.get("id_suffix"), "created": k.get("created"), "age_days": k["age_days"]}
                   for k in active]}
    if stale:
        return Result(FAIL, f"{len(stale)} active key(s) older than {limit} days", ev)
    if any(k["age_days"] is None for k in active):
        return Result(UNKNOWN, "age of an active key was not collected", ev)
    return Result(PASS, f"no active key older than {limit} days", ev)


@rule(id="iam.sa_key_old", title="User-managed service account key older than the allowed age", severity="medium",
      kind="posture",
      rationale="User-managed service account keys never expire by default and are a top GCP credential leak.",
      remediation="Rotate the key within checks.sa_key_max_age_days, or delete it and use workload identity "
                  "federation or attached service accounts.", types=("gcp.iam.service_account_key",))
def sa_key_old(res: Any, ctx: RuleContext) -> Result | None:
    if res.facets.get("user_managed") is False:
        return None
    created = res.facets.get("key_created")
    age = age_days(created, ctx.as_of)
    limit = ctx.config.checks.sa_key_max_age_days
    if age is None:
        return unknown("key creation time")
    return Result(FAIL if age > limit else PASS, f"user-managed key is {age} days old (limit {limit})",
                  {"key_created": created, "key_age_days": age, "max_age_days": limit})


@rule(id="iam.sa_user_managed_key", title="Service account has a user-managed key", severity="medium",
      kind="posture",
      rationale="Any user-managed key is a long-lived secret outside the provider's control; Google-managed keys "
                "and federation need none.",
      remediation="Delete user-managed keys; use attached service accounts or workload identity federation.",
      types=("gcp.iam.service_account_key",))
def sa_user_managed_key(res: Any, ctx: RuleContext) -> Result | None:
    v = res.facets.get("user_managed")
    if v is None:
        return unknown("key type")
    return Result(FAIL, "user-managed key exists") if v else Result(PASS, "Google-managed key")


@rule(id="iam.wildcard_admin", title="Identity or policy grants admin-equivalent permissions", severity="high",
      kind="posture",
      rationale="\"*:*\"-style grants, Owner-like roles and admin managed policies defeat least privilege, "
                "whether held by a role, a user or a group.",
      remediation="Replace with scoped permissions; keep full admin to break-glass roles.", categories=IAM)
def wildcard_admin(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "admin")
    if v is MISSING:
        return None
    graph_admin = ctx.graph is not None and res.resource_key in getattr(ctx.graph, "admin_nodes", ())
    if v or graph_admin:
        how = "grants admin-equivalent permissions" if v else "admin-equivalent through its attached policies"
        return Result(FAIL, how, {"facet": v, "trust_graph_admin": graph_admin})
    if v is None:
        return unknown("policy content")
    return Result(PASS, "no admin-equivalent grant")


@rule(id="iam.privilege_escalation", title="Identity can escalate its own privileges", severity="high",
      kind="posture",
      rationale="PassRole with a compute service, policy attach/put/version, trust-policy updates or keys for other "
                "users let a limited identity make itself admin.",
      remediation="Remove the escalation permissions, or scope them to resources the identity cannot use to "
                  "gain rights (permission boundaries, resource conditions).", categories=IAM)
def privilege_escalation(res: Any, ctx: RuleContext) -> Result | None:
    paths = facet(res, "privilege_escalation")
    if paths is MISSING:
        return None
    if paths is None:
        return unknown("privilege-escalation analysis")
    if paths:
        names = sorted({str(p.get("path")) for p in paths if isinstance(p, dict)})
        return Result(FAIL, f"{len(paths)} escalation path(s): {', '.join(names)}", {"paths": list(paths)[:50]})
    return Result(PASS, "no privilege-escalation path")
