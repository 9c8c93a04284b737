"""Apply the mapping table (mapping.yaml) to Terraform instances: declared resources.

Several Terraform resources may declare one cloud object (a bucket and its policy,
versioning, encryption and public-access-block resources; a security group and its rule
resources; a role and its policies; an NSG and its rules). They meet on our resource key
and their declarations merge into one ``Declared``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

import yaml

from auditor.model import make_key
from auditor.redact import clean
from auditor.terraform import transforms
from auditor.terraform.state import Instance

PROVIDER_PREFIX = {"aws": "aws_", "gcp": "google_", "azure": "azurerm_"}
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _arn_part(arn: Any, i: int) -> str | None:
    parts = arn.split(":", 5) if isinstance(arn, str) and arn.startswith("arn:") else []
    return parts[i] or None if len(parts) > i else None


def _arm_subscription(arm_id: Any) -> str | None:
    m = re.match(r"^/subscriptions/([^/]+)", arm_id or "", re.I) if isinstance(arm_id, str) else None
    return m.group(1).lower() if m else None


def _after(marker: str) -> Any:
    def fn(v: Any) -> str | None:
        if not isinstance(v, str) or marker not in v:
            return None
        return v.split(marker, 1)[1].split("/", 1)[0] or None
    return fn


TEMPLATE_FUNCS: dict[str, Any] = {
    "arn_account": lambda v: _arn_part(v, 4),
    "arn_region": lambda v: _arn_part(v, 3),
    "arm_subscription": _arm_subscription,
    "zone_region": lambda v: v.rsplit("-", 1)[0] if isinstance(v, str) and v.count("-") >= 2 else v,
    "gcs_bucket_name": lambda v: v[2:] if isinstance(v, str) and v.startswith("b/") else v,
    "folder_name": lambda v: v if isinstance(v, str) and v.startswith("folders/") else f"folders/{v}",
    "gcp_sa_project": _after("projects/"),
}


@dataclass(frozen=True, slots=True)
class Rule:
    tf_type: str
    provider: str
    type: str
    id: str
    account: str | None
    region: str | None
    set: dict[str, Any]
    add: tuple[dict[str, Any], ...]


@lru_cache(maxsize=1)
def table() -> dict[str, Rule]:
    """The mapping table, read from the package data (works from a non-editable install)."""
    text = resources.files("auditor.terraform").joinpath("mapping.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    out: dict[str, Rule] = {}
    for provider in PROVIDER_PREFIX:
        for tf_type, spec in (data.get(provider) or {}).items():
            out[tf_type] = Rule(tf_type=tf_type, provider=provider, type=spec["type"], id=spec["id"],
                                account=spec.get("account"), region=spec.get("region"),
                                set=dict(spec.get("set") or {}), add=tuple(spec.get("add") or ()))
    return out


@lru_cache(maxsize=1)
def not_declarable() -> dict[str, str]:
    text = resources.files("auditor.terraform").joinpath("mapping.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text).get("not_declarable") or {})


def get_path(node: Any, path: str) -> Any:
    """``a.b[0].c`` in nested dicts/lists; None when any step is absent."""
    if path == ".":
        return node
    for name, idx in _PATH_STEP.findall(path):
        if name:
            node = node.get(name) if isinstance(node, dict) else None
        else:
            i = int(idx)
            node = node[i] if isinstance(node, list) and i < len(node) else None
        if node is None:
            return None
    return node


def render(template: str | None, attrs: dict[str, Any], ctx: dict[str, str | None]) -> str | None:
    """Fill a template; None when any placeholder has no value."""
    if template is None:
        return None
    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        expr, *funcs = m.group(1).split("|")
        value: Any = ctx.get(expr[1:]) if expr.startswith("@") else get_path(attrs, expr)
        for f in funcs:
            value = TEMPLATE_FUNCS[f](value) if value is not None else None
        if value is None or value == "":
            missing = True
            return ""
        return str(value)

    out = _TEMPLATE.sub(sub, template)
    return None if missing else out


@dataclass
class Declared:
    """What the states declare about one of our resources (merged over Terraform resources)."""

    resource_key: str
    provider: str
    type: str
    account: str | None
    region: str | None
    addresses: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # path -> declared value
    tags: dict[str, Any] | None = None  # the whole declared tag map
    sets: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> {flatten, exclusive, items}

    def document(self) -> dict[str, Any]:
        """The stored declaration (redacted, canonical order of set items)."""
        sets = {p: {"flatten": s["flatten"], "exclusive": s["exclusive"],
                    "items": sorted(s["items"].values(), key=transforms.atom_key)} for p, s in self.sets.items()}
        return clean({"values": self.values, "tags": self.tags, "sets": sets, "addresses": sorted(self.addresses)})


@dataclass
class MappingResult:
    declared: dict[str, Declared]
    unmapped: Counter[str]  # Terraform types with no mapping (or whose key could not be built)
    problems: list[str]


def _cloud(tf_type: str) -> str:
    return next((p for p, prefix in PROVIDER_PREFIX.items() if tf_type.startswith(prefix)), "")


def _context(instances: list[Instance]) -> dict[tuple[str, str, str], dict[str, str | None]]:
    """Per (state, provider configuration, cloud): the account and region its resources live in.

    A provider configuration with no account evidence of its own borrows the account most
    seen in the same state for that cloud (never the region: aliases usually differ in region).
    """
    votes: dict[tuple[str, str, str], dict[str, Counter[str]]] = defaultdict(
        lambda: {"account": Counter(), "region": Counter()})
    for inst in instances:
        cloud = _cloud(inst.type)
        for key in ((inst.source, inst.provider, cloud), (inst.source, "*", cloud)):
            v = votes[key]
            a = inst.attributes
            acct, reg = _arn_part(a.get("arn"), 4), _arn_part(a.get("arn"), 3)
            if acct and acct.isdigit():
                v["account"][acct] += 1
            if reg and key[1] != "*":
                v["region"][reg] += 1
            if isinstance(a.get("region"), str) and a["region"] and key[1] != "*":
                v["region"][a["region"]] += 1
            if isinstance(a.get("project"), str) and a["project"]:
                v["account"][a["project"]] += 1
            sub = _arm_subscription(a.get("id"))
            if sub:
                v["account"][sub] += 1
    best = {k: {n: (c.most_common(1)[0][0] if c else None) for n, c in v.items()} for k, v in votes.items()}
    for (src, _prov, cloud), ctx in best.items():
        ctx["account"] = ctx["account"] or best.get((src, "*", cloud), {}).get("account")
    return best


def map_instances(instances: Iterable[Instance]) -> MappingResult:
    insts = list(instances)
    ctxs = _context(insts)
    rules = table()
    declared: dict[str, Declared] = {}
    unmapped: Counter[str] = Counter()
    problems: list[str] = []
    for inst in insts:
        r = rules.get(inst.type)
        if r is None:
            unmapped[inst.type] += 1
            continue
        a, ctx = inst.attributes, ctxs[(inst.source, inst.provider, r.provider)]
        native = render(r.id, a, ctx)
        if native is None:
            unmapped[inst.type] += 1
            problems.append(f"{inst.source}: {inst.address}: cannot build the {r.type} id from {r.id!r}; skipped")
            continue
        key = make_key(r.provider, r.type, native)
        d = declared.get(key)
        if d is None:
            d = declared[key] = Declared(key, r.provider, r.type, render(r.account, a, ctx), render(r.region, a, ctx))
        d.account = d.account or render(r.account, a, ctx)
        d.region = d.region or render(r.region, a, ctx)
        d.addresses.append(f"{inst.source}#{inst.address}")
        try:
            _apply(r, a, d)
        except transforms.TransformError as exc:
            problems.append(f"{inst.source}: {inst.address}: {exc}; its declarations were skipped")
    return MappingResult(declared, unmapped, problems)


def _apply(r: Rule, a: dict[str, Any], d: Declared) -> None:
    for path, src in r.set.items():
        spec = src if isinstance(src, dict) else {"from": src}
        raw = get_path(a, spec["from"])
        value = transforms.VALUE[spec["as"]](raw) if "as" in spec else raw
        if value is None:
            continue  # not declared (unset in the configuration, or computed and unknown)
        if path == "tags":
            if isinstance(value, dict):
                d.tags = {**(d.tags or {}), **{str(k): v for k, v in value.items()}}
            continue
        d.values[path] = value
    for add in r.add:
        if add["as"] == "each":
            items = list(get_path(a, add["from"]) or [])
        else:
            items = transforms.ITEMS[add["as"]](a)
        slot = d.sets.setdefault(add["to"], {"flatten": add["set"], "exclusive": False, "items": {}})
        slot["exclusive"] = slot["exclusive"] or bool(add.get("exclusive"))
        for item in items:
            slot["items"][transforms.atom_key(item)] = item
