"""Specs for App Service (merged into SPECS): web apps and whether they export HTTP logs."""

from __future__ import annotations

from typing import Any, Callable

from collectors.spec import ResourceSpec

WEB_CALL_ACTIONS: dict[tuple[str, str], str] = {
    ("web", "web_apps.list"): "Microsoft.Web/sites/read",
    ("web", "diagnostic_settings.list"): "Microsoft.Insights/diagnosticSettings/read",
}


def web_specs(spec: Callable[..., ResourceSpec], rules: Callable[..., Any]) -> tuple[ResourceSpec, ...]:
    """Built with specs.py's own ``_spec``/``_rules`` so they read exactly like the rest."""
    from collectors.azure import web_collect as c

    return (
        spec("azure.web.site", "compute", "web", "web_apps.list", ("diagnostic_settings.list",), c.web_apps,
             rules(("config.properties.lastModifiedTimeUtc", "config.properties.state",
                    "config.properties.availabilityState", "config.properties.usageState"),
                   ("config.properties.hostNames", "config.properties.enabledHostNames")),
             "App Service sites (web and function apps); for web apps, whether a diagnostic "
             "setting exports the AppServiceHTTPLogs category; for every site, whether any resource log is exported."),
    )
