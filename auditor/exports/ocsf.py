"""OCSF 1.x events built and validated with the maintained ``py-ocsf-models`` package.

* every check finding  -> Compliance Finding (class_uid 2003), compliance.status_id
  Pass / Fail / Warning (OCSF: "did not yield a result due to missing information" = UNKNOWN);
* every drift item     -> Detection Finding (class_uid 2004);
* every framework control (the framework view) -> one Compliance Finding per control whose
  resources are the evaluated resources, in a separate file so a SIEM does not double count.

Events are constructed as pydantic models (so a wrong field fails at export time) and
dumped with ``exclude_none``; ``validate_event`` proves a dumped event round-trips.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from auditor.exports.files import Spliced, placeholder, write_json, write_json_list
from auditor.exports.gather import ExportData

FILES = ("findings.ocsf.json", "drift.ocsf.json", "frameworks.ocsf.json")

PRODUCT_NAME = "auditor"
VENDOR_NAME = "cloud-posture-auditor"

_SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
_COMPLIANCE_STATUS = {"PASS": 1, "UNKNOWN": 2, "FAIL": 3}  # OCSF compliance status_id
_ACCOUNT_KIND = {"aws": ("AWS Account", 10), "gcp": ("GCP Project", 99), "azure": ("Azure Subscription", 99)}


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000) if iso else 0


def _models():  # type: ignore[no-untyped-def]
    """Import lazily: OCSF is optional for every other format."""
    from py_ocsf_models import OCSF_VERSION
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding

    return OCSF_VERSION, ComplianceFinding, DetectionFinding


def _metadata(data: ExportData, uid: str, event_code: str, labels: list[str]) -> dict[str, Any]:
    from py_ocsf_models import OCSF_VERSION

    return {
        "uid": uid, "event_code": event_code, "version": OCSF_VERSION, "labels": labels,
        "correlation_uid": f"snapshot:{data.snapshot_id}",
        "product": {"name": PRODUCT_NAME, "vendor_name": VENDOR_NAME, "version": data.tool_version},
    }


def _resource(provider: str | None, account: str | None, region: str | None, type_: str | None,
              native_id: str | None, resource_key: str | None, name: str | None = None) -> dict[str, Any]:
    return {
        "uid": native_id or resource_key, "name": name, "type": type_, "region": region,
        "cloud_partition": provider, "data": {"resource_key": resource_key, "account": account, "provider": provider},
    }


def compliance_event(data: ExportData, f: dict[str, Any]) -> dict[str, Any]:
    _, ComplianceFinding, _ = _models()
    rule = data.rule(f["rule_id"])
    status_id = _COMPLIANCE_STATUS.get(f["status"], 0)
    sev = _SEVERITY_IDS.get(f["severity"], 0)
    time_ms = _epoch_ms(data.snapshot_time)
    requirements = [f"{fw} {c}" for fw, cs in f["frameworks"].items() for c in cs]
    event = {
        "activity_id": 1, "activity_name": "Create", "type_uid": 200301, "type_name": "Compliance Finding: Create",
        "time": time_ms, "severity_id": sev, "severity": f["severity"].capitalize(),
        "status_id": 1, "status": "New", "message": f["message"],
        "metadata": _metadata(data, f["finding_id"], f["rule_id"], ["posture"]),
        "finding_info": {"uid": f["finding_id"], "title": f["title"], "desc": rule.get("rationale") or f["message"],
                         "types": ["Residency" if f["rule_id"].startswith("residency.") else "Posture"],
                         "created_time": time_ms},
        "compliance": {
            "control": f["rule_id"], "standards": sorted(f["frameworks"]), "requirements": requirements,
            "status_id": status_id,
            "checks": [{"uid": f["rule_id"], "name": f["title"], "severity": f["severity"].capitalize(),
                        "severity_id": sev, "status": f["status"], "status_id": status_id,
                        "standards": sorted(f["frameworks"])}],
        },
        "resources": [_resource(f["provider"], f["account"], f["region"], None, f["native_id"], f["resource_key"])],
        "evidences": [{"name": "evidence", "data": f["evidence"] or {}}],
        "unmapped": {"provider": f["provider"], "account": f["account"], "snapshot_id": data.snapshot_id},
    }
    if rule.get("remediation"):
        event["remediation"] = {"desc": str(rule["remediation"])}
    return ComplianceFinding.model_validate(event).model_dump(mode="json", exclude_none=True)


def detection_event(data: ExportData, item: dict[str, Any]) -> dict[str, Any]:
    _, _, DetectionFinding = _models()
    sev = _SEVERITY_IDS.get(item["severity"], 0)
    time_ms = _epoch_ms(data.snapshot_time)
    base = data.drift.baseline or {}
    uid = f"drift:{data.snapshot_id}:{item['change']}:{item['resource_key']}"
    label, type_id = _ACCOUNT_KIND.get(item["provider"] or "", ("Account", 99))
    event = {
        "activity_id": 1, "activity_name": "Create", "type_uid": 200401, "type_name": "Detection Finding: Create",
        "time": time_ms, "severity_id": sev, "severity": item["severity"].capitalize(),
        "status_id": 1, "status": "New",
        "message": f"{item['change']} since baseline {base.get('name')} v{base.get('version')}: {item['resource_key']}",
        "metadata": _metadata(data, uid, f"drift.{item['change']}", ["drift"]),
        "finding_info": {"uid": uid, "title": f"Drift ({item['change']}): {item['type']} {item['native_id']}",
                         "types": ["Drift", str(item["change"])], "created_time": time_ms},
        "cloud": {"provider": item["provider"] or "unknown", "region": item["region"],
                  "account": {"name": item["account"] or "", "uid": item["account"] or "", "type": label,
                              "type_id": type_id}},
        "resources": [_resource(item["provider"], item["account"], item["region"], item["type"], item["native_id"],
                                item["resource_key"])],
        "evidences": [{"name": "changes", "data": {"changes": item["changes"]}}],
        "unmapped": {"baseline": base, "snapshot_id": data.snapshot_id},
    }
    return DetectionFinding.model_validate(event).model_dump(mode="json", exclude_none=True)


def _control_resources(control: Any) -> Iterator[dict[str, Any]]:
    for status, keys in (("FAIL", control.failing), ("UNKNOWN", control.unknown_resources), ("PASS", control.passing)):
        for k in keys:
            yield {"uid": k, "data": {"status": status}}


_PROBE = {"uid": "probe", "data": {"status": "FAIL"}}


def spliced_control_event(data: ExportData, control: Any) -> Spliced:
    """``control_event`` with its resources (every resource of the control) streamed in when
    written: the event is validated with one probe resource, which the model must dump
    unchanged, as it dumps every resource of this shape."""
    event = control_event(data, control, resources=[_PROBE])
    if event.get("resources") != [_PROBE]:
        raise ValueError("the OCSF model changes a control's resources; they cannot be streamed")
    key = placeholder()
    return Spliced({**event, "resources": key}, {key: _control_resources(control)})


def control_event(data: ExportData, control: Any, resources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    _, ComplianceFinding, _ = _models()
    time_ms = _epoch_ms(data.snapshot_time)
    status_id = _COMPLIANCE_STATUS[control.status]
    uid = f"control:{data.snapshot_id}:{control.framework}:{control.control}"
    event = {
        "activity_id": 1, "activity_name": "Create", "type_uid": 200301, "type_name": "Compliance Finding: Create",
        "time": time_ms, "severity_id": 1 if control.status == "PASS" else 3,
        "status_id": 1, "status": "New",
        "message": f"{control.framework} {control.control}: {control.failed} fail, {control.unknown} unknown, "
                   f"{control.passed} pass",
        "metadata": _metadata(data, uid, "framework.control", ["framework-view"]),
        "finding_info": {"uid": uid, "title": f"{control.title} {control.control}", "types": ["Framework Control"],
                         "created_time": time_ms},
        "compliance": {"control": control.control, "standards": [control.framework], "status_id": status_id,
                       "checks": [{"uid": r} for r in control.rules]},
        "resources": list(_control_resources(control)) if resources is None else resources,
        "unmapped": {"pass": control.passed, "fail": control.failed, "unknown": control.unknown},
    }
    return ComplianceFinding.model_validate(event).model_dump(mode="json", exclude_none=True)


def write(data: ExportData, out_dir: Path) -> list[str]:
    return [
        write_json_list(out_dir, "findings.ocsf.json", (compliance_event(data, f) for f in data.findings)),
        write_json(out_dir, "drift.ocsf.json", [detection_event(data, i) for i in data.drift.items]),
        write_json_list(out_dir, "frameworks.ocsf.json", (spliced_control_event(data, c) for c in data.controls)),
    ]


def validate_event(event: dict[str, Any]) -> list[str]:
    """Problems with one dumped event: model validation errors, or fields the model drops."""
    from pydantic import ValidationError

    _, ComplianceFinding, DetectionFinding = _models()
    model = {2003: ComplianceFinding, 2004: DetectionFinding}.get(event.get("class_uid"))  # type: ignore[arg-type]
    if model is None:
        return [f"unsupported class_uid {event.get('class_uid')!r}"]
    try:
        again = model.model_validate(event).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        return [str(exc)]
    return [] if again == event else ["event changes when re-validated (unknown or mistyped fields)"]
