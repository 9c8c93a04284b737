"""Declarative seeding of a moto server with a realistic AWS estate (tests and ``auditor demo``).

The estate spans several regions and two accounts (moto keeps state per account; the
seeder picks the account with moto's ``x-moto-account-id`` header). Everything it creates is
returned as a ``SeededEstate`` so callers can assert that every seeded resource was collected.
Known problems are knobs: a public datasets bucket, open SSH on a GPU training node, a GitHub
OIDC trust without a ``sub`` condition, EU data replicated to the US.

Writes are sequential: concurrent writes crash moto. Bulk calls keep large estates fast
(``run_instances`` with MinCount/MaxCount creates N instances and their root volumes at once).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

import boto3
from botocore.config import Config

from auditor.demo.emulators import aws_logging_seed, aws_ml_seed
from auditor.model import make_key

PRIMARY_ACCOUNT = "123456789012"
SECOND_ACCOUNT = "210987654321"
DUMMY_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
GITHUB_ISSUER = "token.actions.githubusercontent.com"
GITHUB_THUMBPRINT = "6938fd4d98bab03faadb97b34396831e3780aea1"
AUDITOR_ROLE = "PostureAuditor"
SAML_METADATA = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml">'
    '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
    'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>'
    '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
    'Location="https://idp.example.com/app/aws/sso/saml"/>'
    '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
    'Location="https://idp.example.com/app/aws/sso/saml"/>'
    '</md:IDPSSODescriptor>'
    '<md:Organization><md:OrganizationName xml:lang="en">Example Identity Provider</md:OrganizationName>'
    '<md:OrganizationDisplayName xml:lang="en">Example IdP used by the posture auditor demo estate'
    '</md:OrganizationDisplayName><md:OrganizationURL xml:lang="en">https://idp.example.com/</md:OrganizationURL>'
    '</md:Organization>'
    '<md:ContactPerson contactType="technical"><md:GivenName>Platform Security</md:GivenName>'
    '<md:EmailAddress>mailto:security@example.com</md:EmailAddress></md:ContactPerson>'
    '<md:ContactPerson contactType="support"><md:GivenName>Identity Team</md:GivenName>'
    '<md:EmailAddress>mailto:identity@example.com</md:EmailAddress></md:ContactPerson>'
    '</md:EntityDescriptor>'
)


@dataclass(frozen=True)
class SecretMarkers:
    """Secret-shaped values planted where a careless collector would store them."""

    user_data: str = "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    tag_value: str = "Zq8Xv3Lm9Rt2Wy7Bn4Kc6Hd1Fg5Js0Pa8Ue3Io7Q"
    policy_value: str = "Mk4Tq9Wz2Xc7Vb1Nm6Lp3Rs8Dt5Yh0Gj2Fk9Ae4B"

    def all(self) -> tuple[str, ...]:
        return (self.user_data.split("=", 1)[-1], self.tag_value, self.policy_value)


@dataclass(frozen=True)
class EstateSpec:
    """How big and how broken the estate is. Counts are per account and region unless noted."""

    accounts: tuple[str, ...] = (PRIMARY_ACCOUNT, SECOND_ACCOUNT)
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1", "eu-central-1")
    vpcs: int = 2
    subnets_per_vpc: int = 2
    security_groups: int = 3
    instances: int = 3
    extra_volumes: int = 1
    images: int = 1
    buckets: int = 1
    users: int = 2  # per account
    groups: int = 1
    roles: int = 2
    policies: int = 1
    second_account_scale: float = 0.34  # the second account is smaller
    public_datasets_bucket: bool = True
    open_ssh_gpu_node: bool = True
    github_oidc_without_sub: bool = True
    eu_to_us_replication: bool = True
    auditor_role: bool = True  # a role in each non-primary account the primary can assume
    secrets: SecretMarkers | None = field(default_factory=SecretMarkers)
    prefix: str = "acme"

    @classmethod
    def sized(cls, resources: int, *, accounts: tuple[str, ...] = (PRIMARY_ACCOUNT,), **kw: Any) -> "EstateSpec":
        """An estate of about ``resources`` seeded resources in the primary account, mostly
        instances with their root volumes (one bulk call per region) and security groups."""
        regions = kw.pop("regions", cls.regions)
        per_region = max(1, resources // len(regions))
        groups = max(1, per_region // 20)
        fixed = 18  # VPC objects, extra volume, image, buckets and IAM share per region
        instances = max(1, (per_region - groups - fixed) // 2)
        return cls(accounts=accounts, regions=regions, instances=instances, security_groups=groups, **kw)


@dataclass
class SeededResource:
    type: str
    account: str
    region: str
    native_id: str
    name: str | None = None

    @property
    def resource_key(self) -> str:
        return make_key("aws", self.type, self.native_id)


@dataclass
class SeededEstate:
    endpoint_url: str
    spec: EstateSpec
    resources: list[SeededResource] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # knob -> resource key
    calls: int = 0  # API calls the seeding took

    def keys(self, type_: str | None = None) -> set[str]:
        return {r.resource_key for r in self.resources if type_ is None or r.type == type_}

    def add(self, type_: str, account: str, region: str, native_id: str, name: str | None = None) -> str:
        r = SeededResource(type_, account, region, native_id, name)
        self.resources.append(r)
        return r.resource_key

    @property
    def secrets(self) -> tuple[str, ...]:
        return self.spec.secrets.all() if self.spec.secrets else ()


def _account_header(account: str) -> Callable[..., None]:
    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    return add_header


class _Seeder:
    def __init__(self, endpoint_url: str, spec: EstateSpec) -> None:
        self.url, self.spec = endpoint_url, spec
        self.estate = SeededEstate(endpoint_url, spec)
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._keys: dict[tuple[str, str, str], str] = {}

    def client(self, service: str, account: str, region: str = "us-east-1") -> Any:
        key = (service, account, region)
        if key not in self._clients:
            c = boto3.Session(region_name=region, **DUMMY_KEYS).client(
                service, endpoint_url=self.url, config=Config(retries={"max_attempts": 1}))
            c.meta.events.register("before-sign", _account_header(account))
            if service == "s3control":
                from collectors.aws.clients import _strip_account_host_prefix

                c.meta.events.register("before-sign.s3-control", _strip_account_host_prefix)
            c.meta.events.register("before-call", self._count)
            self._clients[key] = c
        return self._clients[key]

    def _count(self, **_: Any) -> None:
        self.estate.calls += 1

    def kms_key(self, account: str, region: str) -> str:
        """One customer managed key per account and region (created on first use)."""
        key = ("kms-key", account, region)
        if key not in self._keys:
            kms = self.client("kms", account, region)
            self._keys[key] = kms.create_key(Description=f"{self.spec.prefix} data key")["KeyMetadata"]["Arn"]
        return self._keys[key]

    def n(self, count: int, account: str) -> int:
        if account == self.spec.accounts[0]:
            return count
        return max(1, round(count * self.spec.second_account_scale)) if count else 0

    # ---- orchestration ----------------------------------------------------------------------
    def run(self) -> SeededEstate:
        for account in self.spec.accounts:
            self.iam(account)
            for region in self.spec.regions:
                self.network_and_compute(account, region)
            self.s3(account)
            aws_ml_seed.seed(self, account)  # the ML slice (issue 16), primary account only
            aws_logging_seed.seed(self, account)  # CloudTrail, alarms, Config, Security Hub (CIS 4-5)
        return self.estate

    # ---- EC2 --------------------------------------------------------------------------------
    def network_and_compute(self, account: str, region: str) -> None:
        s, e = self.spec, self.estate
        ec2 = self.client("ec2", account, region)
        arn = lambda kind, rid: f"arn:aws:ec2:{region}:{account}:{kind}/{rid}"  # noqa: E731
        vpcs, subnets = [], []
        for v in range(self.n(s.vpcs, account)):
            name = f"{s.prefix}-vpc-{v}"
            vpc = ec2.create_vpc(CidrBlock=f"10.{v}.0.0/16", TagSpecifications=[
                {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}])["Vpc"]["VpcId"]
            vpcs.append(vpc)
            e.add("aws.ec2.vpc", account, region, arn("vpc", vpc), name)
            for sn in range(s.subnets_per_vpc):
                # /20: room for bulk instances
                sid = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{v}.{sn * 16}.0/20")["Subnet"]["SubnetId"]
                subnets.append(sid)
                e.add("aws.ec2.subnet", account, region, arn("subnet", sid))
            igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
            e.add("aws.ec2.internet_gateway", account, region, arn("internet-gateway", igw))
            rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            e.add("aws.ec2.route_table", account, region, arn("route-table", rtb))
            acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
            ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow",
                                         Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})
            e.add("aws.ec2.network_acl", account, region, arn("network-acl", acl))
        if len(vpcs) >= 2:
            pcx = ec2.create_vpc_peering_connection(VpcId=vpcs[0], PeerVpcId=vpcs[1])
            pid = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
            e.add("aws.ec2.vpc_peering", account, region, arn("vpc-peering-connection", pid))
        if vpcs:
            fl = ec2.create_flow_logs(ResourceIds=[vpcs[0]], ResourceType="VPC", TrafficType="ALL",
                                      LogDestinationType="cloud-watch-logs", LogGroupName=f"{s.prefix}-flow",
                                      DeliverLogsPermissionArn=f"arn:aws:iam::{account}:role/flow-logs")
            for fid in fl.get("FlowLogIds") or []:
                e.add("aws.ec2.flow_log", account, region, arn("vpc-flow-log", fid))
        groups = []
        for g in range(self.n(s.security_groups, account)):
            kwargs = {"VpcId": vpcs[g % len(vpcs)]} if vpcs else {}
            name = f"{s.prefix}-sg-{g}"
            gid = ec2.create_security_group(GroupName=name, Description="seeded", **kwargs)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
                {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                 "IpRanges": [{"CidrIp": f"10.{g % 250}.0.0/16"}]}])
            groups.append(gid)
            e.add("aws.ec2.security_group", account, region, arn("security-group", gid), name)
        n_inst = self.n(s.instances, account)
        if n_inst:
            self.instances(ec2, account, region, n_inst, groups, subnets)
        key = self.kms_key(account, region)
        for v in range(self.n(s.extra_volumes, account)):
            enc = {"Encrypted": True, "KmsKeyId": key} if v % 2 == 0 else {"Encrypted": False}
            vol = ec2.create_volume(AvailabilityZone=f"{region}a", Size=10, **enc,
                                    TagSpecifications=[{"ResourceType": "volume",
                                                        "Tags": [{"Key": "Name", "Value": f"{s.prefix}-data-{v}"}]}])
            e.add("aws.ec2.volume", account, region, arn("volume", vol["VolumeId"]), f"{s.prefix}-data-{v}")
        if s.open_ssh_gpu_node and account == s.accounts[0] and region == s.regions[0]:
            self.gpu_node(ec2, account, region, vpcs[0] if vpcs else None, subnets[0] if subnets else None)

    def instances(self, ec2: Any, account: str, region: str, count: int, groups: list[str],
                  subnets: list[str]) -> None:
        s, e = self.spec, self.estate
        kwargs: dict[str, Any] = {}
        if subnets:
            kwargs["SubnetId"] = subnets[0]
            vpc_groups = ec2.describe_security_groups(GroupIds=groups[:1])["SecurityGroups"] if groups else []
            kwargs["SecurityGroupIds"] = [g["GroupId"] for g in vpc_groups]
        tags = [{"Key": "team", "Value": "ml-platform"}]
        if s.secrets:
            tags.append({"Key": "build-token", "Value": s.secrets.tag_value})
        resp = ec2.run_instances(
            ImageId="ami-0123456789abcdef0", MinCount=count, MaxCount=count, InstanceType="m5.large",
            UserData=s.secrets.user_data if s.secrets else "#!/bin/sh\necho hello",
            MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}], **kwargs)
        instance_ids = []
        for inst in resp["Instances"]:
            iid = inst["InstanceId"]
            instance_ids.append(iid)
            e.add("aws.ec2.instance", account, region, f"arn:aws:ec2:{region}:{account}:instance/{iid}")
            for bdm in inst.get("BlockDeviceMappings") or []:
                vid = (bdm.get("Ebs") or {}).get("VolumeId")
                if vid:
                    e.add("aws.ec2.volume", account, region, f"arn:aws:ec2:{region}:{account}:volume/{vid}")
        for i in range(min(self.n(s.images, account), len(instance_ids))):
            ami = ec2.create_image(InstanceId=instance_ids[i], Name=f"{s.prefix}-golden-{region}-{i}")["ImageId"]
            e.add("aws.ec2.image", account, region, f"arn:aws:ec2:{region}::image/{ami}", f"{s.prefix}-golden-{region}-{i}")

    def gpu_node(self, ec2: Any, account: str, region: str, vpc: str | None, subnet: str | None) -> None:
        e, s = self.estate, self.spec
        kwargs = {"VpcId": vpc} if vpc else {}
        gid = ec2.create_security_group(GroupName=f"{s.prefix}-gpu-ssh", Description="ssh for training", **kwargs)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
             "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        e.problems["open_ssh_security_group"] = e.add(
            "aws.ec2.security_group", account, region, f"arn:aws:ec2:{region}:{account}:security-group/{gid}",
            f"{s.prefix}-gpu-ssh")
        net = {"SubnetId": subnet} if subnet else {}
        inst = ec2.run_instances(
            ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, InstanceType="p3.2xlarge",
            SecurityGroupIds=[gid], MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
            IamInstanceProfile={"Name": f"{s.prefix}-training"},
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "gpu-training-node"},
                                                                      {"Key": "workload", "Value": "training"}]}],
            **net)["Instances"][0]
        iid = inst["InstanceId"]
        e.problems["open_ssh_gpu_node"] = e.add(
            "aws.ec2.instance", account, region, f"arn:aws:ec2:{region}:{account}:instance/{iid}", "gpu-training-node")
        for bdm in inst.get("BlockDeviceMappings") or []:
            if (bdm.get("Ebs") or {}).get("VolumeId"):
                e.add("aws.ec2.volume", account, region, f"arn:aws:ec2:{region}:{account}:volume/{bdm['Ebs']['VolumeId']}")

    # ---- S3 ---------------------------------------------------------------------------------
    def bucket(self, s3: Any, account: str, name: str, region: str) -> str:
        kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **kwargs)
        return self.estate.add("aws.s3.bucket", account, "global", f"arn:aws:s3:::{name}", name)

    def s3(self, account: str) -> None:
        s, e = self.spec, self.estate
        s3 = self.client("s3", account)
        tag = account[-4:]
        for region in s.regions:
            log_bucket = f"{s.prefix}-{tag}-access-logs-{region}"
            self.bucket(s3, account, log_bucket, region)
            s3.put_bucket_acl(Bucket=log_bucket, ACL="log-delivery-write")
            for i in range(self.n(s.buckets, account)):
                name = f"{s.prefix}-{tag}-{region}-{i}"
                self.bucket(s3, account, name, region)
                tags = [{"Key": "data-classification", "Value": "internal"}]
                if s.secrets and i == 0:
                    tags.append({"Key": "ci-secret", "Value": s.secrets.tag_value})
                s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})
                s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
                    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                            "KMSMasterKeyID": self.kms_key(account, region)}}]})
                s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
                    k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
                s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
                s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {
                    "TargetBucket": log_bucket, "TargetPrefix": f"{name}/"}})
                s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
                    "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
        if account != s.accounts[0]:
            s3c = self.client("s3control", account)
            s3c.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={
                k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
            return
        lock = f"{s.prefix}-{tag}-audit-evidence"
        s3.create_bucket(Bucket=lock, ObjectLockEnabledForBucket=True)
        e.add("aws.s3.bucket", account, "global", f"arn:aws:s3:::{lock}", lock)
        s3.put_object_lock_configuration(Bucket=lock, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 365}}})
        if s.public_datasets_bucket:
            name = f"{s.prefix}-{tag}-public-datasets"
            e.problems["public_datasets_bucket"] = self.bucket(s3, account, name, s.regions[0])
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{name}/*"}]}))
            s3.put_bucket_acl(Bucket=name, ACL="public-read")
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "data-classification", "Value": "public"}]})
        if s.eu_to_us_replication:
            eu = next((r for r in s.regions if r.startswith("eu-")), "eu-west-1")
            us = next((r for r in s.regions if r.startswith("us-")), "us-east-1")
            src, dst = f"{s.prefix}-{tag}-eu-customer-data", f"{s.prefix}-{tag}-us-replica"
            e.problems["eu_to_us_replication"] = self.bucket(s3, account, src, eu)
            self.bucket(s3, account, dst, us)
            for b in (src, dst):
                s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_tagging(Bucket=src, Tagging={"TagSet": [{"Key": "data-classification", "Value": "restricted"}]})
            s3.put_bucket_replication(Bucket=src, ReplicationConfiguration={
                "Role": f"arn:aws:iam::{account}:role/{s.prefix}-replication",
                "Rules": [{"ID": "to-us", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                           "DeleteMarkerReplication": {"Status": "Disabled"},
                           "Destination": {"Bucket": f"arn:aws:s3:::{dst}"}}]})

    # ---- IAM --------------------------------------------------------------------------------
    def iam(self, account: str) -> None:
        s, e = self.spec, self.estate
        iam = self.client("iam", account)
        arn = lambda kind, name: f"arn:aws:iam::{account}:{kind}/{name}"  # noqa: E731
        policy_arns = []
        for p in range(self.n(s.policies, account)):
            name = f"{s.prefix}-read-datasets-{p}"
            doc = {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}
            policy_arns.append(iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc))["Policy"]["Arn"])
            e.add("aws.iam.policy", account, "global", policy_arns[-1], name)
        group_names = []
        for g in range(self.n(s.groups, account)):
            name = f"{s.prefix}-engineers-{g}"
            iam.create_group(GroupName=name)
            iam.put_group_policy(GroupName=name, PolicyName="describe", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}}))
            group_names.append(name)
            e.add("aws.iam.group", account, "global", arn("group", name), name)
        for u in range(self.n(s.users, account)):
            name = f"{s.prefix}-user-{u}"
            tags = [{"Key": "team", "Value": "data"}]
            if s.secrets and u == 0:
                tags.append({"Key": "note", "Value": s.secrets.tag_value})
            iam.create_user(UserName=name, Tags=tags)
            iam.create_access_key(UserName=name)
            iam.create_login_profile(UserName=name, Password="Seeded-Passw0rd!")
            if u % 2 == 0:
                serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
                iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1="123456",
                                      AuthenticationCode2="654321")
            for g in group_names:
                iam.add_user_to_group(GroupName=g, UserName=name)
            e.add("aws.iam.user", account, "global", arn("user", name), name)
        trust_ec2 = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        for r in range(self.n(s.roles, account)):
            name = f"{s.prefix}-service-{r}"
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_ec2))
            inline = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                              "Resource": "*"}]}
            if s.secrets and r == 0:
                inline["Statement"][0]["Condition"] = {"StringEquals": {"aws:UserAgent": s.secrets.policy_value}}
            iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
            for p in policy_arns:
                iam.attach_role_policy(RoleName=name, PolicyArn=p)
            e.add("aws.iam.role", account, "global", arn("role", name), name)
        if account == s.accounts[0]:
            self.primary_identity(iam, account)
        elif s.auditor_role:
            trust = {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{s.accounts[0]}:root"},
                 "Action": "sts:AssumeRole"}]}
            iam.create_role(RoleName=AUDITOR_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
            e.add("aws.iam.role", account, "global", arn("role", AUDITOR_ROLE), AUDITOR_ROLE)

    def primary_identity(self, iam: Any, account: str) -> None:
        s, e = self.spec, self.estate
        profile = f"{s.prefix}-training"
        role = f"{s.prefix}-training-node"
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        iam.create_instance_profile(InstanceProfileName=profile)
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
        e.add("aws.iam.role", account, "global", f"arn:aws:iam::{account}:role/{role}", role)
        oidc = iam.create_open_id_connect_provider(Url=f"https://{GITHUB_ISSUER}", ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=[GITHUB_THUMBPRINT])["OpenIDConnectProviderArn"]
        e.add("aws.iam.oidc_provider", account, "global", oidc, GITHUB_ISSUER)
        if s.github_oidc_without_sub:
            trust = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": oidc}, "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {f"{GITHUB_ISSUER}:aud": "sts.amazonaws.com"}}}]}
            iam.create_role(RoleName="github-deploy", AssumeRolePolicyDocument=json.dumps(trust))
            iam.attach_role_policy(RoleName="github-deploy", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
            e.problems["github_oidc_without_sub"] = e.add(
                "aws.iam.role", account, "global", f"arn:aws:iam::{account}:role/github-deploy", "github-deploy")
        saml = iam.create_saml_provider(SAMLMetadataDocument=SAML_METADATA, Name=f"{s.prefix}-okta")["SAMLProviderArn"]
        e.add("aws.iam.saml_provider", account, "global", saml, f"{s.prefix}-okta")
        iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True,
                                           MaxPasswordAge=90, PasswordReusePrevention=24)


def seed_estate(endpoint_url: str, spec: EstateSpec | None = None) -> SeededEstate:
    """Create ``spec``'s estate on the moto server at ``endpoint_url``; returns what was created.

    Account-wide singletons that always exist (password policy, account summary, the account
    public access block) are collected too but are not listed here.
    """
    return _Seeder(endpoint_url, spec or EstateSpec()).run()


def reset(endpoint_url: str) -> None:
    """Forget every resource on the moto server (POST /moto-api/reset)."""
    import requests

    requests.post(f"{endpoint_url.rstrip('/')}/moto-api/reset", timeout=30).raise_for_status()
