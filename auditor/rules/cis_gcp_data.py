"""CIS GCP rules on data stores and keys: Cloud KMS keys, Cloud SQL instances, BigQuery datasets,
Dataproc clusters' disks.

Public access, residency and customer keys on sensitive data are judged by the shared storage
and residency rules; these are the checks only these services have. Database flags are a table
(``FLAG_CHECKS``): one row per flag, one rule per row, so a flag is decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from auditor.rules.facts import MISSING, facet, unknown
from auditor.rules.registry import RuleContext, RuleFn, rule
from auditor.rules.verdict import FAIL, PASS, Result

KMS_KEY = ("gcp.cloudkms.crypto_key",)
SQL = ("gcp.sql.instance",)
BIGQUERY = ("gcp.bigquery.dataset",)
DATAPROC = ("gcp.dataproc.cluster",)
MAX_ROTATION_DAYS = 90


# ------------------------------------------------------------------ Cloud KMS


@rule(id="kms.key_public", title="Cloud KMS keys are not usable by anyone on the internet", severity="high",
      kind="posture", rationale="allUsers or allAuthenticatedUsers on a key lets any Google account encrypt, "
                                "decrypt or administer with it.",
      remediation="Remove allUsers and allAuthenticatedUsers from the key's IAM policy.", types=KMS_KEY,
      reads=("public",))
def kms_key_public(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "public")
    if v is MISSING:
        return None
    if v is None:
        return unknown("key IAM policy")
    reasons = res.facets.get("public_reasons") or []
    return Result(FAIL, "public members on the key: " + ", ".join(reasons), {"public_reasons": reasons}) if v \
        else Result(PASS, "no public member on the key")


@rule(id="kms.key_rotation_90_days", title="Symmetric Cloud KMS keys rotate at least every 90 days",
      severity="medium", kind="posture",
      rationale="Rotation bounds how much data one key version protects and how long a leaked version stays "
                "useful.",
      remediation="Set a rotation period of 90 days or less (gcloud kms keys update --rotation-period=90d "
                  "--next-rotation-time=...).", types=KMS_KEY, reads=("rotation", "rotation_period_days"))
def kms_key_rotation(res: Any, ctx: RuleContext) -> Result | None:
    if res.facets.get("key_purpose") not in (None, "ENCRYPT_DECRYPT"):
        return None  # asymmetric and MAC keys cannot rotate automatically
    if res.facets.get("key_state") in ("DISABLED", "DESTROYED", "DESTROY_SCHEDULED"):
        return None
    rotation = facet(res, "rotation")
    if rotation is MISSING:
        return None
    if rotation is None:
        return unknown("rotation schedule")
    days = res.facets.get("rotation_period_days")
    ev = {"rotation_period_days": days}
    if not rotation:
        return Result(FAIL, "no automatic rotation", ev)
    if days is None:
        return unknown("rotation period", ev)
    if days > MAX_ROTATION_DAYS:
        return Result(FAIL, f"rotates every {days:g} days (more than {MAX_ROTATION_DAYS})", ev)
    return Result(PASS, f"rotates every {days:g} days", ev)


@rule(id="kms.separation_of_duties", title="No one both administers a Cloud KMS key and uses it",
      severity="medium", kind="posture",
      rationale="A Cloud KMS Admin who may also encrypt/decrypt can grant, use and destroy keys alone; "
                "separating the duties needs two people for misuse.",
      remediation="Remove roles/cloudkms.admin or the CryptoKey Encrypter/Decrypter roles from members that "
                  "hold both (project and key policies).", types=KMS_KEY, reads=("duty_conflicts",))
def kms_separation_of_duties(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "duty_conflicts")
    if v is MISSING:
        return None
    if v is None:
        return unknown("project or key IAM policy")
    return Result(FAIL, "administer and use the key: " + ", ".join(v), {"members": v}) if v \
        else Result(PASS, "key administration and use are held by different members")


# ------------------------------------------------------------------ Cloud SQL: settings


def _sql_bool(name: str, what: str, ok_text: str, bad_text: str) -> Callable[[Any], Result | None]:
    def judge(res: Any) -> Result | None:
        v = facet(res, name)
        if v is MISSING:
            return None
        if v is None:
            return unknown(what)
        return Result(PASS, ok_text) if v else Result(FAIL, bad_text)

    return judge


@rule(id="cloudsql.ssl_required", title="Cloud SQL instances accept only encrypted connections", severity="high",
      kind="posture", rationale="Unencrypted database connections expose credentials and data on the path.",
      remediation="Set the instance's SSL mode to ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED.",
      types=SQL, reads=("tls_required",))
def cloudsql_ssl_required(res: Any, ctx: RuleContext) -> Result | None:
    return _sql_bool("tls_required", "SSL mode", "only encrypted connections",
                     "unencrypted connections are accepted")(res)


@rule(id="cloudsql.public_ip", title="Cloud SQL instances have no public IP address", severity="medium",
      kind="posture", rationale="A public address puts the database one leaked password or misconfigured "
                                "authorized network away from the internet.",
      remediation="Disable the public IPv4 address and connect over private IP (or the Cloud SQL Auth Proxy over "
                  "private networking).", types=SQL, reads=("public_ip",))
def cloudsql_public_ip(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "public_ip")
    if v is MISSING:
        return None
    if v is None:
        return unknown("IP configuration")
    return Result(FAIL, "has a public IPv4 address", {"authorized_networks": res.facets.get("authorized_networks")}) \
        if v else Result(PASS, "private IP only")


@rule(id="cloudsql.automated_backups", title="Cloud SQL instances have automated backups", severity="medium",
      kind="posture", rationale="Without backups a deletion, corruption or ransomware has no recovery point.",
      remediation="Enable automated backups (and point-in-time recovery) on the instance.", types=SQL,
      reads=("automated_backups",))
def cloudsql_automated_backups(res: Any, ctx: RuleContext) -> Result | None:
    if res.facets.get("replica_of"):
        return None  # read replicas take no backups of their own; the primary's are judged
    return _sql_bool("automated_backups", "backup configuration", "automated backups enabled",
                     "automated backups disabled")(res)


# ------------------------------------------------------------------ Cloud SQL: database flags


@dataclass(frozen=True)
class FlagCheck:
    """One CIS database-flag check: which engine, which flag, which values pass, and what unset means."""

    id: str
    engine: str
    flag: str
    title: str
    ok: Callable[[str], bool]
    want: str  # the safe setting, as the remediation says it
    unset_ok: bool  # the engine's default is compliant (an unset flag passes), e.g. log_min_messages=WARNING
    rationale: str
    severity: str = "medium"


def _on(v: str) -> bool:
    return v.strip().lower() == "on"


def _off(v: str) -> bool:
    return v.strip().lower() == "off"


def _at_least(levels: tuple[str, ...], floor: str) -> Callable[[str], bool]:
    """True when the value is ``floor`` or stricter in ``levels`` (ordered verbose -> strict)."""
    return lambda v: v.strip().lower() in levels[levels.index(floor):]


PG_LEVELS = ("debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log",
             "fatal", "panic")

FLAG_CHECKS: tuple[FlagCheck, ...] = (
    FlagCheck("cloudsql.mysql_skip_show_database", "mysql", "skip_show_database",
              "MySQL instances set skip_show_database on", _on, "on", False,
              "Without it any user can list every database on the server."),
    FlagCheck("cloudsql.mysql_local_infile_off", "mysql", "local_infile",
              "MySQL instances set local_infile off", _off, "off", False,
              "LOAD DATA LOCAL lets a compromised server read files from clients."),
    FlagCheck("cloudsql.postgres_log_error_verbosity", "postgres", "log_error_verbosity",
              "PostgreSQL log_error_verbosity is DEFAULT or stricter",
              lambda v: v.strip().lower() in ("default", "terse"), "default", True, "VERBOSE error logs add source locations that are noise for auditing.", "low"),
    FlagCheck("cloudsql.postgres_log_connections", "postgres", "log_connections",
              "PostgreSQL instances log connections", _on, "on", False,
              "Connection attempts are the first trace of brute force and misuse."),
    FlagCheck("cloudsql.postgres_log_disconnections", "postgres", "log_disconnections",
              "PostgreSQL instances log disconnections", _on, "on", False,
              "Session ends and durations are needed to reconstruct what a session did."),
    FlagCheck("cloudsql.postgres_log_statement", "postgres", "log_statement",
              "PostgreSQL log_statement is set to ddl", lambda v: v.strip().lower() == "ddl", "ddl", False,
              "Schema changes must be attributable; logging every statement leaks data into logs.", "low"),
    FlagCheck("cloudsql.postgres_log_min_messages", "postgres", "log_min_messages",
              "PostgreSQL log_min_messages is WARNING or stricter", _at_least(PG_LEVELS, "warning"), "warning",
              True, "Below WARNING the log floods; above it too little is kept.", "low"),
    FlagCheck("cloudsql.postgres_log_min_error_statement", "postgres", "log_min_error_statement",
              "PostgreSQL log_min_error_statement is ERROR or stricter", _at_least(PG_LEVELS, "error"), "error",
              True, "Statements that cause errors must be logged to investigate failed attacks.", "low"),
    FlagCheck("cloudsql.postgres_log_min_duration_disabled", "postgres", "log_min_duration_statement",
              "PostgreSQL log_min_duration_statement is disabled (-1)", lambda v: v.strip() == "-1", "-1", True,
              "Logging statements by duration writes their text, including sensitive values, to the logs.", "low"),
    FlagCheck("cloudsql.postgres_pgaudit", "postgres", "cloudsql.enable_pgaudit",
              "PostgreSQL instances enable pgAudit", _on, "on", False,
              "pgAudit records who read and changed what, centrally in Cloud Logging."),
    FlagCheck("cloudsql.sqlserver_external_scripts_off", "sqlserver", "external scripts enabled",
              "SQL Server external scripts are disabled", _off, "off", True,
              "External scripts run R/Python code inside the database engine.", "high"),
    FlagCheck("cloudsql.sqlserver_cross_db_ownership_chaining_off", "sqlserver", "cross db ownership chaining",
              "SQL Server cross db ownership chaining is off", _off, "off", True,
              "Ownership chaining across databases lets a database owner reach objects in others."),
    FlagCheck("cloudsql.sqlserver_user_connections", "sqlserver", "user connections",
              "SQL Server user connections is not limited", lambda v: v.strip() == "0", "0", True,
              "A low connection cap lets anyone who can connect deny service to everyone else.", "low"),
    FlagCheck("cloudsql.sqlserver_user_options_unset", "sqlserver", "user options",
              "SQL Server user options is not configured", lambda v: False, "unset", True,
              "Global user options override per-session defaults that applications rely on.", "low"),
    FlagCheck("cloudsql.sqlserver_remote_access_off", "sqlserver", "remote access",
              "SQL Server remote access is off", _off, "off", False,
              "Remote access lets stored procedures run from and on remote servers."),
    FlagCheck("cloudsql.sqlserver_trace_3625_on", "sqlserver", "3625",
              "SQL Server trace flag 3625 is on", _on, "on", False,
              "Trace flag 3625 masks parameters in error messages shown to non-sysadmin users.", "low"),
    FlagCheck("cloudsql.sqlserver_contained_db_auth_off", "sqlserver", "contained database authentication",
              "SQL Server contained database authentication is off", _off, "off", True,
              "Contained database users authenticate inside the database, outside server-level controls."),
)


def judge_flag(check: FlagCheck, res: Any) -> Result | None:
    engine = facet(res, "engine")
    if engine is MISSING or (engine is not None and engine != check.engine):
        return None
    flags = facet(res, "db_flags")
    if engine is None or flags is None or flags is MISSING:
        return unknown("database engine and flags")
    value = flags.get(check.flag)
    ev = {"flag": check.flag, "value": value, "want": check.want}
    if value is None:
        return Result(PASS if check.unset_ok else FAIL,
                      f"'{check.flag}' is not set" + (" (the default is compliant)" if check.unset_ok else
                                                       f" (should be {check.want})"), ev)
    if check.ok(value):
        return Result(PASS, f"'{check.flag}' is {value}", ev)
    return Result(FAIL, f"'{check.flag}' is {value!r} (should be {check.want})", ev)


def _flag_rule(check: FlagCheck) -> RuleFn:
    def fn(res: Any, ctx: RuleContext) -> Result | None:
        return judge_flag(check, res)

    fn.__name__ = fn.__qualname__ = check.id.replace(".", "_")
    want = "not set" if check.want == "unset" else f"'{check.want}'"
    return rule(id=check.id, title=check.title, severity=check.severity, kind="posture",
                rationale=check.rationale,
                remediation=f"Set the database flag '{check.flag}' to {want} on the instance "
                            "(gcloud sql instances patch --database-flags; patching replaces every flag).",
                types=SQL, reads=("engine", "db_flags"))(fn)


# One module attribute per rule, so the registry (which walks module attributes) finds each.
mysql_skip_show_database, mysql_local_infile_off, postgres_log_error_verbosity, postgres_log_connections, \
    postgres_log_disconnections, postgres_log_statement, postgres_log_min_messages, \
    postgres_log_min_error_statement, postgres_log_min_duration_disabled, postgres_pgaudit, \
    sqlserver_external_scripts_off, sqlserver_cross_db_ownership_chaining_off, sqlserver_user_connections, \
    sqlserver_user_options_unset, sqlserver_remote_access_off, sqlserver_trace_3625_on, \
    sqlserver_contained_db_auth_off = (_flag_rule(c) for c in FLAG_CHECKS)


# ------------------------------------------------------------------ BigQuery


@rule(id="bigquery.dataset_default_cmek", title="BigQuery datasets have a default customer-managed key",
      severity="medium", kind="posture",
      rationale="A default CMEK makes every new table encrypted with a key the organisation can revoke and audit.",
      remediation="Set the dataset's default KMS key (bq update --default_kms_key=...).", types=BIGQUERY,
      reads=("key_management",))
def bigquery_dataset_default_cmek(res: Any, ctx: RuleContext) -> Result | None:
    km = facet(res, "key_management")
    if km is MISSING:
        return None
    if km is None:
        return unknown("default encryption configuration")
    ev = {"kms_key": res.facets.get("kms_key")}
    return Result(PASS, "default customer-managed key set", ev) if km == "customer" else \
        Result(FAIL, "no default customer-managed key (Google-managed)", ev)


@rule(id="bigquery.table_cmek", title="BigQuery tables are encrypted with customer-managed keys", severity="medium",
      kind="posture",
      rationale="A table keeps the key it was created with: tables created before a dataset default CMEK (or "
                "with an explicit Google-managed key) stay outside the organisation's key control.",
      remediation="Copy each listed table onto itself with a KMS key (bq cp -f --destination_kms_key=...), and "
                  "set a default key on the dataset for new tables.", types=BIGQUERY, reads=("tables_without_cmek",))
def bigquery_table_cmek(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "tables_without_cmek")
    if v is MISSING:
        return None
    if v is None:
        return unknown("table encryption (tables not read)")
    return Result(FAIL, f"{len(v)} table(s) use a Google-managed key: " + ", ".join(v[:10]) +
                  (" ..." if len(v) > 10 else ""), {"tables": v}) if v \
        else Result(PASS, "every stored table uses a customer-managed key")


# ------------------------------------------------------------------ Dataproc


@rule(id="dataproc.cmek_disabled", title="Dataproc clusters encrypt their disks with a customer-managed key",
      severity="medium", kind="posture",
      rationale="A cluster's persistent disks hold its HDFS data, shuffle and scratch files; under Google's key the "
                "organisation cannot revoke, rotate or audit access to them.",
      remediation="Recreate the cluster with a Cloud KMS key for its disks (gcloud dataproc clusters create ... "
                  "--gce-pd-kms-key=projects/P/locations/L/keyRings/R/cryptoKeys/K); the key cannot be added later.",
      types=DATAPROC, reads=("key_management",))
def dataproc_cmek_disabled(res: Any, ctx: RuleContext) -> Result | None:
    km = facet(res, "key_management")
    if km is MISSING:
        return None
    if km is None:
        return unknown("cluster encryption configuration")
    ev = {"kms_key": res.facets.get("kms_key")}
    return Result(PASS, "disks encrypted with a customer-managed key", ev) if km == "customer" else \
        Result(FAIL, "disks encrypted with a Google-managed key", ev)
