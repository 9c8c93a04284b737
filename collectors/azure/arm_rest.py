"""Read-only ARM clients for the ML platform, AKS and Container Registry, declared as data.

These resource providers are read with a handful of GETs each; their azure-mgmt-* SDKs are
large (azure-mgmt-machinelearningservices alone carries dozens of API versions). A client here
is the same azure-core ARM pipeline the SDK clients use (counting, retry, Retry-After,
no auto-registration), ``azure.core.paging.ItemPaged`` following ``nextLink`` to the end, and
operation groups named like the SDK's so specs, CALL_ACTIONS and the permissions test treat
them like any other client. Each operation is one URL template in ``OPERATIONS``.
"""

from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import quote

ML_API = "2024-04-01"
AKS_API = "2024-09-01"
ACR_API = "2023-07-01"

_SUB = "/subscriptions/{subscription}"
_WS = _SUB + "/resourceGroups/{0}/providers/Microsoft.MachineLearningServices/workspaces/{1}"

# client kind -> operation group -> method -> (kind, URL template, api-version)
# kind "list" pages through ``value``/``nextLink``; "get" reads one ARM id (the template is "{0}").
OPERATIONS: dict[str, dict[str, dict[str, tuple[str, str, str]]]] = {
    "ml": {
        "workspaces": {"list_by_subscription": (
            "list", _SUB + "/providers/Microsoft.MachineLearningServices/workspaces", ML_API)},
        "compute": {"list": ("list", _WS + "/computes", ML_API)},
        "online_endpoints": {"list": ("list", _WS + "/onlineEndpoints", ML_API)},
        "online_deployments": {"list": ("list", _WS + "/onlineEndpoints/{2}/deployments", ML_API)},
        "registries": {"list_by_subscription": (
            "list", _SUB + "/providers/Microsoft.MachineLearningServices/registries", ML_API)},
        "model_versions": {"get_by_id": ("get", "{0}", ML_API)},
        "environment_versions": {"get_by_id": ("get", "{0}", ML_API)},
    },
    "containerservice": {
        "managed_clusters": {"list": (
            "list", _SUB + "/providers/Microsoft.ContainerService/managedClusters", AKS_API)},
    },
    "containerregistry": {
        "registries": {"list": ("list", _SUB + "/providers/Microsoft.ContainerRegistry/registries", ACR_API)},
    },
}


class _Group:
    def __init__(self, client: "ArmRestClient", ops: dict[str, tuple[str, str, str]]) -> None:
        for name, (kind, template, api) in ops.items():
            setattr(self, name, self._bind(client, kind, template, api))

    @staticmethod
    def _bind(client: "ArmRestClient", kind: str, template: str, api: str):  # type: ignore[no-untyped-def]
        def call(*args: str) -> Any:
            path = template.format(*(quote(a, safe="") for a in args) if kind == "list" else args,
                                   subscription=quote(client.subscription_id, safe=""))
            return client.list(path, api) if kind == "list" else client.get(path, api)

        return call


class ArmRestClient:
    """One subscription's operation groups of one ``OPERATIONS`` kind, over an ARM pipeline."""

    kind = ""

    @classmethod
    def operations(cls) -> dict[str, dict[str, tuple[str, str, str]]]:
        """This client's operation groups (subclasses elsewhere may declare their own table)."""
        return OPERATIONS[cls.kind]

    def __init__(self, credential: Any, subscription_id: str, *, base_url: str, policies: list[Any],
                 credential_scopes: list[str] | None = None, **kwargs: Any) -> None:
        from azure.mgmt.core import ARMPipelineClient

        self.subscription_id = subscription_id
        self._base = base_url.rstrip("/")
        self._client = ARMPipelineClient(base_url=base_url, policies=policies, **kwargs)
        for group, ops in self.operations().items():
            setattr(self, group, _Group(self, ops))

    def _send(self, url: str) -> dict[str, Any]:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        # nextLink is absolute (the ARM host); our own paths are joined to the configured endpoint
        resp = self._client.send_request(HttpRequest("GET", self._base + url if url.startswith("/") else url))
        if resp.status_code == 404:
            raise ResourceNotFoundError(response=resp, error_format=ARMErrorFormat)
        if resp.status_code >= 400:
            raise HttpResponseError(response=resp, error_format=ARMErrorFormat)
        return resp.json()

    def get(self, path: str, api: str) -> dict[str, Any]:
        return self._send(f"{path}?api-version={api}")

    def list(self, path: str, api: str) -> Iterator[dict[str, Any]]:
        """Every item across pages; a nextLink seen twice is a server loop, not more data."""
        from azure.core.paging import ItemPaged

        seen: set[str] = set()

        def get_next(token: str | None) -> dict[str, Any]:
            if token in seen:
                raise RuntimeError(f"pagination loop at {token}")
            if token:
                seen.add(token)
            return self._send(token or f"{path}?api-version={api}")

        def extract(body: dict[str, Any]) -> tuple[str | None, Iterator[dict[str, Any]]]:
            return body.get("nextLink") or None, iter(body.get("value") or [])

        return iter(ItemPaged(get_next, extract))

    def close(self) -> None:
        self._client.close()


class MachineLearningClient(ArmRestClient):
    kind = "ml"


class ContainerServiceClient(ArmRestClient):
    kind = "containerservice"


class ContainerRegistryClient(ArmRestClient):
    kind = "containerregistry"
