"""Commands: ``baseline approve|list|show|accept|revoke``, ``drift`` (``verify`` is in evidence_cmds)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from auditor.cli.context import AppContext
from auditor.cli.output import dumps_json, render
from auditor.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from auditor.rules.verdict import SEVERITIES
from auditor.textsafe import terminal_safe

BASELINE_COLUMNS = ["baseline", "status", "snapshot_id", "entry_count", "created_at", "created_by", "reason", "scope"]
ENTRY_COLUMNS = ["resource_key", "provider", "account", "region", "type", "content_hash"]
DRIFT_COLUMNS = ["severity", "change", "provider", "account", "region", "type", "resource_key", "native_id", "paths",
                 "elements"]
SEVERITY_CHOICES = (*SEVERITIES, "none")


def _actor(by: Optional[str]) -> str:
    """Who approves: --by, else $AUDITOR_ACTOR, else the login name."""
    if by:
        return by
    env = os.environ.get("AUDITOR_ACTOR")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise UsageError("cannot tell who you are: pass --by") from None


def _fmt(app: AppContext, fmt: Optional[str]) -> str:
    value = fmt or app.fmt
    if value not in ("table", "json", "csv"):
        raise UsageError(f"--format {value!r}: use table, json or csv")
    return value


def _rows(refs) -> list[dict]:  # type: ignore[no-untyped-def]
    out = []
    for r in refs:
        d = r.as_dict()
        d["scope"] = ",".join(r.scope) if r.scope else None
        out.append(d)
    return out


# ---- baseline --------------------------------------------------------------------------------

def approve_cmd(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="Baseline name; approving an existing name adds a version."),
    reason: str = typer.Option(..., "--reason", help="Why this state is approved (kept in the audit log)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who approves (default $AUDITOR_ACTOR or login name)."),
    snapshot: Optional[int] = typer.Option(None, "--snapshot", help="Snapshot id (default: latest complete)."),
    scope: Optional[List[str]] = typer.Option(None, "--scope", help="Units covered: provider|account|region|type "
                                              "glob (or with '/'); repeatable. Needed to approve a partial snapshot."),
    allow_partial: bool = typer.Option(False, "--allow-partial", help="Approve a partial snapshot: only units that "
                                       "completed enter; the others are listed in the approval and stay unknown."),
) -> int:
    """Approve a snapshot's resources as a new, immutable baseline version."""
    app: AppContext = ctx.obj
    from auditor.cli.evidence_cmds import sign_log_head, signer
    from auditor.drift import baselines

    key = signer(app)
    ref = baselines.approve(app.engine(), name=name, reason=reason, by=_actor(by), snapshot_id=snapshot, scope=scope,
                            allow_partial=allow_partial)
    sign_log_head(app, key)
    app.info(f"approved {ref.label}: {ref.entry_count} resources from snapshot {ref.snapshot_id}")
    render(_rows([ref]), BASELINE_COLUMNS, app.fmt, console=app.console)
    return EXIT_OK


def import_terraform_cmd(
    ctx: typer.Context,
    states: List[str] = typer.Argument(..., help="State files or directories (with workspaces), s3://bucket/key, "
                                       "gs://bucket/path, azurerm://account/container/blob; '*' in a key matches "
                                       "several (workspaces)."),
    name: str = typer.Option(..., "--name", help="Baseline name; importing again adds a version."),
    reason: str = typer.Option("declared by Terraform state", "--reason", help="Why (kept in the audit log)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who approves (default $AUDITOR_ACTOR or login name)."),
) -> int:
    """Import Terraform state (format 4) as a new, immutable baseline version."""
    app: AppContext = ctx.obj
    from auditor.cli.evidence_cmds import sign_log_head, signer
    from auditor.terraform.baseline import import_states

    key = signer(app)  # an unusable configured key stops the import before any write
    result = import_states(app.engine(), name=name, locations=states, reason=reason, by=_actor(by))
    sign_log_head(app, key)  # an imported baseline is an approval like any other
    for p in result.problems:
        typer.echo(f"warning: {terminal_safe(str(p))}", err=True)
    if result.unmapped:
        typer.echo("note: not mapped (no resource type we collect): "
                   + ", ".join(f"{t} x{n}" for t, n in sorted(result.unmapped.items())), err=True)
    app.info(f"imported {result.ref.label}: {result.declared} declared resources from {len(result.states)} state(s)")
    render(_rows([result.ref]), BASELINE_COLUMNS, app.fmt, console=app.console)
    return EXIT_OK


def list_cmd(ctx: typer.Context) -> int:
    """Every version of every baseline."""
    app: AppContext = ctx.obj
    from auditor.drift import baselines

    render(_rows(baselines.list_baselines(app.engine())), BASELINE_COLUMNS, app.fmt, console=app.console,
           title="baselines")
    return EXIT_OK


def show_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME (active version) or NAME@VERSION."),
    limit: Optional[int] = typer.Option(None, "--limit", help="At most this many resources."),
) -> int:
    """A baseline version and the resources it approves."""
    app: AppContext = ctx.obj
    from auditor.drift import baselines

    engine = app.engine()
    name, version = baselines.parse_ref(ref)
    b = baselines.get_baseline(engine, name, version)
    entries = baselines.entries(engine, b, limit=limit)
    if app.fmt == "json":
        sys.stdout.write(dumps_json({**_rows([b])[0], "scope": b.scope, "resources": entries}) + "\n")
        return EXIT_OK
    if app.fmt == "table":
        render(_rows([b]), BASELINE_COLUMNS, "table", console=app.console)
    render(entries, ENTRY_COLUMNS, app.fmt, console=app.console, title=f"resources in {b.label}")
    return EXIT_OK


def accept_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Baseline name."),
    resource_keys: List[str] = typer.Argument(..., help="Resource keys whose current state is accepted."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who accepts (default $AUDITOR_ACTOR or login name)."),
    snapshot: Optional[int] = typer.Option(None, "--snapshot", help="State as of this snapshot (default latest)."),
) -> int:
    """Accept the current state of some resources as a new baseline version."""
    app: AppContext = ctx.obj
    from auditor.cli.evidence_cmds import sign_log_head, signer
    from auditor.drift import baselines

    key = signer(app)
    ref = baselines.accept(app.engine(), name=name, resource_keys=resource_keys, reason=reason, by=_actor(by),
                           snapshot_id=snapshot)
    sign_log_head(app, key)
    app.info(f"accepted {len(set(resource_keys))} resource(s) into {ref.label}")
    render(_rows([ref]), BASELINE_COLUMNS, app.fmt, console=app.console)
    return EXIT_OK


def revoke_cmd(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="NAME (every active version) or NAME@VERSION."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who revokes (default $AUDITOR_ACTOR or login name)."),
) -> int:
    """Revoke a baseline version (nothing is deleted; the act is audit-logged)."""
    app: AppContext = ctx.obj
    from auditor.cli.evidence_cmds import sign_log_head, signer
    from auditor.drift import baselines

    key = signer(app)
    name, version = baselines.parse_ref(ref)
    refs = baselines.revoke(app.engine(), name=name, version=version, reason=reason, by=_actor(by))
    sign_log_head(app, key)
    app.info("revoked " + ", ".join(r.label for r in refs))
    render(_rows(refs), BASELINE_COLUMNS, app.fmt, console=app.console)
    return EXIT_OK


# ---- drift -------------------------------------------------------------------------------------

def drift_cmd(
    ctx: typer.Context,
    baseline: Optional[str] = typer.Option(None, "--baseline", "-b", help="NAME or NAME@VERSION (default: "
                                           "config audit.baseline, else the only active baseline)."),
    snapshot: Optional[int] = typer.Option(None, "--snapshot", "-s", help="Snapshot to check (default latest)."),
    from_: Optional[int] = typer.Option(None, "--from", help="Compare two snapshots: the older one."),
    to: Optional[int] = typer.Option(None, "--to", help="Compare two snapshots: the newer one (default latest)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table | json | csv (default: the global --format)."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Exit 1 when an item is at/above this severity: "
                                          "info|low|medium|high|critical|none (default config audit.fail_on)."),
    show_ignored: bool = typer.Option(False, "--show-ignored", help="Include ignored items with `ignored_by`."),
    coverage: Optional[Path] = typer.Option(None, "--coverage", help="Terraform baselines: write IaC coverage "
                                            "(per account and type) to this JSON file."),
) -> int:
    """Resources added, removed, modified or unknown since the baseline (or between snapshots).

    JSON output is documented in auditor.drift.model.DRIFT_JSON_DOC.
    """
    app: AppContext = ctx.obj
    from auditor.drift.engine import compute_drift

    out_fmt = _fmt(app, fmt)
    threshold = fail_on or app.config.audit.fail_on
    from auditor.errors import check_fail_on

    check_fail_on(threshold)
    if from_ is not None and to is not None and from_ > to:
        raise UsageError(f"--from {from_} is newer than --to {to}: --from names the older snapshot")
    between = from_ is not None or to is not None
    engine = app.engine()
    report = compute_drift(  # an explicit --baseline with --from/--to is refused there
        engine, baseline=baseline if between else (baseline or app.config.audit.baseline), snapshot_id=snapshot,
        from_snapshot=from_, to_snapshot=to, ignore_rules=app.config.ignore, show_ignored=show_ignored,
        admin_ports=app.config.checks.admin_ports, config=app.config,
    )
    _report_side_notes(app, report, out_fmt)
    if coverage is not None:
        if report.iac_coverage is None:
            raise UsageError("--coverage needs a Terraform baseline (auditor baseline import terraform)")
        fd = os.open(coverage, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # private by default
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(dumps_json(report.iac_coverage) + "\n")
    if out_fmt == "json":
        sys.stdout.write(dumps_json([i.as_dict() for i in report.items]) + "\n")
    else:
        rows = []
        for i in report.items:
            d = i.as_dict()
            d["paths"] = " ".join(c.path for c in i.changes)
            d["elements"] = "; ".join(e.line() for e in i.elements)
            if show_ignored and i.ignored:
                d["severity"] = f"{i.severity} (ignored)"
            rows.append(d)
        against = report.baseline or f"snapshot {report.from_snapshot}"
        render(rows, DRIFT_COLUMNS, out_fmt, console=app.console,
               title=f"drift of snapshot {report.snapshot_id} against {against}")
        if out_fmt == "table":
            c = report.counts()
            app.info(", ".join(f"{n} {k}" for k, n in c.items()) + f" ({report.ignored_count} ignored)")
            if report.iac_coverage is not None:
                render(report.iac_coverage, ["provider", "account", "type", "resources", "managed", "share"], "table",
                       console=app.console, title="IaC coverage (resources some Terraform state manages)")
    return EXIT_FINDINGS if report.fails(threshold) else EXIT_OK


def _report_side_notes(app: AppContext, report, out_fmt: str) -> None:  # type: ignore[no-untyped-def]
    """Incomplete units and expired ignore rules always go to stderr (stdout stays parseable)."""
    for u in report.incomplete_units:
        typer.echo(terminal_safe(f"warning: unit {u['unit_key']} is {u['status']} in snapshot {report.snapshot_id}; "
                                 "its resources are reported as unknown"), err=True)
    for r in report.expired_rules:
        typer.echo(terminal_safe(f"warning: ignore rule #{r['index']} (owner {r['owner']}: {r['reason']}) expired on "
                                 f"{r['expires']} and no longer applies"), err=True)


def register(app: typer.Typer) -> None:
    baseline = typer.Typer(help="Approved, immutable, versioned baselines.", no_args_is_help=True)
    baseline.command("approve")(approve_cmd)
    baseline.command("list")(list_cmd)
    baseline.command("show")(show_cmd)
    baseline.command("accept")(accept_cmd)
    baseline.command("revoke")(revoke_cmd)
    importer = typer.Typer(help="Import a baseline declared elsewhere.", no_args_is_help=True)
    importer.command("terraform")(import_terraform_cmd)
    baseline.add_typer(importer, name="import")
    app.add_typer(baseline, name="baseline")
    app.command("drift")(drift_cmd)
