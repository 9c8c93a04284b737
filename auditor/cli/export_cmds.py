"""``auditor export``: compliance evidence for one snapshot, sealed by a SHA-256 manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from auditor.cli.context import AppContext
from auditor.cli.output import dumps_json


def export_cmd(
    ctx: typer.Context,
    snapshot: Optional[int] = typer.Option(None, "--snapshot", "-s", help="Snapshot id (default: the latest finished)."),
    formats: Optional[list[str]] = typer.Option(
        None, "--format", help="csv | json | ocsf | sarif | html; repeatable (default: config export.formats)."),
    out: Optional[Path] = typer.Option(
        None, "--out", "-o", help="Export directory (default: <export.out_dir>/snapshot-<ID>). Must be empty or "
                                  "hold a previous export, which is replaced."),
    baseline: Optional[str] = typer.Option(
        None, "--baseline", help="Baseline to report drift against (default: the active one)."),
) -> int:
    """Write CSV, JSON, OCSF, SARIF and an offline HTML report for a snapshot, plus manifest.json."""
    app: AppContext = ctx.obj
    from auditor.exports.bundle import export_snapshot, normalise_formats
    from auditor.signing import configured_signer
    from auditor.store import read

    chosen = normalise_formats(formats or list(app.config.export.formats))
    engine = app.engine()
    sid = read.resolve_snapshot(engine, snapshot)
    out_dir = out if out is not None else Path(app.config.export.out_dir) / f"snapshot-{sid}"
    result = export_snapshot(engine, sid, out_dir, chosen, baseline=baseline or app.config.audit.baseline,
                             signer=configured_signer(app.config), disabled_rules=app.config.checks.disabled_rules)
    if app.fmt == "json":
        typer.echo(dumps_json({"out_dir": str(result.out_dir), "snapshot_id": sid, "formats": chosen,
                               "files": list(result.files), "manifest": str(result.manifest_path),
                               "drift": result.manifest["drift"]}))
    else:
        app.info(f"snapshot {sid}: wrote {len(result.files)} files ({', '.join(chosen)}) to {result.out_dir}")
        if result.manifest["drift"] != "ok":
            app.info(f"drift: {result.manifest['drift']}")
        if "html" in chosen:
            app.info(f"report: {result.out_dir / 'report.html'}")
        typer.echo(str(result.manifest_path))
    return 0


def register(app: typer.Typer) -> None:
    app.command("export")(export_cmd)
