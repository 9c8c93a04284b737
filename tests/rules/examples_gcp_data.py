"""FAIL and PASS examples for auditor/rules/cis_gcp_data.py (Cloud KMS keys, Cloud SQL, BigQuery, Dataproc)."""

from __future__ import annotations

from typing import Any

from auditor.model import Resource
from auditor.rules.cis_gcp_data import FLAG_CHECKS
from tests.rules.examples import Estate, res


def key(**facets: Any) -> list[Resource]:
    base = {"key_purpose": "ENCRYPT_DECRYPT", "key_state": "ENABLED", "public": False, "public_reasons": [],
            "rotation": True, "rotation_period_days": 90.0, "duty_conflicts": [], "locations": ["europe-west1"]}
    return [res("gcp", "gcp.cloudkms.crypto_key", "iam", "k", {**base, **facets}, region="europe-west1")]


def sql(engine: str = "postgres", **facets: Any) -> list[Resource]:
    base = {"engine": engine, "db_flags": {}, "public_ip": False, "authorized_networks": [], "tls_required": True,
            "automated_backups": True, "public_network_access": False, "encrypted": True,
            "key_management": "provider", "locations": ["europe-west1"], "replica_locations": [],
            "location_type": "region"}
    return [res("gcp", "gcp.sql.instance", "storage", "db", {**base, **facets}, region="europe-west1")]


def dataset(**facets: Any) -> list[Resource]:
    base = {"public": False, "public_reasons": [], "encrypted": True, "locations": ["EU"],
            "replica_locations": [], "location_type": "multi-region"}
    return [res("gcp", "gcp.bigquery.dataset", "storage", "ds", {**base, **facets}, region="eu")]


def cluster(**facets: Any) -> list[Resource]:
    base = {"encrypted": True, "locations": ["europe-west1"]}
    return [res("gcp", "gcp.dataproc.cluster", "compute", "etl", {**base, **facets}, region="europe-west1")]


def _bad_value(flag: str) -> str:
    return {"log_error_verbosity": "verbose", "log_statement": "all", "log_min_messages": "info",
            "log_min_error_statement": "notice", "log_min_duration_statement": "0", "user connections": "100",
            "user options": "32"}.get(flag, "")


def _flag_examples() -> dict[str, tuple[Estate, Estate]]:
    out: dict[str, tuple[Estate, Estate]] = {}
    for c in FLAG_CHECKS:
        bad = _bad_value(c.flag) or ("off" if c.want == "on" else "on")
        safe = {} if c.want == "unset" else {c.flag: c.want}
        out[c.id] = (lambda c=c, bad=bad: sql(c.engine, db_flags={c.flag: bad}),
                     lambda c=c, safe=safe: sql(c.engine, db_flags=safe))
    return out


EXAMPLES: dict[str, tuple[Estate, Estate]] = {
    "kms.key_public": (lambda: key(public=True, public_reasons=["iam:allUsers:roles/cloudkms.cryptoKeyDecrypter"]),
                       lambda: key()),
    "kms.key_rotation_90_days": (lambda: key(rotation_period_days=365.0), lambda: key(rotation_period_days=30.0)),
    "kms.separation_of_duties": (lambda: key(duty_conflicts=["user:ops@example.com"]), lambda: key()),
    "cloudsql.ssl_required": (lambda: sql(tls_required=False), lambda: sql()),
    "cloudsql.public_ip": (lambda: sql(public_ip=True, authorized_networks=["0.0.0.0/0"]), lambda: sql()),
    "cloudsql.automated_backups": (lambda: sql(automated_backups=False), lambda: sql()),
    "bigquery.dataset_default_cmek": (lambda: dataset(key_management="provider"),
                                      lambda: dataset(key_management="customer", kms_key="projects/p/k")),
    "bigquery.table_cmek": (lambda: dataset(tables_without_cmek=["events"]), lambda: dataset(tables_without_cmek=[])),
    "dataproc.cmek_disabled": (lambda: cluster(key_management="provider", kms_key=None),
                               lambda: cluster(key_management="customer", kms_key="projects/p/locations/l/keyRings/"
                                                                                   "r/cryptoKeys/k")),
    **_flag_examples(),
}
