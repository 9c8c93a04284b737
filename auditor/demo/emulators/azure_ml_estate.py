"""The ML slice of the seeded Azure estate: ML workspaces, computes, online endpoints, AKS, ACR.

Builders follow the official x-ms-examples of azure-rest-api-specs (Microsoft.MachineLearningServices
2024-04-01: Workspace/get.json, Compute/get/ComputeInstance.json and AmlCompute.json,
Workspace/OnlineEndpoint/get.json, OnlineDeployment/list.json, ModelVersion/get.json,
EnvironmentVersion/get.json; ContainerService ManagedClustersGet; ContainerRegistry RegistryGet)
with synthetic names. Each unsafe shape has a safe twin so every rule is seen failing and passing.
"""

from __future__ import annotations

from typing import Any

from auditor.demo.emulators.azure_estate import _SYSTEM_DATA, rid

_ML = "Microsoft.MachineLearningServices/workspaces"


def _system_identity(principal: str, tenant: str) -> dict[str, Any]:
    return {"type": "SystemAssigned", "principalId": principal, "tenantId": tenant}


def workspace(sub: str, rg: str, name: str, location: str, *, public: bool, isolation: str | None,
              cmk: bool, registry: str | None, storage: str, tenant: str, principal: str) -> dict[str, Any]:
    p: dict[str, Any] = {
        "friendlyName": name,
        "description": f"{name} workspace",
        "storageAccount": rid(sub, rg, f"Microsoft.Storage/storageAccounts/{storage}"),
        "keyVault": rid(sub, rg, f"Microsoft.KeyVault/vaults/kv-{name}"),
        "applicationInsights": rid(sub, rg, f"microsoft.insights/components/appi-{name}"),
        "discoveryUrl": f"https://{location}.api.azureml.ms/discovery",
        "hbiWorkspace": cmk,
        "serviceProvisionedResourceGroup": f"{name}_0000111122223333",
        "privateLinkCount": 0,
        "allowPublicAccessWhenBehindVnet": False,
        "publicNetworkAccess": "Enabled" if public else "Disabled",
        "privateEndpointConnections": [],
        "sharedPrivateLinkResources": [],
        "provisioningState": "Succeeded",
    }
    if registry:
        p["containerRegistry"] = rid(sub, rg, f"Microsoft.ContainerRegistry/registries/{registry}")
    if isolation:
        p["managedNetwork"] = {"isolationMode": isolation, "outboundRules": {},
                               "status": {"status": "Active", "sparkReady": False}}
    if cmk:
        p["encryption"] = {
            "status": "Enabled",
            "identity": {"userAssignedIdentity": None},
            "keyVaultProperties": {"keyVaultArmId": rid(sub, rg, "Microsoft.KeyVault/vaults/kv-ml-cmk"),
                                   "keyIdentifier": "https://kv-ml-cmk.vault.azure.net/keys/mlkey/"
                                                    "aabbccddee112233445566778899aabb",
                                   "identityClientId": ""},
        }
    return {"id": rid(sub, rg, f"{_ML}/{name}"), "name": name, "type": _ML, "location": location,
            "identity": _system_identity(principal, tenant), "sku": {"name": "Basic", "tier": "Basic"},
            "systemData": dict(_SYSTEM_DATA), "properties": p, "tags": {}}


def compute_instance(ws: dict[str, Any], name: str, *, ssh_public: bool, public_ip: bool,
                     subnet: str | None, tenant: str, user: str) -> dict[str, Any]:
    inner: dict[str, Any] = {
        "vmSize": "STANDARD_DS3_V2",
        "applicationSharingPolicy": "Personal",
        "sshSettings": {"sshPublicAccess": "Enabled" if ssh_public else "Disabled", "adminUserName": "azureuser",
                        "sshPort": 50000 if ssh_public else 22},
        "osImageMetadata": {"currentImageVersion": "24.10.07", "latestImageVersion": "24.11.04",
                            "isLatestOsImageVersion": False},
        "computeInstanceAuthorizationType": "personal",
        "personalComputeInstanceSettings": {"assignedUser": {"objectId": user, "tenantId": tenant}},
        "connectivityEndpoints": {"publicIpAddress": "20.61.40.7" if public_ip else None,
                                  "privateIpAddress": "10.0.1.10"},
        "applications": [{"displayName": "Jupyter",
                          "endpointUri": f"https://{name}.{ws['location']}.instances.azureml.ms/tree/"}],
        "enableNodePublicIp": public_ip,
        "errors": None,
        "state": "Running",
    }
    if subnet:
        inner["subnet"] = {"id": subnet}
    return _compute(ws, name, "ComputeInstance", inner)


def compute_cluster(ws: dict[str, Any], name: str, *, public_ip: bool, remote_login: str,
                    subnet: str | None) -> dict[str, Any]:
    inner: dict[str, Any] = {
        "vmSize": "STANDARD_NC6S_V3", "vmPriority": "Dedicated", "osType": "Linux", "virtualMachineImage": None,
        "isolatedNetwork": False,
        "scaleSettings": {"maxNodeCount": 4, "minNodeCount": 0, "nodeIdleTimeBeforeScaleDown": "PT5M"},
        "remoteLoginPortPublicAccess": remote_login, "allocationState": "Steady",
        "allocationStateTransitionTime": "2025-03-02T10:00:00.000Z", "errors": None, "currentNodeCount": 0,
        "targetNodeCount": 0,
        "nodeStateCounts": {"preparingNodeCount": 0, "runningNodeCount": 0, "idleNodeCount": 0,
                            "unusableNodeCount": 0, "leavingNodeCount": 0, "preemptedNodeCount": 0},
        "enableNodePublicIp": public_ip,
    }
    if subnet:
        inner["subnet"] = {"id": subnet}
    return _compute(ws, name, "AmlCompute", inner)


def _compute(ws: dict[str, Any], name: str, ctype: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"{ws['id']}/computes/{name}", "type": f"{_ML}/computes", "name": name,
            "location": ws["location"],
            "properties": {"description": f"{name} ({ctype})", "createdOn": "2025-03-01T10:00:00.0000000+00:00",
                           "modifiedOn": "2025-03-02T10:00:00.0000000+00:00", "computeType": ctype,
                           "provisioningState": "Succeeded", "disableLocalAuth": True, "properties": inner}}


def online_endpoint(ws: dict[str, Any], name: str, *, auth_mode: str, public: bool, principal: str,
                    tenant: str, traffic: dict[str, int]) -> dict[str, Any]:
    return {"id": f"{ws['id']}/onlineEndpoints/{name}", "name": name, "type": f"{_ML}/onlineEndpoints",
            "location": ws["location"], "kind": "Managed", "tags": {},
            "identity": _system_identity(principal, tenant), "systemData": dict(_SYSTEM_DATA),
            "properties": {"description": f"{name} endpoint", "properties": {},
                           "scoringUri": f"https://{name}.{ws['location']}.inference.ml.azure.com/score",
                           "swaggerUri": f"https://{name}.{ws['location']}.inference.ml.azure.com/swagger.json",
                           "authMode": auth_mode, "publicNetworkAccess": "Enabled" if public else "Disabled",
                           "provisioningState": "Succeeded", "traffic": traffic}}


def online_deployment(endpoint: dict[str, Any], name: str, *, model_id: str, environment_id: str,
                      capture: bool) -> dict[str, Any]:
    p: dict[str, Any] = {
        "description": f"{name} deployment", "properties": {}, "environmentId": environment_id,
        "environmentVariables": {}, "scaleSettings": {"scaleType": "Default"},
        "requestSettings": {"maxQueueWait": "PT0.5S", "requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1},
        "appInsightsEnabled": False, "provisioningState": "Succeeded", "instanceType": "Standard_DS3_v2",
        "model": model_id, "endpointComputeType": "Managed", "egressPublicNetworkAccess": "Disabled",
    }
    if capture:
        p["dataCollector"] = {"collections": {"model_inputs": {"dataCollectionMode": "Enabled"},
                                              "model_outputs": {"dataCollectionMode": "Enabled"}},
                              "rollingRate": "Hour"}
    return {"id": f"{endpoint['id']}/deployments/{name}", "name": name,
            "type": f"{_ML}/onlineEndpoints/deployments", "location": endpoint["location"], "kind": "Managed",
            "tags": {}, "sku": {"name": "Default", "capacity": 1}, "systemData": dict(_SYSTEM_DATA), "properties": p}


def model_version(ws: dict[str, Any], name: str, version: str, model_uri: str) -> dict[str, Any]:
    return {"id": f"{ws['id']}/models/{name}/versions/{version}", "name": version, "type": f"{_ML}/models/versions",
            "systemData": dict(_SYSTEM_DATA),
            "properties": {"description": f"{name} v{version}", "tags": {}, "properties": {}, "isAnonymous": False,
                           "flavors": {}, "modelType": "custom_model", "modelUri": model_uri}}


def environment_version(ws: dict[str, Any], name: str, version: str, image: str) -> dict[str, Any]:
    return {"id": f"{ws['id']}/environments/{name}/versions/{version}", "name": version,
            "type": f"{_ML}/environments/versions", "systemData": dict(_SYSTEM_DATA),
            "properties": {"description": f"{name} v{version}", "tags": {}, "properties": {}, "isAnonymous": False,
                           "environmentType": "UserCreated", "image": image, "osType": "Linux"}}


def managed_cluster(sub: str, rg: str, name: str, location: str, *, private: bool, ranges: list[str],
                    local_accounts: bool, workload_identity: bool, principal: str, tenant: str) -> dict[str, Any]:
    api: dict[str, Any] = {"enablePrivateCluster": private}
    if ranges:
        api["authorizedIPRanges"] = ranges
    p: dict[str, Any] = {
        "provisioningState": "Succeeded", "powerState": {"code": "Running"},
        "kubernetesVersion": "1.30", "currentKubernetesVersion": "1.30.6", "dnsPrefix": f"{name}-dns",
        "agentPoolProfiles": [{"name": "nodepool1", "count": 3, "vmSize": "Standard_DS2_v2", "maxPods": 110,
                               "osType": "Linux", "type": "VirtualMachineScaleSets", "mode": "System",
                               "provisioningState": "Succeeded", "powerState": {"code": "Running"},
                               "orchestratorVersion": "1.30", "currentOrchestratorVersion": "1.30.6",
                               "enableNodePublicIP": False}],
        "nodeResourceGroup": f"MC_{rg}_{name}_{location}",
        "enableRBAC": True,
        "disableLocalAccounts": not local_accounts,
        "aadProfile": {"managed": True, "enableAzureRBAC": True, "tenantID": tenant},
        "apiServerAccessProfile": api,
        "networkProfile": {"networkPlugin": "azure", "networkPolicy": "azure", "loadBalancerSku": "standard",
                           "serviceCidr": "10.0.0.0/16", "dnsServiceIP": "10.0.0.10", "outboundType": "loadBalancer"},
        "oidcIssuerProfile": {"enabled": workload_identity},
        "securityProfile": {"workloadIdentity": {"enabled": workload_identity}},
        "maxAgentPools": 100,
    }
    if private:
        p["privateFQDN"] = f"{name}-dns-7d3c2b1a.privatelink.{location}.azmk8s.io"
    else:
        p["fqdn"] = f"{name}-dns-7d3c2b1a.hcp.{location}.azmk8s.io"
    return {"id": rid(sub, rg, f"Microsoft.ContainerService/managedClusters/{name}"), "name": name,
            "type": "Microsoft.ContainerService/ManagedClusters", "location": location, "tags": {},
            "sku": {"name": "Base", "tier": "Standard"}, "identity": _system_identity(principal, tenant),
            "properties": p}


def container_registry(sub: str, rg: str, name: str, location: str, *, admin_user: bool, public: bool,
                       anonymous_pull: bool) -> dict[str, Any]:
    return {"id": rid(sub, rg, f"Microsoft.ContainerRegistry/registries/{name}"), "name": name,
            "type": "Microsoft.ContainerRegistry/registries", "location": location, "tags": {},
            "sku": {"name": "Premium", "tier": "Premium"}, "systemData": dict(_SYSTEM_DATA),
            "properties": {"loginServer": f"{name}.azurecr.io", "creationDate": "2025-03-01T10:00:00.0000000Z",
                           "provisioningState": "Succeeded", "adminUserEnabled": admin_user,
                           "networkRuleSet": {"defaultAction": "Allow" if public else "Deny", "ipRules": []},
                           "policies": {"quarantinePolicy": {"status": "disabled"},
                                        "trustPolicy": {"type": "Notary", "status": "disabled"},
                                        "retentionPolicy": {"days": 7, "status": "disabled"},
                                        "exportPolicy": {"status": "enabled"}},
                           "encryption": {"status": "disabled"}, "dataEndpointEnabled": False,
                           "dataEndpointHostNames": [], "privateEndpointConnections": [],
                           "publicNetworkAccess": "Enabled" if public else "Disabled",
                           "networkRuleBypassOptions": "AzureServices", "zoneRedundancy": "Disabled",
                           "anonymousPullEnabled": anonymous_pull}}


def ml_resources(sub: str, rg: str, location: str, tenant: str, *, storage: str) -> list[dict[str, Any]]:
    """Unsafe and safe twins of every ML shape in one subscription (``storage``: an account listed there)."""
    out: list[dict[str, Any]] = []
    acr = container_registry(sub, rg, "crmlprod", location, admin_user=False, public=False, anonymous_pull=False)
    acr_open = container_registry(sub, rg, "crmlopen", location, admin_user=True, public=True, anonymous_pull=True)
    open_ws = workspace(sub, rg, "mlw-open", location, public=True, isolation="AllowInternetOutbound", cmk=False,
                        registry="crmlopen", storage=storage, tenant=tenant,
                        principal="4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d")
    safe_ws = workspace(sub, rg, "mlw-locked", location, public=False, isolation="AllowOnlyApprovedOutbound",
                        cmk=True, registry="crmlprod", storage=storage, tenant=tenant,
                        principal="5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e")
    out += [acr, acr_open, open_ws, safe_ws]
    subnet = rid(sub, rg, "Microsoft.Network/virtualNetworks/prod-vnet/subnets/app")
    out.append(compute_instance(open_ws, "ci-public-ssh", ssh_public=True, public_ip=True, subnet=None,
                                tenant=tenant, user="0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f"))
    out.append(compute_instance(safe_ws, "ci-private", ssh_public=False, public_ip=False, subnet=subnet,
                                tenant=tenant, user="0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f"))
    out.append(compute_cluster(open_ws, "cc-public", public_ip=True, remote_login="Enabled", subnet=None))
    out.append(compute_cluster(safe_ws, "cc-private", public_ip=False, remote_login="Disabled", subnet=subnet))
    # unsafe endpoint: key auth, public, model from a blob account outside the estate, docker.io image
    ext_model = model_version(open_ws, "fraud", "3", "https://modelzoo.blob.core.windows.net/public/fraud/model.pkl")
    ext_env = environment_version(open_ws, "sklearn-serve", "1", "docker.io/library/python:3.11")
    ep_open = online_endpoint(open_ws, "ep-fraud-public", auth_mode="Key", public=True,
                              principal="6c7d8e9f-0a1b-4c2d-9e3f-4a5b6c7d8e9f", tenant=tenant, traffic={"blue": 100})
    out += [ext_model, ext_env, ep_open,
            online_deployment(ep_open, "blue", model_id=ext_model["id"], environment_id=ext_env["id"], capture=False)]
    # safe twin: Entra token auth, private, model in the subscription's storage, image in its ACR by digest
    own_model = model_version(safe_ws, "fraud", "4",
                              f"https://{storage}.blob.core.windows.net/models/fraud/4/model.pkl")
    own_env = environment_version(safe_ws, "sklearn-serve", "2", "crmlprod.azurecr.io/serve/sklearn@sha256:"
                                  + "3f" * 32)
    curated = environment_version(safe_ws, "curated-sklearn", "7",
                                  "mcr.microsoft.com/azureml/curated/sklearn-1.5:7")
    ep_safe = online_endpoint(safe_ws, "ep-fraud-private", auth_mode="AADToken", public=False,
                              principal="7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a", tenant=tenant,
                              traffic={"green": 90, "canary": 10})
    # registered but not deployed: the candidate the overnight drift switches to (replace_endpoint_model)
    out.append(model_version(safe_ws, "fraud", "5", CANDIDATE_URI))
    out += [own_model, own_env, curated, ep_safe,
            online_deployment(ep_safe, "green", model_id=own_model["id"], environment_id=own_env["id"], capture=True),
            online_deployment(ep_safe, "canary", model_id=own_model["id"], environment_id=curated["id"],
                              capture=True)]
    out.append(managed_cluster(sub, rg, "aks-open", location, private=False, ranges=[], local_accounts=True,
                               workload_identity=False, principal="8e9f0a1b-2c3d-4e4f-9a5b-6c7d8e9f0a1b",
                               tenant=tenant))
    out.append(managed_cluster(sub, rg, "aks-restricted", location, private=False, ranges=["203.0.113.0/24"],
                               local_accounts=False, workload_identity=True,
                               principal="9f0a1b2c-3d4e-4f5a-8b6c-7d8e9f0a1b2c", tenant=tenant))
    out.append(managed_cluster(sub, rg, "aks-private", location, private=True, ranges=[], local_accounts=False,
                               workload_identity=True, principal="0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d",
                               tenant=tenant))
    return out


CANDIDATE_URI = "https://modelzoo.blob.core.windows.net/public/fraud/model-v5.pkl"


def replace_endpoint_model(estate: dict[str, Any], endpoint: str = "ep-fraud-private") -> str:
    """Overnight drift: the endpoint's first deployment switches to model version 5, registered from a
    blob account outside the estate (model replacement as ARM shows it). Mutates in place so a running
    fake serves it; returns the new artifact URI."""
    resources = estate["resources"]
    dep = next(d for d in resources if f"/onlineEndpoints/{endpoint}/deployments/" in d["id"])
    dep["properties"]["model"] = dep["id"].split("/onlineEndpoints/")[0] + "/models/fraud/versions/5"
    return CANDIDATE_URI
