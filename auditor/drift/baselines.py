"""Named, immutable, versioned baselines (DESIGN.md decision 4).

A baseline version is never edited: ``approve`` and ``accept`` add a version whose entries
are only its delta from the parent (content_hash NULL = removed from the baseline), and
``revoke`` marks versions revoked (the active version of a name is its newest non-revoked
one). Every act is written to the hash-chained audit log in the same transaction, together
with a digest of the delta so later tampering with the entries is detectable.

``entry_count`` on a version is the number of resources in the resolved baseline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

from sqlalchemy import Connection, Engine, func, select, update

from auditor.drift import auditlog, scope as scope_mod, sqlsets
from auditor.errors import UsageError
from auditor.model import COMPLETED_STATUSES, SnapshotStatus
from auditor.store.schema import (
    baseline_entries, baselines, collection_units, resource_versions as rv, snapshots, terraform_declarations,
)

ACTIVE, REVOKED = "active", "revoked"
_BASE = "baseline_parent"  # temp table names used while approving
_SCOPE = "baseline_scope"
_DONE = "baseline_done_units"
_FAILED_UNIT_STATUSES = ("denied", "error", "throttled")


@dataclass(frozen=True, slots=True)
class BaselineRef:
    id: int
    name: str
    version: int
    parent_id: int | None
    snapshot_id: int | None
    scope: list[str] | None
    status: str
    created_at: datetime
    created_by: str
    reason: str
    entry_count: int | None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def as_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in self.__slots__}
        d["baseline"] = self.label
        return d


def _ref(row: Any) -> BaselineRef:
    return BaselineRef(
        id=row.id, name=row.name, version=row.version, parent_id=row.parent_id, snapshot_id=row.snapshot_id,
        scope=scope_mod.loads(row.scope), status=row.status, created_at=row.created_at,
        created_by=row.created_by, reason=row.reason, entry_count=row.entry_count,
    )


def parse_ref(text: str) -> tuple[str, int | None]:
    """``NAME`` or ``NAME@VERSION``."""
    name, sep, ver = text.rpartition("@")
    if not sep:
        return text, None
    if not ver.isdigit():
        raise UsageError(f"{text!r}: the version after '@' must be a number")
    return name, int(ver)


def _check_name(name: str) -> None:
    if not name or "@" in name or name != name.strip():
        raise UsageError(f"invalid baseline name {name!r}: non-empty, no '@', no surrounding spaces")


def _check_text(what: str, value: str) -> None:
    if not value or not value.strip():
        raise UsageError(f"{what} must not be empty: the audit log records why and by whom")


# ---- reading -------------------------------------------------------------------------------

def list_baselines(engine: Engine) -> list[BaselineRef]:
    """Every version of every baseline, by name then version."""
    with engine.connect() as c:
        rows = c.execute(select(baselines).order_by(baselines.c.name, baselines.c.version)).all()
    return [_ref(r) for r in rows]


def _active(conn: Connection, name: str) -> BaselineRef | None:
    row = conn.execute(
        select(baselines).where(baselines.c.name == name, baselines.c.status == ACTIVE)
        .order_by(baselines.c.version.desc()).limit(1)
    ).first()
    return _ref(row) if row else None


def active_baseline(engine: Engine, name: str) -> BaselineRef | None:
    """The newest non-revoked version of ``name`` (None when there is none)."""
    with engine.connect() as c:
        return _active(c, name)


def get_baseline(engine: Engine, name: str, version: int | None = None) -> BaselineRef:
    """A specific version, or (without one) the active version. UsageError when absent."""
    with engine.connect() as c:
        if version is None:
            ref = _active(c, name)
            if ref is None:
                exists = c.execute(select(func.count()).where(baselines.c.name == name)).scalar_one()
                raise UsageError(f"baseline {name!r} " + ("has no active version (all revoked)" if exists else "does not exist"))
            return ref
        row = c.execute(select(baselines).where(baselines.c.name == name, baselines.c.version == version)).first()
    if row is None:
        raise UsageError(f"baseline {name}@{version} does not exist")
    return _ref(row)


def chain(conn: Connection, baseline_id: int) -> list[int]:
    """Version ids from the root to ``baseline_id`` (the order deltas apply in)."""
    ids: list[int] = []
    cur: int | None = baseline_id
    while cur is not None:
        ids.append(cur)
        cur = conn.execute(select(baselines.c.parent_id).where(baselines.c.id == cur)).scalar()
        if cur in ids:
            raise UsageError(f"baseline chain of id {baseline_id} has a cycle")
    return ids[::-1]


def is_terraform(conn: Connection, baseline_id: int) -> bool:
    """True for a version imported from Terraform state (its entries are declarations, not versions)."""
    return conn.execute(select(terraform_declarations.c.baseline_id)
                        .where(terraform_declarations.c.baseline_id == baseline_id).limit(1)).first() is not None


def _refuse_terraform(conn: Connection, ref: BaselineRef | None, verb: str) -> None:
    if ref is not None and is_terraform(conn, ref.id):
        raise UsageError(f"{ref.label} is imported from Terraform state: cannot {verb} it; change the code and "
                         "run `auditor baseline import terraform` again")


def resolve_into(conn: Connection, ref: BaselineRef, table: str) -> int:
    """Materialise the resolved resources of ``ref`` as temp table ``table`` (see sqlsets)."""
    return sqlsets.resolve_baseline(conn, table, chain(conn, ref.id))


def entries(engine: Engine, ref: BaselineRef, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The resolved resources of a version, by key (for ``baseline show``)."""
    with engine.connect() as c:
        if is_terraform(c, ref.id):
            q = select(terraform_declarations.c.resource_key, baseline_entries.c.content_hash,
                       terraform_declarations.c.type, terraform_declarations.c.provider,
                       terraform_declarations.c.account, terraform_declarations.c.region).join(
                baseline_entries, (baseline_entries.c.baseline_id == terraform_declarations.c.baseline_id)
                & (baseline_entries.c.resource_key == terraform_declarations.c.resource_key)).where(
                terraform_declarations.c.baseline_id == ref.id).order_by(terraform_declarations.c.resource_key)
            return [dict(r._mapping) for r in c.execute(q.limit(limit) if limit is not None else q)]
        resolve_into(c, ref, "baseline_show")
        q = ("SELECT r.resource_key, r.content_hash, b.version_id, r.type, r.provider, r.account, r.region "
             "FROM baseline_show b JOIN resource_versions r ON r.id = b.version_id ORDER BY r.resource_key")
        if limit is not None:
            q += f" LIMIT {int(limit)}"
        out = [dict(r._mapping) for r in c.exec_driver_sql(q)]
        sqlsets.drop_temp(c, "baseline_show")
        c.commit()
    return out


# ---- writing -------------------------------------------------------------------------------

def _latest_complete_snapshot(conn: Connection, allow_partial: bool = False) -> int:
    ok = [SnapshotStatus.COMPLETE.value] + ([SnapshotStatus.PARTIAL.value] if allow_partial else [])
    sid = conn.execute(
        select(snapshots.c.id).where(snapshots.c.status.in_(ok)).order_by(snapshots.c.id.desc()).limit(1)
    ).scalar()
    if sid is None:
        if allow_partial:
            raise UsageError("no complete or partial snapshot to approve: run `auditor collect` first")
        raise UsageError("no complete snapshot to approve: pass --allow-partial to approve the units that completed "
                         "in the latest partial snapshot (the rest stay unknown), or --scope to choose units")
    return int(sid)


def _check_snapshot(conn: Connection, sid: int, scope: list[str] | None, allow_partial: bool = False) -> list[str]:
    """Refuse what cannot be approved honestly: unfinished or failed runs, and partial
    snapshots unless the scope leaves out every unit that did not complete or the approver
    says ``allow_partial``. Returns the in-scope units that did not complete (left out)."""
    status = conn.execute(select(snapshots.c.status).where(snapshots.c.id == sid)).scalar()
    if status is None:
        raise UsageError(f"snapshot {sid} does not exist")
    if status in (SnapshotStatus.RUNNING.value, SnapshotStatus.FAILED.value):
        raise UsageError(f"snapshot {sid} is {status}: only complete (or, with --scope, partial) snapshots can be approved")
    units = conn.execute(
        select(collection_units.c.unit_key, collection_units.c.status).where(collection_units.c.snapshot_id == sid)
    ).all()
    in_scope = [(k, s) for k, s in units if scope_mod.unit_in_scope(k, scope)]
    if scope is not None and not in_scope:
        raise UsageError(f"--scope matches no collection unit of snapshot {sid}")
    bad = sorted(k for k, s in in_scope if s in _FAILED_UNIT_STATUSES)
    if allow_partial:
        return bad
    if status == SnapshotStatus.PARTIAL.value and scope is None:
        raise UsageError(
            f"snapshot {sid} is partial ({len(bad)} unit(s) did not complete, e.g. {bad[0] if bad else '?'}): "
            "pass --allow-partial to approve only the units that completed (the others are listed in the "
            "approval and stay unknown in drift), or --scope to choose units"
        )
    if bad:
        raise UsageError(
            f"--scope includes {len(bad)} unit(s) that did not complete in snapshot {sid}, e.g. {bad[0]}: "
            "narrow --scope or pass --allow-partial"
        )
    return bad


def _next_version(conn: Connection, name: str) -> int:
    cur = conn.execute(select(func.max(baselines.c.version)).where(baselines.c.name == name)).scalar()
    return int(cur or 0) + 1


def _insert_version(conn: Connection, *, name: str, parent: BaselineRef | None, sid: int | None,
                    scope: list[str] | None, by: str, reason: str, now: datetime) -> tuple[int, int]:
    version = _next_version(conn, name)
    bid = conn.execute(baselines.insert().values(
        name=name, version=version, parent_id=parent.id if parent else None, snapshot_id=sid,
        scope=scope_mod.dumps(scope), status=ACTIVE, created_at=now, created_by=by, reason=reason,
    ).returning(baselines.c.id)).scalar_one()
    return int(bid), version


def _finish_version(conn: Connection, *, bid: int, name: str, version: int, action: str, by: str, now: datetime,
                    parent: BaselineRef | None, sid: int | None, scope: list[str] | None, reason: str,
                    entry_count: int, extra: dict[str, Any]) -> BaselineRef:
    conn.execute(update(baselines).where(baselines.c.id == bid).values(entry_count=entry_count))
    digest, rows = auditlog.delta_digest(conn, bid)
    auditlog.append(conn, actor=by, action=action, subject=f"{name}@{version}", at=now, details={
        "baseline_id": bid, "parent": parent.label if parent else None, "snapshot_id": sid, "scope": scope,
        "reason": reason, "entry_count": entry_count, "delta_rows": rows, "delta_digest": digest, **extra,
    })
    row = conn.execute(select(baselines).where(baselines.c.id == bid)).one()
    return _ref(row)


def approve(engine: Engine, *, name: str, reason: str, by: str, snapshot_id: int | None = None,
            scope: Sequence[str] | None = None, allow_partial: bool = False) -> BaselineRef:
    """Approve the in-scope, observed resources of a snapshot as a new version of ``name``.

    The first version stores every resource; later versions store the delta from the
    current active version. Resources whose unit did not complete (state ``unknown``) are
    never approved. Everything happens in SQL, so approving a million resources is cheap.

    ``allow_partial``: a partial snapshot may be approved; only resources of units that
    completed enter the version, resources the parent approved in the other units are kept
    as they were (never "removed" for want of an answer), and the left-out units are listed
    in the approval record (audit log ``incomplete_units``).
    """
    _check_name(name)
    _check_text("--reason", reason)
    _check_text("--by", by)
    norm_scope = scope_mod.normalise(list(scope) if scope else None)
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        parent = _active(c, name)
        _refuse_terraform(c, parent, "approve a snapshot into")
        sid = int(snapshot_id) if snapshot_id is not None else _latest_complete_snapshot(c, allow_partial)
        left_out = _check_snapshot(c, sid, norm_scope, allow_partial)
        bid, version = _insert_version(c, name=name, parent=parent, sid=sid, scope=norm_scope, by=by,
                                       reason=reason, now=now)
        sqlsets.completed_units(c, _DONE, sid)
        present = f"{sqlsets.valid_at('r', sid)} AND (r.valid_from = {sid} OR r.unit_key IN (SELECT unit_key FROM {_DONE}))"
        if allow_partial:  # a unit that did not complete contributes nothing, not even what it yielded
            present += f" AND r.unit_key IN (SELECT unit_key FROM {_DONE})"
        if norm_scope is not None:
            sqlsets.scope_units(c, _SCOPE, norm_scope, [sid])
            present += f" AND r.unit_key IN (SELECT unit_key FROM {_SCOPE})"
        unknown = c.exec_driver_sql(
            f"SELECT count(*) FROM resource_versions r WHERE {sqlsets.valid_at('r', sid)} AND r.valid_from <> {sid} "
            f"AND r.unit_key NOT IN (SELECT unit_key FROM {_DONE})"
            + (f" AND r.unit_key IN (SELECT unit_key FROM {_SCOPE})" if norm_scope is not None else "")
        ).scalar_one()
        if parent is None:
            c.exec_driver_sql(
                "INSERT INTO baseline_entries (baseline_id, resource_key, content_hash, version_id) "
                f"SELECT {bid}, r.resource_key, r.content_hash, r.id FROM resource_versions r WHERE {present} "
                # Key order: the (baseline_id, resource_key) index then grows by appends, and the
                # rows land in the order the audit digest reads them.
                "ORDER BY r.resource_key"
            )
        else:
            resolve_into(c, parent, _BASE)
            # New or changed: observed versions the parent did not approve.
            c.exec_driver_sql(
                "INSERT INTO baseline_entries (baseline_id, resource_key, content_hash, version_id) "
                f"SELECT {bid}, r.resource_key, r.content_hash, r.id FROM resource_versions r WHERE {present} "
                f"AND NOT EXISTS (SELECT 1 FROM {_BASE} p WHERE p.version_id = r.id)"
            )
            # Gone: parent resources whose approved version is not among the observed ones
            # and whose key got no new entry above.
            c.exec_driver_sql(
                "INSERT INTO baseline_entries (baseline_id, resource_key, content_hash, version_id) "
                f"SELECT {bid}, pv.resource_key, NULL, NULL FROM {_BASE} p "
                f"JOIN resource_versions pv ON pv.id = p.version_id "
                f"LEFT JOIN resource_versions r ON r.id = p.version_id AND {present} "
                f"WHERE r.id IS NULL AND NOT EXISTS (SELECT 1 FROM baseline_entries e "
                f"WHERE e.baseline_id = {bid} AND e.resource_key = pv.resource_key)"
                # unanswered units prove no absence: their approved resources stay approved
                + (f" AND pv.unit_key IN (SELECT unit_key FROM {_DONE})" if allow_partial else "")
            )
        count = c.exec_driver_sql(
            f"SELECT count(*) FROM resource_versions r WHERE {present}"
        ).scalar_one()
        sqlsets.drop_temp(c, _BASE, _SCOPE, _DONE)
        return _finish_version(c, bid=bid, name=name, version=version, action="baseline.approve", by=by, now=now,
                               parent=parent, sid=sid, scope=norm_scope, reason=reason, entry_count=int(count),
                               extra={"excluded_unknown": int(unknown),
                                      **({"allow_partial": True, "incomplete_units": left_out}
                                         if allow_partial else {})})


def _approved_entry(conn: Connection, chain_ids: list[int], key: str) -> tuple[str | None, int | None] | None:
    """(content_hash, version_id) of ``key`` in a resolved chain; None when never mentioned."""
    row = conn.execute(
        select(baseline_entries.c.content_hash, baseline_entries.c.version_id)
        .where(baseline_entries.c.resource_key == key, baseline_entries.c.baseline_id.in_(chain_ids))
        .order_by(baseline_entries.c.baseline_id.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def accept(engine: Engine, *, name: str, resource_keys: Sequence[str], reason: str, by: str,
           snapshot_id: int | None = None) -> BaselineRef:
    """Accept the current state of ``resource_keys`` (as of a snapshot) as a new version.

    A present resource is approved with its observed version; a resource the snapshot
    proves gone is removed from the baseline; a resource whose unit did not complete is
    refused (its state was not observed).
    """
    _check_text("--reason", reason)
    _check_text("--by", by)
    keys = sorted(set(resource_keys))
    if not keys:
        raise UsageError("name at least one resource key to accept")
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        parent = _active(c, name)
        if parent is None:
            raise UsageError(f"baseline {name!r} has no active version to accept changes into: approve one first")
        _refuse_terraform(c, parent, "accept changes into")
        if snapshot_id is None:
            snapshot_id = c.execute(
                select(snapshots.c.id).where(snapshots.c.status.in_((SnapshotStatus.COMPLETE.value, SnapshotStatus.PARTIAL.value)))
                .order_by(snapshots.c.id.desc()).limit(1)
            ).scalar()
            if snapshot_id is None:
                raise UsageError("no finished snapshot to accept from")
        sid = int(snapshot_id)
        status = c.execute(select(snapshots.c.status).where(snapshots.c.id == sid)).scalar()
        if status not in (SnapshotStatus.COMPLETE.value, SnapshotStatus.PARTIAL.value):
            raise UsageError(f"snapshot {sid} is {status or 'missing'}: accept needs a complete or partial snapshot")
        done = {r[0] for r in c.execute(select(collection_units.c.unit_key).where(
            collection_units.c.snapshot_id == sid, collection_units.c.status.in_(COMPLETED_STATUSES)))}
        chain_ids = chain(c, parent.id)
        delta: list[dict[str, Any]] = []
        count = int(parent.entry_count or 0)
        for key in keys:
            approved = _approved_entry(c, chain_ids, key)
            in_base = approved is not None and approved[0] is not None
            cur = c.execute(select(rv.c.id, rv.c.content_hash, rv.c.unit_key, rv.c.valid_from).where(
                rv.c.resource_key == key, rv.c.valid_from <= sid, (rv.c.valid_to.is_(None)) | (rv.c.valid_to > sid)
            )).first()
            if cur is not None:
                if cur.valid_from != sid and cur.unit_key not in done:
                    raise UsageError(f"{key}: its unit {cur.unit_key} did not complete in snapshot {sid}; state unknown")
                if not scope_mod.unit_in_scope(cur.unit_key, parent.scope):
                    raise UsageError(f"{key}: unit {cur.unit_key} is outside the scope of {parent.label}")
                if in_base and approved is not None and approved[1] == cur.id:
                    continue  # already approved exactly as it is
                delta.append({"k": key, "h": cur.content_hash, "v": cur.id})
                count += 0 if in_base else 1
                continue
            if not in_base:
                raise UsageError(f"{key}: not in {parent.label} and not present in snapshot {sid}")
            last = c.execute(select(rv.c.unit_key).where(rv.c.id == approved[1])).scalar() if approved else None
            if last is None or last not in done:
                raise UsageError(f"{key}: absent from snapshot {sid} but its unit did not complete; cannot accept removal")
            delta.append({"k": key, "h": None, "v": None})
            count -= 1
        if not delta:
            raise UsageError(f"nothing to accept: every named resource is already approved as it is in {parent.label}")
        bid, version = _insert_version(c, name=name, parent=parent, sid=sid, scope=parent.scope, by=by,
                                       reason=reason, now=now)
        c.execute(baseline_entries.insert(), [
            {"baseline_id": bid, "resource_key": d["k"], "content_hash": d["h"], "version_id": d["v"]} for d in delta
        ])
        return _finish_version(c, bid=bid, name=name, version=version, action="baseline.accept", by=by, now=now,
                               parent=parent, sid=sid, scope=parent.scope, reason=reason, entry_count=count,
                               extra={"resource_keys": [d["k"] for d in delta]})


def revoke(engine: Engine, *, name: str, reason: str, by: str, version: int | None = None) -> list[BaselineRef]:
    """Revoke one version, or (without ``version``) every active version of ``name``.

    Nothing is deleted: the versions stay readable and the act is audit-logged.
    """
    _check_text("--reason", reason)
    _check_text("--by", by)
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        q = select(baselines).where(baselines.c.name == name, baselines.c.status == ACTIVE)
        if version is not None:
            q = q.where(baselines.c.version == version)
        rows = c.execute(q.order_by(baselines.c.version)).all()
        if not rows:
            what = f"{name}@{version}" if version is not None else name
            raise UsageError(f"baseline {what} has no active version to revoke")
        out = []
        for r in rows:
            c.execute(update(baselines).where(baselines.c.id == r.id).values(status=REVOKED))
            auditlog.append(c, actor=by, action="baseline.revoke", subject=f"{r.name}@{r.version}", at=now,
                            details={"baseline_id": r.id, "reason": reason})
            out.append(_ref(c.execute(select(baselines).where(baselines.c.id == r.id)).one()))
    return out
