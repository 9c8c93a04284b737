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
