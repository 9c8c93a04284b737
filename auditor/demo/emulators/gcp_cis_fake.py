"""The GCP fake's CIS routes: Logging v2 (sinks, log-based metrics), Monitoring v3 (alert
policies), Cloud DNS v1 (managed zones), API Keys v2, Service Usage v1 (enabled services),
Essential Contacts v1 (organisation contacts), Access Approval v1 (project settings) and Compute SSL policies, target HTTPS/SSL proxies
and backend services, served from ``GcpProject`` / ``GcpEstate`` lists.

Paths come from the discovery documents (gcp_fake compiles them) and payloads are validated
there; every list pages the way its API does (``pageSize`` or ``maxResults`` + ``pageToken``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from auditor.demo.emulators.gcp_fake import GcpFake, Request


def fake_not_found(what: str) -> Exception:
    from auditor.demo.emulators.gcp_fake import not_found

    return not_found(what)

Handler = Callable[["Request"], dict[str, Any]]

# (api, method id, project path parameter, GcpProject attribute, response list field, page-size parameter)
LISTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("logging", "logging.projects.sinks.list", "projectsId", "log_sinks", "sinks", "pageSize"),
    ("logging", "logging.projects.metrics.list", "projectsId", "log_metrics", "metrics", "pageSize"),
    ("monitoring", "monitoring.projects.alertPolicies.list", "projectsId", "alert_policies", "alertPolicies",
     "pageSize"),
    ("dns", "dns.managedZones.list", "project", "dns_zones", "managedZones", "maxResults"),
    ("dns", "dns.policies.list", "project", "dns_policies", "policies", "maxResults"),
    ("apikeys", "apikeys.projects.locations.keys.list", "projectsId", "api_keys", "keys", "pageSize"),
)
# Compute global lists: (method id, attribute, kind, collection path)
COMPUTE_LISTS: tuple[tuple[str, str, str, str], ...] = (
    ("compute.targetSslProxies.list", "ssl_proxies", "compute#targetSslProxyList", "targetSslProxies"),
)
# Compute aggregated lists over "global" and every region: (method id, attribute, kind, collection)
COMPUTE_AGGREGATED: tuple[tuple[str, str, str, str], ...] = (
    ("compute.sslPolicies.aggregatedList", "ssl_policies", "compute#sslPoliciesAggregatedList", "sslPolicies"),
    ("compute.targetHttpsProxies.aggregatedList", "https_proxies", "compute#targetHttpsProxyAggregatedList",
     "targetHttpsProxies"),
    ("compute.backendServices.aggregatedList", "backend_services", "compute#backendServiceAggregatedList",
     "backendServices"),
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
                out["kind"] = "dns#managedZonesListResponse" if field == "managedZones" else "dns#policiesListResponse"
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

    def compute_aggregated(method_id: str, attr: str, kind: str, collection: str) -> Handler:
        def handle(req: "Request") -> dict[str, Any]:
            project = fake._project(req.params["project"])
            fake._gate("compute", method_id, project)
            flat = [(f"regions/{i['region'].rsplit('/', 1)[-1]}" if i.get("region") else "global", i)
                    for i in getattr(project, attr)]
            page, token = fake._page(flat, req, "maxResults")
            items: dict[str, Any] = {}
            for scope, item in page:
                items.setdefault(scope, {collection: []})[collection].append(item)
            if not req.q("pageToken"):  # empty scopes say so on the first page, as the real API does
                for scope in ["global", *(f"regions/{r}" for r in fake.estate.regions())]:
                    if scope not in items and not any(sc == scope for sc, _ in flat):
                        items[scope] = {"warning": {"code": "NO_RESULTS_ON_PAGE", "message":
                                        f"There are no results for scope '{scope}' on this page.",
                                        "data": [{"key": "scope", "value": scope}]}}
            out: dict[str, Any] = {"kind": kind, "id": f"projects/{project.project_id}/aggregated/{collection}",
                                   "items": items, "selfLink": f"https://www.googleapis.com/compute/v1/projects/"
                                                               f"{project.project_id}/aggregated/{collection}"}
            if token:
                out["nextPageToken"] = token
            return out

        return handle

    def services(req: "Request") -> dict[str, Any]:
        """Enabled services: every API the fake serves (minus disabled ones) plus the project's extras."""
        from auditor.demo.emulators.gcp_fake import SERVICE_HOSTS

        if req.params["v1Id"] != "projects":
            raise fake_not_found(f"{req.params['v1Id']}/{req.params['v1Id1']}")
        project = fake._project(req.params["v1Id1"])
        fake._gate("serviceusage", "serviceusage.services.list", project)
        disabled = fake.estate.disabled_apis.get(project.project_id, set())
        names = sorted((set(SERVICE_HOSTS.values()) - disabled) | set(project.extra_services))
        if (req.q("filter") or "state:ENABLED").replace(" ", "") != "state:ENABLED":
            names = []  # the fake only knows enabled services
        items = [{"name": f"projects/{project.number}/services/{n}", "parent": f"projects/{project.number}",
                  "state": "ENABLED", "config": {"name": n}} for n in names]
        page, token = fake._page(items, req, "pageSize")
        return {"services": page, **({"nextPageToken": token} if token else {})}

    def contacts(req: "Request") -> dict[str, Any]:
        name = f"organizations/{req.params['organizationsId']}"
        if not fake.estate.organization or fake.estate.organization["name"] != name:
            from auditor.demo.emulators.gcp_fake import permission_denied

            raise permission_denied("essentialcontacts.contacts.list", name)
        fake._gate("essentialcontacts", "essentialcontacts.organizations.contacts.list", None)
        page, token = fake._page(list(fake.estate.org_contacts), req, "pageSize")
        return {"contacts": page, **({"nextPageToken": token} if token else {})}

    def access_approval(req: "Request") -> dict[str, Any]:
        """A project's Access Approval settings; without Access Transparency the API refuses the
        read with FAILED_PRECONDITION (what `gcloud access-approval settings get` then shows)."""
        project = fake._project(req.params["projectsId"])
        fake._gate("accessapproval", "accessapproval.projects.getAccessApprovalSettings", project)
        if not project.access_transparency:
            from auditor.demo.emulators.gcp_fake import ApiError

            raise ApiError(400, "FAILED_PRECONDITION", "Precondition check failed.", "failedPrecondition")
        return {"name": f"projects/{req.params['projectsId']}/accessApprovalSettings", **project.access_approval}

    def hierarchy_sinks(method_id: str, param: str, prefix: str) -> Handler:
        def handle(req: "Request") -> dict[str, Any]:
            name = f"{prefix}{req.params[param]}"
            known = [f["name"] for f in fake.estate.folders] + (
                [fake.estate.organization["name"]] if fake.estate.organization else [])
            if name not in known:
                from auditor.demo.emulators.gcp_fake import permission_denied

                raise permission_denied("logging.sinks.list", name)
            fake._gate("logging", method_id, None)
            page, token = fake._page(list(fake.estate.hierarchy_sinks.get(name, [])), req, "pageSize")
            return {"sinks": page, **({"nextPageToken": token} if token else {})}

        return handle

    return [("logging", "logging.folders.sinks.list", hierarchy_sinks("logging.folders.sinks.list", "foldersId",
                                                                      "folders/")),
            ("logging", "logging.organizations.sinks.list",
             hierarchy_sinks("logging.organizations.sinks.list", "organizationsId", "organizations/")),
            ("serviceusage", "serviceusage.services.list", services),
            ("essentialcontacts", "essentialcontacts.organizations.contacts.list", contacts),
            ("accessapproval", "accessapproval.projects.getAccessApprovalSettings", access_approval),
            *((api, mid, listing(api, mid, param, attr, field, size)) for api, mid, param, attr, field, size in LISTS),
            *(("compute", mid, compute_listing(mid, attr, kind, coll)) for mid, attr, kind, coll in COMPUTE_LISTS),
            *(("compute", mid, compute_aggregated(mid, attr, kind, coll)) for mid, attr, kind, coll in COMPUTE_AGGREGATED)]
