"""Key Vault, Azure SQL, Cosmos DB and Azure ML registry ARM JSON -> storage facets.

These are data stores, so they carry the shared storage facets (network exposure, encryption
key, TLS, every region a copy lands in for residency) plus the few settings only they have
(``auditor/facets.py`` DATA_STORE). A setting the API did not return is None, never a guess;
where the service documents a default for an omitted field the default is applied and said so.
"""

from __future__ import annotations

from typing import Any

from collectors.azure.normalise import props, replica_locations

ALL_IPS = ("0.0.0.0", "255.255.255.255")
AZURE_SERVICES = ("0.0.0.0", "0.0.0.0")  # the portal's "Allow Azure services and resources to access this server"
COSMOS_TLS = {"tls": "TLS1_0", "tls11": "TLS1_1", "tls12": "TLS1_2"}
# Key Vault replicates to the paired region, except where Microsoft keeps it in-region (zone-redundant)
KEYVAULT_IN_REGION_ONLY = frozenset({"brazilsouth", "qatarcentral"})
# A diagnostic-setting log entry that exports a vault's AuditEvent log: the category itself, or a
# category group containing it ("audit" and "allLogs" both do on Microsoft.KeyVault/vaults).
AUDIT_CATEGORY = "auditevent"
AUDIT_GROUPS = frozenset({"audit", "alllogs"})
LOG_DESTINATIONS = ("storageAccountId", "workspaceId", "eventHubAuthorizationRuleId", "marketplacePartnerId")


def region(name: Any) -> str | None:
    """ARM display names ("West Europe") and programmatic names ("westeurope") -> "westeurope"."""
    return str(name).replace(" ", "").lower() if name else None


def _lower(value: Any) -> str | None:
    return str(value).lower() if value is not None else None


def _approved_private_endpoint(connections: list[dict[str, Any]] | None) -> bool:
    for c in connections or []:
        state = (c.get("properties") or {}).get("privateLinkServiceConnectionState") or {}
        if _lower(state.get("status")) == "approved":
            return True
    return False


def _network_open(public_network: Any, default_action: Any, filtered: bool = False) -> bool | None:
    """publicNetworkAccess Disabled wins; otherwise a Deny default action (or a network filter) restricts."""
    if public_network is not None and _lower(public_network) != "enabled":
        return False
    if default_action is not None:
        return _lower(default_action) == "allow"
    if filtered:
        return False
    return True if public_network is not None else None


# ---- Key Vault ---------------------------------------------------------------------------------

def vault_facets(doc: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    acls = p.get("networkAcls") or {}
    # A vault without networkAcls accepts every network (the service default), like defaultAction Allow.
    default_action = acls.get("defaultAction") if acls else ("Allow" if p.get("publicNetworkAccess") is None else None)
    primary = region(doc.get("location"))
    soft = p.get("enableSoftDelete")
    return {
        "public_network_access": _network_open(p.get("publicNetworkAccess"), default_action),
        "private_endpoint": _approved_private_endpoint(p.get("privateEndpointConnections")),
        # enableSoftDelete is returned on every vault (default true since 2020); absent means not said
        "soft_delete": bool(soft) if soft is not None else None,
        # enablePurgeProtection is omitted until it is turned on (it can never be turned off again)
        "purge_protection": bool(p.get("enablePurgeProtection")),
        # access policies (legacy) unless enableRbacAuthorization is true
        "rbac_authorization": bool(p.get("enableRbacAuthorization")),
        "encrypted": True,
        "locations": [primary] if primary else [],
        # vault contents are replicated to the paired region; None when the pair is not known
        "replica_locations": [] if primary in KEYVAULT_IN_REGION_ONLY
        else replica_locations("Standard_GRS", primary, None),
    }


def audit_logging(settings: list[dict[str, Any]] | None) -> bool | None:
    """True when one diagnostic setting sends the vault's AuditEvent log to a destination.

    ``settings`` None means they could not be read: the answer is unknown, never False.
    """
    if settings is None:
        return None
    for s in settings:
        p = props(s)
        if not any(p.get(k) for k in LOG_DESTINATIONS):
            continue  # a setting without a destination exports nothing
        for log in p.get("logs") or []:
            if log.get("enabled") is True and (
                    _lower(log.get("category")) == AUDIT_CATEGORY or _lower(log.get("categoryGroup")) in AUDIT_GROUPS):
                return True
    return False


def _expiry(p: dict[str, Any]) -> dict[str, Any]:
    attrs = p.get("attributes") or {}
    return {"expiry_set": attrs.get("exp") is not None, "enabled": attrs.get("enabled")}


def key_facets(doc: dict[str, Any], vault: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    actions = (p.get("rotationPolicy") or {}).get("lifetimeActions") or []
    rotates = any(_lower((a.get("action") or {}).get("type")) == "rotate" for a in actions)
    exp = _expiry(p)
    return {
        "expiry_set": exp["expiry_set"],
        "enabled": exp["enabled"],
        "rotation": rotates,
        "rbac_authorization": bool(props(vault).get("enableRbacAuthorization")),
        "locations": [r for r in [region(vault.get("location"))] if r],
        "replica_locations": [],  # judged on the vault, which holds every copy
    }


def secret_facets(doc: dict[str, Any], vault: dict[str, Any]) -> dict[str, Any]:
    exp = _expiry(props(doc))
    return {
        "expiry_set": exp["expiry_set"],
        "enabled": exp["enabled"],
        "rbac_authorization": bool(props(vault).get("enableRbacAuthorization")),
        "locations": [r for r in [region(vault.get("location"))] if r],
        "replica_locations": [],
    }


def metadata_only(doc: dict[str, Any]) -> dict[str, Any]:
    """A secret as the management plane lists it, minus ``value`` should a service ever send one."""
    out = dict(doc)
    out["properties"] = {k: v for k, v in props(doc).items() if k != "value"}
    return out


# ---- Azure SQL ---------------------------------------------------------------------------------

def _ranges(rules: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(str(props(r).get("startIpAddress")), str(props(r).get("endIpAddress"))) for r in rules]


def sql_server_facets(doc: dict[str, Any], firewall: list[dict[str, Any]], admins: list[dict[str, Any]],
                      protector: dict[str, Any] | None, auditing: dict[str, Any] | None,
                      failover_groups: list[dict[str, Any]]) -> dict[str, Any]:
    p = props(doc)
    ranges = _ranges(firewall)
    pp = props(protector or {})
    key_type = _lower(pp.get("serverKeyType"))
    customer = key_type == "azurekeyvault"
    ap = props(auditing or {})
    primary = region(doc.get("location"))
    partners = sorted({region(s.get("location")) for g in failover_groups
                       for s in props(g).get("partnerServers") or [] if s.get("location")} - {primary, None})
    pna = p.get("publicNetworkAccess")
    return {
        # like a storage firewall: the public endpoint admits only the listed ranges, so it is open to
        # any network only when a rule admits every address
        "public_network_access": None if pna is None else (
            _lower(pna) == "enabled" and any(a == ALL_IPS[0] and b == ALL_IPS[1] for a, b in ranges)),
        "firewall_ranges": [f"{a}-{b}" for a, b in ranges],
        "allows_all_ips": any(a == ALL_IPS[0] and b == ALL_IPS[1] for a, b in ranges),
        "allows_azure_services": any((a, b) == AZURE_SERVICES for a, b in ranges),
        "key_management": None if key_type is None else "customer" if customer else "provider",
        "kms_key": pp.get("uri") if customer else None,
        "auditing": None if auditing is None else _lower(ap.get("state")) == "enabled",
        "audit_retention_days": ap.get("retentionDays") if auditing is not None else None,
        "entra_admin": any(_lower(props(a).get("administratorType")) == "activedirectory" for a in admins),
        "min_tls": p.get("minimalTlsVersion"),
        "locations": [primary] if primary else [],
        "replica_locations": partners,
    }


def geo_backup_copies(redundancy: Any, primary: str | None) -> list[str] | None:
    """Backups kept with Geo/GeoZone redundancy are copied to the paired region (a copy for residency)."""
    if _lower(redundancy) not in ("geo", "geozone"):
        return []
    return replica_locations("Standard_GRS", primary, None)


def _union(copies: set[str | None], extra: list[str] | None, primary: str | None) -> list[str] | None:
    """None when a copy exists whose region is unknown."""
    if extra is None:
        return None
    return sorted((copies | set(extra)) - {primary, None})  # type: ignore[arg-type]


def sql_database_facets(doc: dict[str, Any], server: dict[str, Any], tde: dict[str, Any] | None,
                        links: list[dict[str, Any]], failover_groups: list[dict[str, Any]]) -> dict[str, Any]:
    """``server`` holds the server's own facets: a database is encrypted with its server's TDE protector."""
    primary = region(doc.get("location"))
    copies = {region(props(link).get("partnerLocation")) for link in links}
    for g in failover_groups:
        if doc["id"].lower() in {d.lower() for d in props(g).get("databases") or []}:
            copies |= {region(s.get("location")) for s in props(g).get("partnerServers") or []}
    state = _lower(props(tde or {}).get("state"))
    out = {
        "encrypted": None if tde is None else state == "enabled",
        "key_management": server.get("key_management"),
        "kms_key": server.get("kms_key"),
        "locations": [primary] if primary else [],
        "replica_locations": _union(copies, geo_backup_copies(
            props(doc).get("currentBackupStorageRedundancy"), primary), primary),
    }
    if is_system_database(doc):
        del out["encrypted"]  # TDE does not apply to master: no encryption verdict on it
    return out


def is_system_database(doc: dict[str, Any]) -> bool:
    return str(doc.get("name", "")).lower() == "master" or "system" in str(doc.get("kind", "")).lower()


# ---- Cosmos DB ---------------------------------------------------------------------------------

def cosmos_facets(doc: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    filtered = bool(p.get("isVirtualNetworkFilterEnabled")) or bool(p.get("ipRules"))
    writes = [region(w.get("locationName")) for w in p.get("writeLocations") or []]
    every = [region(x.get("locationName")) for x in (p.get("locations") or []) + (p.get("failoverPolicies") or [])]
    primary = [r for r in dict.fromkeys(writes) if r] or [r for r in [region(doc.get("location"))] if r]
    tls = p.get("minimalTlsVersion")
    return {
        "public_network_access": _network_open(p.get("publicNetworkAccess"), None, filtered),
        "private_endpoint": _approved_private_endpoint(p.get("privateEndpointConnections")),
        # disableLocalAuth / disableKeyBasedMetadataWriteAccess default to false: keys work until disabled
        "local_auth": not bool(p.get("disableLocalAuth")),
        "key_metadata_write": not bool(p.get("disableKeyBasedMetadataWriteAccess")),
        "encrypted": True,
        "key_management": "customer" if p.get("keyVaultKeyUri") else "provider",
        "kms_key": p.get("keyVaultKeyUri"),
        "min_tls": COSMOS_TLS.get(str(tls).lower(), tls) if tls else None,
        "locations": primary,
        # every read region and failover region holds a full copy; geo-redundant backups one more
        "replica_locations": _union({r for r in every if r} - set(primary), geo_backup_copies(
            ((p.get("backupPolicy") or {}).get("periodicModeProperties") or {}).get("backupStorageRedundancy"),
            primary[0] if primary else None), primary[0] if primary else None),
    }


# ---- Azure ML registries -----------------------------------------------------------------------

def ml_registry_facets(doc: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    primary = region(doc.get("location"))
    regions = {region(d.get("location")) for d in p.get("regionDetails") or []}
    pna = p.get("publicNetworkAccess")
    open_ = None if pna is None else _lower(pna) == "enabled"
    return {
        "public_network_access": open_,
        "public_reasons": ["publicNetworkAccess=Enabled"] if open_ else [],
        "private_endpoint": _approved_private_endpoint(
            [{"properties": {"privateLinkServiceConnectionState":
                             (c.get("properties") or {}).get("registryPrivateLinkServiceConnectionState")}}
             for c in p.get("registryPrivateEndpointConnections") or []]),
        "encrypted": True,
        "locations": [primary] if primary else [],
        # models and environments are replicated to every region the registry lists
        "replica_locations": sorted(regions - {primary, None}),
    }
