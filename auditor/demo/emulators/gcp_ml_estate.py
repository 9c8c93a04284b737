"""The GCP estate's ML slice: Vertex AI models, endpoints and custom jobs, Workbench instances
and GKE clusters, each an unsafe shape beside its safe twin (REST JSON of the discovery documents).

``seed_ml(estate)`` is the one hook ``sample_estate()`` calls.
"""

from __future__ import annotations

from typing import Any

from auditor.demo.emulators.gcp_estate import GcpEstate, GcpProject, _num

DIGEST = "sha256:" + "ab" * 32
EXTERNAL_ARTIFACT = "gs://partner-share-models/sentiment/v7/"  # a bucket no estate project owns


def _vertex_name(p: GcpProject, region: str, kind: str, name: str) -> str:
    return f"projects/{p.number}/locations/{region}/{kind}/{_num(p.project_id + kind + name)}"


def model(p: GcpProject, region: str, name: str, *, artifact: str, image: str,
          kms: str | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {
        "name": _vertex_name(p, region, "models", name), "displayName": name, "artifactUri": artifact,
        "containerSpec": {"imageUri": image, "predictRoute": "/predict", "healthRoute": "/health"},
        "versionId": "1", "versionAliases": ["default"], "createTime": "2026-10-01T10:00:00Z",
        "updateTime": "2026-10-01T10:00:00Z", "etag": "AMEw9yN=", "labels": {"team": "ml"},
        "supportedDeploymentResourcesTypes": ["DEDICATED_RESOURCES"],
    }
    if kms:
        m["encryptionSpec"] = {"kmsKeyName": kms}
    p.vertex_models.append(m)
    return m


def endpoint(p: GcpProject, region: str, name: str, models: list[dict[str, Any]], *, network: str | None = None,
             kms: str | None = None, log_to: str | None = None, sa: str | None = None) -> dict[str, Any]:
    deployed = [{"id": _num(name + m["name"])[:10], "model": m["name"], "displayName": m["displayName"],
                 "createTime": "2026-10-02T10:00:00Z",
                 "dedicatedResources": {"machineSpec": {"machineType": "n1-standard-4"}, "minReplicaCount": 1},
                 **({"serviceAccount": sa} if sa else {})} for m in models]
    e: dict[str, Any] = {
        "name": _vertex_name(p, region, "endpoints", name), "displayName": name, "deployedModels": deployed,
        "trafficSplit": {d["id"]: 100 // len(deployed) for d in deployed} if deployed else {},
        "createTime": "2026-10-02T10:00:00Z", "updateTime": "2026-10-02T10:00:00Z", "etag": "AMEw9yO=",
    }
    if network:
        e["network"] = network
    if kms:
        e["encryptionSpec"] = {"kmsKeyName": kms}
    if log_to:
        e["predictRequestResponseLoggingConfig"] = {"enabled": True, "samplingRate": 0.1,
                                                    "bigqueryDestination": {"outputUri": log_to}}
    p.vertex_endpoints.append(e)
    return e


def custom_job(p: GcpProject, region: str, name: str, *, image: str, sa: str, output: str, state: str,
               end: str | None = None, network: str | None = None) -> dict[str, Any]:
    j: dict[str, Any] = {
        "name": _vertex_name(p, region, "customJobs", name), "displayName": name, "state": state,
        "createTime": "2026-11-30T01:00:00Z", "startTime": "2026-11-30T01:05:00Z",
        "updateTime": end or "2026-11-30T01:05:00Z",
        "jobSpec": {"workerPoolSpecs": [{"machineSpec": {"machineType": "n1-standard-8"}, "replicaCount": "1",
                                         "containerSpec": {"imageUri": image, "args": ["--token=s3cr3t"],
                                                           "env": [{"name": "API_KEY", "value": "s3cr3t"}]}}],
                    "serviceAccount": sa, "baseOutputDirectory": {"outputUriPrefix": output},
                    **({"network": network} if network else {})},
    }
    if end:
        j["endTime"] = end
    p.custom_jobs.append(j)
    return j


def pipeline_job(p: GcpProject, region: str, name: str, *, images: list[str], sa: str, output: str,
                 state: str = "PIPELINE_STATE_RUNNING", network: str | None = None) -> dict[str, Any]:
    executors = {f"exec-step-{i}": {"container": {"image": img, "args": ["--api-key", "s3cr3t"]}}
                 for i, img in enumerate(images)}
    j: dict[str, Any] = {
        "name": _vertex_name(p, region, "pipelineJobs", name), "displayName": name, "state": state,
        "createTime": "2026-11-30T02:00:00Z", "startTime": "2026-11-30T02:01:00Z",
        "updateTime": "2026-11-30T02:01:00Z", "serviceAccount": sa,
        "pipelineSpec": {"pipelineInfo": {"name": name}, "deploymentSpec": {"executors": executors},
                         "schemaVersion": "2.1.0", "sdkVersion": "kfp-2.7.0"},
        "runtimeConfig": {"gcsOutputDirectory": output, "parameterValues": {"db_password": "s3cr3t"}},
        **({"network": network} if network else {}),
    }
    p.pipeline_jobs.append(j)
    return j


def workbench(p: GcpProject, zone: str, name: str, *, public_ip: bool, root: bool, sa: str,
              proxy: bool = True) -> dict[str, Any]:
    meta = {"startup-script": "curl -H 'Authorization: Bearer s3cr3t' https://example.invalid"}
    if not root:
        meta["notebook-disable-root"] = "true"
    i: dict[str, Any] = {
        "name": f"projects/{p.project_id}/locations/{zone}/instances/{name}", "id": _num(name),
        "state": "ACTIVE", "creator": "alice@example.com", "createTime": "2026-09-01T00:00:00Z",
        "updateTime": "2026-11-01T00:00:00Z", "healthState": "HEALTHY", "disableProxyAccess": not proxy,
        **({"proxyUri": f"{_num(name)[:12]}-dot-europe-west1.notebooks.googleusercontent.com"} if proxy else {}),
        "gceSetup": {"machineType": "e2-standard-4", "disablePublicIp": not public_ip, "metadata": meta,
                     "serviceAccounts": [{"email": sa, "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}],
                     "networkInterfaces": [{"network": f"projects/{p.project_id}/global/networks/ml-vpc",
                                            "subnet": f"projects/{p.project_id}/regions/europe-west1/"
                                                      "subnetworks/ml-ew1",
                                            "nicType": "GVNIC"}],
                     "vmImage": {"project": "cloud-notebooks-managed", "family": "workbench-instances"}},
        "labels": {"team": "ds"},
    }
    p.workbench.append(i)
    return i


def cluster(p: GcpProject, location: str, name: str, *, private_endpoint: bool, authorized: list[str] | None,
            legacy_abac: bool = False, workload_identity: bool = True, node_sa: str | None = None,
            scopes: tuple[str, ...] = ("https://www.googleapis.com/auth/devstorage.read_only",),
            shielded: bool = True, kms: str | None = None) -> dict[str, Any]:
    node_cfg: dict[str, Any] = {"machineType": "e2-standard-4", "diskSizeGb": 100, "oauthScopes": list(scopes),
                                "imageType": "COS_CONTAINERD",
                                **({"serviceAccount": node_sa} if node_sa else {}),
                                "shieldedInstanceConfig": {"enableSecureBoot": shielded,
                                                           "enableIntegrityMonitoring": True}}
    c: dict[str, Any] = {
        "name": name, "location": location, "locations": [f"{location}-b"] if location.count("-") == 1 else [location],
        "selfLink": f"https://container.googleapis.com/v1/projects/{p.project_id}/locations/{location}/clusters/{name}",
        "status": "RUNNING", "currentMasterVersion": "1.31.3-gke.1000", "currentNodeVersion": "1.31.3-gke.1000",
        "createTime": "2026-06-01T00:00:00+00:00", "endpoint": "34.76.0.10" if not private_endpoint else "10.0.0.2",
        "network": "ml-vpc", "subnetwork": "ml-ew1", "nodeConfig": node_cfg,
        "nodePools": [{"name": "default-pool", "config": node_cfg, "initialNodeCount": 3, "status": "RUNNING",
                       "version": "1.31.3-gke.1000"}],
        "legacyAbac": {"enabled": legacy_abac}, "shieldedNodes": {"enabled": shielded},
        "masterAuth": {"clusterCaCertificate": "LS0tLS1CRUdJTi..."},
        "masterAuthorizedNetworksConfig": {"enabled": authorized is not None,
                                           "cidrBlocks": [{"cidrBlock": c} for c in authorized or []]},
        "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": private_endpoint,
                                 "masterIpv4CidrBlock": "172.16.0.0/28"},
        "databaseEncryption": {"state": "ENCRYPTED" if kms else "DECRYPTED", **({"keyName": kms} if kms else {})},
        "loggingConfig": {"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS"]}},
        "resourceLabels": {"team": "platform"},
    }
    if workload_identity:
        c["workloadIdentityConfig"] = {"workloadPool": f"{p.project_id}.svc.id.goog"}
    p.gke_clusters.append(c)
    return c


def seed_ml(estate: GcpEstate) -> None:
    """ml-prod: the EU ML platform; data-lake: a legacy, open cluster and a stopped notebook."""
    ml, data = estate.project("ml-prod"), estate.project("data-lake")
    assert ml is not None and data is not None
    kms = "projects/ml-prod/locations/europe-west1/keyRings/ring/cryptoKeys/data"
    trainer = "trainer@ml-prod.iam.gserviceaccount.com"
    region = "europe-west1"
    churn = model(ml, region, "churn-v3", artifact="gs://ml-prod-models/churn/v3/", kms=kms,
                  image="europe-docker.pkg.dev/vertex-ai/prediction/sklearn-cpu.1-3:latest")
    model(ml, region, "churn-v4", artifact="gs://ml-prod-models/churn/v4/", kms=kms,
          image=f"europe-west1-docker.pkg.dev/ml-prod/serving/churn@{DIGEST}")
    sentiment = model(ml, region, "sentiment-ext", artifact=EXTERNAL_ARTIFACT,
                      image="docker.io/someone/sentiment-server:latest")
    endpoint(ml, region, "churn-private", [churn], network="projects/100000000001/global/networks/ml-vpc", kms=kms,
             log_to="bq://ml-prod.inference.churn_log", sa=trainer)
    endpoint(ml, region, "sentiment-public", [sentiment])
    custom_job(ml, region, "train-churn-v5", image=f"europe-west1-docker.pkg.dev/ml-prod/training/churn@{DIGEST}",
               sa=trainer, output="gs://ml-prod-models/churn/v5/", state="JOB_STATE_RUNNING",
               network="projects/100000000001/global/networks/ml-vpc")
    custom_job(ml, region, "train-2024", image="gcr.io/ml-prod/old-trainer:1", sa=trainer,
               output="gs://ml-prod-models/old/", state="JOB_STATE_SUCCEEDED", end="2024-03-01T00:00:00Z")
    pipeline_job(ml, region, "churn-nightly", sa=trainer, output="gs://ml-prod-models/pipelines/",
                 images=[f"europe-west1-docker.pkg.dev/ml-prod/training/prep@{DIGEST}",
                         "europe-docker.pkg.dev/vertex-ai/training/tf-cpu.2-15:latest"],
                 network="projects/100000000001/global/networks/ml-vpc")
    pipeline_job(ml, region, "vendor-eval", sa=trainer, output="gs://partner-share-models/eval/",
                 images=["docker.io/vendor/eval:latest"])
    workbench(ml, "europe-west1-b", "ds-open", public_ip=True, root=True,
              sa="100000000001-compute@developer.gserviceaccount.com")
    workbench(ml, "europe-west1-b", "ds-locked", public_ip=False, root=False, sa=trainer, proxy=False)
    workbench(data, "europe-west1-c", "lake-explore", public_ip=False, root=True,
              sa="analyst@data-lake.iam.gserviceaccount.com")
    cluster(ml, region, "ml-gke", private_endpoint=True, authorized=["10.0.0.0/8"], kms=kms)
    cluster(ml, "europe-west4-a", "ml-gke-edge", private_endpoint=False, authorized=["203.0.113.0/24"])
    seed_registries(estate)
    cluster(data, "us-central1", "lake-gke", private_endpoint=False, authorized=None, legacy_abac=True,
            workload_identity=False, scopes=("https://www.googleapis.com/auth/cloud-platform",), shielded=False)


def replace_endpoint_model(estate: GcpEstate) -> str:
    """The overnight drift: ml-prod's private churn endpoint now serves a vendor model whose artifact
    sits in a bucket outside the estate (provenance flips to FAIL); returns that artifact URI."""
    ml = estate.project("ml-prod")
    assert ml is not None
    artifact = "gs://partner-share-models/churn/v5/"
    vendor = model(ml, "europe-west1", "churn-v5-vendor", artifact=artifact,
                   image="docker.io/vendor/churn-server:latest")
    ep = next(e for e in ml.vertex_endpoints if e["displayName"] == "churn-private")
    for d in ep["deployedModels"]:
        d.update(model=vendor["name"], displayName=vendor["displayName"])
    return artifact


def repository(p: GcpProject, location: str, name: str, *, immutable: bool, public: bool = False,
               kms: str | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {
        "name": f"projects/{p.project_id}/locations/{location}/repositories/{name}", "format": "DOCKER",
        "mode": "STANDARD_REPOSITORY", "dockerConfig": {"immutableTags": immutable},
        "registryUri": f"{location}-docker.pkg.dev/{p.project_id}/{name}", "sizeBytes": "1048576",
        "createTime": "2026-01-01T00:00:00Z", "updateTime": "2026-11-01T00:00:00Z", "labels": {"team": "ml"},
        "vulnerabilityScanningConfig": {"enablementConfig": "INHERITED", "enablementState": "SCANNING_ACTIVE"},
    }
    if kms:
        r["kmsKeyName"] = kms
    p.repositories.append(r)
    if public:
        p.repository_policies[r["name"]] = {"version": 1, "etag": "BwYrepo=", "bindings": [
            {"role": "roles/artifactregistry.reader", "members": ["allUsers"]}]}
    return r


def seed_registries(estate: GcpEstate) -> None:
    """ml-prod's serving/training repositories (immutable, private) and a public, mutable one."""
    ml = estate.project("ml-prod")
    assert ml is not None
    kms = "projects/ml-prod/locations/europe-west1/keyRings/ring/cryptoKeys/data"
    repository(ml, "europe-west1", "serving", immutable=True, kms=kms)
    repository(ml, "europe-west1", "training", immutable=True, kms=kms)
    repository(ml, "europe-west1", "scratch", immutable=False, public=True)
