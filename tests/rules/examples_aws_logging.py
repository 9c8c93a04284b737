"""FAIL/PASS examples for auditor/rules/cis_aws_logging.py (CIS AWS sections 4-6)."""

from __future__ import annotations

from typing import Any, Callable

from auditor.facets import rule as net_rule
from auditor.model import Resource, make_resource
from auditor.rules.cis_aws_logging import MONITORED

ACCOUNT = "111122223333"


def res(provider: str, type_: str, category: str, name: str, facets: dict[str, Any], *,
        region: str = "eu-west-1") -> Resource:
    """Like examples.res (not imported: examples.py imports this module while it loads)."""
    return make_resource(provider=provider, account=ACCOUNT, region=region, category=category, type=type_,
                         native_id=f"{type_}/{name}", name=name, config={"name": name}, tags={}, facets=facets)


LOG_GROUP = "arn:aws:logs:eu-west-1:111122223333:log-group:trail:*"
# The patterns the CIS benchmark prints, spelled with the spacing and quoting variants seen in the wild.
CIS_PATTERNS = {
    "unauthorized_api_calls": '{(($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
                              '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket")}',
    "console_login_without_mfa": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
                                 '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    "root_usage": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
                  '$.eventType != "AwsServiceEvent" }',
    "iam_policy_changes": "{($.eventSource=iam.amazonaws.com) && (" + "||".join(
        f"($.eventName={n})" for n in ("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
                                       "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy",
                                       "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy",
                                       "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
                                       "AttachGroupPolicy", "DetachGroupPolicy")) + ")}",
    "console_auth_failures": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
}


def _any_of(spec_key: str) -> str:
    """A filter catching exactly the control's events: eventSource + eventName alternatives."""
    spec = next(m for m in MONITORED if m.key == spec_key)
    names = " || ".join(f'($.eventName = "{e["eventName"]}")' for e in spec.events)
    return f'{{ ($.eventSource = "{spec.events[0]["eventSource"]}") && ({names}) }}'


def pattern_for(key: str) -> str:
    return CIS_PATTERNS.get(key) or _any_of(key)


def alarms(*filters: tuple[str, str], groups: list[str] | None = None) -> list[Resource]:
    return [res("aws", "aws.cloudwatch.trail_alarms", "security", "alarms",
                {"trail_log_groups": [LOG_GROUP] if groups is None else groups,
                 "alarmed_filters": [{"log_group": LOG_GROUP, "filter": n, "pattern": p, "alarms": [f"{n}-alarm"]}
                                     for n, p in filters]}, region="global")]


def _broken(key: str) -> str:
    """The control's pattern with every alternative AND-ed: names every event, matches none."""
    return pattern_for(key).replace("||", "&&")


def _monitoring_examples() -> dict[str, tuple[Callable[[], list[Resource]], Callable[[], list[Resource]]]]:
    out = {}
    for m in MONITORED:
        good = (m.key, pattern_for(m.key))
        unsafe = (lambda: alarms(("everything", "{ $.eventName = * }"))) if m.key in CIS_PATTERNS else \
            (lambda k=m.key: alarms((k, _broken(k))))  # type: ignore[misc]
        out[f"monitoring.{m.key}"] = (unsafe, lambda g=good: alarms(g))  # type: ignore[misc]
    return out


def trail(**facets: Any) -> list[Resource]:
    base = {"multi_region": True, "trail_logging": True, "log_file_validation": True, "kms_encrypted": True,
            "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/1", "log_bucket": "trail-logs",
            "log_bucket_access_logging": True, "cloudwatch_log_group": LOG_GROUP, "management_events": ["read", "write"],
            "object_read_events": False, "object_write_events": False}
    return [res("aws", "aws.cloudtrail.trail", "security", "t", {**base, **facets})]


def account_trails(**facets: Any) -> list[Resource]:
    base = {"multi_region_trails": ["arn:aws:cloudtrail:eu-west-1:111122223333:trail/t"],
            "object_read_events": True, "object_write_events": True}
    return [res("aws", "aws.cloudtrail.account", "security", "cloudtrail", {**base, **facets}, region="global")]


def one(type_: str, category: str, **facets: Any) -> list[Resource]:
    return [res("aws", type_, category, type_.rsplit(".", 1)[-1], facets)]


def key(**facets: Any) -> list[Resource]:
    base = {"key_manager": "customer", "key_state": "Enabled", "key_spec": "SYMMETRIC_DEFAULT", "rotatable": True}
    return one("aws.kms.key", "iam", **{**base, **facets})


def default_sg(ingress: list[Any], egress: list[Any]) -> list[Resource]:
    return [res("aws", "aws.ec2.security_group", "network", "default",
                {"default_group": True, "ingress": ingress, "egress": egress})]


def peering(cidr: str) -> list[Resource]:
    return one("aws.ec2.vpc_peering", "network", peer_cidrs=["10.0.0.0/16", "10.1.0.0/16"],
               peering_routes=[{"route_table": "rtb-1", "cidr": cidr}])


EXAMPLES = {
    "logging.cloudtrail_multi_region": (lambda: account_trails(multi_region_trails=[]), account_trails),
    "logging.cloudtrail_log_validation": (lambda: trail(log_file_validation=False), trail),
    "logging.cloudtrail_bucket_access_logging": (lambda: trail(log_bucket_access_logging=False), trail),
    "logging.cloudtrail_kms": (lambda: trail(kms_encrypted=False, kms_key=""), trail),
    "logging.config_recording": (lambda: one("aws.config.recorders", "security", config_recording=False),
                                 lambda: one("aws.config.recorders", "security", config_recording=True)),
    "kms.key_rotation": (lambda: key(key_rotation=False), lambda: key(key_rotation=True)),
    "logging.s3_object_write_events": (lambda: account_trails(object_write_events=False), account_trails),
    "logging.s3_object_read_events": (lambda: account_trails(object_read_events=False), account_trails),
    **_monitoring_examples(),
    "monitoring.securityhub_enabled": (lambda: one("aws.securityhub.hub", "security", securityhub_enabled=False),
                                       lambda: one("aws.securityhub.hub", "security", securityhub_enabled=True)),
    "storage.ebs_default_encryption": (
        lambda: one("aws.ec2.ebs_default_encryption", "security", ebs_default_encryption=False),
        lambda: one("aws.ec2.ebs_default_encryption", "security", ebs_default_encryption=True)),
    "network.cifs_open": (
        lambda: one("aws.ec2.network_acl", "network", ingress=[net_rule("ingress", "::/0", "tcp", 445, 445)], egress=[]),
        lambda: one("aws.ec2.network_acl", "network", ingress=[net_rule("ingress", "10.0.0.0/8", "tcp", 445, 445)],
                    egress=[])),
    "network.default_sg_allows_traffic": (
        lambda: default_sg([], [net_rule("egress", "0.0.0.0/0", "all")]), lambda: default_sg([], [])),
    "network.peering_route_broad": (lambda: peering("10.1.0.0/16"), lambda: peering("10.1.4.0/24")),
    "logging.web_access_logging": (lambda: one("aws.elbv2.load_balancer", "network", access_logging=False),
                                   lambda: one("aws.elbv2.load_balancer", "network", access_logging=True)),
}
