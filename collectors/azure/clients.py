"""Azure client factory: cloud endpoints, credentials and one read-only ARM pipeline per client.

Every SDK client is built here so tests (and the demo) can point the collector at a loopback
fake through configuration alone. The pipeline is assembled explicitly for two reasons:
the SDK default includes ``ARMAutoResourceProviderRegistrationPolicy``, which *registers*
resource providers (a write) when a list answers MissingSubscriptionRegistration; an auditor
must never change the estate it audits. And a counting policy feeds each unit's API-call count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from auditor.config.schema import AzureConfig

# ARM endpoint and Entra authority per cloud (azure.identity.AzureAuthorityHosts values).
CLOUDS: dict[str, dict[str, str]] = {
    "public": {"arm": "https://management.azure.com", "authority": "login.microsoftonline.com",
               "graph": "https://graph.microsoft.com"},
    "china": {"arm": "https://management.chinacloudapi.cn", "authority": "login.chinacloudapi.cn",
              "graph": "https://microsoftgraph.chinacloudapi.cn"},
    "usgov": {"arm": "https://management.usgovcloudapi.net", "authority": "login.microsoftonline.us",
              "graph": "https://graph.microsoft.us"},
}

MANAGEMENT_GROUPS_API = "2020-05-01"


class StaticTestTokenCredential:
    """A fixed dummy bearer token for loopback fakes (the schema refuses it for real endpoints)."""

    TOKEN = "static-test-token"

    def __init__(self, lifetime_s: int = 3600) -> None:
        self._lifetime = lifetime_s

    def get_token(self, *scopes: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        from azure.core.credentials import AccessToken

        return AccessToken(self.TOKEN, int(time.time()) + self._lifetime)

    def get_token_info(self, *scopes: str, options: Any = None):  # type: ignore[no-untyped-def]
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self.TOKEN, int(time.time()) + self._lifetime)

    def close(self) -> None:
        """Nothing to release; present so it can be used like azure-identity credentials."""


@dataclass(frozen=True)
class Endpoints:
    arm: str
    authority: str
    scope: str
    graph: str = ""
    graph_scope: str = ""


def endpoints_for(cfg: AzureConfig) -> Endpoints:
    """ARM base URL, authority host and token scope for the configured cloud or custom endpoint."""
    cloud = CLOUDS[cfg.cloud]
    arm = (cfg.arm_endpoint or cloud["arm"]).rstrip("/")
    graph = (cfg.graph_endpoint or cloud["graph"]).rstrip("/")
    # a loopback Graph fake still asks for a token of the real Graph audience
    return Endpoints(arm=arm, authority=cloud["authority"], scope=arm + "/.default", graph=graph,
                     graph_scope=cloud["graph"] + "/.default")


def make_credential(cfg: AzureConfig):  # type: ignore[no-untyped-def]
    """DefaultAzureCredential against the cloud's authority, or the loopback-only static token."""
    if cfg.credential == "static-test-token":
        return StaticTestTokenCredential()
    from azure.identity import DefaultAzureCredential

    kwargs: dict[str, Any] = {"authority": endpoints_for(cfg).authority}
    if cfg.tenant_id:
        for key in ("interactive_browser_tenant_id", "shared_cache_tenant_id",
                    "visual_studio_code_tenant_id", "workload_identity_tenant_id"):
            kwargs[key] = cfg.tenant_id
    return DefaultAzureCredential(**kwargs)


def _count_policy(add: Callable[[int], None]) -> Any:
    """A per-retry pipeline policy: every HTTP attempt counts towards the unit's API calls."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class CountCalls(SansIOHTTPPolicy):  # type: ignore[type-arg]
        def on_request(self, request: Any) -> None:
            add(1)

    return CountCalls()


def _policies(credential: Any, scope: str, *, retry_total: int, backoff: float, backoff_max: float,
              count: Callable[[int], None] | None) -> list[Any]:
    from azure.core.pipeline import policies as p
    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

    counter = _count_policy(count) if count is not None else p.SansIOHTTPPolicy()
    return [
        p.RequestIdPolicy(),
        p.HeadersPolicy(),
        p.UserAgentPolicy(sdk_moniker="cloud-posture-auditor"),
        p.ProxyPolicy(),
        p.ContentDecodePolicy(),
        p.RedirectPolicy(),
        # RetryPolicy honours Retry-After on 429/503; total attempts = collection.max_attempts.
        p.RetryPolicy(retry_total=retry_total, retry_backoff_factor=backoff, retry_backoff_max=backoff_max),
        counter,
        ARMChallengeAuthenticationPolicy(credential, scope),
        p.CustomHookPolicy(),
        p.NetworkTraceLoggingPolicy(),
        p.DistributedTracingPolicy(),
        ARMHttpLoggingPolicy(),
    ]


# kind -> (module, class name); subscription-less clients take no subscription_id.
CLIENT_CLASSES: dict[str, tuple[str, str]] = {
    "storage": ("azure.mgmt.storage", "StorageManagementClient"),
    "compute": ("azure.mgmt.compute", "ComputeManagementClient"),
    "network": ("azure.mgmt.network", "NetworkManagementClient"),
    "authorization": ("azure.mgmt.authorization", "AuthorizationManagementClient"),
    "msi": ("azure.mgmt.msi", "ManagedServiceIdentityClient"),
    "subscriptions": ("azure.mgmt.resource.subscriptions", "SubscriptionClient"),
    # ARM REST clients declared as data (collectors/azure/arm_rest.py): ML, AKS, ACR
    "ml": ("collectors.azure.arm_rest", "MachineLearningClient"),
    "containerservice": ("collectors.azure.arm_rest", "ContainerServiceClient"),
    "containerregistry": ("collectors.azure.arm_rest", "ContainerRegistryClient"),
    # Defender for Cloud and Azure Monitor (collectors/azure/cis_clients.py)
    "security": ("collectors.azure.cis_clients", "SecurityClient"),
    "monitor": ("collectors.azure.cis_clients", "MonitorClient"),
    # Microsoft Graph directory settings (tenant-level; collectors/azure/graph.py)
    "graph": ("collectors.azure.graph", "GraphClient"),
    "aadiam": ("collectors.azure.cis_clients", "EntraDiagnosticsClient"),  # tenant scope, ARM host
    "policy": ("collectors.azure.cis_clients", "PolicyClient"),
    # Key Vault, SQL and Cosmos DB management planes (collectors/azure/data_rest.py)
    "keyvault": ("collectors.azure.data_rest", "KeyVaultClient"),
    "sql": ("collectors.azure.data_rest", "SqlClient"),
    "cosmosdb": ("collectors.azure.data_rest", "CosmosDbClient"),
    "databricks": ("collectors.azure.databricks", "DatabricksClient"),  # collectors/azure/databricks.py
    "web": ("collectors.azure.web_rest", "WebClient"),  # App Service (collectors/azure/web_rest.py)
}


class AzureClients:
    """Builds azure-mgmt-* clients for one configuration (cloud, endpoint, credential, CA bundle).

    ``max_attempts`` is collection.max_attempts; ``backoff`` is azure-core's backoff factor
    (tests keep it small; a server's Retry-After still wins).
    """

    def __init__(self, cfg: AzureConfig, *, max_attempts: int = 6, backoff: float = 0.8,
                 backoff_max: float = 60.0, credential: Any = None, transport: Any = None,
                 connect_timeout: float = 10, read_timeout: float = 60) -> None:
        self.cfg = cfg
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        # Import the SDK core once here (planning, one thread): worker threads importing it for
        # the first time concurrently can see a partially initialised azure.core.pipeline.
        import azure.core.exceptions  # noqa: F401
        import azure.core.pipeline.policies  # noqa: F401
        import azure.mgmt.core.policies  # noqa: F401
        self.endpoints = endpoints_for(cfg)
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.backoff_max = backoff_max
        self._credential = credential
        self._transport = transport

    @property
    def credential(self) -> Any:
        if self._credential is None:
            self._credential = make_credential(self.cfg)
        return self._credential

    def client_kwargs(self, count: Callable[[int], None] | None = None, *, graph: bool = False) -> dict[str, Any]:
        base, scope = ((self.endpoints.graph, self.endpoints.graph_scope) if graph
                       else (self.endpoints.arm, self.endpoints.scope))
        kw: dict[str, Any] = {
            "base_url": base,
            "credential_scopes": [scope],
            "policies": _policies(self.credential, scope, retry_total=self.max_attempts - 1,
                                  backoff=self.backoff, backoff_max=self.backoff_max, count=count),
            # azure-core defaults are 300 s each: a hung endpoint would hold a unit for minutes per attempt
            "connection_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
        }
        if self.cfg.ca_bundle:
            kw["connection_verify"] = self.cfg.ca_bundle  # an extra trust anchor, never verify=False
        if self._transport is not None:
            kw["transport"] = self._transport
        return kw

    def client(self, kind: str, subscription_id: str | None = None,
               count: Callable[[int], None] | None = None) -> Any:
        import importlib

        module, name = CLIENT_CLASSES[kind]
        cls = getattr(importlib.import_module(module), name)
        if kind == "subscriptions":
            return cls(self.credential, **self.client_kwargs(count))
        if kind == "graph":  # Microsoft Graph: its own host and token audience; subscription_id is the tenant
            return cls(self.credential, subscription_id, **self.client_kwargs(count, graph=True))
        return cls(self.credential, subscription_id, **self.client_kwargs(count))

    # ---- scope discovery -------------------------------------------------------------------

    def list_subscription_ids(self) -> list[str]:
        """Every enabled subscription visible to the credential."""
        subs = self.client("subscriptions").subscriptions.list()
        return [s.subscription_id for s in subs if str(getattr(s, "state", "Enabled") or "Enabled") != "Disabled"]

    def management_group_subscription_ids(self, group: str) -> list[str]:
        """Subscriptions anywhere under a management group (REST descendants, same pipeline)."""
        from azure.core.exceptions import HttpResponseError

        client = self.client("subscriptions")
        out: list[str] = []
        for item in self._iter_rest(client, f"/providers/Microsoft.Management/managementGroups/{group}/descendants"
                                            f"?api-version={MANAGEMENT_GROUPS_API}", HttpResponseError):
            if str(item.get("type", "")).lower() == "microsoft.management/managementgroups/subscriptions":
                out.append(item["name"])
        return out

    @staticmethod
    def _iter_rest(client: Any, url: str, error_cls: type) -> Iterator[dict[str, Any]]:
        from azure.core.rest import HttpRequest

        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            resp = client.send_request(HttpRequest("GET", next_url))
            if resp.status_code >= 400:
                raise error_cls(response=resp)
            body = resp.json()
            yield from body.get("value", [])
            next_url = body.get("nextLink")
            if next_url in seen:
                raise RuntimeError("pagination loop in management group descendants")
            if next_url:
                seen.add(next_url)
