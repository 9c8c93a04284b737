"""Specs for the logging, monitoring and regional security settings CIS AWS sections 4-6 read:
CloudTrail, AWS Config, CloudWatch alarms on trail events, Security Hub, KMS keys and EBS
encryption by default. Registered in ``specs.SPECS``."""

from __future__ import annotations

from auditor.canonical import HashRules
from collectors.aws import cloudtrail, kms_keys, region_settings, trail_alarms, web_frontends
from collectors.aws.policy import DOC_UNORDERED
from collectors.spec import ResourceSpec

TRAIL_CALLS = ("cloudtrail:describe_trails", "cloudtrail:get_trail_status", "cloudtrail:get_event_selectors")
TRAIL_PERMISSIONS = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors")
SELECTORS = ("config.EventSelectors.EventSelectors", "config.EventSelectors.AdvancedEventSelectors",
             "facets.management_events")

LOGGING_SPECS: tuple[ResourceSpec, ...] = (
    ResourceSpec(
        provider="aws", type="aws.cloudtrail.trail", category="security", service="cloudtrail",
        list_call=TRAIL_CALLS[0], detail_calls=(*TRAIL_CALLS[1:], "s3:get_bucket_logging"),
        permissions=(*TRAIL_PERMISSIONS, "s3:GetBucketLogging"),
        hash_rules=HashRules(unordered=SELECTORS), collect=cloudtrail.collect_trails,
        doc="Trails in their home region: status, event selectors, validation, KMS, bucket access logging.",
    ),
    ResourceSpec(
        provider="aws", type="aws.cloudtrail.account", category="security", service="cloudtrail", scope="account",
        list_call=TRAIL_CALLS[0], detail_calls=TRAIL_CALLS[1:], permissions=TRAIL_PERMISSIONS,
        hash_rules=HashRules(unordered=("config.MultiRegionTrails", "facets.multi_region_trails")),
        collect=cloudtrail.collect_account_trails,
        doc="Account-wide trail coverage: working multi-region trails, S3 object-level events for all buckets.",
    ),
    ResourceSpec(
        provider="aws", type="aws.cloudwatch.trail_alarms", category="security", service="logs", scope="account",
        list_call=TRAIL_CALLS[0],
        detail_calls=(*TRAIL_CALLS[1:], "logs:describe_metric_filters", "cloudwatch:describe_alarms",
                      "sns:list_subscriptions_by_topic"),
        permissions=(*TRAIL_PERMISSIONS, "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms",
                     "sns:ListSubscriptionsByTopic"),
        hash_rules=HashRules(unordered=("config.TrailLogGroups", "config.AlarmedFilters", "facets.trail_log_groups",
                                        "facets.alarmed_filters")),
        collect=trail_alarms.collect_trail_alarms,
        doc="Metric filters on multi-region trails' log groups whose alarms notify a subscribed SNS topic.",
    ),
    ResourceSpec(
        provider="aws", type="aws.config.recorders", category="security", service="config",
        list_call="config:describe_configuration_recorders",
        detail_calls=("config:describe_configuration_recorder_status",),
        permissions=("config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus"),
        hash_rules=HashRules(unordered=("config.ConfigurationRecorders", "config.Status")),
        collect=region_settings.collect_config_recorders, doc="AWS Config recording per region.",
    ),
    ResourceSpec(
        provider="aws", type="aws.securityhub.hub", category="security", service="securityhub",
        list_call="securityhub:describe_hub", permissions=("securityhub:DescribeHub",),
        collect=region_settings.collect_security_hub, doc="Security Hub per region (enabled or not).",
    ),
    ResourceSpec(
        provider="aws", type="aws.ec2.ebs_default_encryption", category="security", service="ec2",
        list_call="ec2:get_ebs_encryption_by_default", permissions=("ec2:GetEbsEncryptionByDefault",),
        collect=region_settings.collect_ebs_default_encryption, doc="EBS encryption by default per region.",
    ),
    ResourceSpec(
        provider="aws", type="aws.kms.key", category="iam", service="kms", list_call="kms:list_keys",
        detail_calls=("kms:describe_key", "kms:get_key_rotation_status", "kms:get_key_policy"),
        permissions=("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:GetKeyPolicy"),
        hash_rules=HashRules(unordered=tuple(f"config.KeyPolicy.{p}" for p in DOC_UNORDERED)),
        collect=kms_keys.collect_keys,
        doc="KMS keys: manager, state, spec, rotation, key policy (cross-account principals become trust edges).",
    ),
    # ---- web front ends (CIS AWS 7.0 4.10: access logging) --------------------------------------
    ResourceSpec(
        provider="aws", type="aws.elbv2.load_balancer", category="network", service="elbv2",
        list_call="elbv2:describe_load_balancers", detail_calls=("elbv2:describe_load_balancer_attributes",),
        permissions=("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes"),
        hash_rules=HashRules(unordered=("config.AvailabilityZones", "config.SecurityGroups")),
        collect=web_frontends.collect_load_balancers, doc="Application/network/gateway load balancers: access logs.",
    ),
    ResourceSpec(
        provider="aws", type="aws.cloudfront.distribution", category="network", service="cloudfront", scope="global",
        list_call="cloudfront:list_distributions", detail_calls=("cloudfront:get_distribution_config",),
        permissions=("cloudfront:ListDistributions", "cloudfront:GetDistributionConfig"),
        collect=web_frontends.collect_distributions, doc="CloudFront distributions: standard access logs.",
    ),
    ResourceSpec(
        provider="aws", type="aws.apigateway.stage", category="network", service="apigateway",
        list_call="apigateway:get_rest_apis", detail_calls=("apigateway:get_stages",), permissions=("apigateway:GET",),
        collect=web_frontends.collect_rest_api_stages, doc="API Gateway REST API stages: access log destination.",
    ),
    ResourceSpec(
        provider="aws", type="aws.apigatewayv2.stage", category="network", service="apigatewayv2",
        list_call="apigatewayv2:get_apis", detail_calls=("apigatewayv2:get_stages",), permissions=("apigateway:GET",),
        collect=web_frontends.collect_http_api_stages, doc="API Gateway HTTP/WebSocket API stages: access log destination.",
    ),
)
