"""Normalised facets (DESIGN.md decision 8): the cross-cloud vocabulary rules are written in.

Collectors fill these on each envelope's ``facets``; posture, identity and residency rules
read only facets, so one rule covers three clouds. A facet whose value could not be
determined is ``None`` (the rule then says UNKNOWN), never a guessed default.

This module is the contract; ``FACET_KEYS`` is checked by tests for every collector.
"""

from __future__ import annotations

from typing import Any

# ---- storage (aws.s3.bucket, gcp.storage.bucket, azure.storage.account, azure.storage.container)
STORAGE = {
    "public": "bool|None: readable by anyone on the internet (policy, ACL, IAM allUsers, blob access)",
    "public_reasons": "list[str]: why it is public, e.g. ['policy:Principal *', 'acl:AllUsers:READ']",
    "public_access_blocked": "bool|None: an account/bucket-level guard forbids public access",
    "encrypted": "bool|None: data encrypted at rest",
    "key_management": "'provider'|'customer'|None: who manages the key (CMK/CMEK = customer)",
    "kms_key": "str|None: key id/ARN/name when customer-managed",
    "versioning": "bool|None",
    "logging": "bool|None: access logging enabled",
    "locations": "list[str]: regions/locations where the primary copy lives (region names as the cloud spells them; "
                 "for a dual-/multi-region its name, e.g. 'EUR4')",
    "replica_locations": "list[str]|None: every other region a copy lands in (replication targets, GRS secondary, "
                         "dual-/multi-region members); None when a copy exists but its region is unknown. "
                         "Residency rules read only these three facets: the collector decides every place.",
    "location_type": "'region'|'dual-region'|'multi-region'|None (a GRS secondary is a replica of a 'region')",
    "https_only": "bool|None",
    "min_tls": "str|None, e.g. 'TLS1_2'",
    "public_network_access": "bool|None: data-plane endpoint reachable from any network",
    "key_created": "ISO-8601|None: creation of the oldest shared access key (Azure keyCreationTime; rotation "
                   "resets it); None when the cloud has no account keys or did not say",
    "malformed": "list[str]: resource policy documents that could not be parsed, with reasons",
}

# ---- network (aws.ec2.security_group, gcp.compute.firewall, azure.network.nsg, ACLs)
# A rule: {"direction": "ingress"|"egress", "action": "allow"|"deny", "cidr": "0.0.0.0/0",
#          "protocol": "tcp"|"udp"|"icmp"|"all"|<number as str>, "from_port": int, "to_port": int,
#          "priority": int|None}
# "all" protocol or no port restriction is from_port=0, to_port=65535. Tags/service tags
# such as Azure "Internet" or "*" are normalised to 0.0.0.0/0 (and ::/0 where they mean both).
NETWORK = {
    "ingress": "list[rule]",
    "egress": "list[rule]",
    "flow_logs": "bool|None (on networks/VPCs/subnets)",
}

# ---- compute (aws.ec2.instance, gcp.compute.instance, azure.compute.vm)
COMPUTE = {
    "public_ips": "list[str]",
    "legacy_metadata": "bool|None: IMDSv1 allowed (AWS HttpTokens optional), GCP legacy endpoints",
    "serial_port": "bool|None: interactive serial console enabled",
    "identity": "str|None: instance profile ARN / service account email / managed identity id",
    "network_groups": "list[str]: resource keys of attached security groups/NSGs/firewall tags",
    "disk_encryption": "'provider'|'customer'|None",
    "state": "str|None: running/stopped/...",
    "locations": "list[str]: region or zone where it runs (for residency of processing)",
}

# ---- iam
IAM = {
    # users
    "mfa": "bool|None: (console) user has MFA",
    "console_access": "bool|None",
    # Timestamps, never ages: an age changes every day by itself and would version the
    # resource nightly. Rules compute ages against the snapshot's own time.
    "access_keys": "list[{id_suffix, active, created: ISO-8601|None}] (never the secret; last use is volatile)",
    # policies/roles
    "admin": "bool|None: grants admin-equivalent permissions (*:* or Owner etc.); AWS: the policy evaluator's "
             "answer over inline, attached (customer and AWS managed) and group policies",
    "admin_conditions": "list[str]|None: admin only when these conditions hold (e.g. MFA); [] = unconditional "
                        "or not admin",
    "privilege_escalation": "list[{path, actions: list[str], resource}]|None: escalation paths the identity's "
                            "policies open (auditor.identity.privilege.ESCALATION_PATHS); [] none, None unread",
    "malformed": "list[str]: policy documents that could not be parsed, with reasons",
    # keys (gcp service account keys)
    "key_created": "ISO-8601|None: when a user-managed key became valid",
    "user_managed": "bool|None",
}

FACET_KEYS: dict[str, dict[str, str]] = {
    "storage": STORAGE,
    "network": NETWORK,
    "compute": COMPUTE,
    "iam": IAM,
}


def unknown_facet_keys(category: str, facets: dict[str, Any]) -> list[str]:
    """Facet keys not in the contract; tests call this so typos cannot slip in."""
    allowed = FACET_KEYS.get(category, {})
    return sorted(k for k in facets if k not in allowed)


def rule(direction: str, cidr: str, protocol: str, from_port: int = 0, to_port: int = 65535,
         action: str = "allow", priority: int | None = None) -> dict[str, Any]:
    """Build one normalised network rule (keeps the three collectors' output identical)."""
    proto = str(protocol).lower()
    if proto in ("-1", "*", "all", "any"):
        proto, from_port, to_port = "all", 0, 65535
    elif proto == "6":
        proto = "tcp"
    elif proto == "17":
        proto = "udp"
    elif proto == "1":
        proto = "icmp"
    return {
        "direction": direction,
        "action": action,
        "cidr": cidr,
        "protocol": proto,
        "from_port": int(from_port),
        "to_port": int(to_port),
        "priority": priority,
    }
