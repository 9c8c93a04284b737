"""Builders for store tests: envelopes and unit results without any cloud."""

from __future__ import annotations

from datetime import datetime, timezone

from auditor.model import Resource, UnitStatus, make_resource
from collectors.runner import Unit, UnitResult

BUCKETS = Unit("aws", "111122223333", "global", "aws.s3.bucket")
ROLES = Unit("aws", "111122223333", "global", "aws.iam.role")


def bucket(i: int, *, version: int = 0, public: bool = False, tags: dict | None = None) -> Resource:
    return make_resource(
        provider="aws", account="111122223333", region="eu-west-1", category="storage", type="aws.s3.bucket",
        native_id=f"arn:aws:s3:::bucket-{i}", name=f"bucket-{i}",
        config={"Name": f"bucket-{i}", "Versioning": {"Status": "Enabled" if version else "Suspended"}},
        tags=tags or {"team": "ml"}, facets={"public": public, "versioning": bool(version)},
    )


def role(i: int, *, principal: str = "arn:aws:iam::111122223333:root") -> Resource:
    return make_resource(
        provider="aws", account="111122223333", region="global", category="iam", type="aws.iam.role",
        native_id=f"arn:aws:iam::111122223333:role/r{i}", name=f"r{i}",
        config={"RoleName": f"r{i}", "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": [principal]}, "Action": ["sts:AssumeRole"]}]}},
    )


def result(unit: Unit, status: UnitStatus = UnitStatus.OK, count: int = 0, error: str | None = None) -> UnitResult:
    return UnitResult(unit, status, error, count, 1, datetime.now(timezone.utc), 0.01)


def set_unit_status(conn, snapshot_id: int, resource_type: str, status: str, error: str | None = None) -> int:  # type: ignore[no-untyped-def]
    """Make the units of ``resource_type`` read ``status`` in ``snapshot_id`` only (unit history is
    intervals: the covering row is split around that snapshot). Returns the units changed."""
    from sqlalchemy import or_, select

    from auditor.store.schema import unit_versions as uv

    sid = int(snapshot_id)
    rows = conn.execute(select(uv).where(
        uv.c.resource_type == resource_type, uv.c.valid_from <= sid,
        or_(uv.c.valid_to.is_(None), uv.c.valid_to > sid))).mappings().all()
    for r in rows:
        keep = {k: r[k] for k in ("unit_key", "provider", "account", "region", "resource_type", "status", "error",
                                  "resource_count")}
        conn.execute(uv.delete().where(uv.c.id == r["id"]))
        pieces = []
        if r["valid_from"] < sid:
            pieces.append({**keep, "valid_from": r["valid_from"], "valid_to": sid})
        after = {**keep, "valid_from": sid + 1, "valid_to": r["valid_to"]}
        pieces.append({**keep, "status": status, "error": error, "valid_from": sid,
                       "valid_to": sid + 1 if r["valid_to"] is None or r["valid_to"] > sid + 1 else r["valid_to"]})
        if r["valid_to"] is None or r["valid_to"] > sid + 1:
            pieces.append(after)
        conn.execute(uv.insert(), pieces)
    return len(rows)
