"""The residency policy: a classification per resource, and the jurisdictions it may live in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

ANYWHERE = "*"


@dataclass(frozen=True, slots=True)
class Place:
    """One location a copy lands in, resolved through the shipped region catalogue."""

    kind: str  # primary | replica | secondary | member | processing
    provider: str
    region: str | None  # as the cloud spells it; None when it could not be determined
    country: str | None  # ISO code, "EU" for an undisclosed EU multi-region, "MULTI", or None (unknown)
    in_eu: bool = False
    in_eea: bool = False
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "provider": self.provider, "region": self.region, "country": self.country,
                "in_eu": self.in_eu, "in_eea": self.in_eea, **({"note": self.note} if self.note else {})}


@dataclass(frozen=True, slots=True)
class ResidencyPolicy:
    classification_keys: tuple[str, ...]
    default_classification: str
    allowed: Mapping[str, frozenset[str]]

    @classmethod
    def from_config(cls, residency: Any) -> "ResidencyPolicy":
        keys = tuple(getattr(residency, "classification_keys", None) or ())
        default = str(getattr(residency, "default_classification", "internal") or "internal")
        allowed = {str(k).lower(): frozenset(str(j).strip().upper() for j in v)
                   for k, v in (getattr(residency, "allowed", None) or {}).items()}
        return cls(classification_keys=keys, default_classification=default.lower(), allowed=allowed)

    def classification(self, tags: Mapping[str, Any] | None) -> str:
        """First classification key found in tags/labels (keys compared case-insensitively)."""
        lowered = {str(k).lower(): v for k, v in (tags or {}).items()}
        for key in self.classification_keys:
            v = lowered.get(key.lower())
            if v not in (None, ""):
                return str(v).strip().lower()
        return self.default_classification

    def allowed_for(self, classification: str) -> frozenset[str] | None:
        """Allowed jurisdictions, or None when the policy says nothing about this classification."""
        return self.allowed.get(classification.lower())


def permits(allowed: frozenset[str], place: Place) -> bool | None:
    """Whether ``place`` is inside ``allowed``; None when the place is unknown."""
    if ANYWHERE in allowed:
        return True
    if place.country is None:
        return None
    c = place.country.upper()
    if c == "MULTI":
        return False  # spans several jurisdictions that cannot be pinned
    if c == "EU":  # an EU multi-region: some EU member state, which one is not disclosed
        return "EU" in allowed or "EEA" in allowed
    if c in allowed:
        return True
    if place.in_eu and ("EU" in allowed or "EEA" in allowed):
        return True
    return place.in_eea and "EEA" in allowed
