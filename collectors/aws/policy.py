"""IAM/S3 policy documents: decoded, canonicalised, and inspected for facts rules need.

AWS lets every "one or many" field be a string or a list; rules are simpler and hashes
stable when they are always lists. IAM returns documents URL-encoded (boto3 usually
decodes them, but not always), so both shapes are accepted.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from auditor.canonical import as_list

LIST_FIELDS = ("Action", "NotAction", "Resource", "NotResource")
ADMIN_POLICY_ARNS = frozenset({
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
    "arn:aws-cn:iam::aws:policy/AdministratorAccess",
})

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


def grants_admin(document: Any) -> bool:
    """Allow of action "*" (or "*:*") on resource "*" without conditions."""
    if not isinstance(document, dict):
        return False
    for st in as_list(document.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        if {"*", "*:*"} & set(as_list(st.get("Action"))) and "*" in as_list(st.get("Resource")):
            return True
    return False


def public_statements(document: Any) -> list[str]:
    """Sids (or indexes) of Allow statements whose principal is anyone and that have no Condition."""
    reasons = []
    if not isinstance(document, dict):
        return reasons
    for i, st in enumerate(as_list(document.get("Statement"))):
        if not isinstance(st, dict) or st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        p = st.get("Principal")
        anyone = p == "*" or (isinstance(p, dict) and "*" in as_list(p.get("AWS")))
        if anyone:
            reasons.append(str(st.get("Sid") or i))
    return reasons
