"""CIS AWS sections 4-6 end to end: accounts seeded on the moto server over HTTP, collected by the
real collectors (assumed role per account), judged by the rules. Each rule FAILs in an unsafe
account and PASSes in its safe twin.

Three accounts: SAFE does everything CIS asks; UNSAFE has a working multi-region trail whose log
group carries only useless filters (a catch-all, an AND-ed list, an alarm nobody hears) and every
other setting wrong; BARE has no trail, recorder or hub at all.

Not produced through moto, so left to the rule examples (tests/rules/examples_aws_logging.py): a
trail bucket in another account (access logging unknown), an organization trail, a Config
recorder whose last delivery failed.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from auditor.config.schema import AwsConfig
from auditor.rules.cis_aws_logging import MONITORED
from auditor.rules.engine import evaluate
from auditor.rules.verdict import FAIL, PASS, UNKNOWN
from collectors.aws import AwsClientFactory, classify, plan
from collectors.runner import ListSink, run_units
from tests.identity.factories import stored
from tests.rules.examples import AS_OF, CONFIG
from tests.rules.examples_aws_logging import pattern_for


SAFE, UNSAFE, BARE = "444455556666", "555566667777", "666677778888"
VENDOR = "999988887777"
REGION = "eu-west-1"
TYPES = ["aws.cloudtrail.trail", "aws.cloudtrail.account", "aws.cloudwatch.trail_alarms", "aws.config.recorders",
         "aws.securityhub.hub", "aws.ec2.ebs_default_encryption", "aws.kms.key", "aws.ec2.security_group",
         "aws.ec2.vpc_peering", "aws.elbv2.load_balancer", "aws.cloudfront.distribution", "aws.apigateway.stage",
         "aws.apigatewayv2.stage"]


class Seeder:
    def __init__(self, url: str, account: str) -> None:
        self.url, self.account = url, account

    def client(self, service: str, region: str = REGION) -> Any:
        c = boto3.client(service, region_name=region, endpoint_url=self.url, aws_access_key_id="testing",
                         aws_secret_access_key="testing")
        account = self.account

        def header(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account

        c.meta.events.register("before-sign", header)
        return c

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{REGION}:{self.account}:{resource}"

    def bucket(self, name: str, *, logging_to: str | None = None) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        if logging_to:
            s3.put_bucket_acl(Bucket=logging_to, ACL="log-delivery-write")
            s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": logging_to, "TargetPrefix": "trail/"}})

    def trail(self, name: str, bucket: str, *, safe: bool, log_group: str | None) -> None:
        ct = self.client("cloudtrail")
        kw: dict[str, Any] = {"Name": name, "S3BucketName": bucket, "IsMultiRegionTrail": True,
                              "EnableLogFileValidation": safe}
        if safe:
            kw["KmsKeyId"] = self.client("kms").create_key(Description="trail")["KeyMetadata"]["Arn"]
            self.client("kms").enable_key_rotation(KeyId=kw["KmsKeyId"])
        if log_group:
            self.client("logs").create_log_group(logGroupName=log_group)
            kw["CloudWatchLogsLogGroupArn"] = self.arn("logs", f"log-group:{log_group}:*")
            kw["CloudWatchLogsRoleArn"] = f"arn:aws:iam::{self.account}:role/trail-to-logs"
        ct.create_trail(**kw)
        ct.start_logging(Name=name)
        selector: dict[str, Any] = {"ReadWriteType": "All", "IncludeManagementEvents": True}
        if safe:
            selector["DataResources"] = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]
        ct.put_event_selectors(TrailName=name, EventSelectors=[selector])

    def topic(self, name: str, *, subscribed: bool) -> str:
        sns = self.client("sns")
        arn = sns.create_topic(Name=name)["TopicArn"]
        if subscribed:
            queue = self.client("sqs").create_queue(QueueName=f"{name}-q")["QueueUrl"]
            qarn = self.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
            sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn["Attributes"]["QueueArn"])
        return arn

    def alarmed_filter(self, log_group: str, name: str, pattern: str, topic: str) -> None:
        self.client("logs").put_metric_filter(
            logGroupName=log_group, filterName=name, filterPattern=pattern,
            metricTransformations=[{"metricName": name, "metricNamespace": "CISBenchmark", "metricValue": "1"}])
        self.client("cloudwatch").put_metric_alarm(
            AlarmName=f"{name}-alarm", MetricName=name, Namespace="CISBenchmark", Statistic="Sum", Period=300,
            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic])

    def config_recorder(self) -> None:
        cfg = self.client("config")
        cfg.put_configuration_recorder(ConfigurationRecorder={
            "name": "default", "roleARN": f"arn:aws:iam::{self.account}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": f"config-{self.account}"})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")

    def network(self, *, cifs_cidr: str, peer_route: str, default_sg_rules: bool) -> None:
        ec2 = self.client("ec2")
        a = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        b = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        rtb = ec2.create_route_table(VpcId=a)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=peer_route, VpcPeeringConnectionId=pcx)
        sg = ec2.create_security_group(GroupName="files", Description="smb", VpcId=a)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 445, "ToPort": 445, "IpRanges": [{"CidrIp": cifs_cidr}]}])
        if not default_sg_rules:
            for group in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
                    "SecurityGroups"]:
                if group["IpPermissions"]:
                    ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
                if group["IpPermissionsEgress"]:
                    ec2.revoke_security_group_egress(GroupId=group["GroupId"],
                                                     IpPermissions=group["IpPermissionsEgress"])

    def web_front_ends(self, *, logs: bool) -> None:
        """A load balancer, a CloudFront distribution, a REST and an HTTP API stage: logging or not."""
        ec2, bucket = self.client("ec2"), f"web-logs-{self.account}"
        self.bucket(bucket)
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"]["SubnetId"] for i, z in enumerate("ab")]
        elb = self.client("elbv2")
        lb = elb.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        if logs:
            elb.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[
                {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": bucket}])
        origin = {"Id": "o", "DomainName": f"{bucket}.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
        self.client("cloudfront", "us-east-1").create_distribution(DistributionConfig={
            "CallerReference": self.account, "Comment": "web", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": "https-only"},
            "Logging": {"Enabled": logs, "IncludeCookies": False, "Bucket": f"{bucket}.s3.amazonaws.com" if logs else "",
                        "Prefix": "cf/"}})
        destination = self.arn("logs", "log-group:api-access")
        rest = self.client("apigateway")
        api = rest.create_rest_api(name="orders")["id"]
        root = rest.get_resources(restApiId=api)["items"][0]["id"]
        rest.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        rest.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        rest.create_deployment(restApiId=api, stageName="prod")
        if logs:
            rest.update_stage(restApiId=api, stageName="prod", patchOperations=[
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": destination},
                {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"}])
        http = self.client("apigatewayv2")
        api2 = http.create_api(Name="events", ProtocolType="HTTP")["ApiId"]
        kw: dict[str, Any] = {"AccessLogSettings": {"DestinationArn": destination, "Format": "$context.requestId"}}
        http.create_stage(ApiId=api2, StageName="prod", **(kw if logs else {}))


def seed_safe(s: Seeder) -> None:
    s.bucket("access-logs-safe")
    s.bucket("trail-logs-safe", logging_to="access-logs-safe")
    s.trail("org-trail", "trail-logs-safe", safe=True, log_group="trail-safe")
    topic = s.topic("security-alerts", subscribed=True)
    for m in MONITORED:
        s.alarmed_filter("trail-safe", m.key, pattern_for(m.key), topic)
    key = s.client("kms").create_key(Description="data")["KeyMetadata"]["KeyId"]
    s.client("kms").enable_key_rotation(KeyId=key)
    s.config_recorder()
    s.client("securityhub").enable_security_hub()
    s.client("ec2").enable_ebs_encryption_by_default()
    s.web_front_ends(logs=True)  # before network(): its VPC's default group is emptied there too
    s.network(cifs_cidr="10.0.0.0/8", peer_route="10.1.4.0/24", default_sg_rules=False)


def seed_unsafe(s: Seeder) -> None:
    s.bucket("trail-logs-unsafe")
    s.trail("audit", "trail-logs-unsafe", safe=False, log_group="trail-unsafe")
    heard, unheard = s.topic("alerts", subscribed=True), s.topic("nobody", subscribed=False)
    s.alarmed_filter("trail-unsafe", "everything", "{ $.eventName = * }", heard)
    s.alarmed_filter("trail-unsafe", "sg-anded", pattern_for("security_group_changes").replace("||", "&&"), heard)
    s.alarmed_filter("trail-unsafe", "root-unheard", pattern_for("root_usage"), unheard)
    s.alarmed_filter("trail-unsafe", "hostile", '{ $.eventName = "\\" } ' + "(" * 40, heard)
    s.client("kms").create_key(Description="data", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{s.account}:root"}, "Action": "kms:*",
         "Resource": "*"},
        {"Sid": "vendor", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:role/ingest"},
         "Action": ["kms:Decrypt"], "Resource": "*"}]}))  # rotation off by default
    s.network(cifs_cidr="0.0.0.0/0", peer_route="10.1.0.0/16", default_sg_rules=True)
    s.web_front_ends(logs=False)


@pytest.fixture(scope="module")
def verdicts(moto_url: str) -> dict[str, dict[str, set[str]]]:
    seed_safe(Seeder(moto_url, SAFE))
    seed_unsafe(Seeder(moto_url, UNSAFE))
    Seeder(moto_url, BARE).client("ec2").describe_vpcs()  # the account exists, nothing configured
    cfg = AwsConfig(credential_source="static-test", endpoint_url=moto_url, regions=[REGION], resource_types=TYPES,
                    accounts=[{"id": a, "role_name": "PostureAuditor"} for a in (SAFE, UNSAFE, BARE)])
    sink = ListSink()
    run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    bad = [(str(u.unit), u.status.value, u.error) for u in sink.units if not u.status.completed]
    assert bad == []
    rs = [stored(r) for r in sink.resources]
    findings, _ = evaluate(rs, rs, CONFIG, as_of=AS_OF)
    accounts = {r.resource_key: r.account for r in sink.resources}
    out: dict[str, dict[str, set[str]]] = {}
    for f in findings:
        out.setdefault(f.rule_id, {}).setdefault(accounts[f.resource_key], set()).add(f.status)
    out["_facets"] = {(r.account, r.type): r.facets for r in sink.resources}  # type: ignore[assignment]
    out["_keys"] = [r for r in rs if r.type == "aws.kms.key"]  # type: ignore[assignment]
    return out


def _twin(verdicts: dict[str, dict[str, set[str]]], rule_id: str, unsafe: str = UNSAFE) -> None:
    got = verdicts.get(rule_id, {})
    assert FAIL in got.get(unsafe, set()), (rule_id, got)
    assert got.get(SAFE) and FAIL not in got[SAFE] and UNKNOWN not in got[SAFE], (rule_id, got)


@pytest.mark.parametrize("rule_id", [
    "logging.cloudtrail_log_validation", "logging.cloudtrail_bucket_access_logging", "logging.cloudtrail_kms",
    "logging.s3_object_write_events", "logging.s3_object_read_events", "kms.key_rotation", "network.cifs_open",
    "network.default_sg_allows_traffic", "network.peering_route_broad", "logging.web_access_logging",
])
def test_unsafe_account_fails_and_safe_twin_passes(verdicts, rule_id: str) -> None:  # type: ignore[no-untyped-def]
    _twin(verdicts, rule_id)


@pytest.mark.parametrize("rule_id", ["logging.cloudtrail_multi_region", "logging.config_recording",
                                     "monitoring.securityhub_enabled", "storage.ebs_default_encryption"])
def test_bare_account_fails_and_safe_twin_passes(verdicts, rule_id: str) -> None:  # type: ignore[no-untyped-def]
    _twin(verdicts, rule_id, unsafe=BARE)


@pytest.mark.parametrize("key", [m.key for m in MONITORED])
def test_monitoring_needs_a_matching_filter_and_a_heard_alarm(verdicts, key: str) -> None:  # type: ignore[no-untyped-def]
    got = verdicts[f"monitoring.{key}"]
    assert got[SAFE] == {PASS}, got
    assert got[UNSAFE] == {FAIL}, got  # catch-all, AND-ed list, unheard alarm, hostile pattern: none counts
    assert got[BARE] == {FAIL}, got  # no trail delivers to CloudWatch Logs


def test_collected_facets_of_the_unsafe_alarms(verdicts) -> None:  # type: ignore[no-untyped-def]
    alarms = json.loads(verdicts["_facets"][(UNSAFE, "aws.cloudwatch.trail_alarms")])  # type: ignore[index]
    names = {f["filter"] for f in alarms["alarmed_filters"]}
    assert names == {"everything", "sg-anded", "hostile"}  # the unheard alarm's filter is not kept
    assert alarms["trail_log_groups"] == [f"arn:aws:logs:{REGION}:{UNSAFE}:log-group:trail-unsafe:*"]


def test_denied_services_are_unit_statuses_not_empty_answers(moto_url, verdicts) -> None:  # type: ignore[no-untyped-def]
    """Security Hub and CloudWatch Logs denied: their units say DENIED (the rules then have no resource
    or an unknown, never a PASS); CloudTrail units, which need neither, still complete."""
    from aws_testlib import FaultyFactory

    from auditor.model import UnitStatus

    cfg = AwsConfig(credential_source="static-test", endpoint_url=moto_url, regions=[REGION], resource_types=TYPES,
                    accounts=[{"id": SAFE, "role_name": "PostureAuditor"}])
    faults = {("securityhub", REGION): (403, "AccessDeniedException"), ("logs", REGION): (403, "AccessDeniedException")}
    sink = ListSink()
    run_units(plan(cfg, clients=FaultyFactory(cfg, max_attempts=1, faults=faults)), sink, classifiers={"aws": classify})
    status = {u.unit.resource_type: u.status for u in sink.units}
    assert status["aws.securityhub.hub"] is UnitStatus.DENIED
    assert status["aws.cloudwatch.trail_alarms"] is UnitStatus.DENIED
    assert status["aws.cloudtrail.trail"] is UnitStatus.OK and status["aws.cloudtrail.account"] is UnitStatus.OK
    assert not sink.by_type("aws.securityhub.hub") and not sink.by_type("aws.cloudwatch.trail_alarms")


def test_event_selectors_classic_and_advanced() -> None:
    """Advanced event selectors are read here on the shapes the CloudTrail API documents, not through
    moto (the seeded trails use classic selectors)."""
    from collectors.aws.cloudtrail import event_coverage

    classic = {"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True, "DataResources": [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::one-bucket/"]}]}]}
    assert event_coverage(classic) == {"management_events": ["write"], "object_read_events": False,
                                       "object_write_events": False}
    advanced = {"AdvancedEventSelectors": [
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                            {"Field": "readOnly", "Equals": ["false"]}]},
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                            {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::one-bucket/"]}]}]}
    assert event_coverage(advanced) == {"management_events": ["read", "write"], "object_read_events": False,
                                        "object_write_events": True}


def test_key_policy_principals_become_trust_edges(verdicts) -> None:  # type: ignore[no-untyped-def]
    """The collected key policy feeds the identity layer: a vendor's role allowed to decrypt is an
    external trust edge on the key."""
    from auditor.identity.graph import build_from_resources

    keys = verdicts["_keys"]
    unsafe = [k for k in keys if k.account == UNSAFE]
    assert unsafe and all(k.config["KeyPolicy"]["Statement"] for k in unsafe)
    edges = build_from_resources(keys, CONFIG).edges
    assert [(e.source_key in {k.resource_key for k in unsafe}, e.trusted_id, e.external) for e in edges] == [
        (True, f"arn:aws:iam::{VENDOR}:role/ingest", True)]


def test_every_web_front_end_kind_is_judged(verdicts) -> None:  # type: ignore[no-untyped-def]
    facets = verdicts["_facets"]
    for type_ in ("aws.elbv2.load_balancer", "aws.cloudfront.distribution", "aws.apigateway.stage",
                  "aws.apigatewayv2.stage"):
        assert json.loads(facets[(SAFE, type_)])["access_logging"] is True, type_  # type: ignore[index]
        assert json.loads(facets[(UNSAFE, type_)])["access_logging"] is False, type_  # type: ignore[index]


def test_demo_estate_shows_both_verdicts(moto_url, estate) -> None:  # type: ignore[no-untyped-def]
    """The seeded demo estate (aws_logging_seed): five alarmed monitoring controls and the EU region's
    settings PASS; the other monitoring controls, object-level events and other regions FAIL."""
    from aws_testlib import PRIMARY, REGIONS

    cfg = AwsConfig(credential_source="static-test", endpoint_url=moto_url, regions=list(REGIONS),
                    accounts=[{"id": PRIMARY}], resource_types=TYPES[:6])
    sink = ListSink()
    run_units(plan(cfg, clients=AwsClientFactory(cfg, max_attempts=1)), sink, classifiers={"aws": classify})
    assert all(u.status.completed for u in sink.units)
    rs = [stored(r) for r in sink.resources]
    findings, _ = evaluate(rs, rs, CONFIG, as_of=AS_OF)
    by: dict[tuple[str, str], set[str]] = {}
    region = {r.resource_key: r.region for r in sink.resources}
    for f in findings:
        by.setdefault((f.rule_id, region[f.resource_key]), set()).add(f.status)
    for rid in ("monitoring.root_usage", "monitoring.console_login_without_mfa", "monitoring.cloudtrail_changes",
                "logging.cloudtrail_multi_region"):
        assert by[(rid, "global")] == {PASS}, rid
    for rid in ("monitoring.vpc_changes", "logging.s3_object_read_events"):
        assert by[(rid, "global")] == {FAIL}, rid
    assert by[("logging.cloudtrail_log_validation", "eu-west-1")] == {PASS}
    assert by[("logging.cloudtrail_bucket_access_logging", "eu-west-1")] == {FAIL}
    for rid in ("logging.config_recording", "monitoring.securityhub_enabled", "storage.ebs_default_encryption"):
        assert by[(rid, "eu-west-1")] == {PASS} and by[(rid, "us-east-1")] == {FAIL}, rid
    assert estate.problems["trail_without_object_events"] in region
