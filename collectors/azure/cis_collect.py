"""Collect the subscription-level posture CIS Azure Foundations judges.

Defender plans are one resource each. Security contacts, the activity-log diagnostic
settings and the activity-log alerts are judged per subscription ("is there one that..."),
so each is one resource per subscription holding every item it listed: a denied or failed
listing then leaves no resource (the unit's status says why) instead of an empty list that
would read as "none configured".
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from auditor.model import Resource
from collectors.azure import cis_normalise as cn
from collectors.azure import collect as c  # attributes read at call time (collect.py imports this module)
from collectors.azure import normalise as n
from collectors.azure.context import AzureContext


def _aggregate(ctx: AzureContext, type_: str, path: str, items: list[dict[str, Any]],
               facets: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> Iterator[Resource]:
    spec = c._spec(type_)
    doc = {"id": f"/subscriptions/{ctx.subscription_id}/providers/{path}", "name": path.rsplit("/", 1)[-1],
           "value": items}
    yield c.envelope(ctx, type_, spec.category, doc, facets(items), spec.hash_rules, region="global")


def defender_pricings(ctx: AzureContext) -> Iterator[Resource]:
    yield from c._emit(ctx, "azure.security.pricing", ctx.client("security").pricings.list(), cn.pricing_facets,
                     region="global")


def security_contacts(ctx: AzureContext) -> Iterator[Resource]:
    items = [n.to_rest(x) for x in ctx.client("security").security_contacts.list()]
    yield from _aggregate(ctx, "azure.security.contacts", "Microsoft.Security/securityContacts", items,
                          cn.contacts_facets)


def security_assessments(ctx: AzureContext) -> Iterator[Resource]:
    items = [n.to_rest(x) for x in ctx.client("security").assessments.list()]
    yield from _aggregate(ctx, "azure.security.assessments", "Microsoft.Security/assessments", items,
                          cn.assessment_facets)


def iot_security_solutions(ctx: AzureContext) -> Iterator[Resource]:
    items = [n.to_rest(x) for x in ctx.client("security").iot_security_solutions.list()]
    yield from _aggregate(ctx, "azure.security.iot_solutions", "Microsoft.Security/iotSecuritySolutions", items,
                          cn.iot_solution_facets)


def policy_assignments(ctx: AzureContext) -> Iterator[Resource]:
    yield from c._emit(ctx, "azure.authorization.policy_assignment", ctx.client("policy").policy_assignments.list(),
                       cn.policy_assignment_facets, region="global")


def management_locks(ctx: AzureContext) -> Iterator[Resource]:
    items = [n.to_rest(x) for x in ctx.client("policy").management_locks.list()]
    yield from _aggregate(ctx, "azure.authorization.locks", "Microsoft.Authorization/locks", items, cn.lock_facets)


def diagnostic_settings(ctx: AzureContext) -> Iterator[Resource]:
    items = [n.to_rest(d) for d in ctx.client("monitor").subscription_diagnostic_settings.list()]
    yield from _aggregate(ctx, "azure.monitor.diagnostic_settings", "Microsoft.Insights/diagnosticSettings", items,
                          cn.diagnostic_settings_facets)


def activity_log_alerts(ctx: AzureContext) -> Iterator[Resource]:
    items = [n.to_rest(a) for a in ctx.client("monitor").activity_log_alerts.list_by_subscription_id()]
    yield from _aggregate(ctx, "azure.monitor.activity_log_alerts", "Microsoft.Insights/activityLogAlerts", items,
                          lambda docs: cn.activity_alert_facets(docs, ctx.subscription_id))


def bastion_hosts(ctx: AzureContext) -> Iterator[Resource]:
    items = [n.to_rest(b) for b in ctx.client("network").bastion_hosts.list()]
    yield from _aggregate(ctx, "azure.network.bastion_hosts", "Microsoft.Network/bastionHosts", items,
                          lambda docs: {"bastion_hosts": len(docs)})


def app_insights(ctx: AzureContext) -> Iterator[Resource]:
    items = [n.to_rest(x) for x in ctx.client("monitor").components.list()]
    yield from _aggregate(ctx, "azure.monitor.app_insights", "Microsoft.Insights/components", items,
                          lambda docs: {"app_insights": len(docs)})


def flow_logs(ctx: AzureContext) -> Iterator[Resource]:
    """NSG and VNet flow logs, listed per network watcher."""
    network = ctx.client("network")
    spec = c._spec("azure.network.flow_log")
    for watcher in (n.to_rest(w) for w in network.network_watchers.list_all()):
        rg = n.arm_parts(watcher["id"])["resource_group"]
        for item in network.flow_logs.list(rg, watcher["name"]):
            doc = n.to_rest(item)
            yield c.envelope(ctx, spec.type, spec.category, doc, cn.flow_log_facets(doc), spec.hash_rules,
                           region=doc.get("location") or watcher.get("location") or "global")


def watcher_regions(ctx: AzureContext, network: Any) -> set[str] | None:
    """Regions with a network watcher; None (with a unit note) when they could not be listed."""
    from azure.core.exceptions import HttpResponseError

    try:
        return {str(n.to_rest(w).get("location") or "").lower() for w in network.network_watchers.list_all()}
    except HttpResponseError as exc:
        ctx.unit.note(f"network watchers not listed ({exc.status_code}): watcher coverage unknown")
        return None


# Account kinds without a blob / file service (a GET there would only answer an error).
NO_BLOB_SERVICE = frozenset({"filestorage"})
NO_FILE_SERVICE = frozenset({"blobstorage", "blockblobstorage"})


def _service(ctx: AzureContext, account: dict[str, Any], get: Any, what: str) -> dict[str, Any] | None:
    from azure.core.exceptions import HttpResponseError

    try:
        rg = n.arm_parts(account["id"])["resource_group"]
        return n.to_rest(get(rg, account["name"]))
    except HttpResponseError as exc:
        ctx.unit.note(f"{what} service of {account.get('name')} not read ({exc.status_code}): its settings are unknown")
        return None


def service_facets(ctx: AzureContext, client: Any, account: dict[str, Any]) -> dict[str, Any]:
    """Soft delete and versioning (blobServices/default), share soft delete and SMB (fileServices/default);
    a service the account kind does not have contributes no facets (its rules do not apply)."""
    kind = str(account.get("kind") or "").lower()
    out: dict[str, Any] = {}
    if kind not in NO_BLOB_SERVICE:
        out.update(cn.blob_service_facets(_service(ctx, account, client.blob_services.get_service_properties, "blob")))
    if kind not in NO_FILE_SERVICE:
        out.update(cn.file_service_facets(_service(ctx, account, client.file_services.get_service_properties, "file")))
    return out
