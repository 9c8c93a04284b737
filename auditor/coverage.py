"""Collection coverage: how much of the planned estate a run actually saw.

Why it is part of the verdict: a run whose every unit was denied or timed out has zero
findings and zero drift, which would otherwise read as "clean". Coverage counts units per
provider and per account, and the configured floor turns too little of it into exit 3.

What counts: a unit is *successful* when the cloud answered it completely (``ok`` or
``empty``); ``skipped`` units (API disabled, region not enabled) are complete too, but prove
nothing about resources, so they are left out of both sides of the ratio; every other
status (``denied``, ``error`` incl. timeouts, ``throttled``) is planned but not successful.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

SUCCESS = ("ok", "empty")
SKIPPED = "skipped"


@dataclass
class Tally:
    planned: int = 0  # skipped units excluded
    ok: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1
        if status == SKIPPED:
            return
        self.planned += 1
        if status in SUCCESS:
            self.ok += 1

    @property
    def ratio(self) -> float:
        return self.ok / self.planned if self.planned else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "planned": self.planned, "ratio": round(self.ratio, 4),
                "units": dict(sorted(self.by_status.items()))}


@dataclass
class Coverage:
    total: Tally = field(default_factory=Tally)
    providers: dict[str, Tally] = field(default_factory=dict)
    accounts: dict[tuple[str, str], Tally] = field(default_factory=dict)

    @classmethod
    def of(cls, units: Iterable[tuple[str, str, str]]) -> "Coverage":
        """From (provider, account, status) triples."""
        cov = cls()
        for provider, account, status in units:
            status = getattr(status, "value", status)
            cov.total.add(status)
            cov.providers.setdefault(provider, Tally()).add(status)
            cov.accounts.setdefault((provider, account), Tally()).add(status)
        return cov

    @classmethod
    def of_results(cls, results: Iterable[Any]) -> "Coverage":
        """From collectors.runner.UnitResult objects."""
        return cls.of((r.unit.provider, r.unit.account, r.status) for r in results)

    def line(self) -> str:
        """One line for terminals and chat: 'coverage 12/40 units (aws 12/20, azure 0/20)'."""
        per = ", ".join(f"{p} {t.ok}/{t.planned}" for p, t in sorted(self.providers.items()))
        return f"coverage {self.total.ok}/{self.total.planned} units" + (f" ({per})" if per else "")

    def breaches(self, floor: Any) -> list[str]:
        """Why coverage is below ``floor`` (config audit.coverage_floor); empty when it is not."""
        out: list[str] = []
        if floor is None:
            return out
        if self.total.planned == 0 and not self.total.by_status:
            out.append("no collection unit was planned")
        if floor.provider_without_success:
            for p, t in sorted(self.providers.items()):
                if t.planned and t.ok == 0:
                    states = ", ".join(f"{n} {s}" for s, n in sorted(t.by_status.items()))
                    out.append(f"{p}: no unit succeeded ({states})")
        if floor.account_fully_denied:
            for (p, a), t in sorted(self.accounts.items()):
                if t.planned and t.by_status.get("denied", 0) == t.planned:
                    out.append(f"{p} account {a}: every unit denied ({t.planned})")
        if self.total.planned and self.total.ratio < floor.min_ratio:
            out.append(f"coverage {self.total.ok}/{self.total.planned} is below the floor {floor.min_ratio:.0%}")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.total.as_dict(),
            "providers": {p: t.as_dict() for p, t in sorted(self.providers.items())},
            "accounts": [{"provider": p, "account": a, **t.as_dict()} for (p, a), t in sorted(self.accounts.items())],
        }
