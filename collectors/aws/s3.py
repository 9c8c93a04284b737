"""S3 collectors: buckets (one global unit per account, each bucket in its own region) and
the account-level public access block.

A detail call that fails for one bucket (denied, throttled) leaves that bucket's dependent
facets ``None``, lets the other buckets through, and fails the unit at the end, so nothing
missing is ever read as deleted or compliant.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any, Iterator

from botocore.exceptions import ClientError

from auditor.canonical import as_list
from auditor.model import Resource
from collectors.aws import policy
from collectors.aws.context import AwsUnitContext, tags_dict
from collectors.aws.errors import DetailFailures, error_code
from collectors.aws.kms import KeyManagers
from collectors.runner import iter_pages

PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
BUCKET_WORKERS = 8
CHUNK = 64

# (method, response key kept, config key, error codes meaning "not configured")
BUCKET_DETAILS: tuple[tuple[str, str | None, str, frozenset[str]], ...] = (
    ("get_public_access_block", "PublicAccessBlockConfiguration", "PublicAccessBlockConfiguration",
     frozenset({"NoSuchPublicAccessBlockConfiguration"})),
    ("get_bucket_policy", "Policy", "Policy", frozenset({"NoSuchBucketPolicy"})),
    ("get_bucket_policy_status", "PolicyStatus", "PolicyStatus", frozenset({"NoSuchBucketPolicy"})),
    ("get_bucket_acl", None, "Acl", frozenset()),
    ("get_bucket_ownership_controls", "OwnershipControls", "OwnershipControls",
     frozenset({"OwnershipControlsNotFoundError"})),
    ("get_bucket_encryption", "ServerSideEncryptionConfiguration", "ServerSideEncryptionConfiguration",
     frozenset({"ServerSideEncryptionConfigurationNotFoundError"})),
    ("get_bucket_versioning", None, "Versioning", frozenset()),
    ("get_bucket_replication", "ReplicationConfiguration", "ReplicationConfiguration",
     frozenset({"ReplicationConfigurationNotFoundError"})),
    ("get_bucket_logging", "LoggingEnabled", "LoggingEnabled", frozenset()),
    ("get_bucket_tagging", "TagSet", "TagSet", frozenset({"NoSuchTagSet"})),
    ("get_object_lock_configuration", "ObjectLockConfiguration", "ObjectLockConfiguration",
     frozenset({"ObjectLockConfigurationNotFoundError"})),
)
NOT_CONFIGURED = object()


def normalise_location(constraint: str | None) -> str:
    """GetBucketLocation's legacy answers: empty is us-east-1, "EU" is eu-west-1."""
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def _strip_meta(resp: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def list_buckets(ctx: AwsUnitContext) -> Iterator[dict[str, Any]]:
    """Every bucket, following ContinuationToken. No MaxBuckets: a page size that a server
    ignores (moto) would silently truncate the listing."""
    s3 = ctx.client("s3")

    def fetch(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        resp = s3.list_buckets(**({"ContinuationToken": token} if token else {}))
        return resp.get("Buckets") or [], resp.get("ContinuationToken")

    return iter_pages(fetch)


def account_public_access_block(ctx: AwsUnitContext) -> dict[str, Any] | None:
    """The account-level block, {} when none is set. Raises on denial (caller decides)."""
    try:
        resp = ctx.client("s3control").get_public_access_block(AccountId=ctx.account)
    except ClientError as exc:
        if error_code(exc) == "NoSuchPublicAccessBlockConfiguration":
            return {}
        raise
    return resp.get("PublicAccessBlockConfiguration") or {}


def _effective_block(bucket: dict[str, Any] | None, account: dict[str, Any] | None) -> dict[str, bool | None]:
    out: dict[str, bool | None] = {}
    for flag in PAB_FLAGS:
        values = [d.get(flag) for d in (bucket, account) if d is not None]
        if any(values):
            out[flag] = True
        elif bucket is None or account is None:
            out[flag] = None  # one of the two could not be read
        else:
            out[flag] = False
    return out


def _all_blocked(block: dict[str, bool | None]) -> bool | None:
    values = list(block.values())
    if all(v is True for v in values):
        return True
    return False if False in values else None


def _acl_public(acl: dict[str, Any] | None) -> list[str]:
    reasons = []
    for grant in (acl or {}).get("Grants") or []:
        who = PUBLIC_GROUPS.get((grant.get("Grantee") or {}).get("URI", ""))
        if who:
            reasons.append(f"acl:{who}:{grant.get('Permission')}")
    return sorted(set(reasons))


def _https_only(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    for st in as_list(doc.get("Statement")):
        if isinstance(st, dict) and st.get("Effect") == "Deny":
            cond = (st.get("Condition") or {}).get("Bool") or {}
            if [str(v).lower() for v in as_list(cond.get("aws:SecureTransport"))] == ["false"]:
                return True
    return False


def bucket_facets(cfg: dict[str, Any], account_pab: dict[str, Any] | None, region: str,
                  replica_regions: list[str] | None, failed: set[str],
                  key_manager: str | None = None) -> dict[str, Any]:
    """Storage facets from a bucket's config; anything resting on a failed call is None."""
    bucket_pab = None if "get_public_access_block" in failed else (cfg.get("PublicAccessBlockConfiguration") or {})
    block = _effective_block(bucket_pab, account_pab)
    doc = cfg.get("Policy")
    reasons: list[str] = []
    policy_known = not ({"get_bucket_policy", "get_bucket_policy_status"} <= failed)
    status = cfg.get("PolicyStatus")
    policy_public = bool(status.get("IsPublic")) if isinstance(status, dict) else bool(policy.public_statements(doc))
    if policy_public and block["RestrictPublicBuckets"] is not True:
        reasons += [f"policy:Principal * ({sid})" for sid in policy.public_statements(doc)] or ["policy:IsPublic"]
    acl_known = "get_bucket_acl" not in failed
    if block["IgnorePublicAcls"] is not True:
        reasons += _acl_public(cfg.get("Acl"))
    if reasons:
        public: bool | None = True
    elif not (policy_known and acl_known) or None in (block["RestrictPublicBuckets"], block["IgnorePublicAcls"]):
        public = None
    else:
        public = False
    enc_rules = (cfg.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    algo = kms = None
    for r in enc_rules:
        d = r.get("ApplyServerSideEncryptionByDefault") or {}
        algo, kms = d.get("SSEAlgorithm") or algo, d.get("KMSMasterKeyID") or kms
    enc_known = "get_bucket_encryption" not in failed
    if algo and not kms:
        manager: str | None = "provider"  # SSE-S3, or SSE-KMS with the AWS managed aws/s3 key
    else:
        manager = key_manager if algo else None
    return {
        "public": public,
        "public_reasons": reasons,
        "public_access_blocked": _all_blocked(block),
        "encrypted": (bool(algo) if enc_known else None),
        "key_management": manager if enc_known else None,
        "kms_key": kms if (kms and enc_known and manager != "provider") else None,
        "versioning": ((cfg.get("Versioning") or {}).get("Status") == "Enabled"
                       if "get_bucket_versioning" not in failed else None),
        "mfa_delete": ((cfg.get("Versioning") or {}).get("MFADelete") == "Enabled"
                       if "get_bucket_versioning" not in failed else None),
        "logging": bool(cfg.get("LoggingEnabled")) if "get_bucket_logging" not in failed else None,
        "locations": [region],
        "replica_locations": replica_regions,
        "location_type": "region",
        "https_only": _https_only(doc) if "get_bucket_policy" not in failed else None,
        "min_tls": None,
        "public_network_access": None,
    }


class _BucketReader:
    """Reads one bucket's details with the client of the bucket's own region."""

    def __init__(self, ctx: AwsUnitContext, failures: DetailFailures, known_regions: dict[str, str]) -> None:
        self.ctx, self.failures, self.known_regions = ctx, failures, known_regions
        self.account_pab: dict[str, Any] | None = None
        self.keys = KeyManagers(ctx)

    def region_of(self, name: str, listed: dict[str, Any]) -> str:
        if listed.get("BucketRegion"):
            return listed["BucketRegion"]
        resp = self.ctx.client("s3").get_bucket_location(Bucket=name)
        return normalise_location(resp.get("LocationConstraint"))

    def destination_region(self, arn: str) -> str | None:
        name = arn.split(":::", 1)[-1]
        if name in self.known_regions:
            return self.known_regions[name]
        try:
            return normalise_location(self.ctx.client("s3").get_bucket_location(Bucket=name).get("LocationConstraint"))
        except ClientError as exc:
            self.ctx.note(f"replication destination {name}: region unknown ({error_code(exc)})")
            return None

    def read(self, listed: dict[str, Any]) -> Resource | None:
        name = listed["Name"]
        try:
            region = self.region_of(name, listed)
        except ClientError as exc:
            if error_code(exc) == "NoSuchBucket":
                return None  # deleted since the listing
            self.failures.add(f"{name} get_bucket_location", exc)
            region = None
        s3 = self.ctx.client("s3", region or "us-east-1")
        cfg: dict[str, Any] = {"Name": name, "CreationDate": listed.get("CreationDate"), "BucketRegion": region}
        failed: set[str] = set()
        malformed: list[str] = []
        for method, key, cfg_key, absent in BUCKET_DETAILS:
            if method == "get_bucket_policy_status" and cfg.get("Policy") is None and "get_bucket_policy" not in failed:
                cfg[cfg_key] = None  # no policy, nothing to evaluate: saves a call per bucket
                continue
            try:
                resp = getattr(s3, method)(Bucket=name)
            except ClientError as exc:
                code = error_code(exc)
                if code == "NoSuchBucket":
                    return None
                if code in absent:
                    cfg[cfg_key] = None
                    continue
                failed.add(method)
                self.failures.add(f"{name} {method}", exc)
                continue
            cfg[cfg_key] = resp.get(key) if key else _strip_meta(resp)
        if cfg.get("Policy") is not None:
            cfg["Policy"] = policy.canonical_or_note(cfg["Policy"], "Policy", malformed)
        for m in malformed:
            self.ctx.note(f"s3 bucket {name}: malformed {m}")
        tags = tags_dict(cfg.pop("TagSet", None))
        replica_regions: list[str] | None = None
        if "get_bucket_replication" not in failed:
            dests = []
            for r in (cfg.get("ReplicationConfiguration") or {}).get("Rules") or []:
                arn = (r.get("Destination") or {}).get("Bucket")
                if arn and r.get("Status", "Enabled") == "Enabled":
                    dests.append({"Bucket": arn, "Region": self.destination_region(arn)})
            cfg["ReplicationDestinations"] = dests
            regions = [d["Region"] for d in dests]
            replica_regions = None if None in regions else sorted(set(regions) - {region})
        kms_key = next((((r.get("ApplyServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID"))
                        for r in (cfg.get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
                        if (r.get("ApplyServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID")), None)
        manager = self.keys.of(kms_key, region or "us-east-1") if kms_key else None
        facets = bucket_facets(cfg, self.account_pab, region or "unknown", replica_regions, failed, manager)
        if malformed:
            facets["malformed"] = malformed
        return self.ctx.resource(native_id=f"arn:{self.ctx.partition}:s3:::{name}", name=name,
                                 config=cfg, tags=tags, facets=facets, region=region)


def collect_buckets(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    listing = list_buckets(ctx)
    known: dict[str, str] = {}
    reader = _BucketReader(ctx, failures, known)
    try:
        reader.account_pab = account_public_access_block(ctx)
    except ClientError as exc:
        failures.add("account get_public_access_block", exc)
        reader.account_pab = None
    with ThreadPoolExecutor(max_workers=BUCKET_WORKERS, thread_name_prefix="s3-bucket") as pool:
        while chunk := list(islice(listing, CHUNK)):
            for b in chunk:
                if b.get("BucketRegion"):
                    known[b["Name"]] = b["BucketRegion"]
            for res in pool.map(reader.read, chunk):
                if res is not None:
                    known[res.name or ""] = res.region
                    yield res
    failures.raise_if_any()


def collect_account_public_access_block(ctx: AwsUnitContext) -> Iterator[Resource]:
    block = account_public_access_block(ctx)
    flags = [block.get(f) for f in PAB_FLAGS]
    yield ctx.resource(
        native_id=f"arn:{ctx.partition}:s3::{ctx.account}:account-public-access-block", name=ctx.account,
        config={"PublicAccessBlockConfiguration": block or None},
        facets={"public_access_blocked": all(flags) if block else False},
    )
