"""`auditor collect` and `auditor permissions CLOUD`."""

from __future__ import annotations

import sys

import typer

from auditor.cli.context import AppContext
from auditor.cli.output import dumps_json, render, safe_text
from auditor.errors import EXIT_RUNTIME, UsageError


def print_summary(app: AppContext, result) -> None:  # type: ignore[no-untyped-def]
    s = result.summary
    data = {"snapshot_id": result.snapshot_id, "status": result.status, **s.as_dict(),
            "versions_written": result.stats.written, "deleted": result.stats.closed,
            "coverage": result.coverage.as_dict(), "error": result.error}
    if app.fmt == "json":
        sys.stdout.write(dumps_json(data) + "\n")
        return
    rows = [{"unit": str(u.unit), "status": u.status.value, "resources": u.resource_count, "api_calls": u.api_calls,
             "seconds": round(u.duration_s, 2), "error": u.error} for u in s.units
            if app.verbosity or not u.status.completed]
    if rows:
        render(rows, ["unit", "status", "resources", "api_calls", "seconds", "error"], "table",
               console=app.console, title="units that did not complete" if not app.verbosity else "units")
    by_status = ", ".join(f"{k}={v}" for k, v in sorted(s.by_status.items()))
    app.say(
        f"snapshot {result.snapshot_id} {result.status}: {sum(s.resources_by_type.values())} resources, "
        f"{len(s.units)} units ({by_status}), {s.api_calls} API calls, {s.wall_s:.1f}s; "
        f"{result.stats.written} versions written, {result.stats.closed} deleted")
    app.console.print(safe_text(result.coverage.line()))
    if result.error:
        app.err.print(safe_text(f"snapshot {result.snapshot_id} failed: {result.error}", "red"))


def collect(
    ctx: typer.Context,
    provider: list[str] = typer.Option([], "--provider", "-p", help="Only these clouds (aws, gcp, azure)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when any unit did not complete."),
) -> int:
    """Snapshot the configured clouds into the inventory."""
    app: AppContext = ctx.obj
    from auditor.collect import PROVIDERS, incomplete, run_collection
    from collectors.runner import NullProgress, RichProgress

    bad = [p for p in provider if p not in PROVIDERS]
    if bad:
        raise UsageError(f"unknown provider {bad[0]!r}: choose from {', '.join(PROVIDERS)}")
    cfg = app.config
    if not any(getattr(cfg, p) is not None and getattr(cfg, p).enabled for p in (provider or PROVIDERS)):
        raise UsageError("no cloud is configured: add an aws, gcp or azure section to the config")
    engine = app.engine()
    progress = RichProgress(app.err) if app.interactive and cfg.collection.progress else NullProgress()
    import os

    from auditor.locking import audit_lock

    # One writer at a time, whether it is `collect` or a full `audit` (the lock survives crashes).
    with audit_lock(engine, holder=f"auditor collect (pid {os.getpid()})"):
        result = run_collection(cfg, engine, providers=tuple(provider) or None, progress=progress)
    print_summary(app, result)
    if result.status == "failed":
        return EXIT_RUNTIME
    if strict and incomplete(result.summary):
        app.info(f"collection incomplete: {len(incomplete(result.summary))} unit(s) did not complete (--strict)")
        return EXIT_RUNTIME
    return 0


def permissions(cloud: str = typer.Argument(..., help="aws | gcp | azure")) -> None:
    """Print the least-privilege read-only policy generated from the collector specs."""
    import importlib

    if cloud not in ("aws", "gcp", "azure"):
        raise UsageError(f"unknown cloud {cloud!r}: choose aws, gcp or azure")
    mod = importlib.import_module(f"collectors.{cloud}")
    sys.stdout.write(dumps_json(mod.permissions()) + "\n")
    if cloud == "azure":  # stdout stays the role definition `az role definition create` takes
        from collectors.azure.graph import graph_permissions, tenant_arm_permissions

        sys.stderr.write(
            "The directory (tenant) units also need, when azure.tenant_id is set: Microsoft Graph application "
            f"permissions {', '.join(graph_permissions())} (admin consent), and "
            f"{', '.join(tenant_arm_permissions())} at the tenant root scope '/'. Without them those units "
            "record 'denied' (never a pass).\n")


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)
    app.command("permissions")(permissions)
