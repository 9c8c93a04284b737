"""The demo's ML-platform estate: what is seeded, what is broken on purpose, what drifts.

The stand-ins are the test emulators (moto server, the GCP and Azure loopback fakes); the
collectors reach them only through their public endpoint and credential settings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from auditor.demo.emulators import aws_ml_seed, aws_seed, azure_estate, azure_ml_estate, gcp_estate

AWS_REGIONS = ("us-east-1", "eu-west-1", "eu-central-1")

# What the demo plants, in the words the output uses.
KNOWN_PROBLEMS = (
    ("public datasets bucket", "aws.s3.bucket with a Principal:* policy and a public-read ACL"),
    ("open SSH on a GPU training node", "p3.2xlarge behind a security group open to 0.0.0.0/0:22, IMDSv1"),
    ("GitHub OIDC trust without sub", "AWS role github-deploy trusts token.actions.githubusercontent.com on aud only"),
    ("cross-cloud GCP -> AWS trust", "AWS role gcp-trainer-bridge trusts the GCP service account trainer@ml-prod"),
    ("EU data replicated to the US", "restricted S3 bucket in eu-west-1 replicating to us-east-1"),
    ("Azure GRS pair across a border", "storage account in northeurope (IE) with its copy in westeurope (NL)"),
    ("GCS dual-region across the EU boundary", "restricted bucket in EUR5 (Belgium + London)"),
    ("SageMaker notebook with direct internet", "notebook with DirectInternetAccess and RootAccess enabled"),
    ("model from outside the estate", "SageMaker model whose artifact is in a bucket no estate account owns"),
    ("public snapshots", "an RDS snapshot restorable by all and an EBS snapshot anyone can copy"),
    ("open Kubernetes control plane", "EKS cluster endpoint public to 0.0.0.0/0"),
    ("Cloud SQL open to the internet", "MySQL legacy-mysql: public IP, 0.0.0.0/0 authorized, SSL optional, no backups"),
)


@dataclass
class DemoEstate:
    aws: aws_seed.SeededEstate
    gcp: gcp_estate.GcpEstate
    azure: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def aws_spec() -> aws_seed.EstateSpec:
    """Two accounts, three regions; small enough to seed in seconds."""
    return aws_seed.EstateSpec(
        regions=AWS_REGIONS, vpcs=1, subnets_per_vpc=2, security_groups=2, instances=2, extra_volumes=1,
        images=1, buckets=1, users=2, groups=1, roles=1, policies=1, prefix="acme-ml",
    )


def gcp_demo_estate() -> gcp_estate.GcpEstate:
    estate = gcp_estate.sample_estate()
    ml = estate.project("ml-prod")
    assert ml is not None
    gcp_estate.bucket(ml, "ml-prod-eu-training-data", "EUR5", "dual-region", versioning=True,
                      labels={"data-classification": "restricted"})
    return estate


def trainer_unique_id(estate: gcp_estate.GcpEstate) -> str:
    ml = estate.project("ml-prod")
    sa = next(s for s in ml.service_accounts if s["email"].startswith("trainer@"))  # type: ignore[union-attr]
    return sa["uniqueId"]


def seed_aws_cross_cloud(endpoint_url: str, trainer_uid: str) -> None:
    """An AWS role that the GCP trainer service account can assume (Google federation)."""
    iam = _client(endpoint_url, "iam", aws_seed.PRIMARY_ACCOUNT)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"accounts.google.com:aud": trainer_uid}}}]}
    iam.create_role(RoleName="gcp-trainer-bridge", AssumeRolePolicyDocument=json.dumps(trust),
                    Description="lets the GCP training pipeline write checkpoints to S3")
    iam.attach_role_policy(RoleName="gcp-trainer-bridge", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def _client(endpoint_url: str, service: str, account: str, region: str = "us-east-1") -> Any:
    import boto3

    # moto maps the access key to an account id when it is the 12-digit id itself
    return boto3.client(service, endpoint_url=endpoint_url, region_name=region,
                        aws_access_key_id=account if account != aws_seed.PRIMARY_ACCOUNT else "testing",
                        aws_secret_access_key="testing")


def seed(endpoint_url: str) -> DemoEstate:
    aws = aws_seed.seed_estate(endpoint_url, aws_spec())
    gcp = gcp_demo_estate()
    seed_aws_cross_cloud(endpoint_url, trainer_unique_id(gcp))
    return DemoEstate(aws=aws, gcp=gcp, azure=azure_estate.seeded_estate())


def apply_drift(endpoint_url: str, estate: DemoEstate) -> list[str]:
    """Changes made 'overnight' after the baseline was approved; returns what was done."""
    from auditor.demo.emulators import gcp_data_estate, gcp_ml_estate

    done = []
    acct = aws_seed.PRIMARY_ACCOUNT
    ec2 = _client(endpoint_url, "ec2", acct, "eu-west-1")
    groups = ec2.describe_security_groups()["SecurityGroups"]
    target = next(g for g in groups if g["GroupName"] != "default")
    ec2.authorize_security_group_ingress(GroupId=target["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    done.append(f"AWS: RDP (3389) opened to the internet on security group {target['GroupName']} (eu-west-1)")

    s3 = _client(endpoint_url, "s3", acct)
    bucket = "acme-ml-9012-eu-west-1-0"
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [
        {"Key": "data-classification", "Value": "internal"}, {"Key": "owner", "Value": "ml-platform"}]})
    done.append(f"AWS: tags changed on bucket {bucket} (low severity)")

    iam = _client(endpoint_url, "iam", acct)
    iam.create_user(UserName="contractor-temp")
    iam.create_access_key(UserName="contractor-temp")
    iam.create_login_profile(UserName="contractor-temp", Password="Temp-Passw0rd-2026!")
    done.append("AWS: IAM user contractor-temp created with console access, no MFA")

    artifact = aws_ml_seed.replace_endpoint_model(endpoint_url, acct, "eu-west-1", prefix=aws_spec().prefix)
    done.append(f"AWS: SageMaker endpoint {aws_spec().prefix}-churn now serves a model from {artifact} (model replaced)")

    ml = estate.gcp.project("ml-prod")
    fw = next(f for f in ml.firewalls if f["name"] == "allow-internal")  # type: ignore[union-attr]
    fw["sourceRanges"] = ["0.0.0.0/0"]
    done.append("GCP: firewall allow-internal widened from 10.0.0.0/8 to 0.0.0.0/0")
    data = estate.gcp.project("data-lake")
    data.buckets = [b for b in data.buckets if b["name"] != "data-lake-raw"]  # type: ignore[union-attr]
    done.append("GCP: bucket data-lake-raw deleted")
    artifact = gcp_ml_estate.replace_endpoint_model(estate.gcp)
    done.append(f"GCP: Vertex AI endpoint churn-private now serves a model from {artifact} (model replaced)")
    db = gcp_data_estate.open_sql_to_internet(estate.gcp)
    done.append(f"GCP: Cloud SQL instance {db} given a public IP open to 0.0.0.0/0")

    for res in estate.azure["resources"]:
        if res.get("name") == "stprodgrs01" and "properties" in res:
            res["properties"]["allowBlobPublicAccess"] = True
            done.append("Azure: public blob access enabled on storage account stprodgrs01")
    uri = azure_ml_estate.replace_endpoint_model(estate.azure)  # the Azure ML slice (issue 17)
    done.append(f"Azure: ML online endpoint ep-fraud-private now serves a model from {uri} (model replaced)")
    return done
