"""``manifest.json``: SHA-256 of every file in an export directory, and its verification.

The manifest names the snapshot and baseline the evidence came from and the tool version.
``created_at`` is the snapshot's finish time, so re-exporting the same data gives a
byte-identical directory. ``verify_manifest`` reports any modified, missing or extra file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

import orjson

from auditor.exports.files import dumps

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = "auditor-export-manifest/1"
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


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    path = out_dir / MANIFEST_NAME
    path.write_bytes(dumps(manifest))
    return path


def read_manifest(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    return orjson.loads((p / MANIFEST_NAME if p.is_dir() else p).read_bytes())


def _safe_name(name: str) -> bool:
    pp = PurePosixPath(name)
    return bool(name) and not pp.is_absolute() and ".." not in pp.parts and "\\" not in name


def verify_manifest(path: str | Path) -> list[str]:
    """Problems with an export directory (or its manifest.json); an empty list means intact."""
    p = Path(path)
    mpath = p / MANIFEST_NAME if p.is_dir() else p
    root = mpath.parent
    if not mpath.is_file():
        return [f"{mpath}: manifest not found"]
    try:
        manifest = orjson.loads(mpath.read_bytes())
    except orjson.JSONDecodeError as exc:
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
        if not fp.is_file():
            problems.append(f"{name}: missing")
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
