"""Walks every registered rule: metadata complete, a FAIL and a PASS example, mappings to known controls."""

from __future__ import annotations

import pytest

from auditor.rules.frameworks import tables
from auditor.rules.engine import evaluate
from auditor.rules.registry import KINDS, MODULES, all_rules
from auditor.rules.verdict import FAIL, PASS, SEVERITIES
from tests.identity.factories import stored
from tests.rules.examples import AS_OF, CONFIG, EXAMPLES

RULES = all_rules()


def statuses(rule_id: str, estate) -> set[str]:  # type: ignore[no-untyped-def]
    rs = [stored(r) for r in estate()]
    findings, _ = evaluate(rs, rs, CONFIG, rules=[rule_id], as_of=AS_OF)
    return {f.status for f in findings if f.rule_id == rule_id}


def test_every_rule_has_examples_and_every_example_a_rule() -> None:
    assert set(EXAMPLES) == set(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_metadata_is_complete(rule_id: str) -> None:
    r = RULES[rule_id]
    assert r.severity in SEVERITIES and r.kind in KINDS
    assert r.title and r.rationale and r.remediation and r.id == rule_id
    assert r.fn.__module__ in MODULES  # the registry names every module that holds rules
    assert r.frameworks, f"{rule_id} maps to no control of any framework table"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_unsafe_example_fails_and_safe_twin_passes(rule_id: str) -> None:
    unsafe, safe = EXAMPLES[rule_id][:2]
    assert FAIL in statuses(rule_id, unsafe), f"{rule_id}: the unsafe example does not FAIL"
    got = statuses(rule_id, safe)
    assert PASS in got and FAIL not in got, f"{rule_id}: the safe twin gives {got}"


def test_every_mapping_names_a_registered_rule_and_every_table_its_source() -> None:
    keys = [t.key for t in tables()]
    assert {"CIS-AWS-7.0", "CIS-AWS-6.0", "CIS-GCP-5.0", "CIS-GCP-4.0", "CIS-Azure-6.0", "CIS-Azure-5.0",
            "ISO27001-2022", "SOC2-2017", "GDPR-2016"} <= set(keys)
    for t in tables():
        assert t.source and t.title and t.controls, t.file
        for c in t.controls.values():
            unknown = [r for r in c.rules if r not in RULES]
            assert not unknown, f"{t.file}: control {c.id} maps to rules that do not exist: {unknown}"


# Which cloud's resources a CIS benchmark judges: a rule mapped to it must be able to see one.
CIS_PROVIDER = {"CIS-AWS": "aws", "CIS-GCP": "gcp", "CIS-Azure": "azure"}


def test_cis_mappings_only_to_rules_whose_inputs_that_cloud_collects() -> None:
    """A control mapped to a rule whose facets no collector of that cloud fills is a defect."""
    from tests.rules.collected import collected_facets

    for t in tables():
        provider = next((p for k, p in CIS_PROVIDER.items() if t.key.startswith(k + "-")), None)
        if provider is None:
            continue
        seen = collected_facets(provider)
        for c in t.controls.values():
            for rid in c.rules:
                assert RULES[rid].kind != "residency", f"{t.key} {c.id}: residency is not a CIS control"
                reads = RULES[rid].reads or RULE_INPUTS.get(rid, ("", ()))[1]
                assert reads, f"{t.key} {c.id} -> {rid}: declare the facets it judges (@rule(reads=...))"
                assert any(all(f in seen.get(scope, set()) for f in reads) for scope in _scopes(rid, seen)), \
                    f"{t.key} {c.id} -> {rid}: {provider} collectors fill none of {reads} for its resources"


def _scopes(rid: str, seen: dict[str, set[str]]) -> list[str]:
    r = RULES[rid]
    return [s for s in seen if (not r.types or s.split("|")[0] in r.types) and (not r.categories or s.split("|")[1] in r.categories)]


# The facets each older CIS-mapped rule reads; newer rules declare them with @rule(reads=...).
RULE_INPUTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "storage.public": ("storage", ("public",)),
    "storage.plain_http": ("storage", ("https_only",)),
    "storage.min_tls_below_1_2": ("storage", ("min_tls",)),
    "storage.public_network_access": ("storage", ("public_network_access",)),
    "network.admin_port_open": ("network", ("ingress",)),
    "network.flow_logs_missing": ("network", ("flow_logs",)),
    "compute.legacy_metadata": ("compute", ("legacy_metadata",)),
    "iam.user_without_mfa": ("iam", ("mfa",)),
    "iam.access_key_stale": ("iam", ("access_keys",)),
    "iam.wildcard_admin": ("iam", ("admin",)),
    "iam.sa_key_old": ("iam", ("key_created",)),
    "iam.sa_user_managed_key": ("iam", ("user_managed",)),
}


def test_a_table_without_its_source_is_refused() -> None:
    from auditor.rules.frameworks import _parse

    with pytest.raises(ValueError, match="source"):
        _parse("x.csv", "# framework: X-1\n# title: X\ncontrol_id,title,rules\n1,t,storage.public\n")
    with pytest.raises(ValueError, match="listed twice"):
        _parse("x.csv", "# framework: X-1\n# title: X\n# source: s\ncontrol_id,title,rules\n1,t,\n1,t,\n")
