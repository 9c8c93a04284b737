"""Inline CSS and JS of the HTML report (kept in Python so a plain ``pip install`` ships them)."""

from __future__ import annotations

# Only inline styles/scripts and data: images may load: the report never fetches anything.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
       "base-uri 'none'; form-action 'none'")

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
@media print { nav, .filter { display: none; } section { break-inside: avoid; } }
"""

# Progressive enhancement only: every section is complete without JS.
JS = """
(function () {
  'use strict';
  var inputs = document.querySelectorAll('input.filter[data-target]');
  Array.prototype.forEach.call(inputs, function (input) {
    var table = document.getElementById(input.getAttribute('data-target'));
    if (!table) { return; }
    input.addEventListener('input', function () {
      var q = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.style.display = (!q || row.textContent.toLowerCase().indexOf(q) !== -1) ? '' : 'none';
      });
    });
  });
  document.documentElement.setAttribute('data-report-ready', '1');
}());
"""
