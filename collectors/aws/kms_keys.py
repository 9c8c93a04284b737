"""KMS keys per region: who manages each, its state and spec, automatic rotation for the keys
that can rotate (customer-managed, enabled, symmetric), and the key policy. The policy is stored
canonical under ``KeyPolicy``, where the identity layer reads cross-account principals as trust
edges (``auditor.identity.extract_aws.RESOURCE_POLICIES``)."""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.aws import policy
from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import DetailFailures
from collectors.aws.listing import GONE, detail, ok, pages

SYMMETRIC = "SYMMETRIC_DEFAULT"
# Keys KMS refuses to answer rotation for (imported material, custom key stores): not applicable.
ROTATION_UNSUPPORTED = frozenset({"UnsupportedOperationException"})


def can_rotate(meta: dict[str, Any]) -> bool:
    """Keys CIS requires rotation on: customer-managed, enabled, symmetric, KMS-generated material."""
    return (meta.get("KeyManager") == "CUSTOMER" and meta.get("KeyState") == "Enabled"
            and (meta.get("KeySpec") or meta.get("CustomerMasterKeySpec")) == SYMMETRIC
            and meta.get("Origin", "AWS_KMS") == "AWS_KMS")


def collect_keys(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    kms = ctx.client("kms")
    for item in pages(ctx, "kms", "list_keys", "Keys"):
        key_id = item["KeyId"]
        meta = detail(failures, f"{key_id} describe_key", lambda: kms.describe_key(KeyId=key_id))
        if meta is GONE:
            continue
        meta = ((meta or {}).get("KeyMetadata") or {}) if ok(meta) else {}
        rotation: bool | None = None
        if meta and can_rotate(meta):
            resp = detail(failures, f"{key_id} get_key_rotation_status",
                          lambda: kms.get_key_rotation_status(KeyId=key_id), absent=ROTATION_UNSUPPORTED,
                          default={})
            rotation = bool(resp.get("KeyRotationEnabled")) if ok(resp) and resp else None
        doc = detail(failures, f"{key_id} get_key_policy", lambda: kms.get_key_policy(KeyId=key_id, PolicyName="default"))
        if doc is GONE:
            continue
        malformed: list[str] = []
        key_policy = policy.canonical_or_note(doc.get("Policy"), "KeyPolicy", malformed) if ok(doc) else None
        manager = {"AWS": "provider", "CUSTOMER": "customer"}.get(meta.get("KeyManager", ""))
        config = {k: v for k, v in meta.items() if k not in ("AWSAccountId",)}
        config["KeyPolicy"] = key_policy
        config["KeyRotationEnabled"] = rotation
        yield ctx.resource(
            native_id=item.get("KeyArn") or meta.get("Arn") or ctx.arn("kms", f"key/{key_id}"),
            name=key_id, config=config,
            facets={
                "key_manager": manager,
                "key_state": meta.get("KeyState"),
                "key_spec": meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
                "rotatable": can_rotate(meta) if meta else None,
                "key_rotation": rotation,
                "malformed": malformed,
            },
        )
    failures.raise_if_any()
