"""What an Azure collect function receives: its unit, the client factory and the subscription."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from collectors.runner import UnitContext

if TYPE_CHECKING:
    from collectors.azure.clients import AzureClients


@dataclass
class AzureContext:
    unit: UnitContext
    clients: "AzureClients"
    subscription_id: str

    def client(self, kind: str) -> Any:
        """An SDK client for this subscription whose HTTP attempts count towards the unit."""
        return self.clients.client(kind, self.subscription_id, count=self.unit.calls.add)

    @property
    def scope(self) -> str:
        return f"/subscriptions/{self.subscription_id}"
