"""The audit-logging slice of the seeded AWS estate (CIS AWS sections 4-5), in the primary
account's first EU region: a multi-region CloudTrail trail (validated, KMS-encrypted, delivering
to CloudWatch Logs) with alarms on five of the fifteen CIS monitoring events, AWS Config,
Security Hub and EBS encryption by default in that region only.

So the demo shows both verdicts: the alarmed controls, trail settings and that region PASS; the
other ten monitoring controls, S3 object-level events, the trail bucket's access logging and the
other regions FAIL. Called from ``aws_seed._Seeder.run`` (one line).
"""

from __future__ import annotations

from typing import Any

REGION_PREFERENCE = ("eu-west-1", "eu-central-1")
# CIS's own patterns for the alarmed controls, spelled as the benchmark prints them.
ALARMED = {
    "root-usage": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
                  '$.eventType != "AwsServiceEvent" }',
    "console-without-mfa": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
                           '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    "unauthorized-calls": '{(($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
                          '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket")}',
    "cloudtrail-changes": "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) "
                          "|| ($.eventName = StartLogging) || ($.eventName = StopLogging) }",
    "console-auth-failures": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
}


def seed(seeder: Any, account: str) -> None:
    """Create the slice in ``account`` when it is the estate's primary account."""
    spec, e = seeder.spec, seeder.estate
    if account != spec.accounts[0] or not getattr(spec, "logging_slice", True):
        return
    region = next((r for r in REGION_PREFERENCE if r in spec.regions), spec.regions[0])
    p = spec.prefix
    bucket = f"{p}-cloudtrail-{account[-4:]}"
    seeder.client("s3", account, region).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    e.add("aws.s3.bucket", account, "global", f"arn:aws:s3:::{bucket}", bucket)

    kms = seeder.client("kms", account, region)
    key = kms.create_key(Description=f"{p} cloudtrail key")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    e.add("aws.kms.key", account, region, key, key.rsplit("/", 1)[-1])

    group = f"{p}-cloudtrail"
    seeder.client("logs", account, region).create_log_group(logGroupName=group)
    ct = seeder.client("cloudtrail", account, region)
    trail = ct.create_trail(Name=f"{p}-org-trail", S3BucketName=bucket, IsMultiRegionTrail=True,
                            EnableLogFileValidation=True, KmsKeyId=key,
                            CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{account}:log-group:{group}:*",
                            CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/{p}-cloudtrail-logs")
    ct.start_logging(Name=trail["Name"])
    ct.put_event_selectors(TrailName=trail["Name"],
                           EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}])
    trail_key = e.add("aws.cloudtrail.trail", account, region, trail["TrailARN"], trail["Name"])

    sns, sqs = seeder.client("sns", account, region), seeder.client("sqs", account, region)
    topic = sns.create_topic(Name=f"{p}-security-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"{p}-security-alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    logs, cw = seeder.client("logs", account, region), seeder.client("cloudwatch", account, region)
    for name, pattern in ALARMED.items():
        logs.put_metric_filter(logGroupName=group, filterName=name, filterPattern=pattern, metricTransformations=[
            {"metricName": name, "metricNamespace": "CISBenchmark", "metricValue": "1"}])
        cw.put_metric_alarm(AlarmName=f"{p}-{name}", MetricName=name, Namespace="CISBenchmark", Statistic="Sum",
                            Period=300, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic])

    config = seeder.client("config", account, region)
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{account}:role/{p}-config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    seeder.client("securityhub", account, region).enable_security_hub()
    seeder.client("ec2", account, region).enable_ebs_encryption_by_default()
    e.problems["trail_without_object_events"] = trail_key
