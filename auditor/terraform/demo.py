"""The demo's Terraform part: a small state for part of the AWS estate, and its IaC drift.

The state is written from what the seeded estate looks like *before* the overnight
changes, as if Terraform had applied it; the overnight RDP rule and tag change then show
as ``modified``, a declared-but-never-created bucket as ``missing``, and the rest of the
account as ``unmanaged``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

AWS = 'provider["registry.terraform.io/hashicorp/aws"]'
DEMO_BUCKET = "acme-ml-9012-eu-west-1-0"
NEVER_CREATED = "acme-ml-9012-feature-store"


def _blocks(perms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"protocol": p.get("IpProtocol", "-1"), "from_port": p.get("FromPort", 0), "to_port": p.get("ToPort", 0),
             "cidr_blocks": [r["CidrIp"] for r in p.get("IpRanges") or []],
             "ipv6_cidr_blocks": [r["CidrIpv6"] for r in p.get("Ipv6Ranges") or []],
             "security_groups": [g["GroupId"] for g in p.get("UserIdGroupPairs") or []],
             "prefix_list_ids": [], "self": False, "description": ""} for p in perms]


def write_state(aws_client: Any, account: str, path: Path) -> Path:
    """``aws_client(service, region)`` -> boto3 client. Writes a v4 state with two workspaces' worth of resources."""
    s3 = aws_client("s3", "us-east-1")
    try:
        tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=DEMO_BUCKET)["TagSet"]}
    except Exception:  # botocore ClientError NoSuchTagSet: the bucket has no tags
        tags = {}
    ec2 = aws_client("ec2", "eu-west-1")
    group = next(g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default")
    arn = f"arn:aws:ec2:eu-west-1:{account}:security-group/{group['GroupId']}"
    buckets = [{"index_key": k, "attributes": {"bucket": b, "id": b, "arn": f"arn:aws:s3:::{b}", "tags_all": t}}
               for k, (b, t) in {"training": (DEMO_BUCKET, tags), "features": (NEVER_CREATED, {})}.items()]
    state = {
        "version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "demo", "outputs": {},
        "resources": [
            {"module": "module.data", "mode": "managed", "type": "aws_s3_bucket", "name": "this", "provider": AWS,
             "instances": buckets},
            {"mode": "managed", "type": "aws_security_group", "name": "training", "provider": AWS + ".eu",
             "instances": [{"attributes": {"id": group["GroupId"], "arn": arn, "name": group["GroupName"],
                                           "vpc_id": group.get("VpcId"), "tags_all": {},
                                           "ingress": _blocks(group.get("IpPermissions") or []),
                                           "egress": _blocks(group.get("IpPermissionsEgress") or [])}}]},
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1), encoding="utf-8")
    return path


def show_iac_drift(console: Any, engine: Any, state_path: Path, snapshot_id: int) -> Any:
    """Import the state as baseline ``iac`` and print its drift and coverage; returns the drift report."""
    from auditor.cli.output import render
    from auditor.drift.engine import compute_drift
    from auditor.terraform.baseline import import_states
    from auditor.terraform.drift import coverage_totals

    res = import_states(engine, name="iac", locations=[str(state_path)], by="demo",
                        reason="demo: what the Terraform code declares")
    report = compute_drift(engine, baseline="iac", snapshot_id=snapshot_id)
    c = report.counts()
    shown = [i.as_dict() | {"paths": " ".join(ch.path for ch in i.changes)}
             for i in report.items if i.change != "unmanaged"]
    render(shown, ["severity", "change", "type", "resource_key", "paths"], "table", console=console,
           title=f"IaC drift against Terraform baseline {res.ref.label}")
    in_scope = [x for x in report.iac_coverage or [] if x["provider"] == "aws" and x["managed"]]
    tot = coverage_totals([x for x in report.iac_coverage or [] if x["account"] in {y["account"] for y in in_scope}])
    console.print(f"IaC: {c['modified']} modified, {c['missing']} missing, {c['unknown']} unknown, "
                  f"{c['unmanaged']} unmanaged; coverage {tot['managed']}/{tot['resources']} resources "
                  "of the accounts the state declares", highlight=False)
    return report
