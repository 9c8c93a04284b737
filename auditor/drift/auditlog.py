"""Append-only, hash-chained audit log of baseline approvals, acceptances and revocations.

Each entry's ``entry_hash`` is SHA-256 over the canonical JSON of
``[seq, at, actor, action, subject, details, prev_hash]`` (``at`` as UTC ISO-8601 with
microseconds, ``details`` as the parsed JSON value); ``prev_hash`` is the previous entry's
hash, 64 zeros for the first. Editing, deleting or reordering any entry breaks the chain at
that entry, and ``verify_chain`` names the first bad ``seq``. Deleting the newest entries
cannot break a chain on its own, so ``verify_chain`` also checks that every baseline version
and revocation in the ``baselines`` table has its entry, and that each version's stored delta
still matches the digest its entry recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

import orjson
from sqlalchemy import Connection, Engine, select

from auditor.canonical import canonical_bytes, canonical_json
from auditor.store.schema import audit_log, baseline_entries, baselines

GENESIS = "0" * 64


def iso_utc(at: datetime) -> str:
    """One spelling of a timestamp on every backend (SQLite returns naive UTC datetimes)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(seq: int, at: datetime, actor: str, action: str, subject: str, details: Any, prev_hash: str) -> str:
    payload = [int(seq), iso_utc(at), actor, action, subject, details, prev_hash]
    return hashlib.sha256(canonical_bytes(payload)).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "at": iso_utc(self.at), "actor": self.actor, "action": self.action,
            "subject": self.subject, "details": self.details, "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }


def append(conn: Connection, *, actor: str, action: str, subject: str, details: dict[str, Any],
           at: datetime | None = None) -> AuditEntry:
    """Append one entry inside the caller's transaction (so the act and its record commit together)."""
    last = conn.execute(
        select(audit_log.c.seq, audit_log.c.entry_hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    seq = (last.seq + 1) if last else 1
    prev = last.entry_hash if last else GENESIS
    at = at or datetime.now(timezone.utc)
    # Round-trip through canonical JSON so the hashed value is exactly what is stored.
    text = canonical_json(details)
    value = orjson.loads(text)
    h = entry_hash(seq, at, actor, action, subject, value, prev)
    conn.execute(audit_log.insert().values(
        seq=seq, at=at, actor=actor, action=action, subject=subject, details=text, prev_hash=prev, entry_hash=h,
    ))
    return AuditEntry(seq, at, actor, action, subject, value, prev, h)


def iter_entries(engine: Engine) -> Iterable[AuditEntry]:
    with engine.connect() as c:
        for r in c.execute(select(audit_log).order_by(audit_log.c.seq)):
            try:
                details = orjson.loads(r.details)
            except orjson.JSONDecodeError:
                details = {"_unparseable": r.details}
            yield AuditEntry(r.seq, r.at, r.actor, r.action, r.subject, details, r.prev_hash, r.entry_hash)


def entries_digest(rows: Iterable[tuple[str, str | None, int | None]]) -> str:
    """SHA-256 over a version's delta rows (resource_key, content_hash, version_id), key order."""
    h = hashlib.sha256()
    for key, chash, vid in rows:
        h.update(canonical_bytes([key, chash, vid]))
        h.update(b"\n")
    return h.hexdigest()


def delta_digest(conn: Connection, baseline_id: int) -> tuple[str, int]:
    """Digest and row count of one baseline version's stored delta."""
    n = 0

    def rows() -> Iterable[tuple[str, str | None, int | None]]:
        nonlocal n
        q = (select(baseline_entries.c.resource_key, baseline_entries.c.content_hash, baseline_entries.c.version_id)
             .where(baseline_entries.c.baseline_id == baseline_id).order_by(baseline_entries.c.resource_key)
             .execution_options(yield_per=5000))  # on the statement: a Connection's options stick
        for r in conn.execute(q):
            n += 1
            yield r[0], r[1], r[2]

    digest = entries_digest(rows())
    return digest, n


def verify_chain(engine: Engine) -> list[str]:
    """Problems with the audit log (empty list = intact). The first chain problem comes first."""
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    recorded: dict[tuple[str, str], dict[str, Any]] = {}
    for e in iter_entries(engine):
        if not problems:
            if e.seq != expected_seq:
                problems.append(f"audit log seq {e.seq}: expected seq {expected_seq} (an entry was deleted or reordered)")
            elif e.prev_hash != prev:
                problems.append(f"audit log seq {e.seq}: prev_hash does not match the entry before it")
            elif entry_hash(e.seq, e.at, e.actor, e.action, e.subject, e.details, e.prev_hash) != e.entry_hash:
                problems.append(f"audit log seq {e.seq}: entry_hash does not match its content (edited)")
        prev, expected_seq = e.entry_hash, e.seq + 1
        recorded[(e.action, e.subject)] = e.details
    problems.extend(_baselines_recorded(engine, recorded))
    return problems


def _baselines_recorded(engine: Engine, recorded: dict[tuple[str, str], dict[str, Any]]) -> list[str]:
    """Every baseline version and revocation must have its audit entry, and its delta its digest."""
    out: list[str] = []
    with engine.connect() as c:
        rows = c.execute(select(baselines).order_by(baselines.c.id)).all()
        for b in rows:
            subject = f"{b.name}@{b.version}"
            details = recorded.get(("baseline.approve", subject)) or recorded.get(("baseline.accept", subject))
            if details is None:
                out.append(f"baseline {subject}: no audit log entry records its creation")
                continue
            digest, n = delta_digest(c, b.id)
            if details.get("delta_digest") != digest or details.get("delta_rows") != n:
                out.append(f"baseline {subject}: stored entries differ from what the audit log recorded")
            if b.status == "revoked" and ("baseline.revoke", subject) not in recorded:
                out.append(f"baseline {subject}: revoked without an audit log entry")
            if b.status == "active" and ("baseline.revoke", subject) in recorded:
                out.append(f"baseline {subject}: audit log records a revocation but it is active")
    present = {f"{b.name}@{b.version}" for b in rows}
    for action, subject in sorted(recorded):
        if action in ("baseline.approve", "baseline.accept") and subject not in present:
            out.append(f"baseline {subject}: recorded in the audit log but missing from the baselines table")
    return out
