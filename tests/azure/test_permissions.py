"""The generated custom role covers every call every spec makes, and nothing but reads."""

from __future__ import annotations

import pytest

from auditor.config.schema import AzureConfig
from collectors.azure import SPECS, permissions
from collectors.azure.clients import AzureClients
from collectors.azure.specs import CALL_ACTIONS, spec_calls


class _Cred:
    def get_token(self, *a, **k):  # type: ignore[no-untyped-def]
        raise AssertionError("no request is made here")

    get_token_info = get_token


def test_role_document_shape() -> None:
    role = permissions()
    assert set(role) >= {"Name", "IsCustom", "Description", "Actions", "NotActions", "AssignableScopes"}
    assert role["IsCustom"] is True and role["NotActions"] == []
    assert role["AssignableScopes"] == ["/subscriptions/{subscriptionId}"]
    assert role["Actions"] and all(a.endswith("/read") for a in role["Actions"])
    assert role["Actions"] == sorted(set(role["Actions"]))


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_every_call_is_declared_and_covered(spec) -> None:  # type: ignore[no-untyped-def]
    actions = set(permissions()["Actions"])
    assert spec.provider == "azure" and spec.collect is not None and spec.scope == "account"
    for service, call in spec_calls(spec):
        action = CALL_ACTIONS.get((service, call))
        assert action, f"{spec.type}: call {service}:{call} has no declared permission"
        assert action in spec.permissions and action in actions


@pytest.mark.parametrize("service, call", sorted(CALL_ACTIONS))
def test_every_declared_call_exists_on_the_sdk_client(service: str, call: str) -> None:
    clients = AzureClients(AzureConfig(), credential=_Cred())
    client = clients.client(service, "00000000-0000-0000-0000-000000000000")
    group, method = call.split(".")
    assert callable(getattr(getattr(client, group), method))


def test_the_permissions_command_names_the_tenant_level_grants_beside_the_role() -> None:
    """stdout stays the role definition; the Graph and tenant-root grants are named on stderr."""
    import json
    import subprocess
    import sys

    from collectors.azure.graph import graph_permissions, tenant_arm_permissions

    out = subprocess.run([sys.executable, "-m", "auditor", "permissions", "azure"], capture_output=True, text=True,
                         check=True)
    role = json.loads(out.stdout)
    assert role["Actions"] and role["IsCustom"] is True
    assert graph_permissions() and all(p in out.stderr for p in graph_permissions() + tenant_arm_permissions())


def test_lock_listing_and_guest_sign_ins_are_granted() -> None:
    """CIS Azure 6.2 reads Microsoft.Authorization/locks; 5.3.2 reads guests with their signInActivity
    (User.Read.All plus AuditLog.Read.All on the same Graph request)."""
    from collectors.azure.graph import graph_permissions
    from collectors.azure.specs import SPEC_BY_TYPE

    assert "Microsoft.Authorization/locks/read" in permissions()["Actions"]
    assert SPEC_BY_TYPE["azure.authorization.locks"].permissions == ("Microsoft.Authorization/locks/read",)
    assert set(SPEC_BY_TYPE["azure.entra.guest_users"].permissions) == {"User.Read.All", "AuditLog.Read.All"}
    assert {"User.Read.All", "AuditLog.Read.All"} <= set(graph_permissions())
