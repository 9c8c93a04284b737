"""REST JSON -> stored config (secrets and user data removed) and cross-cloud facets.

Pure functions over the API's own JSON shapes, so they are tested without any server.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.catalogue import gcs_members
from auditor.facets import rule

PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")

# Metadata keys that are on/off switches worth auditing. Every other item (startup-script,
# ssh-keys, user data of any kind) is dropped, and even these keep only a boolean-ish value.
METADATA_FLAGS = frozenset({
    "enable-oslogin", "enable-oslogin-2fa", "enable-oslogin-sk", "serial-port-enable",
    "serial-port-logging-enable", "block-project-ssh-keys", "disable-legacy-endpoints",
    "enable-guest-attributes", "enable-os-inventory", "enable-osconfig", "enable-windows-ssh",
    "google-logging-enabled", "google-monitoring-enabled",
})
_TRUE = {"true", "1", "yes", "on", "y"}
_FALSE = {"false", "0", "no", "off", "n"}


# https://compute.googleapis.com/compute/v1/..., .../compute/beta/..., https://www.googleapis.com/compute/alpha/...
# (any host: private endpoints and emulators serve the same paths)
COMPUTE_LINK = re.compile(r"^(?:https?:)?//[^/\s]+/compute/(?:v\d+|beta|alpha)/"
                          r"(?P<path>projects/[^/?#\s]+(?:/[^/?#\s]+)*)/?$")
COMPUTE_NAME = re.compile(r"^//compute\.googleapis\.com/(?P<path>projects/[^/?#\s]+(?:/[^/?#\s]+)*)$")


class MalformedLink(ValueError):
    """A Compute link that is not a resource URL of any API version."""


def compute_resource_name(link: str) -> str:
    """The native id (full resource name ``//compute.googleapis.com/projects/...``) of a Compute
    link of any API version or host; a link that is neither raises instead of yielding a
    silently malformed id."""
    text = str(link).strip()
    m = COMPUTE_LINK.match(text) or COMPUTE_NAME.match(text)
    if m is None:
        raise MalformedLink(f"not a Compute resource link: {text[:120]!r}")
    return "//compute.googleapis.com/" + m.group("path")


def last(url: str | None) -> str | None:
    """The last path segment of a Compute URL (zone, region, machine type...)."""
    return url.rstrip("/").rsplit("/", 1)[-1] if url else None


def flag(value: Any) -> bool | None:
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def metadata_flags(items: list[dict[str, Any]] | None) -> dict[str, bool]:
    """Switch-like metadata items as booleans; anything else (and any unparsable value) dropped."""
    out: dict[str, bool] = {}
    for item in items or []:
        key = item.get("key")
        if key in METADATA_FLAGS:
            value = flag(item.get("value"))
            if value is not None:
                out[key] = value
    return out


def scrub_metadata(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """Keep only known flag items (with normalised 'TRUE'/'FALSE' values) of a Metadata object."""
    if metadata is None:
        return None
    flags = metadata_flags(metadata.get("items"))
    out = {k: v for k, v in metadata.items() if k not in ("items", "fingerprint")}
    out["items"] = [{"key": k, "value": "TRUE" if v else "FALSE"} for k, v in sorted(flags.items())]
    return out


# ------------------------------------------------------------------ storage


def policy_public_reasons(policy: dict[str, Any] | None) -> list[str]:
    reasons = []
    for b in (policy or {}).get("bindings", []) or []:
        for m in b.get("members", []) or []:
            if m in PUBLIC_MEMBERS:
                reasons.append(f"iam:{m}:{b.get('role')}")
    return sorted(set(reasons))


def bucket_facets(b: dict[str, Any], policy: dict[str, Any] | None) -> dict[str, Any]:
    from collectors.gcp.cis import bucket_cis_facets

    iam_cfg = b.get("iamConfiguration") or {}
    uniform = bool((iam_cfg.get("uniformBucketLevelAccess") or {}).get("enabled"))
    pap = iam_cfg.get("publicAccessPrevention")
    reasons = policy_public_reasons(policy)
    blocked = True if pap == "enforced" else None
    if blocked:
        public: bool | None = False  # PAP refuses allUsers/allAuthenticatedUsers whatever the policy says
    elif reasons:
        public = True
    elif uniform:
        public = False  # IAM is the only access path and it has no public member
    else:
        public = None  # fine-grained ACLs decide; not evaluated here
    kms = (b.get("encryption") or {}).get("defaultKmsKeyName")
    location = b.get("location")
    data_locations = list((b.get("customPlacementConfig") or {}).get("dataLocations") or [])
    return {
        "public": public,
        "public_reasons": reasons,
        "public_access_blocked": blocked,
        "encrypted": True,  # GCS always encrypts at rest
        "key_management": "customer" if kms else "provider",
        "kms_key": kms,
        "versioning": bool((b.get("versioning") or {}).get("enabled")),
        "logging": bool((b.get("logging") or {}).get("logBucket")),
        "locations": [location] if location else [],
        # Every member region holds a copy: custom dataLocations, else the predefined location's members.
        "replica_locations": [d for d in data_locations if d != location] or gcs_members(location),
        "location_type": b.get("locationType"),
        **bucket_cis_facets(b),
    }


# ------------------------------------------------------------------ compute


def instance_config(inst: dict[str, Any]) -> dict[str, Any]:
    out = dict(inst)
    if "metadata" in out:
        out["metadata"] = scrub_metadata(out["metadata"])
    return out


def instance_facets(inst: dict[str, Any], project_flags: dict[str, bool]) -> dict[str, Any]:
    from collectors.gcp.cis import instance_cis_facets

    own = metadata_flags((inst.get("metadata") or {}).get("items"))

    def effective(key: str) -> bool | None:
        return own[key] if key in own else project_flags.get(key)

    serial = effective("serial-port-enable")
    legacy_off = effective("disable-legacy-endpoints")
    disks = inst.get("disks") or []
    cmek = [d for d in disks if (d.get("diskEncryptionKey") or {}).get("kmsKeyName")]
    sas = inst.get("serviceAccounts") or []
    return {
        "public_ips": sorted({ac["natIP"] for nic in inst.get("networkInterfaces") or []
                             for ac in nic.get("accessConfigs") or [] if ac.get("natIP")}
                            | {ac["externalIpv6"] for nic in inst.get("networkInterfaces") or []
                               for ac in nic.get("ipv6AccessConfigs") or [] if ac.get("externalIpv6")}),
        # legacy metadata endpoints were removed by Google; only an explicit flag says anything
        "legacy_metadata": (not legacy_off) if legacy_off is not None else None,
        "serial_port": bool(serial),  # default off unless instance or project metadata enables it
        "identity": sas[0].get("email") if sas else None,
        "network_groups": sorted(f"tag:{t}" for t in (inst.get("tags") or {}).get("items") or []),
        "disk_encryption": ("customer" if disks and len(cmek) == len(disks) else "provider") if disks else None,
        "state": inst.get("status"),
        "locations": [last(inst.get("zone"))] if inst.get("zone") else [],
        **instance_cis_facets(inst, own, project_flags),
    }


def disk_facets(d: dict[str, Any]) -> dict[str, Any]:
    key = (d.get("diskEncryptionKey") or {}).get("kmsKeyName")
    if key and "/cryptoKeyVersions/" in key:
        key = key.split("/cryptoKeyVersions/")[0]
    where = last(d.get("zone")) or last(d.get("region"))
    replicas = [last(z) for z in d.get("replicaZones") or []]
    return {
        "encrypted": True,
        "key_management": "customer" if key else "provider",
        "kms_key": key,
        "locations": [where] if where else [],
        "replica_locations": [z for z in replicas if z and z != where],
    }


def subnetwork_facets(s: dict[str, Any]) -> dict[str, Any]:
    log_cfg = s.get("logConfig") or {}
    enabled = log_cfg.get("enable") if "enable" in log_cfg else s.get("enableFlowLogs")
    return {"flow_logs": bool(enabled)}


def _port_ranges(ports: list[str] | None) -> list[tuple[int, int]]:
    if not ports:
        return [(0, 65535)]
    out = []
    for p in ports:
        lo, _, hi = str(p).partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


def firewall_facets(f: dict[str, Any]) -> dict[str, Any]:
    """Firewall rule -> the same (cidr, protocol, ports) facet AWS and Azure produce.

    A disabled rule has no effect, so it contributes no facet rules (its config still says why).
    Rules matched by source tags or service accounts only have no CIDR and no facet.
    """
    direction = "ingress" if f.get("direction", "INGRESS") == "INGRESS" else "egress"
    out: dict[str, Any] = {"ingress": [], "egress": []}
    if f.get("disabled"):
        return out
    cidrs = f.get("sourceRanges") if direction == "ingress" else f.get("destinationRanges")
    if direction == "egress" and not cidrs:
        cidrs = ["0.0.0.0/0"]  # egress without destinationRanges applies to every destination
    for action, entries in (("allow", f.get("allowed")), ("deny", f.get("denied"))):
        for entry in entries or []:
            proto = str(entry.get("IPProtocol", "all"))
            for cidr in cidrs or []:
                if proto.lower() in ("all", "-1"):
                    out[direction].append(rule(direction, cidr, "all", action=action, priority=f.get("priority")))
                    continue
                for lo, hi in _port_ranges(entry.get("ports")):
                    out[direction].append(rule(direction, cidr, proto, lo, hi, action=action,
                                               priority=f.get("priority")))
    return out


# ------------------------------------------------------------------ iam


def key_config(k: dict[str, Any]) -> dict[str, Any]:
    """A service-account key's metadata; key material is never kept even if a caller asked for it."""
    return {kk: v for kk, v in k.items() if kk not in ("privateKeyData", "privateKeyType", "publicKeyData")}
