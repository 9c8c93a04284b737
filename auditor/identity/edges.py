"""A trust edge: the trusting resource, the identity it trusts, and the conditions of that trust.

Nodes are plain strings: a resource key when the identity is a resource of the snapshot
(so chains can continue through it), otherwise a typed id such as ``oidc|gitlab.com`` or
``aws.account|999988887777``. ``source_node``/``trusted_node`` live in ``details`` because
the ``trust_edges`` table (owned by the store) has no columns for them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from auditor.canonical import canonical_json

CLOUDS = ("aws", "gcp", "azure")


@dataclass(slots=True)
class TrustEdge:
    source_key: str  # resource key of the trusting resource (role, provider, SA, FIC, assignment)
    source_provider: str
    mechanism: str  # aws_oidc, aws_saml, aws_google, aws_cognito, aws_cross_account, aws_public, ...
    trusted_kind: str  # oidc_issuer, aws_account, aws_principal, gcp_service_account, wif_principal_set, ...
    trusted_id: str
    trusted_provider: str  # aws | gcp | azure | github | gitlab | terraform | oidc | any
    conditions: dict[str, Any] = field(default_factory=dict)
    external: bool = False
    source_node: str = ""
    trusted_node: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def cross_cloud(self) -> bool:
        return self.trusted_provider in CLOUDS and self.trusted_provider != self.source_provider

    @property
    def edge_id(self) -> str:
        """Stable across snapshots: the same trust relationship hashes to the same id."""
        ident = canonical_json({"s": self.source_key, "m": self.mechanism, "k": self.trusted_kind,
                                "t": self.trusted_id, "c": self.conditions})
        return hashlib.sha256(ident.encode()).hexdigest()[:32]

    def as_dict(self) -> dict[str, Any]:
        return {
            "edge_id": self.edge_id, "source_key": self.source_key, "source_provider": self.source_provider,
            "mechanism": self.mechanism, "trusted_kind": self.trusted_kind, "trusted_id": self.trusted_id,
            "trusted_provider": self.trusted_provider, "conditions": self.conditions,
            "cross_cloud": self.cross_cloud, "external": self.external,
            "details": {**self.details, "source_node": self.source_node or self.source_key,
                        "trusted_node": self.trusted_node or f"{self.trusted_kind}|{self.trusted_id}"},
        }

    def conditions_text(self) -> str:
        """One line for tables and DOT labels."""
        parts = []
        for k, v in sorted(self.conditions.items()):
            if v in (None, [], {}, ""):
                continue
            parts.append(f"{k}={v}" if not isinstance(v, list) else f"{k}={','.join(map(str, v))}")
        return "; ".join(parts) or "(no conditions)"
