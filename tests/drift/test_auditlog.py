"""The hash-chained audit log: intact chains verify; hand edits, deletions and reorders do not."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from auditor.drift import auditlog, baselines

from conftest import Estate, base_estate, changed_estate

ROLE = "aws.iam.role|arn:aws:iam::111111111111:role/new-admin"


@pytest.fixture
def history(estate: Estate) -> Estate:
    """Four entries: approve prod@1, accept prod@2, approve other@1, revoke other@1."""
    s1 = estate.snap(base_estate())
    baselines.approve(estate.engine, name="prod", reason="initial", by="alice", snapshot_id=s1)
    s2 = estate.snap(changed_estate())
    baselines.accept(estate.engine, name="prod", resource_keys=[ROLE], reason="CHG-1", by="bob", snapshot_id=s2)
    baselines.approve(estate.engine, name="other", reason="trial", by="alice", snapshot_id=s2)
    baselines.revoke(estate.engine, name="other", reason="trial over", by="carol")
    return estate


def _sql(estate: Estate, stmt: str) -> None:
    with estate.engine.begin() as c:
        c.execute(text(stmt))


def test_intact_chain_verifies(history: Estate) -> None:
    entries = list(auditlog.iter_entries(history.engine))
    assert [(e.seq, e.action, e.subject, e.actor) for e in entries] == [
        (1, "baseline.approve", "prod@1", "alice"), (2, "baseline.accept", "prod@2", "bob"),
        (3, "baseline.approve", "other@1", "alice"), (4, "baseline.revoke", "other@1", "carol"),
    ]
    assert entries[0].prev_hash == auditlog.GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:]))
    assert entries[1].details["resource_keys"] == [ROLE] and entries[1].details["reason"] == "CHG-1"
    assert auditlog.verify_chain(history.engine) == []


@pytest.mark.parametrize("stmt", [
    "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2",
    "UPDATE audit_log SET details = replace(details, 'CHG-1', 'CHG-9') WHERE seq = 2",
    "UPDATE audit_log SET subject = 'prod@9' WHERE seq = 2",
])
def test_edited_entry_is_named(history: Estate, stmt: str) -> None:
    _sql(history, stmt)
    problems = auditlog.verify_chain(history.engine)
    assert problems and problems[0].startswith("audit log seq 2:")


def test_edit_with_recomputed_hash_breaks_the_next_link(history: Estate) -> None:
    e = list(auditlog.iter_entries(history.engine))[1]
    forged = auditlog.entry_hash(e.seq, e.at, "mallory", e.action, e.subject, e.details, e.prev_hash)
    _sql(history, f"UPDATE audit_log SET actor = 'mallory', entry_hash = '{forged}' WHERE seq = 2")
    problems = auditlog.verify_chain(history.engine)
    assert problems[0].startswith("audit log seq 3:")


def test_deleted_middle_entry_is_named(history: Estate) -> None:
    _sql(history, "DELETE FROM audit_log WHERE seq = 2")
    assert auditlog.verify_chain(history.engine)[0].startswith("audit log seq 3:")


def test_deleted_first_entry_is_named(history: Estate) -> None:
    _sql(history, "DELETE FROM audit_log WHERE seq = 1")
    assert auditlog.verify_chain(history.engine)[0].startswith("audit log seq 2:")


def test_deleted_newest_entry_is_caught_by_the_baselines_cross_check(history: Estate) -> None:
    _sql(history, "DELETE FROM audit_log WHERE seq = 4")
    assert auditlog.verify_chain(history.engine) == ["baseline other@1: revoked without an audit log entry"]


def test_reordered_entries_are_named(history: Estate) -> None:
    _sql(history, "UPDATE audit_log SET seq = 99 WHERE seq = 2")
    _sql(history, "UPDATE audit_log SET seq = 2 WHERE seq = 3")
    _sql(history, "UPDATE audit_log SET seq = 3 WHERE seq = 99")
    assert auditlog.verify_chain(history.engine)[0].startswith("audit log seq 2:")


def test_tampered_baseline_entries_are_detected(history: Estate) -> None:
    _sql(history, "UPDATE baseline_entries SET content_hash = 'f00d' WHERE resource_key = "
                  f"'{ROLE}'")
    assert any("prod@2: stored entries differ" in p for p in auditlog.verify_chain(history.engine))


def test_deleted_baseline_version_is_detected(history: Estate) -> None:
    _sql(history, "DELETE FROM baseline_entries WHERE baseline_id = (SELECT id FROM baselines WHERE name = 'other')")
    _sql(history, "DELETE FROM baselines WHERE name = 'other'")
    assert auditlog.verify_chain(history.engine) == [
        "baseline other@1: recorded in the audit log but missing from the baselines table"]
