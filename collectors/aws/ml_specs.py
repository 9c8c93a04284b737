"""Specs for the ML platform and the data stores around it (issue 16): SageMaker, ECR, EKS,
RDS, Lambda, Secrets Manager, EBS snapshots and AMIs. Registered in ``specs.SPECS``."""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.aws import containers, databases, ebs, lambda_, sagemaker, secrets
from collectors.aws.policy import DOC_UNORDERED
from collectors.aws.refs import S3_CALLS, S3_PERMISSIONS
from collectors.spec import ResourceSpec

KMS = ("kms:describe_key",), ("kms:DescribeKey",)
SM_TAGS = ("sagemaker:list_tags",), ("sagemaker:ListTags",)
# Fields a job or endpoint changes on its own while it runs: not drift.
JOB_VOLATILE = ("config.LastModifiedTime", "config.SecondaryStatus", "config.SecondaryStatusTransitions",
                "config.TrainingEndTime", "config.ProcessingEndTime", "config.BillableTimeInSeconds",
                "config.TrainingTimeInSeconds", "config.FinalMetricDataList", "config.ProfilingStatus",
                "config.WarmPoolStatus", "config.ProfilerRuleEvaluationStatuses")
SOURCES = ("facets.artifact_sources", "facets.data_sources", "facets.images", "facets.artifact_locations",
           "facets.input_locations", "facets.output_locations", "facets.image_registries")


def _doc(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}.{p}" for p in DOC_UNORDERED)


def _sm(type_: str, list_call: str, *details: str, s3: bool = False, kms: bool = False,
        volatile: tuple[str, ...] = ("config.LastModifiedTime",), unordered: tuple[str, ...] = (),
        tags: bool = True, collect, doc: str = "") -> ResourceSpec:  # type: ignore[no-untyped-def]
    calls = [f"sagemaker:{list_call}", *(f"sagemaker:{d}" for d in details), *(SM_TAGS[0] if tags else ())]
    perms = [f"sagemaker:{''.join(p.title() for p in c.split(':')[1].split('_'))}" for c in calls]
    if s3:
        calls += S3_CALLS
        perms += S3_PERMISSIONS
    if kms:
        calls += KMS[0]
        perms += KMS[1]
    return ResourceSpec(provider="aws", type=type_, category="compute", service="sagemaker",
                        list_call=calls[0], detail_calls=tuple(calls[1:]), permissions=tuple(sorted(set(perms))),
                        hash_rules=HashRules(volatile=volatile, unordered=(*SOURCES, *unordered)),
                        collect=collect, doc=doc)


ML_SPECS: tuple[ResourceSpec, ...] = (
    # ---- SageMaker --------------------------------------------------------------------------
    _sm("aws.sagemaker.notebook_instance", "list_notebook_instances", "describe_notebook_instance", kms=True,
        volatile=("config.LastModifiedTime", "config.Url"), collect=sagemaker.collect_notebook_instances,
        doc="Notebook instances: direct internet access, root access, role, VPC, volume key."),
    _sm("aws.sagemaker.domain", "list_domains", "describe_domain", kms=True, tags=False, collect=sagemaker.collect_domains,
        doc="Studio domains: app network access type (public internet or VPC only), default role."),
    _sm("aws.sagemaker.user_profile", "list_domains", "list_user_profiles", "describe_user_profile",
        collect=sagemaker.collect_user_profiles, doc="Studio user profiles per domain: execution role."),
    _sm("aws.sagemaker.model", "list_models", "describe_model", s3=True, collect=sagemaker.collect_models,
        doc="Models: container images (digest when pinned), model data URLs resolved, isolation, VPC, role."),
    _sm("aws.sagemaker.endpoint_config", "list_endpoint_configs", "describe_endpoint_config", kms=True,
        collect=sagemaker.collect_endpoint_configs, doc="Endpoint configs: KMS key, data capture, variants."),
    _sm("aws.sagemaker.endpoint", "list_endpoints", "describe_endpoint", "describe_endpoint_config",
        "describe_model", s3=True, kms=True,
        volatile=("config.LastModifiedTime", "config.ProductionVariants[*].CurrentInstanceCount",
                  "config.ProductionVariants[*].CurrentWeight", "config.ProductionVariants[*].DesiredInstanceCount"),
        unordered=("facets.models", "facets.roles"), collect=sagemaker.collect_endpoints,
        doc="Endpoints with what they serve: models, artifacts, deployed image digests, roles."),
    _sm("aws.sagemaker.training_job", "list_training_jobs", "describe_training_job", s3=True, volatile=JOB_VOLATILE,
        collect=sagemaker.collect_training_jobs, doc=f"Training jobs of the last {sagemaker.RECENT_DAYS} days and running ones."),
    _sm("aws.sagemaker.processing_job", "list_processing_jobs", "describe_processing_job", s3=True,
        volatile=JOB_VOLATILE, collect=sagemaker.collect_processing_jobs,
        doc=f"Processing jobs of the last {sagemaker.RECENT_DAYS} days and running ones."),
    _sm("aws.sagemaker.model_package_group", "list_model_package_groups", "describe_model_package_group",
        collect=sagemaker.collect_model_package_groups, doc="Model registry groups."),
    _sm("aws.sagemaker.model_package", "list_model_package_groups", "list_model_packages", "describe_model_package",
        s3=True, tags=False, volatile=("config.LastModifiedTime", "config.LastModifiedBy"),
        collect=sagemaker.collect_model_packages,
        doc="Model registry versions: approval status, images, artifacts."),
    # ---- containers -------------------------------------------------------------------------
    ResourceSpec(
        provider="aws", type="aws.ecr.repository", category="storage", service="ecr",
        list_call="ecr:describe_repositories",
        detail_calls=("ecr:get_repository_policy", "ecr:list_tags_for_resource", "kms:describe_key"),
        permissions=("ecr:DescribeRepositories", "ecr:GetRepositoryPolicy", "ecr:ListTagsForResource",
                     "kms:DescribeKey"),
        hash_rules=HashRules(unordered=(*_doc("config.RepositoryPolicy"), "facets.public_reasons")),
        collect=containers.collect_ecr_repositories,
        doc="ECR repositories: tag immutability, scan on push, encryption, repository policy."),
    ResourceSpec(
        provider="aws", type="aws.eks.cluster", category="compute", service="eks", list_call="eks:list_clusters",
        detail_calls=("eks:describe_cluster",), permissions=("eks:ListClusters", "eks:DescribeCluster"),
        hash_rules=HashRules(unordered=("facets.endpoint_public_cidrs", "config.resourcesVpcConfig.subnetIds",
                                        "config.resourcesVpcConfig.securityGroupIds",
                                        "config.resourcesVpcConfig.publicAccessCidrs")),
        collect=containers.collect_eks_clusters,
        doc="EKS clusters: endpoint public access and CIDRs, secrets encryption, logging, version."),
    ResourceSpec(
        provider="aws", type="aws.eks.nodegroup", category="compute", service="eks", list_call="eks:list_clusters",
        detail_calls=("eks:list_nodegroups", "eks:describe_nodegroup"),
        permissions=("eks:ListClusters", "eks:ListNodegroups", "eks:DescribeNodegroup"),
        hash_rules=HashRules(volatile=("config.modifiedAt", "config.health"), unordered=("config.subnets",)),
        collect=containers.collect_eks_nodegroups, doc="EKS managed node groups: role, remote access, AMI type."),
    # ---- databases ---------------------------------------------------------------------------
    ResourceSpec(
        provider="aws", type="aws.rds.instance", category="storage", service="rds",
        list_call="rds:describe_db_instances", detail_calls=("kms:describe_key",),
        permissions=("rds:DescribeDBInstances", "kms:DescribeKey"),
        hash_rules=HashRules(volatile=("config.LatestRestorableTime",),
                             unordered=("config.VpcSecurityGroups", "config.ReadReplicaDBInstanceIdentifiers")),
        collect=databases.collect_instances, doc="RDS instances: public accessibility, encryption, replicas."),
    ResourceSpec(
        provider="aws", type="aws.rds.cluster", category="storage", service="rds",
        list_call="rds:describe_db_clusters", detail_calls=("kms:describe_key",),
        permissions=("rds:DescribeDBClusters", "kms:DescribeKey"),
        hash_rules=HashRules(volatile=("config.LatestRestorableTime", "config.EarliestRestorableTime"),
                             unordered=("config.DBClusterMembers", "config.VpcSecurityGroups",
                                        "config.AvailabilityZones")),
        collect=databases.collect_clusters, doc="RDS/Aurora clusters: encryption, public accessibility."),
    ResourceSpec(
        provider="aws", type="aws.rds.snapshot", category="storage", service="rds",
        list_call="rds:describe_db_snapshots", detail_calls=("rds:describe_db_snapshot_attributes", "kms:describe_key"),
        permissions=("rds:DescribeDBSnapshots", "rds:DescribeDBSnapshotAttributes", "kms:DescribeKey"),
        hash_rules=HashRules(unordered=("facets.shared_with",)), collect=databases.collect_snapshots,
        doc="Manual DB snapshots: public or shared restore permission, encryption."),
    ResourceSpec(
        provider="aws", type="aws.rds.cluster_snapshot", category="storage", service="rds",
        list_call="rds:describe_db_cluster_snapshots",
        detail_calls=("rds:describe_db_cluster_snapshot_attributes", "kms:describe_key"),
        permissions=("rds:DescribeDBClusterSnapshots", "rds:DescribeDBClusterSnapshotAttributes", "kms:DescribeKey"),
        hash_rules=HashRules(unordered=("facets.shared_with",)), collect=databases.collect_cluster_snapshots,
        doc="Manual cluster snapshots: public or shared restore permission, encryption."),
    # ---- functions and secrets ----------------------------------------------------------------
    ResourceSpec(
        provider="aws", type="aws.lambda.function", category="compute", service="lambda",
        list_call="lambda:list_functions",
        detail_calls=("lambda:get_function_url_config", "lambda:get_policy", "lambda:list_tags"),
        permissions=("lambda:ListFunctions", "lambda:GetFunctionUrlConfig", "lambda:GetPolicy", "lambda:ListTags"),
        hash_rules=HashRules(volatile=("config.LastModified", "config.LastUpdateStatus", "config.RevisionId"),
                             unordered=(*_doc("config.Policy"), "facets.public_reasons", "config.Layers",
                                        "config.VpcConfig.SubnetIds", "config.VpcConfig.SecurityGroupIds")),
        collect=lambda_.collect_functions,
        doc="Lambda functions: URL auth, resource policy, role; environment variable names only."),
    ResourceSpec(
        provider="aws", type="aws.secretsmanager.secret", category="storage", service="secretsmanager",
        list_call="secretsmanager:list_secrets",
        detail_calls=("secretsmanager:get_resource_policy", "kms:describe_key"),
        permissions=("secretsmanager:ListSecrets", "secretsmanager:GetResourcePolicy", "kms:DescribeKey"),
        hash_rules=HashRules(volatile=("config.LastRotatedDate", "config.NextRotationDate"),
                             unordered=(*_doc("config.ResourcePolicy"), "facets.public_reasons",
                                        "config.ReplicationStatus")),
        collect=secrets.collect_secrets, doc="Secrets: rotation, resource policy, key, replicas; never values."),
    # ---- disk images --------------------------------------------------------------------------
    ResourceSpec(
        provider="aws", type="aws.ec2.snapshot", category="storage", service="ec2",
        list_call="ec2:describe_snapshots", detail_calls=("ec2:describe_snapshot_attribute", "kms:describe_key"),
        permissions=("ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute", "kms:DescribeKey"),
        hash_rules=HashRules(unordered=("facets.shared_with",)), collect=ebs.collect_snapshots,
        doc="EBS snapshots owned by the account: public or cross-account createVolumePermission, encryption."),
)

IMAGE_SPEC = ResourceSpec(
    provider="aws", type="aws.ec2.image", category="storage", service="ec2",
    list_call="ec2:describe_images", detail_calls=("ec2:describe_image_attribute",),
    permissions=("ec2:DescribeImages", "ec2:DescribeImageAttribute"),
    hash_rules=HashRules(unordered=("config.BlockDeviceMappings", "facets.shared_with")), collect=ebs.collect_images,
    doc="AMIs owned by the account: public or shared launch permission (a disk image: storage facets).",
)
