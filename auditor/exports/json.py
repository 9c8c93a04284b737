"""JSON export: the same content as the CSV files, with nested values kept nested.

Every file is one object ``{"schema": "auditor-export/1", "kind", "snapshot", "count",
"items"}`` (see auditor/exports/README.md for each kind's item fields). Keys are sorted
and items ordered by stable ids, so the bytes depend only on the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from auditor.exports.files import Spliced, placeholder, write_json, write_json_items
from auditor.exports.compliance_view import summarise
from auditor.exports.csv import RESOURCE_CAP
from auditor.exports.framework_view import framework_summary
from auditor.exports.gather import ExportData

SCHEMA = "auditor-export/1"
FILES = ("inventory.json", "findings.json", "drift.json", "trust_edges.json", "frameworks.json", "compliance.json")


def _doc(data: ExportData, kind: str, items: list[Any], **extra: Any) -> dict[str, Any]:
    return {"schema": SCHEMA, "kind": kind, "snapshot": data.snapshot, "count": len(items), "items": items, **extra}


def findings_items(data: ExportData) -> Iterator[dict[str, Any]]:
    for f in data.findings:
        rule = data.rule(f["rule_id"])
        yield {**f, "rationale": rule.get("rationale"), "remediation": rule.get("remediation")}


def spliced_control(control: Any) -> Spliced:
    """A framework control's item with its resource lists streamed in when written."""
    lists: dict[str, Any] = {}

    def mark(subjects: Any) -> str:
        key = placeholder()
        lists[key] = subjects
        return key

    return Spliced(control.as_dict(mark), lists)


def drift_doc(data: ExportData) -> dict[str, Any]:
    d = data.drift
    return _doc(data, "drift", d.items, baseline=d.baseline,
                status="ok" if d.available else "no baseline", reason=None if d.available else d.reason)


def write(data: ExportData, out_dir: Path) -> list[str]:
    controls = data.controls
    return [
        write_json_items(out_dir, "inventory.json",  # streamed: the inventory can be the whole estate
                         {"schema": SCHEMA, "kind": "inventory", "snapshot": data.snapshot,
                          "count": len(data.resources)}, data.resources),
        write_json_items(out_dir, "findings.json",  # streamed, as the inventory
                         {"schema": SCHEMA, "kind": "findings", "snapshot": data.snapshot,
                          "count": len(data.findings)}, findings_items(data)),
        write_json(out_dir, "drift.json", drift_doc(data)),
        write_json_items(out_dir, "trust_edges.json",
                         {"schema": SCHEMA, "kind": "trust_edges", "snapshot": data.snapshot,
                          "count": len(data.trust_edges)}, data.trust_edges),
        write_json_items(out_dir, "frameworks.json",  # each control's resource lists streamed from disk
                         {"schema": SCHEMA, "kind": "frameworks", "snapshot": data.snapshot, "count": len(controls),
                          "summary": framework_summary(controls)}, (spliced_control(c) for c in controls)),
        write_json(out_dir, "compliance.json", _doc(data, "compliance", [c.as_dict(RESOURCE_CAP) for c in data.compliance],
                                                    summary=summarise(data.compliance))),
    ]
