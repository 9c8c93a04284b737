"""How serious a drift item is: the rules registry decides, a small table covers the rest.

* ``BASE_SEVERITY`` – the starting severity per change kind and category; ``LOW_PATHS`` –
  paths whose change alone is cosmetic (tags, display name): a modification touching only
  those ranks low.
* Rule flips – the posture and residency rules of the registry are evaluated on the before
  and the after document (the same functions ``auditor check`` runs). A rule that FAILs after
  but not before was *introduced* (the rule's severity); one that FAILed before but no longer
  does was *resolved* (one step lower). Only facets whose change is not ignored feed the
  after side, so an ignore rule on ``facets.public`` also silences its rank.
* ``CHANGE_RULES`` – changes no rule judges (trust widening, new public IPs, sensitive
  attributes per type such as an endpoint's model artifact): a test over one side's document
  and the severities when instances appear or disappear.

The final severity is the highest that applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator

from auditor.drift.globs import glob_match
from auditor.drift.model import Change
from auditor.rules.registry import Rule, RuleContext, all_rules
from auditor.rules.verdict import FAIL, SEVERITIES, severity_rank

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
# Rule kinds judged on one resource's own document (identity rules need the whole trust graph).
FLIP_KINDS = ("posture", "residency")

# IAM roles whose grant lets someone act as (or fully control) an identity or project.
POWERFUL_ROLES: tuple[str, ...] = (
    "roles/owner", "roles/editor", "roles/iam.workloadIdentityUser", "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountUser", "roles/iam.serviceAccountKeyAdmin", "roles/resourcemanager.projectIamAdmin",
)


@dataclass(frozen=True, slots=True)
class ChangeRule:
    """Severity of a change no registered rule judges."""

    id: str
    title: str
    types: tuple[str, ...]  # anchored globs over resource types ("*" = any)
    paths: tuple[str, ...]  # anchored globs over change paths that can affect it
    test: str  # key of TESTS, or "changed": any (non-ignored) change on ``paths`` ranks ``introduced``
    introduced: str
    resolved: str


CHANGE_RULES: tuple[ChangeRule, ...] = (
    ChangeRule("wider-trust", "an identity trusts a new principal or issuer", ("*",),
               ("config", "config.*AssumeRolePolicyDocument*", "config.*bindings*", "config.*issuer*",
                "config.*subject*"), "trusted_principals", "high", "medium"),
    # GCP instances: the rule compute.gcp_public_ip judges this (and ranks it by its severity)
    ChangeRule("public-ip", "compute instance got a public IP", ("aws.*", "azure.*"),
               ("facets", "facets.public_ips*"), "public_ips", "medium", "low"),
    # ML (issue 16): what a deployed endpoint serves -- artifact, image digest, serving role.
    ChangeRule("model-replaced", "the model a deployed endpoint serves was replaced", ("*",),
               ("facets", "facets.artifact_locations*", "facets.artifact_sources*", "facets.images*",
                "facets.identity", "facets.roles*", "facets.models*"), "served_model", "high", "high"),
    # Sensitive attributes per type go here as "changed" entries.
)


# ---- tests for CHANGE_RULES: one side's document -> the set of instances it holds ----------

def _facets(doc: Doc) -> dict[str, Any]:
    return (doc or {}).get("facets") or {}


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


def _trusted_principals(doc: Doc) -> frozenset:
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


TESTS: dict[str, Callable[[Doc], frozenset]] = {
    "trusted_principals": _trusted_principals,
    "public_ips": lambda doc: frozenset(_facets(doc).get("public_ips") or ()),
    "served_model": lambda doc: frozenset(
        [("artifact", str(u)) for u in _facets(doc).get("artifact_locations") or []]
        + [("image", str(i.get("uri")), str(i.get("digest"))) for i in _facets(doc).get("images") or []
           if isinstance(i, dict)]
        + [("role", str(r)) for r in _facets(doc).get("roles") or []]
    ) if _facets(doc).get("ml_kind") == "endpoint" else frozenset(),
}


# ---- rule flips ---------------------------------------------------------------------------

def _view(doc: Doc, meta: dict[str, Any]) -> Any:
    """A drift document seen as the resource a rule reads."""
    d = doc or {}
    return SimpleNamespace(resource_key=meta.get("resource_key") or "", provider=meta.get("provider") or "",
                           account=meta.get("account") or "", region=d.get("region") or meta.get("region") or "",
                           location=d.get("location"), category=meta.get("category") or "",
                           type=meta.get("type") or "", native_id=meta.get("native_id") or "", name=d.get("name"),
                           tags=d.get("tags") or {}, config=d.get("config") or {}, facets=dict(d.get("facets") or {}),
                           state="present")


def flip_rules() -> list[Rule]:
    """The registry's rules drift severity evaluates (posture and residency)."""
    return [r for r in all_rules().values() if r.kind in FLIP_KINDS]


def _failing(rule: Rule, res: Any, ctx: RuleContext) -> tuple[bool, str]:
    result = rule.judge(res, ctx)
    if result is None or result.status != FAIL:
        return False, rule.severity
    return True, result.severity or rule.severity


def _one_lower(severity: str) -> str:
    return SEVERITIES[max(1, severity_rank(severity) - 1)]


def rule_flips(before: Doc, after: Doc, meta: dict[str, Any], ctx: RuleContext,
               changed_facets: Iterable[str] | None = None) -> list[tuple[str, str, str]]:
    """(rule id, 'introduced'|'resolved', severity) for every rule whose verdict flips.

    ``changed_facets`` (None: all) limits the after side to those facets' new values.
    """
    b = _view(before, meta) if before is not None else None
    a = _view(after, meta) if after is not None else None
    if a is not None and b is not None and changed_facets is not None:
        keep = set(changed_facets)
        a.facets = {**{k: v for k, v in b.facets.items() if k not in keep},
                    **{k: v for k, v in a.facets.items() if k in keep}}
    out = []
    for rule in flip_rules():
        was, sev_b = _failing(rule, b, ctx) if b is not None else (False, rule.severity)
        now, sev_a = _failing(rule, a, ctx) if a is not None else (False, rule.severity)
        if now and not was:
            out.append((rule.id, "introduced", sev_a))
        elif was and not now:
            out.append((rule.id, "resolved", _one_lower(sev_b)))
    return out


@dataclass(frozen=True, slots=True)
class Assessment:
    severity: str
    reasons: tuple[str, ...]


def _max(a: str, b: str) -> str:
    return a if severity_rank(a) >= severity_rank(b) else b


def _facet_of(path: str) -> str | None:
    if not path.startswith("facets."):
        return None
    rest = path[len("facets."):]
    return rest.split(".", 1)[0].split("[", 1)[0].strip('"')


def default_context(params: dict[str, Any] | None = None) -> RuleContext:
    """The rule context drift evaluates with: the audit's config when given, else defaults."""
    from auditor.config.schema import AuditorConfig
    from auditor.rules.engine import make_context

    params = params or {}
    config = params.get("config") or AuditorConfig()
    if params.get("admin_ports"):
        config = config.model_copy(update={"checks": config.checks.model_copy(
            update={"admin_ports": list(params["admin_ports"])})})
    return make_context(config, as_of=params.get("as_of"))


def assess(change: str, category: str | None, before: Doc, after: Doc, changes: Iterable[Change] = (),
           params: dict[str, Any] | None = None, *, meta: dict[str, Any] | None = None,
           ctx: RuleContext | None = None) -> Assessment:
    """Severity of one item. ``before``/``after`` are None when absent; ``meta`` names the
    resource (type, provider, ...); ``ctx`` is built once per drift run (see ``default_context``)."""
    meta = {**(meta or {}), "category": category or (meta or {}).get("category")}
    sev = BASE_SEVERITY.get((change, category or ""), BASE_SEVERITY.get((change, "*"), "medium"))
    paths = [c.path for c in changes]
    if change == "modified" and paths and all(any(glob_match(g, p) for g in LOW_PATHS) for p in paths):
        sev = "low"
    if change == "unknown":
        return Assessment(sev, ())
    reasons: list[str] = []
    changed: set[str] | None = None
    if change == "modified":
        changed = {f for f in map(_facet_of, paths) if f}
        if "facets" in paths:
            changed = None  # the whole facet object changed
    if change != "modified" or changed is None or changed:
        for rule_id, how, rule_sev in rule_flips(before, after, meta, ctx or default_context(params), changed):
            sev = _max(sev, rule_sev)
            reasons.append(f"{rule_id}: {how}")
    for cr in CHANGE_RULES:
        if not any(glob_match(t, meta.get("type") or "") for t in cr.types):
            continue
        if change == "modified" and not any(glob_match(g, p) for g in cr.paths for p in paths):
            continue
        if cr.test == "changed":
            if change == "modified":
                sev = _max(sev, cr.introduced)
                reasons.append(f"{cr.id}: changed")
            continue
        b = TESTS[cr.test](before) if before is not None else frozenset()
        a = TESTS[cr.test](after) if after is not None else frozenset()
        if a - b:
            sev = _max(sev, cr.introduced)
            reasons.append(f"{cr.id}: introduced")
        if b - a:
            sev = _max(sev, cr.resolved)
            reasons.append(f"{cr.id}: resolved")
    return Assessment(sev, tuple(reasons))
