"""Collect functions: list through the real azure-mgmt-* clients, normalise, build envelopes.

The SDK's ItemPaged follows ``nextLink`` to the end; an HTTP error on any page raises and
the runner records the unit's status, so a unit is never "ok" on a partial listing.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from auditor.model import Resource, make_resource
from collectors.azure import cis_collect
from collectors.azure import cis_normalise as cn
from collectors.azure import normalise as n
from collectors.azure.context import AzureContext

FacetFn = Callable[[dict[str, Any]], dict[str, Any]]


def envelope(ctx: AzureContext, spec_type: str, category: str, doc: dict[str, Any],
             facets: dict[str, Any], rules: Any, *, region: str | None = None) -> Resource:
    return make_resource(
        provider="azure",
        account=ctx.subscription_id,
        region=(region if region is not None else doc.get("location") or "global").lower(),
        category=category,
        type=spec_type,
        native_id=doc["id"],
        name=doc.get("name"),
        config=doc,
        tags=doc.get("tags") or {},
        facets=facets,
        rules=rules,
    )


def _spec(type_: str):  # type: ignore[no-untyped-def]
    from collectors.azure.specs import SPEC_BY_TYPE

    return SPEC_BY_TYPE[type_]


def _emit(ctx: AzureContext, type_: str, docs: Any, facets: FacetFn, *, region: str | None = None) -> Iterator[Resource]:
    spec = _spec(type_)
    for model in docs:
        doc = n.to_rest(model)
        yield envelope(ctx, type_, spec.category, doc, facets(doc), spec.hash_rules, region=region)


# ---- storage -----------------------------------------------------------------------------------

def storage_accounts(ctx: AzureContext) -> Iterator[Resource]:
    """Accounts; where blob public access is allowed, their containers decide the exposure."""
    from azure.core.exceptions import HttpResponseError

    client = ctx.client("storage")
    spec = _spec("azure.storage.account")
    for model in client.storage_accounts.list():
        doc = n.to_rest(model)
        facets = n.storage_account_facets(doc)
        if n.props(doc).get("allowBlobPublicAccess") is True:
            try:
                rg = n.arm_parts(doc["id"])["resource_group"]
                containers: list[dict[str, Any]] | None = [
                    n.to_rest(c) for c in client.blob_containers.list(rg, doc["name"])]
            except HttpResponseError as exc:  # e.g. containers/read denied: exposure stays unknown
                ctx.unit.note(f"containers of {doc.get('name')} not listed ({exc.status_code}): public exposure unknown")
                containers = None
            facets = n.account_exposure(facets, doc, containers)
        facets = {**facets, **cn.storage_posture_facets(doc), **cis_collect.service_facets(ctx, client, doc)}
        yield envelope(ctx, spec.type, spec.category, doc, facets, spec.hash_rules)


def _children(ctx: AzureContext, type_: str, parents: Any, list_children: Any, facets: Any) -> Iterator[Resource]:
    """Resources listed per parent (containers per account, credentials per identity).

    ``list_children(resource_group, parent_name)`` lists one parent's children;
    ``facets(child_doc, parent_doc)`` builds each child's facets. Children take the
    parent's location as their region.
    """
    spec = _spec(type_)
    for model in parents:
        parent = n.to_rest(model)
        rg = n.arm_parts(parent["id"])["resource_group"]
        for item in list_children(rg, parent["name"]):
            doc = n.to_rest(item)
            yield envelope(ctx, spec.type, spec.category, doc, facets(doc, parent), spec.hash_rules,
                           region=parent.get("location") or "global")


def storage_containers(ctx: AzureContext) -> Iterator[Resource]:
    client = ctx.client("storage")
    yield from _children(ctx, "azure.storage.container", client.storage_accounts.list(),
                         client.blob_containers.list, n.container_facets)


# ---- compute -----------------------------------------------------------------------------------

def virtual_machines(ctx: AzureContext) -> Iterator[Resource]:
    network = ctx.client("network")
    nics = n.lower_ids(n.to_rest(m) for m in network.network_interfaces.list_all())
    pips = n.lower_ids(n.to_rest(m) for m in network.public_ip_addresses.list_all())
    yield from _emit(ctx, "azure.compute.vm", ctx.client("compute").virtual_machines.list_all(),
                     lambda doc: n.vm_facets(doc, nics, pips))


def disks(ctx: AzureContext) -> Iterator[Resource]:
    yield from _emit(ctx, "azure.compute.disk", ctx.client("compute").disks.list(), n.disk_facets)


# ---- network -----------------------------------------------------------------------------------

def _no_flow_logs(doc: dict[str, Any]) -> dict[str, Any]:
    return {"flow_logs": None}


def virtual_networks(ctx: AzureContext) -> Iterator[Resource]:
    """VNets with DDoS protection and whether their region has a network watcher."""
    network = ctx.client("network")
    regions = cis_collect.watcher_regions(ctx, network)
    yield from _emit(ctx, "azure.network.vnet", network.virtual_networks.list_all(),
                     lambda doc: {**_no_flow_logs(doc), **cn.vnet_posture_facets(doc, regions)})


def subnets(ctx: AzureContext) -> Iterator[Resource]:
    """Subnets come embedded, complete, in each virtual network's properties."""
    spec = _spec("azure.network.subnet")
    for model in ctx.client("network").virtual_networks.list_all():
        vnet = n.to_rest(model)
        for sub in n.props(vnet).get("subnets") or []:
            yield envelope(ctx, spec.type, spec.category, sub, {**_no_flow_logs(sub), **cn.subnet_posture_facets(sub)},
                           spec.hash_rules,
                           region=vnet.get("location") or "global")


def security_groups(ctx: AzureContext) -> Iterator[Resource]:
    yield from _emit(ctx, "azure.network.nsg", ctx.client("network").network_security_groups.list_all(),
                     n.nsg_facets)


def public_ips(ctx: AzureContext) -> Iterator[Resource]:
    """Public IPs and whether anything uses them (the address names its holder: CIS Azure 7.7)."""
    yield from _emit(ctx, "azure.network.public_ip", ctx.client("network").public_ip_addresses.list_all(),
                     cn.public_ip_facets)


# ---- identity and access -----------------------------------------------------------------------

def role_definitions(ctx: AzureContext) -> Iterator[Resource]:
    """Custom roles plus every built-in role an assignment in the subscription references."""
    auth = ctx.client("authorization")
    seen: set[str] = set()
    docs: list[Any] = []
    for model in auth.role_definitions.list(ctx.scope, filter="type eq 'CustomRole'"):
        doc = n.to_rest(model)
        seen.add(n.last_segment(doc["id"]))
        docs.append(doc)
    referenced: dict[str, str] = {}
    for model in auth.role_assignments.list_for_subscription():
        rd = n.props(n.to_rest(model)).get("roleDefinitionId") or ""
        guid = n.last_segment(rd)
        if guid and guid not in seen and guid not in referenced:
            referenced[guid] = rd
    for rd in referenced.values():
        docs.append(n.to_rest(auth.role_definitions.get_by_id(rd)))
    yield from _emit(ctx, "azure.authorization.role_definition", docs,
                     lambda doc: {"admin": n.role_definition_admin(doc), "malformed": [],
                                  "manages_locks": cn.manages_locks(doc)}, region="global")


def role_assignments(ctx: AzureContext) -> Iterator[Resource]:
    """Each assignment's ``admin`` from its role definition: custom roles listed once, every
    other referenced built-in read by id once, so no assignment is left UNKNOWN."""
    auth = ctx.client("authorization")
    known = {n.last_segment(d["id"]): n.role_definition_admin(d)
             for d in (n.to_rest(m) for m in auth.role_definitions.list(ctx.scope, filter="type eq 'CustomRole'"))}
    docs = [n.to_rest(m) for m in auth.role_assignments.list_for_subscription()]
    for doc in docs:
        rd = n.props(doc).get("roleDefinitionId") or ""
        guid = n.last_segment(rd)
        if guid and guid not in known and guid not in n.BUILTIN_ADMIN:
            known[guid] = n.role_definition_admin(n.to_rest(auth.role_definitions.get_by_id(rd)))
    yield from _emit(ctx, "azure.authorization.role_assignment", docs,
                     lambda doc: {"admin": n.role_assignment_admin(doc, known),
                                  "role_definition": n.last_segment(n.props(doc).get("roleDefinitionId")) or None,
                                  "principal_id": str(n.props(doc).get("principalId") or "").lower() or None,
                                  "principal_type": n.props(doc).get("principalType")},
                     region="global")


def subscription(ctx: AzureContext) -> Iterator[Resource]:
    """One resource: the subscription, for its home tenant and Lighthouse ``managedByTenants``."""
    doc = n.to_rest(ctx.client("subscriptions").subscriptions.get(ctx.subscription_id))
    doc.setdefault("name", doc.get("displayName"))
    facets = {"tenant_id": str(doc.get("tenantId") or "").lower() or None}
    yield envelope(ctx, "azure.resources.subscription", "iam", doc, facets, _spec("azure.resources.subscription").hash_rules,
                   region="global")


def user_assigned_identities(ctx: AzureContext) -> Iterator[Resource]:
    yield from _emit(ctx, "azure.identity.user_assigned",
                     ctx.client("msi").user_assigned_identities.list_by_subscription(), lambda doc: {})


def federated_credentials(ctx: AzureContext) -> Iterator[Resource]:
    msi = ctx.client("msi")
    yield from _children(ctx, "azure.identity.federated_credential", msi.user_assigned_identities.list_by_subscription(),
                         msi.federated_identity_credentials.list, lambda doc, parent: {})
