"""Read-only ARM client for App Service (Microsoft.Web/sites), declared as data.

Same pipeline and paging as arm_rest.py. A site's diagnostic settings are a Microsoft.Insights
extension resource under it (Microsoft.Insights/diagnosticSettings/read authorises them).
"""

from __future__ import annotations

from collectors.azure.arm_rest import ArmRestClient

WEB_API = "2023-12-01"
DIAGNOSTIC_SETTINGS_API = "2021-05-01-preview"  # as collectors/azure/cis_clients.py reads them

_SUB = "/subscriptions/{subscription}"
_SITE = _SUB + "/resourceGroups/{0}/providers/Microsoft.Web/sites/{1}"


class WebClient(ArmRestClient):
    """Microsoft.Web: the subscription's App Service sites and each site's diagnostic settings."""

    kind = "web"
    _OPERATIONS: dict[str, dict[str, tuple[str, str, str]]] = {
        "web_apps": {"list": ("list", _SUB + "/providers/Microsoft.Web/sites", WEB_API)},
        "diagnostic_settings": {"list": (
            "list", _SITE + "/providers/Microsoft.Insights/diagnosticSettings", DIAGNOSTIC_SETTINGS_API)},
    }

    @classmethod
    def operations(cls) -> dict[str, dict[str, tuple[str, str, str]]]:
        return cls._OPERATIONS
