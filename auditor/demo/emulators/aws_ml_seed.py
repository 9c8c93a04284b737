"""The ML slice of the seeded AWS estate (issue 16): SageMaker, ECR, EKS, RDS, Lambda, Secrets
Manager, EBS snapshots, in the primary account's first EU region.

Known problems (``SeededEstate.problems``): a notebook with direct internet and root access, a
model whose artifact sits in a bucket outside the estate, an ECR repository with mutable tags and
a public policy, an EKS endpoint open to 0.0.0.0/0, a public DB snapshot, a public EBS snapshot, a
Lambda URL without auth, training without network isolation on restricted data. Each has a safe
twin so rules are seen to PASS too. Called from ``aws_seed._Seeder.run`` (one line).
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

ML_REGION_PREFERENCE = ("eu-west-1", "eu-central-1")
FOREIGN_BUCKET = "vendor-public-models"  # nobody in the estate owns it (it is not even created)
DIGEST = "sha256:" + "ab" * 32
ROLE = "acme-ml-execution"
LAMBDA_SECRET = "Pq7Zr2Lm9Xc4Vb8Nk1Jh6Gf3Ds5Aw0Ey2Tu7Io"  # planted in an env value: must never be stored


def _region(spec: Any) -> str:
    return next((r for r in ML_REGION_PREFERENCE if r in spec.regions), spec.regions[0])


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def seed(seeder: Any, account: str) -> None:
    """Create the slice in ``account`` when it is the estate's primary account."""
    spec, e = seeder.spec, seeder.estate
    if account != spec.accounts[0] or not getattr(spec, "ml_slice", True):
        return
    region = _region(spec)
    p = spec.prefix
    iam = seeder.client("iam", account)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
        "Service": ["sagemaker.amazonaws.com", "lambda.amazonaws.com"]}}]}
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    e.add("aws.iam.role", account, "global", role, ROLE)

    s3 = seeder.client("s3", account, region)
    artifacts = f"{p}-ml-artifacts-{account[-4:]}"
    s3.create_bucket(Bucket=artifacts, CreateBucketConfiguration={"LocationConstraint": region})
    e.add("aws.s3.bucket", account, "global", f"arn:aws:s3:::{artifacts}", artifacts)
    s3.put_bucket_tagging(Bucket=artifacts, Tagging={"TagSet": [{"Key": "data-classification", "Value": "restricted"}]})

    ecr = seeder.client("ecr", account, region)
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    for name, mutable, public in ((f"{p}/serving", True, True), (f"{p}/training", False, False)):
        repo = ecr.create_repository(repositoryName=name, imageTagMutability="MUTABLE" if mutable else "IMMUTABLE",
                                     imageScanningConfiguration={"scanOnPush": not mutable})["repository"]
        key = e.add("aws.ecr.repository", account, region, repo["repositoryArn"], name)
        if public:
            ecr.set_repository_policy(repositoryName=name, policyText=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Sid": "anyone-pulls", "Effect": "Allow", "Principal": "*",
                 "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}))
            e.problems["ecr_public_mutable"] = key

    sm = seeder.client("sagemaker", account, region)
    arn = lambda kind, name: f"arn:aws:sagemaker:{region}:{account}:{kind}/{name}"  # noqa: E731
    for name, internet in ((f"{p}-research-notebook", "Enabled"), (f"{p}-secure-notebook", "Disabled")):
        sm.create_notebook_instance(NotebookInstanceName=name, InstanceType="ml.t3.medium", RoleArn=role,
                                    DirectInternetAccess=internet, RootAccess=internet,
                                    **({"SubnetId": "subnet-0example", "SecurityGroupIds": ["sg-0example"]}
                                       if internet == "Disabled" else {}))
        key = e.add("aws.sagemaker.notebook_instance", account, region, arn("notebook-instance", name), name)
        if internet == "Enabled":
            e.problems["notebook_direct_internet"] = key
    models = {
        f"{p}-churn-v1": f"s3://{artifacts}/churn/v1/model.tar.gz",
        f"{p}-vendor-sentiment": f"s3://{FOREIGN_BUCKET}/sentiment/model.tar.gz",
    }
    for name, data in models.items():
        sm.create_model(ModelName=name, ExecutionRoleArn=role, EnableNetworkIsolation=True,
                        PrimaryContainer={"Image": f"{registry}/{p}/serving@{DIGEST}", "ModelDataUrl": data})
        key = e.add("aws.sagemaker.model", account, region, arn("model", name), name)
        if FOREIGN_BUCKET in data:
            e.problems["model_foreign_artifact"] = key
    kms = seeder.kms_key(account, region)
    sm.create_endpoint_config(EndpointConfigName=f"{p}-churn-v1", KmsKeyId=kms, ProductionVariants=[
        {"VariantName": "main", "ModelName": f"{p}-churn-v1", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}],
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 20,
                           "DestinationS3Uri": f"s3://{artifacts}/capture/", "CaptureOptions": [{"CaptureMode": "Input"}]})
    e.add("aws.sagemaker.endpoint_config", account, region, arn("endpoint-config", f"{p}-churn-v1"), f"{p}-churn-v1")
    sm.create_endpoint_config(EndpointConfigName=f"{p}-sentiment", ProductionVariants=[
        {"VariantName": "main", "ModelName": f"{p}-vendor-sentiment", "InitialInstanceCount": 1,
         "InstanceType": "ml.m5.large"}])
    e.add("aws.sagemaker.endpoint_config", account, region, arn("endpoint-config", f"{p}-sentiment"), f"{p}-sentiment")
    for name, config in ((f"{p}-churn", f"{p}-churn-v1"), (f"{p}-sentiment", f"{p}-sentiment")):
        sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
        key = e.add("aws.sagemaker.endpoint", account, region, arn("endpoint", name), name)
        e.problems.setdefault("endpoint_without_capture" if config.endswith("sentiment") else "churn_endpoint", key)
    restricted = [{"Key": "data-classification", "Value": "restricted"}]
    for name, isolated in ((f"{p}-churn-train", False), (f"{p}-churn-train-isolated", True)):
        sm.create_training_job(
            TrainingJobName=name, RoleArn=role, EnableNetworkIsolation=isolated,
            EnableInterContainerTrafficEncryption=isolated, Tags=restricted,
            AlgorithmSpecification={"TrainingImage": f"{registry}/{p}/training:1", "TrainingInputMode": "File"},
            InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://{artifacts}/churn/train/"}}}],
            OutputDataConfig={"S3OutputPath": f"s3://{artifacts}/churn/out/"},
            ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
            StoppingCondition={"MaxRuntimeInSeconds": 3600})
        key = e.add("aws.sagemaker.training_job", account, region, arn("training-job", name), name)
        if not isolated:
            e.problems["training_without_isolation"] = key
    sm.create_processing_job(
        ProcessingJobName=f"{p}-features", RoleArn=role,
        ProcessingResources={"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}},
        AppSpecification={"ImageUri": f"{registry}/{p}/training:1"},
        ProcessingInputs=[{"InputName": "raw", "S3Input": {"S3Uri": f"s3://{artifacts}/raw/", "LocalPath": "/opt/ml/in",
                                                           "S3DataType": "S3Prefix", "S3InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "features", "S3Output": {
            "S3Uri": f"s3://{artifacts}/features/", "LocalPath": "/opt/ml/out", "S3UploadMode": "EndOfJob"}}]},
        NetworkConfig={"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True})
    e.add("aws.sagemaker.processing_job", account, region, arn("processing-job", f"{p}-features"), f"{p}-features")
    group = f"{p}-churn"
    sm.create_model_package_group(ModelPackageGroupName=group)
    e.add("aws.sagemaker.model_package_group", account, region, arn("model-package-group", group), group)
    pkg = sm.create_model_package(ModelPackageGroupName=group, ModelApprovalStatus="Approved", InferenceSpecification={
        "Containers": [{"Image": f"{registry}/{p}/serving@{DIGEST}", "ModelDataUrl": models[f"{p}-churn-v1"]}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]})["ModelPackageArn"]
    e.add("aws.sagemaker.model_package", account, region, pkg, f"{group}/1")

    eks = seeder.client("eks", account, region)
    for name, public_cidrs in ((f"{p}-training-cluster", ["0.0.0.0/0"]), (f"{p}-private-cluster", None)):
        vpc = {"subnetIds": ["subnet-0example"], "endpointPublicAccess": bool(public_cidrs),
               "endpointPrivateAccess": True, **({"publicAccessCidrs": public_cidrs} if public_cidrs else {})}
        extra = {} if public_cidrs else {"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": kms}}],
                                          "logging": {"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]}}
        cl = eks.create_cluster(name=name, roleArn=role, resourcesVpcConfig=vpc, **extra)["cluster"]
        key = e.add("aws.eks.cluster", account, region, cl["arn"], name)
        if public_cidrs:
            e.problems["eks_public_endpoint"] = key
            ng = eks.create_nodegroup(clusterName=name, nodegroupName="gpu", subnets=["subnet-0example"],
                                      nodeRole=role)["nodegroup"]
            e.add("aws.eks.nodegroup", account, region, ng["nodegroupArn"], f"{name}/gpu")

    rds = seeder.client("rds", account, region)
    db = rds.create_db_instance(DBInstanceIdentifier=f"{p}-features-db", DBInstanceClass="db.t3.micro",
                                Engine="postgres", MasterUsername="features", MasterUserPassword="Seeded-Passw0rd!",
                                AllocatedStorage=20, StorageEncrypted=True, KmsKeyId=kms,
                                Tags=restricted)["DBInstance"]
    e.add("aws.rds.instance", account, region, db["DBInstanceArn"], f"{p}-features-db")
    for name, public in ((f"{p}-features-export", True), (f"{p}-features-nightly", False)):
        snap = rds.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier=f"{p}-features-db")["DBSnapshot"]
        key = e.add("aws.rds.snapshot", account, region, snap["DBSnapshotArn"], name)
        if public:
            rds.modify_db_snapshot_attribute(DBSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=["all"])
            e.problems["public_db_snapshot"] = key

    ec2 = seeder.client("ec2", account, region)
    vol = ec2.create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=False)["VolumeId"]
    e.add("aws.ec2.volume", account, region, f"arn:aws:ec2:{region}:{account}:volume/{vol}")
    snap = ec2.create_snapshot(VolumeId=vol, Description="training scratch",
                               TagSpecifications=[{"ResourceType": "snapshot",
                                                   "Tags": [{"Key": "Name", "Value": f"{p}-scratch"}]}])["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission", OperationType="add",
                                  GroupNames=["all"])
    e.problems["public_ebs_snapshot"] = e.add("aws.ec2.snapshot", account, region,
                                              f"arn:aws:ec2:{region}::snapshot/{snap}", f"{p}-scratch")

    lam = seeder.client("lambda", account, region)
    fn = lam.create_function(FunctionName=f"{p}-score", Runtime="python3.12", Role=role, Handler="handler.handler",
                             Code={"ZipFile": _zip()},
                             Environment={"Variables": {"MODEL_ENDPOINT": f"{p}-churn", "API_TOKEN": LAMBDA_SECRET}})
    lam.create_function_url_config(FunctionName=f"{p}-score", AuthType="NONE")
    e.problems["lambda_public_url"] = e.add("aws.lambda.function", account, region, fn["FunctionArn"], f"{p}-score")

    sec = seeder.client("secretsmanager", account, region)
    s = sec.create_secret(Name=f"{p}/features-db", SecretString=LAMBDA_SECRET, KmsKeyId=kms)
    e.add("aws.secretsmanager.secret", account, region, s["ARN"], f"{p}/features-db")


def replace_endpoint_model(endpoint_url: str, account: str, region: str, prefix: str = "acme") -> str:
    """The overnight drift: the churn endpoint now serves a model whose artifact is outside the
    estate. moto has no UpdateEndpoint, so the endpoint is re-created under the same name with the
    new config (same ARN, so the same resource: a modification). Returns the new artifact URI."""
    import boto3
    from botocore.config import Config

    from auditor.demo.emulators.aws_seed import DUMMY_KEYS, _account_header

    sm = boto3.Session(region_name=region, **DUMMY_KEYS).client(
        "sagemaker", endpoint_url=endpoint_url, config=Config(retries={"max_attempts": 1}))
    sm.meta.events.register("before-sign", _account_header(account))
    role = f"arn:aws:iam::{account}:role/{ROLE}"
    artifact = f"s3://{FOREIGN_BUCKET}/churn/v2/model.tar.gz"
    sm.create_model(ModelName=f"{prefix}-churn-v2", ExecutionRoleArn=role, EnableNetworkIsolation=True,
                    PrimaryContainer={"Image": f"{account}.dkr.ecr.{region}.amazonaws.com/{prefix}/serving:latest",
                                      "ModelDataUrl": artifact})
    sm.create_endpoint_config(EndpointConfigName=f"{prefix}-churn-v2", ProductionVariants=[
        {"VariantName": "main", "ModelName": f"{prefix}-churn-v2", "InitialInstanceCount": 1,
         "InstanceType": "ml.m5.large"}])
    sm.delete_endpoint(EndpointName=f"{prefix}-churn")
    sm.create_endpoint(EndpointName=f"{prefix}-churn", EndpointConfigName=f"{prefix}-churn-v2")
    return artifact
