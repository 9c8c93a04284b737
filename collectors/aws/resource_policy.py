"""Resource policies (ECR, Lambda, Secrets Manager): canonical document plus the public facets."""

from __future__ import annotations

from typing import Any

from collectors.aws import policy


def policy_facets(document: Any, label: str, malformed: list[str]) -> tuple[Any, list[str]]:
    """(canonical document or None, public reasons) for a resource policy JSON text."""
    doc = policy.canonical_or_note(document, label, malformed) if document else None
    return doc, [f"policy:Principal * ({sid})" for sid in policy.public_statements(doc)]
