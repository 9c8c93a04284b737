"""The Azure resource specs: what each unit lists, which SDK calls it makes, what it needs.

Calls are named ``<operation group>.<method>`` on the spec's ``service`` client kind
(see clients.CLIENT_CLASSES); CALL_ACTIONS maps each call to the ARM read action it needs,
and the permissions test fails when a spec makes a call its permissions do not cover.
"""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.azure import collect as c
from collectors.azure.cis_specs import CIS_CALL_ACTIONS, cis_specs
from collectors.azure.data_specs import DATA_CALL_ACTIONS, data_specs
from collectors.azure.databricks import DATABRICKS_CALL_ACTIONS, databricks_specs
from collectors.azure.web_specs import WEB_CALL_ACTIONS, web_specs
from collectors.azure.graph import graph_specs
from collectors.azure.ml_specs import ML_CALL_ACTIONS, ml_specs
from collectors.spec import ResourceSpec

# (service, call) -> ARM action. The single source for permissions() and the coverage test.
CALL_ACTIONS: dict[tuple[str, str], str] = {
    ("storage", "storage_accounts.list"): "Microsoft.Storage/storageAccounts/read",
    ("storage", "blob_containers.list"): "Microsoft.Storage/storageAccounts/blobServices/containers/read",
    ("compute", "virtual_machines.list_all"): "Microsoft.Compute/virtualMachines/read",
    ("compute", "disks.list"): "Microsoft.Compute/disks/read",
    ("network", "network_interfaces.list_all"): "Microsoft.Network/networkInterfaces/read",
    ("network", "public_ip_addresses.list_all"): "Microsoft.Network/publicIPAddresses/read",
    ("network", "virtual_networks.list_all"): "Microsoft.Network/virtualNetworks/read",
    ("network", "network_security_groups.list_all"): "Microsoft.Network/networkSecurityGroups/read",
    ("authorization", "role_definitions.list"): "Microsoft.Authorization/roleDefinitions/read",
    ("authorization", "role_definitions.get_by_id"): "Microsoft.Authorization/roleDefinitions/read",
    ("authorization", "role_assignments.list_for_subscription"): "Microsoft.Authorization/roleAssignments/read",
    ("subscriptions", "subscriptions.get"): "Microsoft.Resources/subscriptions/read",
    ("msi", "user_assigned_identities.list_by_subscription"): "Microsoft.ManagedIdentity/userAssignedIdentities/read",
    ("msi", "federated_identity_credentials.list"):
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
    **ML_CALL_ACTIONS,
    **CIS_CALL_ACTIONS,
    **DATA_CALL_ACTIONS,
    **DATABRICKS_CALL_ACTIONS,
    **WEB_CALL_ACTIONS,
}

# Scope discovery (plan) needs these besides the specs' own calls.
DISCOVERY_ACTIONS: tuple[str, ...] = (
    "Microsoft.Resources/subscriptions/read",
    "Microsoft.Management/managementGroups/descendants/read",
)

_ARM = ("config.etag", "config.systemData", "config.properties.provisioningState")


def _rules(volatile: tuple[str, ...] = (), unordered: tuple[str, ...] = ()) -> HashRules:
    return HashRules(volatile=_ARM + volatile, unordered=unordered)


def _perms(service: str, *calls: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(CALL_ACTIONS[(service, call)] for call in calls))


def _spec(type_: str, category: str, service: str, list_call: str, detail: tuple[str, ...], collect, rules: HashRules,
          doc: str, extra: tuple[tuple[str, str], ...] = ()) -> ResourceSpec:  # type: ignore[no-untyped-def]
    perms = _perms(service, list_call, *detail) + tuple(CALL_ACTIONS[k] for k in extra)
    return ResourceSpec(
        provider="azure", type=type_, category=category, service=service, list_call=list_call,
        detail_calls=detail + tuple(f"{svc}:{call}" for svc, call in extra),
        permissions=tuple(dict.fromkeys(perms)), scope="account", hash_rules=rules, collect=collect, doc=doc,
    )


SPECS: tuple[ResourceSpec, ...] = (
    _spec("azure.storage.account", "storage", "storage", "storage_accounts.list",
          ("blob_containers.list", "blob_services.get_service_properties", "file_services.get_service_properties"),
          c.storage_accounts,
          _rules(("config.properties.geoReplicationStats",
                  "config.properties.statusOfPrimary", "config.properties.statusOfSecondary"),
                 ("config.properties.networkAcls.ipRules", "config.properties.networkAcls.virtualNetworkRules",
                  "config.properties.networkAcls.resourceAccessRules")),
          "Storage accounts: public blob access, network rules, TLS, encryption, SKU redundancy, primary/secondary."),
    _spec("azure.storage.container", "storage", "storage", "storage_accounts.list", ("blob_containers.list",),
          c.storage_containers,
          _rules(("config.properties.lastModifiedTime", "config.properties.leaseState",
                  "config.properties.leaseStatus", "config.properties.remainingRetentionDays")),
          "Blob containers and their anonymous public access level."),
    _spec("azure.compute.vm", "compute", "compute", "virtual_machines.list_all", (), c.virtual_machines,
          _rules(("config.properties.instanceView", "config.properties.timeCreated")),
          "Virtual machines with identity, NICs, public IPs (via NIC) and disk encryption.",
          extra=(("network", "network_interfaces.list_all"), ("network", "public_ip_addresses.list_all"))),
    _spec("azure.compute.disk", "compute", "compute", "disks.list", (), c.disks,
          _rules(("config.properties.diskState", "config.managedBy", "config.properties.timeCreated",
                  "config.properties.lastOwnershipUpdateTime")),
          "Managed disks and their encryption type."),
    _spec("azure.network.vnet", "network", "network", "virtual_networks.list_all", ("network_watchers.list_all",),
          c.virtual_networks,
          # NIC attachments listed on subnets change with every VM created or deleted: not VNet config
          _rules(("config.properties.subnets[*].etag", "config.properties.subnets[*].properties.ipConfigurations"),
                 ("config.properties.subnets",
                                                           "config.properties.addressSpace.addressPrefixes")),
          "Virtual networks."),
    _spec("azure.network.subnet", "network", "network", "virtual_networks.list_all", (), c.subnets,
          _rules(("config.properties.ipConfigurations",)),
          "Subnets (embedded in their virtual network's listing)."),
    _spec("azure.network.nsg", "network", "network", "network_security_groups.list_all", (), c.security_groups,
          _rules(("config.properties.securityRules[*].etag", "config.properties.defaultSecurityRules[*].etag",
                  "config.properties.securityRules[*].properties.provisioningState",
                  "config.properties.defaultSecurityRules[*].properties.provisioningState"),
                 ("config.properties.securityRules", "config.properties.defaultSecurityRules",
                  "config.properties.networkInterfaces", "config.properties.subnets")),
          "Network security groups; rules normalised to (cidr, protocol, ports)."),
    _spec("azure.network.public_ip", "network", "network", "public_ip_addresses.list_all", (), c.public_ips,
          _rules(), "Public IP addresses and what uses them (NIC/frontend IP configuration or NAT gateway)."),
    _spec("azure.authorization.role_definition", "iam", "authorization", "role_definitions.list",
          ("role_assignments.list_for_subscription", "role_definitions.get_by_id"), c.role_definitions,
          _rules(("config.properties.updatedOn", "config.properties.updatedBy"),
                 ("config.properties.assignableScopes",)),
          "Custom role definitions and the built-in roles referenced by assignments."),
    _spec("azure.authorization.role_assignment", "iam", "authorization", "role_assignments.list_for_subscription",
          ("role_definitions.list", "role_definitions.get_by_id"), c.role_assignments,
          _rules(("config.properties.updatedOn", "config.properties.updatedBy")),
          "Role assignments with scope, principal type and condition."),
    _spec("azure.resources.subscription", "iam", "subscriptions", "subscriptions.get", (), c.subscription,
          _rules(), "The subscription itself: home tenant and Azure Lighthouse managedByTenants (delegated "
                    "management by other tenants)."),
    _spec("azure.identity.user_assigned", "iam", "msi", "user_assigned_identities.list_by_subscription", (),
          c.user_assigned_identities, _rules(), "User-assigned managed identities."),
    _spec("azure.identity.federated_credential", "iam", "msi", "user_assigned_identities.list_by_subscription",
          ("federated_identity_credentials.list",), c.federated_credentials, _rules(),
          "Federated identity credentials (issuer, subject, audiences) on user-assigned identities."),
)
SPECS += ml_specs(_spec, _rules)
SPECS += cis_specs(_spec, _rules)
SPECS += data_specs(_spec, _rules)
SPECS += databricks_specs(_spec, _rules)
SPECS += web_specs(_spec, _rules)

# Tenant-level Microsoft Graph specs: planned once per tenant, permissions are Graph API permissions.
TENANT_SPECS: tuple[ResourceSpec, ...] = graph_specs(_rules)

SPEC_BY_TYPE: dict[str, ResourceSpec] = {s.type: s for s in SPECS + TENANT_SPECS}


def spec_calls(spec: ResourceSpec) -> list[tuple[str, str]]:
    """(service, call) pairs a spec makes; calls on another client are written ``service:call``."""
    out = []
    for call in spec.calls:
        svc, _, name = call.rpartition(":")
        out.append((svc or spec.service, name))
    return out
