"""Vertex AI datasets and feature stores, Cloud SQL, BigQuery and Cloud KMS through the discovery
clients over HTTP to the strict fake: every seeded resource, paging at one item a page, facets,
no secrets kept, failures as unit statuses, and each rule's unsafe shape beside its safe twin."""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from auditor.demo.emulators import gcp_data_estate as d
from auditor.demo.emulators.gcp_estate import GcpEstate, sample_estate
from auditor.demo.emulators.gcp_fake import GcpFake
from auditor.facets import unknown_facet_keys
from auditor.model import UnitStatus
from auditor.rules.cis_gcp_data import FLAG_CHECKS
from auditor.rules.engine import evaluate
from tests.identity.factories import stored
from tests.rules.examples import AS_OF, CONFIG

from .conftest import anonymous_config, collect

DATA_TYPES = ["gcp.aiplatform.dataset", "gcp.aiplatform.featurestore", "gcp.aiplatform.feature_online_store",
              "gcp.sql.instance", "gcp.bigquery.dataset", "gcp.cloudkms.crypto_key"]
PROJECTS = ["ml-prod", "data-lake", "web-dev"]
RESTRICTED = {"data-classification": "restricted"}


def data_estate() -> GcpEstate:
    """The sample estate plus safe engine twins and residency breaches (kept out of the demo)."""
    estate = sample_estate()
    web, ml = estate.project("web-dev"), estate.project("ml-prod")
    assert web is not None and ml is not None
    d.sql_instance(web, "europe-west1", "mysql-safe", "MYSQL_8_0", flags=d.SAFE_MYSQL_FLAGS)
    d.sql_instance(web, "europe-west1", "mssql-safe", "SQLSERVER_2022_STANDARD", flags=d.SAFE_SQLSERVER_FLAGS)
    d.sql_instance(web, "europe-west1", "pg-loose", "POSTGRES_15", flags={
        "log_error_verbosity": "verbose", "log_statement": "all", "log_min_messages": "info",
        "log_min_error_statement": "notice", "log_min_duration_statement": "0"})
    d.sql_instance(ml, "europe-west1", "eu-db", "POSTGRES_16", labels=RESTRICTED, flags=d.SAFE_POSTGRES_FLAGS)
    d.sql_instance(ml, "us-east1", "eu-db-us", "POSTGRES_16", labels=RESTRICTED, replica_of="eu-db")
    d.sql_instance(ml, "europe-west1", "eu-db-backup-us", "POSTGRES_16", labels=RESTRICTED, backup_location="us",
                   flags=d.SAFE_POSTGRES_FLAGS)
    d.bq_dataset(ml, "us_copy", "US", labels=RESTRICTED)
    # grants on the key ring reach every key in it
    shared = d.key_ring(web, "europe-west1", "shared", bindings=[
        ("roles/cloudkms.cryptoKeyEncrypter", ["allUsers"]), ("roles/cloudkms.admin", ["user:dev@example.com"])])
    d.crypto_key(web, shared, "via-ring", bindings=[("roles/cloudkms.cryptoKeyDecrypter", ["user:dev@example.com"])])
    return estate


@pytest.fixture(scope="module")
def data_run() -> Iterator[tuple]:
    estate = data_estate()
    estate.page_size = 1  # every list of two or more items must be followed to its last page
    with GcpFake(estate, strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, projects=PROJECTS, resource_types=DATA_TYPES))
        yield fake, estate, sink, summary


def by_name(sink, type_: str | None = None) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {r.name: {"facets": json.loads(r.facets), "config": json.loads(r.config), "region": r.region,
                     "native_id": r.native_id, "account": r.account, "type": r.type}
            for r in sink.resources if type_ is None or r.type == type_}


def test_every_seeded_resource_is_collected_and_schema_valid(data_run) -> None:  # type: ignore[no-untyped-def]
    fake, _, sink, summary = data_run
    assert fake.violations == [] and summary.complete
    assert {u.status for u in sink.units} <= {UnitStatus.OK, UnitStatus.EMPTY}
    assert set(by_name(sink, "gcp.aiplatform.dataset")) == {"churn-training", "churn-scratch"}
    assert set(by_name(sink, "gcp.aiplatform.featurestore")) == {"churn_features"}
    assert set(by_name(sink, "gcp.aiplatform.feature_online_store")) == {"churn_serving", "promo_serving"}
    assert set(by_name(sink, "gcp.sql.instance")) == {"feature-db", "feature-db-replica", "legacy-mysql",
                                                      "reports-mssql", "mysql-safe", "mssql-safe", "pg-loose",
                                                      "eu-db", "eu-db-us", "eu-db-backup-us"}
    assert set(by_name(sink, "gcp.bigquery.dataset")) == {"inference", "public_stats", "lake_raw", "us_copy"}
    assert set(by_name(sink, "gcp.cloudkms.crypto_key")) == {"data", "signing", "lake-key", "old-key", "via-ring"}
    for r in sink.resources:
        assert unknown_facet_keys(r.category, json.loads(r.facets)) == [], r.type
    db = by_name(sink, "gcp.sql.instance")["legacy-mysql"]
    assert db["native_id"] == "//sqladmin.googleapis.com/projects/data-lake/instances/legacy-mysql"
    assert db["account"] == "data-lake" and db["region"] == "us-central1"
    key = by_name(sink, "gcp.cloudkms.crypto_key")["lake-key"]
    assert key["native_id"] == "//cloudkms.googleapis.com/projects/data-lake/locations/us/keyRings/lake/cryptoKeys/lake-key"


def test_pages_are_followed(data_run) -> None:  # type: ignore[no-untyped-def]
    fake = data_run[0]
    calls = fake.calls
    # page size 1: 4 + 2 + 3 instances in three projects; 3 + 1 datasets (+ an empty page per empty project)
    assert calls["sql.instances.list"] >= 10
    assert calls["bigquery.datasets.list"] >= 4
    assert calls["bigquery.datasets.get"] == 4  # one get per dataset, for access entries and the key
    assert calls["bigquery.tables.get"] == 4  # stored tables only: churn_log, daily_counts, events, events_cmek
    assert calls["bigquery.tables.list"] >= 4 + 2  # page size 1: two-table datasets take two pages
    assert calls["cloudkms.projects.locations.keyRings.cryptoKeys.list"] >= 4
    assert calls["cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy"] == 5
    assert calls["cloudkms.projects.locations.keyRings.getIamPolicy"] == 3  # one per key ring
    assert calls["cloudkms.projects.locations.list"] > len(PROJECTS) * 4
    assert calls["aiplatform.projects.locations.datasets.list"] >= 2
    assert calls["aiplatform.projects.locations.featureOnlineStores.list"] >= 2
    assert calls["aiplatform.projects.locations.featureOnlineStores.getIamPolicy"] == 2
    assert calls["aiplatform.projects.locations.featurestores.getIamPolicy"] == 1


def test_cloud_sql_facets(data_run) -> None:  # type: ignore[no-untyped-def]
    sql = by_name(data_run[2], "gcp.sql.instance")
    primary, mysql = sql["feature-db"]["facets"], sql["legacy-mysql"]["facets"]
    assert primary["replica_locations"] == ["europe-west4"] and primary["locations"] == ["europe-west1"]
    assert primary["public_ip"] is False and primary["tls_required"] is True and primary["automated_backups"] is True
    assert primary["engine"] == "postgres" and primary["key_management"] == "customer"
    assert sql["feature-db-replica"]["facets"]["replica_of"] == "ml-prod:feature-db"
    assert mysql["public_ip"] is True and mysql["authorized_networks"] == ["0.0.0.0/0"]
    assert mysql["public_network_access"] is True and mysql["tls_required"] is False
    assert mysql["db_flags"] == {"local_infile": "on"} and mysql["engine"] == "mysql"
    mssql = sql["reports-mssql"]["facets"]
    assert mssql["public_ip"] is True and mssql["public_network_access"] is False  # a narrow network only
    assert mssql["engine"] == "sqlserver"
    assert sql["eu-db-backup-us"]["facets"]["replica_locations"] == ["us"]


def test_sql_copies_and_open_networks() -> None:
    from collectors.gcp.data import allows_anyone, sql_copies

    assert allows_anyone("0.0.0.0/0") and allows_anyone("10.0.0.0/0") and not allows_anyone("0.0.0.0/1")
    assert not allows_anyone("not-a-cidr")
    inst = {"region": "europe-west1", "replicaNames": ["r1"], "failoverReplica": {"name": "f1"}}
    assert sql_copies(inst, {"r1": "europe-west4", "f1": "europe-west1"}) == ["europe-west4"]
    assert sql_copies(inst, {"r1": "europe-west4"}) is None  # the failover replica's place is unknown


def test_bigquery_and_kms_facets(data_run) -> None:  # type: ignore[no-untyped-def]
    sink = data_run[2]
    ds = by_name(sink, "gcp.bigquery.dataset")
    assert ds["public_stats"]["facets"]["public"] is True
    assert ds["public_stats"]["facets"]["public_reasons"] == ["access:allAuthenticatedUsers:READER"]
    assert ds["inference"]["facets"]["location_type"] == "multi-region"
    assert ds["inference"]["facets"]["locations"] == ["EU"] and ds["inference"]["facets"]["key_management"] == "customer"
    assert ds["lake_raw"]["facets"]["location_type"] == "region" and ds["lake_raw"]["region"] == "europe-west1"
    assert ds["lake_raw"]["facets"]["tables_without_cmek"] == ["events"]
    assert ds["inference"]["facets"]["tables_without_cmek"] == []
    assert ds["us_copy"]["facets"]["tables_without_cmek"] == []  # no tables yet
    keys = by_name(sink, "gcp.cloudkms.crypto_key")
    lake = keys["lake-key"]["facets"]
    assert lake["public"] is True and lake["rotation_period_days"] == 365.0
    assert lake["duty_conflicts"] == ["user:ops@example.com"] and lake["locations"] == ["us"]
    assert keys["data"]["facets"]["rotation_period_days"] == 90.0 and keys["data"]["facets"]["duty_conflicts"] == []
    assert keys["old-key"]["facets"]["rotation"] is False
    assert keys["signing"]["facets"]["key_purpose"] == "ASYMMETRIC_SIGN"
    ring = keys["via-ring"]["facets"]
    assert ring["public_reasons"] == ["keyRing:iam:allUsers:roles/cloudkms.cryptoKeyEncrypter"]
    assert ring["duty_conflicts"] == ["user:dev@example.com"]  # admin on the ring, decrypter on the key


def test_no_secret_or_certificate_is_stored(data_run) -> None:  # type: ignore[no-untyped-def]
    text = " ".join(r.config for r in data_run[2].resources)
    assert "BEGIN CERTIFICATE" not in text and "rootPassword" not in text


def _status(sink, rule_id: str, name: str) -> set[str]:  # type: ignore[no-untyped-def]
    rs = [stored(r) for r in sink.resources if r.name == name]
    assert rs, name
    findings, _ = evaluate(rs, rs, CONFIG, rules=[rule_id], as_of=AS_OF)
    return {f.status for f in findings if f.rule_id == rule_id}


TWINS = [
    ("kms.key_public", "lake-key", "data"),
    ("kms.key_rotation_90_days", "lake-key", "data"),     # a year vs 90 days
    ("kms.key_rotation_90_days", "old-key", "data"),      # no rotation at all
    ("kms.separation_of_duties", "lake-key", "data"),
    ("kms.key_public", "via-ring", "data"),               # allUsers on the key ring
    ("kms.separation_of_duties", "via-ring", "data"),     # admin on the ring + decrypter on the key
    ("cloudsql.ssl_required", "legacy-mysql", "feature-db"),
    ("cloudsql.public_ip", "legacy-mysql", "feature-db"),
    ("cloudsql.automated_backups", "legacy-mysql", "feature-db"),
    ("storage.public_network_access", "legacy-mysql", "reports-mssql"),  # 0.0.0.0/0 vs a narrow network
    ("storage.public", "public_stats", "inference"),
    ("storage.public", "promo_serving", "churn_serving"),                 # online store IAM allAuthenticatedUsers
    ("storage.public", "promo_serving", "churn_features"),
    ("storage.public_network_access", "promo_serving", "churn_serving"),  # public endpoint vs PSC
    ("bigquery.dataset_default_cmek", "public_stats", "inference"),
    ("bigquery.table_cmek", "lake_raw", "inference"),      # one table of two on Google's key; the view is skipped
    ("storage.customer_key_required", "churn-scratch", "churn-training"),  # restricted Vertex dataset
    ("storage.customer_key_required", "lake_raw", "inference"),            # restricted BigQuery dataset
    ("residency.multi_region_member", "us_copy", "inference"),             # US vs EU multi-region
    ("residency.replica_location", "eu-db", "feature-db"),                 # replica in us-east1 vs europe-west4
    ("residency.replica_location", "eu-db-backup-us", "feature-db"),       # backups kept in the US multi-region
    ("residency.primary_location", "eu-db-us", "feature-db"),
    ("residency.primary_location", "eu-db-us", "churn-training"),
]
UNSAFE_BY_ENGINE = {"mysql": "legacy-mysql", "postgres": "pg-loose", "sqlserver": "reports-mssql"}
SAFE_BY_ENGINE = {"mysql": "mysql-safe", "postgres": "feature-db", "sqlserver": "mssql-safe"}
TWINS += [(c.id, UNSAFE_BY_ENGINE[c.engine], SAFE_BY_ENGINE[c.engine]) for c in FLAG_CHECKS]


@pytest.mark.parametrize(("rule_id", "unsafe", "safe"), TWINS)
def test_unsafe_fails_and_safe_twin_passes(data_run, rule_id: str, unsafe: str, safe: str) -> None:  # type: ignore[no-untyped-def]
    sink = data_run[2]
    assert _status(sink, rule_id, unsafe) == {"FAIL"}, unsafe
    assert _status(sink, rule_id, safe) == {"PASS"}, safe


def test_flag_rules_skip_other_engines_and_asymmetric_keys(data_run) -> None:  # type: ignore[no-untyped-def]
    sink = data_run[2]
    assert _status(sink, "cloudsql.postgres_pgaudit", "legacy-mysql") == set()
    assert _status(sink, "kms.key_rotation_90_days", "signing") == set()
    assert _status(sink, "cloudsql.automated_backups", "feature-db-replica") == set()


def test_denied_key_policy_is_a_denied_unit_and_unread_project_policy_is_unknown() -> None:
    with GcpFake(sample_estate(), strict=True) as fake:
        fake.deny("data-lake", "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy")
        fake.deny("ml-prod", "cloudresourcemanager.projects.getIamPolicy")
        sink, summary = collect(fake, anonymous_config(fake, projects=["data-lake", "ml-prod"],
                                                       resource_types=["gcp.cloudkms.crypto_key"]))
    units = {u.unit.account: u for u in sink.units}
    assert units["data-lake"].status == UnitStatus.DENIED and not summary.complete
    assert units["ml-prod"].status == UnitStatus.OK
    key = by_name(sink, "gcp.cloudkms.crypto_key")["data"]["facets"]
    assert key["duty_conflicts"] is None and key["public"] is False
    assert _status(sink, "kms.separation_of_duties", "data") == {"UNKNOWN"}


def test_disabled_sql_admin_api_is_skipped_and_bigquery_throttling_backs_off() -> None:
    estate = sample_estate()
    estate.throttled["bigquery.datasets.get"] = 2
    with GcpFake(estate, strict=True) as fake:
        fake.disable_api("data-lake", "sqladmin.googleapis.com")
        sink, _ = collect(fake, anonymous_config(fake, projects=["data-lake"],
                                                 resource_types=["gcp.sql.instance", "gcp.bigquery.dataset"]))
    units = {u.unit.resource_type: u for u in sink.units}
    assert units["gcp.sql.instance"].status == UnitStatus.SKIPPED and "sqladmin.googleapis.com" in str(
        units["gcp.sql.instance"].error)
    assert units["gcp.bigquery.dataset"].status == UnitStatus.OK
    assert set(by_name(sink, "gcp.bigquery.dataset")) == {"public_stats", "lake_raw"}


def test_configured_regions_keep_multi_regions_and_global_keys() -> None:
    with GcpFake(sample_estate(), strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(
            fake, projects=["ml-prod", "data-lake"], regions=["us-central1"],
            resource_types=["gcp.sql.instance", "gcp.bigquery.dataset", "gcp.cloudkms.crypto_key"]))
    assert summary.complete
    names = set(by_name(sink))
    assert {"legacy-mysql", "reports-mssql"} <= names and "feature-db" not in names  # SQL in us-central1 only
    assert {"inference", "public_stats"} <= names and "lake_raw" not in names        # EU/US multi-regions kept
    assert {"lake-key", "old-key"} <= names and "data" not in names                  # KMS "us" kept


def test_datasets_past_the_table_cap_are_unknown_not_compliant(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import collectors.gcp.data as data

    monkeypatch.setattr(data, "MAX_TABLES_READ", 1)
    with GcpFake(sample_estate(), strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, projects=["data-lake"],
                                                       resource_types=["gcp.bigquery.dataset"]))
    assert summary.complete and fake.calls["bigquery.tables.get"] == 1  # daily_counts only; lake_raw has 2
    ds = by_name(sink, "gcp.bigquery.dataset")
    assert ds["lake_raw"]["facets"]["tables_without_cmek"] is None
    assert ds["public_stats"]["facets"]["tables_without_cmek"] == ["daily_counts"]
    assert "lake_raw: 2 tables, more than 1" in str(sink.units[0].error)
    assert _status(sink, "bigquery.table_cmek", "lake_raw") == {"UNKNOWN"}


def test_replication_credentials_are_dropped() -> None:
    from collectors.gcp.data import sql_config

    inst = {"name": "r", "rootPassword": "hunter2", "serverCaCert": {"cert": "-----BEGIN CERTIFICATE-----"},
            "onPremisesConfiguration": {"hostPort": "10.0.0.1:3306", "password": "hunter2", "clientKey": "k"},
            "replicaConfiguration": {"failoverTarget": False, "mysqlReplicaConfiguration": {
                "username": "repl", "password": "hunter2", "connectRetryInterval": 60}}}
    out = sql_config(inst)
    assert "hunter2" not in str(out) and "BEGIN CERTIFICATE" not in str(out)
    assert out["onPremisesConfiguration"] == {"hostPort": "10.0.0.1:3306"}
    assert out["replicaConfiguration"]["mysqlReplicaConfiguration"] == {"connectRetryInterval": 60}


def test_overnight_drift_opens_the_feature_database() -> None:
    """The demo's drift stays a payload the real API could send, and flips the shared rule."""
    estate = sample_estate()
    assert d.open_sql_to_internet(estate) == "feature-db"
    with GcpFake(estate, strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, projects=["ml-prod"], resource_types=["gcp.sql.instance"]))
    assert summary.complete and fake.violations == []
    facets = by_name(sink, "gcp.sql.instance")["feature-db"]["facets"]
    assert facets["public_ip"] is True and facets["authorized_networks"] == ["0.0.0.0/0"]
    assert _status(sink, "storage.public_network_access", "feature-db") == {"FAIL"}


def test_unset_flags_pass_only_where_the_engine_default_is_compliant(data_run) -> None:  # type: ignore[no-untyped-def]
    sink = data_run[2]  # eu-db-us is a Postgres replica without flags
    assert _status(sink, "cloudsql.postgres_log_min_messages", "eu-db-us") == {"PASS"}        # default WARNING
    assert _status(sink, "cloudsql.postgres_log_min_duration_disabled", "eu-db-us") == {"PASS"}  # default -1
    assert _status(sink, "cloudsql.postgres_log_connections", "eu-db-us") == {"FAIL"}         # default off
    assert _status(sink, "cloudsql.postgres_pgaudit", "eu-db-us") == {"FAIL"}


# ------------------------------------------------------------------ Dataproc (CIS GCP 8.1)

DATAPROC = ["gcp.dataproc.cluster"]


def test_dataproc_clusters_in_every_region_are_paged_and_judged() -> None:
    estate = sample_estate()
    data = estate.project("data-lake")
    assert data is not None
    d.dataproc_cluster(data, "us-central1", "lake-adhoc")
    newer = d.dataproc_cluster(data, "us-central1", "lake-batch")
    newer["config"]["encryptionConfig"] = {"kmsKey": "projects/data-lake/locations/us-central1/keyRings/lake/"
                                                     "cryptoKeys/raw"}  # the newer field covers the disks too
    estate.page_size = 1  # three clusters in us-central1, one region a page
    with GcpFake(estate, strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, projects=PROJECTS, resource_types=DATAPROC))
        calls = dict(fake.calls)
    assert fake.violations == [] and summary.complete
    regions = len(estate.regions())
    assert calls["compute.regions.list"] == regions * len(PROJECTS)  # one region a page, per project
    assert calls["dataproc.projects.regions.clusters.list"] == regions * len(PROJECTS) + 2  # +2 pages in us-central1
    got = by_name(sink, "gcp.dataproc.cluster")
    assert set(got) == {"churn-etl", "lake-spark", "lake-adhoc", "lake-batch"}
    etl, spark = got["churn-etl"], got["lake-spark"]
    assert etl["native_id"] == "//dataproc.googleapis.com/projects/ml-prod/regions/europe-west1/clusters/churn-etl"
    assert etl["region"] == "europe-west1" and etl["account"] == "ml-prod"
    assert etl["facets"]["key_management"] == "customer" and etl["facets"]["kms_key"] == d.KMS
    assert spark["facets"]["key_management"] == "provider" and spark["facets"]["kms_key"] is None
    assert got["lake-batch"]["facets"]["key_management"] == "customer"
    # instance metadata (startup scripts, user data) is kept by key only
    assert spark["config"]["config"]["gceClusterConfig"]["metadata"] == ["startup-script-url"]
    assert "init.sh" not in json.dumps(spark["config"])
    for r in sink.resources:
        assert unknown_facet_keys(r.category, json.loads(r.facets)) == [], r.type
    assert _status(sink, "dataproc.cmek_disabled", "lake-spark") == {"FAIL"}
    assert _status(sink, "dataproc.cmek_disabled", "lake-adhoc") == {"FAIL"}
    assert _status(sink, "dataproc.cmek_disabled", "churn-etl") == {"PASS"}
    assert _status(sink, "dataproc.cmek_disabled", "lake-batch") == {"PASS"}


def test_denied_dataproc_list_is_a_denied_unit_and_a_disabled_api_is_skipped() -> None:
    with GcpFake(sample_estate(), strict=True) as fake:
        fake.deny("data-lake", "dataproc.projects.regions.clusters.list")
        fake.disable_api("web-dev", "dataproc.googleapis.com")
        sink, summary = collect(fake, anonymous_config(fake, projects=PROJECTS, resource_types=DATAPROC))
    units = {u.unit.account: u for u in sink.units}
    assert units["data-lake"].status == UnitStatus.DENIED and not summary.complete
    assert units["web-dev"].status == UnitStatus.SKIPPED and "dataproc.googleapis.com" in str(units["web-dev"].error)
    assert units["ml-prod"].status == UnitStatus.OK
    assert set(by_name(sink, "gcp.dataproc.cluster")) == {"churn-etl"}  # nothing from the denied project


def test_configured_regions_list_only_those_and_an_unread_key_is_unknown() -> None:
    with GcpFake(sample_estate(), strict=True) as fake:
        sink, summary = collect(fake, anonymous_config(fake, projects=["ml-prod", "data-lake"],
                                                       regions=["europe-west1"], resource_types=DATAPROC))
        assert "compute.regions.list" not in fake.calls
    assert summary.complete and set(by_name(sink, "gcp.dataproc.cluster")) == {"churn-etl"}
    from tests.rules.examples_gcp_data import cluster

    unread = [stored(r) for r in cluster(key_management=None)]
    findings, _ = evaluate(unread, unread, CONFIG, rules=["dataproc.cmek_disabled"], as_of=AS_OF)
    assert [f.status for f in findings] == ["UNKNOWN"]
