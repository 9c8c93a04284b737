"""The drift engine: a key/hash set join in SQL, attribute diffs only for changed rows.

How a comparison runs (one connection, temporary tables, nothing estate-sized in Python):

1. The base side becomes a set keyed by ``resource_versions.id``: a baseline is resolved
   along its version chain into ``drift_base`` (see ``sqlsets.resolve_baseline``); for
   ``--from A --to B`` the base is simply "versions valid at A".
2. One scan of the versions valid at the compared snapshot S keeps only rows whose id is not
   in the base (new or changed content) plus base rows whose unit did not complete in S
   (``drift_s``). Unchanged resources share their version id with the base, so they cost a
   primary-key probe and are never read back.
3. Base rows whose version is no longer valid at S are ``drift_b`` (changed or gone).
4. ``drift_s`` and ``drift_b`` (both small) are joined on the resource key and classified:
   added, removed, modified, unknown. A resource is ``removed`` only when its unit completed
   in S; otherwise (failed, denied, throttled, skipped or not attempted) it is ``unknown``.
5. Only the rows classified as changed have their documents fetched and diffed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Iterator, Sequence

import orjson
from sqlalchemy import Connection, Engine, select

from auditor.drift import baselines as bl, ignore as ignore_mod, scope as scope_mod, severity, sqlsets
from auditor.drift.diff import diff_documents, element_changes
from auditor.drift.model import DriftItem, DriftReport
from auditor.rules.verdict import severity_rank
from auditor.errors import UsageError
from auditor.model import COMPLETED_STATUSES, SnapshotStatus
from auditor.store.schema import collection_units, snapshots

_T_BASE, _T_DONE, _T_SCOPE, _T_S, _T_B = "drift_base", "drift_done", "drift_scope", "drift_s", "drift_b"
_VISIBLE = (SnapshotStatus.COMPLETE.value, SnapshotStatus.PARTIAL.value)
_FETCH_CHUNK = 500
_DOC_FIELDS = ("name", "region", "location", "tags", "config", "facets")


def _snapshot(conn: Connection, sid: int | None, what: str) -> int:
    if sid is None:
        latest = conn.execute(select(snapshots.c.id).where(snapshots.c.status.in_(_VISIBLE))
                              .order_by(snapshots.c.id.desc()).limit(1)).scalar()
        if latest is None:
            raise UsageError("no finished snapshot yet: run `auditor collect` first")
        return int(latest)
    status = conn.execute(select(snapshots.c.status).where(snapshots.c.id == sid)).scalar()
    if status is None:
        raise UsageError(f"{what} {sid} does not exist")
    if status not in _VISIBLE:
        raise UsageError(f"{what} {sid} is {status}: only complete or partial snapshots can be compared")
    return int(sid)


def default_baseline_name(engine: Engine, configured: str | None = None) -> str:
    """The configured baseline, else the only name with an active version, else a usage error."""
    if configured:
        return configured
    names = sorted({b.name for b in bl.list_baselines(engine) if b.status == bl.ACTIVE})
    if len(names) == 1:
        return names[0]
    if not names:
        raise UsageError("no active baseline: approve one with `auditor baseline approve --name NAME --reason ...`")
    raise UsageError(f"several active baselines ({', '.join(names)}): choose one with --baseline or audit.baseline")


def _build_sets_baseline(conn: Connection, ref: bl.BaselineRef, sid: int) -> int:
    count = bl.resolve_into(conn, ref, _T_BASE)
    scope_filter = ""
    if ref.scope is not None:
        sqlsets.scope_units(conn, _T_SCOPE, ref.scope, [sid])
        scope_filter = f" AND r.unit_key IN (SELECT unit_key FROM {_T_SCOPE})"
    unknown = f"(r.valid_from <> {sid} AND r.unit_key NOT IN (SELECT unit_key FROM {_T_DONE}))"
    conn.exec_driver_sql(
        f"INSERT INTO {_T_S} (resource_key, version_id, content_hash, unit_key, unknown, in_base) "
        f"SELECT r.resource_key, r.id, r.content_hash, r.unit_key, CASE WHEN {unknown} THEN 1 ELSE 0 END, "
        f"CASE WHEN b.version_id IS NULL THEN 0 ELSE 1 END "
        f"FROM resource_versions r LEFT JOIN {_T_BASE} b ON b.version_id = r.id "
        f"WHERE {sqlsets.valid_at('r', sid)} AND ((b.version_id IS NULL{scope_filter}) "
        f"OR (b.version_id IS NOT NULL AND {unknown}))"
    )
    conn.exec_driver_sql(
        f"INSERT INTO {_T_B} (resource_key, version_id, content_hash, unit_key) "
        f"SELECT r.resource_key, b.version_id, r.content_hash, r.unit_key FROM {_T_BASE} b "
        f"LEFT JOIN resource_versions r ON r.id = b.version_id "
        # r.id IS NULL (an approved version vanished) would insert a NULL key and fail loudly.
        f"WHERE r.id IS NULL OR NOT {sqlsets.valid_at('r', sid)}"
    )
    return count


def _build_sets_snapshots(conn: Connection, a: int, sid: int) -> int:
    unknown = f"(r.valid_from <> {sid} AND r.unit_key NOT IN (SELECT unit_key FROM {_T_DONE}))"
    at_a = sqlsets.valid_at("r", a)
    conn.exec_driver_sql(
        f"INSERT INTO {_T_S} (resource_key, version_id, content_hash, unit_key, unknown, in_base) "
        f"SELECT r.resource_key, r.id, r.content_hash, r.unit_key, CASE WHEN {unknown} THEN 1 ELSE 0 END, "
        f"CASE WHEN {at_a} THEN 1 ELSE 0 END FROM resource_versions r "
        f"WHERE {sqlsets.valid_at('r', sid)} AND (NOT {at_a} OR {unknown})"
    )
    conn.exec_driver_sql(
        f"INSERT INTO {_T_B} (resource_key, version_id, content_hash, unit_key) "
        f"SELECT r.resource_key, r.id, r.content_hash, r.unit_key FROM resource_versions r "
        f"WHERE {at_a} AND NOT {sqlsets.valid_at('r', sid)}"
    )
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM resource_versions r WHERE {at_a}").scalar_one())


def _joined(conn: Connection) -> Iterator[tuple[Any, ...]]:
    """(key, s_vid, s_hash, s_unit, s_unknown, s_in_base, b_vid, b_hash, b_unit) per candidate."""
    yield from conn.exec_driver_sql(
        f"SELECT s.resource_key, s.version_id, s.content_hash, s.unit_key, s.unknown, s.in_base, "
        f"b.version_id, b.content_hash, b.unit_key FROM {_T_S} s "
        f"LEFT JOIN {_T_B} b ON b.resource_key = s.resource_key "
        f"UNION ALL SELECT b.resource_key, NULL, NULL, NULL, NULL, NULL, b.version_id, b.content_hash, b.unit_key "
        f"FROM {_T_B} b WHERE NOT EXISTS (SELECT 1 FROM {_T_S} s WHERE s.resource_key = b.resource_key)"
    )


Classified = tuple[str, int | None, int | None, str | None, str]


def _classify(row: tuple[Any, ...], done: set[str]) -> Classified | None:
    """(change, base version id, snapshot version id, unit key, resource key); None = no drift."""
    key, s_vid, s_hash, s_unit, s_unknown, s_in_base, b_vid, b_hash, b_unit = row
    if s_vid is None:  # only on the base side: gone, or not observed
        if b_unit is not None and b_unit in done:
            return "removed", b_vid, None, b_unit, key
        return "unknown", b_vid, None, b_unit, key
    if s_unknown:
        return "unknown", b_vid, s_vid, s_unit, key
    if b_vid is not None:
        return (None if b_hash == s_hash else ("modified", b_vid, s_vid, s_unit, key))
    if s_in_base:
        return None
    return "added", None, s_vid, s_unit, key


def _fetch(conn: Connection, ids: Iterable[int], *, docs: bool) -> dict[int, dict[str, Any]]:
    cols = "id, resource_key, native_id, provider, account, region, type, category, unit_key"
    if docs:
        cols += ", name, location, tags, config, facets"
    wanted = sorted({int(i) for i in ids if i is not None})
    out: dict[int, dict[str, Any]] = {}
    for i in range(0, len(wanted), _FETCH_CHUNK):
        chunk = ", ".join(str(v) for v in wanted[i : i + _FETCH_CHUNK])
        for r in conn.exec_driver_sql(f"SELECT {cols} FROM resource_versions WHERE id IN ({chunk})"):
            out[r[0]] = dict(r._mapping)
    return out


def _document(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None or "config" not in row:
        return None
    loads = orjson.loads
    return {"name": row["name"], "region": row["region"], "location": row["location"],
            "tags": loads(row["tags"]), "config": loads(row["config"]), "facets": loads(row["facets"])}


def _incomplete_units(conn: Connection, sid: int, unknown_units: set[str], scope: list[str] | None) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(collection_units.c.unit_key, collection_units.c.provider, collection_units.c.account,
               collection_units.c.region, collection_units.c.resource_type, collection_units.c.status,
               collection_units.c.error)
        .where(collection_units.c.snapshot_id == sid, collection_units.c.status.notin_(COMPLETED_STATUSES))
        .order_by(collection_units.c.unit_key)
    ).all()
    out = [dict(r._mapping) for r in rows if scope_mod.unit_in_scope(r.unit_key, scope)]
    attempted = {r[0] for r in conn.execute(
        select(collection_units.c.unit_key).where(collection_units.c.snapshot_id == sid))}
    for uk in sorted(unknown_units - attempted):
        parts = (uk.split("|", 3) + ["", "", "", ""])[:4]
        out.append({"unit_key": uk, "provider": parts[0], "account": parts[1], "region": parts[2],
                    "resource_type": parts[3], "status": "not_attempted", "error": None})
    return out


def compute_drift(engine: Engine, *, baseline: str | None = None, snapshot_id: int | None = None,
                  from_snapshot: int | None = None, to_snapshot: int | None = None, ignore_rules: Sequence[Any] = (),
                  now: datetime | date | None = None, show_ignored: bool = False,
                  admin_ports: Sequence[int] | None = None, config: Any = None) -> DriftReport:
    """Drift of a snapshot against a baseline (default) or between two snapshots.

    ``config`` (the loaded config) gives the rules drift severity evaluates the same inputs
    ``auditor check`` uses (admin ports, residency policy, key ages); defaults otherwise.

    ``baseline`` is ``NAME`` (its active version) or ``NAME@VERSION``; without it the only
    active baseline is used. ``snapshot_id`` defaults to the latest finished snapshot.
    With ``from_snapshot``/``to_snapshot`` the base is a snapshot instead of a baseline.
    ``ignore_rules`` are config IgnoreRule objects (or dicts); ``now`` decides expiry.
    Fully ignored items are dropped unless ``show_ignored``.
    """
    between = from_snapshot is not None or to_snapshot is not None
    if between and baseline is not None:
        raise UsageError("--baseline cannot be combined with --from/--to")
    if between and snapshot_id is not None and to_snapshot is not None and snapshot_id != to_snapshot:
        raise UsageError("--snapshot and --to name different snapshots")
    if between and from_snapshot is None:
        raise UsageError("--to needs --from")
    active_rules, expired = ignore_mod.split_rules(ignore_rules, now)
    params: dict[str, Any] = {"admin_ports": tuple(admin_ports) if admin_ports else None, "config": config}
    with engine.connect() as conn:
        ref: bl.BaselineRef | None = None
        if between:
            a = _snapshot(conn, from_snapshot, "snapshot")
            sid = _snapshot(conn, to_snapshot if to_snapshot is not None else snapshot_id, "snapshot")
        else:
            name, version = bl.parse_ref(default_baseline_name(engine, baseline))
            ref = bl.get_baseline(engine, name, version)
            sid = _snapshot(conn, snapshot_id, "snapshot")
            if bl.is_terraform(conn, ref.id):  # a baseline declared by Terraform state
                from auditor.terraform import drift as tf_drift

                return tf_drift.compute(conn, ref, sid, rules=active_rules, params=params,
                                        show_ignored=show_ignored, expired=expired)
        try:
            sqlsets.completed_units(conn, _T_DONE, sid)
            sqlsets.create_temp(conn, _T_S, "resource_key TEXT PRIMARY KEY, version_id BIGINT, content_hash TEXT, "
                                "unit_key TEXT, unknown INTEGER, in_base INTEGER", text_pk=True)
            sqlsets.create_temp(conn, _T_B, "resource_key TEXT PRIMARY KEY, version_id BIGINT, content_hash TEXT, "
                                "unit_key TEXT", text_pk=True)
            compared = _build_sets_baseline(conn, ref, sid) if ref is not None else _build_sets_snapshots(conn, a, sid)
            sqlsets.analyze(conn, _T_S)
            sqlsets.analyze(conn, _T_B)
            done = {r[0] for r in conn.exec_driver_sql(f"SELECT unit_key FROM {_T_DONE}")}
            classified = [c for c in (_classify(tuple(r), done) for r in _joined(conn)) if c is not None]
            changed_ids = [v for ch, b, s, _u, _k in classified if ch != "unknown" for v in (b, s)]
            meta_ids = [s if s is not None else b for ch, b, s, _u, _k in classified if ch == "unknown"]
            from auditor.rules.engine import snapshot_time

            params["as_of"] = snapshot_time(engine, sid)
            rows = _fetch(conn, changed_ids, docs=True)
            rows.update({k: v for k, v in _fetch(conn, meta_ids, docs=False).items() if k not in rows})
            items = _items(classified, rows, active_rules, params, show_ignored)
            unknown_units = {u for ch, _b, _s, u, _k in classified if ch == "unknown" and u}
            incomplete = _incomplete_units(conn, sid, unknown_units, ref.scope if ref else None)
        except BaseException:
            conn.rollback()  # also discards the temp tables; a failed PG transaction takes no more SQL
            raise
        sqlsets.drop_temp(conn, _T_S, _T_B, _T_BASE, _T_DONE, _T_SCOPE)
        conn.commit()
    ignored_count = sum(1 for i in items if i.ignored)
    if not show_ignored:
        items = [i for i in items if not i.ignored]
    items.sort(key=lambda i: (-severity_rank(i.severity), i.resource_key))
    return DriftReport(items=items, incomplete_units=incomplete, expired_rules=expired,
                       baseline=ref.label if ref else None, snapshot_id=sid,
                       from_snapshot=a if between else None, compared=compared, ignored_count=ignored_count)


def _items(classified: list[Classified], rows: dict[int, dict[str, Any]],
           rules: Sequence[ignore_mod.ActiveRule], params: dict[str, Any], show_ignored: bool) -> list[DriftItem]:
    out = []
    ctx = severity.default_context(params)  # one rule context per drift run
    for change, b_vid, s_vid, unit, key in classified:
        before = rows.get(b_vid) if b_vid is not None else None
        after = rows.get(s_vid) if s_vid is not None else None
        meta = after or before or {}
        item = DriftItem(
            resource_key=key, native_id=meta.get("native_id"), provider=meta.get("provider"),
            account=meta.get("account"), region=meta.get("region"), type=meta.get("type"), change=change,
            unit_key=unit, show_ignored=show_ignored,
        )
        bdoc, adoc = _document(before), _document(after)
        if change == "modified" and bdoc is not None and adoc is not None:
            item.changes = diff_documents(bdoc, adoc)
        ignore_mod.apply(item, rules)
        if item.changes:
            item.elements = element_changes(bdoc, adoc, item.changes)
        category = meta.get("category")
        if change == "unknown":
            item.severity = severity.assess(change, category, None, None, (), params, ctx=ctx).severity
        else:
            item.severity = severity.assess(change, category, bdoc if change != "added" else None,
                                            adoc if change != "removed" else None, item.changes, params,
                                            meta={**meta, "resource_key": key}, ctx=ctx).severity
        out.append(item)
    return out
