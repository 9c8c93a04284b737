"""Read-only ARM clients for Defender for Cloud and Azure Monitor, declared as data.

Neither azure-mgmt-security nor azure-mgmt-monitor is a dependency: the CIS controls need
four subscription-level listings, each one URL on the shared ARM pipeline
(:class:`collectors.azure.arm_rest.ArmRestClient`: counting, retry, ``nextLink`` paging).
"""

from __future__ import annotations

from collectors.azure.arm_rest import ArmRestClient


class _TableClient(ArmRestClient):
    """An ARM REST client whose subclass declares its own ``_OPERATIONS`` table."""

    _OPERATIONS: dict[str, dict[str, tuple[str, str, str]]] = {}

    @classmethod
    def operations(cls) -> dict[str, dict[str, tuple[str, str, str]]]:
        return cls._OPERATIONS

SECURITY_PRICING_API = "2024-01-01"
SECURITY_CONTACTS_API = "2023-12-01-preview"
SECURITY_ASSESSMENTS_API = "2020-01-01"
DIAGNOSTIC_SETTINGS_API = "2021-05-01-preview"
ACTIVITY_LOG_ALERTS_API = "2020-10-01"
APP_INSIGHTS_API = "2020-02-02"
IOT_SECURITY_SOLUTIONS_API = "2019-08-01"

_SUB = "/subscriptions/{subscription}"


class SecurityClient(_TableClient):
    """Microsoft.Security: Defender plan pricing tiers, security contacts, assessments and IoT solutions."""

    kind = "security"
    _OPERATIONS: dict[str, dict[str, tuple[str, str, str]]] = {
        "pricings": {"list": ("list", _SUB + "/providers/Microsoft.Security/pricings", SECURITY_PRICING_API)},
        "security_contacts": {"list": (
            "list", _SUB + "/providers/Microsoft.Security/securityContacts", SECURITY_CONTACTS_API)},
        "assessments": {"list": ("list", _SUB + "/providers/Microsoft.Security/assessments", SECURITY_ASSESSMENTS_API)},
        # Defender for IoT: the IoT security solutions protecting the subscription's IoT hubs (CIS 8.2.1)
        "iot_security_solutions": {"list": (
            "list", _SUB + "/providers/Microsoft.Security/iotSecuritySolutions", IOT_SECURITY_SOLUTIONS_API)},
    }


class MonitorClient(_TableClient):
    """Microsoft.Insights: the subscription's activity-log diagnostic settings and activity-log alerts."""

    kind = "monitor"
    _OPERATIONS: dict[str, dict[str, tuple[str, str, str]]] = {
        "subscription_diagnostic_settings": {"list": (
            "list", _SUB + "/providers/Microsoft.Insights/diagnosticSettings", DIAGNOSTIC_SETTINGS_API)},
        "activity_log_alerts": {"list_by_subscription_id": (
            "list", _SUB + "/providers/Microsoft.Insights/activityLogAlerts", ACTIVITY_LOG_ALERTS_API)},
        "components": {"list": ("list", _SUB + "/providers/Microsoft.Insights/components", APP_INSIGHTS_API)},
    }


AADIAM_DIAGNOSTIC_SETTINGS_API = "2017-04-01"


class EntraDiagnosticsClient(_TableClient):
    """microsoft.aadiam: the tenant's Entra ID diagnostic settings (an ARM listing at tenant scope)."""

    kind = "aadiam"
    _OPERATIONS: dict[str, dict[str, tuple[str, str, str]]] = {
        "diagnostic_settings": {"list": (
            "list", "/providers/microsoft.aadiam/diagnosticSettings", AADIAM_DIAGNOSTIC_SETTINGS_API)},
    }


POLICY_ASSIGNMENTS_API = "2023-04-01"
MANAGEMENT_LOCKS_API = "2016-09-01"


class PolicyClient(_TableClient):
    """Microsoft.Authorization: policy assignments (the Defender for Cloud default initiative's effects)
    and management locks (every lock at and below the subscription: subscription, resource groups, resources)."""

    kind = "policy"
    _OPERATIONS: dict[str, dict[str, tuple[str, str, str]]] = {
        "policy_assignments": {"list": (
            "list", _SUB + "/providers/Microsoft.Authorization/policyAssignments", POLICY_ASSIGNMENTS_API)},
        "management_locks": {"list": (
            "list", _SUB + "/providers/Microsoft.Authorization/locks", MANAGEMENT_LOCKS_API)},
    }
