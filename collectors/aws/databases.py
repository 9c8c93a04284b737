"""RDS instances, clusters and snapshots: data stores, so they carry the storage facets
(public, encrypted, key, locations, replica_locations) and existing storage rules judge them.

A snapshot is public when its ``restore`` attribute holds ``all``; other account ids there
are cross-account shares (``shared_with``).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, tags_dict
from collectors.aws.errors import DetailFailures
from collectors.aws.kms import KeyManagers
from collectors.aws.listing import GONE, detail, ok, pages


def _region_of_arn(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 4 and parts[3] else None


def _key(keys: KeyManagers, ctx: AwsUnitContext, encrypted: bool | None, kms: str | None) -> dict[str, Any]:
    manager = keys.of(kms, ctx.region) if encrypted and kms else None
    return {"encrypted": encrypted, "key_management": manager if encrypted else None,
            "kms_key": kms if encrypted and manager == "customer" else None}


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _availability(db: dict[str, Any]) -> dict[str, Any]:
    """Multi-AZ standby and automatic minor upgrades (CIS RDS controls); None when the API omits them.
    A cluster member's availability is its cluster's: it carries no multi_az of its own."""
    out = {"auto_minor_version_upgrade": _bool(db.get("AutoMinorVersionUpgrade")),
           "multi_az": _bool(db.get("MultiAZ"))}
    if db.get("DBInstanceIdentifier") and db.get("DBClusterIdentifier"):
        del out["multi_az"]
    return out


def collect_instances(ctx: AwsUnitContext) -> Iterator[Resource]:
    keys = KeyManagers(ctx)
    for db in pages(ctx, "rds", "describe_db_instances", "DBInstances"):
        replicas = [r for r in [_region_of_arn(a) for a in db.get("ReadReplicaDBInstanceIdentifiers") or []
                                if str(a).startswith("arn:")] if r and r != ctx.region]
        public = db.get("PubliclyAccessible")
        yield ctx.resource(
            native_id=db.get("DBInstanceArn") or ctx.arn("rds", f"db:{db['DBInstanceIdentifier']}"),
            name=db["DBInstanceIdentifier"], config={k: v for k, v in db.items() if k != "TagList"},
            tags=tags_dict(db.get("TagList")),
            facets={
                # Never readable without credentials; PubliclyAccessible puts the endpoint on the internet.
                "public": False,
                "public_reasons": [],
                "public_network_access": None if public is None else bool(public),
                **_key(keys, ctx, db.get("StorageEncrypted"), db.get("KmsKeyId")),
                "locations": [ctx.region],
                "replica_locations": sorted(set(replicas)),
                **_availability(db),
            },
        )


def collect_clusters(ctx: AwsUnitContext) -> Iterator[Resource]:
    keys = KeyManagers(ctx)
    for cl in pages(ctx, "rds", "describe_db_clusters", "DBClusters"):
        replicas = [r for r in (_region_of_arn(a) for a in cl.get("ReadReplicaIdentifiers") or []) if r and r != ctx.region]
        public = cl.get("PubliclyAccessible")
        yield ctx.resource(
            native_id=cl.get("DBClusterArn") or ctx.arn("rds", f"cluster:{cl['DBClusterIdentifier']}"),
            name=cl["DBClusterIdentifier"], config={k: v for k, v in cl.items() if k != "TagList"},
            tags=tags_dict(cl.get("TagList")),
            facets={
                "public": False, "public_reasons": [],
                "public_network_access": None if public is None else bool(public),
                **_key(keys, ctx, cl.get("StorageEncrypted"), cl.get("KmsKeyId")),
                "locations": [ctx.region],
                "replica_locations": sorted(set(replicas)),
                **_availability(cl),
            },
        )


def snapshot_sharing(attributes: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Facets from a snapshot's ``restore`` attribute (None when it could not be read)."""
    if attributes is None:
        return {"public": None, "public_reasons": [], "shared_with": None}
    values = sorted({v for a in attributes if a.get("AttributeName") == "restore" for v in a.get("AttributeValues") or []})
    public = "all" in values
    return {"public": public, "public_reasons": ["restore:all"] if public else [],
            "shared_with": [v for v in values if v != "all"]}


def _collect_snapshots(ctx: AwsUnitContext, *, method: str, key: str, id_key: str, arn_key: str, arn_kind: str,
                       attr_call: Callable[[Any, str], list[dict[str, Any]]], enc_key: str,
                       ) -> Iterator[Resource]:
    failures, keys = DetailFailures(), KeyManagers(ctx)
    rds = ctx.client("rds")
    for snap in pages(ctx, "rds", method, key, SnapshotType="manual"):
        sid = snap[id_key]
        attrs = detail(failures, f"{sid} snapshot attributes", lambda: attr_call(rds, sid))
        if attrs is GONE:
            continue
        sharing = snapshot_sharing(attrs if ok(attrs) else None)
        yield ctx.resource(
            native_id=snap.get(arn_key) or ctx.arn("rds", f"{arn_kind}:{sid}"), name=sid,
            config={k: v for k, v in snap.items() if k != "TagList"}, tags=tags_dict(snap.get("TagList")),
            facets={**sharing, **_key(keys, ctx, snap.get(enc_key), snap.get("KmsKeyId")),
                    "locations": [ctx.region], "replica_locations": []},
        )
    failures.raise_if_any()


def collect_snapshots(ctx: AwsUnitContext) -> Iterator[Resource]:
    """Manual snapshots: automated ones cannot be shared."""
    yield from _collect_snapshots(
        ctx, method="describe_db_snapshots", key="DBSnapshots", id_key="DBSnapshotIdentifier",
        arn_key="DBSnapshotArn", arn_kind="snapshot", enc_key="Encrypted",
        attr_call=lambda rds, sid: rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=sid)
        ["DBSnapshotAttributesResult"].get("DBSnapshotAttributes") or [])


def collect_cluster_snapshots(ctx: AwsUnitContext) -> Iterator[Resource]:
    yield from _collect_snapshots(
        ctx, method="describe_db_cluster_snapshots", key="DBClusterSnapshots", id_key="DBClusterSnapshotIdentifier",
        arn_key="DBClusterSnapshotArn", arn_kind="cluster-snapshot", enc_key="StorageEncrypted",
        attr_call=lambda rds, sid: rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=sid)
        ["DBClusterSnapshotAttributesResult"].get("DBClusterSnapshotAttributes") or [])
