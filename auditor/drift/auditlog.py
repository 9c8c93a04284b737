"""Append-only, hash-chained audit log of baseline approvals, acceptances and revocations.

Each entry's ``entry_hash`` is SHA-256 over the canonical JSON of
``[seq, at, actor, action, subject, details, prev_hash]`` (``at`` as UTC ISO-8601 with
microseconds, ``details`` as the parsed JSON value); ``prev_hash`` is the previous entry's
hash, 64 zeros for the first. Editing, deleting or reordering any entry breaks the chain at
that entry, and ``verify_chain`` names the first bad ``seq``. Deleting the newest entries
cannot break a chain on its own, so ``verify_chain`` also checks that every baseline version
and revocation in the ``baselines`` table has its entry, and that each version's stored delta
still matches the digest its entry recorded.

Signed head (see README "Security model"): hashes alone let whoever can write the database
recompute a consistent chain, so after every approval, acceptance or revocation the head is
signed with the Ed25519 key from the config. The signature is itself a chained entry,
action ``log.sign``, whose details carry ``signed_seq``, ``signed_hash``, the key fingerprint
and the signature over ``["auditor-audit-log-head/1", signed_seq, signed_hash]``. Because every
hash covers its predecessor, one valid signature over the head vouches for the whole prefix.
``verify_log`` checks every signature with the public key the verifier trusts (from the
config, never from the database) and reports any entry after the last signed head.
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
SIGN_ACTION = "log.sign"
HEAD_DOMAIN = "auditor-audit-log-head/1"


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


def head_message(seq: int, entry_hash_: str) -> bytes:
    return canonical_bytes([HEAD_DOMAIN, int(seq), entry_hash_])


def sign_head(engine: Engine, signer: Any) -> AuditEntry | None:
    """Sign the newest entry (a ``log.sign`` entry); None when there is nothing new to sign."""
    with engine.begin() as c:
        last = c.execute(select(audit_log.c.seq, audit_log.c.action, audit_log.c.entry_hash)
                         .order_by(audit_log.c.seq.desc()).limit(1)).first()
        if last is None or last.action == SIGN_ACTION:
            return None
        return append(c, actor="auditor", action=SIGN_ACTION, subject=f"seq {last.seq}", details={
            "signed_seq": int(last.seq), "signed_hash": last.entry_hash, "algorithm": "ed25519",
            "key_fingerprint": signer.fingerprint, "signature": signer.sign(head_message(last.seq, last.entry_hash)),
        })


@dataclass(frozen=True, slots=True)
class LogVerification:
    problems: list[str]
    entries: int
    signed_seq: int | None  # the newest entry covered by a valid signature
    signed_hash: str | None
    key_checked: bool  # False: no trusted public key, so the chain is only hash-consistent


def verify_log(engine: Engine, public_key: Any | None) -> LogVerification:
    """Hash chain, baseline cross-checks and, with a trusted key, the signed head."""
    from auditor import signing

    problems = verify_chain(engine)
    entries = list(iter_entries(engine))
    hashes = {e.seq: e.entry_hash for e in entries}
    if public_key is None:
        return LogVerification(problems, len(entries), None, None, False)
    fp = signing.fingerprint(public_key)
    signed_seq: int | None = None
    signed_hash: str | None = None
    for e in entries:
        if e.action != SIGN_ACTION:
            continue
        d = e.details
        seq, h = d.get("signed_seq"), d.get("signed_hash")
        if not isinstance(seq, int) or not isinstance(h, str):
            problems.append(f"audit log seq {e.seq}: malformed signature entry")
        elif d.get("key_fingerprint") != fp or not signing.verify(public_key, head_message(seq, h), d.get("signature")):
            problems.append(f"audit log seq {e.seq}: signature over seq {seq} does not verify with key {fp}")
        elif hashes.get(seq) != h:
            problems.append(f"audit log seq {e.seq}: signed hash of seq {seq} differs from the stored entry "
                            "(the chain was rewritten)")
        else:
            signed_seq, signed_hash = seq, h
    unsigned = [e.seq for e in entries if e.action != SIGN_ACTION and (signed_seq is None or e.seq > signed_seq)]
    if unsigned:
        since = f"after the last signed head (seq {signed_seq})" if signed_seq else "and no signed head exists"
        problems.append(f"audit log: {len(unsigned)} entr{'y is' if len(unsigned) == 1 else 'ies are'} not signed "
                        f"(seq {unsigned[0]}..{unsigned[-1]}) {since}")
    return LogVerification(problems, len(entries), signed_seq, signed_hash, True)


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
