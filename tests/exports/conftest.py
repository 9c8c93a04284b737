"""A small three-cloud store with findings, trust edges and a drift report, for export tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson
import pytest

from auditor.model import UnitStatus, make_resource
from auditor.store.engine import make_engine
from auditor.store.ingest import SnapshotWriter
from auditor.store.migrate import upgrade
from auditor.store.schema import findings, trust_edges
from collectors.runner import Unit, UnitResult

FORMULA = '=HYPERLINK("http://evil.example/x","deploy")'  # a name a spreadsheet would evaluate

RESOURCES = [
    dict(provider="aws", account="111111111111", region="eu-west-1", category="storage", type="aws.s3.bucket",
         native_id="arn:aws:s3:::ml-datasets-public", name="ml-datasets-public",
         config={"acl": "public-read"}, tags={"classification": "restricted"},
         facets={"storage": {"public": True, "encrypted": True, "replica_locations": ["US"]}}),
    dict(provider="aws", account="111111111111", region="us-east-1", category="compute", type="aws.ec2.instance",
         native_id="arn:aws:ec2:us-east-1:111111111111:instance/i-0abc", name="gpu-trainer",
         config={"instance_type": "p3.2xlarge"}, tags={"team": "ml"},
         facets={"network": {"ingress": [["0.0.0.0/0", "tcp", "22"]]}}),
    dict(provider="aws", account="111111111111", region="global", category="iam", type="aws.iam.role",
         native_id="arn:aws:iam::111111111111:role/github-deploy", name=FORMULA, config={"path": "/"}),
    dict(provider="gcp", account="ml-project", region="europe-west4", category="storage", type="gcp.storage.bucket",
         native_id="//storage.googleapis.com/projects/_/buckets/eu-features", name="eu-features",
         config={"location": "EU"}, facets={"storage": {"public": False, "encrypted": True}}),
    dict(provider="gcp", account="ml-project", region="global", category="iam", type="gcp.iam.service_account",
         native_id="projects/ml-project/serviceAccounts/trainer@ml-project.iam.gserviceaccount.com",
         name="trainer", config={}),
    dict(provider="azure", account="00000000-0000-0000-0000-000000000001", region="germanywestcentral",
         category="storage", type="azure.storage.account",
         native_id="/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
                   "Microsoft.Storage/storageAccounts/mldata",
         name="mldata", config={"sku": "Standard_GRS"}, tags={"classification": "personal"},
         facets={"storage": {"public": False, "encrypted": True, "replica_locations": ["DE", "CH"]}}),
]

XSS = '<script>alert("x")</script>'

FINDINGS = [
    # rule_id, severity, status, resource index, frameworks, evidence
    ("storage.public_access", "high", "FAIL", 0, {"CIS-AWS": ["2.1.4"], "SOC2": ["CC6.1"], "ISO27001": ["A.8.3"]},
     {"public": True}),
    ("storage.public_access", "high", "PASS", 3, {"CIS-GCP": ["5.1"], "SOC2": ["CC6.1"], "ISO27001": ["A.8.3"]},
     {"public": False}),
    ("storage.public_access", "high", "UNKNOWN", 5, {"SOC2": ["CC6.1"]}, {"reason": "unit denied"}),
    ("network.ssh_open_world", "critical", "FAIL", 1, {"CIS-AWS": ["5.2"], "SOC2": ["CC6.6"]},
     {"cidr": "0.0.0.0/0", "note": XSS}),
    ("residency.replica_outside_allowed", "high", "FAIL", 0, {"GDPR": ["Art.44"], "ISO27001": ["A.5.34"]},
     {"classification": "restricted", "location": "IE", "replica_locations": ["US"], "allowed": ["EU"]}),
    ("residency.replica_outside_allowed", "medium", "FAIL", 5, {"GDPR": ["Art.44"]},
     {"classification": "personal", "location": "DE", "replica_locations": ["CH"], "allowed": ["EU"]}),
    ("residency.replica_outside_allowed", "medium", "PASS", 3, {"GDPR": ["Art.44"]},
     {"location": "EU", "allowed": ["EU"]}),
]

EDGES = [
    dict(source_idx=2, mechanism="aws.oidc", trusted_kind="oidc_issuer",
         trusted_id="token.actions.githubusercontent.com", trusted_provider="external",
         conditions={"aud": "sts.amazonaws.com"}, cross_cloud=False, external=True),
    dict(source_idx=2, mechanism="aws.web_identity.google", trusted_kind="service_account",
         trusted_id="trainer@ml-project.iam.gserviceaccount.com", trusted_provider="gcp",
         conditions={"accounts.google.com:sub": "1234567890"}, cross_cloud=True, external=False),
    dict(source_idx=4, mechanism="gcp.workload_identity", trusted_kind="aws_account", trusted_id="111111111111",
         trusted_provider="aws", conditions={}, cross_cloud=True, external=False),
]


@dataclass
class FakeDriftItem:
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.data)


@dataclass
class FakeDriftReport:
    baseline: dict[str, Any] | None
    items: list[FakeDriftItem] = field(default_factory=list)


def _h(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass
class Seeded:
    engine: Any
    snapshot_id: int
    resources: list[Any]
    drift: FakeDriftReport


def seed_store(url: str) -> Seeded:
    engine = make_engine(url)
    upgrade(engine)
    built = [make_resource(**r) for r in RESOURCES]
    with SnapshotWriter(engine, note="export tests") as w:
        units = {}
        for r in built:
            units.setdefault((r.provider, r.account, r.region, r.type), []).append(r)
        for (p, a, reg, t), rs in sorted(units.items()):
            unit = Unit(p, a, reg, t)
            w.write(rs, unit)
            w.record_unit(UnitResult(unit=unit, status=UnitStatus.OK, error=None, resource_count=len(rs),
                                     api_calls=1, started_at=datetime.now(timezone.utc), duration_s=0.01))
        w.finish()
        sid = w.snapshot_id
    with engine.begin() as c:
        for rule_id, sev, status, idx, fw, ev in FINDINGS:
            r = built[idx]
            c.execute(findings.insert().values(
                snapshot_id=sid, finding_id=_h(rule_id, r.resource_key), rule_id=rule_id,
                title=f"{rule_id} title", severity=sev, status=status, provider=r.provider, account=r.account,
                region=r.region, resource_key=r.resource_key, native_id=r.native_id,
                message=f"{rule_id} {status} on {r.name}", evidence=orjson.dumps(ev).decode(),
                frameworks=orjson.dumps(fw).decode(),
            ))
        for e in EDGES:
            src = built[e["source_idx"]]
            c.execute(trust_edges.insert().values(
                snapshot_id=sid, edge_id=_h(src.resource_key, e["trusted_id"]), source_key=src.resource_key,
                source_provider=src.provider, mechanism=e["mechanism"], trusted_kind=e["trusted_kind"],
                trusted_id=e["trusted_id"], trusted_provider=e["trusted_provider"],
                conditions=orjson.dumps(e["conditions"]).decode(), cross_cloud=e["cross_cloud"],
                external=e["external"], details="{}",
            ))
    drift = FakeDriftReport(
        baseline={"id": 7, "name": "prod", "version": 2},
        items=[
            FakeDriftItem({"resource_key": built[0].resource_key, "native_id": built[0].native_id, "provider": "aws",
                           "account": built[0].account, "region": built[0].region, "type": built[0].type,
                           "change": "modified", "severity": "high",
                           "changes": [{"path": "config.acl", "before": "private", "after": "public-read"}]}),
            FakeDriftItem({"resource_key": built[4].resource_key, "native_id": built[4].native_id, "provider": "gcp",
                           "account": built[4].account, "region": built[4].region, "type": built[4].type,
                           "change": "added", "severity": "medium", "changes": []}),
        ],
    )
    return Seeded(engine=engine, snapshot_id=sid, resources=built, drift=drift)


@pytest.fixture()
def seeded(tmp_path) -> Seeded:
    s = seed_store(f"sqlite:///{tmp_path / 'inv.db'}")
    yield s
    s.engine.dispose()
