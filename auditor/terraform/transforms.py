"""Named conversions from Terraform attribute values to our collected shapes.

The mapping table (mapping.yaml) refers to these by name. Where a collector already
normalises a shape (network rules, AWS policy documents), the same function is reused on
the Terraform side, so a declared value and a collected value meet in one spelling.

``VALUE`` transforms take the attribute value (or, with ``from: .``, all attributes) and
return one value. ``ITEMS`` transforms take the instance's attributes and return the
elements ("atoms") it adds to a set-valued path; ``FLATTEN`` turns the collected value at
that path into atoms of the same form.
"""

from __future__ import annotations

from typing import Any, Callable

import orjson

from auditor.canonical import canonical_json
from auditor.facets import rule
from collectors.aws import policy as aws_policy
from collectors.aws.ec2 import sg_rules
from collectors.azure.normalise import nsg_rule_facets
from collectors.gcp.normalise import firewall_facets


class TransformError(ValueError):
    """A declared value that cannot be converted (reported with the Terraform address)."""


def _policy(value: Any) -> Any:
    if value in (None, ""):
        return None
    try:
        return aws_policy.canonical(value)
    except aws_policy.MalformedPolicy as exc:
        raise TransformError(f"policy document: {exc}") from None


def _enabled(value: Any) -> Any:
    return None if value is None else str(value).lower() == "enabled"


def _azure_sku(attrs: dict[str, Any]) -> Any:
    tier, repl = attrs.get("account_tier"), attrs.get("account_replication_type")
    return f"{tier}_{repl}" if tier and repl else None


VALUE: dict[str, Callable[[Any], Any]] = {
    "aws_policy": _policy,
    "present": lambda v: bool(v),
    "enabled": _enabled,
    "upper": lambda v: v.upper() if isinstance(v, str) else v,
    "lower": lambda v: v.lower() if isinstance(v, str) else v,
    "last_segment_of_url": lambda v: v.rstrip("/").rsplit("/", 1)[-1] if isinstance(v, str) else v,
    "enabled_disabled": lambda v: None if v is None else ("Enabled" if v else "Disabled"),
    "azure_location": lambda v: v.replace(" ", "").lower() if isinstance(v, str) else v,
    "azure_storage_sku": _azure_sku,
    "azure_container_access": lambda v: {"private": "None", "blob": "Blob", "container": "Container"}.get(v, v),
}


# ---- set-valued paths -------------------------------------------------------------------------

def _sg_blocks(direction: str, blocks: Any) -> list[dict[str, Any]]:
    perms = []
    for b in blocks or []:
        perms.append({
            "IpProtocol": str(b.get("protocol", "-1")), "FromPort": b.get("from_port"), "ToPort": b.get("to_port"),
            "IpRanges": [{"CidrIp": c} for c in b.get("cidr_blocks") or []],
            "Ipv6Ranges": [{"CidrIpv6": c} for c in b.get("ipv6_cidr_blocks") or []],
            "UserIdGroupPairs": [{"GroupId": g} for g in b.get("security_groups") or []]
            + ([{"GroupId": "self"}] if b.get("self") else []),
            "PrefixListIds": [{"PrefixListId": p} for p in b.get("prefix_list_ids") or []],
        })
    return sg_rules(direction, perms)


def _sg_rule(direction: str) -> Callable[[dict[str, Any]], list[Any]]:
    def items(a: dict[str, Any]) -> list[Any]:
        if a.get("type") != direction:
            return []
        block = dict(a)
        if a.get("source_security_group_id"):
            block["security_groups"] = [a["source_security_group_id"]]
        return _sg_blocks(direction, [block])
    return items


def _vpc_rule(direction: str) -> Callable[[dict[str, Any]], list[Any]]:
    def items(a: dict[str, Any]) -> list[Any]:
        proto = str(a.get("ip_protocol", "-1"))
        lo, hi = a.get("from_port"), a.get("to_port")
        lo, hi = (0, 65535) if lo is None or hi is None or lo < 0 else (lo, hi)
        src = a.get("cidr_ipv4") or a.get("cidr_ipv6") or a.get("referenced_security_group_id") or a.get("prefix_list_id")
        return [rule(direction, src, proto, lo, hi)] if src else []
    return items


def _iam_member(a: dict[str, Any]) -> list[Any]:
    return [[a.get("role"), a.get("member")]] if a.get("role") and a.get("member") else []


def _iam_binding(a: dict[str, Any]) -> list[Any]:
    return [[a.get("role"), m] for m in a.get("members") or []]


def _iam_policy_data(a: dict[str, Any]) -> list[Any]:
    try:
        data = orjson.loads(a.get("policy_data") or "{}")
    except orjson.JSONDecodeError:
        raise TransformError("policy_data is not JSON") from None
    return _flatten_bindings(data.get("bindings"))


def _gcp_firewall(direction: str) -> Callable[[dict[str, Any]], list[Any]]:
    def items(a: dict[str, Any]) -> list[Any]:
        fw = {
            "direction": a.get("direction") or "INGRESS", "disabled": a.get("disabled"), "priority": a.get("priority"),
            "sourceRanges": a.get("source_ranges") or [], "destinationRanges": a.get("destination_ranges") or [],
            "allowed": [{"IPProtocol": x.get("protocol"), "ports": x.get("ports") or None} for x in a.get("allow") or []],
            "denied": [{"IPProtocol": x.get("protocol"), "ports": x.get("ports") or None} for x in a.get("deny") or []],
        }
        return firewall_facets(fw)[direction]
    return items


def _arm_rule(r: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {
        "priority": r.get("priority"), "direction": r.get("direction"), "access": r.get("access"),
        "protocol": r.get("protocol"),
        "sourceAddressPrefix": r.get("source_address_prefix"),
        "sourceAddressPrefixes": r.get("source_address_prefixes") or [],
        "destinationAddressPrefix": r.get("destination_address_prefix"),
        "destinationAddressPrefixes": r.get("destination_address_prefixes") or [],
        "destinationPortRange": r.get("destination_port_range"),
        "destinationPortRanges": r.get("destination_port_ranges") or [],
    }}


def _nsg_inline(direction: str) -> Callable[[dict[str, Any]], list[Any]]:
    def items(a: dict[str, Any]) -> list[Any]:
        return [x for r in a.get("security_rule") or [] for x in nsg_rule_facets(_arm_rule(r))
                if x["direction"] == direction]
    return items


def _nsg_rule(direction: str) -> Callable[[dict[str, Any]], list[Any]]:
    def items(a: dict[str, Any]) -> list[Any]:
        return [x for x in nsg_rule_facets(_arm_rule(a)) if x["direction"] == direction]
    return items


ITEMS: dict[str, Callable[[dict[str, Any]], list[Any]]] = {
    "aws_sg_ingress": lambda a: _sg_blocks("ingress", a.get("ingress")),
    "aws_sg_egress": lambda a: _sg_blocks("egress", a.get("egress")),
    "aws_sg_rule_ingress": _sg_rule("ingress"),
    "aws_sg_rule_egress": _sg_rule("egress"),
    "aws_vpc_ingress_rule": _vpc_rule("ingress"),
    "aws_vpc_egress_rule": _vpc_rule("egress"),
    "aws_attached_policy": lambda a: [a["policy_arn"]] if a.get("policy_arn") else [],
    "aws_inline_policy": lambda a: [[a.get("name"), _policy(a.get("policy"))]],
    "gcp_iam_member": _iam_member,
    "gcp_iam_binding": _iam_binding,
    "gcp_iam_policy_data": _iam_policy_data,
    "gcp_firewall_ingress": _gcp_firewall("ingress"),
    "gcp_firewall_egress": _gcp_firewall("egress"),
    "azure_nsg_inline_ingress": _nsg_inline("ingress"),
    "azure_nsg_inline_egress": _nsg_inline("egress"),
    "azure_nsg_rule_ingress": _nsg_rule("ingress"),
    "azure_nsg_rule_egress": _nsg_rule("egress"),
}


def _flatten_bindings(bindings: Any) -> list[Any]:
    return [[b.get("role"), m] for b in bindings or [] if isinstance(b, dict) for m in b.get("members") or []]


def _custom_rules(value: Any) -> list[Any]:
    # Azure's default rules (priority >= 65000) exist on every NSG and are not Terraform's.
    return [r for r in value or [] if isinstance(r, dict) and (r.get("priority") or 0) < 65000]


FLATTEN: dict[str, Callable[[Any], list[Any]]] = {
    "rules": lambda v: list(v or []),
    "custom_rules": _custom_rules,
    "values": lambda v: list(v or []),
    "policy_arns": lambda v: [p.get("PolicyArn") for p in v or [] if isinstance(p, dict)],
    "inline_policies": lambda v: [[p.get("PolicyName"), p.get("PolicyDocument")] for p in v or [] if isinstance(p, dict)],
    "iam_members": _flatten_bindings,
}


def atom_key(atom: Any) -> str:
    """Atoms compare (and sort) by canonical JSON."""
    return canonical_json(atom)
