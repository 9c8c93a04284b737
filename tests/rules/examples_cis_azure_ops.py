"""FAIL/PASS twins for auditor/rules/cis_azure_ops.py (CIS Azure 6.1.4, 6.2, 3.1.1, 5.3.2)."""

from __future__ import annotations

from typing import Any, Callable

from auditor.model import Resource, make_resource
from tests.identity.factories import SUB, TENANT

Estate = Callable[[], list[Resource]]
RG = f"/subscriptions/{SUB}/resourceGroups/rg-prod"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-prod"
USER = "0c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"


def azure(type_: str, category: str, native_id: str, facets: dict[str, Any], *, account: str = SUB,
          tags: dict[str, str] | None = None) -> Resource:
    return make_resource(provider="azure", account=account, region="westeurope", category=category, type=type_,
                         native_id=native_id, name=native_id.rsplit("/", 1)[-1], config={"id": native_id},
                         tags=tags or {}, facets=facets)


def vault(logging: bool | None, *, tags: dict[str, str] | None = None) -> Resource:
    return azure("azure.keyvault.vault", "storage", VAULT, {"resource_logging": logging}, tags=tags)


def locks(*scopes: str) -> Resource:
    return azure("azure.authorization.locks", "iam", f"/subscriptions/{SUB}/providers/Microsoft.Authorization/locks",
                 {"locks": [{"scope": s.lower(), "level": "CanNotDelete"} for s in scopes]})


def vm_access(incapable: list[str]) -> list[Resource]:
    return [azure("azure.resources.subscription", "iam", f"/subscriptions/{SUB}", {"tenant_id": TENANT}),
            azure("azure.authorization.role_assignment", "iam",
                  f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments/ra-1",
                  {"admin": True, "role_definition": CONTRIBUTOR, "principal_id": USER, "principal_type": "User"}),
            azure("azure.entra.mfa_registration", "iam", f"/tenants/{TENANT}/reports/userRegistrationDetails",
                  {"users_without_mfa": len(incapable), "admins_without_mfa": 0, "mfa_incapable_ids": incapable},
                  account=TENANT)]


def guests(stale: list[str]) -> list[Resource]:
    return [azure("azure.entra.guest_users", "iam", f"/tenants/{TENANT}/users/guests",
                  {"guests": 3, "stale_guests": stale}, account=TENANT)]


CRITICAL = {"mission-critical": "true"}

EXAMPLES: dict[str, tuple[Estate, Estate]] = {
    "monitor.resource_logging": (lambda: [vault(False)], lambda: [vault(True)]),
    "iam.azure_critical_resource_unlocked": (
        # a lock elsewhere in the subscription does not protect the vault
        lambda: [vault(True, tags=CRITICAL), locks(f"{RG}/providers/Microsoft.Compute/virtualMachines/vm")],
        # a lock on its resource group does
        lambda: [vault(True, tags=CRITICAL), locks(RG)]),
    "entra.vm_access_without_mfa": (lambda: vm_access([USER]), lambda: vm_access(["someone-else"])),
    "entra.stale_guests": (lambda: guests(["00000002-3c4d-4e5f-8a6b-7c8d9e0f1a2b"]), lambda: guests([])),
}
