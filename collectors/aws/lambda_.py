"""Lambda functions: URL auth, resource policy, role. Environment variable VALUES are never
stored (they routinely hold secrets): only their names are kept, in ``env_names``."""

from __future__ import annotations

from typing import Any, Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import DetailFailures
from collectors.aws.listing import GONE, detail, ok, pages
from collectors.aws.resource_policy import policy_facets

NOT_SET = frozenset({"ResourceNotFoundException"})
DROPPED = ("Environment", "Code")


def clean_function(fn: dict[str, Any]) -> dict[str, Any]:
    """The function's configuration without environment values (names survive in env_names)."""
    cfg = {k: v for k, v in fn.items() if k not in DROPPED}
    env = fn.get("Environment") or {}
    cfg["EnvironmentVariableNames"] = sorted((env.get("Variables") or {}).keys())
    if env.get("Error"):
        cfg["EnvironmentError"] = {"ErrorCode": (env["Error"] or {}).get("ErrorCode")}
    return cfg


def collect_functions(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    lam = ctx.client("lambda")
    for fn in pages(ctx, "lambda", "list_functions", "Functions", page_size=50):
        name, arn = fn["FunctionName"], fn["FunctionArn"]
        cfg = clean_function(fn)
        # Absent URL/policy answer ResourceNotFound; so does a function deleted since the listing,
        # which then shows without them (the next run drops it).
        url = detail(failures, f"{name} get_function_url_config",
                     lambda: lam.get_function_url_config(FunctionName=name), absent=NOT_SET)
        pol = detail(failures, f"{name} get_policy", lambda: lam.get_policy(FunctionName=name), absent=NOT_SET)
        tags = detail(failures, f"{name} list_tags", lambda: lam.list_tags(Resource=arn).get("Tags") or {})
        reasons: list[str] = []
        url_auth: str | None = None
        if ok(url) and url:
            url_auth = {"NONE": "none", "AWS_IAM": "iam"}.get(url.get("AuthType"), str(url.get("AuthType")).lower())
            cfg["FunctionUrl"] = {k: url.get(k) for k in ("FunctionUrl", "AuthType", "Cors", "InvokeMode")}
            if url_auth == "none":
                reasons.append("url:AuthType NONE")
        malformed: list[str] = []
        doc = None
        if ok(pol) and pol:
            doc, policy_reasons = policy_facets(pol.get("Policy"), "Policy", malformed)
            reasons += policy_reasons
        cfg["Policy"] = doc
        for m in malformed:
            ctx.note(f"lambda function {name}: malformed {m}")
        known = (ok(url) or url is None) and (ok(pol) or pol is None)
        yield ctx.resource(
            native_id=arn, name=name, config=cfg, tags=tags if ok(tags) else {},
            facets={
                "url_auth": url_auth if ok(url) or url is None else None,
                "public": bool(reasons) if known else (True if reasons else None),
                "public_reasons": sorted(reasons),
                "env_names": cfg["EnvironmentVariableNames"],
                "identity": fn.get("Role"),
                "state": fn.get("State"),
                "locations": [ctx.region],
            },
        )
    failures.raise_if_any()


__all__ = ["GONE", "clean_function", "collect_functions"]
