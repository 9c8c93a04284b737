"""Container platforms: ECR repositories (a store of images: storage facets) and EKS clusters
and node groups (compute, with the cluster facets of auditor/facets.py)."""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import DetailFailures
from collectors.aws.kms import KeyManagers
from collectors.aws.listing import detail, ok, pages
from collectors.aws.resource_policy import policy_facets

ANYWHERE = "0.0.0.0/0"


def collect_ecr_repositories(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures, keys = DetailFailures(), KeyManagers(ctx)
    ecr = ctx.client("ecr")
    for repo in pages(ctx, "ecr", "describe_repositories", "repositories"):
        name, arn = repo["repositoryName"], repo["repositoryArn"]
        pol = detail(failures, f"{name} get_repository_policy",
                     lambda: ecr.get_repository_policy(repositoryName=name),
                     absent=frozenset({"RepositoryPolicyNotFoundException"}))
        if not ok(pol) and pol is not None:
            policy_known = False
            doc, reasons = None, []
        else:
            policy_known = True
            malformed: list[str] = []
            doc, reasons = policy_facets((pol or {}).get("policyText"), "RepositoryPolicy", malformed)
            for m in malformed:
                ctx.note(f"ecr repository {name}: malformed {m}")
        tags = detail(failures, f"{name} list_tags_for_resource",
                      lambda: ecr.list_tags_for_resource(resourceArn=arn).get("tags") or [])
        enc = repo.get("encryptionConfiguration") or {}
        kms = enc.get("kmsKey")
        manager = keys.of(kms, ctx.region) if kms else ("provider" if enc.get("encryptionType") else None)
        cfg = {**repo, "RepositoryPolicy": doc}
        yield ctx.resource(
            native_id=arn, name=name, config=cfg,
            tags={t.get("Key"): t.get("Value") for t in tags} if ok(tags) else {},
            facets={
                "public": (bool(reasons) if policy_known else None),
                "public_reasons": reasons,
                "encrypted": bool(enc.get("encryptionType")) if enc else True,  # ECR always encrypts (AES256)
                "key_management": manager or "provider",
                "kms_key": kms if manager == "customer" else None,
                "tag_immutable": (repo.get("imageTagMutability") or "MUTABLE").startswith("IMMUTABLE"),
                "scan_on_push": bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush")),
                "locations": [ctx.region],
                "replica_locations": None,  # registry replication is not read (ecr:DescribeRegistry)
            },
        )
    failures.raise_if_any()


def cluster_facets(cluster: dict[str, Any]) -> dict[str, Any]:
    vpc = cluster.get("resourcesVpcConfig") or {}
    public = vpc.get("endpointPublicAccess")
    cidrs = vpc.get("publicAccessCidrs")
    if public and cidrs is None:
        cidrs = [ANYWHERE]  # EKS's default when none are given
    logs = sorted({t for entry in (cluster.get("logging") or {}).get("clusterLogging") or []
                   if entry.get("enabled") for t in entry.get("types") or []})
    secrets = any("secrets" in (e.get("resources") or []) for e in cluster.get("encryptionConfig") or [])
    return {
        "endpoint_public": None if public is None else bool(public),
        "endpoint_public_cidrs": sorted(cidrs) if public else [],
        "secrets_encrypted": secrets,
        "control_plane_logs": logs,
        "version": cluster.get("version"),
        "identity": cluster.get("roleArn"),
        "state": cluster.get("status"),
        "locations": [],
    }


def collect_eks_clusters(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    eks = ctx.client("eks")
    for name in pages(ctx, "eks", "list_clusters", "clusters"):
        got = detail(failures, f"{name} describe_cluster", lambda: eks.describe_cluster(name=name)["cluster"])
        if not ok(got):
            continue
        cfg = {k: v for k, v in got.items() if k != "tags"}
        facets = cluster_facets(got)
        facets["locations"] = [ctx.region]
        yield ctx.resource(native_id=got.get("arn") or ctx.arn("eks", f"cluster/{name}"), name=name, config=cfg,
                           tags=got.get("tags") or {}, facets=facets)
    failures.raise_if_any()


def collect_eks_nodegroups(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    eks = ctx.client("eks")
    for cluster in pages(ctx, "eks", "list_clusters", "clusters"):
        for name in pages(ctx, "eks", "list_nodegroups", "nodegroups", clusterName=cluster):
            got = detail(failures, f"{cluster}/{name} describe_nodegroup",
                         lambda: eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"])
            if not ok(got):
                continue
            remote = got.get("remoteAccess") or {}
            yield ctx.resource(
                native_id=got.get("nodegroupArn") or ctx.arn("eks", f"nodegroup/{cluster}/{name}"),
                name=f"{cluster}/{name}", config={k: v for k, v in got.items() if k != "tags"},
                tags=got.get("tags") or {},
                facets={"identity": got.get("nodeRole"), "state": got.get("status"), "locations": [ctx.region],
                        "network_groups": sorted(remote.get("sourceSecurityGroups") or [])},
            )
    failures.raise_if_any()

