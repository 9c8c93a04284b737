"""GCP data stores and keys: Vertex AI datasets, feature stores and online stores, Cloud SQL
instances, BigQuery datasets (and their tables' keys) and Cloud KMS keys, each with the storage
facets the shared rules judge.

Every place a copy lands is decided here: a Cloud SQL instance's replicas (their regions, from
the same instance list) and custom backup location, a BigQuery multi-region (``US``/``EU``: its
jurisdiction, member regions undisclosed). Nothing secret is kept: Cloud SQL never returns a root password (the
field is input-only) and the CA certificate is dropped; dataset access entries name grantees,
not data. Facet layout: auditor/facets.py ``STORAGE``, ``DATABASE`` and ``KEY``.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from auditor.catalogue import gcs_members
from collectors.gcp import normalise as n
from collectors.gcp.vertex import PAGE_SIZE, _pages, regions

if TYPE_CHECKING:
    from auditor.model import Resource
    from collectors.gcp.collect import GcpJob

# Per-table CMEK needs one tables.get per table: datasets with more tables are UNKNOWN, not read.
MAX_TABLES_READ = 500
# Table kinds that hold data of their own (views hold a query, not data).
STORED_TABLE_TYPES = frozenset({"TABLE", "MATERIALIZED_VIEW", "SNAPSHOT"})
# BigQuery's multi-regions: their member regions are not disclosed, the jurisdiction is.
BIGQUERY_MULTI_REGIONS = frozenset({"US", "EU"})
# Roles no one may hold both of, anywhere a key's grants come from (CIS GCP KMS separation of duties).
KMS_ADMIN = "roles/cloudkms.admin"
KMS_CRYPTO = frozenset({"roles/cloudkms.cryptoKeyEncrypterDecrypter", "roles/cloudkms.cryptoKeyEncrypter",
                        "roles/cloudkms.cryptoKeyDecrypter"})
_SECONDS_PER_DAY = 86400


def _cmek(key: str | None) -> dict[str, Any]:
    return {"encrypted": True,  # every one of these services encrypts at rest; the question is whose key
            "key_management": "customer" if key else "provider", "kms_key": key or None}


def _single_region(region: str) -> dict[str, Any]:
    return {"locations": [region], "replica_locations": [], "location_type": "region"}


# ------------------------------------------------------------------ Vertex AI datasets, feature stores


def vertex_store_facets(obj: dict[str, Any], region: str, policy: dict[str, Any] | None = None,
                        has_policy: bool = False) -> dict[str, Any]:
    """``has_policy``: the resource has its own IAM policy (feature stores); datasets have none, and a
    project policy cannot grant allUsers, so a dataset is never public."""
    reasons = n.policy_public_reasons(policy)
    facets: dict[str, Any] = {**_cmek((obj.get("encryptionSpec") or {}).get("kmsKeyName")), **_single_region(region),
                              "public": (bool(reasons) if policy is not None else None) if has_policy else False,
                              "public_reasons": reasons}
    if "optimized" in obj:  # an Optimized online store serves from its own endpoint: public unless PSC
        psc = ((obj.get("dedicatedServingEndpoint") or {}).get("privateServiceConnectConfig") or {})
        facets["public_network_access"] = not bool(psc.get("enablePrivateServiceConnect"))
    return facets


def _vertex(job: "GcpJob", collection: str, field: str, with_policy: bool = False) -> Iterable["Resource"]:
    for region in regions(job):
        api = getattr(job.clients.aiplatform(region).projects().locations(), collection)()
        parent = f"projects/{job.scope}/locations/{region}"
        for obj in _pages(job, lambda t, a=api, p=parent: a.list(parent=p, pageSize=PAGE_SIZE, pageToken=t), field):
            pol = job.call(lambda a=api, name=obj["name"]: a.getIamPolicy(
                resource=name, options_requestedPolicyVersion=3).execute()) if with_policy else None
            config = {**obj, "iamPolicy": pol} if with_policy else obj
            yield job.resource(native_id=f"//aiplatform.googleapis.com/{obj['name']}",
                               name=obj.get("displayName") or n.last(obj["name"]), region=region, config=config,
                               facets=vertex_store_facets(obj, region, pol, with_policy), tags=obj.get("labels"))


def collect_datasets(job: "GcpJob") -> Iterable["Resource"]:
    return _vertex(job, "datasets", "datasets")


def collect_featurestores(job: "GcpJob") -> Iterable["Resource"]:
    return _vertex(job, "featurestores", "featurestores", with_policy=True)


def collect_feature_online_stores(job: "GcpJob") -> Iterable["Resource"]:
    return _vertex(job, "featureOnlineStores", "featureOnlineStores", with_policy=True)


# ------------------------------------------------------------------ Cloud SQL


def sql_engine(version: str | None) -> str | None:
    """``POSTGRES_16`` -> ``postgres``; ``MYSQL_8_0`` -> ``mysql``; ``SQLSERVER_2022_STANDARD`` -> ``sqlserver``."""
    head = str(version or "").split("_", 1)[0].lower()
    return head if head in ("postgres", "mysql", "sqlserver") else None


# Credentials an external-primary or replica configuration may echo back: never stored.
_REPLICATION_SECRETS = frozenset({"password", "clientKey", "clientCertificate", "caCertificate", "username"})


def sql_config(i: dict[str, Any]) -> dict[str, Any]:
    """The instance without what must never be stored (root password, replication credentials) or
    only churns (the CA certificate PEM)."""
    out = {k: v for k, v in i.items() if k not in ("rootPassword", "serverCaCert")}
    if isinstance(out.get("onPremisesConfiguration"), dict):
        out["onPremisesConfiguration"] = {k: v for k, v in out["onPremisesConfiguration"].items()
                                          if k not in _REPLICATION_SECRETS}
    replica = out.get("replicaConfiguration")
    if isinstance(replica, dict) and isinstance(replica.get("mysqlReplicaConfiguration"), dict):
        mysql = {k: v for k, v in replica["mysqlReplicaConfiguration"].items() if k not in _REPLICATION_SECRETS}
        out["replicaConfiguration"] = {**replica, "mysqlReplicaConfiguration": mysql}
    return out


def allows_anyone(cidr: str) -> bool:
    """An authorized network that admits every address (``0.0.0.0/0``, or any /0 however written)."""
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def sql_copies(i: dict[str, Any], regions_by_name: dict[str, str]) -> list[str] | None:
    """Every other place a copy of the data lands: read replicas and the legacy failover replica (their
    regions, from the project's instance list; one not in it is a copy of unknown place -> None) and
    a custom backup location. Backups in the default location (the multi-region nearest the
    instance, which the API does not name) are not modelled."""
    region = i.get("region")
    names = list(i.get("replicaNames") or []) + [(i.get("failoverReplica") or {}).get("name")]
    places = [regions_by_name.get(str(n)) for n in names if n]
    backup = (i.get("settings") or {}).get("backupConfiguration") or {}
    if backup.get("enabled") and backup.get("location"):
        places.append(str(backup["location"]))
    if None in places:
        return None
    return sorted({p for p in places if p and p != region})


def sql_facets(i: dict[str, Any], regions_by_name: dict[str, str]) -> dict[str, Any]:
    settings = i.get("settings") or {}
    ip = settings.get("ipConfiguration") or {}
    backup = settings.get("backupConfiguration") or {}
    public_ip = bool(ip.get("ipv4Enabled")) or any(a.get("type") == "PRIMARY" for a in i.get("ipAddresses") or [])
    networks = sorted({str(a.get("value")) for a in ip.get("authorizedNetworks") or [] if a.get("value")})
    mode = ip.get("sslMode")
    tls = mode in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED") if mode and mode != "SSL_MODE_UNSPECIFIED" \
        else bool(ip.get("requireSsl"))
    region = i.get("region")
    return {
        **_cmek((i.get("diskEncryptionConfiguration") or {}).get("kmsKeyName")),
        "locations": [region] if region else [],
        "replica_locations": sql_copies(i, regions_by_name),
        "location_type": "region",
        "public_ip": public_ip,
        "authorized_networks": networks,
        "public_network_access": public_ip and any(allows_anyone(c) for c in networks),
        "tls_required": tls,
        "automated_backups": bool(backup.get("enabled")),
        "deletion_protection": bool(settings.get("deletionProtectionEnabled")),
        "engine": sql_engine(i.get("databaseVersion")),
        "db_flags": {str(f.get("name")): str(f.get("value", "")) for f in settings.get("databaseFlags") or []
                     if f.get("name")},
        "replica_of": i.get("masterInstanceName"),
    }


def collect_sql_instances(job: "GcpJob") -> Iterable["Resource"]:
    api = job.clients.sqladmin().instances()
    items = list(_pages(job, lambda t: api.list(project=job.scope, maxResults=PAGE_SIZE, pageToken=t), "items"))
    regions_by_name = {str(i.get("name")): str(i.get("region") or "") for i in items}
    for i in items:
        if not job.in_regions(i.get("region")):
            continue
        yield job.resource(native_id=f"//sqladmin.googleapis.com/projects/{job.scope}/instances/{i['name']}",
                           name=i["name"], region=i.get("region"), config=sql_config(i),
                           facets=sql_facets(i, regions_by_name), tags=(i.get("settings") or {}).get("userLabels"))


# ------------------------------------------------------------------ BigQuery


def dataset_public_reasons(access: list[dict[str, Any]] | None) -> list[str]:
    reasons = []
    for a in access or []:
        for member in (a.get("specialGroup"), a.get("iamMember")):
            if member in n.PUBLIC_MEMBERS:
                reasons.append(f"access:{member}:{a.get('role')}")
    return sorted(set(reasons))


def dataset_facets(d: dict[str, Any], tables_without_cmek: list[str] | None = None) -> dict[str, Any]:
    location = str(d.get("location") or "")
    multi = location.upper() in BIGQUERY_MULTI_REGIONS
    reasons = dataset_public_reasons(d.get("access"))
    return {
        "public": bool(reasons), "public_reasons": reasons,
        **_cmek((d.get("defaultEncryptionConfiguration") or {}).get("kmsKeyName")),
        "locations": [location] if location else [],
        "replica_locations": gcs_members(location) if multi else [],
        "location_type": "multi-region" if multi else ("region" if location else None),
        "tables_without_cmek": tables_without_cmek,
    }


def _tables_without_cmek(job: "GcpJob", dataset_id: str) -> list[str] | None:
    """Stored tables of the dataset whose own key is Google-managed; None (and a note) past the cap."""
    tables_api = job.clients.bigquery().tables()
    listed = [t for t in _pages(job, lambda tok: tables_api.list(projectId=job.scope, datasetId=dataset_id,
                                                                  maxResults=PAGE_SIZE, pageToken=tok), "tables")
              if t.get("type", "TABLE") in STORED_TABLE_TYPES]
    if len(listed) > MAX_TABLES_READ:
        job.ctx.note(f"dataset {dataset_id}: {len(listed)} tables, more than {MAX_TABLES_READ}: table keys not read")
        return None
    missing = []
    for t in listed:
        table_id = (t.get("tableReference") or {}).get("tableId")
        table = job.call(lambda tid=table_id: tables_api.get(projectId=job.scope, datasetId=dataset_id, tableId=tid,
                                                            view="BASIC").execute())
        if not (table.get("encryptionConfiguration") or {}).get("kmsKeyName"):
            missing.append(str(table_id))
    return sorted(missing)


def collect_datasets_bq(job: "GcpJob") -> Iterable["Resource"]:
    api = job.clients.bigquery().datasets()
    for summary in _pages(job, lambda t: api.list(projectId=job.scope, all=True, maxResults=PAGE_SIZE,
                                                  pageToken=t), "datasets"):
        ref = summary.get("datasetReference") or {}
        where = str(summary.get("location") or "")
        if where.upper() not in BIGQUERY_MULTI_REGIONS and not job.in_regions(where):
            continue
        # the list answers names and locations only; access entries and the default key need the dataset
        d = job.call(lambda ds=ref.get("datasetId"): api.get(projectId=job.scope, datasetId=ds).execute())
        yield job.resource(native_id=f"//bigquery.googleapis.com/projects/{job.scope}/datasets/{ref.get('datasetId')}",
                           name=ref.get("datasetId"), region=str(d.get("location") or "").lower() or None,
                           config=d, facets=dataset_facets(d, _tables_without_cmek(job, ref.get("datasetId"))),
                           tags=d.get("labels"))


# ------------------------------------------------------------------ Cloud KMS


def _duration_days(value: str | None) -> float | None:
    """``"7776000s"`` -> 90.0 (Duration JSON); None when absent or unreadable."""
    text = str(value or "").strip()
    if not text.endswith("s"):
        return None
    try:
        return float(text[:-1]) / _SECONDS_PER_DAY
    except ValueError:
        return None


def duty_conflicts(*policies: dict[str, Any] | None) -> list[str]:
    """Members holding Cloud KMS Admin and an encrypt/decrypt role across ``policies`` (project + key)."""
    admins: set[str] = set()
    crypto: set[str] = set()
    for pol in policies:
        for b in (pol or {}).get("bindings") or []:
            members = set(b.get("members") or [])
            if b.get("role") == KMS_ADMIN:
                admins |= members
            elif b.get("role") in KMS_CRYPTO:
                crypto |= members
    return sorted(admins & crypto)


def key_facets(k: dict[str, Any], policy: dict[str, Any] | None, project_policy: dict[str, Any] | None,
               project_read: bool, location: str, ring_policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """A key's effective grants are its own policy's plus its key ring's (and the project's, which
    cannot name allUsers): public members of either make the key public."""
    reasons = n.policy_public_reasons(policy) + [f"keyRing:{r}" for r in n.policy_public_reasons(ring_policy)]
    period = _duration_days(k.get("rotationPeriod"))
    return {
        "public": bool(reasons) if policy is not None else None, "public_reasons": reasons,
        "key_purpose": k.get("purpose"),
        "key_state": (k.get("primary") or {}).get("state"),
        "rotation": period is not None,
        "rotation_period_days": period,
        "duty_conflicts": duty_conflicts(project_policy, ring_policy, policy)
        if project_read and policy is not None else None,
        "locations": [location],
    }


def _kms_locations(job: "GcpJob") -> list[str]:
    """Every KMS location of the project; with regions configured, those plus global and multi-regions."""
    api = job.clients.cloudkms().projects().locations()
    found = sorted(loc["locationId"] for loc in _pages(
        job, lambda t: api.list(name=f"projects/{job.scope}", pageSize=PAGE_SIZE, pageToken=t), "locations")
        if loc.get("locationId"))
    return [loc for loc in found if not job.regions or "-" not in loc or job.in_regions(loc)]


def _project_policy(job: "GcpJob") -> tuple[dict[str, Any] | None, bool]:
    from google.api_core import exceptions as gexc
    from google.protobuf.json_format import MessageToDict

    client = job.clients.resourcemanager("Projects")
    req = {"resource": f"projects/{job.scope}", "options": {"requested_policy_version": 3}}
    try:
        return MessageToDict(job.call(lambda: client.get_iam_policy(request=req))), True
    except gexc.GoogleAPICallError as exc:
        job.ctx.note(f"project IAM policy unreadable ({exc.__class__.__name__}): KMS separation of duties unknown")
        return None, False


def _key_rings(job: "GcpJob", location: str) -> Iterator[dict[str, Any]]:
    rings = job.clients.cloudkms().projects().locations().keyRings()
    parent = f"projects/{job.scope}/locations/{location}"
    return _pages(job, lambda t: rings.list(parent=parent, pageSize=PAGE_SIZE, pageToken=t), "keyRings")


def collect_crypto_keys(job: "GcpJob") -> Iterable["Resource"]:
    rings = job.clients.cloudkms().projects().locations().keyRings()
    keys = rings.cryptoKeys()
    project_policy, project_read = _project_policy(job)
    for location in _kms_locations(job):
        for ring in _key_rings(job, location):
            ring_policy = job.call(lambda name=ring["name"]: rings.getIamPolicy(
                resource=name, options_requestedPolicyVersion=3).execute())
            for k in _pages(job, lambda t, r=ring["name"]: keys.list(parent=r, pageSize=PAGE_SIZE, pageToken=t),
                            "cryptoKeys"):
                pol = job.call(lambda name=k["name"]: keys.getIamPolicy(
                    resource=name, options_requestedPolicyVersion=3).execute())
                yield job.resource(native_id=f"//cloudkms.googleapis.com/{k['name']}", name=n.last(k["name"]),
                                   region=location, config={**k, "iamPolicy": pol, "keyRingIamPolicy": ring_policy},
                                   facets=key_facets(k, pol, project_policy, project_read, location, ring_policy),
                                   tags=k.get("labels"))
