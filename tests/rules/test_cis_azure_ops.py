"""The joins of auditor/rules/cis_azure_ops.py: the other side not collected is UNKNOWN, never PASS."""

from __future__ import annotations

from typing import Any

from auditor.rules.engine import evaluate
from auditor.rules.verdict import FAIL, PASS, UNKNOWN
from tests.identity.factories import stored
from tests.rules.examples import AS_OF, CONFIG
from tests.rules.examples_cis_azure_ops import CRITICAL, RG, SUB, TENANT, USER, azure, guests, locks, vault, vm_access


def _statuses(rule_id: str, resources: list[Any]) -> set[str]:
    rs = [stored(r) for r in resources]
    findings, _ = evaluate(rs, rs, CONFIG, rules=[rule_id], as_of=AS_OF)
    return {f.status for f in findings if f.rule_id == rule_id}


def test_locks_not_collected_is_unknown_and_only_critical_resources_are_judged() -> None:
    rule = "iam.azure_critical_resource_unlocked"
    assert _statuses(rule, [vault(True, tags=CRITICAL)]) == {UNKNOWN}  # no locks unit for the subscription
    assert _statuses(rule, [vault(True), locks()]) == set()  # not marked mission-critical: not judged
    assert _statuses(rule, [vault(True, tags={"mission-critical": "no"}), locks()]) == set()
    # a data classification the owner lists in checks.cmk_required_for makes it critical too
    assert _statuses(rule, [vault(True, tags={"data-classification": "restricted"}), locks()]) == {FAIL}
    # a subscription-wide lock protects everything in it; a lock on a sibling name prefix does not
    assert _statuses(rule, [vault(True, tags=CRITICAL), locks(f"/subscriptions/{SUB}")]) == {PASS}
    assert _statuses(rule, [vault(True, tags=CRITICAL), locks(f"{RG}/providers/Microsoft.KeyVault/vaults/kv")]) == {FAIL}


def test_vm_access_without_the_tenant_report_or_tenant_is_unknown() -> None:
    rule = "entra.vm_access_without_mfa"
    sub, assignment, _report = vm_access([USER])
    assert _statuses(rule, [sub, assignment]) == {UNKNOWN}  # MFA report of the tenant not collected
    assert _statuses(rule, [assignment]) == {UNKNOWN}  # the subscription (its tenant) not collected
    group = azure(assignment.type, "iam", assignment.native_id + "-g",
                  {"admin": True, "role_definition": "b24988ac-6180-42a0-ab88-20f7382dd24c",
                   "principal_id": USER, "principal_type": "Group"})
    assert _statuses(rule, [sub, group, _report]) == set()  # groups are not expanded: not judged


def test_resource_logging_and_guests_unread_are_unknown() -> None:
    assert _statuses("monitor.resource_logging", [vault(None)]) == {UNKNOWN}
    unread = azure("azure.entra.guest_users", "iam", f"/tenants/{TENANT}/users/guests",
                   {"guests": None, "stale_guests": None}, account=TENANT)
    assert _statuses("entra.stale_guests", [unread]) == {UNKNOWN}
    assert _statuses("entra.stale_guests", guests([])) == {PASS}
