"""The GCP estate's data stores and keys: Vertex AI datasets and feature stores, Cloud SQL
instances, BigQuery datasets, Cloud KMS keys and Dataproc clusters, each an unsafe shape beside its safe twin
(REST JSON of the discovery documents; never a password or a row of data).

``seed_data(estate)`` is the one hook ``sample_estate()`` calls.
"""

from __future__ import annotations

from typing import Any

from auditor.demo.emulators.gcp_estate import GcpEstate, GcpProject, _num

KMS = "projects/ml-prod/locations/europe-west1/keyRings/ring/cryptoKeys/data"
NINETY_DAYS = "7776000s"


# ------------------------------------------------------------------ Vertex AI


def vertex_dataset(p: GcpProject, region: str, name: str, *, kms: str | None = None,
                   labels: dict[str, str] | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "name": f"projects/{p.number}/locations/{region}/datasets/{_num(p.project_id + 'ds' + name)}",
        "displayName": name, "dataItemCount": "1200",
        "metadataSchemaUri": "gs://google-cloud-aiplatform/schema/dataset/metadata/tabular_1.0.0.yaml",
        "metadata": {"inputConfig": {"gcsSource": {"uri": [f"gs://{p.project_id}-datasets/{name}.csv"]}}},
        "createTime": "2026-09-01T00:00:00Z", "updateTime": "2026-10-01T00:00:00Z", "etag": "AMEw9yD=",
        "labels": dict(labels or {"team": "ml"}),
    }
    if kms:
        d["encryptionSpec"] = {"kmsKeyName": kms}
    p.vertex_datasets.append(d)
    return d


def featurestore(p: GcpProject, region: str, name: str, *, kms: str | None = None,
                 labels: dict[str, str] | None = None) -> dict[str, Any]:
    f: dict[str, Any] = {
        "name": f"projects/{p.number}/locations/{region}/featurestores/{name}",
        "createTime": "2026-09-01T00:00:00Z", "updateTime": "2026-10-01T00:00:00Z", "etag": "AMEw9yF=",
        "labels": dict(labels or {"team": "ml"}), "onlineServingConfig": {"fixedNodeCount": 1},
        "onlineStorageTtlDays": 4000, "state": "STABLE",
    }
    if kms:
        f["encryptionSpec"] = {"kmsKeyName": kms}
    p.featurestores.append(f)
    return f


def feature_online_store(p: GcpProject, region: str, name: str, *, public_endpoint: bool, kms: str | None = None,
                         public_members: list[str] | None = None,
                         labels: dict[str, str] | None = None) -> dict[str, Any]:
    """An Optimized online store: its dedicated endpoint is public unless Private Service Connect is on."""
    s: dict[str, Any] = {
        "name": f"projects/{p.number}/locations/{region}/featureOnlineStores/{name}",
        "createTime": "2026-09-01T00:00:00Z", "updateTime": "2026-10-01T00:00:00Z", "etag": "AMEw9yO=",
        "labels": dict(labels or {"team": "ml"}), "state": "STABLE", "optimized": {},
        "dedicatedServingEndpoint": (
            {"publicEndpointDomainName": f"{_num(name)[:10]}.{region}-{p.number}.featurestore.vertexai.goog"}
            if public_endpoint else
            {"privateServiceConnectConfig": {"enablePrivateServiceConnect": True,
                                             "projectAllowlist": [p.project_id]},
             "serviceAttachment": f"projects/tenant-{_num(name)[:6]}/regions/{region}/serviceAttachments/sa-1"}),
    }
    if kms:
        s["encryptionSpec"] = {"kmsKeyName": kms}
    p.feature_online_stores.append(s)
    if public_members:
        p.vertex_policies[s["name"]] = {"version": 1, "etag": "BwYfos=", "bindings": [
            {"role": "roles/aiplatform.featurestoreDataViewer", "members": list(public_members)}]}
    return s


# ------------------------------------------------------------------ Cloud SQL


def sql_instance(p: GcpProject, region: str, name: str, version: str, *, public: bool = False,
                 authorized: list[str] | None = None, ssl_mode: str = "ENCRYPTED_ONLY", backups: bool = True,
                 flags: dict[str, str] | None = None, kms: str | None = None, replica_of: str | None = None,
                 backup_location: str | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    ip_cfg: dict[str, Any] = {
        "ipv4Enabled": public, "sslMode": ssl_mode, "requireSsl": ssl_mode != "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
        "authorizedNetworks": [{"kind": "sql#aclEntry", "name": f"net-{i}", "value": c}
                               for i, c in enumerate(authorized or [])],
    }
    if not public:
        ip_cfg["privateNetwork"] = f"projects/{p.project_id}/global/networks/ml-vpc"
    addresses = [{"type": "PRIMARY", "ipAddress": f"34.77.{len(p.sql_instances)}.10"}] if public else \
        [{"type": "PRIVATE", "ipAddress": f"10.20.{len(p.sql_instances)}.3"}]
    i: dict[str, Any] = {
        "kind": "sql#instance", "name": name, "project": p.project_id, "region": region, "gceZone": f"{region}-b",
        "state": "RUNNABLE", "databaseVersion": version, "backendType": "SECOND_GEN",
        "instanceType": "READ_REPLICA_INSTANCE" if replica_of else "CLOUD_SQL_INSTANCE",
        "connectionName": f"{p.project_id}:{region}:{name}", "etag": "etag-" + _num(name)[:8],
        "selfLink": f"https://sqladmin.googleapis.com/v1/projects/{p.project_id}/instances/{name}",
        "serviceAccountEmailAddress": f"p{p.number}-abc@gcp-sa-cloud-sql.iam.gserviceaccount.com",
        "createTime": "2026-03-01T00:00:00.000Z", "ipAddresses": addresses,
        "serverCaCert": {"kind": "sql#sslCert", "certSerialNumber": "0", "cert": "-----BEGIN CERTIFICATE-----\nMIIB",
                         "commonName": "C=US,O=Google\\, Inc,CN=Google Cloud SQL Server CA"},
        "settings": {
            "kind": "sql#settings", "tier": "db-custom-2-7680", "settingsVersion": "4", "activationPolicy": "ALWAYS",
            "availabilityType": "ZONAL", "pricingPlan": "PER_USE", "dataDiskSizeGb": "20", "dataDiskType": "PD_SSD",
            "storageAutoResize": True, "deletionProtectionEnabled": not public, "ipConfiguration": ip_cfg,
            "backupConfiguration": {"kind": "sql#backupConfiguration", "enabled": backups, "startTime": "02:00",
                                    "pointInTimeRecoveryEnabled": backups,
                                    "backupRetentionSettings": {"retentionUnit": "COUNT", "retainedBackups": 7}},
            "databaseFlags": [{"name": k, "value": v} for k, v in (flags or {}).items()],
            "userLabels": dict(labels or {}),
        },
    }
    if backup_location:
        i["settings"]["backupConfiguration"]["location"] = backup_location
    if kms:
        i["diskEncryptionConfiguration"] = {"kind": "sql#diskEncryptionConfiguration", "kmsKeyName": kms}
    if replica_of:
        i["masterInstanceName"] = f"{p.project_id}:{replica_of}"
        i["settings"]["backupConfiguration"]["enabled"] = False  # replicas take no backups of their own
        primary = next(x for x in p.sql_instances if x["name"] == replica_of)
        primary.setdefault("replicaNames", []).append(name)
    p.sql_instances.append(i)
    return i


SAFE_POSTGRES_FLAGS = {"log_connections": "on", "log_disconnections": "on", "log_statement": "ddl",
                       "log_min_messages": "warning", "log_min_error_statement": "error",
                       "log_error_verbosity": "default", "log_min_duration_statement": "-1",
                       "cloudsql.enable_pgaudit": "on"}
SAFE_MYSQL_FLAGS = {"skip_show_database": "on", "local_infile": "off"}
SAFE_SQLSERVER_FLAGS = {"external scripts enabled": "off", "cross db ownership chaining": "off",
                        "user connections": "0", "remote access": "off", "3625": "on",
                        "contained database authentication": "off"}

UNSAFE_SQLSERVER_FLAGS = {"external scripts enabled": "on", "cross db ownership chaining": "on",
                          "user connections": "100", "user options": "32", "remote access": "on",
                          "contained database authentication": "on"}  # and no trace flag 3625


# ------------------------------------------------------------------ BigQuery


def bq_dataset(p: GcpProject, name: str, location: str, *, public: str | None = None, kms: str | None = None,
               labels: dict[str, str] | None = None) -> dict[str, Any]:
    access: list[dict[str, Any]] = [
        {"role": "OWNER", "specialGroup": "projectOwners"}, {"role": "WRITER", "specialGroup": "projectWriters"},
        {"role": "READER", "specialGroup": "projectReaders"},
        {"role": "OWNER", "userByEmail": f"data-eng@{p.project_id}.iam.gserviceaccount.com"},
    ]
    if public == "allAuthenticatedUsers":
        access.append({"role": "READER", "specialGroup": "allAuthenticatedUsers"})
    elif public:
        access.append({"role": "READER", "iamMember": public})
    d: dict[str, Any] = {
        "kind": "bigquery#dataset", "etag": "etag" + _num(name)[:6], "id": f"{p.project_id}:{name}",
        "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{p.project_id}/datasets/{name}",
        "datasetReference": {"projectId": p.project_id, "datasetId": name}, "access": access,
        "creationTime": "1767225600000", "lastModifiedTime": "1767225600000", "location": location,
        "labels": dict(labels or {}), "type": "DEFAULT", "maxTimeTravelHours": "168",
    }
    if kms:
        d["defaultEncryptionConfiguration"] = {"kmsKeyName": kms}
    p.bq_datasets.append(d)
    return d


def bq_table(p: GcpProject, dataset: str, name: str, *, kms: str | None = None,
             kind: str = "TABLE") -> dict[str, Any]:
    """A table as ``tables.get`` (BASIC view) answers: metadata and column names, never rows."""
    t: dict[str, Any] = {
        "kind": "bigquery#table", "etag": "etag" + _num(dataset + name)[:6], "id": f"{p.project_id}:{dataset}.{name}",
        "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{p.project_id}/datasets/{dataset}/tables/"
                    f"{name}",
        "tableReference": {"projectId": p.project_id, "datasetId": dataset, "tableId": name}, "type": kind,
        "creationTime": "1767225600000", "lastModifiedTime": "1767225600000",
        "schema": {"fields": [{"name": "id", "type": "STRING", "mode": "REQUIRED"},
                              {"name": "score", "type": "FLOAT"}]},
    }
    if kind == "VIEW":
        t["view"] = {"query": f"SELECT id FROM `{p.project_id}.{dataset}.events`", "useLegacySql": False}
    if kms:
        t["encryptionConfiguration"] = {"kmsKeyName": kms}
    p.bq_tables.setdefault(dataset, []).append(t)
    return t


# ------------------------------------------------------------------ Dataproc


def dataproc_cluster(p: GcpProject, region: str, name: str, *, kms: str | None = None,
                     labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A running two-worker cluster; ``kms`` encrypts its persistent disks (``gcePdKmsKeyName``)."""
    import hashlib
    import uuid as uuid_

    uuid = str(uuid_.UUID(hashlib.sha256(f"{p.project_id}/{region}/{name}".encode()).hexdigest()[:32], version=4))
    short = uuid[:4]
    c: dict[str, Any] = {
        "projectId": p.project_id, "clusterName": name, "clusterUuid": uuid,
        "labels": {**(labels or {}), "goog-dataproc-cluster-name": name, "goog-dataproc-cluster-uuid": uuid,
                   "goog-dataproc-location": region},
        "config": {
            "configBucket": f"dataproc-staging-{region}-{p.number}-{short}",
            "tempBucket": f"dataproc-temp-{region}-{p.number}-{short}",
            "gceClusterConfig": {
                "zoneUri": f"https://www.googleapis.com/compute/v1/projects/{p.project_id}/zones/{region}-b",
                "subnetworkUri": f"https://www.googleapis.com/compute/v1/projects/{p.project_id}/regions/{region}/"
                                 "subnetworks/default",
                "internalIpOnly": True,
                "serviceAccount": f"dataproc@{p.project_id}.iam.gserviceaccount.com",
                "serviceAccountScopes": ["https://www.googleapis.com/auth/cloud-platform"],
                "metadata": {"startup-script-url": f"gs://{p.project_id}-scripts/init.sh"},
                "shieldedInstanceConfig": {"enableSecureBoot": True, "enableVtpm": True,
                                           "enableIntegrityMonitoring": True},
            },
            "masterConfig": {
                "numInstances": 1, "instanceNames": [f"{name}-m"],
                "imageUri": f"https://www.googleapis.com/compute/v1/projects/cloud-dataproc/global/images/"
                            "dataproc-2-2-deb12-20261001-000000-rc01",
                "machineTypeUri": f"https://www.googleapis.com/compute/v1/projects/{p.project_id}/zones/{region}-b/"
                                  "machineTypes/n2-standard-4",
                "diskConfig": {"bootDiskSizeGb": 500, "bootDiskType": "pd-balanced"},
                "minCpuPlatform": "AUTOMATIC", "preemptibility": "NON_PREEMPTIBLE",
            },
            "workerConfig": {
                "numInstances": 2, "instanceNames": [f"{name}-w-0", f"{name}-w-1"],
                "imageUri": f"https://www.googleapis.com/compute/v1/projects/cloud-dataproc/global/images/"
                            "dataproc-2-2-deb12-20261001-000000-rc01",
                "machineTypeUri": f"https://www.googleapis.com/compute/v1/projects/{p.project_id}/zones/{region}-b/"
                                  "machineTypes/n2-standard-4",
                "diskConfig": {"bootDiskSizeGb": 500, "bootDiskType": "pd-balanced"},
                "minCpuPlatform": "AUTOMATIC", "preemptibility": "NON_PREEMPTIBLE",
            },
            "softwareConfig": {"imageVersion": "2.2.40-debian12",
                               "properties": {"spark:spark.executor.memory": "5739m"}},
            "endpointConfig": {"enableHttpPortAccess": False},
        },
        "status": {"state": "RUNNING", "stateStartTime": "2026-10-01T08:02:11.204Z"},
        "statusHistory": [{"state": "CREATING", "stateStartTime": "2026-10-01T08:00:00.000Z"}],
    }
    if kms:
        c["config"]["encryptionConfig"] = {"gcePdKmsKeyName": kms}
    p.dataproc_clusters.append(c)
    return c


# ------------------------------------------------------------------ Cloud KMS


def key_ring(p: GcpProject, location: str, name: str,
             bindings: list[tuple[str, list[str]]] | None = None) -> dict[str, Any]:
    r = {"name": f"projects/{p.project_id}/locations/{location}/keyRings/{name}", "createTime": "2026-01-01T00:00:00Z"}
    p.key_rings.append(r)
    if bindings:
        p.key_policies[r["name"]] = {"version": 1, "etag": "BwYring=", "bindings": [
            {"role": role, "members": list(members)} for role, members in bindings]}
    return r


def crypto_key(p: GcpProject, ring: dict[str, Any], name: str, *, rotation: str | None = NINETY_DAYS,
               purpose: str = "ENCRYPT_DECRYPT",
               bindings: list[tuple[str, list[str]]] | None = None) -> dict[str, Any]:
    algorithm = "GOOGLE_SYMMETRIC_ENCRYPTION" if purpose == "ENCRYPT_DECRYPT" else "RSA_SIGN_PSS_2048_SHA256"
    key_name = f"{ring['name']}/cryptoKeys/{name}"
    k: dict[str, Any] = {
        "name": key_name, "purpose": purpose, "createTime": "2026-01-01T00:00:00Z",
        "primary": {"name": f"{key_name}/cryptoKeyVersions/1", "state": "ENABLED", "protectionLevel": "SOFTWARE",
                    "algorithm": algorithm, "createTime": "2026-01-01T00:00:00Z",
                    "generateTime": "2026-01-01T00:00:00Z"} if purpose == "ENCRYPT_DECRYPT" else None,
        "versionTemplate": {"protectionLevel": "SOFTWARE", "algorithm": algorithm},
        "destroyScheduledDuration": "2592000s", "labels": {"team": "security"},
    }
    if k["primary"] is None:
        del k["primary"]
    if rotation:
        k.update(rotationPeriod=rotation, nextRotationTime="2027-01-01T00:00:00Z")
    p.crypto_keys.append(k)
    if bindings:
        p.key_policies[key_name] = {"version": 1, "etag": "BwYkey=", "bindings": [
            {"role": role, "members": list(members)} for role, members in bindings]}
    return k


# ------------------------------------------------------------------ the estate


def open_sql_to_internet(estate: GcpEstate) -> str:
    """The overnight drift: ml-prod's private feature database gains a public IP open to 0.0.0.0/0."""
    ml = estate.project("ml-prod")
    assert ml is not None
    db = next(i for i in ml.sql_instances if i["name"] == "feature-db")
    ip = db["settings"]["ipConfiguration"]
    ip.update(ipv4Enabled=True, authorizedNetworks=[{"kind": "sql#aclEntry", "name": "anyone", "value": "0.0.0.0/0"}])
    db["ipAddresses"] = [*db["ipAddresses"], {"type": "PRIMARY", "ipAddress": "34.77.200.10"}]
    return db["name"]


def seed_data(estate: GcpEstate) -> None:
    """ml-prod: CMEK stores and a CMEK Dataproc cluster in the EU, a private Postgres with an EU replica, a
    rotated key; data-lake: an open MySQL, a SQL Server with unsafe flags, a public US dataset, an unrotated
    public key, a Dataproc cluster on Google's key."""
    ml, data = estate.project("ml-prod"), estate.project("data-lake")
    assert ml is not None and data is not None
    restricted = {"data-classification": "restricted"}
    vertex_dataset(ml, "europe-west1", "churn-training", kms=KMS, labels=restricted)
    vertex_dataset(ml, "europe-west1", "churn-scratch", labels=restricted)  # restricted data, Google's key
    featurestore(ml, "europe-west1", "churn_features", kms=KMS, labels=restricted)
    feature_online_store(ml, "europe-west1", "churn_serving", public_endpoint=False, kms=KMS, labels=restricted)
    feature_online_store(ml, "europe-west1", "promo_serving", public_endpoint=True,
                         public_members=["allAuthenticatedUsers"])

    sql_instance(ml, "europe-west1", "feature-db", "POSTGRES_16", flags=SAFE_POSTGRES_FLAGS, kms=KMS,
                 labels=restricted)
    sql_instance(ml, "europe-west4", "feature-db-replica", "POSTGRES_16", flags=SAFE_POSTGRES_FLAGS, kms=KMS,
                 replica_of="feature-db", labels=restricted)
    sql_instance(data, "us-central1", "legacy-mysql", "MYSQL_8_0", public=True, authorized=["0.0.0.0/0"],
                 ssl_mode="ALLOW_UNENCRYPTED_AND_ENCRYPTED", backups=False, flags={"local_infile": "on"})
    sql_instance(data, "us-central1", "reports-mssql", "SQLSERVER_2022_STANDARD", public=True,
                 authorized=["203.0.113.0/24"], flags=UNSAFE_SQLSERVER_FLAGS)

    bq_dataset(ml, "inference", "EU", kms=KMS, labels=restricted)
    bq_table(ml, "inference", "churn_log", kms=KMS)
    bq_table(ml, "inference", "churn_log_daily", kind="VIEW")  # a view stores no data: no key to judge
    bq_dataset(data, "public_stats", "US", public="allAuthenticatedUsers")
    bq_table(data, "public_stats", "daily_counts")
    bq_dataset(data, "lake_raw", "europe-west1", labels=restricted)
    bq_table(data, "lake_raw", "events")
    bq_table(data, "lake_raw", "events_cmek", kms="projects/data-lake/locations/europe-west1/keyRings/lake/"
                                                  "cryptoKeys/raw")

    dataproc_cluster(ml, "europe-west1", "churn-etl", kms=KMS, labels=restricted)  # disks under the org's key
    dataproc_cluster(data, "us-central1", "lake-spark")  # disks under Google's key (CIS GCP 8.1 fails)

    ring = key_ring(ml, "europe-west1", "ring")
    crypto_key(ml, ring, "data", bindings=[
        ("roles/cloudkms.admin", ["group:kms-admins@example.com"]),
        ("roles/cloudkms.cryptoKeyEncrypterDecrypter",
         ["serviceAccount:trainer@ml-prod.iam.gserviceaccount.com"])])
    crypto_key(ml, ring, "signing", rotation=None, purpose="ASYMMETRIC_SIGN")
    lake_ring = key_ring(data, "us", "lake")
    crypto_key(data, lake_ring, "lake-key", rotation="31536000s", bindings=[
        ("roles/cloudkms.admin", ["user:ops@example.com"]),
        ("roles/cloudkms.cryptoKeyEncrypterDecrypter", ["user:ops@example.com", "allAuthenticatedUsers"])])
    crypto_key(data, lake_ring, "old-key", rotation=None)
