"""Specs for Azure ML, AKS and Container Registry (kept beside specs.py, merged into SPECS)."""

from __future__ import annotations

from typing import Any, Callable

from collectors.spec import ResourceSpec

_ML = "Microsoft.MachineLearningServices/workspaces"

ML_CALL_ACTIONS: dict[tuple[str, str], str] = {
    ("ml", "workspaces.list_by_subscription"): f"{_ML}/read",
    ("ml", "compute.list"): f"{_ML}/computes/read",
    ("ml", "online_endpoints.list"): f"{_ML}/onlineEndpoints/read",
    ("ml", "online_deployments.list"): f"{_ML}/onlineEndpoints/deployments/read",
    ("ml", "model_versions.get_by_id"): f"{_ML}/models/versions/read",
    ("ml", "environment_versions.get_by_id"): f"{_ML}/environments/versions/read",
    ("containerservice", "managed_clusters.list"): "Microsoft.ContainerService/managedClusters/read",
    ("containerregistry", "registries.list"): "Microsoft.ContainerRegistry/registries/read",
}


def ml_specs(spec: Callable[..., ResourceSpec], rules: Callable[..., Any]) -> tuple[ResourceSpec, ...]:
    """Built with specs.py's own ``_spec``/``_rules`` so they read exactly like the rest."""
    from collectors.azure import ml_collect as c

    return (
        spec("azure.ml.workspace", "compute", "ml", "workspaces.list_by_subscription", (), c.workspaces,
             rules(("config.properties.privateLinkCount", "config.properties.managedNetwork.status")),
             "Azure ML workspaces: public network access, managed network isolation, HBI, CMK, linked "
             "storage / registry / key vault (config)."),
        spec("azure.ml.compute", "compute", "ml", "workspaces.list_by_subscription", ("compute.list",), c.computes,
             rules(("config.properties.modifiedOn", "config.properties.properties.state",
                    "config.properties.properties.osImageMetadata", "config.properties.properties.connectivityEndpoints",
                    "config.properties.properties.allocationState",
                    "config.properties.properties.allocationStateTransitionTime",
                    "config.properties.properties.currentNodeCount", "config.properties.properties.targetNodeCount",
                    "config.properties.properties.nodeStateCounts", "config.properties.properties.errors",
                    "config.properties.properties.lastOperation")),
             "Azure ML compute instances (notebooks: SSH public access, public IP, identity) and clusters."),
        spec("azure.ml.online_endpoint", "compute", "ml", "workspaces.list_by_subscription",
             ("online_endpoints.list", "online_deployments.list", "model_versions.get_by_id",
              "environment_versions.get_by_id"), c.online_endpoints, rules(),
             "Azure ML online endpoints with their deployments' models (artifact URIs) and environment images.",
             extra=(("storage", "storage_accounts.list"), ("containerregistry", "registries.list"))),
        spec("azure.containerservice.managed_cluster", "compute", "containerservice", "managed_clusters.list", (),
             c.managed_clusters,
             rules(("config.properties.powerState", "config.properties.agentPoolProfiles[*].powerState",
                    "config.properties.agentPoolProfiles[*].count")),
             "AKS clusters: API server authorised IP ranges / private cluster, local accounts, RBAC, workload "
             "identity (config), secrets KMS."),
        spec("azure.containerregistry.registry", "storage", "containerregistry", "registries.list", (),
             c.container_registries, rules(),
             "Container registries: admin user, public network access, anonymous pull."),
    )
