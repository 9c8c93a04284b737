"""Azure ML, AKS and Container Registry ARM JSON -> the shared ML, cluster and store facets.

Same contract as the AWS twins (auditor/facets.py ML / CLUSTER / STORE), so the rules in
auditor/rules/ml.py judge these resources unchanged:

- a workspace is the analogue of a SageMaker Studio domain (``ml_kind`` "domain"): direct
  internet access comes from its managed network isolation mode;
- a compute instance is a notebook: public IP, SSH from the internet, identity, subnet;
- a compute cluster carries the same network facets without an ``ml_kind`` (no rule judges
  a cluster as a notebook);
- an online endpoint aggregates its deployments (models, images, artifacts, data capture) and
  inherits the workspace's encryption (managed endpoints are encrypted with the workspace key).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from collectors.azure.normalise import arm_parts, props

def _lower(value: Any) -> str | None:
    return str(value).lower() if value is not None else None


def _enabled(value: Any) -> bool | None:
    """ARM "Enabled"/"Disabled" (and "NotSpecified") -> bool | None."""
    v = _lower(value)
    return True if v == "enabled" else False if v == "disabled" else None


def _identity(doc: dict[str, Any]) -> str | None:
    identity = doc.get("identity") or {}
    uami = sorted((identity.get("userAssignedIdentities") or {}).keys())
    return identity.get("principalId") or (uami[0] if uami else None)


def _locations(doc: dict[str, Any]) -> list[str]:
    return [doc["location"].lower()] if doc.get("location") else []


# ---- workspaces --------------------------------------------------------------------------------

def workspace_encryption(doc: dict[str, Any]) -> dict[str, Any]:
    """Workspace data is always encrypted at rest; a customer key when encryption.status is Enabled."""
    enc = props(doc).get("encryption") or {}
    kv = enc.get("keyVaultProperties") or {}
    customer = _lower(enc.get("status")) == "enabled" and bool(kv.get("keyIdentifier"))
    return {"encrypted": True, "key_management": "customer" if customer else "provider",
            "kms_key": kv.get("keyIdentifier") if customer else None}


def workspace_isolation(doc: dict[str, Any]) -> str | None:
    """managedNetwork.isolationMode: Disabled | AllowInternetOutbound | AllowOnlyApprovedOutbound."""
    return (props(doc).get("managedNetwork") or {}).get("isolationMode")


def workspace_facets(doc: dict[str, Any]) -> dict[str, Any]:
    mode = _lower(workspace_isolation(doc))
    # Without a managed network the workspace's computes egress like any VM (customer VNet or internet).
    direct = None if mode is None else mode != "allowonlyapprovedoutbound"
    return {
        "ml_kind": "domain",
        "direct_internet_access": direct,
        "root_access": None,
        "network_isolation": None if mode is None else mode == "allowonlyapprovedoutbound",
        "identity": _identity(doc),
        "public_reasons": ["publicNetworkAccess=Enabled"] if _enabled(props(doc).get("publicNetworkAccess")) else [],
        "locations": _locations(doc),
        **workspace_encryption(doc),
    }


# ---- computes ----------------------------------------------------------------------------------

def compute_facets(doc: dict[str, Any], workspace: dict[str, Any]) -> dict[str, Any]:
    """Compute instance (notebook) or AmlCompute cluster; other compute types get only placement."""
    p = props(doc)
    ctype = _lower(p.get("computeType"))
    inner = p.get("properties") or {}
    out: dict[str, Any] = {"identity": _identity(doc), "locations": _locations(doc) or _locations(workspace)}
    if ctype not in ("computeinstance", "amlcompute"):
        return out
    public_ip = inner.get("enableNodePublicIp")
    if public_ip is None and ctype == "computeinstance":
        endpoints = inner.get("connectivityEndpoints") or {}
        public_ip = bool(endpoints.get("publicIpAddress")) if endpoints else None
    if ctype == "computeinstance":
        ssh = _enabled((inner.get("sshSettings") or {}).get("sshPublicAccess"))
    else:
        ssh = _enabled(inner.get("remoteLoginPortPublicAccess"))
    approved_only = _lower(workspace_isolation(workspace)) == "allowonlyapprovedoutbound"
    # Egress through a provider-managed public address, unless the workspace's managed network allows
    # only approved outbound destinations.
    direct = False if approved_only else public_ip
    reasons = (["ssh:public"] if ssh else []) + (["node-public-ip"] if public_ip else [])
    out.update({
        "public_ip": public_ip,
        "direct_internet_access": direct,
        "in_vpc": bool((inner.get("subnet") or {}).get("id")),
        "public_reasons": reasons,
        "state": inner.get("state") if ctype == "computeinstance" else inner.get("allocationState"),
    })
    if ctype == "computeinstance":
        # The API has no root-access switch: the assigned user has sudo on every compute instance.
        out.update({"ml_kind": "notebook", "root_access": True})
    return out


# ---- online endpoints ---------------------------------------------------------------------------

def blob_source(uri: str, storage_accounts: dict[str, dict[str, Any]], subscription: str) -> dict[str, Any]:
    """An https blob URI or azureml:// datastore URI -> the shared *source* shape.

    ``storage_accounts`` maps account name (lower) -> the subscription's storage account doc: an
    account listed there is provably the subscription's own. ``azureml://subscriptions/<id>/...``
    names its owner.
    """
    parts = urlsplit(uri)
    if parts.scheme in ("https", "http") and parts.hostname and ".blob." in parts.hostname:
        account = parts.hostname.split(".", 1)[0].lower()
        container = parts.path.lstrip("/").split("/", 1)[0]
        known = storage_accounts.get(account)
        return {"uri": uri, "bucket": f"{account}/{container}", "region": _lower((known or {}).get("location")),
                "account": subscription if known else None, "exists": True if known else None}
    if parts.scheme == "azureml":
        segs = [s for s in (parts.netloc + parts.path).split("/") if s]
        owner = segs[segs.index("subscriptions") + 1].lower() if "subscriptions" in segs[:-1] else None
        ws = segs[segs.index("workspaces") + 1] if "workspaces" in segs[:-1] else None
        bucket = f"azureml:{ws}" if ws else None
        return {"uri": uri, "bucket": bucket, "region": None, "account": owner, "exists": None}
    return {"uri": uri, "bucket": None, "region": None, "account": None, "exists": None}


def image_ref(uri: str, registries: dict[str, str], subscription: str) -> dict[str, Any]:
    """``registries`` maps login server (lower) -> region of the subscription's container registries."""
    ref, _, digest = uri.partition("@")
    first = ref.split("/", 1)[0]
    host = first.lower() if ("." in first or ":" in first) and "/" in ref else "docker.io"
    return {"uri": uri, "registry": host,
            "account": subscription if host in registries else None,
            "region": registries.get(host), "digest": digest or None}


def endpoint_facets(doc: dict[str, Any], workspace: dict[str, Any], deployments: list[dict[str, Any]],
                    models: dict[str, dict[str, Any] | None], environments: dict[str, dict[str, Any] | None],
                    storage_accounts: dict[str, dict[str, Any]], registries: dict[str, str]) -> dict[str, Any]:
    """``models``/``environments``: ARM id (lower) -> version doc, or None when it could not be read."""
    p = props(doc)
    sub = arm_parts(doc["id"])["subscription"].lower()
    mode = _lower(p.get("authMode"))
    auth = {"key": "key", "amltoken": "iam", "aadtoken": "iam"}.get(mode or "")
    artifacts: list[str] = []
    images: list[dict[str, Any]] = []
    unknown = False
    capture: list[bool] = []
    for dep in deployments:
        dp = props(dep)
        model_id = dp.get("model")
        if model_id:
            model = models.get(model_id.lower())
            if model is None or not props(model).get("modelUri"):
                unknown = True  # deleted or unreadable version: where the model comes from is not known
            else:
                artifacts.append(props(model)["modelUri"])
        env_id = dp.get("environmentId")
        if env_id:
            env = environments.get(env_id.lower())
            if env is None or not props(env).get("image"):
                unknown = True  # not readable, or built from a context: the image is not declared
            else:
                images.append(image_ref(props(env)["image"], registries, sub))
        collections = (dp.get("dataCollector") or {}).get("collections") or {}
        capture.append(any(_lower(c.get("dataCollectionMode")) == "enabled" for c in collections.values()))
    sources = [blob_source(u, storage_accounts, sub) for u in artifacts]
    return {
        "ml_kind": "endpoint",
        "auth": auth,
        "public_reasons": ["publicNetworkAccess=Enabled"] if _enabled(p.get("publicNetworkAccess")) is not False
        else [],
        "models": sorted({str(props(d).get("model") or "").rsplit("/models/", 1)[-1] for d in deployments
                          if props(d).get("model")}),
        "artifact_locations": artifacts,
        "artifact_sources": None if unknown else sources,
        "data_sources": None if unknown else sources,
        "images": None if unknown else images,
        "image_registries": sorted({i["registry"] for i in images}),
        "data_capture": any(capture) if deployments else None,
        "data_capture_locations": [],
        "identity": _identity(doc),
        "roles": [r for r in [_identity(doc)] if r],
        "locations": _locations(doc) or _locations(workspace),
        **workspace_encryption(workspace),
    }


# ---- AKS and container registries --------------------------------------------------------------

def managed_cluster_facets(doc: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    api = p.get("apiServerAccessProfile") or {}
    private = bool(api.get("enablePrivateCluster"))
    ranges = list(api.get("authorizedIPRanges") or [])
    security = p.get("securityProfile") or {}
    kms = security.get("azureKeyVaultKms") or {}
    return {
        "endpoint_public": not private,
        # No authorised ranges on a public API server means every address may connect.
        "endpoint_public_cidrs": [] if private else (ranges or ["0.0.0.0/0"]),
        "secrets_encrypted": bool(kms.get("enabled")),
        # disableLocalAccounts is omitted (false) until set; enableRBAC defaults to true when omitted
        "local_accounts": not bool(p.get("disableLocalAccounts")),
        "rbac": p.get("enableRBAC") is not False,
        "workload_identity": bool((security.get("workloadIdentity") or {}).get("enabled")),
        "control_plane_logs": None,  # diagnostic settings are a separate resource, not read here
        "version": p.get("currentKubernetesVersion") or p.get("kubernetesVersion"),
        "identity": _identity(doc),
        "locations": _locations(doc),
    }


def registry_facets(doc: dict[str, Any]) -> dict[str, Any]:
    p = props(doc)
    anonymous = p.get("anonymousPullEnabled")
    network = _enabled(p.get("publicNetworkAccess"))
    default_action = _lower((p.get("networkRuleSet") or {}).get("defaultAction"))
    open_network = False if network is False else (default_action != "deny" if network else None)
    enc = p.get("encryption") or {}
    customer = _lower(enc.get("status")) == "enabled"
    reasons = (["anonymousPull"] if anonymous else []) + (["adminUser"] if p.get("adminUserEnabled") else [])
    return {
        "public": bool(anonymous) if anonymous is not None else None,
        "public_reasons": reasons,
        "public_network_access": open_network,
        "admin_user": bool(p.get("adminUserEnabled")),
        "encrypted": True,
        "key_management": "customer" if customer else "provider",
        "kms_key": ((enc.get("keyVaultProperties") or {}).get("keyIdentifier")) if customer else None,
        # ACR has no registry-wide tag immutability (locks are per repository, data plane): no
        # ``tag_immutable`` facet, so registry.mutable_tags does not claim to judge it.
        "locations": _locations(doc),
        "replica_locations": [],
    }
