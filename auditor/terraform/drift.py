"""Drift of a snapshot against a Terraform baseline, and IaC coverage.

- ``unmanaged``: observed in the snapshot (its unit completed, or it was seen in this very
  snapshot), inside the baseline's scope (the accounts the states declare resources in),
  and declared by no state;
- ``missing``: declared, not in the snapshot, and every collection unit that could hold it
  completed; otherwise ``unknown`` (a failed or unattempted unit proves nothing);
- ``modified``: declared and observed, and a value Terraform declares differs from the
  collected one. Attributes Terraform does not declare are never compared.
- ``unknown``: declared, but its unit did not complete in the snapshot.

Severities and ignore rules are the snapshot baselines' (``auditor.drift.severity`` and
``auditor.drift.ignore``): unmanaged is judged like ``added``, missing like ``removed``.
Coverage counts, per provider, account and type, the observed resources and those some
state declares.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Sequence

import orjson
from sqlalchemy import Connection

from auditor.canonical import canonical_json
from auditor.drift import baselines as bl, engine as drift_engine, ignore as ignore_mod, scope as scope_mod, severity, sqlsets
from auditor.drift.model import Change, DriftItem, DriftReport
from auditor.rules.verdict import severity_rank
from auditor.terraform import mapping, transforms

KINDS = ("unmanaged", "missing", "modified", "unknown")
SEVERITY_AS = {"unmanaged": "added", "missing": "removed", "modified": "modified", "unknown": "unknown"}
_T_DECL, _T_DONE = "tf_declared", "tf_done"
_ABSENT = object()
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-:/@$]+$")
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _lookup(doc: Any, path: str) -> Any:
    """Value at ``path``; _ABSENT when a step is missing (not collected), None when null."""
    node = doc
    for name, idx in _STEP.findall(path):
        if name:
            if not isinstance(node, dict) or name not in node:
                return _ABSENT
            node = node[name]
        else:
            i = int(idx)
            if not isinstance(node, list) or i >= len(node):
                return _ABSENT
            node = node[i]
    return node


def _assign(doc: dict[str, Any], path: str, value: Any) -> None:
    steps = [(n, int(i) if i else None) for n, i in _STEP.findall(path)]
    node: Any = doc
    for pos, (name, idx) in enumerate(steps):
        last = pos == len(steps) - 1
        if name:
            if not isinstance(node, dict):
                return
            if last:
                node[name] = value
                return
            nxt = steps[pos + 1]
            if not isinstance(node.get(name), (dict, list)):
                node[name] = [] if nxt[1] is not None else {}
            node = node[name]
        else:
            if not isinstance(node, list):
                return
            while len(node) <= idx:  # type: ignore[operator]
                node.append({})
            if last:
                node[idx] = value  # type: ignore[index]
                return
            node = node[idx]  # type: ignore[index]


def _same(a: Any, b: Any) -> bool:
    return canonical_json(a) == canonical_json(b)


def _tag_path(key: str) -> str:
    return f"tags.{key}" if _PLAIN_KEY.match(key) else "tags[" + orjson.dumps(key).decode() + "]"


def compare(decl: dict[str, Any], doc: dict[str, Any]) -> tuple[list[Change], dict[str, Any]]:
    """Changes on declared paths only, and the 'as declared' document (for severity)."""
    changes: list[Change] = []
    declared_doc = copy.deepcopy(doc)
    for path, want in (decl.get("values") or {}).items():
        have = _lookup(doc, path)
        if have is _ABSENT:
            continue  # the collector does not record this attribute: nothing can be said
        _assign(declared_doc, path, want)
        if not _same(want, have):
            changes.append(Change(path, want, have))
    tags = decl.get("tags")
    if tags is not None:
        have_tags = doc.get("tags") or {}
        declared_doc["tags"] = dict(tags)
        for k in sorted(set(tags) | set(have_tags)):
            if not _same(tags.get(k), have_tags.get(k)):
                changes.append(Change(_tag_path(k), tags.get(k), have_tags.get(k)))
    for path, s in (decl.get("sets") or {}).items():
        have = _lookup(doc, path)
        if have is _ABSENT:
            continue
        flat = transforms.FLATTEN[s["flatten"]](have)
        want_keys = {transforms.atom_key(a): a for a in s["items"]}
        have_keys = {transforms.atom_key(a): a for a in flat}
        lacking = set(want_keys) - set(have_keys)
        extra = (set(have_keys) - set(want_keys)) if s["exclusive"] else set()
        if s["flatten"] in ("rules", "custom_rules"):
            kept = [r for r in have or [] if s["flatten"] == "custom_rules" and (r.get("priority") or 0) >= 65000]
            _assign(declared_doc, path, list(s["items"]) + kept)
        if lacking or extra:
            changes.append(Change(path, [want_keys[k] for k in sorted(want_keys)],
                                  [have_keys[k] for k in sorted(have_keys)]))
    return changes, declared_doc


def _declared_only(decl: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": None, "region": None, "location": None, "tags": dict(decl.get("tags") or {}),
                           "config": {}, "facets": {}}
    for path, value in (decl.get("values") or {}).items():
        _assign(doc, path, value)
    for path, s in (decl.get("sets") or {}).items():
        if s["flatten"] in ("rules", "custom_rules"):
            _assign(doc, path, list(s["items"]))
    return doc


def _candidate_status(units: dict[tuple[str, str], list[tuple[str, str, str, str]]], provider: str, type_: str,
                      account: str | None, region: str | None) -> tuple[str, str | None]:
    """('missing' | 'unknown', unit key): missing only when every unit that could hold it completed."""
    cands = [u for u in units.get((provider, type_), [])
             if (account is None or u[1] == account) and (region is None or u[2] in (region, "global", "*"))]
    if not cands:
        return "unknown", None
    bad = [u for u in cands if u[3] not in drift_engine.COMPLETED_STATUSES]
    return ("unknown", bad[0][0]) if bad else ("missing", cands[0][0])


def compute(conn: Connection, ref: bl.BaselineRef, sid: int, *, rules: Sequence[ignore_mod.ActiveRule],
            params: dict[str, Any], show_ignored: bool, expired: list[dict[str, Any]]) -> DriftReport:
    bid = int(ref.id)
    observed = f"{sqlsets.valid_at('r', sid)} AND (r.valid_from = {int(sid)} OR r.unit_key IN (SELECT unit_key FROM {_T_DONE}))"
    try:
        sqlsets.completed_units(conn, _T_DONE, sid)
        sqlsets.create_temp(conn, _T_DECL, "resource_key TEXT PRIMARY KEY", text_pk=True)
        conn.exec_driver_sql(f"INSERT INTO {_T_DECL} (resource_key) SELECT resource_key FROM terraform_declarations "
                             f"WHERE baseline_id = {bid}")
        sqlsets.analyze(conn, _T_DECL)
        # Coverage over every observed resource, per provider/account/type.
        coverage = [
            {"provider": p, "account": a, "type": t, "resources": int(n), "managed": int(m or 0),
             "share": round(int(m or 0) / int(n), 4) if n else None}
            for p, a, t, n, m in conn.exec_driver_sql(
                f"SELECT r.provider, r.account, r.type, count(*), "
                f"sum(CASE WHEN d.resource_key IS NULL THEN 0 ELSE 1 END) FROM resource_versions r "
                f"LEFT JOIN {_T_DECL} d ON d.resource_key = r.resource_key WHERE {observed} "
                f"GROUP BY r.provider, r.account, r.type ORDER BY r.provider, r.account, r.type")
        ]
        # Unmanaged: observed, in scope, declared nowhere.
        skip_types = set(mapping.not_declarable())
        unmanaged_ids = [
            (rid, uk) for rid, uk, t in conn.exec_driver_sql(
                f"SELECT r.id, r.unit_key, r.type FROM resource_versions r WHERE {observed} "
                f"AND NOT EXISTS (SELECT 1 FROM {_T_DECL} d WHERE d.resource_key = r.resource_key)")
            if t not in skip_types and scope_mod.unit_in_scope(uk, ref.scope)
        ]
        # Declared, with the version holding each key in the snapshot (if any).
        unknown_sql = f"(r.valid_from <> {int(sid)} AND r.unit_key NOT IN (SELECT unit_key FROM {_T_DONE}))"
        declared = conn.exec_driver_sql(
            f"SELECT d.resource_key, d.provider, d.type, d.account, d.region, d.declared, r.id, r.unit_key, "
            f"CASE WHEN r.id IS NOT NULL AND {unknown_sql} THEN 1 ELSE 0 END "
            f"FROM terraform_declarations d LEFT JOIN resource_versions r ON r.resource_key = d.resource_key "
            f"AND {sqlsets.valid_at('r', sid)} WHERE d.baseline_id = {bid} ORDER BY d.resource_key").all()
        units: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}
        for uk, prov, acct, reg, rtype, status in conn.exec_driver_sql(
                "SELECT unit_key, provider, account, region, resource_type, status FROM collection_units "
                f"WHERE snapshot_id = {int(sid)}"):
            units.setdefault((prov, rtype), []).append((uk, acct, reg, status))
        present_ids = [row[6] for row in declared if row[6] is not None]
        docs = drift_engine._fetch(conn, present_ids + [i for i, _ in unmanaged_ids], docs=True)
        category = _categories()
        items: list[DriftItem] = []
        unknown_units: set[str] = set()
        for rid, uk in unmanaged_ids:
            row = docs[rid]
            items.append(_item("unmanaged", row["resource_key"], row, uk, None, drift_engine._document(row), [],
                               rules, params, show_ignored))
        for key, prov, rtype, acct, reg, text, rid, uk, unknown in declared:
            decl = orjson.loads(text)
            meta = {"native_id": key.split("|", 1)[1], "provider": prov, "account": acct, "region": reg,
                    "type": rtype, "category": category.get(rtype)}
            if rid is None:
                change, unit = _candidate_status(units, prov, rtype, acct, reg)
                if change == "unknown" and unit:
                    unknown_units.add(unit)
                items.append(_item(change, key, meta, unit, _declared_only(decl), None, [], rules, params,
                                   show_ignored))
                continue
            row = docs[rid]
            if unknown:
                unknown_units.add(uk)
                items.append(_item("unknown", key, row, uk, None, None, [], rules, params, show_ignored))
                continue
            adoc = drift_engine._document(row)
            assert adoc is not None
            changes, bdoc = compare(decl, adoc)
            if changes:
                items.append(_item("modified", key, row, uk, bdoc, adoc, changes, rules, params, show_ignored))
        incomplete = drift_engine._incomplete_units(conn, sid, unknown_units, ref.scope)
    except BaseException:
        conn.rollback()
        raise
    sqlsets.drop_temp(conn, _T_DECL, _T_DONE)
    conn.commit()
    ignored_count = sum(1 for i in items if i.ignored)
    if not show_ignored:
        items = [i for i in items if not i.ignored]
    items.sort(key=lambda i: (-severity_rank(i.severity), i.resource_key))
    return DriftReport(items=items, incomplete_units=incomplete, expired_rules=expired, baseline=ref.label,
                       snapshot_id=sid, compared=len(declared), ignored_count=ignored_count, kinds=KINDS,
                       iac_coverage=coverage)


def _item(change: str, key: str, meta: dict[str, Any], unit: str | None, before: dict[str, Any] | None,
          after: dict[str, Any] | None, changes: list[Change], rules: Sequence[ignore_mod.ActiveRule],
          params: dict[str, Any], show_ignored: bool) -> DriftItem:
    item = DriftItem(resource_key=key, native_id=meta.get("native_id"), provider=meta.get("provider"),
                     account=meta.get("account"), region=meta.get("region"), type=meta.get("type"), change=change,
                     changes=changes, unit_key=unit, show_ignored=show_ignored)
    ignore_mod.apply(item, rules)
    as_kind = SEVERITY_AS[change]
    item.severity = severity.assess(as_kind, meta.get("category"), before, after, item.changes, params).severity
    return item


def _categories() -> dict[str, str]:
    from collectors.aws.specs import SPECS as AWS
    from collectors.azure.specs import SPECS as AZURE
    from collectors.gcp.specs import SPECS as GCP

    return {s.type: s.category for s in (*AWS, *GCP, *AZURE)}


def coverage_totals(coverage: list[dict[str, Any]]) -> dict[str, Any]:
    """Overall managed share (for summaries)."""
    n = sum(c["resources"] for c in coverage)
    m = sum(c["managed"] for c in coverage)
    return {"resources": n, "managed": m, "share": round(m / n, 4) if n else None}
