"""The seeded Azure estate served by the ARM fake (tests and `auditor demo`).

Each builder returns one resource in the shape of the official ARM x-ms-examples
(azure-rest-api-specs: StorageAccountGetProperties, NetworkSecurityGroupGet,
GetAVirtualMachine, RoleAssignments_ListForSubscription, IdentityGet,
FederatedIdentityCredentialGet, ...), with synthetic names and values.
"""

from __future__ import annotations

from typing import Any

TENANT = "5b7f2c1e-9d3a-4e6b-8c2f-1a0d9e8b7c6a"
SUB_PROD = "1f6e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
SUB_DEV = "2a7b3c4d-5e6f-4a0b-9c1d-2e3f4a5b6c7d"
SUB_DENIED = "3c8d4e5f-6a7b-4c1d-8e2f-3a4b5c6d7e8f"

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GOOGLE_ISSUER = "https://accounts.google.com"
COGNITO_ISSUER = "https://cognito-identity.amazonaws.com"

_SYSTEM_DATA = {"createdBy": "platform@contoso.example", "createdByType": "User",
                "createdAt": "2025-03-01T10:00:00.0000000Z", "lastModifiedBy": "platform@contoso.example",
                "lastModifiedByType": "User", "lastModifiedAt": "2025-03-02T10:00:00.0000000Z"}


def rid(sub: str, rg: str, provider_path: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider_path}"


# ---- storage -----------------------------------------------------------------------------------

def storage_account(sub: str, rg: str, name: str, location: str, sku: str, *, allow_public: bool | None,
                    secondary: str | None = None, public_network: str | None = "Enabled",
                    default_action: str = "Allow", min_tls: str = "TLS1_2", https_only: bool = True,
                    shared_key: bool | None = None, key_vault: dict[str, str] | None = None,
                    tags: dict[str, str] | None = None) -> dict[str, Any]:
    blob = f"https://{name}.blob.core.windows.net/"
    props: dict[str, Any] = {
        "keyCreationTime": {"key1": "2025-03-01T10:00:00.0000000Z", "key2": "2025-03-01T10:00:00.0000000Z"},
        "creationTime": "2025-03-01T10:00:00.0000000Z",
        "networkAcls": {"bypass": "AzureServices", "defaultAction": default_action, "ipRules": [],
                        "virtualNetworkRules": []},
        "primaryEndpoints": {"blob": blob, "dfs": f"https://{name}.dfs.core.windows.net/",
                             "file": f"https://{name}.file.core.windows.net/",
                             "queue": f"https://{name}.queue.core.windows.net/",
                             "table": f"https://{name}.table.core.windows.net/",
                             "web": f"https://{name}.z6.web.core.windows.net/"},
        "primaryLocation": location,
        "provisioningState": "Succeeded",
        "encryption": {"services": {"file": {"keyType": "Account", "enabled": True,
                                             "lastEnabledTime": "2025-03-01T10:00:00.0000000Z"},
                                    "blob": {"keyType": "Account", "enabled": True,
                                             "lastEnabledTime": "2025-03-01T10:00:00.0000000Z"}},
                       "keySource": "Microsoft.Keyvault" if key_vault else "Microsoft.Storage"},
        "statusOfPrimary": "available",
        "supportsHttpsTrafficOnly": https_only,
        "minimumTlsVersion": min_tls,
        "accessTier": "Hot",
        "isHnsEnabled": False,
    }
    if key_vault:
        props["encryption"]["keyvaultproperties"] = key_vault
    if allow_public is not None:
        props["allowBlobPublicAccess"] = allow_public
    if public_network is not None:
        props["publicNetworkAccess"] = public_network
    if shared_key is not None:
        props["allowSharedKeyAccess"] = shared_key
    if secondary:
        props["secondaryLocation"] = secondary
        props["statusOfSecondary"] = "available"
        props["geoReplicationStats"] = {"status": "Live", "lastSyncTime": "2025-03-02T00:25:34Z", "canFailover": True}
    return {
        "id": rid(sub, rg, f"Microsoft.Storage/storageAccounts/{name}"),
        "kind": "StorageV2",
        "location": location,
        "name": name,
        "properties": props,
        "sku": {"name": sku, "tier": "Premium" if sku.startswith("Premium") else "Standard"},
        "tags": tags or {},
        "type": "Microsoft.Storage/storageAccounts",
    }


def blob_container(account: dict[str, Any], name: str, public_access: str) -> dict[str, Any]:
    return {
        "id": f"{account['id']}/blobServices/default/containers/{name}",
        "name": name,
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "etag": "\"0x8D592D74CC20EBA\"",
        "properties": {"publicAccess": public_access, "leaseStatus": "Unlocked", "leaseState": "Available",
                       "lastModifiedTime": "2025-03-02T10:00:00.0000000Z", "hasImmutabilityPolicy": False,
                       "hasLegalHold": False, "deleted": False, "remainingRetentionDays": 0,
                       "defaultEncryptionScope": "$account-encryption-key", "denyEncryptionScopeOverride": False},
    }


# ---- network -----------------------------------------------------------------------------------

def security_rule(nsg_id: str, name: str, *, priority: int, direction: str = "Inbound", access: str = "Allow",
                  protocol: str = "Tcp", source: str | list[str] = "*", ports: str | list[str] = "*",
                  destination: str = "*", default: bool = False, description: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"provisioningState": "Succeeded", "protocol": protocol, "sourcePortRange": "*",
                             "destinationAddressPrefix": destination, "access": access, "priority": priority,
                             "direction": direction, "sourcePortRanges": [], "destinationAddressPrefixes": []}
    if description:
        props["description"] = description
    if isinstance(source, list):
        props["sourceAddressPrefixes"] = source
    else:
        props["sourceAddressPrefix"], props["sourceAddressPrefixes"] = source, []
    if isinstance(ports, list):
        props["destinationPortRanges"] = ports
    else:
        props["destinationPortRange"], props["destinationPortRanges"] = ports, []
    kind = "defaultSecurityRules" if default else "securityRules"
    return {"name": name, "id": f"{nsg_id}/{kind}/{name}", "etag": "W/\"00000000-0000-0000-0000-000000000000\"",
            "type": f"Microsoft.Network/networkSecurityGroups/{kind}", "properties": props}


def default_rules(nsg_id: str) -> list[dict[str, Any]]:
    """The six rules ARM adds to every NSG (NetworkSecurityGroupGet example)."""
    d = dict(nsg_id=nsg_id, protocol="*", default=True)
    return [
        security_rule(name="AllowVnetInBound", priority=65000, source="VirtualNetwork", destination="VirtualNetwork",
                      description="Allow inbound traffic from all VMs in VNET", **d),
        security_rule(name="AllowAzureLoadBalancerInBound", priority=65001, source="AzureLoadBalancer",
                      description="Allow inbound traffic from azure load balancer", **d),
        security_rule(name="DenyAllInBound", priority=65500, access="Deny", description="Deny all inbound traffic", **d),
        security_rule(name="AllowVnetOutBound", priority=65000, direction="Outbound", source="VirtualNetwork",
                      destination="VirtualNetwork", description="Allow outbound traffic from all VMs to all VMs in VNET", **d),
        security_rule(name="AllowInternetOutBound", priority=65001, direction="Outbound", destination="Internet",
                      description="Allow outbound traffic from all VMs to Internet", **d),
        security_rule(name="DenyAllOutBound", priority=65500, direction="Outbound", access="Deny",
                      description="Deny all outbound traffic", **d),
    ]


def nsg(sub: str, rg: str, name: str, location: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    nid = rid(sub, rg, f"Microsoft.Network/networkSecurityGroups/{name}")
    return {
        "name": name, "id": nid, "etag": "W/\"00000000-0000-0000-0000-000000000000\"",
        "type": "Microsoft.Network/networkSecurityGroups", "location": location,
        "properties": {"provisioningState": "Succeeded", "resourceGuid": "2bf8a1c7-3c5e-4d2b-9b9b-5f2a7f0d1c11",
                       "securityRules": [dict(r, id=r["id"].replace("{nsg}", nid)) for r in rules],
                       "defaultSecurityRules": default_rules(nid)},
    }


def vnet(sub: str, rg: str, name: str, location: str, cidr: str,
         subnets: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    vid = rid(sub, rg, f"Microsoft.Network/virtualNetworks/{name}")
    subs = []
    for sname, prefix, nsg_id in subnets:
        p: dict[str, Any] = {"addressPrefix": prefix, "provisioningState": "Succeeded",
                             "privateEndpointNetworkPolicies": "Disabled",
                             "privateLinkServiceNetworkPolicies": "Enabled"}
        if nsg_id:
            p["networkSecurityGroup"] = {"id": nsg_id}
        subs.append({"name": sname, "id": f"{vid}/subnets/{sname}", "etag": "W/\"00000000-0000-0000-0000-000000000000\"",
                     "type": "Microsoft.Network/virtualNetworks/subnets", "properties": p})
    return {"name": name, "id": vid, "type": "Microsoft.Network/virtualNetworks", "location": location,
            "etag": "W/\"00000000-0000-0000-0000-000000000000\"",
            "properties": {"provisioningState": "Succeeded", "addressSpace": {"addressPrefixes": [cidr]},
                           "subnets": subs, "enableDdosProtection": False,
                           "resourceGuid": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}}


def public_ip(sub: str, rg: str, name: str, location: str, address: str, nic_ipconfig: str | None) -> dict[str, Any]:
    props: dict[str, Any] = {"provisioningState": "Succeeded", "publicIPAddressVersion": "IPv4",
                             "publicIPAllocationMethod": "Static", "idleTimeoutInMinutes": 4, "ipAddress": address,
                             "ipTags": []}
    if nic_ipconfig:
        props["ipConfiguration"] = {"id": nic_ipconfig}
    return {"name": name, "id": rid(sub, rg, f"Microsoft.Network/publicIPAddresses/{name}"), "location": location,
            "type": "Microsoft.Network/publicIPAddresses", "sku": {"name": "Standard", "tier": "Regional"},
            "properties": props}


def nic(sub: str, rg: str, name: str, location: str, subnet_id: str, private_ip: str, *,
        public_ip_id: str | None, nsg_id: str | None, vm_id: str) -> dict[str, Any]:
    nid = rid(sub, rg, f"Microsoft.Network/networkInterfaces/{name}")
    ipc: dict[str, Any] = {"privateIPAddress": private_ip, "privateIPAllocationMethod": "Dynamic",
                           "subnet": {"id": subnet_id}, "primary": True, "privateIPAddressVersion": "IPv4",
                           "provisioningState": "Succeeded"}
    if public_ip_id:
        ipc["publicIPAddress"] = {"id": public_ip_id}
    props: dict[str, Any] = {"provisioningState": "Succeeded",
                             "ipConfigurations": [{"name": "ipconfig1", "id": f"{nid}/ipConfigurations/ipconfig1",
                                                   "properties": ipc}],
                             "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
                             "macAddress": "00-0D-3A-1B-C7-21", "enableAcceleratedNetworking": True,
                             "enableIPForwarding": False, "primary": True, "virtualMachine": {"id": vm_id}}
    if nsg_id:
        props["networkSecurityGroup"] = {"id": nsg_id}
    return {"name": name, "id": nid, "location": location, "type": "Microsoft.Network/networkInterfaces",
            "properties": props}


# ---- compute -----------------------------------------------------------------------------------

def virtual_machine(sub: str, rg: str, name: str, location: str, *, size: str, os_type: str, nic_id: str,
                    system_identity: str | None = None, user_identities: dict[str, dict[str, str]] | None = None,
                    disk_encryption_set: str | None = None, encryption_at_host: bool = False) -> dict[str, Any]:
    vid = rid(sub, rg, f"Microsoft.Compute/virtualMachines/{name}")
    managed: dict[str, Any] = {"storageAccountType": "Premium_LRS",
                               "id": rid(sub, rg, f"Microsoft.Compute/disks/{name}_OsDisk_1")}
    if disk_encryption_set:
        managed["diskEncryptionSet"] = {"id": disk_encryption_set}
    linux = os_type == "Linux"
    os_profile: dict[str, Any] = {"computerName": name, "adminUsername": "azureuser", "secrets": [],
                                  "allowExtensionOperations": True, "requireGuestProvisionSignal": True}
    if linux:
        os_profile["linuxConfiguration"] = {"disablePasswordAuthentication": True, "provisionVMAgent": True,
                                            "patchSettings": {"patchMode": "ImageDefault"}}
    else:
        os_profile["windowsConfiguration"] = {"provisionVMAgent": True, "enableAutomaticUpdates": True}
    doc: dict[str, Any] = {
        "name": name, "id": vid, "type": "Microsoft.Compute/virtualMachines", "location": location,
        "tags": {"env": "prod" if sub == SUB_PROD else "dev"},
        "properties": {
            "vmId": "0f47b100-583c-48e3-a4c0-aefc2c9bbcc1",
            "hardwareProfile": {"vmSize": size},
            "storageProfile": {
                "imageReference": ({"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server",
                                    "version": "latest"} if linux else
                                   {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer",
                                    "sku": "2022-datacenter-azure-edition", "version": "latest"}),
                "osDisk": {"osType": os_type, "name": f"{name}_OsDisk_1", "createOption": "FromImage",
                           "caching": "ReadWrite", "managedDisk": managed, "diskSizeGB": 30,
                           "deleteOption": "Delete"},
                "dataDisks": [],
            },
            "osProfile": os_profile,
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": True}}]},
            "securityProfile": {"encryptionAtHost": encryption_at_host},
            "diagnosticsProfile": {"bootDiagnostics": {"enabled": True}},
            "provisioningState": "Succeeded",
            "timeCreated": "2025-03-01T10:00:00.0000000+00:00",
        },
    }
    kinds = [k for k, on in (("SystemAssigned", system_identity), ("UserAssigned", user_identities)) if on]
    if kinds:
        identity: dict[str, Any] = {"type": ", ".join(kinds)}
        if system_identity:
            identity.update(principalId=system_identity, tenantId=TENANT)
        if user_identities:
            identity["userAssignedIdentities"] = user_identities
        doc["identity"] = identity
    return doc


def disk(sub: str, rg: str, name: str, location: str, os_type: str, vm_id: str, *, customer_key_set: str | None) -> dict[str, Any]:
    enc: dict[str, Any] = {"type": "EncryptionAtRestWithPlatformKey"}
    if customer_key_set:
        enc = {"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": customer_key_set}
    return {"name": name, "id": rid(sub, rg, f"Microsoft.Compute/disks/{name}"), "type": "Microsoft.Compute/disks",
            "location": location, "managedBy": vm_id, "sku": {"name": "Premium_LRS", "tier": "Premium"},
            "properties": {"osType": os_type, "hyperVGeneration": "V2",
                           "creationData": {"createOption": "FromImage"}, "diskSizeGB": 30,
                           "diskIOPSReadWrite": 120, "diskMBpsReadWrite": 25, "encryption": enc,
                           "networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Enabled",
                           "timeCreated": "2025-03-01T10:00:00.0000000+00:00", "provisioningState": "Succeeded",
                           "diskState": "Attached", "diskSizeBytes": 32213303296,
                           "uniqueId": "d0e1f2a3-b4c5-4d6e-8f70-8192a3b4c5d6"}}


# ---- identity and access -----------------------------------------------------------------------

def role_definition(sub: str, guid: str, name: str, *, builtin: bool, actions: list[str],
                    not_actions: list[str] | None = None, description: str = "") -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
        "name": guid, "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {"roleName": name, "type": "BuiltInRole" if builtin else "CustomRole",
                       "description": description,
                       "assignableScopes": ["/"] if builtin else [f"/subscriptions/{sub}"],
                       "permissions": [{"actions": actions, "notActions": not_actions or [], "dataActions": [],
                                        "notDataActions": []}],
                       "createdOn": "2015-02-02T21:55:09.8806423Z", "updatedOn": "2024-11-05T16:20:15.2310215Z",
                       "createdBy": None, "updatedBy": None},
    }


STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
LIGHTHOUSE_MSP_TENANT = "8c4d2e1f-3a5b-4c6d-9e7f-0a1b2c3d4e5f"


def builtin_roles(sub: str) -> list[dict[str, Any]]:
    """Built-in roles as ARM returns them at subscription scope (RoleDefinitions_Get example)."""
    return [
        role_definition(sub, OWNER, "Owner", builtin=True, actions=["*"],
                        description="Grants full access to manage all resources, including the ability to assign roles in Azure RBAC."),
        role_definition(sub, CONTRIBUTOR, "Contributor", builtin=True, actions=["*"],
                        not_actions=["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                                     "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
                                     "Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
                                     "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
                                     "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                                     "Microsoft.Subscription/cancel/action", "Microsoft.Subscription/enable/action"],
                        description="Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC."),
        role_definition(sub, READER, "Reader", builtin=True, actions=["*/read"],
                        description="View all resources, but does not allow you to make any changes."),
        role_definition(sub, USER_ACCESS_ADMINISTRATOR, "User Access Administrator", builtin=True,
                        actions=["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
                        description="Lets you manage user access to Azure resources."),
        role_definition(sub, STORAGE_BLOB_DATA_READER, "Storage Blob Data Reader", builtin=True,
                        actions=["Microsoft.Storage/storageAccounts/blobServices/containers/read",
                                 "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"],
                        description="Read and list Azure Storage containers and blobs."),
    ]


def role_assignment(sub: str, guid: str, scope: str, role_guid: str, principal_id: str, principal_type: str,
                    condition: str | None = None) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}",
        "name": guid, "type": "Microsoft.Authorization/roleAssignments",
        "properties": {"roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}",
                       "principalId": principal_id, "principalType": principal_type, "scope": scope,
                       "condition": condition, "conditionVersion": "2.0" if condition else None,
                       "createdOn": "2025-03-01T10:00:00.0000000Z", "updatedOn": "2025-03-01T10:00:00.0000000Z",
                       "createdBy": "9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
                       "updatedBy": "9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f",
                       "delegatedManagedIdentityResourceId": None, "description": None},
    }


def user_assigned_identity(sub: str, rg: str, name: str, location: str, principal_id: str, client_id: str) -> dict[str, Any]:
    return {"id": rid(sub, rg, f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}"), "name": name,
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities", "location": location,
            "tags": {"owner": "platform"}, "systemData": dict(_SYSTEM_DATA),
            "properties": {"tenantId": TENANT, "principalId": principal_id, "clientId": client_id,
                           "isolationScope": "None"}}


def federated_credential(identity: dict[str, Any], name: str, issuer: str, subject: str,
                         audience: str = "api://AzureADTokenExchange") -> dict[str, Any]:
    return {"id": f"{identity['id']}/federatedIdentityCredentials/{name}", "name": name,
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
            "systemData": dict(_SYSTEM_DATA),
            "properties": {"issuer": issuer, "subject": subject, "audiences": [audience]}}


# ---- the seeded estate -------------------------------------------------------------------------

def _subscription_resources(sub: str, rg: str, location: str, *, open_nsg: bool, public_vm: bool,
                            prefix: str) -> list[dict[str, Any]]:
    """A network, one or two NSGs, a VM (with or without public IP) and its disk."""
    out: list[dict[str, Any]] = []
    open_rules = [
        security_rule("{nsg}", "allow-ssh-anywhere", priority=100, protocol="Tcp", source="*", ports="22"),
        security_rule("{nsg}", "allow-rdp-internet", priority=110, protocol="Tcp", source="Internet", ports="3389"),
        security_rule("{nsg}", "allow-app-range", priority=120, protocol="*", source=["10.0.0.0/8", "0.0.0.0/0"],
                      ports=["1000-2000", "8080"]),
        security_rule("{nsg}", "allow-icmp", priority=130, protocol="Icmp", source="Internet"),
    ]
    closed_rules = [
        security_rule("{nsg}", "allow-https-vnet", priority=100, protocol="Tcp", source="10.0.0.0/16", ports="443"),
        security_rule("{nsg}", "deny-internet", priority=4000, access="Deny", protocol="*", source="Internet"),
    ]
    nsg_closed = nsg(sub, rg, f"{prefix}-nsg-closed", location, closed_rules)
    out.append(nsg_closed)
    nsg_for_vm = nsg_closed
    if open_nsg:
        nsg_open = nsg(sub, rg, f"{prefix}-nsg-open", location, open_rules)
        out.append(nsg_open)
        nsg_for_vm = nsg_open if public_vm else nsg_closed
    net = vnet(sub, rg, f"{prefix}-vnet", location, "10.0.0.0/16",
               [("app", "10.0.1.0/24", nsg_for_vm["id"]), ("data", "10.0.2.0/24", nsg_closed["id"])])
    out.append(net)
    for idx, public in enumerate([public_vm, False]):
        vm_name = f"{prefix}-vm-{'web' if public else 'db'}{idx}"
        vm_id = rid(sub, rg, f"Microsoft.Compute/virtualMachines/{vm_name}")
        nic_name = f"{vm_name}-nic"
        nic_id = rid(sub, rg, f"Microsoft.Network/networkInterfaces/{nic_name}")
        pip_id = None
        if public:
            pip = public_ip(sub, rg, f"{vm_name}-pip", location, f"20.61.{15 + idx}.{10 + len(prefix)}",
                            f"{nic_id}/ipConfigurations/ipconfig1")
            pip_id = pip["id"]
            out.append(pip)
        nsg_id = nsg_for_vm["id"] if public else nsg_closed["id"]
        out.append(nic(sub, rg, nic_name, location, net["properties"]["subnets"][0 if public else 1]["id"],
                       f"10.0.{1 if public else 2}.{4 + idx}", public_ip_id=pip_id, nsg_id=nsg_id, vm_id=vm_id))
        des = None if public else rid(sub, rg, "Microsoft.Compute/diskEncryptionSets/des-cmk")
        out.append(disk(sub, rg, f"{vm_name}_OsDisk_1", location, "Linux" if public else "Windows", vm_id,
                        customer_key_set=des))
        out.append(virtual_machine(sub, rg, vm_name, location, size="Standard_D2s_v5" if public else "Standard_E4s_v5",
                                   os_type="Linux" if public else "Windows", nic_id=nic_id,
                                   system_identity="6b2e1c0d-7f3a-4b8e-9d1c-5a4f3e2d1c0b" if public else None,
                                   disk_encryption_set=des, encryption_at_host=not public))
    return out


def seeded_estate(page_size: int = 2) -> dict[str, Any]:
    """Two readable subscriptions (+ one the auditor cannot read): storage, compute, network, identity."""
    res: list[dict[str, Any]] = []
    rg = "rg-prod"
    # storage, prod: LRS public, GRS crossing a border (IE -> NL), RA-GRS with the secondary left to the pair table
    public_acct = storage_account(SUB_PROD, rg, "stprodpublic01", "westeurope", "Standard_LRS", allow_public=True,
                                  min_tls="TLS1_0", https_only=False, shared_key=True,
                                  tags={"data-classification": "public"})
    res.append(public_acct)
    res.append(blob_container(public_acct, "public-assets", "Container"))
    res.append(blob_container(public_acct, "blob-downloads", "Blob"))
    res.append(blob_container(public_acct, "internal", "None"))
    grs = storage_account(SUB_PROD, rg, "stprodgrs01", "northeurope", "Standard_GRS", allow_public=False,
                          secondary="westeurope", public_network="Disabled", default_action="Deny", shared_key=False,
                          key_vault={"keyname": "wrappingKey", "keyversion": "",
                                     "keyvaulturi": "https://kv-prod-cmk.vault.azure.net"},
                          tags={"data-classification": "confidential"})
    res.append(grs)
    res.append(blob_container(grs, "records", "None"))
    res.append(storage_account(SUB_PROD, rg, "stprodragrsbr", "brazilsouth", "Standard_RAGRS", allow_public=False,
                               default_action="Deny", tags={"data-classification": "restricted"}))
    for i in range(3):  # enough accounts for nextLink paging over several pages
        res.append(storage_account(SUB_PROD, rg, f"stprodlogs{i:02d}", "westeurope", "Standard_LRS",
                                   allow_public=False))
    res += _subscription_resources(SUB_PROD, rg, "westeurope", open_nsg=True, public_vm=True, prefix="prod")
    from auditor.demo.emulators.azure_ml_estate import ml_resources  # the ML slice (issue 17)
    res += ml_resources(SUB_PROD, rg, "westeurope", TENANT, storage="stprodlogs00")
    from auditor.demo.emulators.azure_data_estate import data_resources  # Key Vault, SQL, Cosmos (issue 17)
    res += data_resources(SUB_PROD, rg, "westeurope", TENANT)
    # identity, prod
    uami = user_assigned_identity(SUB_PROD, rg, "uami-deploy", "westeurope",
                                  principal_id="25cc8c9e-2a4f-4c5b-9d6e-7f8a9b0c1d2e",
                                  client_id="a0b1c2d3-e4f5-4a6b-8c7d-8e9f0a1b2c3d")
    res.append(uami)
    res.append(federated_credential(uami, "gh-prod", GITHUB_ISSUER, "repo:octo-org/octo-repo:environment:prod"))
    res.append(federated_credential(uami, "gcp-batch", GOOGLE_ISSUER, "112233445566778899001"))
    res.append(federated_credential(uami, "aws-cognito", COGNITO_ISSUER,
                                    "eu-west-1:7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09",
                                    audience="api://AzureADTokenExchange"))
    res += builtin_roles(SUB_PROD)
    escalator = role_definition(SUB_PROD, "e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a7b8", "Access Delegator", builtin=False,
                                actions=["Microsoft.Authorization/roleAssignments/write", "*/read"],
                                description="Can grant any role (escalation path).")
    res.append(escalator)
    res.append(role_definition(SUB_PROD, "f5a6b7c8-d9e0-4f1a-b2c3-d4e5f6a7b8c9", "Storage Reader Custom",
                               builtin=False, actions=["Microsoft.Storage/storageAccounts/read"]))
    scope = f"/subscriptions/{SUB_PROD}"
    res.append(role_assignment(SUB_PROD, "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", scope, OWNER,
                               "0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f", "User"))
    res.append(role_assignment(SUB_PROD, "c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f", f"{scope}/resourceGroups/{rg}",
                               CONTRIBUTOR, uami["properties"]["principalId"], "ServicePrincipal"))
    res.append(role_assignment(SUB_PROD, "d3e4f5a6-b7c8-4d9e-8f0a-2b3c4d5e6f7a", scope, USER_ACCESS_ADMINISTRATOR,
                               "1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a", "Group",
                               condition="((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "
                                         "(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] "
                                         "ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))"))
    res.append(role_assignment(SUB_PROD, "e4f5a6b7-c8d9-4e0f-9a1b-3c4d5e6f7a8b", scope, escalator["name"],
                               "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b", "ServicePrincipal"))

    # dev subscription: LRS private, GRS staying in Germany, closed network, VM without public IP
    rg = "rg-dev"
    res.append(storage_account(SUB_DEV, rg, "stdevlrs01", "eastus", "Standard_LRS", allow_public=False))
    res.append(storage_account(SUB_DEV, rg, "stdevgrs01", "germanywestcentral", "Standard_GRS", allow_public=True,
                               secondary="germanynorth"))
    res += _subscription_resources(SUB_DEV, rg, "eastus", open_nsg=False, public_vm=False, prefix="dev")
    ci = user_assigned_identity(SUB_DEV, rg, "uami-ci", "eastus", principal_id="3f4a5b6c-7d8e-4f9a-8b0c-2d3e4f5a6b7c",
                                client_id="b1c2d3e4-f5a6-4b7c-9d8e-9f0a1b2c3d4e")
    res.append(ci)
    res.append(federated_credential(ci, "gh-main", GITHUB_ISSUER, "repo:octo-org/infra:ref:refs/heads/main"))
    res += builtin_roles(SUB_DEV)
    res.append(role_assignment(SUB_DEV, "f5a6b7c8-d9e0-4f1a-8b2c-4d5e6f7a8b9c", f"/subscriptions/{SUB_DEV}", OWNER,
                               ci["properties"]["principalId"], "ServicePrincipal"))
    res.append(role_assignment(SUB_DEV, "a6b7c8d9-e0f1-4a2b-9c3d-5e6f7a8b9c0d", f"/subscriptions/{SUB_DEV}", READER,
                               "0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f", "User"))
    # a built-in role outside the collector's small table: admin comes from its definition
    res.append(role_assignment(SUB_DEV, "b7c8d9e0-f1a2-4b3c-8d4e-6f7a8b9c0d1e", f"/subscriptions/{SUB_DEV}",
                               STORAGE_BLOB_DATA_READER, ci["properties"]["principalId"], "ServicePrincipal"))
    # the denied subscription has resources the auditor must not pretend to know about
    res.append(storage_account(SUB_DENIED, "rg-secret", "stsecret01", "uksouth", "Standard_LRS", allow_public=False))

    from auditor.demo.emulators.azure_cis_estate import (  # the CIS slice (issue 15)
        cis_resources, entra_diagnostic_setting, graph_settings,
    )
    res += cis_resources(SUB_PROD, "rg-prod", "westeurope", res, safe=False)
    res += cis_resources(SUB_DEV, "rg-dev", "eastus", res, safe=True)
    res.append(entra_diagnostic_setting("entra-to-law", rid(SUB_PROD, "rg-prod", "Microsoft.OperationalInsights/"
                                                                                 "workspaces/law-security"),
                                        ["AuditLogs"]))  # sign-in and Graph activity logs stay inside Entra

    return {
        "tenant_id": TENANT,
        "page_size": page_size,
        "subscriptions": [
            # an MSP manages prod through Azure Lighthouse (a tenant outside the estate)
            {"subscriptionId": SUB_PROD, "displayName": "contoso-prod", "managedByTenants": [LIGHTHOUSE_MSP_TENANT]},
            {"subscriptionId": SUB_DEV, "displayName": "contoso-dev"},
            {"subscriptionId": SUB_DENIED, "displayName": "contoso-secops"},
        ],
        "management_groups": {"mg-contoso": [SUB_PROD, SUB_DEV], "mg-platform": [SUB_PROD]},
        "resources": res,
        "graph": graph_settings(safe=False),
        "faults": {"denied_subscriptions": [SUB_DENIED]},
    }
