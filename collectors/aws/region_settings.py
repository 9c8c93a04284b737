"""Per-region security settings that exist whether or not anything was configured: AWS Config
recording, Security Hub, EBS encryption by default. One resource per account x region, so a
region where the service is off is a resource that fails its rule, not an absence."""

from __future__ import annotations

from typing import Any, Iterator

from botocore.exceptions import ClientError

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import error_code
from collectors.aws.listing import strip_meta

# Security Hub answers describe_hub with this code when the account never enabled it there.
HUB_NOT_ENABLED = frozenset({"InvalidAccessException"})
HUB_NOT_FOUND = frozenset({"ResourceNotFoundException"})


def recording(recorder: dict[str, Any], status: dict[str, Any] | None) -> bool:
    """A recorder CIS counts: recording now, every supported resource type, last delivery not failed."""
    group = recorder.get("recordingGroup") or {}
    all_types = bool(group.get("allSupported", True)) or \
        (group.get("recordingStrategy") or {}).get("useOnly") == "ALL_SUPPORTED_RESOURCE_TYPES"
    if not status:
        return False
    return bool(status.get("recording")) and all_types and str(status.get("lastStatus", "")).upper() != "FAILURE"


def collect_config_recorders(ctx: AwsUnitContext) -> Iterator[Resource]:
    client = ctx.client("config")
    recorders = client.describe_configuration_recorders().get("ConfigurationRecorders") or []
    statuses = client.describe_configuration_recorder_status().get("ConfigurationRecordersStatus") or []
    by_name = {s.get("name"): s for s in statuses}
    active = [r.get("name") for r in recorders if recording(r, by_name.get(r.get("name")))]
    status_view = [{k: v for k, v in s.items() if k in ("name", "recording", "lastStatus")} for s in statuses]
    yield ctx.resource(
        native_id=ctx.arn("config", "configuration-recorders"), name=f"config-{ctx.region}",
        config={"ConfigurationRecorders": recorders, "Status": status_view},
        facets={"config_recording": bool(active), "config_recorders": sorted(str(a) for a in active)},
    )


def collect_security_hub(ctx: AwsUnitContext) -> Iterator[Resource]:
    try:
        hub: dict[str, Any] | None = strip_meta(ctx.client("securityhub").describe_hub())
    except ClientError as exc:
        if error_code(exc) not in HUB_NOT_ENABLED | HUB_NOT_FOUND:
            raise
        hub = None
    config = {k: v for k, v in (hub or {}).items() if k not in ("SubscribedAt", "Tags")}
    yield ctx.resource(
        native_id=(hub or {}).get("HubArn") or ctx.arn("securityhub", "hub/default"), name=f"securityhub-{ctx.region}",
        config=config, tags=(hub or {}).get("Tags") or {}, facets={"securityhub_enabled": hub is not None},
    )


def collect_ebs_default_encryption(ctx: AwsUnitContext) -> Iterator[Resource]:
    ec2 = ctx.client("ec2")
    enabled = ec2.get_ebs_encryption_by_default().get("EbsEncryptionByDefault")
    yield ctx.resource(
        native_id=ctx.arn("ec2", "ebs-encryption-by-default"), name=f"ebs-default-encryption-{ctx.region}",
        config={"EbsEncryptionByDefault": enabled},
        facets={"ebs_default_encryption": None if enabled is None else bool(enabled)},
    )
