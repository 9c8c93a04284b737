"""Collect Azure ML workspaces, computes and online endpoints, AKS clusters and container registries.

Children are listed per workspace (and deployments per endpoint); an endpoint's model and
environment versions are read by id so provenance sees artifact URIs and images. A version
that answers 404 leaves provenance None (UNKNOWN); any other error fails the unit.
"""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.azure import ml_normalise as m
from collectors.azure import normalise as n
from collectors.azure.collect import _emit, _spec, envelope
from collectors.azure.context import AzureContext


def _workspaces(ctx: AzureContext) -> list[dict[str, Any]]:
    return [n.to_rest(w) for w in ctx.client("ml").workspaces.list_by_subscription()]


def _per_workspace(ctx: AzureContext, type_: str, children: Any) -> Iterator[Resource]:
    """``children(rg, workspace_name, workspace_doc)`` -> iterable of (doc, facets)."""
    spec = _spec(type_)
    for ws in _workspaces(ctx):
        rg = n.arm_parts(ws["id"])["resource_group"]
        for doc, facets in children(rg, ws["name"], ws):
            yield envelope(ctx, type_, spec.category, doc, facets, spec.hash_rules,
                           region=doc.get("location") or ws.get("location") or "global")


def workspaces(ctx: AzureContext) -> Iterator[Resource]:
    yield from _emit(ctx, "azure.ml.workspace", _workspaces(ctx), m.workspace_facets)


def computes(ctx: AzureContext) -> Iterator[Resource]:
    ml = ctx.client("ml")
    yield from _per_workspace(ctx, "azure.ml.compute", lambda rg, name, ws: (
        (doc, m.compute_facets(doc, ws)) for doc in ml.compute.list(rg, name)))


def _get_or_none(get: Any, arm_id: str) -> dict[str, Any] | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return n.to_rest(get(arm_id))
    except ResourceNotFoundError:
        return None


def online_endpoints(ctx: AzureContext) -> Iterator[Resource]:
    ml = ctx.client("ml")
    accounts = {str(a.get("name", "")).lower(): a
                for a in (n.to_rest(x) for x in ctx.client("storage").storage_accounts.list())}
    registries = {str(n.props(r).get("loginServer", "")).lower(): str(r.get("location", "")).lower()
                  for r in ctx.client("containerregistry").registries.list()}
    models: dict[str, dict[str, Any] | None] = {}
    envs: dict[str, dict[str, Any] | None] = {}

    def resolve(cache: dict[str, Any], get: Any, ref: str | None) -> None:
        if ref and ref.lower() not in cache and ref.startswith("/subscriptions/"):
            cache[ref.lower()] = _get_or_none(get, ref)

    def children(rg: str, name: str, ws: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        for ep in ml.online_endpoints.list(rg, name):
            doc = n.to_rest(ep)
            deps = [n.to_rest(d) for d in ml.online_deployments.list(rg, name, doc["name"])]
            for dep in deps:
                resolve(models, ml.model_versions.get_by_id, n.props(dep).get("model"))
                resolve(envs, ml.environment_versions.get_by_id, n.props(dep).get("environmentId"))
            yield doc, m.endpoint_facets(doc, ws, deps, _registry_models(models, deps), envs, accounts, registries)

    yield from _per_workspace(ctx, "azure.ml.online_endpoint", children)


def _registry_models(models: dict[str, Any], deps: list[dict[str, Any]]) -> dict[str, Any]:
    """Models referenced outside ARM (``azureml://registries/...``) stand for their own URI."""
    out = dict(models)
    for dep in deps:
        ref = n.props(dep).get("model")
        if ref and not ref.startswith("/subscriptions/"):
            out[ref.lower()] = {"properties": {"modelUri": ref}}
    return out


def managed_clusters(ctx: AzureContext) -> Iterator[Resource]:
    yield from _emit(ctx, "azure.containerservice.managed_cluster",
                     ctx.client("containerservice").managed_clusters.list(), m.managed_cluster_facets)


def container_registries(ctx: AzureContext) -> Iterator[Resource]:
    yield from _emit(ctx, "azure.containerregistry.registry", ctx.client("containerregistry").registries.list(),
                     m.registry_facets)
