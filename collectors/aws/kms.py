"""Who manages an encryption key: AWS ("provider") or the customer. Only KMS knows, so each
distinct key is described once per unit; an unreadable key leaves the facet unknown (None)."""

from __future__ import annotations

import threading
from typing import Literal

from botocore.exceptions import ClientError

from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import error_code

KeyManager = Literal["provider", "customer"]


class KeyManagers:
    def __init__(self, ctx: AwsUnitContext) -> None:
        self.ctx = ctx
        self._cache: dict[tuple[str, str], KeyManager | None] = {}
        self._lock = threading.Lock()

    def of(self, key_id: str | None, region: str) -> KeyManager | None:
        if not key_id:
            return None
        if key_id.startswith("alias/aws/"):
            return "provider"
        k = (region, key_id)
        with self._lock:
            if k in self._cache:
                return self._cache[k]
        try:
            meta = self.ctx.client("kms", region).describe_key(KeyId=key_id).get("KeyMetadata") or {}
            manager: KeyManager | None = {"AWS": "provider", "CUSTOMER": "customer"}.get(meta.get("KeyManager", ""))
        except ClientError as exc:
            self.ctx.note(f"kms key {key_id}: key manager unknown ({error_code(exc)})")
            manager = None
        with self._lock:
            self._cache[k] = manager
        return manager
