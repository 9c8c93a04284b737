"""CloudTrail trails: what each trail records, where it delivers, and the account-wide coverage
CIS asks for (a logging multi-region trail, S3 object-level events for every bucket).

Each trail is one resource in its home region (``includeShadowTrails=False``). The account view
reads the multi-region trails once, from the home region of the partition, where every
multi-region trail is visible; status and selectors are read in each trail's own home region.
A detail call that fails leaves its facet None (the rule says UNKNOWN) and the unit incomplete.
"""

from __future__ import annotations

from typing import Any, Iterator

from botocore.exceptions import ClientError

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import DetailFailures, error_code, is_denied
from collectors.aws.listing import GONE, detail, ok, strip_meta

S3_OBJECT = "AWS::S3::Object"
# Classic selectors name S3 data resources by ARN prefix; these values mean "every bucket".
ALL_BUCKETS = frozenset({"arn:aws:s3", "arn:aws:s3:::", "arn:aws-cn:s3", "arn:aws-cn:s3:::",
                         "arn:aws-us-gov:s3", "arn:aws-us-gov:s3:::"})
NO_BUCKET_LOGGING = frozenset({"NoSuchBucket"})


def _rw(value: Any) -> set[str]:
    """ReadWriteType / readOnly as the set of kinds a selector records."""
    v = str(value or "All")
    return {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}.get(v, set())


def _field_values(selector: dict[str, Any], field: str) -> tuple[str, list[str]] | None:
    """(operator, values) of one advanced selector field, None when the field is absent."""
    for f in selector.get("FieldSelectors") or []:
        if f.get("Field") != field:
            continue
        for op in ("Equals", "NotEquals", "StartsWith", "NotStartsWith", "EndsWith", "NotEndsWith"):
            if f.get(op):
                return op, [str(v) for v in f[op]]
        return "Equals", []
    return None


def event_coverage(selectors: dict[str, Any]) -> dict[str, Any]:
    """What a trail's event selectors record: management events (read/write) and S3 object-level
    events for all buckets (read/write). An advanced selector counts for all buckets only when
    it filters on nothing but the category, resource type and read/write kind."""
    mgmt: set[str] = set()
    s3: set[str] = set()
    for sel in selectors.get("EventSelectors") or []:
        kinds = _rw(sel.get("ReadWriteType"))
        if sel.get("IncludeManagementEvents", True):
            mgmt |= kinds
        for data in sel.get("DataResources") or []:
            if data.get("Type") == S3_OBJECT and any(v in ALL_BUCKETS for v in data.get("Values") or []):
                s3 |= kinds
    for sel in selectors.get("AdvancedEventSelectors") or []:
        category = _field_values(sel, "eventCategory")
        if category is None or category[0] != "Equals":
            continue
        ro = _field_values(sel, "readOnly")
        if ro is None:
            kinds = {"read", "write"}
        elif ro[0] == "Equals" and ro[1]:
            kinds = {"read" if v.lower() == "true" else "write" for v in ro[1]}
        else:
            continue
        fields = {f.get("Field") for f in sel.get("FieldSelectors") or []}
        if "Management" in category[1] and fields <= {"eventCategory", "readOnly"}:
            mgmt |= kinds
        rtype = _field_values(sel, "resources.type")
        if ("Data" in category[1] and rtype == ("Equals", [S3_OBJECT])
                and fields <= {"eventCategory", "readOnly", "resources.type"}):
            s3 |= kinds
    return {
        "management_events": sorted(mgmt),
        "object_read_events": "read" in s3,
        "object_write_events": "write" in s3,
    }


def trail_details(ctx: AwsUnitContext, trail: dict[str, Any], failures: DetailFailures) -> dict[str, Any] | None:
    """Status and event selectors of one trail, read in its home region; None if it vanished."""
    region = trail.get("HomeRegion") or ctx.home_region
    client = ctx.client("cloudtrail", region)
    arn = trail.get("TrailARN") or trail.get("Name")
    status = detail(failures, f"{trail.get('Name')} get_trail_status", lambda: client.get_trail_status(Name=arn))
    selectors = detail(failures, f"{trail.get('Name')} get_event_selectors",
                       lambda: client.get_event_selectors(TrailName=arn))
    if status is GONE or selectors is GONE:
        return None
    out: dict[str, Any] = {"status": strip_meta(status) if ok(status) else None,
                           "selectors": strip_meta(selectors) if ok(selectors) else None}
    return out


def _logging(details: dict[str, Any]) -> bool | None:
    status = details["status"]
    return None if status is None else bool(status.get("IsLogging"))


def _coverage(details: dict[str, Any]) -> dict[str, Any]:
    if details["selectors"] is None:
        return {"management_events": None, "object_read_events": None, "object_write_events": None}
    return event_coverage(details["selectors"])


def _bucket_logging(ctx: AwsUnitContext, bucket: str | None, failures: DetailFailures) -> bool | None:
    """Server access logging on the trail's bucket. A bucket in another account answers AccessDenied:
    unknown (None, noted), not "off"; any other failure is the unit's too."""
    if not bucket:
        return None
    try:
        resp = ctx.client("s3").get_bucket_logging(Bucket=bucket)
    except ClientError as exc:
        if error_code(exc) in NO_BUCKET_LOGGING:
            return False
        if is_denied(exc):
            ctx.note(f"trail bucket {bucket}: access logging unknown ({error_code(exc)})")
        else:
            failures.add(f"trail bucket {bucket} get_bucket_logging", exc)
        return None
    return bool(resp.get("LoggingEnabled"))


def collect_trails(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    client = ctx.client("cloudtrail")
    for trail in client.describe_trails(includeShadowTrails=False).get("trailList") or []:
        if trail.get("HomeRegion") not in (None, ctx.region):
            continue
        details = trail_details(ctx, trail, failures)
        if details is None:
            continue
        config = {**trail, "Status": details["status"], "EventSelectors": details["selectors"]}
        if config["Status"]:
            # delivery times move with every log file: not configuration
            config["Status"] = {k: v for k, v in config["Status"].items()
                                if k in ("IsLogging", "LatestDeliveryError", "LatestDigestDeliveryError")}
        yield ctx.resource(
            native_id=trail.get("TrailARN") or ctx.arn("cloudtrail", f"trail/{trail['Name']}"), name=trail.get("Name"),
            config=config,
            facets={
                "multi_region": bool(trail.get("IsMultiRegionTrail")),
                "organization_trail": bool(trail.get("IsOrganizationTrail")),
                "trail_logging": _logging(details),
                "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
                "kms_encrypted": bool(trail.get("KmsKeyId")),
                "kms_key": trail.get("KmsKeyId") or "",
                "log_bucket": trail.get("S3BucketName"),
                "log_bucket_access_logging": _bucket_logging(ctx, trail.get("S3BucketName"), failures),
                "cloudwatch_log_group": trail.get("CloudWatchLogsLogGroupArn") or "",
                **_coverage(details),
            },
        )
    failures.raise_if_any()


def multi_region_trails(ctx: AwsUnitContext, failures: DetailFailures) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every multi-region trail of the account with its details, seen from the home region."""
    client = ctx.client("cloudtrail", ctx.home_region)
    out = []
    for trail in client.describe_trails(includeShadowTrails=True).get("trailList") or []:
        if not trail.get("IsMultiRegionTrail"):
            continue
        details = trail_details(ctx, trail, failures)
        if details is not None:
            out.append((trail, details))
    return out


def effective(details: dict[str, Any]) -> bool | None:
    """Logging with read and write management events: what CIS counts as a working trail."""
    logging, cov = _logging(details), _coverage(details)
    if logging is None or cov["management_events"] is None:
        return None
    return logging and {"read", "write"} <= set(cov["management_events"])


def collect_account_trails(ctx: AwsUnitContext) -> Iterator[Resource]:
    """One account-wide view: which multi-region trails work, and whether some logging
    multi-region trail records S3 object-level reads and writes for every bucket."""
    failures = DetailFailures()
    trails = multi_region_trails(ctx, failures)
    working: list[str] = []
    undecided = False
    s3 = {"object_read_events": False, "object_write_events": False}
    s3_undecided = {k: False for k in s3}
    for trail, details in trails:
        eff = effective(details)
        if eff is None:
            undecided = True
        elif eff:
            working.append(trail.get("TrailARN") or trail.get("Name"))
        logging, cov = _logging(details), _coverage(details)
        for k in s3:
            if logging is None or cov[k] is None:
                s3_undecided[k] = True
            elif logging and cov[k]:
                s3[k] = True
    facets: dict[str, Any] = {
        "multi_region_trails": sorted(working) if working or not undecided else None,
        **{k: True if s3[k] else (None if s3_undecided[k] else False) for k in s3},
    }
    yield ctx.resource(
        native_id=ctx.arn("cloudtrail", "account-trails", region=""), name="cloudtrail",
        config={"MultiRegionTrails": sorted(t.get("TrailARN") or t.get("Name") for t, _ in trails)},
        facets=facets,
    )
    failures.raise_if_any()
