"""SageMaker: notebooks, domains, user profiles, models, endpoint configs, endpoints, training and
processing jobs, model package groups and packages, with the ``ml.*`` facets (auditor/facets.py).

An endpoint carries the provenance of what it serves (models, artifacts, images with their
deployed digests, execution roles), so replacing a model behind an endpoint shows as a change
of the endpoint itself. Jobs are collected when recent (``RECENT_DAYS``) or still running.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, tags_dict
from collectors.aws.errors import DetailFailures
from collectors.aws.kms import KeyManagers
from collectors.aws.listing import detail, ok, pages, strip_meta
from collectors.aws.refs import BucketRefs, image_ref, images_facets

RECENT_DAYS = 30
RUNNING = ("InProgress", "Stopping")
SM = "sagemaker"


def _tags(ctx: AwsUnitContext, failures: DetailFailures, arn: str) -> dict[str, Any] | None:
    got = detail(failures, f"{arn} list_tags", lambda: list(pages(ctx, SM, "list_tags", "Tags", ResourceArn=arn)))
    return tags_dict(got) if ok(got) else None


def _describe(ctx: AwsUnitContext, failures: DetailFailures, method: str, what: str, **kw: Any) -> Any:
    return detail(failures, f"{what} {method}", lambda: strip_meta(getattr(ctx.client(SM), method)(**kw)))


def _encryption(keys: KeyManagers, ctx: AwsUnitContext, kms_key: str | None) -> dict[str, Any]:
    """SageMaker always encrypts storage; with no key given it uses an AWS managed key."""
    if not kms_key:
        return {"encrypted": True, "key_management": "provider", "kms_key": None}
    manager = keys.of(kms_key, ctx.region)
    return {"encrypted": True, "key_management": manager, "kms_key": kms_key if manager != "provider" else None}


def _resource(ctx: AwsUnitContext, failures: DetailFailures, arn: str, name: str, cfg: dict[str, Any],
              facets: dict[str, Any], *, with_tags: bool = True) -> Resource | None:
    tags = _tags(ctx, failures, arn) if with_tags else {}
    return ctx.resource(native_id=arn, name=name, config=cfg, tags=tags or {},
                        facets={"locations": [ctx.region], **facets})


def _vpc(cfg: dict[str, Any] | None) -> bool:
    return bool((cfg or {}).get("Subnets"))


# ---- notebooks, domains, user profiles -------------------------------------------------------

def collect_notebook_instances(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures, keys = DetailFailures(), KeyManagers(ctx)
    for item in pages(ctx, SM, "list_notebook_instances", "NotebookInstances"):
        name = item["NotebookInstanceName"]
        cfg = _describe(ctx, failures, "describe_notebook_instance", name, NotebookInstanceName=name)
        if not ok(cfg):
            continue
        internet = cfg.get("DirectInternetAccess")
        direct = None if internet is None else internet == "Enabled"
        root = cfg.get("RootAccess")
        yield _resource(ctx, failures, cfg.get("NotebookInstanceArn") or item["NotebookInstanceArn"], name, cfg, {
            "ml_kind": "notebook",
            "direct_internet_access": direct,
            "root_access": None if root is None else root == "Enabled",
            # With direct internet access SageMaker gives the instance a provider-managed public path.
            "public_ip": direct,
            "in_vpc": bool(cfg.get("SubnetId")),
            "identity": cfg.get("RoleArn"),
            "state": cfg.get("NotebookInstanceStatus"),
            **_encryption(keys, ctx, cfg.get("KmsKeyId")),
        })
    failures.raise_if_any()


def collect_domains(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures, keys = DetailFailures(), KeyManagers(ctx)
    for item in pages(ctx, SM, "list_domains", "Domains"):
        did = item["DomainId"]
        cfg = _describe(ctx, failures, "describe_domain", did, DomainId=did)
        if not ok(cfg):
            continue
        access = cfg.get("AppNetworkAccessType")
        settings = cfg.get("DefaultUserSettings") or {}
        yield _resource(ctx, failures, cfg.get("DomainArn") or item["DomainArn"], cfg.get("DomainName") or did, cfg, {
            "ml_kind": "domain",
            "direct_internet_access": None if access is None else access == "PublicInternetOnly",
            "public_ip": None if access is None else access == "PublicInternetOnly",
            "in_vpc": bool(cfg.get("SubnetIds")),
            "identity": settings.get("ExecutionRole"),
            "state": cfg.get("Status"),
            **_encryption(keys, ctx, cfg.get("KmsKeyId")),
        }, with_tags=False)  # no rule reads a domain's tags (and moto's ListTags fails on domain ARNs)
    failures.raise_if_any()


def collect_user_profiles(ctx: AwsUnitContext) -> Iterator[Resource]:
    """Per domain, so an account without Studio makes no call beyond ListDomains."""
    failures = DetailFailures()
    for dom in pages(ctx, SM, "list_domains", "Domains"):
        did = dom["DomainId"]
        for item in pages(ctx, SM, "list_user_profiles", "UserProfiles", DomainIdEquals=did):
            name = item["UserProfileName"]
            cfg = _describe(ctx, failures, "describe_user_profile", f"{did}/{name}", DomainId=did, UserProfileName=name)
            if not ok(cfg):
                continue
            settings = cfg.get("UserSettings") or {}
            arn = cfg.get("UserProfileArn") or ctx.arn(SM, f"user-profile/{did}/{name}")
            yield _resource(ctx, failures, arn, name, cfg, {
                "ml_kind": "user_profile",
                "identity": settings.get("ExecutionRole"),
                "state": cfg.get("Status"),
            })
    failures.raise_if_any()


# ---- models and what serves them ---------------------------------------------------------------

def _containers(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    out = [cfg["PrimaryContainer"]] if cfg.get("PrimaryContainer") else []
    return out + list(cfg.get("Containers") or [])


def _model_data(container: dict[str, Any]) -> list[str]:
    uris = [container.get("ModelDataUrl")]
    uris.append(((container.get("ModelDataSource") or {}).get("S3DataSource") or {}).get("S3Uri"))
    return [u for u in uris if u]


def model_facets(cfg: dict[str, Any], refs: BucketRefs) -> dict[str, Any]:
    containers = _containers(cfg)
    artifacts = sorted({u for c in containers for u in _model_data(c)})
    iso = cfg.get("EnableNetworkIsolation")
    return {
        "ml_kind": "model",
        "artifact_locations": artifacts,
        "artifact_sources": refs.sources(artifacts),
        **images_facets(image_ref(c["Image"]) for c in containers if c.get("Image")),
        "network_isolation": None if iso is None else bool(iso),
        "in_vpc": _vpc(cfg.get("VpcConfig")),
        "identity": cfg.get("ExecutionRoleArn"),
    }


def collect_models(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    refs = BucketRefs(ctx, failures)
    for item in pages(ctx, SM, "list_models", "Models"):
        name = item["ModelName"]
        cfg = _describe(ctx, failures, "describe_model", name, ModelName=name)
        if ok(cfg):
            yield _resource(ctx, failures, cfg.get("ModelArn") or item["ModelArn"], name, cfg, model_facets(cfg, refs))
    failures.raise_if_any()


def endpoint_config_facets(cfg: dict[str, Any], keys: KeyManagers, ctx: AwsUnitContext) -> dict[str, Any]:
    capture = cfg.get("DataCaptureConfig") or {}
    enabled = bool(capture.get("EnableCapture"))
    variants = list(cfg.get("ProductionVariants") or []) + list(cfg.get("ShadowProductionVariants") or [])
    return {
        "ml_kind": "endpoint_config",
        "models": sorted({v["ModelName"] for v in variants if v.get("ModelName")}),
        "data_capture": enabled,
        "data_capture_locations": [capture["DestinationS3Uri"]] if enabled and capture.get("DestinationS3Uri") else [],
        **_encryption(keys, ctx, cfg.get("KmsKeyId")),
    }


def collect_endpoint_configs(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures, keys = DetailFailures(), KeyManagers(ctx)
    for item in pages(ctx, SM, "list_endpoint_configs", "EndpointConfigs"):
        name = item["EndpointConfigName"]
        cfg = _describe(ctx, failures, "describe_endpoint_config", name, EndpointConfigName=name)
        if ok(cfg):
            yield _resource(ctx, failures, cfg.get("EndpointConfigArn") or item["EndpointConfigArn"], name, cfg,
                            endpoint_config_facets(cfg, keys, ctx))
    failures.raise_if_any()


def collect_endpoints(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures, keys = DetailFailures(), KeyManagers(ctx)
    refs = BucketRefs(ctx, failures)
    configs: dict[str, Any] = {}
    models: dict[str, Any] = {}

    def cached(cache: dict[str, Any], key: str, load: Callable[[], Any]) -> Any:
        if key not in cache:
            cache[key] = load()
        return cache[key]

    for item in pages(ctx, SM, "list_endpoints", "Endpoints"):
        name = item["EndpointName"]
        cfg = _describe(ctx, failures, "describe_endpoint", name, EndpointName=name)
        if not ok(cfg):
            continue
        ec_name = cfg.get("EndpointConfigName")
        ec = cached(configs, ec_name, lambda: _describe(ctx, failures, "describe_endpoint_config", ec_name,
                                                        EndpointConfigName=ec_name)) if ec_name else None
        facets: dict[str, Any] = {"ml_kind": "endpoint", "auth": "iam", "public": False,
                                  "state": cfg.get("EndpointStatus")}
        if ok(ec):
            facets.update({k: v for k, v in endpoint_config_facets(ec, keys, ctx).items() if k != "ml_kind"})
        else:
            facets.update(models=None, encrypted=None, key_management=None, kms_key=None)
        capture = cfg.get("DataCaptureConfig")
        if isinstance(capture, dict) and "EnableCapture" in capture:
            facets["data_capture"] = bool(capture["EnableCapture"])
            facets["data_capture_locations"] = ([capture["DestinationS3Uri"]] if capture.get("EnableCapture")
                                                and capture.get("DestinationS3Uri") else [])
        # What is served: each model's artifacts, images (with the digest actually deployed) and role.
        deployed = {d.get("SpecifiedImage"): d.get("ResolvedImage")
                    for v in cfg.get("ProductionVariants") or [] for d in v.get("DeployedImages") or []}
        artifacts: set[str] = set()
        images: list[dict[str, Any]] = []
        roles: set[str] = set()
        isolation: list[Any] = []
        complete = facets.get("models") is not None
        for model in facets.get("models") or []:
            m = cached(models, model, lambda: _describe(ctx, failures, "describe_model", model, ModelName=model))
            if not ok(m):
                complete = False
                continue
            for c in _containers(m):
                artifacts.update(_model_data(c))
                if c.get("Image"):
                    images.append(image_ref(c["Image"], deployed.get(c["Image"])))
            if m.get("ExecutionRoleArn"):
                roles.add(m["ExecutionRoleArn"])
            isolation.append(m.get("EnableNetworkIsolation"))
        if complete:
            capture_uris = facets.get("data_capture_locations") or []
            facets.update(artifact_locations=sorted(artifacts), artifact_sources=refs.sources(artifacts),
                          **images_facets(images), roles=sorted(roles),
                          identity=next(iter(roles)) if len(roles) == 1 else None,
                          network_isolation=None if None in isolation else all(isolation) if isolation else None,
                          data_sources=refs.sources([*artifacts, *capture_uris]))
        else:
            facets.update(artifact_locations=None, artifact_sources=None, images=None, image_registries=None,
                          roles=None, identity=None, network_isolation=None, data_sources=None)
        yield _resource(ctx, failures, cfg.get("EndpointArn") or item["EndpointArn"], name, cfg, facets)
    failures.raise_if_any()


# ---- jobs -----------------------------------------------------------------------------------

def _job_names(ctx: AwsUnitContext, method: str, key: str, name_key: str) -> list[str]:
    """Recent jobs plus every job still running, whatever its age."""
    since = datetime.now(timezone.utc) - timedelta(days=RECENT_DAYS)
    names = {j[name_key] for j in pages(ctx, SM, method, key, CreationTimeAfter=since)}
    for status in RUNNING:
        names.update(j[name_key] for j in pages(ctx, SM, method, key, StatusEquals=status))
    return sorted(names)


def job_facets(*, image: str | None, inputs: list[str], outputs: list[str], artifacts: list[str],
               isolation: Any, encryption: Any, vpc: dict[str, Any] | None, role: str | None,
               status: str | None, refs: BucketRefs) -> dict[str, Any]:
    return {
        "ml_kind": "job",
        **images_facets([image_ref(image)] if image else []),
        "input_locations": sorted(set(inputs)),
        "output_locations": sorted(set(outputs)),
        "artifact_locations": sorted(set(artifacts)),
        "data_sources": refs.sources([*inputs, *outputs, *artifacts]),
        "network_isolation": None if isolation is None else bool(isolation),
        "inter_container_encryption": None if encryption is None else bool(encryption),
        "in_vpc": _vpc(vpc),
        "identity": role,
        "state": status,
    }


def collect_training_jobs(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    refs = BucketRefs(ctx, failures)
    for name in _job_names(ctx, "list_training_jobs", "TrainingJobSummaries", "TrainingJobName"):
        cfg = _describe(ctx, failures, "describe_training_job", name, TrainingJobName=name)
        if not ok(cfg):
            continue
        inputs = [((c.get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
                  for c in cfg.get("InputDataConfig") or []]
        out = (cfg.get("OutputDataConfig") or {}).get("S3OutputPath")
        art = (cfg.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        facets = job_facets(image=(cfg.get("AlgorithmSpecification") or {}).get("TrainingImage"),
                            inputs=[u for u in inputs if u], outputs=[out] if out else [],
                            artifacts=[art] if art else [], isolation=cfg.get("EnableNetworkIsolation"),
                            encryption=cfg.get("EnableInterContainerTrafficEncryption"),
                            vpc=cfg.get("VpcConfig"), role=cfg.get("RoleArn"),
                            status=cfg.get("TrainingJobStatus"), refs=refs)
        yield _resource(ctx, failures, cfg.get("TrainingJobArn") or ctx.arn(SM, f"training-job/{name}"), name, cfg, facets)
    failures.raise_if_any()


def collect_processing_jobs(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    refs = BucketRefs(ctx, failures)
    for name in _job_names(ctx, "list_processing_jobs", "ProcessingJobSummaries", "ProcessingJobName"):
        cfg = _describe(ctx, failures, "describe_processing_job", name, ProcessingJobName=name)
        if not ok(cfg):
            continue
        net = cfg.get("NetworkConfig") or {}
        inputs = [(i.get("S3Input") or {}).get("S3Uri") for i in cfg.get("ProcessingInputs") or []]
        outputs = [(o.get("S3Output") or {}).get("S3Uri")
                   for o in (cfg.get("ProcessingOutputConfig") or {}).get("Outputs") or []]
        facets = job_facets(image=(cfg.get("AppSpecification") or {}).get("ImageUri"),
                            inputs=[u for u in inputs if u], outputs=[u for u in outputs if u], artifacts=[],
                            isolation=net.get("EnableNetworkIsolation", False),
                            encryption=net.get("EnableInterContainerTrafficEncryption", False),
                            vpc=net.get("VpcConfig"), role=cfg.get("RoleArn"),
                            status=cfg.get("ProcessingJobStatus"), refs=refs)
        yield _resource(ctx, failures, cfg.get("ProcessingJobArn") or ctx.arn(SM, f"processing-job/{name}"), name, cfg,
                        facets)
    failures.raise_if_any()


# ---- model registry ---------------------------------------------------------------------------

def collect_model_package_groups(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    for item in pages(ctx, SM, "list_model_package_groups", "ModelPackageGroupSummaryList"):
        name = item["ModelPackageGroupName"]
        cfg = _describe(ctx, failures, "describe_model_package_group", name, ModelPackageGroupName=name)
        if ok(cfg):
            yield _resource(ctx, failures, cfg.get("ModelPackageGroupArn") or item["ModelPackageGroupArn"], name, cfg,
                            {"ml_kind": "model_package_group", "state": cfg.get("ModelPackageGroupStatus")})
    failures.raise_if_any()


def collect_model_packages(ctx: AwsUnitContext) -> Iterator[Resource]:
    failures = DetailFailures()
    refs = BucketRefs(ctx, failures)
    for group in pages(ctx, SM, "list_model_package_groups", "ModelPackageGroupSummaryList"):
        gname = group["ModelPackageGroupName"]
        for item in pages(ctx, SM, "list_model_packages", "ModelPackageSummaryList", ModelPackageGroupName=gname):
            arn = item["ModelPackageArn"]
            cfg = _describe(ctx, failures, "describe_model_package", arn, ModelPackageName=arn)
            if not ok(cfg):
                continue
            containers = (cfg.get("InferenceSpecification") or {}).get("Containers") or []
            artifacts = sorted({u for c in containers for u in _model_data(c)})
            yield _resource(ctx, failures, arn, f"{gname}/{cfg.get('ModelPackageVersion', '')}", cfg, {
                "ml_kind": "model_package",
                "approval_status": cfg.get("ModelApprovalStatus"),
                "artifact_locations": artifacts,
                "artifact_sources": refs.sources(artifacts),
                **images_facets(image_ref(c["Image"], c.get("ImageDigest") and f"x@{c['ImageDigest']}")
                                for c in containers if c.get("Image")),
                "state": cfg.get("ModelPackageStatus"),
            }, with_tags=False)  # a version's tags live on its group (and moto's ListTags fails on these ARNs)
    failures.raise_if_any()
