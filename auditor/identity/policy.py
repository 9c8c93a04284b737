"""AWS IAM policy documents: a total parser and an evaluator with IAM's own semantics.

Why a parser of our own: trust analysis needs the *effective* conditions of a statement, and
documents arrive as dicts, JSON text or URL-encoded JSON, with "string or list" everywhere,
element and operator names in any case. ``parse_policy`` never raises: whatever it cannot
understand becomes an entry in ``PolicyDocument.errors`` (a malformed-policy finding), and
the statements it could read are kept.

Semantics implemented (IAM policy evaluation logic):
* explicit Deny wins over Allow; no Allow is an implicit deny;
* Action/NotAction, Resource/NotResource, Principal/NotPrincipal, wildcards ``*`` and ``?``;
  action names match case-insensitively, resources case-sensitively;
* condition blocks: operators AND-ed, keys in one operator AND-ed, values of one key OR-ed;
  operator names and key names case-insensitive; ``...IfExists``; ``ForAnyValue:`` /
  ``ForAllValues:`` set qualifiers (``ForAllValues`` is vacuously true on a missing key);
  negated operators (``StringNotEquals``...) match a missing key.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterable, Mapping
from urllib.parse import unquote

EFFECTS = {"allow": "Allow", "deny": "Deny"}

# Canonical operator names; lookup is case-insensitive.
STRING_OPS = ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
              "StringLike", "StringNotLike")
NUMERIC_OPS = ("NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
               "NumericGreaterThan", "NumericGreaterThanEquals")
DATE_OPS = ("DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
            "DateGreaterThanEquals")
OTHER_OPS = ("Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals",
             "ArnNotLike", "Null")
OPERATORS: dict[str, str] = {op.lower(): op for op in (*STRING_OPS, *NUMERIC_OPS, *DATE_OPS, *OTHER_OPS)}
NEGATED = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
                     "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"})
# Operators that, without IfExists/ForAllValues, pin a key to the listed values.
RESTRICTING = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})
WILDCARD_OPS = frozenset({"StringLike", "StringNotLike", "ArnLike", "ArnNotLike"})
QUALIFIERS = {"foranyvalue": "ForAnyValue", "forallvalues": "ForAllValues"}
PRINCIPAL_KINDS = {"aws": "AWS", "federated": "Federated", "service": "Service", "canonicaluser": "CanonicalUser"}


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) pair of a Condition block with its OR-ed values."""

    operator: str  # canonical base operator, e.g. "StringLike"
    key: str  # lower-cased condition key
    values: tuple[str, ...]
    qualifier: str | None = None  # "ForAnyValue" | "ForAllValues" | None
    if_exists: bool = False

    @property
    def negated(self) -> bool:
        return self.operator in NEGATED

    @property
    def restricts(self) -> bool:
        """True when this condition, alone, limits the key to ``values`` (fails closed)."""
        return (self.operator in RESTRICTING and not self.if_exists and self.qualifier != "ForAllValues"
                and bool(self.values))

    def label(self) -> str:
        op = (f"{self.qualifier}:" if self.qualifier else "") + self.operator + ("IfExists" if self.if_exists else "")
        return f"{op} {self.key} {list(self.values)}"

    def as_dict(self) -> dict[str, Any]:
        return {"operator": self.operator, "key": self.key, "values": list(self.values),
                "qualifier": self.qualifier, "if_exists": self.if_exists}


@dataclass(frozen=True, slots=True)
class Principal:
    """``anyone`` for ``"*"`` (or {"AWS": "*"}); otherwise values per canonical kind."""

    anyone: bool
    values: Mapping[str, tuple[str, ...]]

    def of(self, kind: str) -> tuple[str, ...]:
        return self.values.get(kind, ())


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principal: Principal | None
    not_principal: Principal | None
    conditions: tuple[Condition, ...]

    def conditions_on(self, key: str) -> list[Condition]:
        k = key.lower()
        return [c for c in self.conditions if c.key == k]


@dataclass(slots=True)
class PolicyDocument:
    statements: list[Statement] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    version: str | None = None

    @property
    def malformed(self) -> bool:
        return bool(self.errors)


# ---------------------------------------------------------------- parsing


def decode_document(document: Any) -> tuple[Any, str | None]:
    """(value, error): dict as is; JSON text or URL-encoded JSON text decoded."""
    if isinstance(document, Mapping):
        return document, None
    if isinstance(document, (bytes, bytearray)):
        document = bytes(document).decode("utf-8", "replace")
    if not isinstance(document, str):
        return None, f"policy document is a {type(document).__name__}, not an object or JSON text"
    text = document.strip()
    if not text.startswith("{") and "%" in text:
        text = unquote(text).strip()
    try:
        return json.loads(text), None
    except (ValueError, RecursionError) as exc:
        return None, f"policy document is not JSON ({exc.__class__.__name__})"


def _ci_get(obj: Mapping[Any, Any], name: str) -> tuple[bool, Any]:
    """Element lookup ignoring case (IAM grammar is case-sensitive; exports are not always)."""
    if name in obj:
        return True, obj[name]
    low = name.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return True, v
    return False, None


def _scalar_text(v: Any) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (str, int, float)):
        return str(v)
    return None


def _str_list(value: Any, what: str, errors: list[str]) -> tuple[str, ...] | None:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        text = _scalar_text(item)
        if text is None:
            errors.append(f"{what}: value {type(item).__name__} is not a string")
            return None
        out.append(text)
    if not out:
        errors.append(f"{what}: empty list")
        return None
    return tuple(out)


def _principal(value: Any, what: str, errors: list[str]) -> Principal | None:
    if isinstance(value, str):
        if value == "*":
            return Principal(anyone=True, values={})
        errors.append(f"{what}: string principal {value[:60]!r} is not '*'")
        return None
    if not isinstance(value, Mapping):
        errors.append(f"{what}: not an object")
        return None
    values: dict[str, tuple[str, ...]] = {}
    for k, v in value.items():
        kind = PRINCIPAL_KINDS.get(str(k).lower())
        if kind is None:
            errors.append(f"{what}: unknown principal type {str(k)[:40]!r}")
            continue
        vals = _str_list(v, f"{what}.{kind}", errors)
        if vals is not None:
            values[kind] = values.get(kind, ()) + vals
    if not values:
        if not any(e.startswith(what) for e in errors):
            errors.append(f"{what}: no principals")
        return None
    return Principal(anyone="*" in values.get("AWS", ()), values=values)


def split_operator(name: str) -> tuple[str | None, str | None, bool]:
    """("ForAnyValue:StringLikeIfExists") -> ("StringLike", "ForAnyValue", True); unknown -> (None, ..)."""
    qualifier = None
    text = name.strip()
    if ":" in text:
        q, _, text = text.partition(":")
        qualifier = QUALIFIERS.get(q.lower())
        if qualifier is None:
            return None, None, False
    if_exists = text.lower().endswith("ifexists") and text.lower() != "ifexists"
    base = text[: -len("IfExists")] if if_exists else text
    op = OPERATORS.get(base.lower())
    if op == "Null" and if_exists:
        return None, qualifier, True  # NullIfExists is not an operator
    return op, qualifier, if_exists


def _conditions(value: Any, what: str, errors: list[str]) -> tuple[Condition, ...]:
    if not isinstance(value, Mapping):
        errors.append(f"{what}: Condition is not an object")
        return ()
    out: list[Condition] = []
    for op_name, block in value.items():
        op, qualifier, if_exists = split_operator(str(op_name))
        if op is None:
            errors.append(f"{what}: unknown condition operator {str(op_name)[:60]!r}")
            # An unknown operator can never be satisfied: keep it so the statement fails closed.
            out.append(Condition(operator="__unknown__", key=str(op_name).lower(), values=()))
            continue
        if not isinstance(block, Mapping):
            errors.append(f"{what}.{op_name}: not an object")
            out.append(Condition(operator="__unknown__", key=str(op_name).lower(), values=()))
            continue
        for key, vals in block.items():
            parsed = _str_list(vals, f"{what}.{op_name}.{key}", errors)
            out.append(Condition(operator=op if parsed is not None else "__unknown__", key=str(key).lower(),
                                 values=parsed or (), qualifier=qualifier, if_exists=if_exists))
    return tuple(out)


def _statement(i: int, st: Any, errors: list[str], *, needs_principal: bool | None) -> Statement | None:
    what = f"Statement[{i}]"
    if not isinstance(st, Mapping):
        errors.append(f"{what}: not an object")
        return None
    before = len(errors)
    _, effect_raw = _ci_get(st, "Effect")
    effect = EFFECTS.get(str(effect_raw).lower()) if isinstance(effect_raw, str) else None
    if effect is None:
        errors.append(f"{what}: Effect must be Allow or Deny")
    parts: dict[str, tuple[str, ...] | None] = {}
    for name in ("Action", "NotAction", "Resource", "NotResource"):
        found, v = _ci_get(st, name)
        parts[name] = _str_list(v, f"{what}.{name}", errors) if found else None
    if (parts["Action"] is None) == (parts["NotAction"] is None):
        errors.append(f"{what}: exactly one of Action / NotAction is required")
    if parts["Resource"] is not None and parts["NotResource"] is not None:
        errors.append(f"{what}: both Resource and NotResource")
    found_p, pv = _ci_get(st, "Principal")
    found_np, npv = _ci_get(st, "NotPrincipal")
    principal = _principal(pv, f"{what}.Principal", errors) if found_p else None
    not_principal = _principal(npv, f"{what}.NotPrincipal", errors) if found_np else None
    if found_p and found_np:
        errors.append(f"{what}: both Principal and NotPrincipal")
    if needs_principal and not (found_p or found_np):
        errors.append(f"{what}: a trust/resource policy statement needs a Principal")
    found_c, cv = _ci_get(st, "Condition")
    conditions = _conditions(cv, what, errors) if found_c and cv is not None else ()
    if effect is None or (parts["Action"] is None and parts["NotAction"] is None):
        return None
    if len(errors) > before and (found_p and principal is None or found_np and not_principal is None):
        return None  # an unreadable principal would widen trust if dropped; skip the statement
    _, sid = _ci_get(st, "Sid")
    return Statement(index=i, sid=sid if isinstance(sid, str) else None, effect=effect,
                     actions=parts["Action"], not_actions=parts["NotAction"], resources=parts["Resource"],
                     not_resources=parts["NotResource"], principal=principal, not_principal=not_principal,
                     conditions=conditions)


def parse_policy(document: Any, *, needs_principal: bool | None = None) -> PolicyDocument:
    """Parse any value as an IAM policy document; never raises (errors are collected)."""
    out = PolicyDocument()
    try:
        value, err = decode_document(document)
        if err:
            out.errors.append(err)
            return out
        if not isinstance(value, Mapping):
            out.errors.append("policy document is not a JSON object")
            return out
        _, version = _ci_get(value, "Version")
        out.version = version if isinstance(version, str) else None
        found, statements = _ci_get(value, "Statement")
        if not found or statements in (None, [], {}):
            out.errors.append("policy document has no Statement")
            return out
        for i, st in enumerate(statements if isinstance(statements, list) else [statements]):
            parsed = _statement(i, st, out.errors, needs_principal=needs_principal)
            if parsed is not None:
                out.statements.append(parsed)
    except RecursionError:
        out.errors.append("policy document nests too deeply")
    return out


# ---------------------------------------------------------------- matching


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character, nothing else special."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(glob_match(p, action, ignore_case=True) for p in patterns)


def resource_matches(patterns: Iterable[str], resource: str) -> bool:
    return any(glob_match(p, resource) for p in patterns)


def _arn_match(pattern: str, value: str, wildcards: bool) -> bool:
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != len(v_parts):
        return glob_match(pattern, value) if wildcards else pattern == value
    return all(glob_match(p, v) if wildcards else p == v for p, v in zip(p_parts, v_parts))


def _num(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError, OverflowError):
        return None


def _date(text: str) -> datetime | None:
    t = text.strip()
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", t):
            return datetime.fromtimestamp(float(t), tz=timezone.utc)
        d = datetime.fromisoformat(t.replace("Z", "+00:00"))
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def _ip_in(policy_value: str, ctx_value: str) -> bool:
    try:
        return ipaddress.ip_address(ctx_value.strip()) in ipaddress.ip_network(policy_value.strip(), strict=False)
    except ValueError:
        return False


def _cmp(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    return {"Equals": a == b, "LessThan": a < b, "LessThanEquals": a <= b, "GreaterThan": a > b,
            "GreaterThanEquals": a >= b}[op]


def _positive_match(op: str, policy_value: str, ctx_value: str) -> bool:
    """Does ``ctx_value`` satisfy the *positive* form of ``op`` against one policy value?"""
    base = op.replace("Not", "", 1) if op in NEGATED and op != "NotIpAddress" else op
    if base == "StringEquals":
        return policy_value == ctx_value
    if base == "StringEqualsIgnoreCase":
        return policy_value.lower() == ctx_value.lower()
    if base == "StringLike":
        return glob_match(policy_value, ctx_value)
    if base in ("ArnEquals", "ArnLike"):
        return _arn_match(policy_value, ctx_value, wildcards=base == "ArnLike")
    if base.startswith("Numeric"):
        return _cmp(base[len("Numeric"):], _num(ctx_value), _num(policy_value))
    if base.startswith("Date"):
        return _cmp(base[len("Date"):], _date(ctx_value), _date(policy_value))
    if base == "Bool":
        return policy_value.lower() == ctx_value.lower()
    if base == "BinaryEquals":
        return policy_value == ctx_value
    if base in ("IpAddress", "NotIpAddress"):
        return _ip_in(policy_value, ctx_value)
    return False


def _ctx_values(context: Mapping[str, Any], key: str) -> list[str] | None:
    for k, v in context.items():
        if isinstance(k, str) and k.lower() == key:
            if v is None:
                return None
            items = v if isinstance(v, (list, tuple, set, frozenset)) else [v]
            return [t for t in (_scalar_text(i) for i in items) if t is not None]
    return None


def evaluate_condition(cond: Condition, context: Mapping[str, Any]) -> bool:
    """Evaluate one (operator, key) condition against a request context; never raises."""
    if cond.operator == "__unknown__":
        return False
    present = _ctx_values(context, cond.key)
    if cond.operator == "Null":
        want_absent = any(v.lower() == "true" for v in cond.values)
        is_absent = not present
        return is_absent if want_absent else not is_absent
    if not present:
        if cond.if_exists or cond.qualifier == "ForAllValues":
            return True
        if cond.qualifier == "ForAnyValue":
            return False
        return cond.negated
    def matches_any_policy_value(ctx_value: str) -> bool:
        return any(_positive_match(cond.operator, pv, ctx_value) for pv in cond.values)

    if cond.qualifier == "ForAllValues":
        if cond.negated:
            return all(not matches_any_policy_value(v) for v in present)
        return all(matches_any_policy_value(v) for v in present)
    # ForAnyValue, or a single-valued key (a list context is read as "any value").
    if cond.negated:
        if cond.qualifier == "ForAnyValue":
            return any(not matches_any_policy_value(v) for v in present)
        return not any(matches_any_policy_value(v) for v in present)
    return any(matches_any_policy_value(v) for v in present)


def conditions_hold(conditions: Iterable[Condition], context: Mapping[str, Any]) -> bool:
    return all(evaluate_condition(c, context) for c in conditions)


def _principal_matches(p: Principal, principal: Mapping[str, str] | None, *, root_is_account: bool = True) -> bool:
    """Does the caller fall under this Principal element?

    In ``Principal`` an account root stands for every principal of the account; in
    ``NotPrincipal`` it exempts only the account root itself (IAM: "specifying the account
    ARN does not exempt the users of that account"), so ``root_is_account=False`` there.
    """
    if p.anyone:
        return True
    if not principal:
        return False
    for kind, value in principal.items():
        for pv in p.of(kind):
            if pv == "*" or pv == value:
                return True
            if kind == "AWS" and root_is_account and _account_root_match(pv, value):
                return True
            if kind == "AWS" and not root_is_account and re.fullmatch(r"\d{12}", pv) \
                    and re.fullmatch(rf"arn:[\w-]+:iam::{pv}:root", value):
                return True
    return False


def _account_root_match(policy_value: str, caller: str) -> bool:
    """"111122223333" and "arn:aws:iam::111122223333:root" admit every principal of that account."""
    acct = policy_value if re.fullmatch(r"\d{12}", policy_value) else None
    m = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):root", policy_value)
    acct = acct or (m.group(1) if m else None)
    return bool(acct) and re.match(rf"arn:[\w-]+:(iam|sts)::{acct}:", caller) is not None


def statement_applies(st: Statement, *, action: str, resource: str | None, principal: Mapping[str, str] | None,
                      context: Mapping[str, Any]) -> bool:
    if st.actions is not None and not action_matches(st.actions, action):
        return False
    if st.not_actions is not None and action_matches(st.not_actions, action):
        return False
    if resource is not None:
        if st.resources is not None and not resource_matches(st.resources, resource):
            return False
        if st.not_resources is not None and resource_matches(st.not_resources, resource):
            return False
    if principal is not None:
        if st.principal is not None and not _principal_matches(st.principal, principal):
            return False
        if st.not_principal is not None and _principal_matches(st.not_principal, principal, root_is_account=False):
            return False
    return conditions_hold(st.conditions, context)


def evaluate(policy: PolicyDocument, *, action: str, resource: str | None = "*",
             principal: Mapping[str, str] | None = None, context: Mapping[str, Any] | None = None) -> str:
    """"Deny" (explicit), "Allow", or "ImplicitDeny" for one request; never raises."""
    ctx = context or {}
    allowed = False
    for st in policy.statements:
        if statement_applies(st, action=action, resource=resource, principal=principal, context=ctx):
            if st.effect == "Deny":
                return "Deny"
            allowed = True
    return "Allow" if allowed else "ImplicitDeny"
