"""Example resources per rule: one estate where the rule FAILs and its safe twin where it PASSes.

The walk in test_every_rule.py requires an entry here for every registered rule, so adding a
rule without examples fails the suite.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from auditor.config.schema import AuditorConfig, ChecksConfig, EstateConfig, ResidencyConfig
from auditor.facets import rule as net_rule
from auditor.model import Resource, make_resource
from tests.identity.factories import (
    ADMIN, AWS_ACCT, AWS_OTHER, EKS_ISSUER, GCP_PROJECT, GH, OWNER, SA_UID, SUB, TENANT, VENDOR, aws_role,
    azure_assignment, azure_fic, azure_storage, azure_uami, gcp_pool, gcp_provider, gcp_sa, gcs_bucket,
    gh_provider_arn, principal_set, s3_bucket, three_cloud_estate, trust, web_identity,
)

AS_OF = datetime.now(timezone.utc)  # snapshots seeded by the tests are taken "now" too
CONFIG = AuditorConfig(
    estate=EstateConfig(aws_accounts=[AWS_ACCT, AWS_OTHER], aws_organization_id="o-abc123", gcp_projects=[GCP_PROJECT],
                        github_orgs=["octo-org"], azure_tenants=[TENANT]),
    residency=ResidencyConfig(allowed={"internal": ["*"], "restricted": ["EU"], "br-only": ["BR"], "de-only": ["DE"],
                                       "eu-or-us": ["EU", "US"]}),
    checks=ChecksConfig(access_key_max_age_days=90, sa_key_max_age_days=90, aws_trusted_delegated_admins=[AWS_OTHER]),
)
EU = {"data-classification": "restricted"}
GH_AUD = {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}
GH_ISSUER = f"https://{GH}"
IMMUTABLE_SUBJECT = "repo:octo-org@123456/octo-repo@456789:environment:prod"


def ago(days: int) -> str:
    return (AS_OF - timedelta(days=days)).isoformat()


def res(provider: str, type_: str, category: str, name: str, facets: dict[str, Any], *, region: str = "eu-west-1",
        tags: dict[str, str] | None = None) -> Resource:
    account = {"aws": AWS_ACCT, "gcp": GCP_PROJECT, "azure": SUB}[provider]
    return make_resource(provider=provider, account=account, region=region, category=category, type=type_,
                         native_id=f"{type_}/{name}", name=name, config={"name": name}, tags=tags or {}, facets=facets)


def bucket(**facets: Any) -> list[Resource]:
    return [res("aws", "aws.s3.bucket", "storage", "b", facets, tags=facets.pop("tags", None))]


def account(**facets: Any) -> list[Resource]:
    return [res("azure", "azure.storage.account", "storage", "sa", facets, region="westeurope")]


def sg(cidr: str, proto: str = "tcp", port: int = 22) -> list[Resource]:
    return [res("aws", "aws.ec2.security_group", "network", "sg",
                {"ingress": [net_rule("ingress", cidr, proto, port, port)], "egress": []})]


def iam(type_: str, **facets: Any) -> list[Resource]:
    return [res("aws" if type_.startswith("aws") else "gcp", type_, "iam", "p", facets, region="global")]


def role(name: str, trust_doc: Any, **kw: Any) -> list[Resource]:
    return [aws_role(name, trust_doc, **kw)]


def account_trust(principal: Any, condition: dict[str, Any] | None = None) -> list[Resource]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return role("x", trust(st))


def oidc_role(url: str, condition: dict[str, Any] | None = None) -> list[Resource]:
    return role("o", trust(web_identity(f"arn:aws:iam::{AWS_ACCT}:oidc-provider/{url}", condition)))


def fic(subject: str | None, expression: str | None = None) -> list[Resource]:
    return [azure_uami("deploy", "p-1"), azure_fic("deploy", "gh", GH_ISSUER, subject, expression=expression)]


def vm(region: str) -> list[Resource]:
    return [make_resource(provider="gcp", account=GCP_PROJECT, region=region, category="compute",
                          type="gcp.compute.instance", native_id=f"//compute.googleapis.com/projects/p/zones/{region}/instances/t",
                          name="t", config={"name": "t"}, tags=EU, facets={"locations": [region]})]


def subscription(*managing_tenants: str) -> list[Resource]:
    cfg = {"id": f"/subscriptions/{SUB}", "subscriptionId": SUB, "tenantId": TENANT, "displayName": "prod",
           "managedByTenants": [{"tenantId": t} for t in managing_tenants]}
    return [make_resource(provider="azure", account=SUB, region="global", category="iam",
                          type="azure.resources.subscription", native_id=f"/subscriptions/{SUB}", name="prod",
                          config=cfg)]


COGNITO = "cognito-identity.amazonaws.com"
COGNITO_POOL = "us-east-1:12345678-abcd-abcd-abcd-123456789012"


def ml(type_: str, category: str = "compute", tags: dict[str, str] | None = None, **facets: Any) -> list[Resource]:
    return [res("aws", type_, category, "x", facets, tags=tags)]


def ml_src(bucket: str, account: str | None, region: str | None = "eu-west-1") -> dict[str, Any]:
    return {"uri": f"s3://{bucket}/m.tar.gz", "bucket": bucket, "account": account, "region": region}


def ml_model(source: dict[str, Any]) -> list[Resource]:
    from collectors.aws.refs import image_ref

    image = image_ref(f"{AWS_ACCT}.dkr.ecr.eu-west-1.amazonaws.com/serve@sha256:" + "a" * 64)
    return ml("aws.sagemaker.model", ml_kind="model", artifact_sources=[source], images=[image],
              artifact_locations=[source["uri"]], locations=["eu-west-1"])


def ml_job(region: str) -> list[Resource]:
    return ml("aws.sagemaker.training_job", tags=EU, ml_kind="job", data_sources=[ml_src("in", AWS_ACCT, region)],
              images=[], locations=["eu-west-1"])

Estate = Callable[[], list[Resource]]
# rule id -> (estate where it FAILs, estate where it PASSes[, config for both])
EXAMPLES: dict[str, tuple[Estate, Estate] | tuple[Estate, Estate, AuditorConfig]] = {
    "storage.public": (lambda: bucket(public=True, public_reasons=["acl:AllUsers:READ"]), lambda: bucket(public=False)),
    "storage.customer_key_required": (lambda: bucket(key_management="provider", tags=EU),
                                      lambda: bucket(key_management="customer", kms_key="k", tags=EU)),
    "storage.unencrypted": (lambda: bucket(encrypted=False), lambda: bucket(encrypted=True)),
    "storage.plain_http": (lambda: account(https_only=False), lambda: account(https_only=True)),
    "storage.min_tls_below_1_2": (lambda: account(min_tls="TLS1_0"), lambda: account(min_tls="TLS1_2")),
    "storage.public_network_access": (lambda: account(public_network_access=True),
                                      lambda: account(public_network_access=False)),
    "network.admin_port_open": (lambda: sg("0.0.0.0/0", "udp", 3389), lambda: sg("10.0.0.0/8")),
    "network.flow_logs_missing": (lambda: [res("aws", "aws.ec2.vpc", "network", "v", {"flow_logs": False})],
                                  lambda: [res("aws", "aws.ec2.vpc", "network", "v", {"flow_logs": True})]),
    "compute.legacy_metadata": (lambda: [res("aws", "aws.ec2.instance", "compute", "i", {"legacy_metadata": True})],
                                lambda: [res("aws", "aws.ec2.instance", "compute", "i", {"legacy_metadata": False})]),
    "iam.user_without_mfa": (lambda: iam("aws.iam.user", mfa=False, console_access=True),
                             lambda: iam("aws.iam.user", mfa=True, console_access=True)),
    "iam.access_key_stale": (lambda: iam("aws.iam.user", access_keys=[{"id_suffix": "A", "active": True, "created": ago(400)}]),
                             lambda: iam("aws.iam.user", access_keys=[{"id_suffix": "A", "active": True, "created": ago(10)}])),
    "iam.sa_key_old": (lambda: iam("gcp.iam.service_account_key", user_managed=True, key_created=ago(400)),
                       lambda: iam("gcp.iam.service_account_key", user_managed=True, key_created=ago(5))),
    "iam.sa_user_managed_key": (lambda: iam("gcp.iam.service_account_key", user_managed=True, key_created=ago(5)),
                                lambda: iam("gcp.iam.service_account_key", user_managed=False)),
    "iam.wildcard_admin": (lambda: iam("aws.iam.group", admin=True, malformed=[]),
                           lambda: iam("aws.iam.group", admin=False, malformed=[])),
    "iam.privilege_escalation": (
        lambda: iam("aws.iam.user", privilege_escalation=[
            {"path": "iam:PassRole+ec2:RunInstances", "actions": ["iam:PassRole", "ec2:RunInstances"], "resource": "*"}]),
        lambda: iam("aws.iam.user", privilege_escalation=[])),
    # ---- residency
    "residency.primary_location": (lambda: [s3_bucket("b", "us-east-1", tags=EU)], lambda: [s3_bucket("b", "eu-west-1", tags=EU)]),
    "residency.replica_location": (
        lambda: [s3_bucket("b", "eu-west-1", tags=EU, replicate_to=["d"], destination_regions={"d": "us-east-1"})],
        lambda: [s3_bucket("b", "eu-west-1", tags=EU, replicate_to=["d"], destination_regions={"d": "eu-central-1"})]),
    "residency.geo_secondary": (
        lambda: [azure_storage("br", "brazilsouth", "Standard_RAGRS", tags={"data-classification": "br-only"})],
        lambda: [azure_storage("de", "germanywestcentral", "Standard_GZRS", tags={"data-classification": "de-only"})]),
    "residency.multi_region_member": (lambda: [gcs_bucket("x", "EUR5", "dual-region", labels=EU)],
                                      lambda: [gcs_bucket("x", "EUR4", "dual-region", labels=EU)]),
    "residency.compute_location": (lambda: vm("us-central1-a"), lambda: vm("europe-west1-b")),
    "residency.foreign_identity_access": (
        three_cloud_estate,
        lambda: [r if r.type != "azure.storage.account" else
                 azure_storage(r.name, "germanywestcentral", "Standard_LRS", tags={"data-classification": "eu-or-us"})
                 for r in three_cloud_estate()]),
    # ---- identity (trust shapes: the unsafe form and its safe twin)
    "identity.policy_malformed": (lambda: role("bad", {"Statement": [{"Effect": "Maybe"}]}),
                                  lambda: account_trust(f"arn:aws:iam::{AWS_OTHER}:role/ci")),
    "identity.chain_to_admin": (three_cloud_estate,
                                lambda: [azure_assignment("a4", OWNER, "u-1", principal_type="User")]),
    "identity.aws.oidc_shared_unpinned": (
        lambda: role("gh", trust(web_identity(gh_provider_arn(), GH_AUD))),
        lambda: role("gh", trust(web_identity(gh_provider_arn(), {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:octo-org/octo-repo:*"}})))),
    "identity.aws.oidc_org_wide": (
        lambda: role("gh", trust(web_identity(gh_provider_arn(), {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:octo-org/*"}}))),
        lambda: role("gh", trust(web_identity(gh_provider_arn(), {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:octo-org/octo-repo:*"}})))),
    "identity.aws.oidc_private_no_sub": (
        lambda: oidc_role(EKS_ISSUER, {"StringEquals": {f"{EKS_ISSUER}:aud": "sts.amazonaws.com"}}),
        lambda: oidc_role(EKS_ISSUER, {"StringEquals": {f"{EKS_ISSUER}:aud": "sts.amazonaws.com",
                                                         f"{EKS_ISSUER}:sub": "system:serviceaccount:ml:trainer"}})),
    "identity.aws.google_unpinned": (
        lambda: role("g", trust(web_identity("accounts.google.com"))),
        lambda: role("g", trust(web_identity("accounts.google.com", {"StringEquals": {
            "accounts.google.com:aud": SA_UID, "accounts.google.com:oaud": "sts.amazonaws.com",
            "accounts.google.com:sub": SA_UID}})))),
    "identity.aws.cognito_no_aud": (
        lambda: role("c", trust(web_identity(COGNITO))),
        lambda: role("c", trust(web_identity(COGNITO, {"StringEquals": {f"{COGNITO}:aud": COGNITO_POOL}})))),
    "identity.aws.cognito_no_amr": (
        lambda: role("c", trust(web_identity(COGNITO, {"StringEquals": {f"{COGNITO}:aud": COGNITO_POOL}}))),
        lambda: role("c", trust(web_identity(COGNITO, {"StringEquals": {f"{COGNITO}:aud": COGNITO_POOL},
                                                       "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}})))),
    "identity.aws.external_account": (lambda: account_trust(f"arn:aws:iam::{VENDOR}:root"),
                                      lambda: account_trust(f"arn:aws:iam::{AWS_OTHER}:role/ci")),
    "identity.aws.external_no_external_id": (
        lambda: account_trust(f"arn:aws:iam::{VENDOR}:root"),
        lambda: account_trust(VENDOR, {"StringEquals": {"sts:ExternalId": "vendor-issued-7f3a"}})),
    "identity.aws.public_trust": (lambda: account_trust("*"),
                                  lambda: account_trust("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
    "identity.gcp.wif_shared_no_condition": (
        lambda: [gcp_pool(), gcp_provider("gh")],
        lambda: [gcp_pool(), gcp_provider("gh", condition="assertion.repository_owner_id == '1342004' && "
                                                          "assertion.repository_id == '260064828'")]),
    "identity.gcp.wif_mutable_condition": (
        lambda: [gcp_pool(), gcp_provider("gh", condition="assertion.repository_owner == 'octo-org'")],
        lambda: [gcp_pool(), gcp_provider("gh", condition="assertion.repository_owner_id == '1342004' && "
                                                          "assertion.repository_id == '260064828'")]),
    "identity.gcp.wif_aws_no_condition": (
        lambda: [gcp_provider("aws", aws_account=VENDOR)],
        lambda: [gcp_provider("aws", aws_account=VENDOR, condition=f"attribute.aws_role == 'arn:aws:sts::{VENDOR}:assumed-role/ci'")]),
    "identity.gcp.wif_entra_unpinned": (
        lambda: [gcp_provider("entra", issuer=f"https://sts.windows.net/{TENANT}/", audiences=["api://gcp"])],
        lambda: [gcp_provider("entra", issuer=f"https://sts.windows.net/{TENANT}/", condition="assertion.sub == '5b3c1f2e'")]),
    "identity.gcp.pool_wide_principal_set": (
        lambda: [gcp_pool(), gcp_sa(bindings=[{"role": "roles/iam.workloadIdentityUser", "members": [principal_set("*")]}])],
        lambda: [gcp_pool(), gcp_sa(bindings=[{"role": "roles/iam.workloadIdentityUser",
                                               "members": [principal_set("attribute.repository_id/260064828")]}])]),
    "identity.azure.fic_mutable_subject": (lambda: fic("repo:octo-org/octo-repo:environment:prod"),
                                           lambda: fic(IMMUTABLE_SUBJECT)),
    "identity.azure.fic_pull_request": (lambda: fic("repo:octo-org@123456/octo-repo@456789:pull_request"),
                                        lambda: fic(IMMUTABLE_SUBJECT)),
    "identity.azure.fic_broad_expression": (
        lambda: fic(None, "claims['sub'] matches 'repo:contoso/*'"),
        lambda: fic(None, "claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*' and "
                          "claims['repository_id'] eq '456789'")),
    "identity.azure.fic_wildcard_subject": (lambda: fic("repo:octo-org/*"), lambda: fic(IMMUTABLE_SUBJECT)),
    "identity.azure.lighthouse_external_tenant": (lambda: subscription("5f2a7d3e-0000-4000-8000-00000000b001"),
                                                 lambda: subscription(TENANT)),
    "identity.azure.privileged_external_assignment": (
        lambda: [azure_assignment("a1", OWNER, "f-1", principal_type="ForeignGroup")],
        lambda: [azure_assignment("a4", OWNER, "u-1", principal_type="User")]),  # internal, not federated
    # ---- ML platform (auditor/rules/ml.py)
    "ml.model_provenance": (lambda: ml_model(ml_src("vendor-models", None)), lambda: ml_model(ml_src("ours", AWS_ACCT))),
    "ml.notebook_direct_internet": (
        lambda: ml("aws.sagemaker.notebook_instance", ml_kind="notebook", direct_internet_access=True),
        lambda: ml("aws.sagemaker.notebook_instance", ml_kind="notebook", direct_internet_access=False)),
    "ml.notebook_root_access": (lambda: ml("aws.sagemaker.notebook_instance", ml_kind="notebook", root_access=True),
                                lambda: ml("aws.sagemaker.notebook_instance", ml_kind="notebook", root_access=False)),
    "ml.endpoint_encryption": (
        lambda: ml("aws.sagemaker.endpoint", ml_kind="endpoint", encrypted=False, key_management=None),
        lambda: ml("aws.sagemaker.endpoint", ml_kind="endpoint", encrypted=True, key_management="customer")),
    "ml.endpoint_data_capture": (lambda: ml("aws.sagemaker.endpoint", ml_kind="endpoint", data_capture=False),
                                 lambda: ml("aws.sagemaker.endpoint", ml_kind="endpoint", data_capture=True)),
    "ml.training_network_isolation": (
        lambda: ml("aws.sagemaker.training_job", tags=EU, ml_kind="job", network_isolation=False,
                   inter_container_encryption=False),
        lambda: ml("aws.sagemaker.training_job", tags=EU, ml_kind="job", network_isolation=True,
                   inter_container_encryption=True)),
    "cluster.public_endpoint": (
        lambda: ml("aws.eks.cluster", endpoint_public=True, endpoint_public_cidrs=["0.0.0.0/0"]),
        lambda: ml("aws.eks.cluster", endpoint_public=True, endpoint_public_cidrs=["203.0.113.0/24"])),
    "registry.mutable_tags": (lambda: ml("aws.ecr.repository", "storage", tag_immutable=False, public=False),
                              lambda: ml("aws.ecr.repository", "storage", tag_immutable=True, public=False)),
    "function.public": (
        lambda: ml("aws.lambda.function", url_auth="none", public=True, public_reasons=["url:AuthType NONE"]),
        lambda: ml("aws.lambda.function", url_auth="iam", public=False, public_reasons=[])),
    "residency.ml_data": (lambda: ml_job("us-east-1"), lambda: ml_job("eu-central-1")),
}


def _topic_examples() -> None:
    """Merge ``tests/rules/examples_<topic>.py`` modules (each defines its own ``EXAMPLES``), so a
    new rule module brings its examples in its own file."""
    import importlib
    import pkgutil

    import tests.rules as pkg

    for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if m.name.startswith("examples_"):
            more = importlib.import_module(f"tests.rules.{m.name}").EXAMPLES
            twice = set(more) & set(EXAMPLES)
            if twice:
                raise ValueError(f"tests/rules/{m.name}.py repeats examples for {sorted(twice)}")
            EXAMPLES.update(more)


_topic_examples()
