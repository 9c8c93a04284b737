"""EFS file systems: data stores, so they carry the storage facets (encryption at rest, its key,
location). File-system policies and mount targets are not read here."""

from __future__ import annotations

from typing import Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, paginate, tags_dict
from collectors.aws.kms import KeyManagers


def collect_file_systems(ctx: AwsUnitContext) -> Iterator[Resource]:
    keys = KeyManagers(ctx)
    for fs in paginate(ctx.client("efs"), "describe_file_systems", "FileSystems"):
        encrypted = fs.get("Encrypted") if isinstance(fs.get("Encrypted"), bool) else None
        kms = fs.get("KmsKeyId") if encrypted else None
        manager = keys.of(kms, ctx.region) if kms else ("provider" if encrypted else None)
        # SizeInBytes and NumberOfMountTargets move by themselves: kept out of config.
        cfg = {k: v for k, v in fs.items() if k not in ("Tags", "SizeInBytes", "NumberOfMountTargets")}
        yield ctx.resource(
            native_id=fs.get("FileSystemArn") or ctx.arn("elasticfilesystem", f"file-system/{fs['FileSystemId']}"),
            name=fs.get("Name") or fs["FileSystemId"], config=cfg, tags=tags_dict(fs.get("Tags")),
            facets={"encrypted": encrypted, "key_management": manager if encrypted else None,
                    "kms_key": kms if manager == "customer" else None, "locations": [ctx.region]})
