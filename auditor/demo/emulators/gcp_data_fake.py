"""The GCP fake's data-store and key routes: Dataproc clusters (and Compute Engine's region list, which
names Dataproc's regions), Vertex AI datasets, feature stores and online stores
(with their IAM policies), Cloud SQL
instances (sqladmin v1), BigQuery datasets (v2: list, get) and Cloud KMS (locations, key rings,
keys, key IAM policies), served from ``GcpProject`` lists.

Paths come from the discovery documents (gcp_fake compiles them); payloads are validated there.
Every list pages: Vertex and KMS on ``pageSize``, Cloud SQL and BigQuery on ``maxResults``.
The BigQuery list answers what the real one does (reference, location, labels), not the dataset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from auditor.demo.emulators.gcp_fake import GcpFake, Request

Handler = Callable[["Request"], dict[str, Any]]
KMS_MULTI_REGIONS = ("global", "europe", "us", "asia")


def _not_found(what: str) -> Exception:
    from auditor.demo.emulators.gcp_fake import not_found

    return not_found(what)


def _location_of(name: str) -> str:
    return name.split("/locations/", 1)[1].split("/", 1)[0]


def region_id(name: str) -> str:
    """A stable numeric region id (the real ones are small uint64 strings)."""
    return str(1000 + sum(ord(ch) for ch in name))


def dataset_summary(d: dict[str, Any]) -> dict[str, Any]:
    """What ``datasets.list`` returns for one dataset (a subset of the Dataset resource)."""
    return {k: d[k] for k in ("kind", "id", "datasetReference", "labels", "friendlyName", "location", "type")
            if k in d}


def table_summary(t: dict[str, Any]) -> dict[str, Any]:
    """What ``tables.list`` returns for one table (no key, no schema)."""
    return {k: t[k] for k in ("kind", "id", "tableReference", "type", "creationTime", "labels") if k in t}


def data_handlers(fake: "GcpFake") -> list[tuple[str, str, Handler]]:
    def paged(items: list[Any], req: "Request", field: str, size_param: str) -> dict[str, Any]:
        page, token = fake._page(items, req, size_param)
        return {field: page, **({"nextPageToken": token} if token else {})}

    def vertex(method_id: str, attr: str, field: str) -> Handler:
        def handle(req: "Request") -> dict[str, Any]:
            project = fake._project(req.params["projectsId"])
            fake._gate("aiplatform", method_id, project)
            where = req.params["locationsId"]
            return paged([i for i in getattr(project, attr) if _location_of(i["name"]) == where], req, field,
                         "pageSize")

        return handle

    def vertex_policy(method_id: str, attr: str, id_param: str, kind: str) -> Handler:
        def handle(req: "Request") -> dict[str, Any]:
            project = fake._project(req.params["projectsId"])
            fake._gate("aiplatform", method_id, project)
            suffix = f"/locations/{req.params['locationsId']}/{kind}/{req.params[id_param]}"
            hit = next((i for i in getattr(project, attr) if i["name"].endswith(suffix)), None)
            if hit is None:
                raise _not_found(f"projects/{req.params['projectsId']}{suffix}")
            return dict(project.vertex_policies.get(hit["name"]) or {"etag": "ACAB"})

        return handle

    def sql_instances(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["project"])
        fake._gate("sqladmin", "sql.instances.list", project)
        return paged(project.sql_instances, req, "items", "maxResults")

    def bq_list(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("bigquery", "bigquery.datasets.list", project)
        out = paged([dataset_summary(d) for d in project.bq_datasets], req, "datasets", "maxResults")
        return {"kind": "bigquery#datasetList", "etag": "list-etag", **out}

    def bq_get(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("bigquery", "bigquery.datasets.get", project)
        for d in project.bq_datasets:
            if d["datasetReference"]["datasetId"] == req.params["datasetsId"]:
                return dict(d)
        raise _not_found(f"Dataset {project.project_id}:{req.params['datasetsId']}")

    def bq_dataset_of(req: "Request", method_id: str) -> tuple[Any, str]:
        project = fake._project(req.params["projectsId"])
        fake._gate("bigquery", method_id, project)
        ds = req.params["datasetsId"]
        if not any(d["datasetReference"]["datasetId"] == ds for d in project.bq_datasets):
            raise _not_found(f"Dataset {project.project_id}:{ds}")
        return project, ds

    def bq_tables(req: "Request") -> dict[str, Any]:
        project, ds = bq_dataset_of(req, "bigquery.tables.list")
        tables = project.bq_tables.get(ds, [])
        out = paged([table_summary(t) for t in tables], req, "tables", "maxResults")
        return {"kind": "bigquery#tableList", "etag": "tables-etag", "totalItems": len(tables), **out}

    def bq_table(req: "Request") -> dict[str, Any]:
        project, ds = bq_dataset_of(req, "bigquery.tables.get")
        for t in project.bq_tables.get(ds, []):
            if t["tableReference"]["tableId"] == req.params["tablesId"]:
                return dict(t)
        raise _not_found(f"Table {project.project_id}:{ds}.{req.params['tablesId']}")

    def kms_locations(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("cloudkms", "cloudkms.projects.locations.list", project)
        names = sorted(set(fake.estate.regions()) | set(KMS_MULTI_REGIONS)
                       | {_location_of(r["name"]) for r in project.key_rings})
        locs = [{"name": f"projects/{project.project_id}/locations/{n}", "locationId": n} for n in names]
        return paged(locs, req, "locations", "pageSize")

    def key_rings(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("cloudkms", "cloudkms.projects.locations.keyRings.list", project)
        here = [r for r in project.key_rings if _location_of(r["name"]) == req.params["locationsId"]]
        return {**paged(here, req, "keyRings", "pageSize"), "totalSize": len(here)}

    def crypto_keys(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("cloudkms", "cloudkms.projects.locations.keyRings.cryptoKeys.list", project)
        ring = (f"projects/{req.params['projectsId']}/locations/{req.params['locationsId']}/keyRings/"
                f"{req.params['keyRingsId']}")
        here = [k for k in project.crypto_keys if k["name"].startswith(ring + "/cryptoKeys/")]
        return {**paged(here, req, "cryptoKeys", "pageSize"), "totalSize": len(here)}

    def ring_policy(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("cloudkms", "cloudkms.projects.locations.keyRings.getIamPolicy", project)
        name = f"projects/{req.params['projectsId']}/locations/{req.params['locationsId']}/keyRings/" \
               f"{req.params['keyRingsId']}"
        if not any(r["name"] == name for r in project.key_rings):
            raise _not_found(name)
        return dict(project.key_policies.get(name) or {"etag": "ACAB"})

    def key_policy(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectsId"])
        fake._gate("cloudkms", "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy", project)
        name = (f"projects/{req.params['projectsId']}/locations/{req.params['locationsId']}/keyRings/"
                f"{req.params['keyRingsId']}/cryptoKeys/{req.params['cryptoKeysId']}")
        if not any(k["name"] == name for k in project.crypto_keys):
            raise _not_found(name)
        return dict(project.key_policies.get(name) or {"etag": "ACAB"})

    def compute_regions(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["project"])
        fake._gate("compute", "compute.regions.list", project)
        base = f"https://www.googleapis.com/compute/v1/projects/{project.project_id}"
        items = [{"kind": "compute#region", "id": region_id(r), "name": r, "status": "UP",
                  "creationTimestamp": "1969-12-31T16:00:00.000-08:00", "description": r,
                  "selfLink": f"{base}/regions/{r}",
                  "zones": [f"{base}/zones/{z}" for z in fake.estate.zones if z.rsplit("-", 1)[0] == r]}
                 for r in fake.estate.regions()]
        out = paged(items, req, "items", "maxResults")
        return {"kind": "compute#regionList", "id": f"projects/{project.project_id}/regions",
                "selfLink": f"{base}/regions", **out}

    def dataproc_clusters(req: "Request") -> dict[str, Any]:
        project = fake._project(req.params["projectId"])
        fake._gate("dataproc", "dataproc.projects.regions.clusters.list", project)
        here = [c for c in project.dataproc_clusters
                if c["labels"].get("goog-dataproc-location") == req.params["region"]]
        return paged(sorted(here, key=lambda c: c["clusterName"]), req, "clusters", "pageSize")

    return [
        ("compute", "compute.regions.list", compute_regions),
        ("dataproc", "dataproc.projects.regions.clusters.list", dataproc_clusters),
        ("aiplatform", "aiplatform.projects.locations.datasets.list",
         vertex("aiplatform.projects.locations.datasets.list", "vertex_datasets", "datasets")),
        ("aiplatform", "aiplatform.projects.locations.featurestores.list",
         vertex("aiplatform.projects.locations.featurestores.list", "featurestores", "featurestores")),
        ("aiplatform", "aiplatform.projects.locations.featurestores.getIamPolicy",
         vertex_policy("aiplatform.projects.locations.featurestores.getIamPolicy", "featurestores",
                       "featurestoresId", "featurestores")),
        ("aiplatform", "aiplatform.projects.locations.featureOnlineStores.list",
         vertex("aiplatform.projects.locations.featureOnlineStores.list", "feature_online_stores",
                "featureOnlineStores")),
        ("aiplatform", "aiplatform.projects.locations.featureOnlineStores.getIamPolicy",
         vertex_policy("aiplatform.projects.locations.featureOnlineStores.getIamPolicy", "feature_online_stores",
                       "featureOnlineStoresId", "featureOnlineStores")),
        ("sqladmin", "sql.instances.list", sql_instances),
        ("bigquery", "bigquery.datasets.list", bq_list),
        ("bigquery", "bigquery.datasets.get", bq_get),
        ("bigquery", "bigquery.tables.list", bq_tables),
        ("bigquery", "bigquery.tables.get", bq_table),
        ("cloudkms", "cloudkms.projects.locations.list", kms_locations),
        ("cloudkms", "cloudkms.projects.locations.keyRings.list", key_rings),
        ("cloudkms", "cloudkms.projects.locations.keyRings.getIamPolicy", ring_policy),
        ("cloudkms", "cloudkms.projects.locations.keyRings.cryptoKeys.list", crypto_keys),
        ("cloudkms", "cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy", key_policy),
    ]
