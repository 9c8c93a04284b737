"""AWS logging, monitoring and network controls of the CIS Foundations benchmark (sections 4-6).

Monitoring controls ask whether some metric filter on a working multi-region trail's log group,
with an alarm somebody hears (the collector keeps only those), matches the events CIS names.
Each control is a table row: sample CloudTrail events the filter must match, and an ordinary
event it must not (a catch-all filter pages on everything and so monitors nothing in particular).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable

from auditor.rules.facts import MISSING, facet, flag, unknown
from auditor.rules.log_patterns import PatternError, matches, parse
from auditor.rules.network import open_admin_ports
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, Result

TRAIL = ("aws.cloudtrail.trail",)
ACCOUNT_TRAILS = ("aws.cloudtrail.account",)
ALARMS = ("aws.cloudwatch.trail_alarms",)
CIFS_PORTS = (139, 445)
USER = {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}


def _flag(res: Any, name: str, what: str, on: str, off: str) -> Result | None:
    """PASS when a boolean facet is true, FAIL when false, UNKNOWN when unread."""
    return flag(res, name, good=True, ok=on, bad=off, what=what)


# ---- section 4: logging ---------------------------------------------------------------------

@rule(id="logging.cloudtrail_multi_region", title="No multi-region CloudTrail trail is logging", severity="high",
      kind="posture", types=ACCOUNT_TRAILS, reads=("multi_region_trails",),
      rationale="Without a trail that records read and write management events in every region, API activity in "
                "an unwatched region (where an attacker would go) leaves no record.",
      remediation="Create or update a trail with IsMultiRegionTrail, management events ReadWriteType All, and "
                  "start logging on it.")
def cloudtrail_multi_region(res: Any, ctx: RuleContext) -> Result | None:
    trails = facet(res, "multi_region_trails")
    if trails is None:
        return unknown("multi-region trail status and event selectors")
    if trails:
        return Result(PASS, f"{len(trails)} multi-region trail(s) logging read and write management events",
                      {"trails": trails})
    return Result(FAIL, "no multi-region trail is logging read and write management events")


@rule(id="logging.cloudtrail_log_validation", title="CloudTrail log file validation is disabled", severity="medium",
      kind="posture", types=TRAIL, reads=("log_file_validation",),
      rationale="Digest files are the only way to prove CloudTrail logs were not altered or deleted after delivery.",
      remediation="Enable log file validation on the trail (EnableLogFileValidation).")
def cloudtrail_log_validation(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "log_file_validation", "log file validation", "log file validation enabled",
                 "log file validation disabled")


@rule(id="logging.cloudtrail_bucket_access_logging", title="The CloudTrail bucket has no server access logging",
      severity="low", kind="posture", types=TRAIL, reads=("log_bucket_access_logging",),
      rationale="Access logs on the bucket holding the audit trail show who read or tried to tamper with it.",
      remediation="Enable server access logging on the trail's S3 bucket, to a separate bucket.")
def cloudtrail_bucket_access_logging(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "log_bucket_access_logging", "the trail bucket's access logging (bucket unreadable or in another "
                 "account)", "trail bucket has server access logging", "trail bucket has no server access logging")


@rule(id="logging.cloudtrail_kms", title="CloudTrail logs are not encrypted with a KMS key", severity="medium",
      kind="posture", types=TRAIL, reads=("kms_encrypted",),
      rationale="SSE-KMS adds a key policy between readers of the log bucket and the audit records, and logs key use.",
      remediation="Set a customer-managed KMS key on the trail (KmsKeyId) with a policy that lets CloudTrail encrypt.")
def cloudtrail_kms(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "kms_encrypted", "trail encryption", "logs encrypted with a KMS key", "logs not KMS-encrypted")


@rule(id="logging.config_recording", title="AWS Config is not recording in this region", severity="medium",
      kind="posture", types=("aws.config.recorders",), reads=("config_recording",),
      rationale="Config's history of resource configurations is what change investigations and compliance evidence "
                "rely on; a region without it is unaccounted for.",
      remediation="Create a configuration recorder for all supported resource types with a delivery channel and "
                  "start it, in every region.")
def config_recording(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "config_recording", "AWS Config recorder status", "a recorder records all resource types",
                 "no recorder records all resource types successfully")


@rule(id="kms.key_rotation", title="A customer-managed KMS key does not rotate", severity="medium", kind="posture",
      types=("aws.kms.key",), reads=("rotatable", "key_rotation"),
      rationale="Automatic rotation limits how much data one key version protects and the value of a leaked key.",
      remediation="Enable automatic key rotation on customer-managed symmetric keys (EnableKeyRotation).")
def kms_key_rotation(res: Any, ctx: RuleContext) -> Result | None:
    rotatable = facet(res, "rotatable")
    if rotatable is MISSING or rotatable is False:
        return None
    if rotatable is None:
        return unknown("key metadata")
    return _flag(res, "key_rotation", "key rotation status", "automatic rotation enabled", "automatic rotation disabled")


def _s3_events(res: Any, name: str, kind: str) -> Result | None:
    return _flag(res, name, f"trail event selectors (S3 object-level {kind} events)",
                 f"a logging multi-region trail records S3 object-level {kind} events for all buckets",
                 f"no logging multi-region trail records S3 object-level {kind} events for all buckets")


@rule(id="logging.s3_object_write_events", title="S3 object-level write events are not recorded", severity="low",
      kind="posture", types=ACCOUNT_TRAILS, reads=("object_write_events",),
      rationale="Object-level write events show who put or deleted which object; management events do not.",
      remediation="Add a data event selector for AWS::S3::Object (all buckets, write) to a multi-region trail.")
def s3_object_write_events(res: Any, ctx: RuleContext) -> Result | None:
    return _s3_events(res, "object_write_events", "write")


@rule(id="logging.s3_object_read_events", title="S3 object-level read events are not recorded", severity="low",
      kind="posture", types=ACCOUNT_TRAILS, reads=("object_read_events",),
      rationale="Object-level read events show who downloaded which object: the record of a data theft.",
      remediation="Add a data event selector for AWS::S3::Object (all buckets, read) to a multi-region trail.")
def s3_object_read_events(res: Any, ctx: RuleContext) -> Result | None:
    return _s3_events(res, "object_read_events", "read")


# ---- section 5: monitoring --------------------------------------------------------------------

def _api(source: str, *names: str) -> tuple[dict[str, Any], ...]:
    return tuple({"eventVersion": "1.08", "eventSource": f"{source}.amazonaws.com", "eventName": n,
                  "eventType": "AwsApiCall", "userIdentity": USER, "sourceIPAddress": "203.0.113.7",
                  "awsRegion": "eu-west-1"} for n in names)


def _login(**over: Any) -> dict[str, Any]:
    event = {"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn",
             "userIdentity": USER, "sourceIPAddress": "203.0.113.7",
             "additionalEventData": {"MFAUsed": "Yes"}, "responseElements": {"ConsoleLogin": "Success"}}
    for k, v in over.items():
        event[k] = {**event[k], **v} if isinstance(v, dict) and isinstance(event.get(k), dict) else v
    return event


@dataclass(frozen=True)
class Monitored:
    """One CIS monitoring control: the events its filter must catch and an everyday one it must not."""

    key: str
    title: str
    events: tuple[dict[str, Any], ...]
    ordinary: tuple[dict[str, Any], ...]
    severity: str = "medium"


EC2_READ = _api("ec2", "DescribeInstances")
MONITORED: tuple[Monitored, ...] = (
    Monitored("unauthorized_api_calls", "unauthorized API calls",
              ({**_api("ec2", "RunInstances")[0], "errorCode": "Client.UnauthorizedOperation"},
               {**_api("s3", "GetObject")[0], "errorCode": "AccessDenied"}), EC2_READ),
    Monitored("console_login_without_mfa", "console sign-in without MFA",
              (_login(additionalEventData={"MFAUsed": "No"}),), (_login(),), severity="high"),
    Monitored("root_usage", "use of the root user",
              ({**_api("iam", "CreateAccessKey")[0], "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root"}},),
              EC2_READ, severity="high"),
    Monitored("iam_policy_changes", "IAM policy changes",
              _api("iam", "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
                   "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
                   "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
                   "AttachGroupPolicy", "DetachGroupPolicy"), _api("iam", "ListUsers")),
    Monitored("cloudtrail_changes", "CloudTrail configuration changes",
              _api("cloudtrail", "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
              _api("cloudtrail", "DescribeTrails"), severity="high"),
    Monitored("console_auth_failures", "console authentication failures",
              (_login(errorMessage="Failed authentication", responseElements={"ConsoleLogin": "Failure"}),),
              (_login(),), severity="low"),
    Monitored("cmk_disable_or_deletion", "disabling or scheduled deletion of customer-managed keys",
              _api("kms", "DisableKey", "ScheduleKeyDeletion"), _api("kms", "Decrypt")),
    Monitored("s3_bucket_policy_changes", "S3 bucket policy changes",
              _api("s3", "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
                   "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle",
                   "DeleteBucketReplication"), _api("s3", "ListBuckets")),
    Monitored("config_changes", "AWS Config configuration changes",
              _api("config", "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
                   "PutConfigurationRecorder"), _api("config", "DescribeConfigurationRecorders")),
    Monitored("security_group_changes", "security group changes",
              _api("ec2", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
                   "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"), EC2_READ),
    Monitored("nacl_changes", "network ACL changes",
              _api("ec2", "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
                   "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"), EC2_READ),
    Monitored("network_gateway_changes", "network gateway changes",
              _api("ec2", "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
                   "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway"), EC2_READ),
    Monitored("route_table_changes", "route table changes",
              _api("ec2", "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
                   "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"), EC2_READ),
    Monitored("vpc_changes", "VPC changes",
              _api("ec2", "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
                   "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
                   "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink"),
              EC2_READ),
    Monitored("organizations_changes", "AWS Organizations changes",
              _api("organizations", "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit",
                   "CreatePolicy", "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit",
                   "DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType",
                   "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
                   "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"),
              _api("organizations", "ListAccounts")),
)


def judge_monitoring(spec: Monitored, filters: list[dict[str, Any]]) -> tuple[list[str], list[str], list[str]]:
    """(filters that catch some of the control's events, event names no filter catches, patterns not understood).
    A filter counts when it matches at least one event of the control and none of the ordinary ones."""
    useful: list[str] = []
    caught: set[int] = set()
    odd: list[str] = []
    for f in filters:
        if not isinstance(f, dict):
            continue
        try:
            tree = parse(f.get("pattern"))  # type: ignore[arg-type]
        except PatternError:
            odd.append(str(f.get("filter")))
            continue
        if any(matches(tree, e) for e in spec.ordinary):
            continue
        hit = {i for i, e in enumerate(spec.events) if matches(tree, e)}
        if hit:
            useful.append(str(f.get("filter")))
            caught |= hit
    missed = [str(e["eventName"]) for i, e in enumerate(spec.events) if i not in caught]
    return useful, missed, odd


def _monitoring_rule(spec: Monitored) -> Callable[[Any, RuleContext], Result | None]:
    def judge(res: Any, ctx: RuleContext) -> Result | None:
        groups, filters = facet(res, "trail_log_groups"), facet(res, "alarmed_filters")
        if groups is MISSING:
            return None
        if groups is None:
            return unknown("trail log groups")
        if not groups:
            return Result(FAIL, "no logging multi-region trail delivers to CloudWatch Logs")
        if filters is None:
            return unknown("metric filters and alarms")
        useful, missed, odd = judge_monitoring(spec, filters)
        evidence = {"filters": useful, "log_groups": groups, "patterns_not_understood": odd}
        if missed:
            return Result(FAIL, f"no alarmed metric filter catches {spec.title}: {', '.join(sorted(set(missed))[:6])}",
                          {**evidence, "missed": sorted(set(missed))})
        return Result(PASS, f"{spec.title} raise an alarm with a subscriber", evidence)

    judge.__name__ = f"monitor_{spec.key}"
    judge.__qualname__ = judge.__name__
    return rule(id=f"monitoring.{spec.key}", title=f"No alarm on {spec.title}", severity=spec.severity,
                kind="posture", types=ALARMS, reads=("trail_log_groups", "alarmed_filters"),
                rationale=f"CIS asks for a CloudWatch metric filter and alarm on {spec.title} so that they are seen "
                          "when they happen, not at the next audit.",
                remediation="Send a multi-region trail to CloudWatch Logs, add a metric filter matching these "
                            "events, and an alarm on its metric that notifies an SNS topic with a subscriber.")(judge)


for _spec in MONITORED:
    globals()[f"monitor_{_spec.key}"] = _monitoring_rule(_spec)
del _spec


@rule(id="monitoring.securityhub_enabled", title="Security Hub is not enabled in this region", severity="medium",
      kind="posture", types=("aws.securityhub.hub",), reads=("securityhub_enabled",),
      rationale="Security Hub gathers findings from AWS security services and checks the account against standards.",
      remediation="Enable Security Hub in every region (or through the organization's delegated administrator).")
def securityhub_enabled(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "securityhub_enabled", "Security Hub status", "Security Hub enabled", "Security Hub not enabled")


# ---- section 6: networking --------------------------------------------------------------------

@rule(id="storage.ebs_default_encryption", title="EBS encryption by default is off in this region", severity="medium",
      kind="posture", types=("aws.ec2.ebs_default_encryption",), reads=("ebs_default_encryption",),
      rationale="With the default on, no new volume or snapshot copy can be created unencrypted by mistake.",
      remediation="Enable EBS encryption by default (EnableEbsEncryptionByDefault) in every region.")
def ebs_default_encryption(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "ebs_default_encryption", "EBS default encryption", "EBS encryption by default on",
                 "EBS encryption by default off")


@rule(id="network.cifs_open", title="CIFS/SMB open to the internet", severity="high", kind="posture",
      categories=("network",), reads=("ingress",),
      rationale="SMB (445, and NetBIOS 139) exposed to the internet is a common path for ransomware and worms.",
      remediation="Remove internet-wide ingress to ports 139/445; reach file shares over VPN or private networks.")
def cifs_open(res: Any, ctx: RuleContext) -> Result | None:
    ingress = facet(res, "ingress")
    if ingress is MISSING:
        return None
    if ingress is None:
        return unknown("ingress rules")
    found = open_admin_ports(ingress, CIFS_PORTS)
    if found:
        return Result(FAIL, f"ports {sorted({f['port'] for f in found})} open to the internet", {"open": found})
    return Result(PASS, "CIFS ports not open to the internet")


@rule(id="network.default_sg_allows_traffic", title="A VPC's default security group allows traffic",
      severity="medium", kind="posture", types=("aws.ec2.security_group",),
      reads=("default_group", "ingress", "egress"),
      rationale="Instances land in the default group when no other is named; with no rules it denies everything, "
                "so nothing is exposed by accident.",
      remediation="Remove every inbound and outbound rule from each VPC's default security group.")
def default_sg_allows_traffic(res: Any, ctx: RuleContext) -> Result | None:
    default = facet(res, "default_group")
    if default is MISSING or default is False:
        return None
    ingress, egress = facet(res, "ingress"), facet(res, "egress")
    if default is None or ingress in (None, MISSING) or egress in (None, MISSING):
        return unknown("default security group rules")
    if ingress or egress:
        return Result(FAIL, f"default security group has {len(ingress)} inbound and {len(egress)} outbound rule(s)",
                      {"ingress": ingress[:10], "egress": egress[:10]})
    return Result(PASS, "default security group has no rules")


def _net(cidr: Any) -> Any:
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


@rule(id="network.peering_route_broad", title="Routes over a VPC peering are not least access", severity="medium",
      kind="posture", types=("aws.ec2.vpc_peering",), reads=("peering_routes", "peer_cidrs"),
      rationale="Routing a whole peer VPC (or everything) through a peering lets every host reach every host; CIS "
                "asks for routes to the subnets and hosts that need to talk.",
      remediation="Replace routes whose destination is the peer VPC's whole CIDR or 0.0.0.0/0 with narrower ones.")
def peering_route_broad(res: Any, ctx: RuleContext) -> Result | None:
    routes, peers = facet(res, "peering_routes"), facet(res, "peer_cidrs")
    if routes is MISSING:
        return None
    if routes is None or peers in (None, MISSING):
        return unknown("peering routes")
    whole = [n for n in (_net(c) for c in peers) if n is not None]
    broad = []
    for r in routes:
        net = _net(r.get("cidr")) if isinstance(r, dict) else None
        if net is None:
            continue
        if net.prefixlen == 0 or any(net.version == w.version and w.subnet_of(net) for w in whole):  # type: ignore[arg-type]
            broad.append(r)
    if broad:
        return Result(FAIL, f"{len(broad)} route(s) send a whole VPC or everything through the peering",
                      {"routes": broad[:10]})
    return Result(PASS, "routes through the peering are narrower than the peer VPCs", {"routes": len(routes)})


@rule(id="logging.web_access_logging", title="A web front end keeps no access logs", severity="low", kind="posture",
      types=("aws.elbv2.load_balancer", "aws.cloudfront.distribution", "aws.apigateway.stage", "aws.apigatewayv2.stage"),
      reads=("access_logging",),
      rationale="Request logs of load balancers, CDN distributions and API stages are the record of who called "
                "what from where; without them an attack on the application leaves no trace at the edge.",
      remediation="Enable access logs: load balancer attribute access_logs.s3.enabled, CloudFront standard logging, "
                  "or an access log destination on each API Gateway stage.")
def web_access_logging(res: Any, ctx: RuleContext) -> Result | None:
    return _flag(res, "access_logging", "access log settings", "access logs delivered", "access logging disabled")
