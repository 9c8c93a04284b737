"""EBS snapshots and AMIs owned by the account: disk images are data stores, so they carry the
storage facets. Public = ``createVolumePermission``/``launchPermission`` holds the group ``all``;
account ids there are cross-account shares (``shared_with``)."""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, tags_dict
from collectors.aws.errors import DetailFailures
from collectors.aws.kms import KeyManagers
from collectors.aws.listing import GONE, detail, ok, pages


def permission_facets(perms: list[dict[str, Any]] | None, attribute: str) -> dict[str, Any]:
    if perms is None:
        return {"public": None, "public_reasons": [], "shared_with": None}
    public = any(p.get("Group") == "all" for p in perms)
    shared = sorted({p["UserId"] for p in perms if p.get("UserId")}
                    | {p["OrganizationArn"] for p in perms if p.get("OrganizationArn")}
                    | {p["OrganizationalUnitArn"] for p in perms if p.get("OrganizationalUnitArn")})
    return {"public": public, "public_reasons": [f"{attribute}:all"] if public else [], "shared_with": shared}


def _key(keys: KeyManagers, ctx: AwsUnitContext, encrypted: bool, kms: str | None) -> dict[str, Any]:
    manager = (keys.of(kms, ctx.region) if kms else None) if encrypted else None
    return {"encrypted": encrypted, "key_management": manager,
            "kms_key": kms if manager == "customer" else None}


def collect_snapshots(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures, keys = DetailFailures(), KeyManagers(ctx)
    ec2 = ctx.client("ec2")
    for snap in pages(ctx, "ec2", "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        sid = snap["SnapshotId"]
        perms = detail(failures, f"{sid} describe_snapshot_attribute",
                       lambda: ec2.describe_snapshot_attribute(SnapshotId=sid, Attribute="createVolumePermission")
                       .get("CreateVolumePermissions") or [])
        if perms is GONE:
            continue
        tags = tags_dict(snap.get("Tags"))
        encrypted = bool(snap.get("Encrypted"))
        yield ctx.resource(
            native_id=ctx.arn("ec2", f"snapshot/{sid}", account=""), name=tags.get("Name") or sid,
            config={k: v for k, v in snap.items() if k not in ("Tags", "Progress")}, tags=tags,
            facets={**permission_facets(perms if ok(perms) else None, "createVolumePermission"),
                    **_key(keys, ctx, encrypted, snap.get("KmsKeyId")),
                    "locations": [ctx.region], "replica_locations": []},
        )
    failures.raise_if_any()


def collect_images(ctx: AwsUnitContext) -> Iterator[Resource]:
    """AMIs owned by the account, with their launch permissions and backing snapshots' encryption."""
    failures = DetailFailures()
    ec2 = ctx.client("ec2")
    for img in pages(ctx, "ec2", "describe_images", "Images", Owners=["self"], page_size=0):
        iid = img["ImageId"]
        perms = detail(failures, f"{iid} describe_image_attribute",
                       lambda: ec2.describe_image_attribute(ImageId=iid, Attribute="launchPermission")
                       .get("LaunchPermissions") or [])
        if perms is GONE:
            continue
        facets = permission_facets(perms if ok(perms) else None, "launchPermission")
        if facets["public"] is None and img.get("Public") is True:
            facets.update(public=True, public_reasons=["launchPermission:all"])
        ebs = [b["Ebs"] for b in img.get("BlockDeviceMappings") or [] if b.get("Ebs")]
        tags = tags_dict(img.get("Tags"))
        yield ctx.resource(
            native_id=ctx.arn("ec2", f"image/{iid}", account=""), name=img.get("Name") or iid,
            config={k: v for k, v in img.items() if k != "Tags"}, tags=tags,
            facets={**facets,
                    "encrypted": all(bool(e.get("Encrypted")) for e in ebs) if ebs else None,
                    "key_management": None, "kms_key": None,
                    "locations": [ctx.region], "replica_locations": []},
        )
    failures.raise_if_any()
