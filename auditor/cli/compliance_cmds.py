"""``auditor compliance``: per control of a benchmark, PASS / FAIL / UNKNOWN / MANUAL / NOT_COLLECTED.

Read-only: the rules are evaluated in memory on the snapshot (nothing is stored), so the
view needs no prior ``auditor check``. ``--list`` and ``--coverage`` read only the mapping
tables and the rule registry, never the database. How a status is decided:
auditor/exports/compliance_view.py and docs/compliance.md.

``--format json`` prints ``{"snapshot_id", "coverage" (collection units, as in ``audit``), "frameworks": [{"framework", "title", "source",
"summary": {status: count, "controls"}, "controls": [...]}]}``; each control carries
framework, control, title, status, automation, upstream, rules, reason, failing_count,
unknown_count, pass_count and the first 50 failing/unknown resource keys. Exit 0: this is a
report; gate a pipeline with ``auditor check --fail-on``.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

import typer

from auditor.cli.context import AppContext
from auditor.cli.output import dumps_json, render
from auditor.errors import EXIT_OK, UsageError

FORMATS = ("table", "json", "csv", "markdown")
JSON_CAP = 50  # resource keys per list in JSON/CSV; the counts stay exact
TABLE_CAP = 3
CONTROL_COLUMNS = ["control", "status", "title", "rules", "failing", "reason"]
CSV_COLUMNS = ["framework", "control", "title", "status", "automation", "upstream", "rules", "failing_count",
               "unknown_count", "pass_count", "failing_resources", "reason"]
LIST_COLUMNS = ["framework", "control", "automation", "upstream", "title", "why"]


def _capped(keys: tuple[str, ...], cap: int) -> str:
    if not keys:
        return ""
    more = len(keys) - cap
    return f"{len(keys)}: " + ", ".join(keys[:cap]) + (f" (+{more} more)" if more > 0 else "")


def _list(app: AppContext, chosen: list[Any], fmt: str) -> None:
    from auditor.exports.compliance_view import automation_reason

    rows = [{"framework": t.key, "control": c.id, "automation": c.automation, "upstream": c.upstream,
             "title": c.title, "rules": list(c.rules), "why": automation_reason(c)}
            for t in chosen for c in t.controls.values()]
    if fmt == "csv":
        rows = [{**r, "rules": "; ".join(r["rules"])} for r in rows]
    render(rows, LIST_COLUMNS, fmt, console=app.console, title="controls and how they are judged",
           json_value=rows)


def _coverage(app: AppContext, chosen: list[Any], fmt: str) -> None:
    from auditor.exports.compliance_view import COVERAGE_COLUMNS, coverage_markdown, coverage_rows

    rows = coverage_rows(chosen)
    if fmt == "markdown":
        sys.stdout.write(coverage_markdown(chosen))
        return
    render(rows, COVERAGE_COLUMNS, fmt, console=app.console, title="CIS coverage (controls per framework version)",
           json_value=rows)


def _status(app: AppContext, chosen: list[Any], snapshot: Optional[int], fmt: str) -> None:
    from auditor.coverage import Coverage
    from auditor.exports.compliance_view import STATUSES, snapshot_compliance, summarise
    from auditor.store.read import list_units, resolve_snapshot

    engine = app.engine()
    sid = resolve_snapshot(engine, snapshot)
    results = snapshot_compliance(engine, app.config, sid, frameworks=chosen)
    coverage = Coverage.of((u["provider"], u["account"], u["status"]) for u in list_units(engine, sid))
    summary = {s["framework"]: s for s in summarise(results, chosen)}
    if fmt == "json":
        docs = [{"framework": t.key, "title": t.title, "source": t.source,
                 "summary": {k: v for k, v in summary[t.key].items() if k not in ("framework", "title")},
                 "controls": [r.as_dict(JSON_CAP) for r in results if r.framework == t.key]} for t in chosen]
        sys.stdout.write(dumps_json({"snapshot_id": sid, "coverage": coverage.as_dict(), "frameworks": docs}) + "\n")
        return
    if fmt == "csv":
        rows = [{**r.as_dict(JSON_CAP), "rules": "; ".join(r.rules),
                 "failing_resources": "; ".join(r.failing[:JSON_CAP])} for r in results]
        render(rows, CSV_COLUMNS, "csv")
        return
    app.info(f"snapshot {sid}: collection {coverage.line()}; a control whose inputs were not collected is UNKNOWN")
    for t in chosen:
        s = summary[t.key]
        line = ", ".join(f"{s[k]} {k}" for k in STATUSES)
        rows = [{"control": r.control, "status": r.status, "title": r.title, "rules": " ".join(r.rules),
                 "failing": _capped(r.failing, TABLE_CAP), "reason": r.reason}
                for r in results if r.framework == t.key]
        render(rows, CONTROL_COLUMNS, "table", console=app.console, title=f"{t.key}: {t.title} (snapshot {sid})")
        app.say(f"{t.key}: {s['controls']} controls: {line}")


def compliance(
    ctx: typer.Context,
    frameworks: Optional[list[str]] = typer.Option(
        None, "--framework", metavar="KEY", help="Framework key, case-insensitive, or a prefix ('cis-aws'); repeatable "
                                  "(default: every CIS version)."),
    snapshot: Optional[int] = typer.Option(None, "--snapshot", "-s", help="Snapshot id (default: latest)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="table | json | csv (--coverage: also markdown)"),
    list_controls: bool = typer.Option(False, "--list", help="Each control's automation class and why (no snapshot)."),
    coverage: bool = typer.Option(False, "--coverage", help="Controls automated / manual / not collected per version."),
) -> int:
    """Per-control CIS compliance of a snapshot: PASS, FAIL, UNKNOWN, MANUAL or NOT_COLLECTED."""
    app: AppContext = ctx.obj
    from auditor.exports.compliance_view import select_tables

    chosen_fmt = fmt or app.fmt
    if chosen_fmt not in FORMATS or (chosen_fmt == "markdown" and not coverage):
        allowed = "table, json, csv, markdown (with --coverage)"
        raise UsageError(f"--format {chosen_fmt!r} is not one of {allowed}")
    if list_controls and coverage:
        raise UsageError("--list and --coverage are separate views: choose one")
    chosen = select_tables(frameworks)
    if list_controls:
        _list(app, chosen, chosen_fmt)
    elif coverage:
        _coverage(app, chosen, chosen_fmt)
    else:
        _status(app, chosen, snapshot, chosen_fmt)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    app.command("compliance")(compliance)
