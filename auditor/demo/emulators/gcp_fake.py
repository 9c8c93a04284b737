"""A loopback HTTP fake of the GCP APIs the collector reads.

Serves Compute v1 (aggregated lists with per-scope warnings and ``unreachables``), Resource
Manager v3, IAM v1 (service accounts, keys, their IAM policies, workload identity pools and
providers) and the Storage JSON API (bucket location types, paging, bucket IAM) from a
declarative :class:`GcpEstate`. Routes are compiled from the official discovery documents,
so the fake only answers real API paths; every list is paged; in strict mode every payload
is validated against its discovery schema before it is sent.

    with GcpFake(sample_estate(), strict=True) as fake:
        cfg = GcpConfig(credentials="anonymous", endpoints=fake.endpoints(), ...)
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from auditor.demo.emulators.gcp_estate import GcpEstate, GcpProject
from auditor.demo.emulators.gcp_data_fake import data_handlers
from auditor.demo.emulators.gcp_cis_fake import cis_handlers
from auditor.demo.emulators.gcp_ml_fake import ml_handlers
from auditor.demo.emulators.gcp_schema import SchemaViolation, Validator, method

SERVICE_HOSTS = {
    "compute": "compute.googleapis.com",
    "iam": "iam.googleapis.com",
    "storage": "storage.googleapis.com",
    "cloudresourcemanager": "cloudresourcemanager.googleapis.com",
    "aiplatform": "aiplatform.googleapis.com",
    "notebooks": "notebooks.googleapis.com",
    "container": "container.googleapis.com",
    "artifactregistry": "artifactregistry.googleapis.com",
    "sqladmin": "sqladmin.googleapis.com",
    "bigquery": "bigquery.googleapis.com",
    "cloudkms": "cloudkms.googleapis.com",
    "logging": "logging.googleapis.com",
    "monitoring": "monitoring.googleapis.com",
    "dns": "dns.googleapis.com",
    "apikeys": "apikeys.googleapis.com",
    "serviceusage": "serviceusage.googleapis.com",
    "essentialcontacts": "essentialcontacts.googleapis.com",
    "dataproc": "dataproc.googleapis.com",
    "accessapproval": "accessapproval.googleapis.com",
}
SERVICE_TITLES = {
    "compute": "Compute Engine API",
    "iam": "Identity and Access Management (IAM) API",
    "storage": "Cloud Storage JSON API",
    "cloudresourcemanager": "Cloud Resource Manager API",
    "aiplatform": "Vertex AI API",
    "notebooks": "Notebooks API",
    "container": "Kubernetes Engine API",
    "artifactregistry": "Artifact Registry API",
    "sqladmin": "Cloud SQL Admin API",
    "bigquery": "BigQuery API",
    "cloudkms": "Cloud Key Management Service (KMS) API",
    "logging": "Cloud Logging API",
    "monitoring": "Cloud Monitoring API",
    "dns": "Cloud DNS API",
    "apikeys": "API Keys API",
    "serviceusage": "Service Usage API",
    "essentialcontacts": "Essential Contacts API",
    "dataproc": "Cloud Dataproc API",
    "accessapproval": "Access Approval API",
}


# APIs whose paths collide with another's on the one loopback server (``v1/projects/{p}/locations``
# is both Vertex AI's and Artifact Registry's): served under a path prefix, named in endpoints().
PATH_PREFIX = {"artifactregistry": "artifactregistry/", "cloudkms": "cloudkms/"}
# An endpoint override replaces rootUrl + servicePath: APIs with a servicePath carry it in theirs.
SERVICE_PATH = {"bigquery": "bigquery/v2"}


class ApiError(Exception):
    """An error answered in Google's JSON error format."""

    def __init__(self, code: int, status: str, message: str, reason: str, domain: str = "global",
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code, self.status, self.message, self.reason, self.domain = code, status, message, reason, domain
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return {"error": {
            "code": self.code,
            "message": self.message,
            "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
            "status": self.status,
            **({"details": self.details} if self.details else {}),
        }}


def service_disabled(api: str, project: GcpProject) -> ApiError:
    host = SERVICE_HOSTS[api]
    msg = (f"{SERVICE_TITLES[api]} has not been used in project {project.number} before or it is disabled. "
           f"Enable it by visiting https://console.developers.google.com/apis/api/{host}/overview?project="
           f"{project.number} then retry. If you enabled this API recently, wait a few minutes for the action "
           "to propagate to our systems and retry.")
    return ApiError(403, "PERMISSION_DENIED", msg, "accessNotConfigured", "usageLimits", [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
         "domain": "googleapis.com",
         "metadata": {"service": host, "consumer": f"projects/{project.number}",
                      "serviceTitle": SERVICE_TITLES[api], "activationUrl":
                      f"https://console.developers.google.com/apis/api/{host}/overview?project={project.number}"}},
        {"@type": "type.googleapis.com/google.rpc.Help", "links": [
            {"description": "Google developers console API activation",
             "url": f"https://console.developers.google.com/apis/api/{host}/overview?project={project.number}"}]},
    ])


def permission_denied(permission: str, resource: str) -> ApiError:
    msg = f"Permission '{permission}' denied on resource '{resource}' (or it may not exist)."
    return ApiError(403, "PERMISSION_DENIED", msg, "forbidden", "global", [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED",
         "domain": "iam.googleapis.com", "metadata": {"permission": permission, "resource": resource}}])


def rate_limited(api: str) -> ApiError:
    msg = f"Quota exceeded for quota metric 'Read requests' of service '{SERVICE_HOSTS[api]}'."
    return ApiError(429, "RESOURCE_EXHAUSTED", msg, "rateLimitExceeded", "usageLimits", [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
         "domain": "googleapis.com", "metadata": {"service": SERVICE_HOSTS[api], "quota_metric": "read_requests"}}])


def not_found(what: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", f"The resource '{what}' was not found", "notFound")


@dataclass
class Request:
    params: dict[str, str]
    query: dict[str, list[str]]
    body: dict[str, Any]

    def q(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


Handler = Callable[[Request], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    api: str
    method_id: str
    http_method: str
    pattern: re.Pattern[str]
    response: str | None
    handler: Handler


def _compile(path: str) -> re.Pattern[str]:
    out, pos = "", 0
    for m in re.finditer(r"\{(\+?)([^}]+)\}", path):
        out += re.escape(path[pos:m.start()])
        out += f"(?P<{m.group(2)}>.+?)" if m.group(1) else f"(?P<{m.group(2)}>[^/:]+)"
        pos = m.end()
    out += re.escape(path[pos:])
    return re.compile("^/" + out + "$")


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


class GcpFake:
    """The fake's state and HTTP server. ``start()`` returns the base URL; ``stop()`` ends it."""

    def __init__(self, estate: GcpEstate, *, strict: bool = False, host: str = "127.0.0.1") -> None:
        self.estate = estate
        self.strict = strict
        self.host = host
        self.violations: list[str] = []  # schema violations seen (strict or not)
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()
        self._validators: dict[str, Validator] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.routes = self._routes()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> str:
        if self._server is not None:
            return self.base_url
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                fake._serve(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake._serve(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

        self._server = ThreadingHTTPServer((self.host, 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="gcp-fake", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "GcpFake":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("GcpFake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def endpoints(self) -> dict[str, str]:
        """Per-service endpoint overrides for GcpConfig.endpoints (one server serves all)."""
        return {name: self.base_url + ("/" + PATH_PREFIX[name].rstrip("/") if name in PATH_PREFIX else "")
                + ("/" + SERVICE_PATH[name] if name in SERVICE_PATH else "")
                for name in ("storage", "compute", "iam", "resourcemanager", "aiplatform", "notebooks", "container",
                             "artifactregistry", "sqladmin", "bigquery", "cloudkms", "logging", "monitoring", "dns",
                             "apikeys", "serviceusage", "essentialcontacts", "dataproc", "accessapproval")}

    # ------------------------------------------------------------ switches

    def disable_api(self, project_id: str, service: str) -> None:
        self.estate.disabled_apis.setdefault(project_id, set()).add(service)

    def make_zone_unreachable(self, zone: str) -> None:
        self.estate.unreachable_zones.add(zone)

    def deny(self, project_id: str, method_id: str) -> None:
        self.estate.denied.add((project_id, method_id))

    # ------------------------------------------------------------ HTTP plumbing

    def _serve(self, h: BaseHTTPRequestHandler, verb: str) -> None:
        parts = urlsplit(h.path)
        path = unquote(parts.path)
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        status, payload = 404, not_found(path).body()
        for route in self.routes:
            if route.http_method != verb:
                continue
            m = route.pattern.match(path)
            if not m:
                continue
            with self._lock:
                self.calls[route.method_id] = self.calls.get(route.method_id, 0) + 1
            try:
                body = json.loads(raw) if raw else {}
                payload = route.handler(Request(m.groupdict(), parse_qs(parts.query), body))
                status = 200
                if route.response:
                    self._validate(route, payload)
            except ApiError as err:
                status, payload = err.code, err.body()
            except SchemaViolation as err:
                status, payload = 500, ApiError(500, "INTERNAL", f"fake payload rejected: {err}", "backendError").body()
            break
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _validate(self, route: Route, payload: dict[str, Any]) -> None:
        validator = self._validators.get(route.api)
        if validator is None:
            validator = self._validators[route.api] = Validator(route.api)
        errors = validator.errors(route.response or "", payload)
        if errors:
            text = f"{route.method_id} -> {route.response}: " + "; ".join(errors[:5])
            with self._lock:
                self.violations.append(text)
            if self.strict:
                raise SchemaViolation(text)

    def _route(self, api: str, method_id: str, handler: Handler) -> Route:
        m = method(api, method_id)
        return Route(api, method_id, m.http_method, _compile(PATH_PREFIX.get(api, "") + m.path), m.response, handler)

    # ------------------------------------------------------------ gates

    def _project(self, key: str | None) -> GcpProject:
        project = self.estate.project(key or "")
        if project is None or project.state != "ACTIVE":
            raise permission_denied("resourcemanager.projects.get", f"projects/{key}")
        return project

    def _gate(self, api: str, method_id: str, project: GcpProject | None) -> None:
        """Apply the failure switches: throttling, disabled APIs, denied permissions."""
        with self._lock:
            left = self.estate.throttled.get(method_id, 0)
            if left > 0:
                self.estate.throttled[method_id] = left - 1
        if left > 0:
            raise rate_limited(api)
        if project is None:
            return
        if SERVICE_HOSTS[api] in self.estate.disabled_apis.get(project.project_id, set()):
            raise service_disabled(api, project)
        if (project.project_id, method_id) in self.estate.denied:
            perm = method_id.replace("cloudresourcemanager.", "resourcemanager.")
            raise permission_denied(perm, f"projects/{project.project_id}")

    def _page(self, items: list[Any], req: Request, size_param: str) -> tuple[list[Any], str | None]:
        start = int((req.q("pageToken") or "tok-0").removeprefix("tok-"))
        size = int(req.q(size_param) or self.estate.page_size)
        size = min(size, self.estate.page_size)
        end = start + size
        return items[start:end], (f"tok-{end}" if end < len(items) else None)

    # ------------------------------------------------------------ routes

    def _routes(self) -> list[Route]:
        r = self._route
        routes = [
            r("compute", "compute.instances.aggregatedList", self._agg("compute.instances.aggregatedList",
                                                                        "instances", "instances", "zone")),
            r("compute", "compute.disks.aggregatedList", self._agg("compute.disks.aggregatedList", "disks", "disks",
                                                                    "zone")),
            r("compute", "compute.subnetworks.aggregatedList", self._agg("compute.subnetworks.aggregatedList",
                                                                          "subnetworks", "subnetworks", "region")),
            r("compute", "compute.networks.list", self._global("compute.networks.list", "networks")),
            r("compute", "compute.firewalls.list", self._global("compute.firewalls.list", "firewalls")),
            r("compute", "compute.routes.list", self._global("compute.routes.list", "routes")),
            r("compute", "compute.projects.get", self._compute_project),
            r("storage", "storage.buckets.list", self._buckets),
            r("storage", "storage.buckets.getIamPolicy", self._bucket_policy),
            r("cloudresourcemanager", "cloudresourcemanager.projects.list", self._crm_projects),
            r("cloudresourcemanager", "cloudresourcemanager.projects.search", self._crm_search),
            r("cloudresourcemanager", "cloudresourcemanager.folders.list", self._crm_folders),
            r("cloudresourcemanager", "cloudresourcemanager.projects.getIamPolicy", self._crm_project_policy),
            r("cloudresourcemanager", "cloudresourcemanager.folders.getIamPolicy", self._crm_folder_policy),
            r("cloudresourcemanager", "cloudresourcemanager.organizations.getIamPolicy", self._crm_org_policy),
            r("iam", "iam.projects.serviceAccounts.list", self._sa_list),
            r("iam", "iam.projects.serviceAccounts.keys.list", self._sa_keys),
            r("iam", "iam.projects.serviceAccounts.getIamPolicy", self._sa_policy),
            r("iam", "iam.projects.locations.workloadIdentityPools.list", self._pools),
            r("iam", "iam.projects.locations.workloadIdentityPools.providers.list", self._providers),
            *(r(api, method_id, handler) for api, method_id, handler in ml_handlers(self)),
            *(r(api, method_id, handler) for api, method_id, handler in data_handlers(self)),
            *(r(api, method_id, handler) for api, method_id, handler in cis_handlers(self)),
        ]
        # literal paths before templated ones (":search" must not be read as a name)
        return sorted(routes, key=lambda x: x.pattern.pattern.count("(?P<"))

    # compute ------------------------------------------------------

    def _agg(self, method_id: str, attr: str, key: str, scope_field: str) -> Handler:
        def handle(req: Request) -> dict[str, Any]:
            project = self._project(req.params["project"])
            self._gate("compute", method_id, project)
            partial = (req.q("returnPartialSuccess") or "").lower() == "true"
            scope_kind = "zones" if scope_field == "zone" else "regions"
            all_scopes = sorted(set(self.estate.zones) if scope_kind == "zones" else set(self.estate.regions()))
            # an unreachable zone affects zonal lists only (its region still answers)
            unreachable = set(self.estate.unreachable_zones) if scope_kind == "zones" else set()
            flat = [(f"{scope_kind}/{_last(it[scope_field])}", it) for it in getattr(project, attr)
                    if _last(it[scope_field]) not in unreachable]
            page, token = self._page(flat, req, "maxResults")
            items: dict[str, Any] = {}
            for scope, it in page:
                items.setdefault(scope, {key: []})[key].append(it)
            out: dict[str, Any] = {"kind": f"compute#{key[:-1]}AggregatedList",
                                   "id": f"projects/{project.project_id}/aggregated/{key}",
                                   "selfLink": f"https://www.googleapis.com/compute/v1/projects/"
                                               f"{project.project_id}/aggregated/{key}"}
            if not req.q("pageToken"):  # scope warnings and unreachables come with the first page
                for s in all_scopes:
                    scope = f"{scope_kind}/{s}"
                    if s in unreachable:
                        if partial:
                            out.setdefault("unreachables", []).append(scope)
                        else:
                            items[scope] = {"warning": {"code": "UNREACHABLE", "message":
                                            f"Scope '{scope}' is unreachable.",
                                            "data": [{"key": "scope", "value": scope}]}}
                    elif scope not in items and not any(sc == scope for sc, _ in flat):
                        items[scope] = {"warning": {"code": "NO_RESULTS_ON_PAGE", "message":
                                        f"There are no results for scope '{scope}' on this page.",
                                        "data": [{"key": "scope", "value": scope}]}}
            out["items"] = items
            if token:
                out["nextPageToken"] = token
            return out

        return handle

    def _global(self, method_id: str, attr: str) -> Handler:
        def handle(req: Request) -> dict[str, Any]:
            project = self._project(req.params["project"])
            self._gate("compute", method_id, project)
            page, token = self._page(getattr(project, attr), req, "maxResults")
            out: dict[str, Any] = {"kind": f"compute#{attr[:-1]}List", "id": f"projects/{project.project_id}/global/{attr}",
                                   "items": page, "selfLink": f"https://www.googleapis.com/compute/v1/projects/"
                                                              f"{project.project_id}/global/{attr}"}
            if token:
                out["nextPageToken"] = token
            return out

        return handle

    def _compute_project(self, req: Request) -> dict[str, Any]:
        project = self._project(req.params["project"])
        self._gate("compute", "compute.projects.get", project)
        return {"kind": "compute#project", "id": project.number, "name": project.project_id,
                "creationTimestamp": "2020-01-01T00:00:00.000-08:00",
                "commonInstanceMetadata": {"kind": "compute#metadata", "fingerprint": "projmd=",
                                           "items": list(project.common_metadata)},
                "defaultNetworkTier": "PREMIUM", "xpnProjectStatus": "UNSPECIFIED_XPN_PROJECT_STATUS",
                "selfLink": f"https://www.googleapis.com/compute/v1/projects/{project.project_id}"}

    # storage ------------------------------------------------------

    def _buckets(self, req: Request) -> dict[str, Any]:
        project = self._project(req.q("project"))
        self._gate("storage", "storage.buckets.list", project)
        page, token = self._page(project.buckets, req, "maxResults")
        out: dict[str, Any] = {"kind": "storage#buckets", "items": page}
        if token:
            out["nextPageToken"] = token
        return out

    def _bucket_policy(self, req: Request) -> dict[str, Any]:
        name = req.params["bucket"]
        for project in self.estate.projects:
            if any(b["name"] == name for b in project.buckets):
                self._gate("storage", "storage.buckets.getIamPolicy", project)
                default = {"version": 1, "etag": "CAE=", "bindings": [
                    {"role": "roles/storage.legacyBucketOwner",
                     "members": [f"projectEditor:{project.project_id}", f"projectOwner:{project.project_id}"]},
                    {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project.project_id}"]}]}
                pol = dict(project.bucket_policies.get(name) or default)
                return {"kind": "storage#policy", "resourceId": f"projects/_/buckets/{name}", **pol}
        raise not_found(f"b/{name}")

    # resource manager ---------------------------------------------

    def _project_json(self, p: GcpProject) -> dict[str, Any]:
        return {"name": f"projects/{p.number}", "parent": p.parent, "projectId": p.project_id, "state": p.state,
                "displayName": p.project_id, "createTime": "2024-01-01T00:00:00Z", "etag": f"W/\"{p.number}\""}

    def _crm_projects(self, req: Request) -> dict[str, Any]:
        self._gate("cloudresourcemanager", "cloudresourcemanager.projects.list", None)
        parent = req.q("parent")
        show_deleted = (req.q("showDeleted") or "").lower() == "true"
        found = [self._project_json(p) for p in self.estate.projects
                 if p.parent == parent and (show_deleted or p.state == "ACTIVE")]
        page, token = self._page(found, req, "pageSize")
        return {"projects": page, **({"nextPageToken": token} if token else {})}

    def _crm_search(self, req: Request) -> dict[str, Any]:
        self._gate("cloudresourcemanager", "cloudresourcemanager.projects.search", None)
        found = [self._project_json(p) for p in self.estate.projects if p.state == "ACTIVE"]
        page, token = self._page(found, req, "pageSize")
        return {"projects": page, **({"nextPageToken": token} if token else {})}

    def _crm_folders(self, req: Request) -> dict[str, Any]:
        self._gate("cloudresourcemanager", "cloudresourcemanager.folders.list", None)
        parent = req.q("parent")
        found = [f for f in self.estate.folders if f["parent"] == parent and f.get("state", "ACTIVE") == "ACTIVE"]
        page, token = self._page(found, req, "pageSize")
        return {"folders": page, **({"nextPageToken": token} if token else {})}

    def _crm_project_policy(self, req: Request) -> dict[str, Any]:
        project = self._project(req.params["projectsId"])
        self._gate("cloudresourcemanager", "cloudresourcemanager.projects.getIamPolicy", project)
        return dict(project.iam_policy)

    def _crm_folder_policy(self, req: Request) -> dict[str, Any]:
        name = f"folders/{req.params['foldersId']}"
        if not any(f["name"] == name for f in self.estate.folders):
            raise permission_denied("resourcemanager.folders.getIamPolicy", name)
        self._gate("cloudresourcemanager", "cloudresourcemanager.folders.getIamPolicy", None)
        return dict(self.estate.folder_policies.get(name) or {"etag": "ACAB"})

    def _crm_org_policy(self, req: Request) -> dict[str, Any]:
        name = f"organizations/{req.params['organizationsId']}"
        if not self.estate.organization or self.estate.organization["name"] != name:
            raise permission_denied("resourcemanager.organizations.getIamPolicy", name)
        self._gate("cloudresourcemanager", "cloudresourcemanager.organizations.getIamPolicy", None)
        return dict(self.estate.org_policy or {"etag": "ACAB"})

    # iam ----------------------------------------------------------

    def _sa_list(self, req: Request) -> dict[str, Any]:
        project = self._project(req.params["projectsId"])
        self._gate("iam", "iam.projects.serviceAccounts.list", project)
        page, token = self._page(project.service_accounts, req, "pageSize")
        return {"accounts": page, **({"nextPageToken": token} if token else {})}

    def _sa(self, req: Request) -> tuple[GcpProject, str]:
        project = self._project(req.params["projectsId"])
        email = req.params["serviceAccountsId"]
        if email not in project.sa_policies:
            raise not_found(f"projects/{project.project_id}/serviceAccounts/{email}")
        return project, email

    def _sa_keys(self, req: Request) -> dict[str, Any]:
        project, email = self._sa(req)
        self._gate("iam", "iam.projects.serviceAccounts.keys.list", project)
        types = set(req.query.get("keyTypes", []))
        keys = [k for k in project.sa_keys.get(email, []) if not types or k["keyType"] in types]
        return {"keys": keys}  # keys.list is not paged in the real API either

    def _sa_policy(self, req: Request) -> dict[str, Any]:
        project, email = self._sa(req)
        self._gate("iam", "iam.projects.serviceAccounts.getIamPolicy", project)
        return dict(project.sa_policies[email])

    def _pools(self, req: Request) -> dict[str, Any]:
        project = self._project(req.params["projectsId"])
        self._gate("iam", "iam.projects.locations.workloadIdentityPools.list", project)
        show_deleted = (req.q("showDeleted") or "").lower() == "true"
        pools = [p for p in project.pools if show_deleted or p.get("state") != "DELETED"]
        page, token = self._page(pools, req, "pageSize")
        return {"workloadIdentityPools": page, **({"nextPageToken": token} if token else {})}

    def _providers(self, req: Request) -> dict[str, Any]:
        project = self._project(req.params["projectsId"])
        self._gate("iam", "iam.projects.locations.workloadIdentityPools.providers.list", project)
        name = (f"projects/{project.number}/locations/{req.params['locationsId']}/workloadIdentityPools/"
                f"{req.params['workloadIdentityPoolsId']}")
        if name not in project.providers:
            raise not_found(name)
        show_deleted = (req.q("showDeleted") or "").lower() == "true"
        provs = [p for p in project.providers[name] if show_deleted or p.get("state") != "DELETED"]
        page, token = self._page(provs, req, "pageSize")
        return {"workloadIdentityPoolProviders": page, **({"nextPageToken": token} if token else {})}
