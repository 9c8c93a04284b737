"""Specs for the subscription-level posture CIS Azure Foundations judges (merged into SPECS).

Defender for Cloud plans and contacts, the activity-log diagnostic settings and alerts, and
NSG/VNet flow logs. Storage soft delete and network-watcher coverage ride on the existing
storage-account and VNet units (their extra calls are declared in specs.py).
"""

from __future__ import annotations

from typing import Any, Callable

from collectors.spec import ResourceSpec

CIS_CALL_ACTIONS: dict[tuple[str, str], str] = {
    ("security", "pricings.list"): "Microsoft.Security/pricings/read",
    ("security", "security_contacts.list"): "Microsoft.Security/securityContacts/read",
    ("security", "assessments.list"): "Microsoft.Security/assessments/read",
    ("security", "iot_security_solutions.list"): "Microsoft.Security/iotSecuritySolutions/read",
    ("policy", "policy_assignments.list"): "Microsoft.Authorization/policyAssignments/read",
    ("policy", "management_locks.list"): "Microsoft.Authorization/locks/read",
    ("monitor", "subscription_diagnostic_settings.list"): "Microsoft.Insights/diagnosticSettings/read",
    ("monitor", "activity_log_alerts.list_by_subscription_id"): "Microsoft.Insights/activityLogAlerts/read",
    ("monitor", "components.list"): "Microsoft.Insights/components/read",
    ("network", "network_watchers.list_all"): "Microsoft.Network/networkWatchers/read",
    ("network", "flow_logs.list"): "Microsoft.Network/networkWatchers/flowLogs/read",
    ("network", "bastion_hosts.list"): "Microsoft.Network/bastionHosts/read",
    ("storage", "blob_services.get_service_properties"): "Microsoft.Storage/storageAccounts/blobServices/read",
    ("storage", "file_services.get_service_properties"): "Microsoft.Storage/storageAccounts/fileServices/read",
}


def cis_specs(spec: Callable[..., ResourceSpec], rules: Callable[..., Any]) -> tuple[ResourceSpec, ...]:
    """Built with specs.py's own ``_spec``/``_rules`` so they read exactly like the rest."""
    from collectors.azure import cis_collect as c

    return (
        spec("azure.security.pricing", "security", "security", "pricings.list", (), c.defender_pricings,
             rules(("config.properties.freeTrialRemainingTime", "config.properties.enablementTime",
                    "config.properties.resourcesCoverageStatus"), ("config.properties.extensions",)),
             "Defender for Cloud plans: pricing tier (Free/Standard), sub-plan and extensions, one per plan."),
        spec("azure.security.contacts", "security", "security", "security_contacts.list", (), c.security_contacts,
             rules((), ("config.value",)),
             "The subscription's Defender security contacts together: notified roles, additional e-mails, "
             "alert severity and attack-path risk thresholds."),
        spec("azure.security.assessments", "security", "security", "assessments.list", (), c.security_assessments,
             rules((), ("config.value",)),
             "The subscription's Defender assessments together: which recommendations are unhealthy "
             "(vulnerability assessment, endpoint protection, system updates)."),
        spec("azure.security.iot_solutions", "security", "security", "iot_security_solutions.list", (),
             c.iot_security_solutions, rules((), ("config.value",)),
             "The subscription's Defender for IoT security solutions together: is there one, and is each Enabled."),
        spec("azure.authorization.policy_assignment", "iam", "policy", "policy_assignments.list", (),
             c.policy_assignments, rules(("config.properties.metadata.updatedOn", "config.properties.metadata.updatedBy")),
             "Policy assignments at and below the subscription: enforcement mode and parameter effects."),
        spec("azure.authorization.locks", "iam", "policy", "management_locks.list", (), c.management_locks,
             rules(("config.value[*].properties.owners",), ("config.value",)),
             "The subscription's management locks together (subscription, resource-group and resource scope): "
             "the scope each lock sits on and its level (CanNotDelete / ReadOnly)."),
        spec("azure.monitor.diagnostic_settings", "logging", "monitor", "subscription_diagnostic_settings.list", (),
             c.diagnostic_settings, rules((), ("config.value",)),
             "The subscription's activity-log diagnostic settings together: exported categories and destinations."),
        spec("azure.monitor.activity_log_alerts", "logging", "monitor", "activity_log_alerts.list_by_subscription_id",
             (), c.activity_log_alerts, rules((), ("config.value",)),
             "The subscription's activity-log alert rules together: the operations and categories they fire on."),
        spec("azure.monitor.app_insights", "logging", "monitor", "components.list", (), c.app_insights,
             rules((), ("config.value",)), "The subscription's Application Insights components together (is there one)."),
        spec("azure.network.flow_log", "network", "network", "network_watchers.list_all", ("flow_logs.list",),
             c.flow_logs, rules(("config.properties.targetResourceGuid",)),
             "NSG and VNet flow logs per network watcher: target, retention, traffic analytics."),
        spec("azure.network.bastion_hosts", "network", "network", "bastion_hosts.list", (), c.bastion_hosts,
             rules(("config.value[*].etag", "config.value[*].properties.provisioningState"), ("config.value",)),
             "The subscription's Azure Bastion hosts together (is there one)."),
    )
