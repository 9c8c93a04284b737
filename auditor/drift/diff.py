"""Attribute-level differences between two stored resource documents, as JSON paths.

Paths are dotted from the document root: ``name``, ``region``, ``location``,
``tags.Owner``, ``config.Versioning.Status``, ``facets.ingress``. Dicts are compared key by
key; lists of equal length element by element (``config.Rules[2].Port``); a list whose length
changed is reported once, at the list's path, with the whole lists before and after (the
stored lists are already canonically sorted, so indices would only shift). A key that
appears has ``before: null``; a key that disappears has ``after: null``.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from auditor.drift.model import Change, ElementChange

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-:/@$]+$")


def _join(prefix: str, key: str) -> str:
    seg = key if _PLAIN_KEY.match(key) else '"' + key.replace('"', '\\"') + '"'
    return f"{prefix}.{seg}" if prefix else seg


def _walk(before: Any, after: Any, path: str) -> Iterator[Change]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            b, a = before.get(key), after.get(key)
            if key not in before:
                yield Change(_join(path, key), None, a)
            elif key not in after:
                yield Change(_join(path, key), b, None)
            else:
                yield from _walk(b, a, _join(path, key))
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            yield from _walk(b, a, f"{path}[{i}]")
        return
    if type(before) is type(after) and before == after:  # type check: False == 0 is still a change
        return
    yield Change(path, before, after)


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every leaf-level difference between two resource documents, in path order."""
    return list(_walk(before, after, ""))


# ---- element-level view: lists are sets ----------------------------------------------------------
# Security-group rules, grants, policy statements and role bindings are sets: a rule added
# in the middle shifts every index, so index paths and whole-array before/after say little.
# For each changed list (the outermost list on a change's path) the elements added and
# removed are listed, each with a one-line rendering (``tcp/3389 from 0.0.0.0/0``). The
# path-level changes above stay as they are (ignore rules and severity match on them).

_SEGMENT = re.compile(r'"(?:[^"\\]|\\.)*"|\[\d+\]|[^.\[\]"]+')


def _segments(path: str) -> list[str]:
    return _SEGMENT.findall(path)


def _outer_list_path(path: str) -> str:
    """``config.IpPermissions[0].IpRanges[1].CidrIp`` -> ``config.IpPermissions``."""
    out: list[str] = []
    for seg in _segments(path):
        if seg.startswith("["):
            break
        out.append(seg)
    return ".".join(out)


def _lookup(doc: Any, path: str) -> Any:
    node = doc
    for seg in _segments(path):
        if not isinstance(node, dict):
            return None
        key = seg[1:-1].replace('\\"', '"') if seg.startswith('"') else seg
        node = node.get(key)
    return node


def _key(value: Any) -> str:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode()


def element_changes(before: dict[str, Any] | None, after: dict[str, Any] | None,
                    changes: list[Change]) -> list[ElementChange]:
    """Added/removed elements of every list that the (kept) path changes touch."""
    out: list[ElementChange] = []
    seen: set[str] = set()
    for ch in changes:
        lpath = _outer_list_path(ch.path)
        if lpath in seen or not lpath:
            continue
        b, a = _lookup(before, lpath), _lookup(after, lpath)
        if not isinstance(b, list) and not isinstance(a, list):
            continue
        seen.add(lpath)
        b_list, a_list = (b if isinstance(b, list) else []), (a if isinstance(a, list) else [])
        from collections import Counter

        bk, ak = Counter(_key(x) for x in b_list), Counter(_key(x) for x in a_list)
        removed_left, added_left = bk - ak, ak - bk
        for x in b_list:
            if removed_left[_key(x)] > 0:
                removed_left[_key(x)] -= 1
                out.append(ElementChange(lpath, "removed", x, describe_element(x)))
        for x in a_list:
            if added_left[_key(x)] > 0:
                added_left[_key(x)] -= 1
                out.append(ElementChange(lpath, "added", x, describe_element(x)))
    return out


def _ports(lo: Any, hi: Any) -> str:
    if lo in (None, -1, 0) and hi in (None, -1, 65535):
        return "all"
    return str(lo) if lo == hi or hi is None else f"{lo}-{hi}"


def _proto(p: Any) -> str:
    return "all" if str(p) in ("-1", "*", "all", "None") else str(p).lower()


def _list_text(values: Any) -> str:
    if isinstance(values, list):
        return ", ".join(_list_text(v) for v in values)
    if isinstance(values, dict):
        return ", ".join(f"{k}:{_list_text(v)}" for k, v in sorted(values.items()))
    return str(values)


def describe_element(value: Any) -> str:
    """One line a reviewer can read, for the set elements clouds use most; compact JSON else."""
    if not isinstance(value, dict):
        return _list_text(value) if isinstance(value, list) else str(value)
    v = value
    if "cidr" in v and ("protocol" in v or "from_port" in v):  # normalised network facet rule
        action = "" if v.get("action", "allow") == "allow" else f"{v['action']} "
        return f"{action}{_proto(v.get('protocol'))}/{_ports(v.get('from_port'), v.get('to_port'))} " \
               f"{'to' if v.get('direction') == 'egress' else 'from'} {v.get('cidr')}"
    if "IpProtocol" in v:  # AWS IpPermissions entry
        sources = [r.get("CidrIp") for r in v.get("IpRanges") or []] + \
                  [r.get("CidrIpv6") for r in v.get("Ipv6Ranges") or []] + \
                  [r.get("GroupId") for r in v.get("UserIdGroupPairs") or []] + \
                  [r.get("PrefixListId") for r in v.get("PrefixListIds") or []]
        return f"{_proto(v['IpProtocol'])}/{_ports(v.get('FromPort'), v.get('ToPort'))} " \
               f"from {', '.join(str(s) for s in sources if s) or 'nothing'}"
    if "Effect" in v and ("Action" in v or "NotAction" in v):  # IAM policy statement
        who = v.get("Principal") or v.get("NotPrincipal")
        text = f"{v['Effect']} {_list_text(v.get('Action') or v.get('NotAction'))}"
        if who is not None:
            text += f" by {_list_text(who)}"
        if v.get("Resource") is not None:
            text += f" on {_list_text(v['Resource'])}"
        if v.get("Condition"):
            text += f" if {_key(v['Condition'])}"
        return text
    if "role" in v and "members" in v:  # GCP IAM binding
        text = f"{v['role']} to {_list_text(v['members'])}"
        return text + (f" if {_key(v['condition'])}" if v.get("condition") else "")
    if "access" in v and "direction" in v:  # Azure NSG security rule (flattened properties)
        port = v.get("destinationPortRange") or _list_text(v.get("destinationPortRanges") or []) or "*"
        src = v.get("sourceAddressPrefix") or _list_text(v.get("sourceAddressPrefixes") or []) or "*"
        return f"{v['access']} {v['direction']} {_proto(v.get('protocol'))}/{port} from {src}"
    if "issuer" in v and "subject" in v:  # federated credential
        return f"{v['issuer']} subject {v['subject']}"
    return _key(v)
