"""Signed audit log: a consistent rewrite by someone without the key is detected.

The attacker here can write the database: they edit an entry and recompute every hash after
it (exactly what the unsigned chain could not detect), or forge signatures with their own key.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import orjson
import pytest

from auditor import signing
from auditor.canonical import canonical_json
from auditor.cli.main import run
from auditor.drift.auditlog import GENESIS, SIGN_ACTION, entry_hash, head_message

from conftest import Estate, base_estate

CONFIG = "signing:\n  private_key: keys/evidence.key\n"


@pytest.fixture
def signed_cli(sqlite_store, sqlite_url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    cfg = tmp_path / "auditor.yaml"
    cfg.write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUDITOR_ACTOR", "ci-bot")
    monkeypatch.delenv(signing.ENV_PRIVATE_KEY, raising=False)

    def invoke(*args: str, config: Path = cfg) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as exc:
            run(["--config", str(config), "--db", sqlite_url, *args])
        out = capsys.readouterr()
        return int(exc.value.code or 0), out.out, out.err

    invoke.engine = sqlite_store  # type: ignore[attr-defined]
    invoke.db = sqlite_url.removeprefix("sqlite:///")  # type: ignore[attr-defined]
    invoke.tmp = tmp_path  # type: ignore[attr-defined]
    return invoke


def _approve(cli, **kw) -> None:  # type: ignore[no-untyped-def]
    Estate(cli.engine).snap(base_estate())
    code, _o, err = cli("baseline", "approve", "--name", "prod", "--reason", "initial review", **kw)
    assert code == 0, err


def _rows(db: str) -> list[dict]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    rows = [dict(r) for r in con.execute("SELECT * FROM audit_log ORDER BY seq")]
    con.close()
    return rows


def _rewrite_consistently(db: str, edit) -> None:  # type: ignore[no-untyped-def]
    """Apply ``edit`` to the rows, then recompute every prev_hash and entry_hash (no key needed)."""
    from auditor.drift.auditlog import iter_entries
    from auditor.store.engine import make_engine

    engine = make_engine(f"sqlite:///{db}")
    entries = [e.as_dict() | {"at_raw": e.at} for e in iter_entries(engine)]
    engine.dispose()
    edit(entries)
    con = sqlite3.connect(db)
    con.execute("DELETE FROM audit_log")
    prev = GENESIS
    for i, e in enumerate(entries, start=1):
        h = entry_hash(i, e["at_raw"], e["actor"], e["action"], e["subject"], e["details"], prev)
        con.execute("INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, entry_hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (i, e["at_raw"].strftime("%Y-%m-%d %H:%M:%S.%f"), e["actor"], e["action"], e["subject"],
                     canonical_json(e["details"]), prev, h))
        prev = h
    con.commit()
    con.close()


def test_keys_init_writes_a_private_key_0600_and_refuses_to_overwrite(signed_cli) -> None:
    old = os.umask(0)
    try:
        code, out, err = signed_cli("keys", "init")
    finally:
        os.umask(old)
    assert code == 0, err
    key = signed_cli.tmp / "keys" / "evidence.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert out.strip() == signing.fingerprint(signing.load_public(key.with_name("evidence.key.pub")))
    assert signed_cli("keys", "init")[0] == 2  # never overwrites a key


def test_keys_init_refuses_a_dangling_symlink(signed_cli) -> None:
    (signed_cli.tmp / "keys").mkdir()
    (signed_cli.tmp / "keys" / "evidence.key").symlink_to(signed_cli.tmp / "elsewhere")
    code, _o, err = signed_cli("keys", "init")
    assert code == 2 and "symbolic link" in err
    assert not (signed_cli.tmp / "elsewhere").exists()


def test_signed_log_verifies_and_a_consistent_rewrite_fails(signed_cli) -> None:
    assert signed_cli("keys", "init")[0] == 0
    _approve(signed_cli)
    code, _o, err = signed_cli("verify")
    assert code == 0 and "audit log: intact and signed by sha256:" in err
    rows = _rows(signed_cli.db)
    assert [r["action"] for r in rows] == ["baseline.approve", SIGN_ACTION]

    def edit(entries):  # type: ignore[no-untyped-def]
        entries[0]["actor"] = "mallory"
        entries[0]["details"]["reason"] = "rubber-stamped"

    _rewrite_consistently(signed_cli.db, edit)
    from auditor.drift.auditlog import verify_chain

    assert verify_chain(signed_cli.engine) == []  # the hashes alone are fooled
    code, _o, err = signed_cli("verify")
    assert code == 1 and "signed hash of seq 1 differs" in err


def test_dropping_the_signatures_or_forging_them_fails(signed_cli) -> None:
    assert signed_cli("keys", "init")[0] == 0
    _approve(signed_cli)
    mallory = signing.Signer(signing.Ed25519PrivateKey.generate())

    def reforge(entries):  # type: ignore[no-untyped-def]
        entries[0]["actor"] = "mallory"
        # recompute the head hash the forger will sign, with their own key
        h = entry_hash(1, entries[0]["at_raw"], "mallory", entries[0]["action"], entries[0]["subject"],
                       entries[0]["details"], GENESIS)
        entries[1]["details"] |= {"signed_hash": h, "key_fingerprint": mallory.fingerprint,
                                  "signature": mallory.sign(head_message(1, h))}

    _rewrite_consistently(signed_cli.db, reforge)
    code, _o, err = signed_cli("verify")
    assert code == 1 and "does not verify with key" in err

    _rewrite_consistently(signed_cli.db, lambda entries: entries.pop())  # drop the signature entry
    code, _o, err = signed_cli("verify")
    assert code == 1 and "not signed" in err and "no signed head" in err


def test_an_appended_unsigned_entry_is_reported(signed_cli) -> None:
    assert signed_cli("keys", "init")[0] == 0
    _approve(signed_cli)

    def append(entries):  # type: ignore[no-untyped-def]
        entries.append(dict(entries[0]) | {"action": "baseline.revoke", "subject": "prod@1", "details": {}})

    _rewrite_consistently(signed_cli.db, append)
    code, _o, err = signed_cli("verify")
    assert code == 1 and "seq 3..3" in err and "after the last signed head (seq 1)" in err


def test_without_a_key_verify_says_unsigned(signed_cli, tmp_path: Path) -> None:
    bare = tmp_path / "bare.yaml"
    bare.write_text("{}\n")
    _approve(signed_cli, config=bare)  # no signing configured
    code, _o, err = signed_cli("verify", config=bare)
    assert code == 1 and "UNSIGNED" in err and "intact" not in err


def test_approve_with_a_configured_but_missing_key_writes_nothing(signed_cli) -> None:
    Estate(signed_cli.engine).snap(base_estate())
    code, _o, err = signed_cli("baseline", "approve", "--name", "prod", "--reason", "r")
    assert code == 2 and "signing key" in err
    assert _rows(signed_cli.db) == []


def test_signature_detail_is_json(signed_cli) -> None:
    assert signed_cli("keys", "init")[0] == 0
    _approve(signed_cli)
    sig = orjson.loads(_rows(signed_cli.db)[-1]["details"])
    assert sig["signed_seq"] == 1 and sig["algorithm"] == "ed25519" and sig["key_fingerprint"].startswith("sha256:")
