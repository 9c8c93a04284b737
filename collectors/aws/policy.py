"""IAM/S3 policy documents: decoded, canonicalised, and inspected for facts rules need.

AWS lets every "one or many" field be a string or a list; rules are simpler and hashes
stable when they are always lists. IAM returns documents URL-encoded (boto3 usually
decodes them, but not always), so both shapes are accepted.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any
from urllib.parse import unquote

from auditor.canonical import as_list
from auditor.identity.policy import WILDCARD_OPS, Condition, evaluate_condition, parse_policy

LIST_FIELDS = ("Action", "NotAction", "Resource", "NotResource")

# Policy paths every spec that stores documents marks order-insensitive (relative to a doc).
# Inner lists come first: the statements are sorted by their already-canonical content.
DOC_UNORDERED = ("Statement[*].Action", "Statement[*].NotAction", "Statement[*].Resource",
                 "Statement[*].NotResource", "Statement[*].Principal.*", "Statement[*].NotPrincipal.*",
                 "Statement[*].Condition.*.*", "Statement")


class MalformedPolicy(ValueError):
    """A document that is not a JSON object with a Statement list of objects."""


def decode(document: Any) -> dict[str, Any]:
    """A policy document as a dict, whether given as dict, JSON text or URL-encoded JSON."""
    if isinstance(document, dict):
        return document
    if isinstance(document, (bytes, bytearray)):
        document = document.decode("utf-8", "replace")
    if not isinstance(document, str):
        raise MalformedPolicy(f"unexpected document type {type(document).__name__}")
    text = document.strip()
    if not text.startswith("{") and "%" in text:
        text = unquote(text)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedPolicy(f"not JSON: {exc.msg} at {exc.pos}") from None
    if not isinstance(value, dict):
        raise MalformedPolicy("document is not a JSON object")
    return value


def _principal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: as_list(v) for k, v in value.items()}
    return value  # "*" stays "*": it is its own meaning (anyone)


def canonical(document: Any) -> dict[str, Any]:
    """Decoded document with Statement, Action/Resource/NotAction/NotResource, Principal
    values and Condition values as lists. Raises MalformedPolicy."""
    doc = dict(decode(document))
    statements = as_list(doc.get("Statement"))
    if not statements:
        raise MalformedPolicy("no Statement")
    out = []
    for i, st in enumerate(statements):
        if not isinstance(st, dict):
            raise MalformedPolicy(f"Statement[{i}] is not an object")
        st = dict(st)
        for f in LIST_FIELDS:
            if f in st:
                st[f] = as_list(st[f])
        for f in ("Principal", "NotPrincipal"):
            if f in st:
                st[f] = _principal(st[f])
        if isinstance(st.get("Condition"), dict):
            st["Condition"] = {
                op: ({k: as_list(v) for k, v in kv.items()} if isinstance(kv, dict) else kv)
                for op, kv in st["Condition"].items()
            }
        out.append(st)
    doc["Statement"] = out
    return doc


def canonical_or_note(document: Any, label: str, malformed: list[str]) -> Any:
    """Canonicalise; a malformed document is kept as given and its reason recorded."""
    if document is None:
        return None
    try:
        return canonical(document)
    except MalformedPolicy as exc:
        malformed.append(f"{label}: {exc}")
        return document if isinstance(document, (dict, str)) else str(document)


# Condition keys an anonymous caller sets itself: they never make a statement private.
CALLER_CONTROLLED_KEYS = frozenset({"aws:securetransport", "aws:referer", "aws:useragent"})


def _condition_open(c: Condition) -> bool:
    """Does this condition still admit an anonymous caller from anywhere on the internet?"""
    if c.key in CALLER_CONTROLLED_KEYS:
        return True
    if c.key == "aws:sourceip" and c.operator in ("IpAddress", "NotIpAddress"):
        nets = [_network(v) for v in c.values]
        everywhere = any(n is not None and n.prefixlen == 0 for n in nets)
        return everywhere if c.operator == "IpAddress" else not everywhere
    if c.operator in WILDCARD_OPS and not c.negated and c.values and all(set(v) <= {"*"} for v in c.values):
        return True
    return evaluate_condition(c, {})  # IfExists, negated operators: an absent key passes


def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def public_statements(document: Any) -> list[str]:
    """Sids (or indexes) of Allow statements anyone on the internet can use: Principal "*"
    (or Allow + NotPrincipal, which is everyone but the named) whose conditions do not narrow
    the caller (aws:SecureTransport, aws:Referer, aws:SourceIp 0.0.0.0/0 do not)."""
    doc = parse_policy(document)
    reasons = []
    for st in doc.statements:
        if st.effect != "Allow":
            continue
        anyone = (st.principal is not None and st.principal.anyone) or st.not_principal is not None
        if anyone and all(_condition_open(c) for c in st.conditions):
            reasons.append(str(st.sid or st.index))
    return reasons
