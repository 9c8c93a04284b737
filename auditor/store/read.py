"""Reading the inventory: snapshots, units, and resources "as of" any snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import orjson
from sqlalchemy import Engine, and_, exists, or_, select

from auditor.model import COMPLETED_STATUSES, SnapshotStatus
from auditor.store.engine import small_sqlite_cache
from auditor.store.schema import collection_units, resource_versions as rv, snapshots

VISIBLE_STATUSES = (SnapshotStatus.COMPLETE.value, SnapshotStatus.PARTIAL.value)


@dataclass(frozen=True, slots=True)
class StoredResource:
    snapshot_id: int
    version_id: int
    resource_key: str
    provider: str
    account: str
    region: str
    location: str | None
    category: str
    type: str
    native_id: str
    name: str | None
    tags: dict[str, Any]
    config: dict[str, Any]
    facets: dict[str, Any]
    content_hash: str
    state: str  # present | unknown

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def latest_snapshot_id(engine: Engine, *, statuses: tuple[str, ...] = VISIBLE_STATUSES) -> int | None:
    with engine.connect() as c:
        return c.execute(select(snapshots.c.id).where(snapshots.c.status.in_(statuses)).order_by(snapshots.c.id.desc()).limit(1)).scalar()


def resolve_snapshot(engine: Engine, snapshot_id: int | None) -> int:
    """The snapshot a command should use: the one asked for (it must exist) or the latest finished."""
    from auditor.errors import UsageError

    if snapshot_id is None:
        sid = latest_snapshot_id(engine)
        if sid is None:
            raise UsageError("no finished snapshot yet: run `auditor collect` or `auditor audit` (or `auditor demo`)")
        return sid
    snap = get_snapshot(engine, snapshot_id)
    if snap is None:
        raise UsageError(f"snapshot {snapshot_id} does not exist")
    if snap["status"] not in VISIBLE_STATUSES:
        # A failed run's writes were undone; a running one is unfinished: neither is a state of the estate.
        why = f" ({str(snap['error']).splitlines()[0][:200]})" if snap.get("error") else ""
        raise UsageError(f"snapshot {snapshot_id} is {snap['status']}{why}: use a complete or partial snapshot "
                         "(`auditor snapshots` lists them)")
    return snapshot_id


def get_snapshot(engine: Engine, snapshot_id: int) -> dict[str, Any] | None:
    with engine.connect() as c:
        row = c.execute(select(snapshots).where(snapshots.c.id == snapshot_id)).mappings().first()
        return dict(row) if row else None


def list_snapshots(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    with engine.connect() as c:
        rows = c.execute(select(snapshots).order_by(snapshots.c.id.desc()).limit(limit)).mappings().all()
    return [dict(r) for r in rows]


def list_units(engine: Engine, snapshot_id: int) -> list[dict[str, Any]]:
    with engine.connect() as c:
        rows = c.execute(
            select(collection_units).where(collection_units.c.snapshot_id == snapshot_id)
            .order_by(collection_units.c.provider, collection_units.c.account, collection_units.c.region,
                      collection_units.c.resource_type)
        ).mappings().all()
    return [dict(r) for r in rows]


def incomplete_units(engine: Engine, snapshot_id: int) -> list[dict[str, Any]]:
    return [u for u in list_units(engine, snapshot_id) if u["status"] not in COMPLETED_STATUSES]


def as_of_query(snapshot_id: int, *, provider: str | None = None, type_: str | None = None,
                account: str | None = None, category: str | None = None):  # type: ignore[no-untyped-def]
    """The SELECT for every resource version in ``snapshot_id`` (with its present/unknown state)."""
    completed_unit = exists().where(
        collection_units.c.snapshot_id == snapshot_id,
        collection_units.c.unit_key == rv.c.unit_key,
        collection_units.c.status.in_(COMPLETED_STATUSES),
    )
    from sqlalchemy import case, literal

    state = case((or_(rv.c.valid_from == snapshot_id, completed_unit), literal("present")), else_=literal("unknown"))
    q = select(rv, state.label("state")).where(
        and_(rv.c.valid_from <= snapshot_id, or_(rv.c.valid_to.is_(None), rv.c.valid_to > snapshot_id))
    )
    if provider:
        q = q.where(rv.c.provider == provider)
    if type_:
        q = q.where(rv.c.type.like(type_.replace("*", "%")) if "*" in type_ else rv.c.type == type_)
    if account:
        q = q.where(rv.c.account == account)
    if category:
        q = q.where(rv.c.category == category)
    return q.order_by(rv.c.resource_key)


def iter_resources(engine: Engine, snapshot_id: int, *, chunk: int = 2000, **filters: Any) -> Iterator[StoredResource]:
    """Stream resources as of a snapshot (server-side cursor; memory stays flat)."""
    loads = orjson.loads
    with engine.connect().execution_options(stream_results=True, yield_per=chunk) as c, small_sqlite_cache(c):
        for row in c.execute(as_of_query(snapshot_id, **filters)):
            m = row._mapping
            yield StoredResource(
                snapshot_id=snapshot_id, version_id=m["id"], resource_key=m["resource_key"],
                provider=m["provider"], account=m["account"], region=m["region"], location=m["location"],
                category=m["category"], type=m["type"], native_id=m["native_id"], name=m["name"],
                tags=loads(m["tags"]), config=loads(m["config"]), facets=loads(m["facets"]),
                content_hash=m["content_hash"], state=m["state"],
            )



def resource_history(engine: Engine, resource_key: str) -> list[dict[str, Any]]:
    with engine.connect() as c:
        rows = c.execute(select(rv).where(rv.c.resource_key == resource_key).order_by(rv.c.valid_from)).mappings().all()
    return [dict(r) for r in rows]
