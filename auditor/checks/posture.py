"""Posture rules written once over facets (auditor/facets.py), applied to every cloud.

Each function returns None when the rule does not apply to the resource, else a Result.
A facet that is None was not collected: UNKNOWN, never PASS.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Callable

from auditor.checks.result import FAIL, PASS, UNKNOWN, Result

# The time the snapshot was taken: ages are computed against it, so re-checking an old
# snapshot gives the answer it would have given then (set by checks.engine.evaluate).
AS_OF: ContextVar[datetime | None] = ContextVar("checks_as_of", default=None)


def age_days(timestamp: Any) -> int | None:
    """Whole days from an ISO-8601 timestamp to the snapshot time (None if unparseable)."""
    if not isinstance(timestamp, str) or not timestamp:
        return None
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    now = AS_OF.get() or datetime.now(timezone.utc)
    return max(0, (now - then).days)

INTERNET = frozenset({"0.0.0.0/0", "::/0"})
FLOW_LOG_TYPES = frozenset({"aws.ec2.vpc", "gcp.compute.subnetwork", "azure.network.nsg", "azure.network.vnet"})
ADMIN_FACET_TYPES_EXCLUDED = frozenset({"aws.iam.user", "aws.iam.group"})  # principals: their policies are judged


def _unknown(rule_id: str, what: str) -> Result:
    return Result(rule_id, UNKNOWN, f"{what} was not collected")


def storage_public(res: Any, cfg: Any) -> Result | None:
    if res.category != "storage" or "public" not in res.facets:
        return None
    v = res.facets.get("public")
    if v is None:
        return _unknown("storage.public", "public access")
    reasons = res.facets.get("public_reasons") or []
    if v:
        return Result("storage.public", FAIL, "publicly readable: " + (", ".join(map(str, reasons)) or "yes"),
                      {"public_reasons": reasons})
    return Result("storage.public", PASS, "not public", {"public_access_blocked": res.facets.get("public_access_blocked")})


def storage_customer_key(res: Any, cfg: Any, classification: str | None = None) -> Result | None:
    if res.category != "storage" or res.type == "azure.storage.container" or classification is None:
        return None
    required = {c.lower() for c in cfg.checks.cmk_required_for}
    if classification.lower() not in required:
        return None
    km = res.facets.get("key_management")
    ev = {"classification": classification, "key_management": km, "kms_key": res.facets.get("kms_key")}
    if km is None:
        return Result("storage.customer_key_required", UNKNOWN, "key management was not collected", ev)
    if km == "customer":
        return Result("storage.customer_key_required", PASS, "encrypted with a customer-managed key", ev)
    return Result("storage.customer_key_required", FAIL, f"{classification} data uses a provider-managed key", ev)


def _covers(rule: dict[str, Any], port: int) -> bool:
    proto = str(rule.get("protocol", "")).lower()
    if proto not in ("tcp", "all", "6"):
        return False
    try:
        return int(rule.get("from_port", 0)) <= port <= int(rule.get("to_port", 65535))
    except (TypeError, ValueError):
        return False


def open_admin_ports(ingress: list[dict[str, Any]], ports: list[int]) -> list[dict[str, Any]]:
    """Ports reachable from the whole internet, honouring priority order and internet-wide denies.

    Rules are taken lowest priority number first (deny before allow at equal priority, as GCP
    and Azure do); AWS security groups have only allows and no priority.
    """
    ordered = sorted((r for r in ingress if isinstance(r, dict) and r.get("direction", "ingress") == "ingress"),
                     key=lambda r: (r.get("priority") if isinstance(r.get("priority"), int) else 0,
                                    0 if str(r.get("action", "allow")).lower() == "deny" else 1))
    found = []
    for port in ports:
        for r in ordered:
            if str(r.get("cidr")) not in INTERNET or not _covers(r, port):
                continue
            if str(r.get("action", "allow")).lower() == "allow":
                found.append({"port": port, "cidr": r.get("cidr"), "protocol": r.get("protocol"),
                              "priority": r.get("priority")})
            break
    return found


def admin_port_open(res: Any, cfg: Any) -> Result | None:
    if res.category != "network" or "ingress" not in res.facets:
        return None
    ingress = res.facets.get("ingress")
    if ingress is None:
        return _unknown("network.admin_port_open", "ingress rules")
    found = open_admin_ports(ingress, list(cfg.checks.admin_ports))
    if found:
        ports = sorted({f["port"] for f in found})
        return Result("network.admin_port_open", FAIL, f"ports {ports} open to the internet", {"open": found})
    return Result("network.admin_port_open", PASS, "no administrative port open to the internet",
                  {"checked_ports": list(cfg.checks.admin_ports)})


def legacy_metadata(res: Any, cfg: Any) -> Result | None:
    if res.category != "compute" or "legacy_metadata" not in res.facets:
        return None
    v = res.facets.get("legacy_metadata")
    if v is None:
        return _unknown("compute.legacy_metadata", "metadata service configuration")
    return Result("compute.legacy_metadata", FAIL if v else PASS,
                  "legacy (v1) metadata access is allowed" if v else "only session-token metadata access")


def user_without_mfa(res: Any, cfg: Any) -> Result | None:
    if res.category != "iam" or "mfa" not in res.facets:
        return None
    console = res.facets.get("console_access")
    if console is False:
        return None  # no interactive sign-in: MFA does not apply
    mfa = res.facets.get("mfa")
    if mfa is None or console is None:
        return _unknown("iam.user_without_mfa", "MFA or console-access status")
    return Result("iam.user_without_mfa", PASS if mfa else FAIL,
                  "MFA enabled" if mfa else "console access without MFA", {"console_access": console})


def access_key_stale(res: Any, cfg: Any) -> Result | None:
    if res.category != "iam" or "access_keys" not in res.facets:
        return None
    keys = res.facets.get("access_keys")
    if keys is None:
        return _unknown("iam.access_key_stale", "access keys")
    limit = cfg.checks.access_key_max_age_days
    active = [{**k, "age_days": age_days(k.get("created"))} for k in keys if isinstance(k, dict) and k.get("active", True)]
    unknown = [k for k in active if k["age_days"] is None]
    stale = [k for k in active if k["age_days"] is not None and k["age_days"] > limit]
    ev = {"max_age_days": limit,
          "keys": [{"id_suffix": k.get("id_suffix"), "created": k.get("created"), "age_days": k["age_days"]} for k in active]}
    if stale:
        return Result("iam.access_key_stale", FAIL, f"{len(stale)} active key(s) older than {limit} days", ev)
    if unknown:
        return Result("iam.access_key_stale", UNKNOWN, "age of an active key was not collected", ev)
    return Result("iam.access_key_stale", PASS, f"no active key older than {limit} days", ev)


def sa_key_old(res: Any, cfg: Any) -> Result | None:
    if res.type != "gcp.iam.service_account_key" or res.facets.get("user_managed") is False:
        return None
    created = res.facets.get("key_created")
    age = age_days(created)
    limit = cfg.checks.sa_key_max_age_days
    if age is None:
        return _unknown("iam.sa_key_old", "key creation time")
    return Result("iam.sa_key_old", FAIL if age > limit else PASS, f"user-managed key is {age} days old (limit {limit})",
                  {"key_created": created, "key_age_days": age, "max_age_days": limit})


def wildcard_admin(res: Any, cfg: Any) -> Result | None:
    if res.category != "iam" or "admin" not in res.facets or res.type in ADMIN_FACET_TYPES_EXCLUDED:
        return None
    v = res.facets.get("admin")
    if v is None:
        return _unknown("iam.wildcard_admin", "policy content")
    return Result("iam.wildcard_admin", FAIL if v else PASS,
                  "grants admin-equivalent permissions" if v else "no admin-equivalent grant")


def flow_logs(res: Any, cfg: Any) -> Result | None:
    if res.type not in FLOW_LOG_TYPES:
        return None
    v = res.facets.get("flow_logs")
    if v is None:
        return _unknown("network.flow_logs_missing", "flow log configuration")
    return Result("network.flow_logs_missing", PASS if v else FAIL, "flow logs enabled" if v else "flow logs disabled")


POSTURE_RULES: dict[str, Callable[..., Result | None]] = {
    "storage.public": storage_public,
    "network.admin_port_open": admin_port_open,
    "compute.legacy_metadata": legacy_metadata,
    "iam.user_without_mfa": user_without_mfa,
    "iam.access_key_stale": access_key_stale,
    "iam.sa_key_old": sa_key_old,
    "iam.wildcard_admin": wildcard_admin,
    "network.flow_logs_missing": flow_logs,
}
