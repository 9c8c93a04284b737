"""VPC peering connections with the routes that send traffic through them: a route to a whole
peer VPC (or the internet-wide prefix) over a peering is broader than CIS's "least access"."""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, paginate, tags_dict


def _cidrs(info: dict[str, Any] | None) -> list[str]:
    info = info or {}
    out = [c.get("CidrBlock") for c in info.get("CidrBlockSet") or []] + [info.get("CidrBlock")]
    out += [c.get("Ipv6CidrBlock") for c in info.get("Ipv6CidrBlockSet") or []]
    return sorted({c for c in out if c})


def routes_by_peering(route_tables: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """{pcx id: [{route_table, cidr}]} over every route that targets a peering connection."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table in route_tables:
        for route in table.get("Routes") or []:
            pcx = route.get("VpcPeeringConnectionId")
            cidr = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
            if pcx and cidr:
                out.setdefault(pcx, []).append({"route_table": table.get("RouteTableId"), "cidr": cidr})
    return out


def collect_vpc_peerings(ctx: AwsUnitContext) -> Iterator[Resource]:
    ec2 = ctx.client("ec2")
    routes = routes_by_peering(list(paginate(ec2, "describe_route_tables", "RouteTables")))
    for pcx in paginate(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections"):
        pid = pcx["VpcPeeringConnectionId"]
        tags = tags_dict(pcx.get("Tags"))
        yield ctx.resource(
            native_id=ctx.arn("ec2", f"vpc-peering-connection/{pid}"), name=tags.get("Name") or pid,
            config={k: v for k, v in pcx.items() if k != "Tags"}, tags=tags,
            facets={
                "peer_cidrs": sorted(set(_cidrs(pcx.get("RequesterVpcInfo")) + _cidrs(pcx.get("AccepterVpcInfo")))),
                "peering_routes": sorted(routes.get(pid, []), key=lambda r: (str(r["route_table"]), r["cidr"])),
            },
        )
