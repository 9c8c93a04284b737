"""Collect App Service sites with whether each web app exports its HTTP logs (CIS Azure 5.0 6.1.1.6)
and whether each site exports any resource log at all (6.1.4).

Function apps carry no ``http_logging`` (the control is about web apps, and their HTTP log
category does not apply), but their ``resource_logging`` is judged like any site's. A site whose diagnostic settings could not be read keeps
``http_logging`` None with a unit note, so its rule says UNKNOWN instead of FAIL or PASS.
"""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.azure import normalise as n
from collectors.azure.collect import _spec, envelope
from collectors.azure.context import AzureContext
from collectors.azure.diagnostics import exports_any_log, exports_log

HTTP_LOG_CATEGORY = "AppServiceHTTPLogs"
HTTP_LOG_GROUPS = frozenset({"alllogs"})  # the only category group that holds AppServiceHTTPLogs


def _settings(ctx: AzureContext, web: Any, site: dict[str, Any]) -> list[dict[str, Any]] | None:
    from azure.core.exceptions import HttpResponseError

    try:
        rg = n.arm_parts(site["id"])["resource_group"]
        return [n.to_rest(s) for s in web.diagnostic_settings.list(rg, site["name"])]
    except HttpResponseError as exc:
        what = "resource logging" if is_function_app(site) else "HTTP logging and resource logging"
        ctx.unit.note(f"diagnostic settings of {site.get('name')} not read ({exc.status_code}): {what} unknown")
        return None


def is_function_app(site: dict[str, Any]) -> bool:
    return "functionapp" in str(site.get("kind") or "").lower()


def site_facets(site: dict[str, Any], settings: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Resource logging for every site (CIS 6.1.4); HTTP logging for web apps only (6.1.1.6)."""
    logging: dict[str, Any] = {"resource_logging": exports_any_log(settings)}
    if is_function_app(site):
        return logging
    return {"http_logging": exports_log(settings, HTTP_LOG_CATEGORY, HTTP_LOG_GROUPS), **logging}


def web_apps(ctx: AzureContext) -> Iterator[Resource]:
    web = ctx.client("web")
    spec = _spec("azure.web.site")
    for site in (n.to_rest(s) for s in web.web_apps.list()):
        settings = _settings(ctx, web, site)
        yield envelope(ctx, spec.type, spec.category, site, site_facets(site, settings), spec.hash_rules)
