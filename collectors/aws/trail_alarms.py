"""CloudWatch alarms on CloudTrail events: the metric filters on the log groups that working
multi-region trails deliver to, kept when their metric has an alarm that notifies an SNS topic
with at least one confirmed subscriber. Which events a filter catches is the rules' question
(``auditor.rules.log_patterns``); here we decide only which filters raise a heard alarm.

One account-wide unit: trails are read from the partition's home region, each log group, its
alarms and topics in their own regions. Patterns are stored as the strings AWS returns.
"""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.aws.cloudtrail import effective, multi_region_trails
from collectors.aws.context import AwsUnitContext, paginate
from collectors.aws.errors import DetailFailures
from collectors.aws.listing import FAILED, detail

PATTERN_MAX = 1024  # CloudWatch Logs' own limit on a filter pattern


def _arn_parts(arn: str) -> tuple[str, str] | None:
    """(region, log group name) from ``arn:aws:logs:<region>:<acct>:log-group:<name>[:*]``."""
    parts = str(arn).split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    name = parts[6]
    if name.endswith(":*"):
        name = name[:-2]
    return parts[3], name


def _topic_region(arn: str) -> str | None:
    parts = str(arn).split(":")
    return parts[3] if len(parts) >= 6 and parts[2] == "sns" else None


class Subscribers:
    """Whether an SNS topic has a confirmed subscriber, asked once per topic."""

    def __init__(self, ctx: AwsUnitContext, failures: DetailFailures) -> None:
        self.ctx, self.failures = ctx, failures
        self._seen: dict[str, bool | None] = {}

    def heard(self, topic: str) -> bool | None:
        if topic not in self._seen:
            region = _topic_region(topic)
            if region is None:
                self._seen[topic] = False
            else:
                sns = self.ctx.client("sns", region)
                subs = detail(self.failures, f"{topic} list_subscriptions_by_topic",
                              lambda: list(paginate(sns, "list_subscriptions_by_topic", "Subscriptions",
                                                    TopicArn=topic)))
                if subs is FAILED:
                    self._seen[topic] = None
                else:
                    self._seen[topic] = any(str(s.get("SubscriptionArn", "")).startswith("arn:") for s in subs or [])
        return self._seen[topic]


def _alarms_by_metric(ctx: AwsUnitContext, region: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for alarm in paginate(ctx.client("cloudwatch", region), "describe_alarms", "MetricAlarms"):
        key = (str(alarm.get("Namespace")), str(alarm.get("MetricName")))
        out.setdefault(key, []).append(alarm)
    return out


def collect_trail_alarms(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    trails = multi_region_trails(ctx, failures)
    groups: dict[tuple[str, str], str] = {}
    undecided = False
    for trail, details in trails:
        eff = effective(details)
        undecided |= eff is None
        arn = trail.get("CloudWatchLogsLogGroupArn")
        parts = _arn_parts(arn) if eff and arn else None
        if parts:
            groups[parts] = arn
    subscribers = Subscribers(ctx, failures)
    alarmed: list[dict[str, Any]] = []
    alarm_index: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
    for (region, name), arn in sorted(groups.items()):
        logs = ctx.client("logs", region)
        filters = list(paginate(logs, "describe_metric_filters", "metricFilters", logGroupName=name))
        if region not in alarm_index:
            alarm_index[region] = _alarms_by_metric(ctx, region)
        for f in filters:
            heard: list[str] = []
            for mt in f.get("metricTransformations") or []:
                for alarm in alarm_index[region].get((str(mt.get("metricNamespace")), str(mt.get("metricName"))), []):
                    topics = [a for a in alarm.get("AlarmActions") or [] if _topic_region(a)]
                    verdicts = [subscribers.heard(t) for t in topics]
                    if any(verdicts):
                        heard.append(str(alarm.get("AlarmName")))
                    elif None in verdicts:
                        undecided = True
            if heard:
                alarmed.append({"log_group": arn, "filter": f.get("filterName"),
                                "pattern": str(f.get("filterPattern") or "")[:PATTERN_MAX],
                                "alarms": sorted(set(heard))})
    yield ctx.resource(
        native_id=ctx.arn("cloudwatch", "trail-alarms", region=""), name="cloudtrail-alarms",
        config={"TrailLogGroups": sorted(groups.values()), "AlarmedFilters": alarmed},
        facets={
            "trail_log_groups": sorted(groups.values()) if groups or not undecided else None,
            # a filter whose alarm could not be traced might be the one CIS wants: unknown, not absent
            "alarmed_filters": alarmed if alarmed or not undecided else None,
        },
    )
    failures.raise_if_any()
