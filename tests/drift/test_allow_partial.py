"""`baseline approve --allow-partial`: a real estate always has some denied units."""

from __future__ import annotations

import pytest

from auditor.drift import auditlog, baselines
from auditor.drift.engine import compute_drift
from auditor.errors import UsageError

from conftest import U_VM, Estate, base_estate, changed_estate

VM = "aws.ec2.instance|arn:aws:ec2:us-west-2:111111111111:instance/i-1"


def test_refusal_says_what_to_do(estate: Estate) -> None:
    s1 = estate.snap(base_estate(), {U_VM: "denied"})
    with pytest.raises(UsageError) as err:
        baselines.approve(estate.engine, name="prod", reason="r", by="a", snapshot_id=s1)
    msg = str(err.value)
    assert "--allow-partial" in msg and "auditor collect" not in msg and "\n" not in msg
    with pytest.raises(UsageError, match="--allow-partial"):
        baselines.approve(estate.engine, name="prod", reason="r", by="a")  # no complete snapshot at all


def test_only_complete_units_enter_and_the_rest_are_listed(estate: Estate) -> None:
    s1 = estate.snap(base_estate(), {U_VM: "denied"})
    ref = baselines.approve(estate.engine, name="prod", reason="r", by="a", snapshot_id=s1, allow_partial=True)
    assert ref.entry_count == 7  # 4 buckets, 1 SG, 2 roles; the VM unit was denied
    entry = [e for e in auditlog.iter_entries(estate.engine) if e.action == "baseline.approve"][-1]
    assert entry.details["allow_partial"] is True
    assert entry.details["incomplete_units"] == ["aws|111111111111|us-west-2|aws.ec2.instance"]
    s2 = estate.snap(changed_estate(), {U_VM: "error"})
    items = {i.resource_key: i.change for i in compute_drift(estate.engine, baseline="prod", snapshot_id=s2).items}
    assert VM not in items or items[VM] == "unknown"


def test_partial_reapproval_keeps_what_unanswered_units_had(estate: Estate) -> None:
    s1 = estate.snap(base_estate())
    baselines.approve(estate.engine, name="prod", reason="r", by="a", snapshot_id=s1)
    s2 = estate.snap(base_estate() | {U_VM: []}, {U_VM: "throttled"})
    ref = baselines.approve(estate.engine, name="prod", reason="r2", by="a", snapshot_id=s2, allow_partial=True)
    assert ref.version == 2
    s3 = estate.snap(base_estate())
    # the VM approved in v1 is still approved: v2 did not remove it for want of an answer
    assert [i for i in compute_drift(estate.engine, baseline="prod", snapshot_id=s3).items] == []


def test_failed_snapshot_is_still_refused(estate: Estate) -> None:
    s1 = estate.snap({U_VM: []}, {U_VM: "denied"})  # nothing succeeded: failed
    with pytest.raises(UsageError, match="failed"):
        baselines.approve(estate.engine, name="prod", reason="r", by="a", snapshot_id=s1, allow_partial=True)
