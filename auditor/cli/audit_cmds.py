"""`auditor audit`: the whole nightly job in one command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from auditor.cli.context import AppContext
from auditor.cli.output import clip_words, dumps_json, render, safe_text
from auditor.errors import UsageError
from auditor.rules.verdict import SEVERITIES

FAIL_ON = (*SEVERITIES, "none")


def short_id(resource_key: str | None, keep: int = 2) -> str:
    """The readable tail of a resource key: 'security-group/sg-0abc', 'buckets/data-lake-raw'."""
    if not resource_key:
        return "-"
    ident = resource_key.split("|", 1)[-1]
    parts = [p for p in ident.replace(":", "/").split("/") if p]
    return "/".join(parts[-keep:]) if parts else ident


def group_incomplete(units: list[dict]) -> list[dict]:
    """One row per (provider, account, status): many denied units of one subscription are one fact."""
    groups: dict[tuple[str, str, str], dict] = {}
    for u in units:
        provider, account = (u["unit"].split("/") + ["", ""])[:2]
        g = groups.setdefault((provider, account, u["status"]), {
            "provider": provider, "account": account, "status": u["status"], "units": 0, "types": [], "error": u["error"]})
        g["units"] += 1
        g["types"].append(u["unit"].rsplit("/", 1)[-1].split(".", 1)[-1])
    rows = []
    for g in groups.values():
        err = (g["error"] or "").split(". ")[0]
        rows.append({**g, "types": ", ".join(sorted(set(g["types"]))[:4]) + (" ..." if len(set(g["types"])) > 4 else ""),
                     "error": clip_words(err, 120)})
    return rows


def print_outcome(app: AppContext, outcome, *, show_exit: bool = True) -> None:  # type: ignore[no-untyped-def]
    s = outcome.summary()
    if app.fmt == "json":
        sys.stdout.write(dumps_json(s) + "\n")
        for b in s.get("coverage_breaches") or []:  # stderr: the JSON on stdout stays parseable
            app.err.print(f"coverage below the floor: {b}", highlight=False)
        return
    c = app.console
    col = s["collection"] or {}
    c.print(safe_text(f"snapshot {s['snapshot_id']} {s['snapshot_status']}: {col.get('resources', 0)} resources, "
            f"units {col.get('units', {})}, {col.get('api_calls', 0)} API calls", "bold"))
    if s.get("coverage_line"):
        c.print(safe_text(s["coverage_line"]))
    for b in s.get("coverage_breaches") or []:
        app.err.print(safe_text(f"coverage below the floor: {b}", "red"))
    if s["incomplete_units"]:
        render(group_incomplete(s["incomplete_units"]), ["provider", "account", "status", "units", "types", "error"],
               "table", console=c, title="collection units that did not complete (their resources are unknown, not deleted)")
    if outcome.drift is not None:
        by = {}
        for i in s["drift"]:
            by[i["change"]] = by.get(i["change"], 0) + 1
        c.print(safe_text(f"drift vs baseline {s['baseline']}: {len(s['drift'])} item(s) {by or ''}"))
        top = sorted(s["drift"], key=lambda i: -FAIL_ON.index(i["severity"]) if i["severity"] in FAIL_ON else 0)[:15]
        if top:
            render([{**i, "resource": short_id(i["resource_key"]),
                     "paths": ", ".join(ch["path"] for ch in i.get("changes", [])[:3]),
                     "elements": "; ".join(("+ " if e["op"] == "added" else "- ") + e["text"]
                                           for e in i.get("element_changes", [])[:4])} for i in top],
                   ["severity", "change", "type", "resource", "paths", "elements"], "table", console=c, title="drift (top 15)")
    elif s["drift_note"]:
        c.print(safe_text(f"drift: {s['drift_note']}"))
    fails = s["findings"]
    c.print(safe_text(f"checks: {s['findings_by_status']}; trust edges: {s['trust_edges']}"))
    if fails:
        order = {k: n for n, k in enumerate(reversed(FAIL_ON))}
        top = sorted(fails, key=lambda f: (order.get(f["severity"], 9), f["rule_id"]))[:20]
        render([{**f, "resource": short_id(f.get("resource_key")), "message": clip_words(f.get("message") or "", 90)} for f in top],
               ["severity", "rule_id", "provider", "resource", "message"], "table", console=c,
               title=f"failing findings (top {len(top)} of {len(fails)})")
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in s["steps_s"].items())
    c.print(safe_text(f"steps: {steps}"))
    if s["export_dir"]:
        c.print(safe_text(f"exports: {s['export_dir']}" + (f" (report: {s['report']})" if s["report"] else "")))
    for p in s["problems"]:
        app.err.print(safe_text(f"problem: {p}", "red"))
    if show_exit:
        c.print(safe_text(f"exit code {s['exit_code']} (fail-on {s['fail_on']})"))


def audit_cmd(
    ctx: typer.Context,
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="Exit 1 at/above this severity (default: config audit.fail_on)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when any collection unit did not complete."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Baseline NAME or NAME@VERSION (default: config audit.baseline)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Export directory root (default: config export.out_dir)."),
    fmt: list[str] = typer.Option([], "--export-format", help="Export formats (default: config export.formats)."),
    no_export: bool = typer.Option(False, "--no-export", help="Skip exports."),
    no_notify: bool = typer.Option(False, "--no-notify", help="Skip webhook notifications."),
    provider: list[str] = typer.Option([], "--provider", "-p", help="Only these clouds."),
) -> int:
    """Run the nightly audit: collect, store, drift, checks, exports, notifications."""
    app: AppContext = ctx.obj
    from auditor.audit import audit, require_cloud
    from collectors.runner import NullProgress, RichProgress

    if fail_on is not None:
        from auditor.errors import check_fail_on

        check_fail_on(fail_on)
    cfg = app.config
    require_cloud(cfg, tuple(provider) or None)
    engine = app.engine()
    progress = RichProgress(app.err) if app.interactive and cfg.collection.progress else NullProgress()
    outcome = audit(cfg, engine, baseline=baseline, fail_on=fail_on, strict=strict, export=not no_export,
                    formats=fmt or None, out_dir=out, notify=not no_notify, providers=tuple(provider) or None,
                    progress=progress)
    print_outcome(app, outcome)
    return outcome.exit_code


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_cmd)
