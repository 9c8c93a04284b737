"""ML platform rules, written once over the ``ml.*``, cluster, function and store facets
(auditor/facets.py) so they judge AWS today and the GCP/Azure twins when their collectors
fill the same keys.

Provenance reads what the collector resolved: each artifact/data *source* carries the owning
account when the collector could prove it, each image its registry account. When the audit
engine also provides a map of the snapshot's own buckets (``BUCKETS_MEMO`` in ``ctx.cache``:
bucket name -> {"account", "region", "public"}), a bucket another estate account owns counts as
ours, a public one is flagged, and a region the collector could not read is filled in.
"""

from __future__ import annotations

from typing import Any, Iterable

from auditor.rules.registry import observer, rule
from auditor.rules.verdict import FAIL, PASS, UNKNOWN, Result

BUCKETS_MEMO = "ml.buckets"  # optional: {bucket: {"account": str, "region": str, "public": bool|None}}
# Registries AWS publishes SageMaker framework images from (Deep Learning Containers).
AWS_PUBLISHED_REGISTRY_ACCOUNTS = frozenset({"763104351884"})
# Google projects publishing Vertex AI prebuilt and Deep Learning containers.
GCP_PUBLISHED_REGISTRY_PROJECTS = frozenset({"vertex-ai", "deeplearning-platform-release", "cloud-aiplatform"})
# Registry hosts the cloud provider publishes curated ML images from (Azure ML curated environments).
PROVIDER_PUBLISHED_REGISTRY_HOSTS = frozenset({"mcr.microsoft.com"})
ISOLATION_REQUIRED_FOR = ("restricted", "confidential")
OPEN = frozenset({"0.0.0.0/0", "::/0"})
PROVENANCE_KINDS = ("model", "endpoint", "job", "model_package")


BUCKET_TYPES = ("aws.s3.bucket", "gcp.storage.bucket")


@observer
def remember_bucket(cache: dict[str, Any], res: Any) -> None:
    """For the engine's first pass: record a snapshot bucket under ``BUCKETS_MEMO`` so provenance
    knows buckets of every estate account (the collector only proves its own account's)."""
    if getattr(res, "type", None) not in BUCKET_TYPES:
        return
    f = res.facets if isinstance(res.facets, dict) else {}
    cfg = res.config if isinstance(res.config, dict) else {}
    name = str(cfg.get("Name") or res.name or "")
    if name:
        cache.setdefault(BUCKETS_MEMO, {})[name] = {"account": res.account, "region": res.region,
                                                    "public": f.get("public")}


def _f(res: Any) -> dict[str, Any]:
    return res.facets if isinstance(res.facets, dict) else {}


def _kind(res: Any, *kinds: str) -> bool:
    return _f(res).get("ml_kind") in kinds


def _buckets(ctx: Any) -> dict[str, dict[str, Any]]:
    cache = getattr(ctx, "cache", None)
    return (cache or {}).get(BUCKETS_MEMO) or {}


def _ours(ctx: Any, res: Any, account: str | None) -> bool:
    if not account:
        return False
    estate = getattr(ctx, "estate", None)
    if account == res.account or estate is None:
        return account == res.account
    provider = getattr(res, "provider", "aws")
    if provider == "azure":  # an Azure "account" is a subscription id
        return account.lower() in {s.lower() for s in getattr(estate, "azure_subscriptions", set())}
    if provider == "gcp":  # a GCP "account" is a project id (or number)
        return bool(estate.gcp_project_ours(account))
    return bool(estate.aws_account_ours(account))


def _source_problem(ctx: Any, res: Any, src: dict[str, Any]) -> str | None:
    known = _buckets(ctx).get(str(src.get("bucket")))
    account = src.get("account") or (known or {}).get("account")
    if src.get("bucket") is None:
        return f"{src.get('uri')}: not an object-store URI the auditor can place"
    if src.get("exists") is False and known is None:
        return f"{src['uri']}: bucket {src['bucket']} does not exist, so anyone can create it and serve the artifact"
    if known is not None and known.get("public"):
        return f"{src['uri']}: bucket {src['bucket']} is public"
    if not _ours(ctx, res, account):
        who = f"account {account}" if account else "an owner outside the collected estate"
        return f"{src['uri']}: bucket {src['bucket']} belongs to {who}"
    return None


def _image_problem(ctx: Any, res: Any, img: dict[str, Any]) -> str | None:
    account = img.get("account")
    if img.get("registry") in PROVIDER_PUBLISHED_REGISTRY_HOSTS:
        return None
    if account is None:
        return f"{img.get('uri')}: registry {img.get('registry')} is outside the estate (public or third-party)"
    published = GCP_PUBLISHED_REGISTRY_PROJECTS if getattr(res, "provider", "aws") == "gcp" \
        else AWS_PUBLISHED_REGISTRY_ACCOUNTS
    if account in published:
        return None
    if not _ours(ctx, res, account):
        return f"{img.get('uri')}: registry account {account} is not part of the declared estate"
    return None


@rule(id="ml.model_provenance", title="Model artifacts and images come from inside the estate", severity="high",
      kind="posture", categories=("compute",),
      rationale="A model loaded from a bucket or registry someone else controls can be swapped for a backdoored "
                "one without any change in this estate; provenance is the ML supply chain.",
      remediation="Copy the artifact into a bucket of the estate and the image into an estate ECR repository "
                  "(pinned by digest), or declare the owning account in config `estate.aws_accounts`.")
def model_provenance(res: Any, ctx: Any) -> Result | None:
    f = _f(res)
    if f.get("ml_kind") not in PROVENANCE_KINDS:
        return None
    sources, images = f.get("artifact_sources"), f.get("images")
    if f.get("ml_kind") == "job":
        sources = f.get("data_sources")
    if sources is None or images is None:
        return Result(UNKNOWN, "artifact or image provenance was not collected")
    problems = [p for p in (*(_source_problem(ctx, res, s) for s in sources if isinstance(s, dict)),
                            *(_image_problem(ctx, res, i) for i in images if isinstance(i, dict))) if p]
    evidence = {"artifact_locations": f.get("artifact_locations"), "images": [i.get("uri") for i in images],
                "problems": problems}
    if problems:
        return Result(FAIL, "; ".join(problems[:3]) + (f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""),
                      evidence)
    unpinned = [i.get("uri") for i in images if isinstance(i, dict) and not i.get("digest")]
    if unpinned:
        evidence["unpinned_images"] = unpinned
    return Result(PASS, f"{len(sources)} artifact(s) and {len(images)} image(s) from the estate", evidence)


@rule(id="ml.notebook_direct_internet", title="Notebooks without direct internet access", severity="high",
      kind="posture", categories=("compute",),
      rationale="A notebook with direct internet access can exfiltrate training data and pull arbitrary code "
                "past every VPC control.",
      remediation="Disable direct internet access and attach the notebook (or Studio domain: VpcOnly) to a VPC "
                  "with controlled egress.")
def notebook_direct_internet(res: Any, ctx: Any) -> Result | None:
    if not _kind(res, "notebook", "domain"):
        return None
    v = _f(res).get("direct_internet_access")
    if v is None:
        return Result(UNKNOWN, "network access mode was not collected")
    if v:
        return Result(FAIL, "direct internet access is enabled", {"in_vpc": _f(res).get("in_vpc")})
    return Result(PASS, "no direct internet access", {"in_vpc": _f(res).get("in_vpc")})


@rule(id="ml.notebook_root_access", title="Notebooks without root access", severity="medium", kind="posture",
      categories=("compute",),
      rationale="Root on a notebook lets any user change its software, disable controls and read other users' data.",
      remediation="Set RootAccess to Disabled; install what users need through lifecycle configurations.")
def notebook_root_access(res: Any, ctx: Any) -> Result | None:
    if not _kind(res, "notebook", "domain", "user_profile"):
        return None
    v = _f(res).get("root_access")
    if v is None:
        if _kind(res, "notebook"):
            return Result(UNKNOWN, "root access setting was not collected")
        return None  # Studio apps without an explicit setting: nothing to judge
    return Result(FAIL, "users can become root") if v else Result(PASS, "root access disabled")


@rule(id="ml.endpoint_encryption", title="Inference endpoints encrypt with a customer key for sensitive data",
      severity="medium", kind="posture", categories=("compute",),
      rationale="Endpoint storage and captured payloads hold model inputs; without a customer key their access "
                "cannot be revoked or audited separately.",
      remediation="Create a new endpoint config with KmsKeyId set to a customer managed key and update the endpoint.")
def endpoint_encryption(res: Any, ctx: Any) -> Result | None:
    if not _kind(res, "endpoint"):
        return None
    f = _f(res)
    enc, km = f.get("encrypted"), f.get("key_management")
    ev = {"key_management": km, "kms_key": f.get("kms_key")}
    if enc is None:
        return Result(UNKNOWN, "endpoint encryption was not collected", ev)
    if not enc:
        return Result(FAIL, "endpoint storage is not encrypted", ev, severity="high")
    if km == "customer":
        return Result(PASS, "encrypted with a customer managed key", ev)
    if km is None:
        return Result(UNKNOWN, "who manages the endpoint key was not collected", ev)
    return Result(FAIL, "encrypted only with a provider managed key", ev)


@rule(id="ml.endpoint_data_capture", title="Inference endpoints capture requests", severity="low", kind="posture",
      categories=("compute",),
      rationale="Without data capture there is no record of what a model was asked and answered: no drift "
                "monitoring, no forensic trail after abuse.",
      remediation="Enable DataCaptureConfig on the endpoint config (to an estate bucket, encrypted).")
def endpoint_data_capture(res: Any, ctx: Any) -> Result | None:
    if not _kind(res, "endpoint"):
        return None
    v = _f(res).get("data_capture")
    if v is None:
        return Result(UNKNOWN, "data capture setting was not collected")
    if v:
        return Result(PASS, "data capture enabled", {"data_capture_locations": _f(res).get("data_capture_locations")})
    return Result(FAIL, "data capture disabled")


def _classification(res: Any, ctx: Any) -> str | None:
    try:
        return ctx.classification(res)
    except Exception:  # noqa: BLE001 - a context without a classifier: the rule cannot tell
        return None


@rule(id="ml.training_network_isolation", title="Jobs on restricted data run network-isolated", severity="high",
      kind="posture", categories=("compute",),
      rationale="A training or processing container with network access can send restricted data anywhere; "
                "isolation leaves it only the data channels the platform wires in.",
      remediation="Set EnableNetworkIsolation (and inter-container encryption) on jobs that read restricted data.")
def training_network_isolation(res: Any, ctx: Any) -> Result | None:
    if not _kind(res, "job"):
        return None
    classification = _classification(res, ctx)
    required = getattr(getattr(getattr(ctx, "config", None), "checks", None), "ml_isolation_required_for", None)
    required = {c.lower() for c in (required or ISOLATION_REQUIRED_FOR)}
    if classification is None or classification.lower() not in required:
        return None
    f = _f(res)
    iso, ice = f.get("network_isolation"), f.get("inter_container_encryption")
    ev = {"classification": classification, "network_isolation": iso, "inter_container_encryption": ice}
    if iso is None:
        return Result(UNKNOWN, "network isolation was not collected", ev)
    if not iso:
        return Result(FAIL, f"{classification} data processed without network isolation", ev)
    if ice is False:
        return Result(FAIL, "network-isolated, but traffic between containers is not encrypted", ev, severity="medium")
    return Result(PASS, "network-isolated", ev)


@rule(id="cluster.public_endpoint", title="Kubernetes control planes are not open to the internet", severity="high",
      kind="posture", categories=("compute",),
      rationale="A cluster API reachable from 0.0.0.0/0 is one leaked token or one CVE away from a takeover of "
                "every workload (and every training job) it runs.",
      remediation="Disable public endpoint access or restrict publicAccessCidrs to known ranges; use the private "
                  "endpoint.")
def cluster_public_endpoint(res: Any, ctx: Any) -> Result | None:
    f = _f(res)
    if "endpoint_public" not in f:
        return None
    public, cidrs = f.get("endpoint_public"), f.get("endpoint_public_cidrs")
    ev = {"endpoint_public": public, "endpoint_public_cidrs": cidrs}
    if public is None:
        return Result(UNKNOWN, "endpoint access was not collected", ev)
    if not public:
        return Result(PASS, "no public endpoint", ev)
    if cidrs is None:
        return Result(UNKNOWN, "public endpoint; allowed CIDRs were not collected", ev)
    if OPEN & set(cidrs):
        return Result(FAIL, "public endpoint open to the whole internet", ev)
    return Result(PASS, f"public endpoint restricted to {len(cidrs)} range(s)", ev)


@rule(id="registry.mutable_tags", title="Container repositories have immutable tags", severity="medium",
      kind="posture", categories=("storage",),
      rationale="With mutable tags, whoever can push replaces the image every deployment pulling that tag runs, "
                "without changing any deployment.",
      remediation="Set imageTagMutability to IMMUTABLE and deploy by digest.")
def registry_mutable_tags(res: Any, ctx: Any) -> Result | None:
    f = _f(res)
    if "tag_immutable" not in f:
        return None
    v = f.get("tag_immutable")
    if v is None:
        return Result(UNKNOWN, "tag mutability was not collected")
    ev = {"scan_on_push": f.get("scan_on_push")}
    return Result(PASS, "tags are immutable", ev) if v else Result(FAIL, "tags can be overwritten", ev)


@rule(id="function.public", title="Functions are not invocable by anyone", severity="high", kind="posture",
      categories=("compute",),
      rationale="A function URL without auth or a policy granting Principal * lets anyone on the internet run "
                "code with the function's role.",
      remediation="Set the function URL AuthType to AWS_IAM and remove Principal * statements from its policy.")
def function_public(res: Any, ctx: Any) -> Result | None:
    f = _f(res)
    if "url_auth" not in f:
        return None
    v = f.get("public")
    if v is None:
        return Result(UNKNOWN, "function URL or policy was not collected")
    reasons = f.get("public_reasons") or []
    if v:
        return Result(FAIL, "invocable by anyone: " + ", ".join(map(str, reasons)), {"public_reasons": reasons})
    return Result(PASS, "not publicly invocable", {"url_auth": f.get("url_auth")})


# ---- residency over ML data -------------------------------------------------------------------

def ml_places(res: Any, ctx: Any) -> list[Any]:
    """Every place ML data of ``res`` lands: its own region (processing) and each referenced bucket."""
    from auditor.residency.jurisdiction import place

    f = _f(res)
    out = [place("processing", res.provider, r) for r in (f.get("locations") or [res.region])]
    sources: Iterable[Any] = (f.get("data_sources") if f.get("data_sources") is not None
                              else f.get("artifact_sources")) or []
    known = _buckets(ctx)
    for s in sources:
        if not isinstance(s, dict):
            continue
        region = s.get("region") or (known.get(str(s.get("bucket"))) or {}).get("region")
        out.append(place("replica", res.provider, region,
                         note=f"{s.get('uri')}" if region else f"{s.get('uri')}: bucket region unknown"))
    return out


@rule(id="residency.ml_data", title="ML data stays in the jurisdictions its classification allows",
      severity="high", kind="residency", categories=("compute",),
      rationale="Training inputs, outputs, model artifacts and captured inference data are copies of the data; "
                "the residency policy that holds for buckets holds for them.",
      remediation="Move the job, endpoint or model and the buckets it reads and writes into an allowed region.")
def ml_data_residency(res: Any, ctx: Any) -> Result | None:
    if not _kind(res, *PROVENANCE_KINDS):
        return None
    from auditor.residency.policy import ResidencyPolicy, permits

    cfg = getattr(ctx, "config", None)
    policy = ResidencyPolicy.from_config(getattr(cfg, "residency", None))
    classification = _classification(res, ctx) or policy.classification(getattr(res, "tags", None) or {})
    allowed = policy.allowed_for(classification)
    if allowed is None:
        return None
    f = _f(res)
    if (f.get("data_sources") if f.get("ml_kind") in ("job", "endpoint") else f.get("artifact_sources")) is None:
        return Result(UNKNOWN, "referenced data locations were not collected", {"classification": classification})
    places = ml_places(res, ctx)
    verdicts = [(p, permits(allowed, p)) for p in places]
    ev = {"classification": classification, "allowed": sorted(allowed),
          "places": [dict(p.as_dict(), permitted=ok) for p, ok in verdicts]}
    outside = [p for p, ok in verdicts if ok is False]
    if outside:
        where = ", ".join(f"{p.region} ({p.country})" + (f" for {p.note}" if p.note else "") for p in outside)
        return Result(FAIL, f"{classification} ML data lands outside {sorted(allowed)}: {where}", ev)
    unknown = [p for p, ok in verdicts if ok is None]
    if unknown:
        return Result(UNKNOWN, "location could not be determined: " + "; ".join(str(p.note) for p in unknown), ev)
    return Result(PASS, f"all {len(places)} location(s) within {sorted(allowed)}", ev)
