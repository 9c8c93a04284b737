"""The GCP fake's CIS routes: Logging v2 (sinks, log-based metrics), Monitoring v3 (alert
policies), Cloud DNS v1 (managed zones), API Keys v2 and Compute SSL policies and target
HTTPS/SSL proxies, served from ``GcpProject`` lists.

Paths come from the discovery documents (gcp_fake compiles them) and payloads are validated
there; every list pages the way its API does (``pageSize`` or ``maxResults`` + ``pageToken``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from auditor.demo.emulators.gcp_fake import GcpFake, Request

Handler = Callable[["Request"], dict[str, Any]]

# (api, method id, project path parameter, GcpProject attribute, response list field, page-size parameter)
LISTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("logging", "logging.projects.sinks.list", "projectsId", "log_sinks", "sinks", "pageSize"),
    ("logging", "logging.projects.metrics.list", "projectsId", "log_metrics", "metrics", "pageSize"),
    ("monitoring", "monitoring.projects.alertPolicies.list", "projectsId", "alert_policies", "alertPolicies",
     "pageSize"),
    ("dns", "dns.managedZones.list", "project", "dns_zones", "managedZones", "maxResults"),
    ("apikeys", "apikeys.projects.locations.keys.list", "projectsId", "api_keys", "keys", "pageSize"),
)
# Compute global lists: (method id, attribute, kind, collection path)
COMPUTE_LISTS: tuple[tuple[str, str, str, str], ...] = (
    ("compute.sslPolicies.list", "ssl_policies", "compute#sslPoliciesList", "sslPolicies"),
    ("compute.targetHttpsProxies.list", "https_proxies", "compute#targetHttpsProxyList", "targetHttpsProxies"),
    ("compute.targetSslProxies.list", "ssl_proxies", "compute#targetSslProxyList", "targetSslProxies"),
)


def cis_handlers(fake: "GcpFake") -> list[tuple[str, str, Handler]]:
    def listing(api: str, method_id: str, param: str, attr: str, field: str, size: str) -> Handler:
        def handle(req: "Request") -> dict[str, Any]:
            project = fake._project(req.params[param])
            fake._gate(api, method_id, project)
            if api == "apikeys" and req.params["locationsId"] != "global":
                return {}  # API keys live in "global" only
            page, token = fake._page(list(getattr(project, attr)), req, size)
            out: dict[str, Any] = {field: page}
            if api == "dns":
                out["kind"] = "dns#managedZonesListResponse"
            if token:
                out["nextPageToken"] = token
            return out

        return handle

    def compute_listing(method_id: str, attr: str, kind: str, collection: str) -> Handler:
        def handle(req: "Request") -> dict[str, Any]:
            project = fake._project(req.params["project"])
            fake._gate("compute", method_id, project)
            page, token = fake._page(list(getattr(project, attr)), req, "maxResults")
            base = f"https://www.googleapis.com/compute/v1/projects/{project.project_id}/global/{collection}"
            out: dict[str, Any] = {"kind": kind, "id": f"projects/{project.project_id}/global/{collection}",
                                   "items": page, "selfLink": base}
            if token:
                out["nextPageToken"] = token
            return out

        return handle

    return [*((api, mid, listing(api, mid, param, attr, field, size)) for api, mid, param, attr, field, size in LISTS),
            *(("compute", mid, compute_listing(mid, attr, kind, coll)) for mid, attr, kind, coll in COMPUTE_LISTS)]
