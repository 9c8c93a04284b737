"""Vertex AI (endpoints, models, custom jobs) and Workbench instances: collect + ML facets.

Vertex AI is regional (``{region}-aiplatform.googleapis.com``): each unit walks the project's
regions (configured, or the ``locations.list`` answer) and lists each one. Model artifacts in
``gs://`` are resolved against the project's own bucket list (owner and region proven); a bucket
not in it keeps ``account``/``region`` None, and the audit's bucket memo places it when another
estate project owns it. Facet layout: auditor/facets.py ``ML``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from collectors.gcp import normalise as n
from collectors.gcp.errors import PartialCollection
from collectors.runner import iter_pages

if TYPE_CHECKING:
    from auditor.model import Resource
    from collectors.gcp.collect import GcpJob

PAGE_SIZE = 100
# Jobs still running, or finished within this window, are collected ("recent/running").
RECENT_JOBS = timedelta(days=30)
ACTIVE_JOB_STATES = frozenset({"JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING",
                               "JOB_STATE_CANCELLING", "JOB_STATE_UPDATING", "JOB_STATE_PAUSED",
                               "PIPELINE_STATE_QUEUED", "PIPELINE_STATE_PENDING", "PIPELINE_STATE_RUNNING",
                               "PIPELINE_STATE_CANCELLING", "PIPELINE_STATE_PAUSED"})
# Workbench metadata switches worth keeping; every other metadata value is dropped (user data).
WORKBENCH_FLAGS = frozenset({"notebook-disable-root", "notebook-disable-downloads", "notebook-disable-terminal",
                             "notebook-disable-nbconvert", "proxy-mode", "serial-port-logging-enable",
                             "report-event-health", "idle-timeout-seconds", "enable-oslogin"})
_GCS = re.compile(r"^gs://(?P<bucket>[a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:/.*)?$")
_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})$")


# ------------------------------------------------------------------ pure normalisation


def source(uri: str, own_buckets: dict[str, str] | None, project: str) -> dict[str, Any]:
    """A gs:// URI resolved to bucket, region and owning project (only when proven)."""
    m = _GCS.match(str(uri))
    if m is None:
        return {"uri": uri, "bucket": None, "region": None, "account": None, "exists": None}
    bucket = m.group("bucket")
    location = (own_buckets or {}).get(bucket)
    ours = location is not None
    return {"uri": uri, "bucket": bucket, "region": location.lower() if ours else None,
            "account": project if ours else None, "exists": True if ours else None}


def image(uri: str) -> dict[str, Any]:
    """A container image URI: Artifact Registry / Container Registry hosts name their project."""
    text = str(uri)
    digest_m = _DIGEST.search(text)
    host, _, rest = text.partition("/")
    if not rest or ("." not in host and ":" not in host and host != "localhost"):
        host, rest = "docker.io", text
    account = region = None
    parts = rest.split("/")
    if host.endswith("-docker.pkg.dev") and len(parts) >= 2:
        account, region = parts[0], host.removesuffix("-docker.pkg.dev")
    elif (host == "gcr.io" or host.endswith(".gcr.io")) and len(parts) >= 2:
        account, region = parts[0], host.removesuffix("gcr.io").rstrip(".") or "us"
    return {"uri": text, "registry": host, "account": account, "region": region,
            "digest": digest_m.group(1) if digest_m else None}


def _encryption(obj: dict[str, Any]) -> dict[str, Any]:
    key = (obj.get("encryptionSpec") or {}).get("kmsKeyName")
    return {"encrypted": True,  # Vertex AI always encrypts at rest; the question is whose key
            "key_management": "customer" if key else "provider", "kms_key": key or None}


def _images(uris: Iterable[str | None]) -> dict[str, Any]:
    imgs = [image(u) for u in dict.fromkeys(u for u in uris if u)]
    return {"images": imgs, "image_registries": sorted({i["registry"] for i in imgs})}


def model_facets(m: dict[str, Any], region: str, own: dict[str, str] | None, project: str) -> dict[str, Any]:
    arts = [m["artifactUri"]] if m.get("artifactUri") else []
    return {"ml_kind": "model", "artifact_locations": arts,
            "artifact_sources": [source(u, own, project) for u in arts],
            **_images([(m.get("containerSpec") or {}).get("imageUri")]),
            **_encryption(m), "locations": [region]}


def endpoint_facets(e: dict[str, Any], region: str, models: dict[str, dict[str, Any]] | None,
                    own: dict[str, str] | None, project: str) -> dict[str, Any]:
    """``in_vpc``: served only privately (VPC peering network or Private Service Connect)."""
    deployed = e.get("deployedModels") or []
    private = bool(e.get("network") or e.get("enablePrivateServiceConnect")
                   or (e.get("privateServiceConnectConfig") or {}).get("enablePrivateServiceConnect"))
    logging_cfg = e.get("predictRequestResponseLoggingConfig") or {}
    out_uri = (logging_cfg.get("bigqueryDestination") or {}).get("outputUri")
    facets: dict[str, Any] = {
        "ml_kind": "endpoint", "in_vpc": private, "auth": "iam",
        "models": sorted({str(d.get("model")) for d in deployed if d.get("model")}),
        "roles": sorted({d["serviceAccount"] for d in deployed if d.get("serviceAccount")}),
        "data_capture": bool(logging_cfg.get("enabled")),
        "data_capture_locations": [out_uri] if out_uri and logging_cfg.get("enabled") else [],
        **_encryption(e), "locations": [region],
    }
    # provenance of what it serves: the deployed models' artifacts and images (None if models unread)
    if models is None:
        facets.update(artifact_locations=None, artifact_sources=None, images=None, image_registries=[])
        return facets
    served = [models.get(str(d.get("model"))) for d in deployed]
    if any(s is None for s in served):
        facets.update(artifact_locations=None, artifact_sources=None, images=None, image_registries=[])
        return facets
    arts = sorted({s["artifactUri"] for s in served if s and s.get("artifactUri")})
    facets.update(artifact_locations=arts, artifact_sources=[source(u, own, project) for u in arts],
                  **_images((s.get("containerSpec") or {}).get("imageUri") for s in served if s))
    facets["data_sources"] = list(facets["artifact_sources"])
    return facets


def job_facets(j: dict[str, Any], region: str, own: dict[str, str] | None, project: str) -> dict[str, Any]:
    spec = j.get("jobSpec") or {}
    pools = spec.get("workerPoolSpecs") or []
    out_prefix = (spec.get("baseOutputDirectory") or {}).get("outputUriPrefix")
    outputs = [out_prefix] if out_prefix else []
    in_vpc = bool(spec.get("network") or spec.get("pscInterfaceConfig"))
    return {
        "ml_kind": "job", "identity": spec.get("serviceAccount"),
        **_images((p.get("containerSpec") or {}).get("imageUri") for p in pools),
        "in_vpc": in_vpc,
        # Vertex custom jobs have no isolation switch: without a peered VPC they egress freely
        "network_isolation": False if not in_vpc else None,
        "output_locations": outputs, "artifact_locations": outputs,
        "artifact_sources": [source(u, own, project) for u in outputs],
        "data_sources": [source(u, own, project) for u in outputs],
        **_encryption(j), "state": j.get("state"), "locations": [region],
    }


def workbench_config(i: dict[str, Any]) -> dict[str, Any]:
    """The instance without metadata values other than known switches (startup scripts, tokens)."""
    out = dict(i)
    gce = dict(out.get("gceSetup") or {})
    if "metadata" in gce:
        gce["metadata"] = {k: v for k, v in (gce["metadata"] or {}).items() if k in WORKBENCH_FLAGS}
    out["gceSetup"] = gce
    return out


def workbench_facets(i: dict[str, Any]) -> dict[str, Any]:
    gce = i.get("gceSetup") or {}
    public_ip = not bool(gce.get("disablePublicIp"))  # the API default is a public address
    meta = gce.get("metadata") or {}
    disable_root = n.flag(meta.get("notebook-disable-root")) if "notebook-disable-root" in meta else False
    sas = gce.get("serviceAccounts") or []
    zone = n.last(i.get("name", "").split("/instances/")[0])
    return {
        "ml_kind": "notebook", "public_ip": public_ip, "direct_internet_access": public_ip,
        "in_vpc": True,  # Workbench instances always sit on a VPC subnet
        "root_access": (not disable_root) if disable_root is not None else None,
        "identity": sas[0].get("email") if sas else None,
        "state": i.get("state"), "locations": [zone] if zone else [],
    }


# ------------------------------------------------------------------ collection


def _pages(job: "GcpJob", make: Callable[[str | None], Any], field: str,
           unreachable: list[str] | None = None) -> Iterator[dict[str, Any]]:
    def fetch(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        resp = job.call(lambda: make(token).execute())
        if unreachable is not None:
            unreachable.extend(resp.get("unreachable") or [])
        return resp.get(field, []), resp.get("nextPageToken")

    return iter_pages(fetch)


def regions(job: "GcpJob") -> list[str]:
    """Configured regions, else every Vertex AI location of the project."""
    if job.regions:
        return list(job.regions)
    locs = job.clients.aiplatform(None).projects().locations()
    return sorted(loc["locationId"] for loc in _pages(
        job, lambda t: locs.list(name=f"projects/{job.scope}", pageSize=PAGE_SIZE, pageToken=t), "locations")
        if loc.get("locationId"))


def project_buckets(job: "GcpJob") -> Iterator[Any]:
    """The project's own buckets (storage client objects), page by page through ``job.call``."""
    client = job.clients.storage(job.scope)

    def fetch(token: str | None) -> tuple[list[Any], str | None]:
        def one_page() -> tuple[list[Any], str | None]:
            it = client.list_buckets(project=job.scope, page_token=token, retry=None)
            return list(next(it.pages)), it.next_page_token

        return job.call(one_page)

    return iter_pages(fetch)


def own_buckets(job: "GcpJob") -> dict[str, str] | None:
    """The project's own buckets (name -> location); None (and a note) when unreadable."""
    try:
        return {b.name: str(b.location or "") for b in project_buckets(job)}
    except Exception as exc:  # noqa: BLE001 - provenance degrades to "owner unknown", never fails the unit
        job.ctx.note(f"project buckets unreadable ({exc.__class__.__name__}): artifact owners unknown")
        return None


def _regional(job: "GcpJob", collection: str, field: str, region: str) -> Iterator[dict[str, Any]]:
    api = getattr(job.clients.aiplatform(region).projects().locations(), collection)()
    parent = f"projects/{job.scope}/locations/{region}"
    return _pages(job, lambda t: api.list(parent=parent, pageSize=PAGE_SIZE, pageToken=t), field)


def _res(job: "GcpJob", obj: dict[str, Any], region: str, facets: dict[str, Any],
         config: dict[str, Any] | None = None) -> "Resource":
    return job.resource(native_id=f"//aiplatform.googleapis.com/{obj['name']}",
                        name=obj.get("displayName") or n.last(obj["name"]), region=region,
                        config=config if config is not None else obj, facets=facets, tags=obj.get("labels"))


def collect_models(job: "GcpJob") -> Iterable["Resource"]:
    own = own_buckets(job)
    for region in regions(job):
        for m in _regional(job, "models", "models", region):
            yield _res(job, m, region, model_facets(m, region, own, job.scope))


def collect_endpoints(job: "GcpJob") -> Iterable["Resource"]:
    own = own_buckets(job)
    for region in regions(job):
        endpoints = list(_regional(job, "endpoints", "endpoints", region))
        if not endpoints:
            continue
        models: dict[str, dict[str, Any]] | None
        try:
            models = {m["name"]: m for m in _regional(job, "models", "models", region)}
        except Exception as exc:  # noqa: BLE001 - served models unknown: provenance UNKNOWN, endpoint still kept
            job.ctx.note(f"{region}: models unreadable ({exc.__class__.__name__}): endpoint provenance unknown")
            models = None
        for e in endpoints:
            yield _res(job, e, region, endpoint_facets(e, region, models, own, job.scope))


def _recent(j: dict[str, Any], now: datetime) -> bool:
    if j.get("state") in ACTIVE_JOB_STATES:
        return True
    stamp = j.get("endTime") or j.get("updateTime") or j.get("createTime")
    try:
        when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return True  # unparsable time: keep it rather than silently drop it
    return now - when <= RECENT_JOBS


def collect_custom_jobs(job: "GcpJob") -> Iterable["Resource"]:
    own = own_buckets(job)
    now = datetime.now(timezone.utc)
    for region in regions(job):
        for j in _regional(job, "customJobs", "customJobs", region):
            if _recent(j, now):
                config = {**j, "jobSpec": _scrub_env(j.get("jobSpec") or {})}
                yield _res(job, j, region, job_facets(j, region, own, job.scope), config)


def _scrub_env(spec: dict[str, Any]) -> dict[str, Any]:
    """Container env values and args may hold secrets: keep env names only, drop args/commands."""
    out = dict(spec)
    pools = []
    for p in spec.get("workerPoolSpecs") or []:
        p = dict(p)
        for key in ("containerSpec", "pythonPackageSpec"):
            if key in p:
                c = {k: v for k, v in p[key].items() if k not in ("args", "command")}
                if "env" in c:
                    c["env"] = [{"name": e.get("name")} for e in c["env"] or []]
                p[key] = c
        pools.append(p)
    out["workerPoolSpecs"] = pools
    return out


def collect_workbench(job: "GcpJob") -> Iterable["Resource"]:
    api = job.clients.notebooks().projects().locations().instances()
    unreachable: list[str] = []
    for i in _pages(job, lambda t: api.list(parent=f"projects/{job.scope}/locations/-", pageSize=PAGE_SIZE,
                                            pageToken=t), "instances", unreachable):
        facets = workbench_facets(i)
        zone = (facets["locations"] or [None])[0]
        if not job.in_regions(zone):
            continue
        yield job.resource(native_id=f"//notebooks.googleapis.com/{i['name']}", name=n.last(i["name"]), region=zone,
                           config=workbench_config(i), facets=facets, tags=i.get("labels"))
    if unreachable:
        raise PartialCollection(sorted(f"{u} unreachable" for u in set(unreachable)))


# ------------------------------------------------------------------ pipeline jobs


def pipeline_images(spec: dict[str, Any] | None) -> list[str]:
    """Container images of a compiled KFP pipeline (``deploymentSpec.executors.*.container.image``)."""
    executors = ((spec or {}).get("deploymentSpec") or {}).get("executors") or {}
    out = [((e or {}).get("container") or {}).get("image") for e in executors.values() if isinstance(e, dict)]
    return sorted({i for i in out if isinstance(i, str) and i})


def pipeline_facets(j: dict[str, Any], region: str, own: dict[str, str] | None, project: str) -> dict[str, Any]:
    out_dir = (j.get("runtimeConfig") or {}).get("gcsOutputDirectory")
    outputs = [out_dir] if out_dir else []
    in_vpc = bool(j.get("network") or j.get("pscInterfaceConfig"))
    return {
        "ml_kind": "job", "identity": j.get("serviceAccount"), **_images(pipeline_images(j.get("pipelineSpec"))),
        "in_vpc": in_vpc, "network_isolation": False if not in_vpc else None,
        "output_locations": outputs, "artifact_locations": outputs,
        "artifact_sources": [source(u, own, project) for u in outputs],
        "data_sources": [source(u, own, project) for u in outputs],
        **_encryption(j), "state": j.get("state"), "locations": [region],
    }


def pipeline_config(j: dict[str, Any]) -> dict[str, Any]:
    """Run parameters may carry secrets: keep their names only; the compiled spec keeps only images."""
    out = dict(j)
    rc = dict(out.get("runtimeConfig") or {})
    for key in ("parameterValues", "parameters"):
        if key in rc:
            rc[key] = sorted(rc[key] or {})
    out["runtimeConfig"] = rc
    if "pipelineSpec" in out:
        out["pipelineSpec"] = {"images": pipeline_images(out["pipelineSpec"])}
    return out


def collect_pipeline_jobs(job: "GcpJob") -> Iterable["Resource"]:
    own = own_buckets(job)
    now = datetime.now(timezone.utc)
    for region in regions(job):
        for j in _regional(job, "pipelineJobs", "pipelineJobs", region):
            if _recent(j, now):
                yield _res(job, j, region, pipeline_facets(j, region, own, job.scope), pipeline_config(j))
