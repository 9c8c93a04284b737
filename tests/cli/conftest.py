"""A store whose cloud strings are hostile and whose ids are long, for CLI output tests.

Two snapshots through the real SnapshotWriter, a baseline approved on the first, and a
second snapshot where a security group gained an RDP rule (drift)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from auditor.model import Resource, UnitStatus, make_resource
from auditor.store.engine import make_engine
from auditor.store.ingest import SnapshotWriter
from auditor.store.migrate import upgrade
from collectors.runner import Unit, UnitResult

ACCT = "111111111111"
MARKUP_PATH = "/[/x]/"                                   # crashed rich markup parsing
LINK = "[link=https://evil.example/phish]click me[/link]"  # a hidden hyperlink if parsed
ESC = "\x1b]8;;https://evil.example/\x1b\\fake\x1b]8;;\x1b\\\x1b[2J"  # OSC 8 link + clear screen
BIDI = "invoice\u202efdp.exe"                              # reads as 'invoiceexe.pdf'
HOSTILE_NAME = f"{LINK}{BIDI}{ESC}"
LONG = "0123456789abcdef" * 5                              # 80-char token inside ids

U_SG = Unit("aws", ACCT, "eu-west-1", "aws.ec2.security_group")
U_ROLE = Unit("aws", ACCT, "global", "aws.iam.role")
U_VM = Unit("aws", ACCT, "us-west-2", "aws.ec2.instance")


def sg(i: int, ingress: list[dict[str, Any]]) -> Resource:
    gid = f"sg-{LONG}{i}"
    return make_resource(
        provider="aws", account=ACCT, region="eu-west-1", category="network", type="aws.ec2.security_group",
        native_id=f"arn:aws:ec2:eu-west-1:{ACCT}:security-group/{gid}", name=f"web tier {i} security group",
        config={"GroupId": gid, "IpPermissions": ingress}, facets={"ingress": ingress, "egress": []},
    )


def hostile_role() -> Resource:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::222222222222:role{MARKUP_PATH}partner-{LONG}"},
         "Action": "sts:AssumeRole"}]}
    return make_resource(
        provider="aws", account=ACCT, region="global", category="iam", type="aws.iam.role",
        native_id=f"arn:aws:iam::{ACCT}:role{MARKUP_PATH}deploy-{LONG}", name=HOSTILE_NAME,
        config={"RoleName": HOSTILE_NAME, "Path": MARKUP_PATH, "AssumeRolePolicyDocument": trust},
        facets={"admin": True, "malformed": []},
    )


SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
RDP_WORLD = {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


def _snap(engine, resources: list[Resource], statuses: dict[Unit, UnitStatus] | None = None) -> int:  # type: ignore[no-untyped-def]
    statuses = statuses or {}
    by_unit: dict[Unit, list[Resource]] = {U_SG: [], U_ROLE: [], U_VM: []}
    for r in resources:
        by_unit[Unit(r.provider, r.account, r.region, r.type)].append(r)
    with SnapshotWriter(engine, note="cli output tests") as w:
        for unit, rs in by_unit.items():
            status = statuses.get(unit, UnitStatus.OK)
            if status.completed:
                w.write(rs, unit)
            error = None if status.completed else (
                f"AccessDenied: User: arn:aws:sts::{ACCT}:assumed-role/auditor-{LONG}/session is not authorized "
                f"to perform: ec2:DescribeInstances {ESC}{LINK}")
            w.record_unit(UnitResult(unit=unit, status=status, error=error, resource_count=len(rs), api_calls=1,
                                     started_at=datetime.now(timezone.utc), duration_s=0.01))
        w.finish()
        return w.snapshot_id


@pytest.fixture()
def hostile_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    engine = make_engine(url)
    upgrade(engine)
    first = [sg(i, [SSH]) for i in range(3)] + [hostile_role()]
    s1 = _snap(engine, first)
    from auditor.drift import baselines

    baselines.approve(engine, name="prod", reason="reviewed", by="ci", snapshot_id=s1)
    second = [sg(0, [SSH, RDP_WORLD]), sg(1, [SSH]), sg(2, [SSH]), hostile_role()]
    s2 = _snap(engine, second, {U_VM: UnitStatus.DENIED})
    engine.dispose()
    return {"url": url, "snapshots": (s1, s2), "ids": [r.native_id for r in second], "keys": [r.resource_key for r in second]}
