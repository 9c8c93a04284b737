"""Signed export manifests and private, hostile-directory-safe export files."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from pathlib import Path

import pytest

from auditor import signing
from auditor.errors import UsageError
from auditor.exports.bundle import EXPORT_FILE_NAMES, FORMATS, export_snapshot
from auditor.exports.manifest import check_manifest, sign_manifest


@pytest.fixture
def key(tmp_path) -> signing.Signer:
    (tmp_path / "k").mkdir()
    priv, _pub, _fp = signing.generate(tmp_path / "k" / "evidence.key")
    return signing.load_signer(priv)


def _export(seeded, out: Path, key=None, formats=FORMATS):  # type: ignore[no-untyped-def]
    return export_snapshot(seeded.engine, seeded.snapshot_id, out, formats, drift_report=seeded.drift, signer=key)


def test_names_written_are_the_declared_export_names(seeded, tmp_path, key):
    res = _export(seeded, tmp_path / "out", key)
    assert set(res.files) <= EXPORT_FILE_NAMES


def test_signed_manifest_verifies_only_with_the_trusted_key(seeded, tmp_path, key):
    out = _export(seeded, tmp_path / "out", key).out_dir
    m = json.loads((out / "manifest.json").read_text())
    assert m["signature"]["key_fingerprint"] == key.fingerprint
    assert m["signature"]["public_key"] == signing.public_b64(key.public)
    ok = check_manifest(out, key.public)
    assert ok.problems == [] and ok.key_checked and ok.signed_by == key.fingerprint
    untrusted = check_manifest(out, None)  # self-consistent, but nobody pinned the key
    assert untrusted.problems == [] and not untrusted.key_checked


def test_a_forged_manifest_with_recomputed_hashes_fails(seeded, tmp_path, key):
    out = _export(seeded, tmp_path / "out", key).out_dir
    (out / "findings.json").write_text("[]\n")
    m = json.loads((out / "manifest.json").read_text())
    m["files"]["findings.json"] = {"sha256": hashlib.sha256(b"[]\n").hexdigest(), "bytes": 3}
    (out / "manifest.json").write_text(json.dumps(m))
    v = check_manifest(out, key.public)
    assert any("signature does not verify" in p for p in v.problems)

    mallory = signing.Signer(signing.Ed25519PrivateKey.generate())  # re-signed with the forger's own key
    (out / "manifest.json").write_text(json.dumps(sign_manifest({k: v for k, v in m.items() if k != "signature"},
                                                                mallory)))
    v = check_manifest(out, key.public)
    assert v.problems and f"not by the trusted key {key.fingerprint}" in v.problems[0]


def test_unsigned_manifest_is_a_problem_when_a_key_is_expected(seeded, tmp_path, key):
    out = _export(seeded, tmp_path / "out").out_dir
    assert check_manifest(out, key.public).problems == ["manifest is not signed"]


def test_verify_cli_with_public_key(seeded, tmp_path, key, monkeypatch, capsys):
    from auditor.cli.main import run

    out = _export(seeded, tmp_path / "out", key).out_dir
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.yaml").write_text("{}\n")
    pub = tmp_path / "k" / "evidence.key.pub"

    def cli(*args: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as exc:
            run(["--config", str(tmp_path / "empty.yaml"), "--db", f"sqlite:///{tmp_path / 'inv.db'}", *args])
        return int(exc.value.code or 0), capsys.readouterr().err

    code, err = cli("verify", str(out), "--public-key", str(pub))
    assert code == 0 and f"intact and signed by {key.fingerprint}" in err
    code, err = cli("verify", str(out))
    assert code == 1 and "UNVERIFIED" in err
    other = tmp_path / "other"
    other.mkdir()
    _p, other_pub, _f = signing.generate(other / "o.key")
    code, err = cli("verify", str(out), "--public-key", str(other_pub))
    assert code == 1 and "not by the trusted key" in err


def test_export_files_are_private_whatever_the_umask(seeded, tmp_path, key):
    old = os.umask(0)
    try:
        res = _export(seeded, tmp_path / "deep" / "out", key)
    finally:
        os.umask(old)
    assert stat.S_IMODE(res.out_dir.stat().st_mode) == 0o700
    for name in [*res.files, "manifest.json"]:
        assert stat.S_IMODE((res.out_dir / name).stat().st_mode) == 0o600, name


def test_a_forged_manifest_cannot_make_an_export_delete_user_files(seeded, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    thesis = out / "thesis.docx"
    thesis.write_bytes(b"years of work")
    (out / "notes.html").write_text("mine")
    forged = {"schema": "auditor-export-manifest/1", "files": {
        "thesis.docx": {"sha256": hashlib.sha256(b"years of work").hexdigest()},
        "notes.html": {"sha256": hashlib.sha256(b"mine").hexdigest()}}}
    (out / "manifest.json").write_text(json.dumps(forged))
    with pytest.raises(UsageError, match="not part of its export"):
        _export(seeded, out)
    assert thesis.read_bytes() == b"years of work" and (out / "notes.html").read_text() == "mine"


def test_re_export_replaces_a_previous_export(seeded, tmp_path, key):
    out = _export(seeded, tmp_path / "out", key, FORMATS).out_dir
    res = _export(seeded, out, key, ["json"])  # fewer formats: the old files are removed
    assert sorted(p.name for p in out.iterdir()) == sorted([*res.files, "manifest.json"])
    unsigned = _export(seeded, tmp_path / "u", None, FORMATS).out_dir
    _export(seeded, unsigned, None, ["sarif"])  # unsigned: export names with matching hashes only
    assert sorted(p.name for p in unsigned.iterdir()) == ["findings.sarif", "manifest.json"]


def test_a_fifo_named_like_an_export_file_does_not_hang(seeded, tmp_path, key):
    out = _export(seeded, tmp_path / "out", key, ["json"]).out_dir
    (out / "findings.json").unlink()
    os.mkfifo(out / "findings.json")
    done: list[object] = []
    t = threading.Thread(target=lambda: done.append(_export(seeded, out, key, ["json"])), daemon=True)
    t.start()
    t.join(60)
    if not done:  # unblock the writer so the test process can end, then fail
        fd = os.open(out / "findings.json", os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("export blocked on a FIFO")
    assert stat.S_ISREG((out / "findings.json").lstat().st_mode)
    assert check_manifest(out, key.public).problems == []


def test_a_symlink_planted_under_an_export_name_is_replaced_not_followed(seeded, tmp_path, key):
    out = _export(seeded, tmp_path / "out", key, ["json"]).out_dir
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (out / "drift.json").unlink()
    (out / "drift.json").symlink_to(victim)
    _export(seeded, out, key, ["json"])
    assert victim.read_text() == "keep" and not (out / "drift.json").is_symlink()


def test_verify_problem_lines_escape_hostile_file_names(seeded, tmp_path, key, monkeypatch, capsys):
    """A forged manifest naming a file with terminal escapes must not drive the reader's terminal."""
    from auditor.cli.main import run

    out = _export(seeded, tmp_path / "out", key).out_dir
    m = json.loads((out / "manifest.json").read_text())
    m["files"]["evil\x1b]8;;http://x\x07\u202e.csv"] = {"sha256": "0" * 64, "bytes": 1}
    (out / "manifest.json").write_text(json.dumps(m))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty.yaml").write_text("{}\n")
    with pytest.raises(SystemExit) as exc:
        run(["--config", str(tmp_path / "empty.yaml"), "--db", f"sqlite:///{tmp_path / 'inv.db'}",
             "verify", str(out), "--public-key", str(tmp_path / "k" / "evidence.key.pub")])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and "FAIL:" in err
    assert "\x1b" not in err and "\u202e" not in err and "\\x1b" in err
