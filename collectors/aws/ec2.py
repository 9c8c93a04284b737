"""EC2 compute and network collectors: one describe call per type, normalised facets.

User data is never requested (it needs DescribeInstanceAttribute, which no spec declares)
and would be redacted by name if it ever appeared.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from auditor.facets import rule
from auditor.model import Resource, make_key
from collectors.aws.context import AwsUnitContext, paginate, tags_dict
from collectors.aws.kms import KeyManagers

ANYWHERE4, ANYWHERE6 = "0.0.0.0/0", "::/0"
NEVER_STORED = ("UserData",)


def _clean(item: dict[str, Any]) -> dict[str, Any]:
    cfg = {k: v for k, v in item.items() if k not in NEVER_STORED and k != "Tags"}
    return cfg


def _ports(perm: dict[str, Any]) -> tuple[int, int]:
    lo, hi = perm.get("FromPort"), perm.get("ToPort")
    if lo is None or hi is None or lo < 0 or hi < 0:
        return 0, 65535
    return int(lo), int(hi)


def sg_rules(direction: str, permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Security group permissions as facet rules, one per source (CIDR, v6 CIDR, group, prefix list)."""
    out = []
    for perm in permissions or []:
        proto = str(perm.get("IpProtocol", "-1"))
        lo, hi = _ports(perm)
        sources = [r.get("CidrIp") for r in perm.get("IpRanges") or []]
        sources += [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges") or []]
        sources += [r.get("GroupId") for r in perm.get("UserIdGroupPairs") or []]
        sources += [r.get("PrefixListId") for r in perm.get("PrefixListIds") or []]
        for src in sources:
            if src:
                out.append(rule(direction, src, proto, lo, hi))
    return out


def nacl_rules(entries: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    facets: dict[str, list[dict[str, Any]]] = {"ingress": [], "egress": []}
    for e in entries or []:
        direction = "egress" if e.get("Egress") else "ingress"
        pr = e.get("PortRange") or {}
        lo, hi = (pr.get("From", 0), pr.get("To", 65535)) if pr else (0, 65535)
        action = "allow" if e.get("RuleAction") == "allow" else "deny"
        for cidr in (e.get("CidrBlock"), e.get("Ipv6CidrBlock")):
            if cidr:
                facets[direction].append(rule(direction, cidr, str(e.get("Protocol", "-1")), lo, hi,
                                              action=action, priority=e.get("RuleNumber")))
    return facets


def _describe(ctx: AwsUnitContext, method: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    yield from paginate(ctx.client("ec2"), method, key, **kwargs)


# ---- compute ----------------------------------------------------------------------------------

def collect_instances(ctx: AwsUnitContext) -> Iterator[Resource]:
    for reservation in _describe(ctx, "describe_instances", "Reservations"):
        for inst in reservation.get("Instances") or []:
            iid = inst["InstanceId"]
            meta = inst.get("MetadataOptions") or {}
            tokens = meta.get("HttpTokens")
            legacy = None
            if meta.get("HttpEndpoint") == "disabled":
                legacy = False
            elif tokens:
                legacy = tokens != "required"
            public_ips = [inst["PublicIpAddress"]] if inst.get("PublicIpAddress") else []
            for eni in inst.get("NetworkInterfaces") or []:
                for v6 in eni.get("Ipv6Addresses") or []:
                    if v6.get("Ipv6Address"):
                        public_ips.append(v6["Ipv6Address"])
            groups = [make_key("aws", "aws.ec2.security_group", ctx.arn("ec2", f"security-group/{g['GroupId']}"))
                      for g in inst.get("SecurityGroups") or [] if g.get("GroupId")]
            config = _clean(inst)
            config["OwnerId"] = reservation.get("OwnerId")
            tags = tags_dict(inst.get("Tags"))
            yield ctx.resource(
                native_id=ctx.arn("ec2", f"instance/{iid}"), name=tags.get("Name") or iid,
                config=config, tags=tags,
                facets={
                    "public_ips": sorted(set(public_ips)),
                    "legacy_metadata": legacy,
                    "serial_port": None,
                    "identity": (inst.get("IamInstanceProfile") or {}).get("Arn"),
                    "network_groups": sorted(groups),
                    "disk_encryption": None,  # per-volume: see aws.ec2.volume
                    "state": (inst.get("State") or {}).get("Name"),
                    "locations": [ctx.region],
                },
            )


def collect_volumes(ctx: AwsUnitContext) -> Iterator[Resource]:
    keys = KeyManagers(ctx)
    for vol in _describe(ctx, "describe_volumes", "Volumes"):
        vid = vol["VolumeId"]
        encrypted = bool(vol.get("Encrypted"))
        manager = keys.of(vol.get("KmsKeyId"), ctx.region) if encrypted else None
        tags = tags_dict(vol.get("Tags"))
        yield ctx.resource(
            native_id=ctx.arn("ec2", f"volume/{vid}"), name=tags.get("Name") or vid,
            config=_clean(vol), tags=tags,
            facets={
                "encrypted": encrypted,
                "kms_key": vol.get("KmsKeyId") if encrypted and manager != "provider" else None,
                "key_management": manager,
                "locations": [ctx.region],
            },
        )


def collect_images(ctx: AwsUnitContext) -> Iterator[Resource]:
    for img in _describe(ctx, "describe_images", "Images", Owners=["self"]):
        iid = img["ImageId"]
        tags = tags_dict(img.get("Tags"))
        yield ctx.resource(
            native_id=ctx.arn("ec2", f"image/{iid}", account=""), name=img.get("Name") or iid,
            config=_clean(img), tags=tags,
            facets={"state": img.get("State"), "locations": [ctx.region]},
        )


# ---- network ----------------------------------------------------------------------------------

def _flow_log_targets(ctx: AwsUnitContext) -> set[str]:
    return {fl.get("ResourceId") for fl in _describe(ctx, "describe_flow_logs", "FlowLogs")
            if fl.get("FlowLogStatus", "ACTIVE") == "ACTIVE"}


def collect_vpcs(ctx: AwsUnitContext) -> Iterator[Resource]:
    logged = _flow_log_targets(ctx)
    for vpc in _describe(ctx, "describe_vpcs", "Vpcs"):
        vid = vpc["VpcId"]
        tags = tags_dict(vpc.get("Tags"))
        yield ctx.resource(native_id=ctx.arn("ec2", f"vpc/{vid}"), name=tags.get("Name") or vid,
                           config=_clean(vpc), tags=tags, facets={"flow_logs": vid in logged})


def collect_subnets(ctx: AwsUnitContext) -> Iterator[Resource]:
    logged = _flow_log_targets(ctx)
    for sn in _describe(ctx, "describe_subnets", "Subnets"):
        sid = sn["SubnetId"]
        tags = tags_dict(sn.get("Tags"))
        yield ctx.resource(native_id=sn.get("SubnetArn") or ctx.arn("ec2", f"subnet/{sid}"),
                           name=tags.get("Name") or sid, config=_clean(sn), tags=tags,
                           facets={"flow_logs": sid in logged or sn.get("VpcId") in logged})


def collect_security_groups(ctx: AwsUnitContext) -> Iterator[Resource]:
    for sg in _describe(ctx, "describe_security_groups", "SecurityGroups"):
        gid = sg["GroupId"]
        tags = tags_dict(sg.get("Tags"))
        yield ctx.resource(
            native_id=ctx.arn("ec2", f"security-group/{gid}"), name=sg.get("GroupName") or gid,
            config=_clean(sg), tags=tags,
            facets={"ingress": sg_rules("ingress", sg.get("IpPermissions")),
                    "egress": sg_rules("egress", sg.get("IpPermissionsEgress")),
                    "default_group": sg.get("GroupName") == "default"},
        )


def collect_network_acls(ctx: AwsUnitContext) -> Iterator[Resource]:
    for acl in _describe(ctx, "describe_network_acls", "NetworkAcls"):
        aid = acl["NetworkAclId"]
        tags = tags_dict(acl.get("Tags"))
        yield ctx.resource(native_id=ctx.arn("ec2", f"network-acl/{aid}"), name=tags.get("Name") or aid,
                           config=_clean(acl), tags=tags, facets=nacl_rules(acl.get("Entries")))


def _simple(method: str, key: str, id_field: str, arn_kind: str,
            facets: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
            ) -> Callable[[AwsUnitContext], Iterator[Resource]]:
    """A collector for types whose whole state is one describe item."""

    def collect(ctx: AwsUnitContext) -> Iterator[Resource]:
        for item in _describe(ctx, method, key):
            rid = item[id_field]
            tags = tags_dict(item.get("Tags"))
            yield ctx.resource(native_id=ctx.arn("ec2", f"{arn_kind}/{rid}"), name=tags.get("Name") or rid,
                               config=_clean(item), tags=tags, facets=facets(item) if facets else None)

    collect.__name__ = f"collect_{arn_kind.replace('-', '_')}"
    return collect


collect_internet_gateways = _simple("describe_internet_gateways", "InternetGateways", "InternetGatewayId",
                                    "internet-gateway")
collect_route_tables = _simple("describe_route_tables", "RouteTables", "RouteTableId", "route-table")
collect_flow_logs = _simple("describe_flow_logs", "FlowLogs", "FlowLogId", "vpc-flow-log")
