"""IaC coverage as data and as a small, self-contained HTML section for the report.

The HTML report's owner wires ``coverage_section_html`` in as its own section; every value
is escaped (account and type strings come from clouds and states, both hostile input).
"""

from __future__ import annotations

from html import escape
from typing import Any, Sequence

SECTION_ID = "iac-coverage"
SECTION_TITLE = "IaC coverage (Terraform)"


def coverage_section_html(coverage: Sequence[dict[str, Any]] | None, baseline: str | None = None) -> str:
    """``<section>`` with one row per provider/account/type; empty string when there is no coverage."""
    if not coverage:
        return ""
    rows = []
    for c in coverage:
        share = "" if c.get("share") is None else f"{100 * float(c['share']):.0f}%"
        rows.append("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in (
            c.get("provider"), c.get("account"), c.get("type"), c.get("managed"), c.get("resources"), share)) + "</tr>")
    total = sum(int(c.get("resources") or 0) for c in coverage)
    managed = sum(int(c.get("managed") or 0) for c in coverage)
    head = "".join(f"<th>{h}</th>" for h in ("provider", "account", "type", "managed", "resources", "share"))
    note = f" against {escape(baseline)}" if baseline else ""
    return (f'<section id="{SECTION_ID}"><h2>{SECTION_TITLE}</h2>'
            f"<p>{managed} of {total} collected resources are declared by a Terraform state{note}.</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")
