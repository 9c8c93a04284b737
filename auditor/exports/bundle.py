"""Write one export directory: the chosen formats for a snapshot plus ``manifest.json``."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import Engine

from auditor.errors import UsageError
from auditor.exports.gather import ExportData, gather
from auditor.exports.manifest import (
    MANIFEST_NAME, build_manifest, read_manifest, sha256_file, sign_manifest, signature_status, write_manifest,
)
from auditor.privatefiles import is_regular, private_dir

# format -> module with ``write(data, out_dir) -> list[str]``; listed in output order.
FORMAT_MODULES = {
    "csv": "auditor.exports.csv",
    "json": "auditor.exports.json",
    "ocsf": "auditor.exports.ocsf",
    "sarif": "auditor.exports.sarif",
    "html": "auditor.exports.html",
}
FORMATS = tuple(FORMAT_MODULES)
# Every name an exporter writes. Replacing a previous export removes only these (and, under a
# manifest signed with our key, what that manifest lists): a forged manifest cannot make an
# export delete anything it would not have overwritten itself.
EXPORT_FILE_NAMES = frozenset({
    "inventory.csv", "findings.csv", "drift.csv", "trust_edges.csv", "frameworks.csv", "compliance.csv",
    "inventory.json", "findings.json", "drift.json", "trust_edges.json", "frameworks.json", "compliance.json",
    "findings.ocsf.json", "drift.ocsf.json", "frameworks.ocsf.json", "findings.sarif", "report.html",
})


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    files: tuple[str, ...]  # relative names, manifest.json excluded
    manifest_path: Path
    manifest: dict[str, Any]


def _entries(out_dir: Path) -> list[str]:
    """Every non-directory entry below ``out_dir`` (files, symlinks, FIFOs...), never followed."""
    out: list[str] = []
    for root, dirs, files in os.walk(out_dir, followlinks=False):
        rel = Path(root).relative_to(out_dir)
        out.extend((rel / f).as_posix() for f in files)
        out.extend((rel / d).as_posix() for d in dirs if (Path(root) / d).is_symlink())
    return sorted(out)


def _prepare_dir(out_dir: Path, signer: Any = None) -> None:
    """Create ``out_dir`` 0700; a previous export there is replaced, anything else is refused.

    Only regular files the previous manifest lists are removed, and only when that manifest
    is signed with our key, or the file is one an exporter writes and still has the hash the
    manifest recorded. Nothing is removed unless everything present qualifies.
    """
    if out_dir.is_symlink():
        raise UsageError(f"{out_dir} is a symbolic link; refusing to export through it")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} exists and is not a directory")
    private_dir(out_dir)
    present = _entries(out_dir)
    if not present:
        return
    if not is_regular(out_dir / MANIFEST_NAME):
        raise UsageError(f"{out_dir} is not empty and holds no previous export; choose an empty directory")
    try:
        manifest = read_manifest(out_dir)
    except ValueError as exc:
        raise UsageError(f"{out_dir}/{MANIFEST_NAME} is unreadable ({exc}); choose an empty directory") from None
    listed = manifest.get("files") if isinstance(manifest.get("files"), dict) else {}
    ours = signer is not None and signature_status(manifest, signer.public) == (None, signer.fingerprint)
    removable: list[Path] = []
    foreign: list[str] = []
    for rel in present:
        p = out_dir / rel
        if rel == MANIFEST_NAME:
            continue
        if not is_regular(p):
            if rel in EXPORT_FILE_NAMES:
                continue  # a FIFO or symlink under an export name: replaced by rename, never opened
            foreign.append(rel)
            continue
        entry = listed.get(rel)
        if entry is not None and (ours or (rel in EXPORT_FILE_NAMES and isinstance(entry, dict)
                                           and entry.get("sha256") == sha256_file(p))):
            removable.append(p)
        else:
            foreign.append(rel)
    if foreign:
        raise UsageError(f"{out_dir} holds files that are not part of its export ({', '.join(foreign[:5])}); "
                         "choose an empty directory")
    for p in removable:
        p.unlink()


def normalise_formats(formats: Iterable[str]) -> list[str]:
    chosen = []
    for f in formats:
        name = f.strip().lower()
        if name not in FORMAT_MODULES:
            raise UsageError(f"unknown export format {f!r}; choose from {', '.join(FORMATS)}")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise UsageError("no export format chosen")
    return sorted(chosen, key=FORMATS.index)


def write_export(data: ExportData, out_dir: str | Path, formats: Iterable[str], *,
                 signer: Any = None) -> ExportResult:
    """Write ``formats`` for already gathered data, then seal the directory with a manifest
    (signed when ``signer``, an ``auditor.signing.Signer``, is given)."""
    chosen = normalise_formats(formats)
    out = Path(out_dir)
    _prepare_dir(out, signer)
    files: list[str] = []
    for fmt in chosen:
        files.extend(importlib.import_module(FORMAT_MODULES[fmt]).write(data, out))
    manifest = build_manifest(
        out, files, snapshot_id=data.snapshot_id, baseline=data.drift.baseline,
        drift_status="ok" if data.drift.available else data.drift.reason,
        tool_version=data.tool_version, created_at=data.snapshot_time, formats=chosen,
    )
    if signer is not None:
        manifest = sign_manifest(manifest, signer)
    path = write_manifest(out, manifest)
    return ExportResult(out_dir=out, files=tuple(sorted(files)), manifest_path=path, manifest=manifest)


def export_snapshot(engine: Engine, snapshot_id: int, out_dir: str | Path, formats: Iterable[str], *,
                    baseline: Any = None, drift_report: Any = None, signer: Any = None,
                    disabled_rules: Iterable[str] = ()) -> ExportResult:
    """Read a snapshot and write its export directory (see ``gather`` for the drift and rule arguments)."""
    chosen = normalise_formats(formats)
    data = gather(engine, snapshot_id, baseline=baseline, drift_report=drift_report, disabled_rules=disabled_rules)
    return write_export(data, out_dir, chosen, signer=signer)
