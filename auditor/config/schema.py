"""The configuration schema. Unknown keys are errors: a typo must never be silently ignored."""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from auditor.rules.verdict import SEVERITIES


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def known_regions(provider: str, regions: list[str] | str) -> list[str] | str:
    """Every listed region must be in the region catalogue (auditor/data/regions.csv)."""
    if isinstance(regions, str):
        return regions
    from auditor.catalogue import lookup

    for r in regions:
        if lookup(provider, r) is None:
            raise ValueError(f"unknown {provider} region {r!r} (not in the region catalogue)")
    return regions


JURISDICTION_GROUPS = ("EU", "EEA", "*")


def known_jurisdiction(code: str) -> str:
    """ISO 3166-1 alpha-2 country code, EU, EEA or '*'."""
    import pycountry

    value = str(code).strip().upper()
    if value in JURISDICTION_GROUPS or (len(value) == 2 and pycountry.countries.get(alpha_2=value) is not None):
        return value
    raise ValueError(f"unknown jurisdiction {code!r}: use an ISO 3166 country code (DE, US...), EU, EEA or '*'")


def is_loopback_url(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DatabaseConfig(Section):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: sqlite file auditor.db next to the config file.",
    )
    query_url: str | None = Field(
        default=None,
        description="PostgreSQL URL `auditor query` connects with: the reader role (`auditor db create-reader`).",
    )
    statement_timeout: float = Field(
        default=60.0, gt=0, le=86_400, description="Seconds one `auditor query` statement may run.",
    )
    connect_timeout_s: int = Field(default=10, ge=1, le=600, description="PostgreSQL connect timeout.")


class CollectionConfig(Section):
    concurrency: int = Field(default=8, ge=1, le=256)
    batch_size: int = Field(default=500, ge=1, le=50_000)
    max_attempts: int = Field(default=6, ge=1, le=20, description="Attempts per API call on throttling.")
    progress: bool = True
    connect_timeout_s: float = Field(default=10, gt=0, le=600, description="SDK connect timeout per attempt.")
    read_timeout_s: float = Field(default=60, gt=0, le=3600, description="SDK read timeout per attempt.")
    unit_deadline_s: float = Field(
        default=900, gt=0, description="A unit still running after this is recorded 'error: timed out'.")
    run_deadline_s: float = Field(
        default=4 * 3600, gt=0, description="The whole collection: units not done by then are 'error: timed out'.")


BROKER_SCHEMES = ("amqp", "amqps", "pyamqp", "redis", "rediss")


class DistributedConfig(Section):
    """Collection on Celery workers (DESIGN.md decision 18); no broker_url means in process."""

    broker_url: str | None = Field(
        default=None, repr=False,
        description="amqp://host:5672// or redis://host:6379/0. Credentials from AUDITOR_BROKER_USER / "
                    "AUDITOR_BROKER_PASSWORD or a ${ENV} reference; never written anywhere.")
    queue: str = Field(default="auditor.collect", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
                       description="Task queue: estates sharing a broker use one queue each.")
    concurrency: int = Field(default=8, ge=1, le=256, description="Units one `auditor worker` runs at a time.")
    unit_timeout_s: float = Field(
        default=900, gt=0, le=86_400, description="A worker records a unit still running after this 'error: timed out'.")
    max_retries: int = Field(
        default=3, ge=0, le=20, description="Redeliveries of a unit (worker lost, database down) before it is 'error'.")
    result_timeout_s: float = Field(
        default=1800, gt=0, le=86_400,
        description="The coordinator gives up on the units still outstanding when none has reported for this long.")

    @field_validator("broker_url")
    @classmethod
    def _broker(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parsed = urlparse(v)  # the message never echoes the URL: it may hold a password
        if parsed.scheme not in BROKER_SCHEMES:
            raise ValueError(f"scheme {parsed.scheme or '(none)'!r} is not a broker: use amqp:// (RabbitMQ) "
                             "or redis://")
        if not parsed.hostname:
            raise ValueError("the broker URL names no host")
        try:
            parsed.port
        except ValueError:
            raise ValueError("the broker URL's port is not a number") from None
        return v


class AwsAccount(Section):
    id: str = Field(pattern=r"^\d{12}$")
    role_arn: str | None = None
    role_name: str | None = None
    external_id: str | None = None
    name: str | None = None


class AwsOrganization(Section):
    role_name: str = "OrganizationAccountAccessRole"
    exclude_accounts: list[str] = []
    external_id: str | None = None


class AwsConfig(Section):
    enabled: bool = True
    profile: str | None = None
    credential_source: Literal["default", "profile", "static-test"] = "default"
    endpoint_url: str | None = Field(
        default=None, description="Overrides every service endpoint (same as AWS_ENDPOINT_URL)."
    )
    accounts: list[AwsAccount] = []
    organization: AwsOrganization | None = None
    regions: list[str] | Literal["all"] = ["us-east-1"]
    resource_types: list[str] | None = Field(default=None, description="Globs; default all.")
    exclude_resource_types: list[str] = []

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, v: list[str] | str) -> list[str] | str:
        return known_regions("aws", v)

    @model_validator(mode="after")
    def _static_only_on_loopback(self) -> "AwsConfig":
        if self.credential_source == "static-test" and not (self.endpoint_url and is_loopback_url(self.endpoint_url)):
            raise ValueError("credential_source 'static-test' is accepted only with a loopback endpoint_url")
        if self.credential_source == "profile" and not self.profile:
            raise ValueError("credential_source 'profile' needs 'profile'")
        return self


class GcpEndpoints(Section):
    storage: str | None = None
    compute: str | None = None
    iam: str | None = None
    resourcemanager: str | None = None
    aiplatform: str | None = None  # replaces every regional {region}-aiplatform endpoint
    notebooks: str | None = None
    container: str | None = None
    artifactregistry: str | None = None
    sqladmin: str | None = None
    bigquery: str | None = None
    cloudkms: str | None = None
    logging: str | None = None
    monitoring: str | None = None
    dns: str | None = None
    apikeys: str | None = None
    serviceusage: str | None = None
    essentialcontacts: str | None = None
    dataproc: str | None = None
    accessapproval: str | None = None


class GcpConfig(Section):
    enabled: bool = True
    credentials: Literal["adc", "service_account_file", "anonymous"] = "adc"
    credentials_file: str | None = None
    projects: list[str] = []
    organization: str | None = Field(default=None, description="organizations/123 or 123")
    folders: list[str] = []
    regions: list[str] | Literal["all"] = "all"
    endpoints: GcpEndpoints = GcpEndpoints()
    resource_types: list[str] | None = None
    exclude_resource_types: list[str] = []

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, v: list[str] | str) -> list[str] | str:
        return known_regions("gcp", v)

    @model_validator(mode="after")
    def _anonymous_only_on_loopback(self) -> "GcpConfig":
        if self.credentials == "anonymous":
            urls = [u for u in self.endpoints.model_dump().values() if u]
            if not urls or not all(is_loopback_url(u) for u in urls):
                raise ValueError("credentials 'anonymous' is accepted only when every endpoint is loopback")
        if self.credentials == "service_account_file" and not self.credentials_file:
            raise ValueError("credentials 'service_account_file' needs 'credentials_file'")
        return self


class AzureConfig(Section):
    enabled: bool = True
    cloud: Literal["public", "china", "usgov"] = "public"
    arm_endpoint: str | None = None
    graph_endpoint: str | None = Field(default=None, description="Microsoft Graph base URL (default: the cloud's); "
                                                                 "directory settings are read from it.")
    credential: Literal["default", "static-test-token"] = "default"
    ca_bundle: str | None = Field(default=None, description="Extra CA bundle to trust (never disables TLS).")
    tenant_id: str | None = None
    subscriptions: list[str] | Literal["all"] = "all"
    management_group: str | None = None
    resource_types: list[str] | None = None
    exclude_resource_types: list[str] = []

    @model_validator(mode="after")
    def _static_token_only_on_loopback(self) -> "AzureConfig":
        if self.credential == "static-test-token" and not (self.arm_endpoint and is_loopback_url(self.arm_endpoint)):
            raise ValueError("credential 'static-test-token' is accepted only with a loopback arm_endpoint")
        if self.arm_endpoint and not self.arm_endpoint.startswith("https://"):
            raise ValueError("arm_endpoint must be https:// (TLS is never weakened)")
        if self.graph_endpoint and not self.graph_endpoint.startswith("https://"):
            raise ValueError("graph_endpoint must be https:// (TLS is never weakened)")
        if self.credential == "static-test-token" and self.graph_endpoint and not is_loopback_url(self.graph_endpoint):
            raise ValueError("credential 'static-test-token' is accepted only with a loopback graph_endpoint")
        return self


class EstateConfig(Section):
    """What counts as 'ours' for the identity checker: anything else is external."""

    aws_accounts: list[str] = []
    aws_organization_id: str | None = None
    gcp_organization: str | None = None
    gcp_projects: list[str] = []
    azure_tenants: list[str] = []
    github_orgs: list[str] = []
    gitlab_groups: list[str] = []


class ResidencyConfig(Section):
    classification_keys: list[str] = ["data-classification", "data_classification", "classification"]
    default_classification: str = "internal"
    allowed: dict[str, list[str]] = Field(
        default_factory=dict,
        description="classification -> allowed jurisdictions (ISO country codes, EU, EEA, or '*').",
    )

    @field_validator("allowed")
    @classmethod
    def _known_jurisdictions(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: [known_jurisdiction(j) for j in codes] for k, codes in v.items()}


class IgnoreRule(Section):
    provider: str = "*"
    type: str = "*"
    resource_key: str = "*"
    path: str = "*"
    owner: str
    reason: str
    expires: date | None = None


class ChecksConfig(Section):
    access_key_max_age_days: int = Field(default=90, ge=1)
    sa_key_max_age_days: int = Field(default=90, ge=1)
    cmk_required_for: list[str] = ["restricted", "confidential"]
    admin_ports: list[int] = [22, 3389, 1433, 3306, 5432, 6379, 27017, 9200]
    disabled_rules: list[str] = []
    aws_trusted_delegated_admins: list[str] = Field(
        default=[], description="12-digit AWS account ids the organization trusts as delegated administrators "
                                "(CIS AWS 7.0 2.1.5, 2.1.6); any other delegated administrator is a finding.")

    @field_validator("aws_trusted_delegated_admins")
    @classmethod
    def _account_ids(cls, v: list[str]) -> list[str]:
        for i, account in enumerate(v):
            if not (isinstance(account, str) and len(account) == 12 and account.isascii() and account.isdigit()):
                raise ValueError(f"item {i} is not a 12-digit AWS account id (quote it in YAML so leading zeros stay)")
        return v


class ScheduleConfig(Section):
    cron: str = "0 2 * * *"
    timezone: str = "UTC"
    misfire_grace_seconds: int = Field(default=3600, ge=1)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, v: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(v, timezone="UTC")
        except (ValueError, TypeError) as exc:
            raise ValueError(f"invalid cron expression {v!r} (minute hour day month weekday): {exc}") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class ExportConfig(Section):
    out_dir: str = "auditor-out"
    formats: list[Literal["csv", "json", "ocsf", "sarif", "html"]] = ["json", "csv", "ocsf", "sarif", "html"]


class WebhookConfig(Section):
    url: str
    min_severity: Literal[SEVERITIES] = "high"  # type: ignore[valid-type]
    timeout_seconds: float = Field(default=10, gt=0)

    @field_validator("url")
    @classmethod
    def _valid_url(cls, v: str) -> str:
        # The URL is the credential (and never echoed back): name the problem, not the value.
        try:
            parts = urlparse(v)
            host = parts.hostname
            parts.port  # noqa: B018 - raises on a bad port
        except ValueError:
            raise ValueError("not a valid URL") from None
        if parts.scheme not in ("https", "http") or not host:
            raise ValueError("must be an https:// URL with a host")
        if parts.scheme == "http" and not is_loopback_url(v):
            raise ValueError("must be https:// (http:// only for a loopback receiver): the URL is a credential")
        return v


class NotificationsConfig(Section):
    webhooks: list[WebhookConfig] = []


class CoverageFloor(Section):
    """Below this floor an audit exits 3 and notifies, whatever --fail-on says."""

    provider_without_success: bool = Field(default=True, description="Any provider with zero successful units.")
    account_fully_denied: bool = Field(default=True, description="Any account whose every unit was denied.")
    min_ratio: float = Field(default=0.0, ge=0.0, le=1.0, description="Successful / planned units, overall.")


class AuditConfig(Section):
    baseline: str | None = Field(default=None, description="Baseline name drift compares against.")
    fail_on: Literal[(*SEVERITIES, "none")] = "high"  # type: ignore[valid-type]
    coverage_floor: CoverageFloor = CoverageFloor()


class SigningConfig(Section):
    """Ed25519 key that signs the audit log head and export manifests (``auditor keys init``).

    Relative paths are relative to the config file. ``$AUDITOR_SIGNING_KEY`` overrides
    ``private_key``; ``public_key`` defaults to the private key's path + ``.pub``.
    """

    private_key: str | None = None
    public_key: str | None = None


class AuditorConfig(Section):
    database: DatabaseConfig = DatabaseConfig()
    collection: CollectionConfig = CollectionConfig()
    distributed: DistributedConfig = DistributedConfig()
    aws: AwsConfig | None = None
    gcp: GcpConfig | None = None
    azure: AzureConfig | None = None
    estate: EstateConfig = EstateConfig()
    residency: ResidencyConfig = ResidencyConfig()
    ignore: list[IgnoreRule] = []
    checks: ChecksConfig = ChecksConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    export: ExportConfig = ExportConfig()
    notifications: NotificationsConfig = NotificationsConfig()
    audit: AuditConfig = AuditConfig()
    signing: SigningConfig = SigningConfig()
