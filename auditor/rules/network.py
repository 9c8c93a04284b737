"""Network posture over normalised ingress rules (security groups, firewalls, NSGs)."""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from auditor.rules.facts import MISSING, facet, unknown
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, Result

FLOW_LOG_TYPES = ("aws.ec2.vpc", "gcp.compute.subnetwork", "azure.network.nsg", "azure.network.vnet")
# Protocols that carry ports: a rule of any of these reaching an admin port exposes it.
PORT_PROTOCOLS = frozenset({"tcp", "udp", "all", "6", "17", "-1", "*"})


def is_internet(cidr: Any) -> bool:
    """0.0.0.0/0, ::/0 or any other prefix of length 0."""
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return False


def _covers(r: dict[str, Any], port: int) -> bool:
    if str(r.get("protocol", "all")).lower() not in PORT_PROTOCOLS:
        return False
    try:
        lo = int(r.get("from_port") if r.get("from_port") is not None else 0)
        hi = int(r.get("to_port") if r.get("to_port") is not None else 65535)
    except (TypeError, ValueError):
        return False
    return lo <= port <= hi


def open_admin_ports(ingress: Iterable[Any], ports: Iterable[int]) -> list[dict[str, Any]]:
    """Admin ports reachable from the whole internet: the one definition posture and drift share.

    Rules are taken lowest priority number first (deny before allow at equal priority, as GCP
    and Azure do); AWS security groups have only allows and no priority. TCP, UDP and "all"
    count wherever their port range covers the port; an internet-wide deny that comes first
    closes it.
    """
    ordered = sorted((r for r in ingress if isinstance(r, dict) and r.get("direction", "ingress") == "ingress"),
                     key=lambda r: (r.get("priority") if isinstance(r.get("priority"), int) else 0,
                                    0 if str(r.get("action", "allow")).lower() == "deny" else 1))
    found = []
    for port in ports:
        for r in ordered:
            if not is_internet(r.get("cidr")) or not _covers(r, port):
                continue
            if str(r.get("action", "allow")).lower() == "allow":
                found.append({"port": port, "cidr": r.get("cidr"), "protocol": r.get("protocol"),
                              "priority": r.get("priority")})
            break
    return found


@rule(id="network.admin_port_open", title="Administrative ports open to the internet", severity="high",
      kind="posture",
      rationale="SSH, RDP and database ports reachable from 0.0.0.0/0 or ::/0 invite brute force and exploitation.",
      remediation="Restrict the source to known ranges, use a bastion/IAP/Bastion service, or remove the rule.",
      categories=("network",))
def admin_port_open(res: Any, ctx: RuleContext) -> Result | None:
    ingress = facet(res, "ingress")
    if ingress is MISSING:
        return None
    if ingress is None:
        return unknown("ingress rules")
    ports = list(ctx.config.checks.admin_ports)
    found = open_admin_ports(ingress, ports)
    if found:
        return Result(FAIL, f"ports {sorted({f['port'] for f in found})} open to the internet", {"open": found})
    return Result(PASS, "no administrative port open to the internet", {"checked_ports": ports})


@rule(id="network.flow_logs_missing", title="Network flow logs are not enabled", severity="low", kind="posture",
      rationale="Without flow logs incidents cannot be investigated and exfiltration is invisible.",
      remediation="Enable VPC flow logs (AWS), subnet flow logs (GCP) or NSG/VNet flow logs (Azure).",
      types=FLOW_LOG_TYPES)
def flow_logs(res: Any, ctx: RuleContext) -> Result | None:
    v = res.facets.get("flow_logs")
    if v is None:
        return unknown("flow log configuration")
    return Result(PASS, "flow logs enabled") if v else Result(FAIL, "flow logs disabled")
