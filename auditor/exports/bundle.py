"""Write one export directory: the chosen formats for a snapshot plus ``manifest.json``."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import Engine

from auditor.errors import UsageError
from auditor.exports.gather import ExportData, gather
from auditor.exports.manifest import MANIFEST_NAME, build_manifest, read_manifest, write_manifest

# format -> module with ``write(data, out_dir) -> list[str]``; listed in output order.
FORMAT_MODULES = {
    "csv": "auditor.exports.csv",
    "json": "auditor.exports.json",
    "ocsf": "auditor.exports.ocsf",
    "sarif": "auditor.exports.sarif",
    "html": "auditor.exports.html",
}
FORMATS = tuple(FORMAT_MODULES)


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    files: tuple[str, ...]  # relative names, manifest.json excluded
    manifest_path: Path
    manifest: dict[str, Any]


def _prepare_dir(out_dir: Path) -> None:
    """Create ``out_dir``; a previous export there is replaced, anything else is refused."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    present = [p for p in out_dir.rglob("*") if p.is_file() or p.is_symlink()]
    if not present:
        return
    if not (out_dir / MANIFEST_NAME).is_file():
        raise UsageError(f"{out_dir} is not empty and holds no previous export; choose an empty directory")
    try:
        listed = set(read_manifest(out_dir).get("files") or {})
    except ValueError as exc:
        raise UsageError(f"{out_dir}/{MANIFEST_NAME} is unreadable ({exc}); choose an empty directory") from None
    foreign = sorted(p.relative_to(out_dir).as_posix() for p in present
                     if p.relative_to(out_dir).as_posix() not in listed | {MANIFEST_NAME})
    if foreign:
        raise UsageError(f"{out_dir} holds files that are not part of its export ({', '.join(foreign[:5])}); "
                         "choose an empty directory")
    for p in present:
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


def write_export(data: ExportData, out_dir: str | Path, formats: Iterable[str]) -> ExportResult:
    """Write ``formats`` for already gathered data, then seal the directory with a manifest."""
    chosen = normalise_formats(formats)
    out = Path(out_dir)
    _prepare_dir(out)
    files: list[str] = []
    for fmt in chosen:
        files.extend(importlib.import_module(FORMAT_MODULES[fmt]).write(data, out))
    manifest = build_manifest(
        out, files, snapshot_id=data.snapshot_id, baseline=data.drift.baseline,
        drift_status="ok" if data.drift.available else data.drift.reason,
        tool_version=data.tool_version, created_at=data.snapshot_time, formats=chosen,
    )
    path = write_manifest(out, manifest)
    return ExportResult(out_dir=out, files=tuple(sorted(files)), manifest_path=path, manifest=manifest)


def export_snapshot(engine: Engine, snapshot_id: int, out_dir: str | Path, formats: Iterable[str], *,
                    baseline: Any = None, drift_report: Any = None) -> ExportResult:
    """Read a snapshot and write its export directory (see ``gather`` for the drift arguments)."""
    chosen = normalise_formats(formats)
    data = gather(engine, snapshot_id, baseline=baseline, drift_report=drift_report)
    return write_export(data, out_dir, chosen)
