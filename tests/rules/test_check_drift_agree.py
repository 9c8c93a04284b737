"""`auditor check` and `auditor drift` agree on the same snapshot for every rule drift severity uses.

For each rule drift evaluates (posture and residency rules on one resource's own document),
snapshot 1 holds the rule's safe example and snapshot 2 its unsafe twin under the same key.
Drift between them must say the rule was introduced exactly where the check FAILs, with the
rule's severity.
"""

from __future__ import annotations

import pytest

from auditor.drift.engine import compute_drift
from auditor.drift.severity import flip_rules
from auditor.rules.engine import run_checks
from auditor.store.engine import make_engine
from auditor.store.migrate import upgrade
from tests.identity.factories import seed, stored
from tests.rules.examples import CONFIG, EXAMPLES


def _pairs() -> list[str]:
    out = []
    for r in flip_rules():
        safe, unsafe = EXAMPLES[r.id][1](), EXAMPLES[r.id][0]()
        if len(safe) == len(unsafe) == 1 and safe[0].resource_key == unsafe[0].resource_key:
            out.append(r.id)
    return out


PAIRS = _pairs()


def test_most_drift_rules_have_a_same_key_pair() -> None:
    # Rules without one need the trust graph (foreign access), move the resource (compute region) or
    # join another resource (the activity-log archive account's key, a subscription's custom roles,
    # the subscription's management locks, the MFA report of a subscription's tenant).
    assert len(PAIRS) >= len(flip_rules()) - 7


@pytest.fixture(scope="module")
def engine(tmp_path_factory):  # type: ignore[no-untyped-def]
    e = make_engine(f"sqlite:///{tmp_path_factory.mktemp('agree') / 'a.db'}")
    upgrade(e)
    yield e
    e.dispose()


@pytest.mark.parametrize("rule_id", PAIRS)
def test_check_and_drift_agree(engine, rule_id: str) -> None:  # type: ignore[no-untyped-def]
    unsafe, safe = EXAMPLES[rule_id][0](), EXAMPLES[rule_id][1]()
    s1, s2 = seed(engine, safe), seed(engine, unsafe)
    key = unsafe[0].resource_key
    checked = {f.rule_id: f for f in run_checks(engine, CONFIG, s2, persist=False) if f.resource_key == key}
    before = {f.rule_id: f for f in run_checks(engine, CONFIG, s1, persist=False) if f.resource_key == key}
    report = compute_drift(engine, from_snapshot=s1, to_snapshot=s2, config=CONFIG)
    [item] = [i for i in report.items if i.resource_key == key]
    flip_ids = {r.id for r in flip_rules()}
    newly_failing = {rid for rid, f in checked.items() if rid in flip_ids and f.status == "FAIL"
                     and (rid not in before or before[rid].status != "FAIL")}
    from auditor.drift.severity import assess  # the reasons drift gives for this item

    b, a = stored(safe[0]), stored(unsafe[0])
    reasons = assess(item.change, a.category, {"facets": b.facets, "config": b.config, "tags": b.tags},
                     {"facets": a.facets, "config": a.config, "tags": a.tags}, item.changes,
                     params={"config": CONFIG}, meta={"type": unsafe[0].type, "provider": unsafe[0].provider,
                                                      "resource_key": key}).reasons
    introduced = {r.split(":")[0] for r in reasons if r.endswith("introduced")}
    assert rule_id in newly_failing
    assert introduced == newly_failing
    from auditor.rules.verdict import severity_rank

    assert severity_rank(item.severity) >= max(severity_rank(checked[r].severity) for r in newly_failing)
