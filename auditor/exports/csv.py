"""CSV for spreadsheets: one row per thing, plain columns rather than JSON blobs.

Tags become one ``k=v; k2=v2`` column, facets become ``facet.<name>`` columns, framework
mappings become one ``framework.<key>`` column per framework, and drift gets one row per
changed attribute path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from auditor.exports.files import JoinedCell, cell_text, flatten, scalar_text, write_csv
from auditor.exports.gather import ExportData

FILES = ("inventory.csv", "findings.csv", "drift.csv", "trust_edges.csv", "frameworks.csv", "compliance.csv")

INVENTORY_COLUMNS = (
    "resource_key", "provider", "account", "region", "location", "category", "type", "native_id", "name",
    "state", "content_hash", "tags",
)
FINDING_COLUMNS = (
    "finding_id", "rule_id", "title", "severity", "status", "provider", "account", "region", "resource_key",
    "native_id", "message", "frameworks",
)
DRIFT_COLUMNS = (
    "baseline", "resource_key", "native_id", "provider", "account", "region", "type", "change", "severity",
    "path", "before", "after",
)
TRUST_EDGE_COLUMNS = (
    "edge_id", "source_key", "source_provider", "mechanism", "trusted_kind", "trusted_id", "trusted_provider",
    "cross_cloud", "external", "conditions", "details",
)
FRAMEWORK_COLUMNS = (
    "framework", "control", "status", "pass", "fail", "unknown", "rules", "failing_resources",
    "unknown_resources", "passing_resources",
)

COMPLIANCE_COLUMNS = (
    "framework", "control", "title", "status", "automation", "upstream", "rules", "reason", "failing_count",
    "unknown_count", "pass_count", "failing_resources",
)
RESOURCE_CAP = 50  # resource keys per cell in compliance.csv/json; counts stay exact, findings.* has all


def baseline_label(data: ExportData) -> str:
    b = data.drift.baseline
    if not data.drift.available or b is None:
        return data.drift.reason or "no baseline"
    name, version, ident = b.get("name"), b.get("version"), b.get("id")
    if name and version is not None:
        return f"{name}@{version}"
    return f"{name or 'baseline'} (id {ident})"


def _inventory(data: ExportData) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Columns from a first pass over the facets, then the rows as a stream (second pass)."""
    facet_cols = {f"facet.{k}" for r in data.resources for k in flatten(r.get("facets") or {})}

    def rows() -> Iterator[dict[str, Any]]:
        for r in data.resources:
            row = {c: r.get(c) for c in INVENTORY_COLUMNS}
            for k, v in flatten(r.get("facets") or {}).items():
                row[f"facet.{k}"] = v
            yield row

    return [*INVENTORY_COLUMNS, *sorted(facet_cols)], rows()


def _findings(data: ExportData) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Columns from a first pass (frameworks and evidence keys), then the rows as a stream."""
    frameworks_seen: set[str] = set()
    evidence_seen: set[str] = set()
    for f in data.findings:
        frameworks_seen.update(f["frameworks"])
        evidence_seen.update(f"evidence.{k}" for k in flatten(f.get("evidence") or {}, depth=1))
    frameworks = sorted(frameworks_seen)

    def rows() -> Iterator[dict[str, Any]]:
        for f in data.findings:
            row = {c: f.get(c) for c in FINDING_COLUMNS}
            row["frameworks"] = [f"{fw} {c}" for fw, cs in f["frameworks"].items() for c in cs]
            for fw in frameworks:
                row[f"framework.{fw}"] = f["frameworks"].get(fw, [])
            rule = data.rule(f["rule_id"])
            row["remediation"] = rule.get("remediation")
            for k, v in flatten(f.get("evidence") or {}, depth=1).items():
                row[f"evidence.{k}"] = v
            yield row

    return [*FINDING_COLUMNS, *(f"framework.{fw}" for fw in frameworks), "remediation", *sorted(evidence_seen)], rows()


def drift_rows(data: ExportData) -> Iterator[dict[str, Any]]:
    label = baseline_label(data)
    if not data.drift.available:
        yield {"baseline": label}
        return
    for item in data.drift.items:
        base = {c: item.get(c) for c in DRIFT_COLUMNS if c in item}
        base["baseline"] = label
        if not item["changes"]:
            yield base
        for ch in item["changes"]:
            yield {**base, "path": ch["path"], "before": scalar_text(ch["before"]), "after": scalar_text(ch["after"])}


def write(data: ExportData, out_dir: Path) -> list[str]:
    inv_cols, inv_rows = _inventory(data)
    f_cols, f_rows = _findings(data)
    return [
        write_csv(out_dir, "inventory.csv", inv_cols, inv_rows),
        write_csv(out_dir, "findings.csv", f_cols, f_rows),
        write_csv(out_dir, "drift.csv", DRIFT_COLUMNS, drift_rows(data)),
        write_csv(out_dir, "trust_edges.csv", TRUST_EDGE_COLUMNS, data.trust_edges),
        write_csv(out_dir, "frameworks.csv", FRAMEWORK_COLUMNS,  # resource lists streamed cell by cell
                  ({**c.as_dict(JoinedCell), "rules": list(c.rules)} for c in data.controls)),
        write_csv(out_dir, "compliance.csv", COMPLIANCE_COLUMNS, (c.as_dict(RESOURCE_CAP) for c in data.compliance)),
    ]


__all__ = ["FILES", "write", "baseline_label", "cell_text"]
