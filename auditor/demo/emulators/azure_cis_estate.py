"""The CIS slice of the seeded Azure estate: Defender plans and contacts, activity-log export
and alerts, network watchers and flow logs, blob service properties.

Shapes follow the azure-rest-api-specs examples (Pricings/ListPricings_example,
SecurityContacts/GetSecurityContactsSubscription_example, listSubscriptionDiagnosticSettings,
ActivityLogAlertRule_ListBySubscriptionId, NetworkWatcherListAll, NetworkWatcherFlowLogList,
BlobServicesGet) with synthetic names. ``safe=False`` builds the subscription that fails every
CIS rule, ``safe=True`` its twin that passes.
"""

from __future__ import annotations

from typing import Any

from auditor.demo.emulators.azure_estate import public_ip, rid, vnet

# Defender plans CIS requires on (pricing names) — the rules in auditor/rules/cis_azure.py.
DEFENDER_PLANS = ("CloudPosture", "Api", "VirtualMachines", "Containers", "StorageAccounts", "AppServices",
                  "CosmosDbs", "OpenSourceRelationalDatabases", "SqlServers", "SqlServerVirtualMachines",
                  "KeyVaults", "Arm")
# The operations CIS wants an activity-log alert for.
ALERT_OPERATIONS = (
    "Microsoft.Authorization/policyAssignments/write", "Microsoft.Authorization/policyAssignments/delete",
    "Microsoft.Network/networkSecurityGroups/write", "Microsoft.Network/networkSecurityGroups/delete",
    "Microsoft.Security/securitySolutions/write", "Microsoft.Security/securitySolutions/delete",
    "Microsoft.Sql/servers/firewallRules/write", "Microsoft.Sql/servers/firewallRules/delete",
    "Microsoft.Network/publicIPAddresses/write", "Microsoft.Network/publicIPAddresses/delete",
)
ENABLED = "2025-03-01T12:42:42.1921106Z"


def pricing(sub: str, plan: str, on: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"pricingTier": "Standard" if on else "Free", "freeTrialRemainingTime": "PT0S",
                             "enforce": "False", "resourcesCoverageStatus": "FullyCovered" if on else "NotCovered"}
    if on:
        props["enablementTime"] = ENABLED
    if on and plan == "VirtualMachines":
        props["subPlan"] = "P2"
    return {"id": f"/subscriptions/{sub}/providers/Microsoft.Security/pricings/{plan}", "name": plan,
            "type": "Microsoft.Security/pricings", "properties": props}


def security_contact(sub: str, *, safe: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "notificationsByRole": {"state": "On" if safe else "Off", "roles": ["Owner"] if safe else []},
        "isEnabled": True,
        "emails": "secops@contoso.example" if safe else "",
        "notificationsSources": [{"sourceType": "AttackPath", "minimalRiskLevel": "High"},
                                 {"sourceType": "Alert", "minimalSeverity": "High"}] if safe else
                                [{"sourceType": "Alert", "minimalSeverity": "Critical"}],
    }
    return {"id": f"/subscriptions/{sub}/providers/Microsoft.Security/securityContacts/default", "name": "default",
            "type": "Microsoft.Security/securityContacts", "properties": props}


def diagnostic_setting(sub: str, name: str, workspace: str, categories: list[str], *,
                       storage: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"workspaceId": workspace, "logs": [{"category": c, "enabled": True} for c in categories]}
    if storage:
        props["storageAccountId"] = storage
    return {"id": f"/subscriptions/{sub}/providers/microsoft.insights/diagnosticSettings/{name}",
            "type": "Microsoft.Insights/diagnosticSettings", "name": name, "properties": props}


def activity_log_alert(sub: str, rg: str, name: str, conditions: list[tuple[str, str]], action_group: str, *,
                       enabled: bool = True) -> dict[str, Any]:
    return {"id": rid(sub, rg, f"microsoft.insights/activityLogAlerts/{name}"),
            "type": "Microsoft.Insights/ActivityLogAlerts", "name": name, "location": "Global", "tags": {},
            "properties": {"scopes": [f"/subscriptions/{sub}"],
                           "condition": {"allOf": [{"field": f, "equals": v} for f, v in conditions]},
                           "actions": {"actionGroups": [{"actionGroupId": action_group, "webhookProperties": {}}]},
                           "enabled": enabled, "description": f"CIS activity-log alert {name}."}}


def network_watcher(sub: str, location: str) -> dict[str, Any]:
    name = f"NetworkWatcher_{location}"
    return {"name": name, "id": rid(sub, "NetworkWatcherRG", f"Microsoft.Network/networkWatchers/{name}"),
            "etag": 'W/"00000000-0000-0000-0000-000000000000"', "type": "Microsoft.Network/networkWatchers",
            "location": location, "tags": {}, "properties": {"provisioningState": "Succeeded"}}


def flow_log(watcher: dict[str, Any], name: str, target: str, storage: str, *, days: int, workspace: str | None) -> dict[str, Any]:
    analytics = ({"networkWatcherFlowAnalyticsConfiguration": {
        "enabled": True, "workspaceId": "00000000-0000-0000-0000-000000000000",
        "workspaceRegion": watcher["location"], "workspaceResourceId": workspace, "trafficAnalyticsInterval": 60}}
        if workspace else {})
    return {"name": name, "id": f"{watcher['id']}/flowLogs/{name}",
            "etag": 'W/"00000000-0000-0000-0000-000000000000"',
            "properties": {"provisioningState": "Succeeded", "targetResourceId": target,
                           "targetResourceGuid": "00000000-0000-0000-0000-000000000000", "storageId": storage,
                           "enabled": True, "flowAnalyticsConfiguration": analytics,
                           "retentionPolicy": {"days": days, "enabled": days > 0},
                           "format": {"type": "JSON", "version": 2}},
            "type": "Microsoft.Network/networkWatchers/FlowLogs", "location": watcher["location"]}


def blob_service(account: dict[str, Any], *, safe: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"cors": {"corsRules": []}, "defaultServiceVersion": "2017-07-29",
                             "deleteRetentionPolicy": {"enabled": True, "days": 14} if safe else {"enabled": False},
                             "containerDeleteRetentionPolicy": {"enabled": True, "days": 14} if safe else
                             {"enabled": False},
                             "isVersioningEnabled": safe}
    return {"id": f"{account['id']}/blobServices/default", "name": "default",
            "type": "Microsoft.Storage/storageAccounts/blobServices", "properties": props, "sku": account["sku"]}


def file_service(account: dict[str, Any], *, safe: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"cors": {"corsRules": []},
                             "shareDeleteRetentionPolicy": {"enabled": True, "days": 14} if safe else {"enabled": False}}
    if safe:
        props["protocolSettings"] = {"smb": {"versions": "SMB3.1.1", "channelEncryption": "AES-256-GCM"}}
    return {"id": f"{account['id']}/fileServices/default", "name": "default",
            "type": "Microsoft.Storage/storageAccounts/fileServices", "properties": props, "sku": account["sku"]}


# Defender recommendations the CIS rules read (display names as the assessments API returns them)
VM_ASSESSMENTS = {
    "Machines should have a vulnerability assessment solution": "ffff0522-1e88-47fc-8382-2a80ba848f5d",
    "Install endpoint protection solution on virtual machines": "83f577bd-a1b6-b7e1-0891-12ca19d1e6df",
    "System updates should be installed on your machines": "4ab6e3c5-74dd-8b35-9ab9-f61b30875b27",
}


def assessment(resource_id: str, display_name: str, name: str, healthy: bool) -> dict[str, Any]:
    status: dict[str, Any] = {"code": "Healthy"} if healthy else {
        "code": "Unhealthy", "cause": "", "description": f"{display_name} is not met"}
    return {"id": f"{resource_id}/providers/Microsoft.Security/assessments/{name}", "name": name,
            "type": "Microsoft.Security/assessments",
            "properties": {"resourceDetails": {"source": "Azure", "id": resource_id}, "displayName": display_name,
                           "status": status}}


def app_insights(sub: str, rg: str, location: str, workspace: str) -> dict[str, Any]:
    return {"id": rid(sub, rg, "Microsoft.Insights/components/appi-portal"), "name": "appi-portal",
            "type": "Microsoft.Insights/components", "location": location, "tags": {}, "kind": "web",
            "etag": '"0b00e4a6-0000-0100-0000-65f0e5d30000"',
            "properties": {"ApplicationId": "appi-portal", "AppId": "7b3c2d1e-0f9a-4b8c-9d7e-6f5a4b3c2d1e",
                           "Application_Type": "web", "Flow_Type": "Bluefield", "Request_Source": "rest",
                           "CreationDate": "2025-03-01T10:00:00.0000000+00:00", "TenantId": sub,
                           "provisioningState": "Succeeded", "IngestionMode": "LogAnalytics",
                           "WorkspaceResourceId": workspace, "publicNetworkAccessForIngestion": "Enabled",
                           "publicNetworkAccessForQuery": "Enabled"}}


def asc_policy_assignment(sub: str, *, safe: bool) -> dict[str, Any]:
    """The Defender for Cloud default initiative assigned to the subscription."""
    params = {"systemUpdatesMonitoringEffect": {"value": "AuditIfNotExists"},
              "endpointProtectionMonitoringEffect": {"value": "AuditIfNotExists" if safe else "Disabled"}}
    return {"id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments/SecurityCenterBuiltIn",
            "type": "Microsoft.Authorization/policyAssignments", "name": "SecurityCenterBuiltIn",
            "properties": {"displayName": "ASC Default (subscription: " + sub + ")",
                           "policyDefinitionId": "/providers/Microsoft.Authorization/policySetDefinitions/"
                                                 "1f3afdf9-d0c9-4c3d-847f-89da613e70a8",
                           "scope": f"/subscriptions/{sub}", "notScopes": [], "parameters": params,
                           "enforcementMode": "Default" if safe else "DoNotEnforce",
                           "metadata": {"assignedBy": "Security Center"}}}


def bastion_host(sub: str, rg: str, location: str) -> dict[str, Any]:
    bid = rid(sub, rg, "Microsoft.Network/bastionHosts/bas-hub")
    return {"name": "bas-hub", "id": bid, "type": "Microsoft.Network/bastionHosts",
            "etag": 'W/"00000000-0000-0000-0000-000000000000"', "location": location, "sku": {"name": "Standard"},
            "zones": [], "properties": {
                "provisioningState": "Succeeded", "dnsName": "bst-6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f.bastion.azure.com",
                "scaleUnits": 2, "disableCopyPaste": False, "enableTunneling": False, "enableIpConnect": False,
                "enableShareableLink": False, "enableKerberos": False, "enableSessionRecording": False,
                "enablePrivateOnlyBastion": False,
                "ipConfigurations": [{
                    "name": "bastionHostIpConfiguration", "id": f"{bid}/bastionHostIpConfigurations/bastionHostIpConfiguration",
                    "etag": 'W/"00000000-0000-0000-0000-000000000000"',
                    "type": "Microsoft.Network/bastionHosts/bastionHostIpConfigurations",
                    "properties": {"provisioningState": "Succeeded", "privateIPAllocationMethod": "Dynamic",
                                   "subnet": {"id": rid(sub, rg, "Microsoft.Network/virtualNetworks/hub/subnets/"
                                                                 "AzureBastionSubnet")},
                                   "publicIPAddress": {"id": rid(sub, rg, "Microsoft.Network/publicIPAddresses/pip-bas")}}}]}}


def iot_security_solution(sub: str, rg: str, location: str, workspace: str, *, enabled: bool) -> dict[str, Any]:
    """Shaped from IoTSecuritySolutions/GetIoTSecuritySolutionsList (2019-08-01), one IoT hub."""
    hub = rid(sub, rg, "Microsoft.Devices/IotHubs/iot-plant")
    return {"id": rid(sub, rg, "Microsoft.Security/iotSecuritySolutions/iot-plant-security"),
            "name": "iot-plant-security", "location": location, "type": "Microsoft.Security/IoTSecuritySolutions",
            "tags": {},
            "properties": {"workspace": workspace, "status": "Enabled" if enabled else "Disabled", "export": [],
                           "disabledDataSources": [], "displayName": "Plant IoT security", "iotHubs": [hub],
                           "autoDiscoveredResources": [f"/subscriptions/{sub}", hub],
                           "recommendationsConfiguration": [
                               {"recommendationType": "IoT_OpenPorts", "name": "Open Ports On Device",
                                "status": "Enabled"}],
                           "unmaskedIpLoggingStatus": "Disabled"},
            "systemData": {"createdBy": "ops@contoso.example", "createdByType": "User",
                           "createdAt": ENABLED, "lastModifiedBy": "ops@contoso.example",
                           "lastModifiedByType": "User", "lastModifiedAt": ENABLED}}


def web_site(sub: str, rg: str, name: str, location: str, *, kind: str = "app") -> dict[str, Any]:
    """An App Service site, shaped from the WebApps GetWebApp example (2023-12-01), trimmed."""
    host = f"{name}.azurewebsites.net"
    return {"id": rid(sub, rg, f"Microsoft.Web/sites/{name}"), "name": name, "type": "Microsoft.Web/sites",
            "kind": kind, "location": location, "tags": {},
            "properties": {"state": "Running", "hostNames": [host], "repositorySiteName": name,
                           "usageState": "Normal", "enabled": True,
                           "enabledHostNames": [host, f"{name}.scm.azurewebsites.net"],
                           "availabilityState": "Normal",
                           "serverFarmId": rid(sub, rg, "Microsoft.Web/serverfarms/asp-web"), "reserved": True,
                           "lastModifiedTimeUtc": "2025-03-01T12:42:42.641Z", "httpsOnly": True,
                           "clientCertEnabled": False, "resourceGroup": rg, "defaultHostName": host}}


def site_diagnostic_setting(site: dict[str, Any], name: str, workspace: str, categories: list[str]) -> dict[str, Any]:
    """A diagnostic setting on a site (an extension resource under it) sending logs to a workspace."""
    return {"id": f"{site['id']}/providers/microsoft.insights/diagnosticSettings/{name}",
            "type": "Microsoft.Insights/diagnosticSettings", "name": name,
            "properties": {"workspaceId": workspace,
                           "logs": [{"category": c, "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}}
                                    for c in categories],
                           "metrics": [{"category": "AllMetrics", "enabled": True,
                                        "retentionPolicy": {"enabled": False, "days": 0}}]}}


def management_lock(scope: str, name: str, level: str, notes: str = "") -> dict[str, Any]:
    """A management lock on ``scope`` (subscription, resource group or resource id), shaped from the
    ManagementLocks GetAtResourceGroupLevel example (Microsoft.Authorization 2016-09-01)."""
    return {"id": f"{scope}/providers/Microsoft.Authorization/locks/{name}", "type": "Microsoft.Authorization/locks",
            "name": name, "properties": {"level": level, "notes": notes,
                                         "owners": [{"applicationId": "3c2b1a0f-9e8d-4c7b-8a69-5f4e3d2c1b0a"}]}}


def cis_resources(sub: str, rg: str, location: str, existing: list[dict[str, Any]], *, safe: bool) -> list[dict[str, Any]]:
    """The subscription-level CIS settings for ``sub``, plus blob services and flow logs for
    the storage accounts and NSGs/VNets already in ``existing``."""
    out: list[dict[str, Any]] = [pricing(sub, plan, safe) for plan in DEFENDER_PLANS]
    out.append(security_contact(sub, safe=safe))
    out.append(asc_policy_assignment(sub, safe=safe))
    workspace = rid(sub, rg, "Microsoft.OperationalInsights/workspaces/law-security")
    # the activity-log archive: the subscription's customer-key account if it has one, else its first account
    accounts = [r for r in existing if r.get("type") == "Microsoft.Storage/storageAccounts"
                and r["id"].lower().startswith(f"/subscriptions/{sub}/".lower())]
    archive = next((r["id"] for r in accounts
                    if (r["properties"].get("encryption") or {}).get("keySource") == "Microsoft.Keyvault"),
                   accounts[0]["id"] if accounts else None)
    if safe:  # the unsafe subscription does not export its activity log at all
        out.append(diagnostic_setting(sub, "activity-to-law", workspace, ["Administrative", "Security", "Alert", "Policy"],
                                      storage=archive))
    group = rid(sub, rg, "microsoft.insights/actionGroups/ag-secops")
    ops = ALERT_OPERATIONS if safe else ALERT_OPERATIONS[:1]
    for i, op in enumerate(ops):
        out.append(activity_log_alert(sub, rg, f"alert-{i:02d}", [("category", "Administrative"),
                                                                  ("operationName", op)], group, enabled=safe))
    if safe:
        out.append(activity_log_alert(sub, rg, "service-health", [("category", "ServiceHealth")], group))
    mine = [r for r in existing if r["id"].lower().startswith(f"/subscriptions/{sub}/".lower())]
    for vm in (r for r in mine if r.get("type") == "Microsoft.Compute/virtualMachines"):
        out += [assessment(vm["id"], title, name, safe) for title, name in VM_ASSESSMENTS.items()]
    for acct in (r for r in mine if r.get("type") == "Microsoft.Storage/storageAccounts"):
        out.append(blob_service(acct, safe=safe))
        out.append(file_service(acct, safe=safe))
    # a watcher in the subscription's region; flow logs on every NSG and VNet there, kept 90 days
    # and sent to Log Analytics when safe, kept 7 days and not analysed when not
    watcher = network_watcher(sub, location)
    out.append(watcher)
    storage = next((r["id"] for r in mine if r.get("type") == "Microsoft.Storage/storageAccounts"), "")
    for r in mine:
        if r.get("type") in ("Microsoft.Network/networkSecurityGroups", "Microsoft.Network/virtualNetworks"):
            out.append(flow_log(watcher, f"fl-{r['name']}", r["id"], storage, days=90 if safe else 7,
                                workspace=workspace if safe else None))
    # App Service: the web app exports HTTP logs when safe, only console logs when not; the function
    # app beside it is not judged by the HTTP-log control
    # (resource logging, 6.1.4: the function app exports FunctionAppLogs when safe, nothing when not)
    site = web_site(sub, rg, f"app-cis-{sub[:4]}", location)
    func = web_site(sub, rg, f"func-cis-{sub[:4]}", location, kind="functionapp,linux")
    out += [site, func,
            site_diagnostic_setting(site, "app-logs", workspace,
                                    ["AppServiceHTTPLogs", "AppServiceConsoleLogs"] if safe else ["AppServiceConsoleLogs"])]
    if safe:
        out.append(site_diagnostic_setting(func, "func-logs", workspace, ["FunctionAppLogs"]))
    # management locks (6.2): the resource group is CanNotDelete when safe; the unsafe subscription
    # locks only its VM, so its restricted (mission-critical) storage account is unprotected
    if safe:
        out.append(management_lock(f"/subscriptions/{sub}/resourceGroups/{rg}", "rg-no-delete", "CanNotDelete",
                                   "Production resource group"))
    else:
        vm_ids = [r["id"] for r in mine if r.get("type") == "Microsoft.Compute/virtualMachines"]
        out += [management_lock(v, "vm-read-only", "ReadOnly") for v in vm_ids]
    # Defender for IoT: the hub's security solution is on when safe, present but Disabled when not
    out.append(iot_security_solution(sub, rg, location, workspace, enabled=safe))
    # public IPs (7.7): the Bastion host's address is in use; the unsafe subscription keeps a Static
    # address that nothing uses (PublicIPAddressListAll shapes)
    if safe:
        bastion = bastion_host(sub, rg, location)
        out.append(bastion)
        out.append(public_ip(sub, rg, "pip-bas", location, "20.61.40.21",
                             bastion["properties"]["ipConfigurations"][0]["id"]))
        out.append(app_insights(sub, rg, location, workspace))
    else:
        out.append(public_ip(sub, rg, "pip-orphan", location, "20.61.40.22", None))
    if not safe:  # an edge network in a region without a watcher, its subnet without an NSG
        out.append(vnet(sub, rg, "edge-vnet", "eastus2", "10.9.0.0/16", [("edge", "10.9.1.0/24", None)]))
    return out


def _days_ago(days: int) -> str:
    from datetime import datetime, timedelta, timezone

    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def graph_settings(*, safe: bool) -> dict[str, dict[str, Any]]:
    """Microsoft Graph singletons (v1.0 authorizationPolicy and identitySecurityDefaultsEnforcementPolicy
    documentation examples, values per twin), keyed by their path under /v1.0."""
    auth: dict[str, Any] = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/authorizationPolicy/$entity",
        "id": "authorizationPolicy",
        "allowInvitesFrom": "adminsAndGuestInviters" if safe else "everyone",
        "allowedToSignUpEmailBasedSubscriptions": not safe,
        "allowedToUseSSPR": True,
        "allowEmailVerifiedUsersToJoinOrganization": not safe,
        "allowUserConsentForRiskyApps": False,
        "blockMsolPowerShell": None,
        "displayName": "Authorization Policy",
        "description": "Used to manage authorization related settings across the company.",
        "guestUserRoleId": "2af84b1e-32c8-42b7-82bc-daa82404023b" if safe else "a0b1b346-4d3e-4e8b-98f8-753987be4970",
        "defaultUserRolePermissions": {
            "allowedToCreateApps": not safe,
            "allowedToCreateSecurityGroups": not safe,
            "allowedToCreateTenants": not safe,
            "allowedToReadOtherUsers": True,
            "permissionGrantPoliciesAssigned": [] if safe else
            ["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"],
        },
    }
    defaults = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/identitySecurityDefaultsEnforcementPolicy/$entity",
        "id": "00000000-0000-0000-0000-000000000005",
        "displayName": "Security Defaults",
        "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft.",
        "isEnabled": safe,
    }
    def ca(pid: str, name: str, apps: list[str]) -> dict[str, Any]:
        return {"id": pid, "displayName": name,
                "createdDateTime": "2025-03-01T10:00:00Z", "modifiedDateTime": "2025-03-02T10:00:00Z",
                "state": "enabled" if safe else "enabledForReportingButNotEnforced",
                "conditions": {"applications": {"includeApplications": apps, "excludeApplications": [],
                                                "includeUserActions": []},
                               "users": {"includeUsers": ["All"], "excludeUsers": [], "includeGroups": [],
                                         "excludeGroups": [], "includeRoles": [], "excludeRoles": []},
                               "clientAppTypes": ["all"], "locations": None, "platforms": None},
                "grantControls": {"operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [],
                                  "termsOfUse": []},
                "sessionControls": None}

    policies = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/policies",
                "value": [ca("5e2f3a4b-6c7d-4e8f-9a0b-1c2d3e4f5a6b", "Require MFA for all users", ["All"]),
                          ca("6f3a4b5c-7d8e-4f9a-8b1c-2d3e4f5a6b7c", "Require MFA for Azure management",
                             ["797f4846-ba00-4fd7-ba43-dac1f8f63013"]),
                          ca("7a4b5c6d-8e9f-4a0b-9c2d-3e4f5a6b7c8d", "Require MFA for admin portals",
                             ["MicrosoftAdminPortals"])]}
    if safe:  # block sign-ins from outside the countries the organisation works in
        geo = ca("8b5c6d7e-9f0a-4b1c-8d3e-4f5a6b7c8d9e", "Block outside operating countries", ["All"])
        geo["conditions"]["locations"] = {"includeLocations": ["All"],
                                          "excludeLocations": ["1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"]}
        geo["grantControls"]["builtInControls"] = ["block"]
        policies["value"].append(geo)
    locations = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identity/conditionalAccess/namedLocations",
                 "value": [{"@odata.type": "#microsoft.graph.ipNamedLocation", "id": "0824dbaf-6277-4db0-8112-b29fd356f2c4",
                            "displayName": "Head office", "createdDateTime": "2025-03-01T10:00:00Z",
                            "modifiedDateTime": "2025-03-01T10:00:00Z", "isTrusted": safe,
                            "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange",
                                          "cidrAddress": "203.0.113.0/24"}]}]}
    admins = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
              "value": [{"@odata.type": "#microsoft.graph.user", "id": f"{i:08x}-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
                         "displayName": f"Admin {i}", "userPrincipalName": f"admin{i}@contoso.example"}
                        for i in range(2 if safe else 6)]}
    group_settings = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groupSettings",
                      "value": [{"id": "f0b2d6f5-097d-4177-91af-a24e530b53cc", "displayName": "Group.Unified",
                                 "templateId": "62375ab9-6b52-47ed-826b-58e47e0e304b",
                                 "values": [{"name": "EnableGroupCreation", "value": "false"}]}] if safe else []}
    registrations = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails",
        "value": [{"id": f"{i:08x}-2b3c-4d4e-9f5a-6b7c8d9e0f1a", "userPrincipalName": f"user{i}@contoso.example",
                   "userDisplayName": f"User {i}", "userType": "member", "isAdmin": i == 0,
                   "isSsprRegistered": True, "isSsprEnabled": True, "isSsprCapable": True,
                   "isMfaRegistered": safe or i % 2 == 0, "isMfaCapable": safe or i % 2 == 0,
                   "isPasswordlessCapable": False,
                   "methodsRegistered": ["microsoftAuthenticatorPush"] if safe or i % 2 == 0 else [],
                   "isSystemPreferredAuthenticationMethodEnabled": True,
                   "systemPreferredAuthenticationMethods": [], "userPreferredMethodForSecondaryAuthentication": "push",
                   "lastUpdatedDateTime": "2025-03-02T10:00:00Z"} for i in range(4)]}
    # guest users (Graph v1.0 user resource with $select=id,userType,accountEnabled,createdDateTime,
    # signInActivity): one active; when unsafe also one never used since creation 400 days ago, and a
    # disabled one (not judged)
    def guest(i: int, created_days: int, last_days: int | None, enabled: bool = True) -> dict[str, Any]:
        return {"id": f"{i:08x}-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "userType": "Guest", "accountEnabled": enabled,
                "createdDateTime": _days_ago(created_days),
                "signInActivity": {"lastSignInDateTime": _days_ago(last_days) if last_days is not None else None,
                                   "lastSignInRequestId": None,
                                   "lastNonInteractiveSignInDateTime": None,
                                   "lastNonInteractiveSignInRequestId": None,
                                   "lastSuccessfulSignInDateTime": None, "lastSuccessfulSignInRequestId": None}}
    guests = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,userType,accountEnabled,"
                                "createdDateTime,signInActivity)",
              "value": [guest(1, 200, 3), guest(3, 500, 300, enabled=False)]
              + ([] if safe else [guest(2, 400, None)])}
    return {"/users": guests,
            "/reports/authenticationMethods/userRegistrationDetails": registrations,
            "/policies/authorizationPolicy": auth, "/policies/identitySecurityDefaultsEnforcementPolicy": defaults,
            "/identity/conditionalAccess/policies": policies, "/identity/conditionalAccess/namedLocations": locations,
            "/directoryRoles(roleTemplateId='62e90394-69f5-4237-9190-012177145e10')/members": admins,
            "/groupSettings": group_settings}


def entra_diagnostic_setting(name: str, workspace: str, categories: list[str]) -> dict[str, Any]:
    """A tenant-scope microsoft.aadiam diagnostic setting (2017-04-01 shape)."""
    return {"id": f"/providers/microsoft.aadiam/diagnosticSettings/{name}", "name": name,
            "type": "microsoft.aadiam/diagnosticSettings",
            "properties": {"workspaceId": workspace,
                           "logs": [{"category": c, "enabled": True, "retentionPolicy": {"days": 0, "enabled": False}}
                                    for c in categories]}}
