"""Import and drift on SQLite and PostgreSQL (seeded through the real SnapshotWriter)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from auditor.drift.engine import compute_drift
from auditor.model import UnitStatus, make_resource
from auditor.store.ingest import SnapshotWriter
from auditor.terraform.baseline import import_states
from collectors.runner import Unit, UnitResult

ACCT = "111111111111"
U_S3 = Unit("aws", ACCT, "global", "aws.s3.bucket")
U_ROLE = Unit("aws", ACCT, "global", "aws.iam.role")


def _bucket(name: str, status: str) -> object:
    return make_resource(provider="aws", account=ACCT, region="eu-west-1", category="storage", type="aws.s3.bucket",
                         native_id=f"arn:aws:s3:::{name}", name=name,
                         config={"Name": name, "Versioning": {"Status": status}, "Policy": None},
                         tags={"team": "ml"}, facets={"versioning": status == "Enabled", "public": False})


def _snap(engine, s3: list, role_status: str = "ok") -> int:  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    with SnapshotWriter(engine) as w:
        w.write(s3, U_S3)
        w.record_unit(UnitResult(U_S3, UnitStatus.OK, None, len(s3), 1, now, 0.01))
        st = UnitStatus(role_status)
        w.record_unit(UnitResult(U_ROLE, st, None if st.completed else "denied: simulated", 0, 1, now, 0.01))
        w.finish()
    return w.snapshot_id


def _state(tmp_path: Path) -> Path:
    inst = lambda k, a: {"index_key": k, "attributes": a}  # noqa: E731
    doc = {"version": 4, "resources": [
        {"mode": "managed", "type": "aws_s3_bucket", "name": "b", "provider": "p", "instances": [
            inst("data", {"bucket": "data", "arn": "arn:aws:s3:::data", "tags_all": {"team": "ml"}}),
            inst("gone", {"bucket": "gone", "arn": "arn:aws:s3:::gone", "tags_all": {}})]},
        {"mode": "managed", "type": "aws_s3_bucket_versioning", "name": "v", "provider": "p", "instances": [
            inst("data", {"bucket": "data", "versioning_configuration": [{"status": "Enabled"}]})]},
        {"mode": "managed", "type": "aws_iam_role", "name": "r", "provider": "p", "instances": [
            inst(None, {"arn": f"arn:aws:iam::{ACCT}:role/deployer", "name": "deployer"})]},
    ]}
    p = tmp_path / "terraform.tfstate"
    p.write_text(json.dumps(doc))
    return p


def test_drift_kinds_on_both_backends(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sid = _snap(store, [_bucket("data", "Suspended"), _bucket("clickops", "Enabled")], role_status="denied")
    res = import_states(store, name="tf", locations=[str(_state(tmp_path))], reason="merge 42", by="ci")
    assert res.declared == 3
    report = compute_drift(store, baseline="tf", snapshot_id=sid)
    by = {i.resource_key: i for i in report.items}
    assert by["aws.s3.bucket|arn:aws:s3:::clickops"].change == "unmanaged"
    assert by["aws.s3.bucket|arn:aws:s3:::gone"].change == "missing"
    data = by["aws.s3.bucket|arn:aws:s3:::data"]
    assert data.change == "modified"
    assert {(c.path, c.before, c.after) for c in data.changes} == {
        ("config.Versioning.Status", "Enabled", "Suspended"), ("facets.versioning", True, False)}
    # The role unit was denied: the declared role is unknown, never missing.
    assert by[f"aws.iam.role|arn:aws:iam::{ACCT}:role/deployer"].change == "unknown"
    assert report.counts() == {"unmanaged": 1, "missing": 1, "modified": 1, "unknown": 1}
    cov = {c["type"]: c for c in report.iac_coverage}
    assert cov["aws.s3.bucket"]["resources"] == 2 and cov["aws.s3.bucket"]["managed"] == 1
    assert cov["aws.s3.bucket"]["share"] == 0.5
