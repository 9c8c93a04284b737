"""References a resource makes to data and code elsewhere: S3 URIs and container images.

Collectors resolve them once, at collection time (DESIGN.md 17: collectors decide every fact),
so provenance and residency rules read facets only: a bucket's region (HeadBucket answers with
``x-amz-bucket-region`` even when access is denied) and whether the resource's own account owns it.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Iterable
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from collectors.aws.context import AwsUnitContext
from collectors.aws.errors import DetailFailures, error_code
from collectors.runner import iter_pages

ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})$")
S3_CALLS = ("s3:list_buckets", "s3:head_bucket")
S3_PERMISSIONS = ("s3:ListAllMyBuckets", "s3:ListBucket")


def s3_bucket_of(uri: str) -> str | None:
    """'s3://bucket/key' -> 'bucket'; https virtual-host and path styles too. None if not S3."""
    if not isinstance(uri, str):
        return None
    u = urlparse(uri)
    if u.scheme == "s3":
        return u.netloc or None
    if u.scheme == "https" and u.netloc.endswith(".amazonaws.com") and ".s3" in u.netloc:
        head = u.netloc.split(".s3", 1)[0]
        if u.netloc.startswith("s3."):
            return u.path.lstrip("/").split("/", 1)[0] or None
        return head or None
    return None


def image_ref(uri: str, resolved: str | None = None) -> dict[str, Any]:
    """An image URI as the ``image`` facet shape (see auditor/facets.py)."""
    uri = str(uri)
    first = uri.split("/", 1)[0]
    registry = first if ("." in first or ":" in first or first == "localhost") and "/" in uri else "docker.io"
    m = ECR_HOST.match(registry)
    digest = DIGEST.search(uri) or (DIGEST.search(resolved) if resolved else None)
    return {"uri": uri, "registry": registry, "account": m.group(1) if m else None,
            "region": m.group(2) if m else None, "digest": digest.group(1) if digest else None}


def images_facets(images: Iterable[dict[str, Any]]) -> dict[str, Any]:
    imgs = sorted({i["uri"] + "|" + str(i.get("digest")): i for i in images}.values(), key=lambda i: i["uri"])
    return {"images": imgs, "image_registries": sorted({i["registry"] for i in imgs})}


class BucketRefs:
    """Resolves S3 URIs for one unit; each bucket is looked up once."""

    def __init__(self, ctx: AwsUnitContext, failures: DetailFailures) -> None:
        self.ctx, self.failures = ctx, failures
        self._own: set[str] | None = None
        self._own_failed = False
        self._regions: dict[str, str | None] = {}
        self._missing: set[str] = set()
        self._lock = threading.Lock()

    def own_buckets(self) -> set[str] | None:
        with self._lock:
            if self._own is None and not self._own_failed:
                s3 = self.ctx.client("s3", "us-east-1")

                def fetch(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
                    resp = s3.list_buckets(**({"ContinuationToken": token} if token else {}))
                    return resp.get("Buckets") or [], resp.get("ContinuationToken")

                try:
                    names = set()
                    for b in iter_pages(fetch):
                        names.add(b["Name"])
                        if b.get("BucketRegion"):
                            self._regions[b["Name"]] = b["BucketRegion"]
                    self._own = names
                except ClientError as exc:
                    self._own_failed = True
                    self.failures.add("s3 list_buckets (artifact ownership)", exc)
            return self._own

    def region(self, bucket: str) -> str | None:
        if bucket in self._regions:
            return self._regions[bucket]
        s3 = self.ctx.client("s3", "us-east-1")
        region: str | None = None
        try:
            resp = s3.head_bucket(Bucket=bucket)
            region = resp.get("BucketRegion") or resp["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region")
        except ClientError as exc:
            # 301/403 still name the region; 404 means there is no such bucket (anyone could create it).
            meta = exc.response.get("ResponseMetadata", {})
            region = (meta.get("HTTPHeaders") or {}).get("x-amz-bucket-region")
            if meta.get("HTTPStatusCode") == 404 or error_code(exc) in ("404", "NoSuchBucket"):
                self._missing.add(bucket)
            elif region is None:
                self.ctx.note(f"s3 bucket {bucket}: region unknown ({error_code(exc) or 'error'})")
        self._regions[bucket] = region
        return region

    def source(self, uri: str) -> dict[str, Any]:
        bucket = s3_bucket_of(uri)
        if bucket is None:
            return {"uri": uri, "bucket": None, "region": None, "account": None, "exists": None}
        own = self.own_buckets()
        region = self.region(bucket)
        return {"uri": uri, "bucket": bucket, "region": region,
                "account": self.ctx.account if own is not None and bucket in own else None,
                "exists": False if bucket in self._missing else True}

    def sources(self, uris: Iterable[str]) -> list[dict[str, Any]]:
        return [self.source(u) for u in sorted(set(u for u in uris if isinstance(u, str) and u))]
