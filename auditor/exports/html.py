"""One self-contained HTML report for auditors: usable offline, fetches nothing.

Sections: summary, findings by severity and cloud, drift since the baseline, the trust
graph (inline SVG), residency by jurisdiction, and the framework view. CSS and JS are
inline, a Content-Security-Policy forbids any load from elsewhere, and every value from
the data is escaped with ``html.escape``.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from pathlib import Path
from typing import Any, Iterable, Sequence

from auditor.exports.csv import baseline_label
from auditor.exports.files import cell_text, compact, write_bytes
from auditor.exports.framework_view import framework_summary
from auditor.exports.gather import PROVIDERS, RESIDENCY_PREFIX, SEVERITIES, ExportData
from auditor.exports.report_assets import CSP, CSS, JS
from auditor.exports.trust_graph import trust_graph_svg

FILES = ("report.html",)
SECTIONS = ("summary", "findings", "drift", "trust-graph", "residency", "frameworks")
SECTION_TITLES = {
    "summary": "Summary", "findings": "Findings by severity and cloud", "drift": "Drift since the baseline",
    "trust-graph": "Identity trust graph", "residency": "Residency by jurisdiction", "frameworks": "Framework view",
}
_SEV_DESC = tuple(reversed(SEVERITIES))


def e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape(cell_text(value), quote=True)


def _table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, table_id: str | None = None,
           numeric: Iterable[int] = ()) -> str:
    """``rows`` hold already-escaped HTML cells."""
    nums = set(numeric)
    head = "".join(f'<th{" class=num" if i in nums else ""}>{escape(c)}</th>' for i, c in enumerate(columns))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i in nums else ""}>{cell}</td>' for i, cell in enumerate(r)) + "</tr>"
        for r in rows
    )
    tid = f' id="{escape(table_id)}"' if table_id else ""
    return f"<table{tid}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sev(s: str) -> str:
    return f'<span class="sev sev-{e(s)}">{e(s)}</span>'


def _status(s: str) -> str:
    return f'<span class="st st-{e(s)}">{e(s)}</span>'


def _card(n: Any, label: str) -> str:
    return f'<div class="card"><div class="n">{e(n)}</div><div class="l">{escape(label)}</div></div>'


def _section(sid: str, body: str) -> str:
    return f'<section id="{sid}" data-section="{sid}"><h2>{escape(SECTION_TITLES[sid])}</h2>{body}</section>'


def _summary(data: ExportData) -> str:
    fails = [f for f in data.findings if f["status"] == "FAIL"]
    unknown = sum(1 for f in data.findings if f["status"] == "UNKNOWN")
    by_sev = Counter(f["severity"] for f in fails)
    providers: Counter = Counter()
    unknown_res = 0
    for r in data.resources:  # one pass: the inventory may be streamed from the database
        providers[r["provider"]] += 1
        unknown_res += r["state"] != "present"
    controls_failing = sum(1 for c in data.controls if c.status == "FAIL")
    cards = [
        _card(len(data.resources), "resources (" + ", ".join(f"{p} {n}" for p, n in sorted(providers.items())) + ")"),
        _card(len(fails), "failing findings"),
        _card(by_sev.get("critical", 0) + by_sev.get("high", 0), "critical + high failing"),
        _card(unknown, "checks UNKNOWN (data not collected)"),
        _card(len(data.drift.items) if data.drift.available else "n/a",
              "drift items" if data.drift.available else "drift: no baseline"),
        _card(len(data.trust_edges), f"trust edges ({sum(1 for t in data.trust_edges if t['cross_cloud'])} cross-cloud, "
                                     f"{sum(1 for t in data.trust_edges if t['external'])} external)"),
        _card(f"{controls_failing}/{len(data.controls)}", "framework controls failing"),
    ]
    notes = []
    if unknown_res:
        notes.append(f'<p class="note">{unknown_res} resources are in units whose collection did not complete; '
                     "their state is unknown, and checks on them are UNKNOWN, never PASS.</p>")
    if data.snapshot.get("status") == "partial":
        notes.append('<p class="note">This snapshot is <b>partial</b>: some collection units did not complete.</p>')
    return _section("summary", f'<div class="cards">{"".join(cards)}</div>{"".join(notes)}')


def _heat(n: int, top: int) -> str:
    if n == 0:
        return "heat0"
    return "heat3" if n * 3 > top * 2 else "heat2" if n * 3 > top else "heat1"


def _findings(data: ExportData) -> str:
    fails = [f for f in data.findings if f["status"] == "FAIL"]
    clouds = [p for p in PROVIDERS if any(f["provider"] == p for f in data.findings)] or list(PROVIDERS)
    clouds += sorted({f["provider"] or "none" for f in data.findings} - set(PROVIDERS) - {None})
    grid = Counter((f["severity"], f["provider"] or "none") for f in fails)
    top = max(grid.values(), default=0)
    matrix_rows = []
    for s in _SEV_DESC:
        cells = [f'<span class="{_heat(grid[(s, c)], top)}">{grid[(s, c)]}</span>' for c in clouds]
        matrix_rows.append([_sev(s), *cells, str(sum(grid[(s, c)] for c in clouds))])
    matrix = _table(["severity", *clouds, "total"], matrix_rows, table_id="severity-by-cloud",
                    numeric=range(1, len(clouds) + 2))
    status_counts = Counter(f["status"] for f in data.findings)
    shown = [f for f in data.findings if f["status"] != "PASS"]
    shown.sort(key=lambda f: (_SEV_DESC.index(f["severity"]) if f["severity"] in _SEV_DESC else 9,
                              f["status"] != "FAIL", f["rule_id"], f["resource_key"] or ""))
    rows = []
    for f in shown:
        rule = data.rule(f["rule_id"])
        detail = f'<details><summary>evidence</summary><code>{e(compact(f["evidence"]))}</code>'
        if rule.get("remediation"):
            detail += f'<p><b>Remediation:</b> {e(rule["remediation"])}</p>'
        detail += "</details>"
        rows.append([_sev(f["severity"]), _status(f["status"]), f'<code>{e(f["rule_id"])}</code><br>{e(f["title"])}',
                     f'{e(f["provider"])}<br><span class="mono">{e(f["account"])} / {e(f["region"])}</span>',
                     f'<span class="mono">{e(f["native_id"] or f["resource_key"])}</span>', e(f["message"]) + detail])
    listing = (
        '<input class="filter" type="search" placeholder="Filter findings" data-target="findings-table" '
        'aria-label="Filter findings">'
        + _table(["severity", "status", "rule", "cloud / account / region", "resource", "message"], rows,
                 table_id="findings-table")
        if rows else '<p class="empty">No failing or unknown checks.</p>'
    )
    counts = (f'<p>{status_counts.get("FAIL", 0)} FAIL, {status_counts.get("UNKNOWN", 0)} UNKNOWN, '
              f'{status_counts.get("PASS", 0)} PASS checks. Failing checks by severity and cloud:</p>')
    return _section("findings", counts + matrix + "<h3>Failing and unknown checks</h3>" + listing)


def _drift(data: ExportData) -> str:
    d = data.drift
    if not d.available:
        return _section("drift", f'<p class="note">No baseline: drift was not computed ({e(d.reason)}). '
                                 "Approve a baseline to track drift.</p>")
    counts = Counter(i["change"] for i in d.items)
    head = (f"<p>Baseline <b>{e(baseline_label(data))}</b>: "
            + ", ".join(f"{n} {e(c)}" for c, n in sorted(counts.items())) + ".</p>") if d.items else \
        f'<p>Baseline <b>{e(baseline_label(data))}</b>: <span class="empty">no drift.</span></p>'
    rows = []
    for i in d.items:
        changes = "".join(
            f'<li><code>{e(c["path"])}</code>: <code>{e(compact(c["before"]))}</code> \u2192 '
            f'<code>{e(compact(c["after"]))}</code></li>' for c in i["changes"]
        )
        rows.append([_sev(i["severity"]), e(i["change"]), e(i["provider"]), e(i["type"]),
                     f'<span class="mono">{e(i["native_id"] or i["resource_key"])}</span>',
                     f"<ul>{changes}</ul>" if changes else ""])
    table = _table(["severity", "change", "cloud", "type", "resource", "attribute changes"], rows,
                   table_id="drift-table") if rows else ""
    return _section("drift", head + table)


def _trust(data: ExportData) -> str:
    legend = ('<p class="legend"><span><i></i>trust within a cloud</span><span><i class="cross"></i>cross-cloud</span>'
              '<span><i class="ext"></i>principal outside the declared estate</span></p>')
    rows = [[e(t["mechanism"]), f'{e(t["trusted_provider"])} {e(t["trusted_kind"])}<br><span class="mono">'
             f'{e(t["trusted_id"])}</span>', f'<span class="mono">{e(t["source_key"])}</span>',
             e(t["conditions"]) or '<span class="empty">none</span>', "yes" if t["cross_cloud"] else "",
             "yes" if t["external"] else ""] for t in data.trust_edges]
    table = (f"<details><summary>All {len(rows)} trust edges as a table</summary>"
             + _table(["mechanism", "trusted principal", "trusting identity", "conditions", "cross-cloud", "external"],
                      rows, table_id="trust-table") + "</details>") if rows else ""
    return _section("trust-graph", legend + f'<div class="graph-wrap">{trust_graph_svg(data.trust_edges)}</div>' + table)


def _residency(data: ExportData) -> str:
    by_loc: dict[str, Counter] = {}
    for r in data.resources:
        by_loc.setdefault(r["location"] or "unknown", Counter())[r["provider"]] += 1
    res_findings = [f for f in data.findings if f["rule_id"].startswith(RESIDENCY_PREFIX)]
    fail_by_loc: Counter = Counter()
    wanted = {f["resource_key"] for f in res_findings if f["status"] == "FAIL"}
    loc_of = {r["resource_key"]: r["location"] or "unknown" for r in data.resources if r["resource_key"] in wanted}
    for f in res_findings:
        if f["status"] == "FAIL":
            fail_by_loc[loc_of.get(f["resource_key"], "unknown")] += 1
    rows = [[f"<b>{e(loc)}</b>", *(str(c.get(p, 0)) for p in PROVIDERS), str(sum(c.values())), str(fail_by_loc[loc])]
            for loc, c in sorted(by_loc.items())]
    table = _table(["jurisdiction", *PROVIDERS, "resources", "residency violations"], rows,
                   table_id="residency-table", numeric=range(1, len(PROVIDERS) + 3)) if rows else \
        '<p class="empty">No resources in this snapshot.</p>'
    frows = [[_sev(f["severity"]), _status(f["status"]), e(loc_of.get(f["resource_key"], "unknown")),
              f'<span class="mono">{e(f["native_id"] or f["resource_key"])}</span>', e(f["message"]),
              f'<code>{e(compact(f["evidence"]))}</code>']
             for f in res_findings if f["status"] != "PASS"]
    flist = _table(["severity", "status", "primary location", "resource", "message", "evidence"], frows,
                   table_id="residency-findings") if frows else '<p class="empty">No residency violations.</p>'
    return _section("residency", table + "<h3>Residency findings</h3>" + flist)


def _bar(c: Any) -> str:
    total = max(c.passed + c.failed + c.unknown, 1)
    return "".join(f'<span class="bar {cls}" style="width:{round(100 * n / total)}px"></span>'
                   for cls, n in (("", c.failed), ("unknown", c.unknown), ("pass", c.passed)) if n)


def _frameworks(data: ExportData) -> str:
    if not data.controls:
        return _section("frameworks", '<p class="empty">No findings map to a framework control.</p>')
    summary = _table(["framework", "controls", "fail", "unknown", "pass"],
                     [[f'{e(s["framework"])} <span class="empty">{e(s["title"])}</span>', str(s["controls"]),
                       str(s["FAIL"]), str(s["UNKNOWN"]), str(s["PASS"])] for s in framework_summary(data.controls)],
                     table_id="framework-summary", numeric=(1, 2, 3, 4))
    rows = []
    for c in data.controls:
        res = ""
        if c.failing or c.unknown_resources:
            items = "".join(f'<li class="mono">{e(k)} ({"FAIL" if k in c.failing else "UNKNOWN"})</li>'
                            for k in (*c.failing, *c.unknown_resources))
            res = f"<details><summary>{len(c.failing) + len(c.unknown_resources)} resources</summary><ul>{items}</ul></details>"
        rows.append([e(c.framework), f"<b>{e(c.control)}</b>", _status(c.status), str(c.failed), str(c.unknown),
                     str(c.passed), _bar(c), "<br>".join(f"<code>{e(r)}</code>" for r in c.rules), res])
    controls = _table(["framework", "control", "status", "fail", "unknown", "pass", "", "rules", "resources"], rows,
                      table_id="framework-controls", numeric=(3, 4, 5))
    return _section("frameworks", summary + controls)


def render_report(data: ExportData) -> str:
    snap = data.snapshot
    title = f"Posture audit report \u2014 snapshot {data.snapshot_id}"
    nav = "".join(f'<a href="#{s}">{escape(SECTION_TITLES[s])}</a>' for s in SECTIONS)
    from auditor.terraform.report import coverage_section_html  # a separate section, only for Terraform baselines

    iac = coverage_section_html(data.drift.iac_coverage, baseline_label(data))
    body = "".join((_summary(data), _findings(data), _drift(data), iac, _trust(data), _residency(data),
                    _frameworks(data)))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP, quote=False)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><div class=\"meta\">status {e(snap.get('status'))} \u00b7 "
        f"started {e(snap.get('started_at'))} \u00b7 finished {e(snap.get('finished_at'))} \u00b7 "
        f"baseline {e(baseline_label(data))} \u00b7 auditor {e(data.tool_version)}</div></header>"
        f"<nav>{nav}</nav><main>{body}</main>"
        "<footer>Generated from the inventory store; every file of this export is listed with its SHA-256 in "
        "manifest.json (check with <code>auditor verify DIR</code>).</footer>"
        f"<script>{JS}</script></body></html>\n"
    )


def write(data: ExportData, out_dir: Path) -> list[str]:
    return [write_bytes(out_dir, "report.html", render_report(data).encode("utf-8"))]
