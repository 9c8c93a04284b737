"""The GCP fake's ML routes: Vertex AI (locations, models, endpoints, custom jobs), Workbench
instances (Notebooks v2) and GKE clusters, served from ``GcpProject`` lists.

Paths come from the discovery documents (gcp_fake compiles them); payloads are validated there.
Vertex and Notebooks lists page on ``pageSize``/``pageToken``; GKE's list has no paging and
reports unanswering locations in ``missingZones``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from auditor.demo.emulators.gcp_fake import GcpFake, Request

Handler = Callable[["Request"], dict[str, Any]]


def not_found(what: str) -> Exception:
    from auditor.demo.emulators.gcp_fake import not_found as nf

    return nf(what)


def _location_of(name: str) -> str:
    return name.split("/locations/", 1)[1].split("/", 1)[0]


def ml_handlers(fake: "GcpFake") -> list[tuple[str, str, Handler]]:
    def listing(api: str, method_id: str, attr: str, field: str) -> Handler:
        def handle(req: "Request") -> dict[str, Any]:
            project = fake._project(req.params["projectsId"])
            fake._gate(api, method_id, project)
            where = req.params["locationsId"]
            items = [i for i in getattr(project, attr) if (where == "-" or _location_of(i["name"]) == where)]
            if api == "notebooks":
                gone = fake.estate.unreachable_zones
                items_all, items = items, [i for i in items if _location_of(i["name"]) not in gone]
            else:
                items_all = items
            page, token = fake._page(items, req, "pageSize")
            out: dict[str, Any] = {field: page}
            if token:
                out["nextPageToken"] = token
            if api == "notebooks" and where == "-" and not req.q("pageToken"):
                # a location that does not answer is named (here: those holding the project's instances)
                missing = sorted(fake.estate.unreachable_zones & {_location_of(i["name"]) for i in items_all})
                if missing:
                    out["unreachable"] = [f"projects/{project.project_id}/locations/{z}" for z in missing]
            return out

        return handle

    def locations(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("aiplatform", "aiplatform.projects.locations.list", project)
        regions = sorted(set(fake.estate.regions()) | {
            _location_of(i["name"]) for attr in ("vertex_models", "vertex_endpoints", "custom_jobs", "pipeline_jobs")
            for i in getattr(project, attr)})
        locs = [{"name": f"projects/{project.project_id}/locations/{r}", "locationId": r, "displayName": r}
                for r in regions]
        page, token = fake._page(locs, req, "pageSize")
        return {"locations": page, **({"nextPageToken": token} if token else {})}

    def clusters(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("container", "container.projects.locations.clusters.list", project)
        where = req.params["locationsId"]
        gone = fake.estate.unreachable_zones
        here = [c for c in project.gke_clusters if where == "-" or c["location"] == where]
        out: dict[str, Any] = {"clusters": [c for c in here if c["location"] not in gone]}
        missing = sorted(gone & {c["location"] for c in here})
        if missing:
            out["missingZones"] = missing
        return out

    def ar_locations(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("artifactregistry", "artifactregistry.projects.locations.list", project)
        names = sorted(set(fake.estate.regions()) | {"us", "europe", "asia"}
                       | {_location_of(r["name"]) for r in project.repositories})
        locs = [{"name": f"projects/{project.project_id}/locations/{r}", "locationId": r} for r in names]
        page, token = fake._page(locs, req, "pageSize")
        return {"locations": page, **({"nextPageToken": token} if token else {})}

    def ar_policy(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("artifactregistry", "artifactregistry.projects.locations.repositories.getIamPolicy", project)
        name = (f"projects/{req.params['projectsId']}/locations/{req.params['locationsId']}/repositories/"
                f"{req.params['repositoriesId']}")
        if not any(r["name"] == name for r in project.repositories):
            raise not_found(name)
        return dict(project.repository_policies.get(name) or {"etag": "ACAB"})

    return [
        ("artifactregistry", "artifactregistry.projects.locations.list", ar_locations),
        ("artifactregistry", "artifactregistry.projects.locations.repositories.list",
         listing("artifactregistry", "artifactregistry.projects.locations.repositories.list", "repositories",
                 "repositories")),
        ("artifactregistry", "artifactregistry.projects.locations.repositories.getIamPolicy", ar_policy),
        ("aiplatform", "aiplatform.projects.locations.list", locations),
        ("aiplatform", "aiplatform.projects.locations.models.list",
         listing("aiplatform", "aiplatform.projects.locations.models.list", "vertex_models", "models")),
        ("aiplatform", "aiplatform.projects.locations.endpoints.list",
         listing("aiplatform", "aiplatform.projects.locations.endpoints.list", "vertex_endpoints", "endpoints")),
        ("aiplatform", "aiplatform.projects.locations.pipelineJobs.list",
         listing("aiplatform", "aiplatform.projects.locations.pipelineJobs.list", "pipeline_jobs", "pipelineJobs")),
        ("aiplatform", "aiplatform.projects.locations.customJobs.list",
         listing("aiplatform", "aiplatform.projects.locations.customJobs.list", "custom_jobs", "customJobs")),
        ("notebooks", "notebooks.projects.locations.instances.list",
         listing("notebooks", "notebooks.projects.locations.instances.list", "workbench", "instances")),
        ("container", "container.projects.locations.clusters.list", clusters),
    ]
