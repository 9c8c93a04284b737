"""Seeded snapshot pairs for the drift tests, written through the real SnapshotWriter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest

from auditor.canonical import HashRules
from auditor.model import Resource, UnitStatus, make_resource
from auditor.store.ingest import SnapshotWriter
from collectors.runner import Unit, UnitResult

ACCT = "111111111111"
VOLATILE = HashRules(volatile=("config.LastModified",))

U_S3 = Unit("aws", ACCT, "us-east-1", "aws.s3.bucket")
U_SG = Unit("aws", ACCT, "us-east-1", "aws.ec2.security_group")
U_ROLE = Unit("aws", ACCT, "global", "aws.iam.role")
U_VM = Unit("aws", ACCT, "us-west-2", "aws.ec2.instance")
U_GCS = Unit("gcp", "proj-1", "europe-west1", "gcp.storage.bucket")


def bucket(name: str, *, public: bool = False, tags: dict[str, str] | None = None, modified: str = "2024-01-01",
           encrypted: bool = True, unit: Unit = U_S3) -> Resource:
    return make_resource(
        provider=unit.provider, account=unit.account, region=unit.region, category="storage", type=unit.resource_type,
        native_id=f"arn:aws:s3:::{name}", name=name, rules=VOLATILE,
        config={"Name": name, "Versioning": {"Status": "Enabled"}, "LastModified": modified},
        tags=tags or {"Owner": "data"},
        facets={"public": public, "encrypted": encrypted, "public_reasons": ["policy:Principal *"] if public else []},
    )


def security_group(gid: str, ingress: list[dict[str, Any]]) -> Resource:
    return make_resource(
        provider="aws", account=ACCT, region="us-east-1", category="network", type="aws.ec2.security_group",
        native_id=f"arn:aws:ec2:us-east-1:{ACCT}:security-group/{gid}", name=gid,
        config={"GroupId": gid, "IpPermissions": ingress}, facets={"ingress": ingress, "egress": []},
    )


def role(name: str, *, admin: bool = False, principal: str = "arn:aws:iam::222222222222:root") -> Resource:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal},
                                                      "Action": "sts:AssumeRole"}]}
    return make_resource(
        provider="aws", account=ACCT, region="global", category="iam", type="aws.iam.role",
        native_id=f"arn:aws:iam::{ACCT}:role/{name}", name=name,
        config={"RoleName": name, "AssumeRolePolicyDocument": trust}, facets={"admin": admin, "malformed": []},
    )


def instance(iid: str) -> Resource:
    return make_resource(
        provider="aws", account=ACCT, region="us-west-2", category="compute", type="aws.ec2.instance",
        native_id=f"arn:aws:ec2:us-west-2:{ACCT}:instance/{iid}", name=iid,
        config={"InstanceId": iid}, facets={"public_ips": [], "state": "running"},
    )


def result(unit: Unit, status: str = "ok", count: int = 0) -> UnitResult:
    st = UnitStatus(status)
    return UnitResult(unit=unit, status=st, error=None if st.completed else f"{status}: simulated",
                      resource_count=count, api_calls=1, started_at=datetime.now(timezone.utc), duration_s=0.01)


@dataclass
class Estate:
    """Ingest snapshots: ``snap({unit: [resources]}, {unit: status})``."""

    engine: Any
    ids: list[int] = field(default_factory=list)

    def snap(self, data: dict[Unit, list[Resource]], statuses: dict[Unit, str] | None = None) -> int:
        statuses = statuses or {}
        with SnapshotWriter(self.engine) as w:
            for unit, resources in data.items():
                status = statuses.get(unit, "ok")
                if UnitStatus(status).completed and resources:
                    w.write(resources, unit)
                w.record_unit(result(unit, status if resources or status != "ok" else "empty", len(resources)))
            for unit, status in statuses.items():
                if unit not in data:
                    w.record_unit(result(unit, status))
            w.finish()
        self.ids.append(w.snapshot_id)
        return w.snapshot_id


SG_CLOSED = [{"direction": "ingress", "action": "allow", "cidr": "10.0.0.0/8", "protocol": "tcp",
              "from_port": 443, "to_port": 443, "priority": None}]
SG_OPEN = SG_CLOSED + [{"direction": "ingress", "action": "allow", "cidr": "0.0.0.0/0", "protocol": "tcp",
                        "from_port": 22, "to_port": 22, "priority": None}]


def base_estate() -> dict[Unit, list[Resource]]:
    return {
        U_S3: [bucket("keep"), bucket("goes-public"), bucket("retagged"), bucket("volatile")],
        U_SG: [security_group("sg-1", SG_CLOSED)],
        U_ROLE: [role("old-role"), role("steady-role")],
        U_VM: [instance("i-1")],
    }


def changed_estate() -> dict[Unit, list[Resource]]:
    """One of each: public flip, tag-only, volatile-only, open admin port, removed, added."""
    return {
        U_S3: [bucket("keep"), bucket("goes-public", public=True), bucket("retagged", tags={"Owner": "ml"}),
               bucket("volatile", modified="2025-06-30")],
        U_SG: [security_group("sg-1", SG_OPEN)],
        U_ROLE: [role("steady-role"), role("new-admin", admin=True)],
        U_VM: [],  # the unit fails in the second snapshot: i-1 must be unknown, not removed
    }


@pytest.fixture
def estate(store) -> Estate:
    return Estate(store)
