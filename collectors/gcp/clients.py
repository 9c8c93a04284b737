"""The GCP client factory: credentials, endpoint overrides and SDK clients, built on demand.

Nothing is created at import time. Collect functions ask the factory for clients, so tests
(and the demo) point the real SDKs at a loopback fake through ``GcpConfig.endpoints``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    from auditor.config.schema import GcpConfig

READ_ONLY_SCOPES = ("https://www.googleapis.com/auth/cloud-platform.read-only",)


def _cap(given: Any, bound: tuple[float, float]) -> tuple[float, float]:
    if given is None:
        return bound
    if isinstance(given, (int, float)):
        return (min(given, bound[0]), min(given, bound[1]))
    c, r = given
    return (min(c or bound[0], bound[0]), min(r or bound[1], bound[1]))


class _TimeoutAdapter(HTTPAdapter):
    """Caps every request's (connect, read) timeout: a hung endpoint fails the call, not the run."""

    def __init__(self, bound: tuple[float, float]) -> None:
        super().__init__()
        self.bound = bound

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["timeout"] = _cap(kwargs.get("timeout"), self.bound)
        return super().send(request, **kwargs)


class GcpClients:
    """Builds and caches (per factory, per thread where the SDK is not thread-safe) GCP clients.

    ``max_attempts``/``retry_base`` tune the backoff on 429/RESOURCE_EXHAUSTED; ``credentials``
    overrides the configured credential source (tests, or callers with their own chain).
    """

    def __init__(self, cfg: "GcpConfig", *, credentials: Any = None, max_attempts: int = 6,
                 retry_base: float = 0.25, connect_timeout: float = 10, read_timeout: float = 60) -> None:
        self.cfg = cfg
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self._credentials = credentials
        self._adc_project: str | None = None
        self._lock = threading.RLock()
        self._cache: dict[Any, Any] = {}
        self._local = threading.local()

    # ---------------------------------------------------------------- credentials

    def credentials(self) -> Any:
        with self._lock:
            if self._credentials is None:
                self._credentials = self._load_credentials()
            return self._credentials

    def _load_credentials(self) -> Any:
        kind = self.cfg.credentials
        if kind == "anonymous":
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()
        if kind == "service_account_file":
            from google.oauth2 import service_account

            return service_account.Credentials.from_service_account_file(
                self.cfg.credentials_file, scopes=list(READ_ONLY_SCOPES))
        import google.auth

        creds, project = google.auth.default(scopes=list(READ_ONLY_SCOPES))
        self._adc_project = project
        return creds

    def default_project(self) -> str | None:
        """The project ADC was issued for (used when no projects and no org/folders are configured)."""
        self.credentials()
        return self._adc_project

    # ---------------------------------------------------------------- endpoints

    def endpoint(self, service: str) -> str | None:
        return getattr(self.cfg.endpoints, service)

    def _options(self, service: str) -> Any:
        from google.api_core.client_options import ClientOptions

        ep = self.endpoint(service)
        return ClientOptions(api_endpoint=ep) if ep else None

    def _cached(self, key: Any, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    # ---------------------------------------------------------------- timeouts

    def _mount(self, session: Any) -> None:
        """Bound every request of a requests session by the configured connect/read timeouts."""
        adapter = _TimeoutAdapter((self.connect_timeout, self.read_timeout))
        session.mount("https://", adapter)
        session.mount("http://", adapter)

    def _bounded(self, client: Any) -> Any:
        """A google-cloud-* REST client whose session never waits longer than the timeouts.

        The generated REST transports pass per-method timeouts (often none, or 600 s); the
        adapter caps whatever they pass.
        """
        session = getattr(getattr(client, "_transport", None), "_session", None)
        if session is not None:
            self._mount(session)
        return client

    # ---------------------------------------------------------------- clients

    def compute(self, kind: str) -> Any:
        """A google-cloud-compute client by class name stem, e.g. ``"Instances"``, REST transport."""
        from google.cloud import compute_v1

        cls = getattr(compute_v1, f"{kind}Client")
        return self._cached(("compute", kind), lambda: self._bounded(cls(
            credentials=self.credentials(), transport="rest", client_options=self._options("compute"))))

    def resourcemanager(self, kind: str) -> Any:
        """A google-cloud-resource-manager v3 client: ``"Projects"``, ``"Folders"``, ``"Organizations"``."""
        from google.cloud import resourcemanager_v3

        cls = getattr(resourcemanager_v3, f"{kind}Client")
        return self._cached(("crm", kind), lambda: self._bounded(cls(
            credentials=self.credentials(), transport="rest", client_options=self._options("resourcemanager"))))

    def storage(self, project: str) -> Any:
        from google.cloud import storage

        from google.auth.transport.requests import AuthorizedSession

        ep = self.endpoint("storage")

        def build() -> Any:
            http = AuthorizedSession(self.credentials())
            self._mount(http)
            return storage.Client(project=project, credentials=self.credentials(), _http=http,
                                  client_options={"api_endpoint": ep} if ep else None)

        return self._cached(("storage", project), build)

    def _discovery(self, api: str, version: str, endpoint: str | None) -> Any:
        """A discovery client per thread (httplib2 is not thread-safe) and endpoint."""
        key = (api, version, endpoint)
        services = self._local.__dict__.setdefault("discovery", {})
        if key not in services:
            from googleapiclient.discovery import build

            opts = {"api_endpoint": endpoint.rstrip("/") + "/"} if endpoint else None
            services[key] = build(api, version, credentials=self.credentials(), static_discovery=True,
                                  cache_discovery=False, client_options=opts)
        return services[key]

    def aiplatform(self, region: str | None) -> Any:
        """Vertex AI v1 for ``region`` (its regional endpoint); None = the global one (locations)."""
        regional = region and region != "global"
        ep = self.endpoint("aiplatform") or (f"https://{region}-aiplatform.googleapis.com/" if regional else None)
        return self._discovery("aiplatform", "v1", ep)

    def notebooks(self) -> Any:
        """Workbench instances (Notebooks API v2)."""
        return self._discovery("notebooks", "v2", self.endpoint("notebooks"))

    def container(self) -> Any:
        """GKE (Kubernetes Engine API v1)."""
        return self._discovery("container", "v1", self.endpoint("container"))

    def artifactregistry(self) -> Any:
        """Artifact Registry v1 (repositories and their IAM policies)."""
        return self._discovery("artifactregistry", "v1", self.endpoint("artifactregistry"))

    def sqladmin(self) -> Any:
        """Cloud SQL Admin v1 (instances with settings, flags, IP configuration)."""
        return self._discovery("sqladmin", "v1", self.endpoint("sqladmin"))

    def bigquery(self) -> Any:
        """BigQuery v2 (datasets: access entries, location, default CMEK)."""
        return self._discovery("bigquery", "v2", self.endpoint("bigquery"))

    def cloudkms(self) -> Any:
        """Cloud KMS v1 (locations, key rings, keys and their IAM policies)."""
        return self._discovery("cloudkms", "v1", self.endpoint("cloudkms"))
    def accessapproval(self) -> Any:
        """Access Approval v1 (a project's settings: which services need explicit approval)."""
        return self._discovery("accessapproval", "v1", self.endpoint("accessapproval"))

    def dataproc(self) -> Any:
        """Dataproc v1 (clusters per region, through the global endpoint)."""
        return self._discovery("dataproc", "v1", self.endpoint("dataproc"))

    def logging(self) -> Any:
        """Cloud Logging v2 (sinks, log-based metrics)."""
        return self._discovery("logging", "v2", self.endpoint("logging"))

    def monitoring(self) -> Any:
        """Cloud Monitoring v3 (alert policies)."""
        return self._discovery("monitoring", "v3", self.endpoint("monitoring"))

    def dns(self) -> Any:
        """Cloud DNS v1 (managed zones)."""
        return self._discovery("dns", "v1", self.endpoint("dns"))

    def apikeys(self) -> Any:
        """API Keys v2 (key metadata and restrictions; never the key string)."""
        return self._discovery("apikeys", "v2", self.endpoint("apikeys"))

    def serviceusage(self) -> Any:
        """Service Usage v1 (which APIs a project has enabled)."""
        return self._discovery("serviceusage", "v1", self.endpoint("serviceusage"))

    def essentialcontacts(self) -> Any:
        """Essential Contacts v1 (who Google notifies about security, legal and suspension matters)."""
        return self._discovery("essentialcontacts", "v1", self.endpoint("essentialcontacts"))

    def iam(self) -> Any:
        """The IAM v1 discovery client (workload identity pools have no google-cloud-* client).

        httplib2 is not thread-safe, so each worker thread gets its own service object.
        """
        service = getattr(self._local, "iam", None)
        if service is None:
            import httplib2
            from google_auth_httplib2 import AuthorizedHttp
            from googleapiclient.discovery import build

            ep = self.endpoint("iam")
            opts = {"api_endpoint": ep.rstrip("/") + "/"} if ep else None
            # httplib2 has one socket timeout for connect and read: the larger of the two bounds both
            http = AuthorizedHttp(self.credentials(),
                                  http=httplib2.Http(timeout=max(self.connect_timeout, self.read_timeout)))
            service = build("iam", "v1", http=http, static_discovery=True, cache_discovery=False,
                            client_options=opts)
            self._local.iam = service
        return service
