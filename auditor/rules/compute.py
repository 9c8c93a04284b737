"""Compute posture over the compute facets (instances and VMs, every cloud)."""

from __future__ import annotations

from typing import Any

from auditor.rules.facts import MISSING, facet, unknown
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, Result


@rule(id="compute.legacy_metadata", title="Instance metadata service allows legacy (v1) access", severity="medium",
      kind="posture", rationale="IMDSv1 / legacy metadata endpoints let SSRF bugs steal instance credentials.",
      remediation="Require IMDSv2 (HttpTokens=required) on AWS; disable legacy metadata endpoints on GCP.",
      categories=("compute",))
def legacy_metadata(res: Any, ctx: RuleContext) -> Result | None:
    v = facet(res, "legacy_metadata")
    if v is MISSING:
        return None
    if v is None:
        return unknown("metadata service configuration")
    return Result(FAIL, "legacy (v1) metadata access is allowed") if v else \
        Result(PASS, "only session-token metadata access")
