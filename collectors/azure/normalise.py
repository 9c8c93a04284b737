"""Turn ARM JSON into the cross-cloud facets of auditor/facets.py.

Every function takes the REST JSON shape (camelCase, ``properties`` nesting) so the same
code serves the SDK models (via :func:`to_rest`) and recorded fixtures.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from auditor.catalogue import azure_pairs
from auditor.facets import rule
from auditor.model import make_key

# Built-in role definition GUIDs that can grant themselves anything (admin-equivalent).
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
BUILTIN_ADMIN: dict[str, bool] = {
    OWNER: True,
    USER_ACCESS_ADMINISTRATOR: True,
    RBAC_ADMINISTRATOR: True,
    CONTRIBUTOR: False,
    READER: False,
}

GEO_REDUNDANT_SKUS = ("GRS", "GZRS")  # RAGRS / RAGZRS / StandardV2_GRS contain these


def to_rest(model: Any) -> dict[str, Any]:
    """The ARM REST JSON of an SDK model (old msrest models and new TypeSpec models alike)."""
    if model is None:
        return {}
    if isinstance(model, dict):
        return model
    serialize = getattr(model, "serialize", None)
    if callable(serialize):  # msrest-style (authorization, msi)
        return serialize(keep_readonly=True)
    as_dict = getattr(model, "as_dict", None)
    if callable(as_dict):  # TypeSpec model_base (storage, compute, network, subscriptions)
        return as_dict()
    raise TypeError(f"cannot serialise {type(model).__name__}")


def props(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.get("properties") or {}


def arm_parts(arm_id: str) -> dict[str, str]:
    """Subscription and resource group of an ARM id (``resourceGroups`` matched case-insensitively)."""
    parts = arm_id.strip("/").split("/")
    out: dict[str, str] = {}
    for i in range(0, len(parts) - 1):
        key = parts[i].lower()
        if key in ("subscriptions", "resourcegroups") and key not in out:
            out[key] = parts[i + 1]
    return {"subscription": out.get("subscriptions", ""), "resource_group": out.get("resourcegroups", "")}


def last_segment(arm_id: str | None) -> str:
    return (arm_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


# ---- storage -----------------------------------------------------------------------------------

def replica_locations(sku_name: str | None, primary: str | None, secondary: str | None) -> list[str] | None:
    """Where GRS-family copies land: the reported secondary, else the paired region from the table.

    None when the SKU is geo-redundant but neither is known: a copy lands somewhere unknown.
    """
    if secondary:
        return [secondary.lower()]
    if not sku_name or not any(s in sku_name.upper() for s in GEO_REDUNDANT_SKUS):
        return []
    pair = azure_pairs().get((primary or "").lower())
    target = (pair or {}).get("secondary_region", "").strip()
    return [target] if target and not target.upper().startswith("N/A") else None


def storage_account_facets(doc: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    sku = (doc.get("sku") or {}).get("name")
    primary = (p.get("primaryLocation") or doc.get("location") or "").lower() or None
    allow_public = p.get("allowBlobPublicAccess")
    enc = p.get("encryption") or {}
    key_source = enc.get("keySource")
    kv = enc.get("keyvaultproperties") or {}
    acls = p.get("networkAcls") or {}
    pna = p.get("publicNetworkAccess")
    if pna is not None and str(pna).lower() != "enabled":
        network_open: bool | None = False  # Disabled / SecuredByPerimeter
    elif acls.get("defaultAction"):
        network_open = str(acls["defaultAction"]).lower() == "allow"
    else:
        network_open = None
    replicas = replica_locations(sku, primary, p.get("secondaryLocation"))
    return {
        # An account is only public through a container; it is certainly not when blob public access is off.
        "public": False if allow_public is False else None,
        "public_reasons": [],
        "public_access_blocked": None if allow_public is None else not allow_public,
        "encrypted": bool(enc) or None,
        "key_management": _key_management(key_source),
        "kms_key": _kv_key(kv) if key_source and key_source.lower() == "microsoft.keyvault" else None,
        "versioning": None,
        "logging": None,
        "locations": [primary] if primary else [],
        "replica_locations": replicas,
        "location_type": "region" if primary else None,  # a GRS secondary is a replica, not a member
        "https_only": p.get("supportsHttpsTrafficOnly"),
        "min_tls": p.get("minimumTlsVersion"),
        "public_network_access": network_open,
        "key_created": _oldest_key(p.get("keyCreationTime")),
    }


def _oldest_key(created: Any) -> str | None:
    """The older of the account's two shared keys' creation times (key age is a rule input)."""
    if not isinstance(created, dict):
        return None
    times = sorted(str(v) for v in created.values() if v)
    return times[0] if times else None


def _key_management(key_source: str | None) -> str | None:
    if not key_source:
        return None
    return "customer" if key_source.lower() == "microsoft.keyvault" else "provider"


def _kv_key(kv: dict[str, Any]) -> str | None:
    uri, name = kv.get("keyvaulturi"), kv.get("keyname")
    if not uri or not name:
        return None
    key = f"{uri.rstrip('/')}/keys/{name}"
    return f"{key}/{kv['keyversion']}" if kv.get("keyversion") else key


def account_exposure(facets: dict[str, Any], account: dict[str, Any],
                     containers: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Account-level public exposure from ``allowBlobPublicAccess`` and the containers together.

    Blob public access off -> not public (whatever the containers say). On -> public exactly
    when some container grants anonymous ``blob``/``container`` access; private when every
    container is private. ``containers`` None (not listed, e.g. denied) -> unknown.
    """
    if props(account).get("allowBlobPublicAccess") is not True:
        return facets
    if containers is None:
        return {**facets, "public": None, "public_reasons": []}
    open_ = sorted(f"container {c.get('name')}:publicAccess={props(c).get('publicAccess')}" for c in containers
                   if str(props(c).get("publicAccess") or "").lower() in ("blob", "container"))
    return {**facets, "public": bool(open_), "public_reasons": ["allowBlobPublicAccess=true", *open_] if open_ else []}


def container_facets(doc: dict[str, Any], account: dict[str, Any]) -> dict[str, Any]:
    level = props(doc).get("publicAccess")
    account_allows = props(account).get("allowBlobPublicAccess")
    level_public = bool(level) and str(level).lower() in ("blob", "container")
    if not level_public or account_allows is False:
        public: bool | None = False
    elif account_allows is True:
        public = True
    else:
        public = None  # level set but the account setting is unknown
    acct = storage_account_facets(account)
    return {
        "public": public,
        "public_reasons": [f"container:publicAccess={level}"] if public else [],
        "public_access_blocked": acct["public_access_blocked"],
        "locations": acct["locations"],
        "replica_locations": acct["replica_locations"],
        "location_type": acct["location_type"],
    }


# ---- network -----------------------------------------------------------------------------------

_ANY_SOURCES = {"*", "internet", "any"}


def _cidrs(prefix: str) -> list[str]:
    text = prefix.strip()
    if text.lower() in _ANY_SOURCES:
        return ["0.0.0.0/0", "::/0"]
    try:
        return [str(ipaddress.ip_network(text, strict=False))]
    except ValueError:
        return [text]  # a service tag such as VirtualNetwork or AzureLoadBalancer


def _ports(text: str) -> tuple[int, int]:
    t = text.strip()
    if t in ("*", ""):
        return 0, 65535
    if "-" in t:
        lo, hi = t.split("-", 1)
        return int(lo), int(hi)
    return int(t), int(t)


def _many(p: dict[str, Any], single: str, plural: str) -> list[str]:
    values = list(p.get(plural) or [])
    if p.get(single):
        values.insert(0, p[single])
    return values


def nsg_rule_facets(rule_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One ARM security rule -> normalised (cidr, protocol, ports) rules, one per combination."""
    p = props(rule_doc) or rule_doc  # some API shapes flatten properties
    direction = "ingress" if str(p.get("direction", "")).lower() == "inbound" else "egress"
    action = str(p.get("access", "allow")).lower()
    prio = p.get("priority")
    if direction == "ingress":
        addrs = _many(p, "sourceAddressPrefix", "sourceAddressPrefixes")
        asgs = p.get("sourceApplicationSecurityGroups") or []
    else:
        addrs = _many(p, "destinationAddressPrefix", "destinationAddressPrefixes")
        asgs = p.get("destinationApplicationSecurityGroups") or []
    cidrs = [c for a in addrs for c in _cidrs(a)] + [f"asg:{(g.get('id') or '').lower()}" for g in asgs]
    ports = [_ports(r) for r in _many(p, "destinationPortRange", "destinationPortRanges")] or [(0, 65535)]
    proto = str(p.get("protocol", "*")).lower()
    out: list[dict[str, Any]] = []
    for cidr in cidrs:
        for lo, hi in ports:
            if proto in ("*", "any") and (lo, hi) != (0, 65535):
                # Any protocol but restricted ports: TCP and UDP on those ports, ICMP has no ports.
                out.append(rule(direction, cidr, "tcp", lo, hi, action, prio))
                out.append(rule(direction, cidr, "udp", lo, hi, action, prio))
                out.append(rule(direction, cidr, "icmp", 0, 65535, action, prio))
            else:
                out.append(rule(direction, cidr, proto, lo, hi, action, prio))
    return out


def nsg_facets(doc: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    rules: list[dict[str, Any]] = []
    for r in [*(p.get("securityRules") or []), *(p.get("defaultSecurityRules") or [])]:
        rules.extend(nsg_rule_facets(r))
    order = lambda r: (r["priority"] if r["priority"] is not None else 1 << 30, r["cidr"], r["protocol"], r["from_port"])  # noqa: E731
    return {
        "ingress": sorted((r for r in rules if r["direction"] == "ingress"), key=order),
        "egress": sorted((r for r in rules if r["direction"] == "egress"), key=order),
        "flow_logs": None,
    }


# ---- compute -----------------------------------------------------------------------------------

def vm_facets(doc: dict[str, Any], nics: dict[str, dict[str, Any]], public_ips: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """VM facets; NICs and public IPs are dicts keyed by lower-cased ARM id."""
    p = props(doc)
    ips: list[str] = []
    groups: list[str] = []
    for ref in ((p.get("networkProfile") or {}).get("networkInterfaces") or []):
        nic = nics.get((ref.get("id") or "").lower())
        if nic is None:
            continue
        nsg = (props(nic).get("networkSecurityGroup") or {}).get("id")
        if nsg:
            groups.append(make_key("azure", "azure.network.nsg", nsg))
        for ipc in props(nic).get("ipConfigurations") or []:
            pip_ref = (props(ipc).get("publicIPAddress") or {}).get("id")
            pip = public_ips.get((pip_ref or "").lower())
            addr = props(pip).get("ipAddress") if pip else None
            if addr:
                ips.append(addr)
    identity = doc.get("identity") or {}
    uami = sorted((identity.get("userAssignedIdentities") or {}).keys())
    ident = identity.get("principalId") or (uami[0] if uami else None)
    return {
        "public_ips": sorted(set(ips)),
        "legacy_metadata": None,
        "serial_port": None,
        "identity": ident,
        "network_groups": sorted(set(groups)),
        "disk_encryption": vm_disk_encryption(p),
        "state": None,
        "locations": [doc["location"].lower()] if doc.get("location") else [],
    }


def vm_disk_encryption(p: dict[str, Any]) -> str | None:
    storage = p.get("storageProfile") or {}
    disks = [storage.get("osDisk") or {}, *(storage.get("dataDisks") or [])]
    present = [d for d in disks if d]
    if not present or any(not d.get("managedDisk") for d in present):
        return None  # an unmanaged (VHD in a storage account) disk: its encryption is not ours to see here
    managed = [d["managedDisk"] for d in present]
    if all((m.get("diskEncryptionSet") or {}).get("id") for m in managed):
        return "customer"
    return "provider"  # managed disks are always encrypted at rest with platform keys


def disk_facets(doc: dict[str, Any]) -> dict[str, Any]:
    enc = (props(doc).get("encryption") or {}).get("type")
    kind = None
    if enc:
        kind = "customer" if "customerkey" in enc.lower() else "provider"
    return {"disk_encryption": kind, "locations": [doc["location"].lower()] if doc.get("location") else []}


# ---- identity ----------------------------------------------------------------------------------

def role_definition_admin(doc: dict[str, Any]) -> bool:
    """Admin-equivalent: may write role assignments (the trust graph's definition, shared)."""
    from auditor.identity.extract_azure import role_definition_is_admin

    if last_segment(doc.get("id")) in BUILTIN_ADMIN:
        return BUILTIN_ADMIN[last_segment(doc.get("id"))]
    return role_definition_is_admin(doc)


def role_assignment_admin(doc: dict[str, Any], definitions: dict[str, bool] | None = None) -> bool | None:
    """From the assignment's role definition (built-in table, or ``definitions`` read in the
    same collection: custom roles and every built-in role an assignment references)."""
    guid = last_segment(props(doc).get("roleDefinitionId"))
    if guid in BUILTIN_ADMIN:
        return BUILTIN_ADMIN[guid]
    return (definitions or {}).get(guid)


def lower_ids(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {(i.get("id") or "").lower(): i for i in items}
