"""``manifest.json``: SHA-256 of every file in an export directory, and its verification.

The manifest names the snapshot and baseline the evidence came from and the tool version.
``created_at`` is the snapshot's finish time, so re-exporting the same data gives a
byte-identical directory. ``verify_manifest`` reports any modified, missing or extra file.

With a signing key configured the manifest carries ``signature``: the Ed25519 signature over
``["auditor-export-manifest/1", <manifest without "signature">]`` (canonical JSON), the signer's
public key (base64, raw) and its fingerprint. The embedded key only says *who claims* to
have signed; ``check_manifest`` proves authenticity only against a key the verifier trusts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

import orjson

from auditor import signing
from auditor.canonical import canonical_bytes
from auditor.exports.files import dumps
from auditor.privatefiles import is_regular, replace_private

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = "auditor-export-manifest/1"
SIGNATURE_DOMAIN = "auditor-export-manifest/1"
MAX_MANIFEST_BYTES = 64 << 20
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def build_manifest(out_dir: Path, files: Iterable[str], *, snapshot_id: int, baseline: dict[str, Any] | None,
                   drift_status: str, tool_version: str, created_at: str, formats: Iterable[str]) -> dict[str, Any]:
    entries = {}
    for name in sorted(set(files)):
        p = out_dir / name
        entries[name] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
    return {
        "schema": MANIFEST_SCHEMA, "snapshot_id": snapshot_id, "baseline": baseline, "drift": drift_status,
        "tool_version": tool_version, "created_at": created_at, "formats": sorted(set(formats)),
        "hash_algorithm": "sha256", "files": entries,
    }


def _signed_message(manifest: dict[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return canonical_bytes([SIGNATURE_DOMAIN, body])


def sign_manifest(manifest: dict[str, Any], signer: signing.Signer) -> dict[str, Any]:
    return {**manifest, "signature": {
        "algorithm": signing.ALGORITHM, "public_key": signing.public_b64(signer.public),
        "key_fingerprint": signer.fingerprint, "value": signer.sign(_signed_message(manifest)),
    }}


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    path = out_dir / MANIFEST_NAME
    with replace_private(path) as fh:
        fh.write(dumps(manifest))
    return path


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The parsed manifest; ValueError when it is not a regular, readable JSON object."""
    p = Path(path)
    mpath = p / MANIFEST_NAME if p.is_dir() else p
    if not is_regular(mpath):
        raise ValueError("not a regular file")
    if mpath.stat().st_size > MAX_MANIFEST_BYTES:
        raise ValueError("too large")
    value = orjson.loads(mpath.read_bytes())
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def signature_status(manifest: dict[str, Any], trusted: Any | None) -> tuple[str | None, str | None]:
    """(problem, signer fingerprint). With ``trusted`` the signature must verify with that key;
    without it, only against the embedded key (self-consistency, not authenticity)."""
    sig = manifest.get("signature")
    if sig is None:
        return ("manifest is not signed" if trusted is not None else None), None
    if not isinstance(sig, dict) or sig.get("algorithm") != signing.ALGORITHM:
        return "manifest signature is malformed or uses an unknown algorithm", None
    embedded = signing.public_from_b64(sig.get("public_key"))
    key = trusted if trusted is not None else embedded
    if key is None:
        return "manifest signature carries no valid public key", None
    fp = signing.fingerprint(key)
    if trusted is not None and sig.get("key_fingerprint") != fp:
        return f"manifest is signed by {sig.get('key_fingerprint')}, not by the trusted key {fp}", None
    if not signing.verify(key, _signed_message(manifest), sig.get("value")):
        return f"manifest signature does not verify with key {fp} (manifest edited or re-signed)", None
    return None, fp


@dataclass(frozen=True)
class ManifestVerification:
    problems: list[str]
    signed_by: str | None  # fingerprint of the key the signature verified with
    key_checked: bool  # True only when verified against a key the verifier trusts


def _safe_name(name: str) -> bool:
    pp = PurePosixPath(name)
    return bool(name) and not pp.is_absolute() and ".." not in pp.parts and "\\" not in name


def check_manifest(path: str | Path, trusted: Any | None = None) -> ManifestVerification:
    """Hashes of every file plus the signature (against ``trusted`` when given)."""
    problems = verify_manifest(path)
    p = Path(path)
    try:
        manifest = read_manifest(p)
    except ValueError:
        return ManifestVerification(problems, None, False)
    problem, fp = signature_status(manifest, trusted)
    if problem:
        problems.insert(0, problem)
    return ManifestVerification(problems, fp, trusted is not None and fp is not None)


def verify_manifest(path: str | Path) -> list[str]:
    """Problems with an export directory's hashes (or its manifest.json); empty means consistent.
    Hash consistency alone is not authenticity: see ``check_manifest``."""
    p = Path(path)
    mpath = p / MANIFEST_NAME if p.is_dir() else p
    root = mpath.parent
    if not is_regular(mpath):
        return [f"{mpath}: manifest not found (or not a regular file)"]
    try:
        manifest = read_manifest(mpath)
    except ValueError as exc:
        return [f"{mpath}: not valid JSON ({exc})"]
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or manifest.get("schema") != MANIFEST_SCHEMA:
        return [f"{mpath}: not an auditor export manifest"]
    problems: list[str] = []
    for name, entry in sorted(files.items()):
        if not _safe_name(name):
            problems.append(f"{name}: unsafe path in manifest")
            continue
        fp = root / name
        if not is_regular(fp):
            problems.append(f"{name}: missing (or not a regular file)")
            continue
        expected = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(expected, str):
            problems.append(f"{name}: manifest entry has no sha256")
        elif sha256_file(fp) != expected:
            problems.append(f"{name}: modified (SHA-256 does not match the manifest)")
    for fp in sorted(root.rglob("*")):
        if fp.is_file() or fp.is_symlink():
            rel = fp.relative_to(root).as_posix()
            if rel != MANIFEST_NAME and rel not in files:
                problems.append(f"{rel}: extra file not listed in the manifest")
    return problems
