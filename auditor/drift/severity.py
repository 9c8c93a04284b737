"""How serious a drift item is: a declarative table, evaluated by one small function.

Two kinds of facts, both data:

* ``BASE_SEVERITY`` – the starting severity per change kind and category, and
  ``LOW_PATHS`` – paths whose change alone is cosmetic (tags, display name): a modification
  touching only those ranks low.
* ``SEVERITY_RULES`` – security findings a drift item can introduce or remove. Each names
  a *test* (a function over one side's document returning the set of finding instances,
  e.g. open (cidr, port) pairs or trusted principals), the change paths that can affect it,
  and the severity when instances appear (``introduced``) or disappear (``resolved``).
  A rule is considered for a modification only when one of its paths is among the item's
  (non-ignored) changes, so an ignore rule on ``facets.public`` also silences its rank.

The final severity is the highest that applies.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from auditor.drift.globs import glob_match
from auditor.drift.model import SEVERITY_RANK, Change

Doc = dict[str, Any] | None

BASE_SEVERITY: dict[tuple[str, str], str] = {
    ("added", "storage"): "medium", ("added", "network"): "medium", ("added", "iam"): "medium",
    ("added", "compute"): "low",
    ("removed", "storage"): "medium", ("removed", "network"): "medium", ("removed", "iam"): "medium",
    ("removed", "compute"): "low",
    ("modified", "*"): "medium",
    ("unknown", "*"): "info",
}

LOW_PATHS: tuple[str, ...] = ("tags", "tags.*", "name")

DEFAULT_ADMIN_PORTS: tuple[int, ...] = (22, 3389, 1433, 3306, 5432, 6379, 27017, 9200)
OPEN_CIDRS = ("0.0.0.0/0", "::/0")

# IAM roles whose grant lets someone act as (or fully control) an identity or project.
POWERFUL_ROLES: tuple[str, ...] = (
    "roles/owner", "roles/editor", "roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountUser", "roles/iam.serviceAccountKeyAdmin", "roles/resourcemanager.projectIamAdmin",
)


@dataclass(frozen=True, slots=True)
class SeverityRule:
    id: str
    title: str
    categories: tuple[str, ...]  # "*" = any
    paths: tuple[str, ...]  # anchored globs over change paths that can affect the finding
    test: str  # key of TESTS
    introduced: str
    resolved: str


SEVERITY_RULES: tuple[SeverityRule, ...] = (
    SeverityRule("public-storage", "storage became readable by anyone", ("storage",),
                 ("facets", "facets.public", "facets.public_reasons*"), "public", "critical", "high"),
    SeverityRule("public-network-access", "data-plane endpoint opened to every network", ("storage",),
                 ("facets", "facets.public_network_access"), "public_network_access", "high", "medium"),
    SeverityRule("open-admin-port", "ingress from the internet to an admin port", ("network", "compute"),
                 ("facets", "facets.ingress*"), "open_admin_ingress", "critical", "high"),
    SeverityRule("encryption-off", "encryption at rest turned off", ("storage", "compute"),
                 ("facets", "facets.encrypted", "facets.disk_encryption"), "unencrypted", "high", "medium"),
    SeverityRule("admin-grant", "admin-equivalent permissions granted", ("iam",),
                 ("facets", "facets.admin"), "admin", "high", "high"),
    SeverityRule("wider-trust", "an identity trusts a new principal or issuer", ("iam", "*"),
                 ("config", "config.*AssumeRolePolicyDocument*", "config.*bindings*", "config.*issuer*",
                  "config.*subject*"), "trusted_principals", "high", "medium"),
    SeverityRule("mfa-off", "console user without MFA", ("iam",), ("facets", "facets.mfa"), "no_mfa", "high", "low"),
    SeverityRule("public-ip", "compute instance got a public IP", ("compute",),
                 ("facets", "facets.public_ips*"), "public_ips", "medium", "low"),
    # ML (issue 16): what a deployed endpoint serves -- artifact, image digest, serving role.
    SeverityRule("model-replaced", "the model a deployed endpoint serves was replaced", ("compute",),
                 ("facets", "facets.artifact_locations*", "facets.artifact_sources*", "facets.images*",
                  "facets.identity", "facets.roles*", "facets.models*"), "served_model", "high", "high"),
    SeverityRule("legacy-metadata", "legacy instance metadata endpoint allowed", ("compute",),
                 ("facets", "facets.legacy_metadata"), "legacy_metadata", "medium", "low"),
)


# ---- tests: one side's document -> the set of finding instances it holds ------------------

def _facets(doc: Doc) -> dict[str, Any]:
    return (doc or {}).get("facets") or {}


def _flag(name: str, value: Any) -> Callable[[Doc, dict[str, Any]], frozenset]:
    def test(doc: Doc, _params: dict[str, Any]) -> frozenset:
        return frozenset({name}) if _facets(doc).get(name) is value else frozenset()

    return test


def _is_open(cidr: Any) -> bool:
    if cidr in OPEN_CIDRS:
        return True
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


def _open_admin_ingress(doc: Doc, params: dict[str, Any]) -> frozenset:
    ports = params.get("admin_ports") or DEFAULT_ADMIN_PORTS
    out = set()
    for r in _facets(doc).get("ingress") or []:
        if not isinstance(r, dict) or r.get("action", "allow") != "allow" or not _is_open(r.get("cidr")):
            continue
        if str(r.get("protocol", "all")) not in ("tcp", "all", "udp"):
            continue
        lo, hi = int(r.get("from_port", 0) or 0), int(r.get("to_port", 65535) if r.get("to_port") is not None else 65535)
        out.update((r.get("cidr"), p) for p in ports if lo <= p <= hi)
    return frozenset(out)


def _walk_dicts(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk_dicts(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk_dicts(v)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            for s in _strings(v):
                yield f"{k}:{s}"


def _trusted_principals(doc: Doc, _params: dict[str, Any]) -> frozenset:
    """AWS trust-policy principals (with their conditions), GCP powerful role bindings,
    Azure federated credentials (issuer, subject): anything that lets someone act as us."""
    from auditor.canonical import canonical_json

    out: set[tuple[str, ...]] = set()
    config = (doc or {}).get("config") or {}
    for d in _walk_dicts(config):
        if "AssumeRolePolicyDocument" in d:
            pol = d["AssumeRolePolicyDocument"]
            stmts = pol.get("Statement") if isinstance(pol, dict) else None
            stmts = stmts if isinstance(stmts, list) else [stmts] if isinstance(stmts, dict) else []
            for st in stmts:
                if isinstance(st, dict) and st.get("Effect") == "Allow":
                    cond = canonical_json(st.get("Condition") or {})
                    out.update(("aws", p, cond) for p in _strings(st.get("Principal")))
        if isinstance(d.get("role"), str) and isinstance(d.get("members"), list) and d["role"] in POWERFUL_ROLES:
            cond = canonical_json(d.get("condition") or {})
            out.update(("gcp", d["role"], str(m), cond) for m in d["members"])
        if isinstance(d.get("issuer"), str) and "subject" in d:
            out.add(("azure", d["issuer"], str(d.get("subject"))))
    return frozenset(out)


TESTS: dict[str, Callable[[Doc, dict[str, Any]], frozenset]] = {
    "public": _flag("public", True),
    "public_network_access": _flag("public_network_access", True),
    "open_admin_ingress": _open_admin_ingress,
    "unencrypted": _flag("encrypted", False),
    "admin": _flag("admin", True),
    "trusted_principals": _trusted_principals,
    "no_mfa": lambda doc, _p: frozenset({"no_mfa"}) if _facets(doc).get("mfa") is False
    and _facets(doc).get("console_access") is not False else frozenset(),
    "public_ips": lambda doc, _p: frozenset(_facets(doc).get("public_ips") or ()),
    "legacy_metadata": _flag("legacy_metadata", True),
    "served_model": lambda doc, _p: frozenset(
        [("artifact", str(u)) for u in _facets(doc).get("artifact_locations") or []]
        + [("image", str(i.get("uri")), str(i.get("digest"))) for i in _facets(doc).get("images") or []
           if isinstance(i, dict)]
        + [("role", str(r)) for r in _facets(doc).get("roles") or []]
    ) if _facets(doc).get("ml_kind") == "endpoint" else frozenset(),
}


@dataclass(frozen=True, slots=True)
class Assessment:
    severity: str
    reasons: tuple[str, ...]


def _max(a: str, b: str) -> str:
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b


def _applies(rule: SeverityRule, category: str | None) -> bool:
    return "*" in rule.categories or (category or "") in rule.categories


def assess(change: str, category: str | None, before: Doc, after: Doc, changes: Iterable[Change] = (),
           params: dict[str, Any] | None = None) -> Assessment:
    """Severity of one item from the tables above. ``before``/``after`` are None when absent."""
    params = params or {}
    sev = BASE_SEVERITY.get((change, category or ""), BASE_SEVERITY.get((change, "*"), "medium"))
    paths = [c.path for c in changes]
    if change == "modified" and paths and all(any(glob_match(g, p) for g in LOW_PATHS) for p in paths):
        sev = "low"
    reasons: list[str] = []
    if change == "unknown":
        return Assessment(sev, ())
    for rule in SEVERITY_RULES:
        if not _applies(rule, category):
            continue
        if change == "modified" and not any(glob_match(g, p) for g in rule.paths for p in paths):
            continue
        test = TESTS[rule.test]
        b = test(before, params) if before is not None else frozenset()
        a = test(after, params) if after is not None else frozenset()
        if a - b:
            sev = _max(sev, rule.introduced)
            reasons.append(f"{rule.id}: introduced")
        if b - a:
            sev = _max(sev, rule.resolved)
            reasons.append(f"{rule.id}: resolved")
    return Assessment(sev, tuple(reasons))
