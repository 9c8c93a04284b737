"""AWS-managed web front ends and whether they keep access logs (CIS AWS 7.0 4.10): application
and network load balancers, CloudFront distributions, API Gateway REST and HTTP/WebSocket stages.

``access_logging`` is True when the service delivers request logs somewhere (S3 for load
balancers and CloudFront standard logs, a log destination for API stages); False when it is
configured off; None when the detail call failed (the unit is then incomplete)."""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, paginate
from collectors.aws.errors import DetailFailures
from collectors.aws.listing import GONE, detail, ok, strip_meta


def _attrs(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(a.get("Key")): str(a.get("Value")) for a in items or []}


def collect_load_balancers(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    elb = ctx.client("elbv2")
    for lb in paginate(elb, "describe_load_balancers", "LoadBalancers"):
        arn = lb["LoadBalancerArn"]
        resp = detail(failures, f"{lb.get('LoadBalancerName')} describe_load_balancer_attributes",
                      lambda: elb.describe_load_balancer_attributes(LoadBalancerArn=arn))
        if resp is GONE:
            continue
        attrs = _attrs(resp.get("Attributes")) if ok(resp) else None
        logging = None if attrs is None else attrs.get("access_logs.s3.enabled", "false").lower() == "true"
        yield ctx.resource(
            native_id=arn, name=lb.get("LoadBalancerName"),
            config={**lb, "Attributes": attrs},
            tags=None, facets={"access_logging": logging},
        )
    failures.raise_if_any()


def collect_distributions(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    cf = ctx.client("cloudfront")
    for page in cf.get_paginator("list_distributions").paginate():
        for dist in (page.get("DistributionList") or {}).get("Items") or []:
            did = dist["Id"]
            resp = detail(failures, f"{did} get_distribution_config", lambda: cf.get_distribution_config(Id=did))
            if resp is GONE:
                continue
            config = strip_meta(resp).get("DistributionConfig") if ok(resp) else None
            logging = None if config is None else bool((config.get("Logging") or {}).get("Enabled"))
            yield ctx.resource(
                native_id=dist.get("ARN") or f"arn:{ctx.partition}:cloudfront::{ctx.account}:distribution/{did}",
                name=dist.get("DomainName") or did,
                config={"Summary": {k: v for k, v in dist.items() if k not in ("LastModifiedTime", "Status")},
                        "DistributionConfig": config},
                facets={"access_logging": logging},
            )
    failures.raise_if_any()


def _stage_logging(settings: dict[str, Any] | None, key: str) -> bool:
    """A stage logs access when its access log settings name a destination."""
    return bool((settings or {}).get(key))


def collect_rest_api_stages(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    apigw = ctx.client("apigateway")
    for api in paginate(apigw, "get_rest_apis", "items"):
        api_id = api["id"]
        resp = detail(failures, f"{api_id} get_stages", lambda: apigw.get_stages(restApiId=api_id))
        if not ok(resp):
            continue
        for stage in resp.get("item") or []:
            name = stage.get("stageName")
            yield ctx.resource(
                native_id=f"arn:{ctx.partition}:apigateway:{ctx.region}::/restapis/{api_id}/stages/{name}",
                name=f"{api.get('name') or api_id}/{name}",
                config={k: v for k, v in stage.items() if k not in ("lastUpdatedDate", "tags")},
                tags=stage.get("tags") or {},
                facets={"access_logging": _stage_logging(stage.get("accessLogSettings"), "destinationArn")},
            )
    failures.raise_if_any()


def collect_http_api_stages(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    apigw = ctx.client("apigatewayv2")
    for api in paginate(apigw, "get_apis", "Items"):
        api_id = api["ApiId"]
        stages = detail(failures, f"{api_id} get_stages",
                        lambda: list(paginate(apigw, "get_stages", "Items", ApiId=api_id)))
        if not ok(stages):
            continue
        for stage in stages:
            name = stage.get("StageName")
            yield ctx.resource(
                native_id=f"arn:{ctx.partition}:apigateway:{ctx.region}::/apis/{api_id}/stages/{name}",
                name=f"{api.get('Name') or api_id}/{name}",
                config={k: v for k, v in stage.items() if k not in ("LastUpdatedDate", "Tags")},
                tags=dict(stage.get("Tags") or {}),
                facets={"access_logging": _stage_logging(stage.get("AccessLogSettings"), "DestinationArn")},
            )
    failures.raise_if_any()
