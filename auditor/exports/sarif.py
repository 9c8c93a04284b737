"""SARIF 2.1.0 log: check findings and drift as results, frameworks as taxonomies.

Cloud resources are not files, so results carry *logical* locations (the native id as the
fully qualified name). PASS results have kind "pass", UNKNOWN ones kind "open" (SARIF:
not enough information to decide), both with level "none". Each framework (CIS, SOC 2,
ISO 27001, GDPR) is a taxonomy whose taxa are controls with their pass/fail/unknown
counts, and rules point at the controls they implement through ``relationships``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from auditor.exports.files import placeholder, write_json_spliced
from auditor.exports.gather import ExportData

FILES = ("findings.sarif",)
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning reads "security-severity" (0.0-10.0) to rank results.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
_KIND = {"FAIL": "fail", "PASS": "pass", "UNKNOWN": "open"}
DRIFT_RULES = {
    "drift.added": "Resource added since the approved baseline",
    "drift.removed": "Resource removed since the approved baseline",
    "drift.modified": "Resource configuration changed since the approved baseline",
    "drift.unknown": "Resource state unknown (its collection unit did not complete)",
}


def _rules(data: ExportData) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for f in data.findings:
        if f["rule_id"] in seen:
            continue
        meta = data.rule(f["rule_id"])
        frameworks = meta.get("frameworks") or f["frameworks"]
        severity = meta.get("severity") or f["severity"]
        rule: dict[str, Any] = {
            "id": f["rule_id"],
            "shortDescription": {"text": meta.get("title") or f["title"]},
            "defaultConfiguration": {"level": _LEVEL.get(severity, "warning")},
            "properties": {"security-severity": _SECURITY_SEVERITY.get(severity, "0.0"), "severity": severity,
                           "tags": ["security", *sorted(frameworks)]},
        }
        if meta.get("rationale"):
            rule["fullDescription"] = {"text": str(meta["rationale"])}
        if meta.get("remediation"):
            rule["help"] = {"text": str(meta["remediation"])}
        rels = [{"target": {"id": c, "toolComponent": {"name": fw}}, "kinds": ["superset"]}
                for fw, cs in sorted(frameworks.items()) for c in cs]
        if rels:
            rule["relationships"] = rels
        seen[f["rule_id"]] = rule
    if data.drift.items:
        for rid, text in DRIFT_RULES.items():
            seen[rid] = {"id": rid, "shortDescription": {"text": text},
                         "defaultConfiguration": {"level": "warning"}, "properties": {"tags": ["drift"]}}
    return [seen[k] for k in sorted(seen)]


def _taxonomies(data: ExportData, lists: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Frameworks as taxonomies; with ``lists``, each resource list is a placeholder that
    ``lists`` maps to the list (streamed when written)."""
    def resources(keys: Any) -> Any:
        if lists is None:
            return list(keys)
        key = placeholder()
        lists[key] = keys
        return key

    by_fw: dict[str, list[Any]] = {}
    for c in data.controls:
        by_fw.setdefault(c.framework, []).append(c)
    return [
        {"name": fw, "fullName": controls[0].title,
         "taxa": [{"id": c.control, "properties": {"status": c.status, "pass": c.passed, "fail": c.failed,
                                                    "unknown": c.unknown, "rules": list(c.rules),
                                                    "failing_resources": resources(c.failing),
                                                    "unknown_resources": resources(c.unknown_resources)}}
                  for c in controls]}
        for fw, controls in sorted(by_fw.items())
    ]


def _location(native_id: str | None, resource_key: str | None, type_: str | None = None) -> dict[str, Any]:
    loc: dict[str, Any] = {"fullyQualifiedName": native_id or resource_key or "unknown", "kind": "resource"}
    if type_:
        loc["decoratedName"] = type_
    return {"logicalLocations": [loc]}


def _results(data: ExportData, index: dict[str, int]) -> Iterator[dict[str, Any]]:
    for f in data.findings:
        kind = _KIND.get(f["status"], "open")
        yield {
            "ruleId": f["rule_id"], "ruleIndex": index[f["rule_id"]], "kind": kind,
            "level": _LEVEL.get(f["severity"], "warning") if kind == "fail" else "none",
            "message": {"text": f["message"] or f["title"]},
            "locations": [_location(f["native_id"], f["resource_key"])],
            "partialFingerprints": {"auditorFindingId/v1": f["finding_id"]},
            "properties": {k: f[k] for k in ("severity", "status", "provider", "account", "region", "resource_key",
                                             "evidence", "frameworks")},
        }
    for item in data.drift.items:
        rid = f"drift.{item['change']}" if f"drift.{item['change']}" in index else "drift.unknown"
        paths = ", ".join(c["path"] for c in item["changes"][:10])
        yield {
            "ruleId": rid, "ruleIndex": index[rid], "kind": "fail", "level": _LEVEL.get(item["severity"], "warning"),
            "message": {"text": f"{item['change']}: {item['resource_key']}" + (f" ({paths})" if paths else "")},
            "locations": [_location(item["native_id"], item["resource_key"], item["type"])],
            "partialFingerprints": {"auditorDrift/v1": f"{item['change']}|{item['resource_key']}"},
            "properties": {k: item[k] for k in ("severity", "provider", "account", "region", "resource_key", "changes")},
        }


def sarif_log(data: ExportData, *, results: Any = None, lists: dict[str, Any] | None = None) -> dict[str, Any]:
    """The SARIF document; ``results`` replaces the results list and ``lists`` collects the
    taxa's resource lists behind placeholders (the writer streams both)."""
    rules = _rules(data)
    index = {r["id"]: i for i, r in enumerate(rules)}
    taxonomies = _taxonomies(data, lists)
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "auditor", "fullName": "Multi-cloud posture inventory and drift auditor",
            "version": data.tool_version, "semanticVersion": data.tool_version, "rules": rules,
            "supportedTaxonomies": [{"name": t["name"], "index": i} for i, t in enumerate(taxonomies)],
        }},
        "automationDetails": {"id": f"auditor/snapshot/{data.snapshot_id}"},
        "invocations": [{"executionSuccessful": True, **({"endTimeUtc": data.snapshot_time} if data.snapshot_time else {})}],
        "results": list(_results(data, index)) if results is None else results,
        "properties": {"snapshot": data.snapshot, "baseline": data.drift.baseline,
                       "drift": "ok" if data.drift.available else data.drift.reason},
    }
    if taxonomies:
        run["taxonomies"] = taxonomies
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def write(data: ExportData, out_dir: Path) -> list[str]:
    # The results (one per finding) are streamed into the place of a placeholder no data can spell.
    marker = placeholder()
    lists: dict[str, Any] = {}
    doc = sarif_log(data, results=marker, lists=lists)
    index = {r["id"]: i for i, r in enumerate(doc["runs"][0]["tool"]["driver"]["rules"])}
    return [write_json_spliced(out_dir, "findings.sarif", doc, {marker: _results(data, index), **lists})]
