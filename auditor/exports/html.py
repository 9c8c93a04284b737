"""One self-contained HTML report for auditors: usable offline, fetches nothing.

Sections: summary, findings by severity and cloud, drift since the baseline, the trust
graph (inline SVG), residency by jurisdiction, and the framework view. CSS and JS are
inline, a Content-Security-Policy forbids any load from elsewhere, and every value from
the data is escaped with ``html.escape``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from itertools import chain, islice
from pathlib import Path
from typing import Any, Iterable, Sequence

from auditor.exports.csv import baseline_label
from auditor.exports.files import cell_text, compact, write_bytes
from auditor.exports.framework_view import framework_summary
from auditor.exports.gather import PROVIDERS, RESIDENCY_PREFIX, SEVERITIES, ExportData
from auditor.exports.report_assets import CSS, JS, csp
from auditor.exports.trust_graph import trust_graph_svg

FILES = ("report.html",)
SECTIONS = ("summary", "findings", "ml-platform", "drift", "trust-graph", "residency", "coverage", "compliance",
            "frameworks")
SECTION_TITLES = {
    "summary": "Summary", "findings": "Findings by rule", "ml-platform": "ML platform, across clouds",
    "drift": "Drift since the baseline",
    "trust-graph": "Identity trust graph", "residency": "Residency by jurisdiction",
    "coverage": "Coverage: units not collected", "compliance": "CIS compliance", "frameworks": "Framework view",
}
_SEV_DESC = tuple(reversed(SEVERITIES))
TOP_N = 50  # items shown per group; the full lists are in the CSV/JSON files of the same export
# The report's size bound, whatever the estate's size: rows across all finding groups (each group
# still shows up to GROUP_MIN), trust edges drawn, resources listed per framework control,
# residency findings, units. Counts stay exact; the full lists are in the CSV/JSON files.
REPORT_ITEMS = 200
GROUP_MIN = 3
UNIT_ROWS = TOP_N * 4  # units not complete listed in #coverage
CONTROL_RESOURCES = 10
EVIDENCE_CHARS = 400
# Rules that judge the ML platform (notebooks, models, endpoints, jobs, clusters, registries,
# functions, ML data residency): one rule judges all three clouds, so they read as one table.
ML_RULE_PREFIXES = ("ml.", "cluster.", "registry.", "function.", "residency.ml_data")


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


def _card(n: Any, label: str, href: str | None = None, cls: str = "") -> str:
    inner = f'<div class="n">{e(n)}</div><div class="l">{escape(label)}</div>'
    if href:
        inner = f'<a href="#{escape(href)}">{inner}</a>'
    return f'<div class="card {cls}">{inner}</div>'


def _section(sid: str, body: str, summary: str = "") -> str:
    """A linkable (id) and collapsible (<details>, open by default) section."""
    extra = f' <span class="sum">{summary}</span>' if summary else ""
    return (f'<section id="{sid}" data-section="{sid}"><details open><summary><h2>'
            f'{escape(SECTION_TITLES[sid])}</h2>{extra}</summary>{body}</details></section>')


def _more(shown: int, total: int, where: str) -> str:
    if total <= shown:
        return ""
    return (f'<p class="more">Showing {shown} of {total}; {total - shown} more not shown; the full list is in '
            f'{escape(where)}.</p>')


class _Scan:
    """Everything the report draws from the findings, gathered in one streamed pass: counts
    and, per rule, the first TOP_N FAIL and UNKNOWN findings (in resource order). Memory is
    bounded by the number of rules, not of findings."""

    def __init__(self, data: ExportData) -> None:
        self.has_previous = data.previous is not None
        self.status_counts: Counter = Counter()
        self.fail_sev: Counter = Counter()
        self.grid: Counter = Counter()  # (severity, provider) of FAILs
        self.providers: set[str | None] = set()
        self.residency_fails = 0
        self.fail_now = 0
        self.fail_kept = 0  # FAIL now that failed in the previous audit too
        self.rule_fail_now: Counter = Counter()
        self.rule_fail_kept: Counter = Counter()
        self.groups: dict[str, dict[str, Any]] = {}  # rule -> {fail, unknown, sev, first, rows_fail, rows_unknown}
        self.ml_by_rule: dict[str, Counter] = {}
        self.residency: list[dict[str, Any]] = []  # non-PASS residency findings, the first TOP_N * 4
        for f in data.findings:
            status, rid = f["status"], f["rule_id"]
            self.status_counts[status] += 1
            self.providers.add(f["provider"])
            if rid.startswith(ML_RULE_PREFIXES) and status != "PASS":
                self.ml_by_rule.setdefault(rid, Counter())[f["provider"] if status == "FAIL" else "UNKNOWN"] += 1
            if rid.startswith(RESIDENCY_PREFIX) and status != "PASS":
                if len(self.residency) < TOP_N * 4:
                    self.residency.append(_slim(f))
            if status == "PASS":
                continue
            g = self.groups.get(rid)
            if g is None:
                g = self.groups[rid] = {"fail": 0, "unknown": 0, "sev": None, "unknown_pos": 9, "first": f,
                                        "rows_fail": [], "rows_unknown": []}
            if status == "FAIL":
                self.fail_sev[f["severity"]] += 1
                self.grid[(f["severity"], f["provider"] or "none")] += 1
                if rid.startswith(RESIDENCY_PREFIX):
                    self.residency_fails += 1
                self.fail_now += 1
                self.rule_fail_now[rid] += 1
                g["fail"] += 1
                if g["sev"] is None or _sev_pos(f["severity"]) < _sev_pos(g["sev"]):
                    g["sev"] = f["severity"]
                if len(g["rows_fail"]) < TOP_N:
                    g["rows_fail"].append(_slim(f))
            else:
                g["unknown"] += 1
                g["unknown_pos"] = min(g["unknown_pos"], _sev_pos(f["severity"]))
                if g["fail"] == 0 and g["unknown"] == 1:
                    g["first"] = f
                if len(g["rows_unknown"]) < TOP_N:
                    g["rows_unknown"].append(_slim(f))
        for g in self.groups.values():
            g["first"] = _slim(g["first"])
            for rows in (g["rows_fail"], g["rows_unknown"]):  # the export's order; a list given in any order too
                rows.sort(key=lambda r: r["resource_key"] or "")
        self.units = _units(data)
        self.before_by_rule: Counter = Counter()
        self.before_total = 0
        if data.previous is not None:  # joined on disk: the previous audit's FAILs can be a whole estate's
            kept, before = data.subjects.previous_fails(data.previous["failing"])
            self.rule_fail_kept.update(kept)
            self.fail_kept = sum(kept.values())
            self.before_by_rule.update(before)
            self.before_total = sum(before.values())

    def trend(self) -> dict[str, int] | None:
        if not self.has_previous:
            return None
        return {"new": self.fail_now - self.fail_kept, "resolved": self.before_total - self.fail_kept,
                "unchanged": self.fail_kept}

    def rule_trend(self, rule_id: str) -> dict[str, int] | None:
        if not self.has_previous:
            return None
        kept = self.rule_fail_kept[rule_id]
        return {"new": self.rule_fail_now[rule_id] - kept, "resolved": self.before_by_rule[rule_id] - kept,
                "unchanged": kept}


def _sev_pos(s: str) -> int:
    return _SEV_DESC.index(s) if s in _SEV_DESC else 9


def _slim(f: dict[str, Any]) -> dict[str, Any]:
    """What a report row shows of a finding (evidence clipped: the full text is in findings.json)."""
    return {"status": f["status"], "severity": f["severity"], "title": f.get("title"),
            "native_id": f.get("native_id"), "resource_key": f.get("resource_key"), "provider": f.get("provider"),
            "account": f.get("account"), "region": f.get("region"), "message": f.get("message"),
            "evidence": _clip(compact(f.get("evidence")), EVIDENCE_CHARS)}


def _sev_counts(counter: Counter) -> str:
    cells = "".join(f'<td class="num">{_sev(s)} {counter.get(s, 0)}</td>' for s in _SEV_DESC)
    return f'<table class="sevrow"><tr>{cells}</tr></table>'


# ---- trend: the previous audit's stored findings ---------------------------------------------------

def _trend_pairs(now: set, before: set | None) -> dict[str, int] | None:
    if before is None:
        return None
    return {"new": len(now - before), "resolved": len(before - now), "unchanged": len(now & before)}


def _trend_text(t: dict[str, int] | None, missing: str = "no previous audit") -> str:
    if t is None:
        return f'<span class="trend empty">{escape(missing)}</span>'
    return (f'<span class="trend"><b class="t-new">+{t["new"]} new</b> \u00b7 '
            f'<b class="t-res">\u2212{t["resolved"]} resolved</b> \u00b7 {t["unchanged"]} unchanged</span>')


def _previous_drift(data: ExportData) -> set[tuple[str, str]] | None:
    if data.previous is None or data.previous.get("drift") is None:
        return None
    return {tuple(p) for p in data.previous["drift"]}  # type: ignore[misc]


def _no_drift_trend(data: ExportData) -> str:
    return "no previous audit" if data.previous is None else "previous drift not available"


def _drift_pairs(data: ExportData) -> set[tuple[str, str]]:
    return {(i["resource_key"], i["change"]) for i in data.drift.items}


@dataclass
class _Units:
    """The collection units in one streamed pass: counts, and the first not-complete ones shown."""

    total: int = 0
    not_ok: int = 0
    kinds: Counter = field(default_factory=Counter)  # status -> units not complete
    shown: list[dict[str, Any]] = field(default_factory=list)


def _units(data: ExportData) -> _Units:
    out = _Units()
    for u in data.units:
        out.total += 1
        if u.get("status") in ("ok", "empty"):
            continue
        out.not_ok += 1
        out.kinds[u["status"]] += 1
        if len(out.shown) < UNIT_ROWS:
            out.shown.append(u)
    return out


# ---- summary ---------------------------------------------------------------------------------------

def _summary(data: ExportData, scan: _Scan) -> str:
    n_fails, unknown = scan.status_counts.get("FAIL", 0), scan.status_counts.get("UNKNOWN", 0)
    providers, n_resources = data.placement.providers, data.placement.total
    units = scan.units
    ok_units = units.total - units.not_ok
    coverage = f"{ok_units}/{units.total}" if units.total else "n/a"
    residency = scan.residency_fails
    cross, external = scan_edges(data)
    prev = data.previous["snapshot_id"] if data.previous else None
    trend = scan.trend()
    cards = [
        _card(coverage, "collection units complete", "coverage", "bad" if units.not_ok else "good"),
        _card(units.not_ok, "units not collected (their resources are unknown)", "coverage",
              "bad" if units.not_ok else ""),
        _card(n_resources, "resources (" + ", ".join(f"{p} {n}" for p, n in sorted(providers.items())) + ")"),
        _card(n_fails, "failing findings", "findings", "bad" if n_fails else "good"),
        _card(unknown, "checks UNKNOWN (data not collected)", "findings"),
        _card(len(data.drift.items) if data.drift.available else "n/a",
              "drift items" if data.drift.available else "drift: no baseline", "drift"),
        _card(cross, f"cross-cloud trust edges ({external} external)",
              "trust-graph"),
        _card(residency, "residency violations", "residency", "bad" if residency else ""),
    ]
    drift_sev = Counter(i["severity"] for i in data.drift.items) if data.drift.available else None
    rows = [
        f"<tr><th>failing findings</th><td>{_sev_counts(scan.fail_sev)}</td>"
        f"<td>{_trend_text(trend)}</td></tr>",
        "<tr><th>drift</th><td>" + (_sev_counts(drift_sev) if drift_sev is not None else
                                    f'<span class="empty">{e(data.drift.reason or "no baseline")}</span>')
        + f"</td><td>{_trend_text(_trend_pairs(_drift_pairs(data), _previous_drift(data)), _no_drift_trend(data))}"
        "</td></tr>",
    ]
    notes = []
    if units.not_ok:
        notes.append(f'<p class="note"><a href="#coverage">{units.not_ok} collection units did not complete</a> ('
                     + ", ".join(f"{n} {e(k)}" for k, n in sorted(units.kinds.items()))
                     + "): resources there are unknown, never reported deleted, and their checks are UNKNOWN, "
                       "never PASS.</p>")
    if data.snapshot.get("status") == "partial":
        notes.append('<p class="note">This snapshot is <b>partial</b>: some collection units did not complete.</p>')
    since = f"since the previous audit (snapshot {e(prev)})" if prev is not None else "since the previous audit"
    table = (f'<table class="overview"><thead><tr><th></th><th>by severity</th><th>{since}</th></tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table>')
    return _section("summary", f'<div class="cards">{"".join(cards)}</div>{table}{"".join(notes)}')


def _heat(n: int, top: int) -> str:
    if n == 0:
        return "heat0"
    return "heat3" if n * 3 > top * 2 else "heat2" if n * 3 > top else "heat1"


# ---- findings grouped by rule ----------------------------------------------------------------------

def _findings(data: ExportData, scan: _Scan) -> str:
    clouds = [p for p in PROVIDERS if p in scan.providers] or list(PROVIDERS)
    clouds += sorted({p or "none" for p in scan.providers} - set(PROVIDERS) - {None})
    grid = scan.grid
    top = max(grid.values(), default=0)
    matrix_rows = []
    for s in _SEV_DESC:
        cells = [f'<span class="{_heat(grid[(s, c)], top)}">{grid[(s, c)]}</span>' for c in clouds]
        matrix_rows.append([_sev(s), *cells, str(sum(grid[(s, c)] for c in clouds))])
    matrix = _table(["severity", *clouds, "total"], matrix_rows, table_id="severity-by-cloud",
                    numeric=range(1, len(clouds) + 2))
    status_counts = scan.status_counts
    groups = scan.groups
    resolved_rules = sorted(set(scan.before_by_rule) - set(groups))

    def rank(g: dict[str, Any]) -> tuple:
        worst = min(_sev_pos(g["sev"]) if g["fail"] else 9, g["unknown_pos"])
        return (worst, -g["fail"])

    blocks = []
    budget = REPORT_ITEMS  # rows across all groups beyond each group's first GROUP_MIN
    for rule_id, g in sorted(groups.items(), key=lambda kv: (rank(kv[1]), kv[0])):
        rule = data.rule(rule_id)
        n_fail, total = g["fail"], g["fail"] + g["unknown"]
        fs = (g["rows_fail"] + g["rows_unknown"])[:TOP_N]
        shown = min(len(fs), max(GROUP_MIN, min(TOP_N, budget)))
        budget = max(0, budget - shown)
        fs = fs[:shown]
        sev = g["first"]["severity"] if n_fail == 0 else g["sev"]
        trend = scan.rule_trend(rule_id)
        rows = [[_status(f["status"]), f'<span class="mono">{e(f["native_id"] or f["resource_key"])}</span>',
                 f'{e(f["provider"])} <span class="mono">{e(f["account"])} / {e(f["region"])}</span>',
                 e(f["message"]) + f'<details><summary>evidence</summary><code>{e(f["evidence"])}</code>'
                 "</details>"] for f in fs]
        body = ""
        if rule.get("remediation"):
            body += f'<p><b>Remediation:</b> {e(rule["remediation"])}</p>'
        body += _table(["status", "resource", "cloud / account / region", "message"], rows)
        body += _more(len(fs), total, "findings.csv / findings.json")
        blocks.append(
            f'<details class="group" id="rule-{e(rule_id)}" data-severity="{_sev_pos(sev)}"'
            f' data-count="{total}" data-name="{e(rule_id)}"><summary>{_sev(sev)} <code>{e(rule_id)}</code> '
            f'{e(rule.get("title") or g["first"].get("title"))} <span class="count">{n_fail} FAIL'
            f'{f", {total - n_fail} UNKNOWN" if total > n_fail else ""}</span> {_trend_text(trend)}</summary>'
            f"{body}</details>")
    tools = ('<div class="tools"><input class="filter" type="search" placeholder="Filter rules and resources" '
             'data-target="finding-groups" aria-label="Filter findings"> <label>sort <select class="sorter" '
             'data-target="finding-groups" aria-label="Sort findings"><option value="severity">severity</option>'
             '<option value="count">count</option><option value="name">rule id</option></select></label></div>')
    listing = (tools + f'<div id="finding-groups" class="groups">{"".join(blocks)}</div>') if blocks else \
        '<p class="empty">No failing or unknown checks.</p>'
    if resolved_rules:
        listing += ("<p>Rules with no failure left since the previous audit: "
                    + ", ".join(f"<code>{e(r)}</code>" for r in resolved_rules) + ".</p>")
    counts = (f'{status_counts.get("FAIL", 0)} FAIL, {status_counts.get("UNKNOWN", 0)} UNKNOWN, '
              f'{status_counts.get("PASS", 0)} PASS')
    return _section("findings", f"<p>{counts} checks. Failing checks by severity and cloud:</p>" + matrix
                    + "<h3>Failing and unknown checks, by rule</h3>" + listing, counts)


# ---- drift grouped by severity ---------------------------------------------------------------------

def _change_lines(item: dict[str, Any]) -> str:
    elements = item.get("element_changes") or []
    lists = {el["path"] for el in elements}
    sign = {"added": ("add", "+"), "removed": ("del", "\u2212")}
    lines = [f'<li class="{sign.get(el["op"], sign["added"])[0]}"><code>{sign.get(el["op"], sign["added"])[1]} '
             f'{e(el["text"])}</code> <span class="empty">{e(el["path"])}</span></li>' for el in elements[:20]]
    for c in item.get("changes") or []:
        if any(c["path"] == p or c["path"].startswith(p + "[") or c["path"].startswith(p + ".") for p in lists):
            continue  # already shown element by element
        before, after = _clip(compact(c["before"])), _clip(compact(c["after"]))
        lines.append(f'<li><code>{e(c["path"])}</code>: <code>{e(before)}</code> \u2192 <code>{e(after)}</code></li>')
    return f'<ul class="changes">{"".join(lines[:30])}</ul>' if lines else ""


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit] + "\u2026"


def _drift(data: ExportData) -> str:
    d = data.drift
    if not d.available:
        return _section("drift", f'<p class="note">No baseline: drift was not computed ({e(d.reason)}). '
                                 "Approve a baseline to track drift.</p>", "no baseline")
    counts = Counter(i["change"] for i in d.items)
    trend = _trend_pairs(_drift_pairs(data), _previous_drift(data))
    trend_html = _trend_text(trend, _no_drift_trend(data))
    head = (f"<p>Baseline <b>{e(baseline_label(data))}</b>: "
            + ", ".join(f"{n} {e(c)}" for c, n in sorted(counts.items())) + f". {trend_html}</p>") if d.items \
        else f'<p>Baseline <b>{e(baseline_label(data))}</b>: <span class="empty">no drift.</span></p>'
    by_sev: dict[str, list[dict[str, Any]]] = {}
    for i in d.items:
        by_sev.setdefault(i["severity"], []).append(i)
    blocks = []
    for sev in _SEV_DESC:
        items = by_sev.get(sev) or []
        if not items:
            continue
        rows = [[e(i["change"]), e(i["provider"]), e(i["type"]),
                 f'<span class="mono">{e(i["native_id"] or i["resource_key"])}</span>', _change_lines(i)]
                for i in items[:TOP_N]]
        blocks.append(f'<details class="group" id="drift-{sev}" {"open" if sev in ("critical", "high") else ""}>'
                      f'<summary>{_sev(sev)} <span class="count">{len(items)} item(s)</span></summary>'
                      + _table(["change", "cloud", "type", "resource", "what changed"], rows)
                      + _more(min(len(items), TOP_N), len(items), "drift.csv / drift.json") + "</details>")
    return _section("drift", head + "".join(blocks), f"{len(d.items)} item(s)")


# ---- coverage --------------------------------------------------------------------------------------

def _coverage(data: ExportData, scan: "_Scan") -> str:
    units = scan.units
    if not units.total:
        return _section("coverage", '<p class="empty">No collection units are recorded for this snapshot.</p>')
    if not units.not_ok:
        return _section("coverage", f"<p>All {units.total} collection units completed.</p>", "complete")
    rows = [[_status(u["status"].upper()), f'<span class="mono">{e(u["unit_key"])}</span>', e(u.get("error") or "")]
            for u in units.shown]
    body = (f"<p>{units.not_ok} of {units.total} units did not complete: what they hold is unknown (never "
            "reported as deleted) and checks on it are UNKNOWN.</p>"
            + _table(["status", "unit (provider|account|region|type)", "reason"], rows, table_id="coverage-table")
            + _more(len(units.shown), units.not_ok, "the units of `auditor units SNAPSHOT`"))
    return _section("coverage", body, f"{units.not_ok} not collected")

def scan_edges(data: ExportData) -> tuple[int, int]:
    """(cross-cloud, external) trust edge counts, one streamed pass."""
    cross = external = 0
    for t in data.trust_edges:
        cross += bool(t["cross_cloud"])
        external += bool(t["external"])
    return cross, external


def _top_edges(data: ExportData) -> list[dict[str, Any]]:
    """The REPORT_ITEMS edges the report draws: cross-cloud and external ones first, then the
    rest, each in the export's order (two streamed passes, never the whole list)."""
    out = [t for t in _first(data.trust_edges, lambda t: t["cross_cloud"] or t["external"], REPORT_ITEMS)]
    if len(out) < REPORT_ITEMS:
        out += _first(data.trust_edges, lambda t: not (t["cross_cloud"] or t["external"]), REPORT_ITEMS - len(out))
    key = lambda t: (t["source_key"], t["trusted_provider"], t["trusted_id"], t["edge_id"])  # noqa: E731
    return sorted(out, key=key)


def _first(items: Iterable[dict[str, Any]], keep: Any, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for t in items:
        if len(out) >= n:
            break
        if keep(t):
            out.append(t)
    return out


def _trust(data: ExportData) -> str:
    legend = ('<p class="legend"><span><i></i>trust within a cloud</span><span><i class="cross"></i>cross-cloud</span>'
              '<span><i class="ext"></i>principal outside the declared estate</span></p>')
    edges = _top_edges(data)
    rows = [[e(t["mechanism"]), f'{e(t["trusted_provider"])} {e(t["trusted_kind"])}<br><span class="mono">'
             f'{e(t["trusted_id"])}</span>', f'<span class="mono">{e(t["source_key"])}</span>',
             e(t["conditions"]) or '<span class="empty">none</span>', "yes" if t["cross_cloud"] else "",
             "yes" if t["external"] else ""] for t in edges]
    total = len(data.trust_edges)
    label = f"All {len(rows)} trust edges as a table" if len(rows) == total else \
        f"{len(rows)} of {total} trust edges (cross-cloud and external first) as a table"
    table = (f"<details><summary>{label}</summary>"
             + _table(["mechanism", "trusted principal", "trusting identity", "conditions", "cross-cloud", "external"],
                      rows, table_id="trust-table") + "</details>") if rows else ""
    more = _more(len(rows), total, "trust_edges.csv / trust_edges.json")
    return _section("trust-graph", legend + more + f'<div class="graph-wrap">{trust_graph_svg(edges)}</div>' + table)


def _residency(data: ExportData, scan: _Scan) -> str:
    by_loc, loc_of, fail_by_loc = data.placement.by_location, data.placement.location_of, data.placement.residency_fails
    rows = [[f"<b>{e(loc)}</b>", *(str(c.get(p, 0)) for p in PROVIDERS), str(sum(c.values())), str(fail_by_loc[loc])]
            for loc, c in sorted(by_loc.items())]
    table = _table(["jurisdiction", *PROVIDERS, "resources", "residency violations"], rows,
                   table_id="residency-table", numeric=range(1, len(PROVIDERS) + 3)) if rows else \
        '<p class="empty">No resources in this snapshot.</p>'
    frows = [[_sev(f["severity"]), _status(f["status"]), e(loc_of(f["resource_key"])),
              f'<span class="mono">{e(f["native_id"] or f["resource_key"])}</span>', e(f["message"]),
              f'<code>{e(f["evidence"])}</code>']
             for f in scan.residency]
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
            first = islice(chain(((k, "FAIL") for k in c.failing), ((k, "UNKNOWN") for k in c.unknown_resources)),
                           CONTROL_RESOURCES)  # the lists may stream from disk: read the first few only
            items = "".join(f'<li class="mono">{e(k)} ({s})</li>' for k, s in first)
            n = len(c.failing) + len(c.unknown_resources)
            if n > CONTROL_RESOURCES:
                items += f'<li class="empty">showing {CONTROL_RESOURCES} of {n}; the full list is in frameworks.csv</li>'
            res = f"<details><summary>{len(c.failing) + len(c.unknown_resources)} resources</summary><ul>{items}</ul></details>"
        rows.append([e(c.framework), f"<b>{e(c.control)}</b>", _status(c.status), str(c.failed), str(c.unknown),
                     str(c.passed), _bar(c), "<br>".join(f"<code>{e(r)}</code>" for r in c.rules), res])
    controls = _table(["framework", "control", "status", "fail", "unknown", "pass", "", "rules", "resources"], rows,
                      table_id="framework-controls", numeric=(3, 4, 5))
    return _section("frameworks", summary + controls)


def _compliance(data: ExportData) -> str:
    """Counts per status per CIS version, and which controls fail: compact by design (the
    per-control rows with reasons and resources are in compliance.csv / compliance.json)."""
    from auditor.exports.compliance_view import STATUSES, summarise

    results = data.compliance
    if not results:
        return _section("compliance", '<p class="empty">No CIS framework table is installed.</p>')
    failing: dict[str, list[str]] = {}
    for r in results:
        if r.status == "FAIL":
            failing.setdefault(r.framework, []).append(r.control)
    rows = []
    for s in summarise(results):
        ids = failing.get(s["framework"], [])
        shown = ", ".join(e(c) for c in ids[:TOP_N]) + (f" (+{len(ids) - TOP_N} more)" if len(ids) > TOP_N else "")
        rows.append([f'{e(s["framework"])} <span class="empty">{e(s["title"])}</span>', str(s["controls"]),
                     *(str(s[k]) for k in STATUSES), shown])
    table = _table(["framework", "controls", *(k.lower().replace("_", " ") for k in STATUSES), "failing controls"], rows,
                   table_id="compliance-summary", numeric=range(1, len(STATUSES) + 2))
    note = ('<p class="note">UNKNOWN: a mapped rule could not judge a resource or its inputs were not collected; '
            "never counted as PASS. Each control's status, reason and resources: compliance.csv / compliance.json; "
            "<code>auditor compliance --framework KEY</code> in a terminal.</p>")
    total_fail = sum(len(v) for v in failing.values())
    return _section("compliance", table + note, f"{total_fail} controls failing" if total_fail else "")


def _ml_platform(data: ExportData, scan: _Scan | None = None) -> str:
    """The ML rules side by side, FAIL per cloud, each linking to its group in the findings."""
    by_rule: dict[str, Counter] = {}
    if scan is not None:
        by_rule = scan.ml_by_rule
    else:
        for f in data.findings:
            if f["rule_id"].startswith(ML_RULE_PREFIXES) and f["status"] != "PASS":
                key = f["provider"] if f["status"] == "FAIL" else "UNKNOWN"
                by_rule.setdefault(f["rule_id"], Counter())[key] += 1
    if not by_rule:
        return _section("ml-platform", '<p class="empty">No failing or unknown ML platform checks.</p>')
    rows = [[f'<a href="#rule-{e(rid)}"><code>{e(rid)}</code></a>', e(data.rule(rid).get("title") or ""),
             *(str(c.get(p, 0)) for p in PROVIDERS), str(c.get("UNKNOWN", 0))]
            for rid, c in sorted(by_rule.items())]
    fails = sum(n for c in by_rule.values() for k, n in c.items() if k != "UNKNOWN")
    table = _table(["rule", "title", *(f"{p} FAIL" for p in PROVIDERS), "UNKNOWN"], rows, table_id="ml-table",
                   numeric=range(2, len(PROVIDERS) + 3))
    return _section("ml-platform", "<p>Notebooks, models and endpoints, training jobs, clusters, registries and "
                    "functions, judged by the same rules on every cloud.</p>" + table,
                    f"{fails} failing" if fails else "")


def render_report(data: ExportData) -> str:
    snap = data.snapshot
    title = f"Posture audit report \u2014 snapshot {data.snapshot_id}"
    nav = "".join(f'<a href="#{s}">{escape(SECTION_TITLES[s])}</a>' for s in SECTIONS)
    from auditor.terraform.report import coverage_section_html  # a separate section, only for Terraform baselines

    iac = coverage_section_html(data.drift.iac_coverage, baseline_label(data))
    scan = _Scan(data)  # one pass over the findings for every section
    body = "".join((_summary(data, scan), _findings(data, scan), _ml_platform(data, scan), _drift(data), iac, _trust(data),
                    _residency(data, scan), _coverage(data, scan),
                    _compliance(data), _frameworks(data)))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{escape(csp(JS), quote=False)}">'
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
