"""Inline CSS and JS of the HTML report (kept in Python so a plain ``pip install`` ships them)."""

from __future__ import annotations

import base64
import hashlib

# Only inline styles, data: images and the one inline script whose SHA-256 the policy names
# may run: the report never fetches anything, and script injected through a cloud string
# (were escaping ever to fail) would not execute.
CSP_TEMPLATE = ("default-src 'none'; style-src 'unsafe-inline'; script-src '{script_hash}'; img-src data:; "
                "base-uri 'none'; form-action 'none'; connect-src 'none'")


def csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return CSP_TEMPLATE.format(script_hash=f"sha256-{digest}")

CSS = """
:root { --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f9fafb; --crit:#7f1d1d; --high:#dc2626;
        --medium:#d97706; --low:#2563eb; --info:#6b7280; --pass:#15803d; --fail:#dc2626; --unknown:#a16207; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; }
header { background: #111827; color: #fff; padding: 16px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: #d1d5db; font-size: 13px; }
nav { background: #1f2937; padding: 6px 28px; }
nav a { color: #e5e7eb; margin-right: 18px; text-decoration: none; font-size: 13px; }
main { padding: 10px 28px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
h2 { margin: 0 0 10px; font-size: 18px; }
h3 { margin: 14px 0 6px; font-size: 15px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid var(--line); text-align: left; padding: 4px 8px; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 170px; background: #fff; }
.card .n { font-size: 26px; font-weight: 700; }
.card .l { color: var(--muted); font-size: 12px; }
.sev { display: inline-block; padding: 0 6px; border-radius: 4px; color: #fff; font-size: 12px; font-weight: 600; }
.sev-critical { background: var(--crit); } .sev-high { background: var(--high); } .sev-medium { background: var(--medium); }
.sev-low { background: var(--low); } .sev-info { background: var(--info); }
.st { font-weight: 700; font-size: 12px; }
.st-PASS { color: var(--pass); } .st-FAIL { color: var(--fail); } .st-UNKNOWN { color: var(--unknown); }
.heat0 { color: #9ca3af; } .heat1 { background: #fee2e2; } .heat2 { background: #fca5a5; } .heat3 { background: #f87171; color: #fff; }
.empty { color: var(--muted); font-style: italic; }
.note { background: #fffbeb; border: 1px solid #fde68a; padding: 8px 12px; border-radius: 6px; }
details > summary { cursor: pointer; }
.filter { padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; width: 320px; margin-bottom: 6px; }
.graph-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fcfcfd; }
.trust-graph text { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; fill: #111827; }
.trust-graph text.tg-col { font: 600 13px system-ui, sans-serif; }
.trust-graph text.tg-group { font: 600 11px system-ui, sans-serif; fill: #6b7280; }
.tg-edge { fill: none; stroke: #6b7280; stroke-width: 1.3; }
.tg-edge.tg-cross { stroke: #dc2626; stroke-width: 2; }
.tg-edge.tg-external { stroke: #ea580c; stroke-dasharray: 5 3; }
.legend span { margin-right: 16px; font-size: 12px; }
.legend i { display: inline-block; width: 22px; height: 0; border-top: 2px solid #6b7280; vertical-align: middle; margin-right: 4px; }
.legend i.cross { border-color: #dc2626; } .legend i.ext { border-top: 2px dashed #ea580c; }
.bar { display: inline-block; height: 10px; background: var(--fail); vertical-align: middle; }
.bar.pass { background: var(--pass); } .bar.unknown { background: var(--unknown); }
footer { color: var(--muted); font-size: 12px; padding: 0 28px 24px; }
main { max-width: 1240px; }
section > details > summary { list-style: none; display: flex; align-items: baseline; gap: 12px; }
section > details > summary::before { content: "\\25BE"; color: var(--muted); }
section > details:not([open]) > summary::before { content: "\\25B8"; }
section > details > summary h2 { display: inline; margin: 0 0 6px; }
.sum { color: var(--muted); font-size: 13px; }
.card a { color: inherit; text-decoration: none; display: block; }
.card.bad { border-color: #fca5a5; } .card.bad .n { color: var(--fail); } .card.good .n { color: var(--pass); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(135px, 1fr)); gap: 10px; }
.cards .card { min-width: 0; }
table.overview { width: auto; margin-top: 12px; } table.overview th { background: none; text-align: left; }
table.sevrow { width: auto; margin: 0; } table.sevrow td { border: 0; padding: 0 8px 0 0; }
.trend { font-size: 12px; } .t-new { color: var(--fail); } .t-res { color: var(--pass); }
.group { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 4px 10px; }
.group > summary { padding: 2px 0; }
.count { color: var(--muted); font-size: 12px; margin-left: 6px; }
.more { color: var(--muted); font-size: 12px; font-style: italic; }
.tools { display: flex; gap: 12px; align-items: center; margin: 6px 0; }
ul.changes { margin: 0; padding-left: 16px; } ul.changes li.add code { color: #b91c1c; }
ul.changes li.del code { color: #15803d; }
th[data-sortable] { cursor: pointer; } th[data-sortable]::after { content: " \\2195"; color: var(--muted); }
td { overflow-wrap: anywhere; }
@media print {
  nav, .tools, .filter { display: none; }
  details > summary::before { content: "" !important; }
  details::details-content { content-visibility: visible; display: contents; }
  .group { break-inside: avoid; }
  body { background: #fff; }
}
"""

# Progressive enhancement only: every section is complete without JS. No fetch, no eval.
JS = """
(function () {
  'use strict';
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  // Filter: a table's rows, or a container's groups (<details class="group">), by their text.
  each(document.querySelectorAll('input.filter[data-target]'), function (input) {
    var target = document.getElementById(input.getAttribute('data-target'));
    if (!target) { return; }
    input.addEventListener('input', function () {
      var q = input.value.toLowerCase();
      var items = target.tBodies ? target.tBodies[0].rows : target.querySelectorAll(':scope > .group');
      each(items, function (item) {
        var hit = !q || item.textContent.toLowerCase().indexOf(q) !== -1;
        item.style.display = hit ? '' : 'none';
        if (hit && q && item.tagName === 'DETAILS') { item.open = true; }
      });
    });
  });
  // Sort groups by severity, count or name.
  each(document.querySelectorAll('select.sorter[data-target]'), function (sel) {
    var box = document.getElementById(sel.getAttribute('data-target'));
    if (!box) { return; }
    sel.addEventListener('change', function () {
      var key = sel.value;
      var groups = Array.prototype.slice.call(box.querySelectorAll(':scope > .group'));
      groups.sort(function (a, b) {
        if (key === 'count') { return Number(b.dataset.count) - Number(a.dataset.count); }
        if (key === 'name') { return a.dataset.name < b.dataset.name ? -1 : a.dataset.name > b.dataset.name ? 1 : 0; }
        return Number(a.dataset.severity) - Number(b.dataset.severity) || Number(b.dataset.count) - Number(a.dataset.count);
      });
      groups.forEach(function (g) { box.appendChild(g); });
    });
  });
  // Sort any table by a header click (numbers numerically).
  each(document.querySelectorAll('table:not(.overview) thead th'), function (th) {
    th.setAttribute('data-sortable', '1');
    th.addEventListener('click', function () {
      var table = th.closest('table'); var body = table.tBodies[0]; if (!body) { return; }
      var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
      var asc = th.getAttribute('data-dir') !== 'asc';
      th.setAttribute('data-dir', asc ? 'asc' : 'desc');
      var rows = Array.prototype.slice.call(body.rows);
      var val = function (r) { var t = (r.cells[idx] || {}).textContent || ''; var n = parseFloat(t);
                               return isNaN(n) || String(n) !== t.trim() ? t.toLowerCase() : n; };
      rows.sort(function (a, b) { var x = val(a), y = val(b); return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1); });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  // A link to a section or group opens it; printing opens everything.
  var reveal = function () {
    var el = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    while (el) { if (el.tagName === 'DETAILS') { el.open = true; } el = el.parentElement; }
    var s = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    var d = s && s.querySelector(':scope > details'); if (d) { d.open = true; }
  };
  window.addEventListener('hashchange', reveal); reveal();
  window.addEventListener('beforeprint', function () {
    each(document.querySelectorAll('details'), function (d) { d.setAttribute('data-was', d.open ? '1' : '0'); d.open = true; });
  });
  window.addEventListener('afterprint', function () {
    each(document.querySelectorAll('details[data-was]'), function (d) { d.open = d.getAttribute('data-was') === '1'; });
  });
  document.documentElement.setAttribute('data-report-ready', '1');
}());
"""
