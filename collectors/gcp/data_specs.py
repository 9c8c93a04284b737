"""GCP data stores and keys (issue 17): Vertex AI datasets and feature stores, Cloud SQL, BigQuery, Cloud KMS.

Appended to ``specs.SPECS`` and ``specs.CALL_PERMISSIONS``; kept apart so each slice merges alone.
"""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.gcp import data
from collectors.spec import ResourceSpec

_IAM_UNORDERED = ("config.iamPolicy.bindings", "config.iamPolicy.bindings[*].members")


def _spec(type_: str, category: str, service: str, list_call: str, *, detail: tuple[str, ...] = (),
          permissions: tuple[str, ...], scope: str = "regional", rules: HashRules = HashRules(),
          collect=None, doc: str = "") -> ResourceSpec:  # type: ignore[no-untyped-def]
    return ResourceSpec(provider="gcp", type=type_, category=category, service=service, list_call=list_call,
                        detail_calls=detail, permissions=permissions, scope=scope,  # type: ignore[arg-type]
                        hash_rules=rules, collect=collect, doc=doc)


DATA_SPECS: tuple[ResourceSpec, ...] = (
    _spec("gcp.aiplatform.dataset", "storage", "aiplatform", "aiplatform.projects.locations.datasets.list",
          detail=("aiplatform.projects.locations.list",),
          permissions=("aiplatform.datasets.list", "aiplatform.locations.list"),
          rules=HashRules(volatile=("config.etag", "config.updateTime", "config.dataItemCount")),
          collect=data.collect_datasets, doc="Vertex AI datasets: region, CMEK."),
    _spec("gcp.aiplatform.featurestore", "storage", "aiplatform", "aiplatform.projects.locations.featurestores.list",
          detail=("aiplatform.projects.locations.list", "aiplatform.projects.locations.featurestores.getIamPolicy"),
          permissions=("aiplatform.featurestores.list", "aiplatform.locations.list",
                       "aiplatform.featurestores.getIamPolicy"),
          rules=HashRules(volatile=("config.etag", "config.updateTime", "config.state", "config.iamPolicy.etag"),
                          unordered=_IAM_UNORDERED),
          collect=data.collect_featurestores, doc="Vertex AI (legacy) feature stores: region, CMEK, public IAM members."),
    _spec("gcp.aiplatform.feature_online_store", "storage", "aiplatform",
          "aiplatform.projects.locations.featureOnlineStores.list",
          detail=("aiplatform.projects.locations.list",
                  "aiplatform.projects.locations.featureOnlineStores.getIamPolicy"),
          permissions=("aiplatform.featureOnlineStores.list", "aiplatform.locations.list",
                       "aiplatform.featureOnlineStores.getIamPolicy"),
          rules=HashRules(volatile=("config.etag", "config.updateTime", "config.state", "config.iamPolicy.etag"),
                          unordered=_IAM_UNORDERED),
          collect=data.collect_feature_online_stores,
          doc="Vertex AI Feature Store online stores: region, CMEK, public IAM members, public serving endpoint."),
    _spec("gcp.sql.instance", "storage", "sqladmin", "sql.instances.list",
          permissions=("cloudsql.instances.list",),
          rules=HashRules(volatile=("config.etag", "config.settings.settingsVersion", "config.currentDiskSize",
                                    "config.state", "config.scheduledMaintenance", "config.outOfDiskReport",
                                    "config.upgradableDatabaseVersions", "config.availableMaintenanceVersions"),
                          unordered=("config.replicaNames", "config.ipAddresses",
                                     "config.settings.databaseFlags", "config.settings.ipConfiguration.authorizedNetworks",
                                     "facets.authorized_networks")),
          collect=data.collect_sql_instances,
          doc="Cloud SQL instances: public IP, authorized networks, SSL mode, backups, flags, replicas' regions "
              "(no root password, no data)."),
    _spec("gcp.bigquery.dataset", "storage", "bigquery", "bigquery.datasets.list",
          detail=("bigquery.datasets.get", "bigquery.tables.list", "bigquery.tables.get"),
          permissions=("bigquery.datasets.get", "bigquery.tables.list", "bigquery.tables.get"), scope="account",
          rules=HashRules(volatile=("config.etag", "config.lastModifiedTime"),
                          unordered=("config.access", "facets.tables_without_cmek")),
          collect=data.collect_datasets_bq,
          doc="BigQuery datasets: access entries (allUsers/allAuthenticatedUsers), location incl. US/EU "
              "multi-regions, default CMEK, stored tables without CMEK (table metadata only, never rows)."),
    _spec("gcp.cloudkms.crypto_key", "iam", "cloudkms", "cloudkms.projects.locations.keyRings.cryptoKeys.list",
          detail=("cloudkms.projects.locations.list", "cloudkms.projects.locations.keyRings.list",
                  "cloudkms.projects.locations.keyRings.getIamPolicy",
                  "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy",
                  "cloudresourcemanager.projects.getIamPolicy"),
          permissions=("cloudkms.cryptoKeys.list", "cloudkms.locations.list", "cloudkms.keyRings.list",
                       "cloudkms.keyRings.getIamPolicy", "cloudkms.cryptoKeys.getIamPolicy",
                       "resourcemanager.projects.getIamPolicy"),
          rules=HashRules(volatile=("config.nextRotationTime", "config.primary", "config.iamPolicy.etag",
                                    "config.keyRingIamPolicy.etag"),
                          unordered=(*_IAM_UNORDERED, "config.keyRingIamPolicy.bindings",
                                     "config.keyRingIamPolicy.bindings[*].members")),
          collect=data.collect_crypto_keys,
          doc="Cloud KMS keys per location and key ring: rotation period, public IAM members, separation of duties."),
)

DATA_CALL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "aiplatform.projects.locations.datasets.list": ("aiplatform.datasets.list",),
    "aiplatform.projects.locations.featurestores.list": ("aiplatform.featurestores.list",),
    "aiplatform.projects.locations.featurestores.getIamPolicy": ("aiplatform.featurestores.getIamPolicy",),
    "aiplatform.projects.locations.featureOnlineStores.list": ("aiplatform.featureOnlineStores.list",),
    "aiplatform.projects.locations.featureOnlineStores.getIamPolicy": ("aiplatform.featureOnlineStores.getIamPolicy",),
    "sql.instances.list": ("cloudsql.instances.list",),
    # the list names datasets the caller may get; reading access entries and the key needs the get
    "bigquery.datasets.list": ("bigquery.datasets.get",),
    "bigquery.datasets.get": ("bigquery.datasets.get",),
    "bigquery.tables.list": ("bigquery.tables.list",),
    "bigquery.tables.get": ("bigquery.tables.get",),  # metadata (the key); rows need bigquery.tables.getData
    "cloudkms.projects.locations.list": ("cloudkms.locations.list",),
    "cloudkms.projects.locations.keyRings.list": ("cloudkms.keyRings.list",),
    "cloudkms.projects.locations.keyRings.getIamPolicy": ("cloudkms.keyRings.getIamPolicy",),
    "cloudkms.projects.locations.keyRings.cryptoKeys.list": ("cloudkms.cryptoKeys.list",),
    "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy": ("cloudkms.cryptoKeys.getIamPolicy",),
}
