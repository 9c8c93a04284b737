"""`auditor identity` (trust edges and chains) and `auditor check` (posture, identity, residency rules).

``auditor check --format json`` prints a list of findings with exactly these keys:
finding_id, rule_id, title, severity, status, provider, account, region, resource_key,
native_id, message, evidence, frameworks. Exit 1 when a FAIL is at or above --fail-on.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from auditor.cli.context import AppContext
from auditor.cli.output import dumps_json, render, render_stream
from auditor.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from auditor.rules.verdict import SEVERITIES
from auditor.store.read import resolve_snapshot

EDGE_COLUMNS = ["mechanism", "source_key", "trusted", "trusted_provider", "cross_cloud", "external", "conditions", "issues"]
CHAIN_COLUMNS = ["chain", "cross_cloud", "external", "reaches_admin"]
FINDING_COLUMNS = ["status", "severity", "rule_id", "provider", "account", "resource_key", "message"]
RULE_COLUMNS = ["id", "severity", "kind", "title", "frameworks"]
SEVERITY_CHOICES = (*SEVERITIES, "none")


def _format(app: AppContext, fmt: Optional[str], allowed: tuple[str, ...]) -> str:
    chosen = fmt or app.fmt
    if chosen not in allowed:
        raise UsageError(f"--format {chosen!r} is not one of {', '.join(allowed)}")
    return chosen


def identity(
    ctx: typer.Context,
    snapshot: Optional[int] = typer.Option(None, "--snapshot", "-s", help="Snapshot id (default: latest)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table | json | dot"),
    svg: Optional[Path] = typer.Option(None, "--svg", help="Also render the graph to this SVG file (needs Graphviz `dot`)."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not write the edges to the trust_edges table."),
) -> int:
    """Trust edges between clouds, issuers and accounts, and the chains they form."""
    app: AppContext = ctx.obj
    chosen = _format(app, fmt, ("table", "json", "dot"))
    from auditor.identity.dot import render_svg
    from auditor.identity.graph import build_trust_graph

    engine = app.engine()
    sid = resolve_snapshot(engine, snapshot)
    graph = build_trust_graph(engine, app.config, sid, persist=not no_store)
    if svg is not None:
        data = render_svg(graph.to_dot())
        if data is None:
            app.info("Graphviz `dot` is not installed: no SVG written (use --format dot and render elsewhere)")
        else:
            svg.write_bytes(data)
            app.info(f"wrote {svg}")
    if chosen == "dot":
        sys.stdout.write(graph.to_dot())
        return EXIT_OK
    if chosen == "json":
        graph.write_json(sys.stdout)  # streamed: the same text as dumps_json(graph.as_dict())
        return EXIT_OK
    rows = [{"mechanism": e.mechanism, "source_key": e.source_key, "trusted": f"{e.trusted_kind}:{e.trusted_id}",
             "trusted_provider": e.trusted_provider, "cross_cloud": e.cross_cloud, "external": e.external,
             "conditions": e.conditions_text(), "issues": len(e.details.get("issues") or [])} for e in graph.edges]
    render(rows, EDGE_COLUMNS, "table", console=app.console, title=f"trust edges (snapshot {sid})")
    chains = [{"chain": c.text(), "cross_cloud": c.cross_cloud, "external": c.external, "reaches_admin": c.reaches_admin}
              for c in graph.chains()]
    render(chains, CHAIN_COLUMNS, "table", console=app.console, title="chains")
    return EXIT_OK


def check(
    ctx: typer.Context,
    snapshot: Optional[int] = typer.Option(None, "--snapshot", "-s", help="Snapshot id (default: latest)."),
    rules: Optional[list[str]] = typer.Option(None, "--rules", "-r",
                                              help="Rule ids or prefixes ('identity.*'); repeatable or comma-separated."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table | json | csv"),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Exit 1 on a FAIL at/above: info|low|medium|high|critical|none."),
    status: Optional[str] = typer.Option(None, "--status", help="Only show findings with this status (PASS|FAIL|UNKNOWN)."),
    list_rules: bool = typer.Option(False, "--list-rules", help="List the rules and their framework mappings."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not store findings/edges for the snapshot."),
) -> int:
    """Run posture, identity-federation and residency rules on a snapshot."""
    app: AppContext = ctx.obj
    chosen = _format(app, fmt, ("table", "json", "csv"))
    from auditor.rules.engine import check_snapshot, failing_at_or_above, run_checks
    from auditor.rules.registry import all_rules

    if list_rules:
        every = list(all_rules().values())
        rows = [{**r.as_dict(), "frameworks": "; ".join(f"{k} {','.join(v)}" for k, v in r.frameworks.items())}
                for r in every]
        render(rows, RULE_COLUMNS, chosen, console=app.console, title="rules", json_value=[r.as_dict() for r in every])
        return EXIT_OK
    threshold = (fail_on or app.config.audit.fail_on).lower()
    from auditor.errors import check_fail_on

    check_fail_on(threshold)
    if status and status.upper() not in ("PASS", "FAIL", "UNKNOWN"):
        raise UsageError(f"--status {status!r} is not one of PASS, FAIL, UNKNOWN")
    wanted = [w.strip() for item in rules or [] for w in item.split(",") if w.strip()] or None
    engine = app.engine()
    sid = resolve_snapshot(engine, snapshot)
    if no_store:  # nothing goes to the store, so the findings are held to be shown
        findings = run_checks(engine, app.config, sid, rules=wanted, persist=False)
        shown = [f for f in findings if not status or f.status == status.upper()]
        counts = {s: sum(1 for f in findings if f.status == s) for s in ("FAIL", "UNKNOWN", "PASS")}
        failing = len(failing_at_or_above(findings, threshold))
    else:  # streamed to the store; what is shown is read back from it, in the same order
        summary = check_snapshot(engine, app.config, sid, rules=wanted)
        shown = summary.findings(engine, status=status.upper() if status else None)
        counts = {s: summary.counts.by_status.get(s, 0) for s in ("FAIL", "UNKNOWN", "PASS")}
        failing = summary.counts.failing_at_or_above(threshold)
    render_stream((f.as_dict() for f in shown), FINDING_COLUMNS, chosen, console=app.console,
                  title=f"findings (snapshot {sid})")
    app.info(f"{counts['FAIL']} FAIL, {counts['UNKNOWN']} UNKNOWN, {counts['PASS']} PASS; "
             f"{failing} FAIL at or above {threshold}")
    return EXIT_FINDINGS if failing else EXIT_OK


def register(app: typer.Typer) -> None:
    app.command("identity")(identity)
    app.command("check")(check)
