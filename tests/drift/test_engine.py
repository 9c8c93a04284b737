"""Drift over seeded snapshot pairs, on SQLite and PostgreSQL (the SQL set join runs on both)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from auditor.config.schema import IgnoreRule
from auditor.drift import baselines
from auditor.drift.engine import compute_drift
from auditor.errors import UsageError

from conftest import U_S3, U_VM, Estate, base_estate, bucket, changed_estate

KEY = {
    "public": "aws.s3.bucket|arn:aws:s3:::goes-public",
    "tags": "aws.s3.bucket|arn:aws:s3:::retagged",
    "volatile": "aws.s3.bucket|arn:aws:s3:::volatile",
    "sg": "aws.ec2.security_group|arn:aws:ec2:us-east-1:111111111111:security-group/sg-1",
    "removed": "aws.iam.role|arn:aws:iam::111111111111:role/old-role",
    "added": "aws.iam.role|arn:aws:iam::111111111111:role/new-admin",
    "vm": "aws.ec2.instance|arn:aws:ec2:us-west-2:111111111111:instance/i-1",
}


def _pair(estate: Estate) -> tuple[int, int]:
    s1 = estate.snap(base_estate())
    baselines.approve(estate.engine, name="prod", reason="initial review", by="alice", snapshot_id=s1)
    s2 = estate.snap(changed_estate(), {U_VM: "error"})
    return s1, s2


def test_each_change_kind_found_exactly_once(estate: Estate) -> None:
    _s1, s2 = _pair(estate)
    report = compute_drift(estate.engine, baseline="prod", snapshot_id=s2)
    by_key = Counter(i.resource_key for i in report.items)
    assert all(n == 1 for n in by_key.values()), by_key
    kinds = {i.resource_key: i.change for i in report.items}
    assert kinds == {
        KEY["public"]: "modified", KEY["tags"]: "modified", KEY["sg"]: "modified",
        KEY["removed"]: "removed", KEY["added"]: "added", KEY["vm"]: "unknown",
    }
    assert report.baseline == "prod@1" and report.snapshot_id == s2
    assert report.counts() == {"added": 1, "removed": 1, "modified": 3, "unknown": 1}


def test_modifications_carry_paths_and_severity(estate: Estate) -> None:
    _s1, s2 = _pair(estate)
    items = {i.resource_key: i for i in compute_drift(estate.engine, snapshot_id=s2).items}
    pub = items[KEY["public"]]
    paths = {c.path: (c.before, c.after) for c in pub.changes}
    assert paths["facets.public"] == (False, True)
    assert pub.severity == "high"  # storage.public flips to FAIL: the rule's severity
    tag = items[KEY["tags"]]
    assert [c.as_dict() for c in tag.changes] == [{"path": "tags.Owner", "before": "data", "after": "ml"}]
    assert tag.severity == "low"
    assert items[KEY["sg"]].severity == "high"  # 0.0.0.0/0 on port 22 appeared: network.admin_port_open
    assert items[KEY["added"]].severity == "high"  # a new admin grant
    assert items[KEY["removed"]].severity == "medium"
    assert items[KEY["vm"]].severity == "info"
    assert KEY["volatile"] not in items  # only a volatile field changed: same content hash


def test_partial_snapshot_yields_unknown_and_lists_incomplete_units(estate: Estate) -> None:
    _s1, s2 = _pair(estate)
    report = compute_drift(estate.engine, baseline="prod", snapshot_id=s2)
    vm = next(i for i in report.items if i.resource_key == KEY["vm"])
    assert vm.change == "unknown" and vm.changes == []
    assert [u["unit_key"] for u in report.incomplete_units] == ["aws|111111111111|us-west-2|aws.ec2.instance"]
    assert report.incomplete_units[0]["status"] == "error"


def test_unit_not_attempted_is_unknown(estate: Estate) -> None:
    s1 = estate.snap(base_estate())
    baselines.approve(estate.engine, name="prod", reason="r", by="a", snapshot_id=s1)
    data = base_estate()
    del data[U_VM]  # the instance unit is not even in the second run
    s2 = estate.snap(data)
    report = compute_drift(estate.engine, snapshot_id=s2)
    assert [(i.resource_key, i.change) for i in report.items] == [(KEY["vm"], "unknown")]
    assert report.incomplete_units[0]["status"] == "not_attempted"


def test_removed_after_completed_unit_then_failed_unit_is_unknown(estate: Estate) -> None:
    s1 = estate.snap(base_estate())
    baselines.approve(estate.engine, name="prod", reason="r", by="a", snapshot_id=s1)
    data = base_estate()
    data[U_VM] = []
    s2 = estate.snap(data)  # the instance is gone, proven by a completed unit
    assert [i.change for i in compute_drift(estate.engine, snapshot_id=s2).items] == ["removed"]
    s3 = estate.snap(base_estate() | {U_VM: []}, {U_VM: "throttled"})
    assert [i.change for i in compute_drift(estate.engine, snapshot_id=s3).items] == ["unknown"]


def test_no_drift_on_identical_snapshot(estate: Estate) -> None:
    s1 = estate.snap(base_estate())
    baselines.approve(estate.engine, name="prod", reason="r", by="a", snapshot_id=s1)
    s2 = estate.snap(base_estate())
    report = compute_drift(estate.engine, snapshot_id=s2)
    assert report.items == [] and report.incomplete_units == []
    assert report.compared == 8


def test_between_two_snapshots(estate: Estate) -> None:
    s1 = estate.snap(base_estate())
    s2 = estate.snap(changed_estate(), {U_VM: "error"})
    report = compute_drift(estate.engine, from_snapshot=s1, to_snapshot=s2)
    assert report.baseline is None and report.from_snapshot == s1
    assert Counter(i.change for i in report.items) == Counter(
        {"modified": 3, "added": 1, "removed": 1, "unknown": 1})
    back = compute_drift(estate.engine, from_snapshot=s2, to_snapshot=s1)
    kinds = {i.resource_key: i.change for i in back.items}
    assert kinds[KEY["added"]] == "removed" and kinds[KEY["removed"]] == "added"


def test_ignore_rules_paths_and_expiry(estate: Estate) -> None:
    _s1, s2 = _pair(estate)
    rules = [
        IgnoreRule(path="tags.*", owner="platform", reason="tags churn"),
        IgnoreRule(type="aws.iam.role", resource_key="*new-admin", owner="iam", reason="break-glass",
                   expires=date(2020, 1, 1)),
        IgnoreRule(provider="aws", type="aws.ec2.*", owner="sec", reason="ticket 42", expires=date(2999, 1, 1)),
    ]
    report = compute_drift(estate.engine, snapshot_id=s2, ignore_rules=rules, now=date(2025, 1, 1))
    keys = {i.resource_key for i in report.items}
    assert KEY["tags"] not in keys and KEY["sg"] not in keys and KEY["vm"] not in keys
    assert KEY["added"] in keys  # its rule expired, so it no longer applies
    assert [(r["index"], r["owner"], r["expires"]) for r in report.expired_rules] == [(1, "iam", "2020-01-01")]
    assert report.ignored_count == 3
    shown = compute_drift(estate.engine, snapshot_id=s2, ignore_rules=rules, now=date(2025, 1, 1), show_ignored=True)
    tag = next(i for i in shown.items if i.resource_key == KEY["tags"])
    assert tag.ignored and tag.as_dict()["ignored_by"][0]["reason"] == "tags churn"
    assert not shown.fails("info") or any(not i.ignored for i in shown.items)
    pub = next(i for i in shown.items if i.resource_key == KEY["public"]).as_dict()
    assert pub["ignored_by"] == [] and "ignored_by" not in next(
        i for i in report.items if i.resource_key == KEY["public"]).as_dict()


def test_ignoring_a_facet_path_also_drops_its_severity(estate: Estate) -> None:
    _s1, s2 = _pair(estate)
    rules = [IgnoreRule(resource_key=KEY["public"], path="facets.public*", owner="o", reason="known public site")]
    items = {i.resource_key: i for i in compute_drift(estate.engine, snapshot_id=s2, ignore_rules=rules).items}
    assert KEY["public"] not in items  # every change was on an ignored path


def test_fail_on_thresholds(estate: Estate) -> None:
    _s1, s2 = _pair(estate)
    report = compute_drift(estate.engine, snapshot_id=s2)
    assert report.fails("high") and not report.fails("critical") and not report.fails("none")
    quiet = compute_drift(estate.engine, snapshot_id=s2, ignore_rules=[
        IgnoreRule(path="*", type="aws.ec2.security_group", owner="o", reason="r"),
        IgnoreRule(path="*", resource_key=KEY["public"], owner="o", reason="r"),
        IgnoreRule(path="*", resource_key=KEY["added"], owner="o", reason="r"),
    ])
    assert quiet.max_severity() == "medium" and not quiet.fails("high")


def test_accept_creates_delta_version_and_clears_drift(estate: Estate) -> None:
    _s1, s2 = _pair(estate)
    ref = baselines.accept(estate.engine, name="prod", resource_keys=[KEY["public"], KEY["removed"], KEY["added"]],
                           reason="reviewed in CHG-7", by="bob", snapshot_id=s2)
    assert ref.label == "prod@2" and ref.parent_id is not None and ref.entry_count == 8
    with estate.engine.connect() as c:
        n = c.exec_driver_sql(f"SELECT count(*) FROM baseline_entries WHERE baseline_id = {ref.id}").scalar_one()
    assert n == 3  # only the delta is stored
    kinds = {i.resource_key: i.change for i in compute_drift(estate.engine, snapshot_id=s2).items}
    assert kinds == {KEY["tags"]: "modified", KEY["sg"]: "modified", KEY["vm"]: "unknown"}
    with pytest.raises(UsageError, match="did not complete"):
        baselines.accept(estate.engine, name="prod", resource_keys=[KEY["vm"]], reason="r", by="b", snapshot_id=s2)
    old = {i.resource_key for i in compute_drift(estate.engine, baseline="prod@1", snapshot_id=s2).items}
    assert KEY["public"] in old


def test_reapprove_stores_delta_and_revoke_falls_back(estate: Estate) -> None:
    s1, s2 = _pair(estate)
    data = changed_estate()
    s3 = estate.snap(data | {U_VM: []})
    v2 = baselines.approve(estate.engine, name="prod", reason="quarterly", by="alice", snapshot_id=s3)
    assert v2.version == 2 and v2.entry_count == 7
    with estate.engine.connect() as c:
        n = c.exec_driver_sql(f"SELECT count(*) FROM baseline_entries WHERE baseline_id = {v2.id}").scalar_one()
    assert n == 6  # 3 modified + 1 added + 2 removed (old-role, i-1); unchanged resources cost nothing
    assert compute_drift(estate.engine, snapshot_id=s3).items == []
    baselines.revoke(estate.engine, name="prod", version=2, reason="approved by mistake", by="carol")
    assert baselines.active_baseline(estate.engine, "prod").version == 1
    assert len(compute_drift(estate.engine, snapshot_id=s3).items) == 6


def test_scoped_baseline_on_partial_snapshot(estate: Estate) -> None:
    s1 = estate.snap(base_estate(), {U_VM: "denied"})
    with pytest.raises(UsageError, match="partial"):
        baselines.approve(estate.engine, name="s3", reason="r", by="a", snapshot_id=s1)
    with pytest.raises(UsageError, match="did not complete"):
        baselines.approve(estate.engine, name="s3", reason="r", by="a", snapshot_id=s1, scope=["aws/*"])
    ref = baselines.approve(estate.engine, name="s3", reason="r", by="a", snapshot_id=s1,
                            scope=["aws/111111111111/us-east-1/aws.s3.*"])
    assert ref.scope == ["aws|111111111111|us-east-1|aws.s3.*"] and ref.entry_count == 4
    s2 = estate.snap(changed_estate(), {U_VM: "error"})
    kinds = {i.resource_key: i.change for i in compute_drift(estate.engine, baseline="s3", snapshot_id=s2).items}
    assert kinds == {KEY["public"]: "modified", KEY["tags"]: "modified"}  # roles, SGs, VMs are out of scope
    extra = estate.snap(changed_estate() | {U_S3: changed_estate()[U_S3] + [bucket("fresh")]}, {U_VM: "error"})
    kinds = {i.resource_key: i.change for i in compute_drift(estate.engine, baseline="s3", snapshot_id=extra).items}
    assert kinds["aws.s3.bucket|arn:aws:s3:::fresh"] == "added"


def test_default_baseline_resolution(estate: Estate) -> None:
    s1 = estate.snap(base_estate())
    with pytest.raises(UsageError, match="no active baseline"):
        compute_drift(estate.engine, snapshot_id=s1)
    baselines.approve(estate.engine, name="a", reason="r", by="x", snapshot_id=s1)
    baselines.approve(estate.engine, name="b", reason="r", by="x", snapshot_id=s1)
    with pytest.raises(UsageError, match="several active baselines"):
        compute_drift(estate.engine, snapshot_id=s1)
    assert compute_drift(estate.engine, baseline="b", snapshot_id=s1).baseline == "b@1"


def test_gcp_unit_unrelated_to_baseline_is_added(estate: Estate) -> None:
    from conftest import U_GCS

    s1 = estate.snap(base_estate())
    baselines.approve(estate.engine, name="prod", reason="r", by="a", snapshot_id=s1)
    s2 = estate.snap(base_estate() | {U_GCS: [bucket("eu-data", unit=U_GCS, public=True)]})
    items = compute_drift(estate.engine, snapshot_id=s2).items
    assert [(i.provider, i.change, i.severity) for i in items] == [("gcp", "added", "high")]
