"""Secrets Manager secrets: rotation, resource policy, key, replicas. Secret values are never
requested (no spec declares GetSecretValue) and version ids are not kept."""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, tags_dict
from collectors.aws.errors import DetailFailures
from collectors.aws.kms import KeyManagers
from collectors.aws.listing import GONE, detail, ok, pages
from collectors.aws.resource_policy import policy_facets

DROPPED = ("SecretVersionsToStages", "Tags", "LastAccessedDate", "LastChangedDate")


def collect_secrets(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures, keys = DetailFailures(), KeyManagers(ctx)
    sm = ctx.client("secretsmanager")
    for sec in pages(ctx, "secretsmanager", "list_secrets", "SecretList"):
        arn, name = sec["ARN"], sec.get("Name") or sec["ARN"]
        pol = detail(failures, f"{name} get_resource_policy", lambda: sm.get_resource_policy(SecretId=arn))
        if pol is GONE:
            continue
        malformed: list[str] = []
        doc, reasons = (policy_facets(pol.get("ResourcePolicy"), "ResourcePolicy", malformed) if ok(pol)
                        else (None, []))
        for m in malformed:
            ctx.note(f"secret {name}: malformed {m}")
        cfg: dict[str, Any] = {k: v for k, v in sec.items() if k not in DROPPED}
        cfg["ResourcePolicy"] = doc
        kms = sec.get("KmsKeyId")
        manager = keys.of(kms, ctx.region) if kms else "provider"  # no key: the aws/secretsmanager key
        replicas = sorted({r["Region"] for r in sec.get("ReplicationStatus") or [] if r.get("Region")})
        yield ctx.resource(
            native_id=arn, name=name, config=cfg, tags=tags_dict(sec.get("Tags")),
            facets={
                "public": (bool(reasons) if ok(pol) else (True if reasons else None)),
                "public_reasons": reasons,
                "encrypted": True,
                "key_management": manager,
                "kms_key": kms if manager == "customer" else None,
                "rotation": bool(sec.get("RotationEnabled")),
                "locations": [ctx.region],
                "replica_locations": [r for r in replicas if r != ctx.region],
            },
        )
    failures.raise_if_any()
