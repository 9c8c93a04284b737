"""Each trust shape of identity-residency.md: the unsafe form is flagged, its safe twin is not."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from auditor.config.schema import AuditorConfig, EstateConfig
from auditor.identity.graph import build_from_resources
from tests.identity.factories import (
    ADMIN, AWS_ACCT, AWS_OTHER, EKS_ISSUER, GH, OWNER, READER, SA_UID, TENANT, VENDOR, azure_assignment, aws_role, azure_fic, azure_uami, gcp_pool, gcp_provider, gcp_sa,
    gh_provider_arn, principal_set, stored, trust, web_identity,
)

CONFIG = AuditorConfig(estate=EstateConfig(aws_accounts=[AWS_ACCT, AWS_OTHER], aws_organization_id="o-abc123",
                                           github_orgs=["octo-org"], azure_tenants=[TENANT]))
SENTINEL = "sts.windows.net/33e01921-4d64-4f8c-a055-5bdaffd5e33d/"
GH_AUD = {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"}}


def issues(*resources, config=CONFIG) -> set[str]:
    g = build_from_resources([stored(r) for r in resources], config)
    assert g.edges, "every shape here produces at least one trust edge"
    return {"identity." + i["code"] for e in g.edges for i in e.details.get("issues", [])}


def gh_role(condition):
    return aws_role("gh-deploy", trust(web_identity(gh_provider_arn(), condition)))


# ---------------------------------------------------------------- AWS: GitHub Actions (1.6 a/b)

@pytest.mark.parametrize("condition", [
    GH_AUD,  # (a) no sub at all
    {**GH_AUD, "StringLike": {f"{GH}:sub": "*"}},
    {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:*"}},
    {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:octo-org*"}},  # also matches octo-org-evil/...
    {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:*/octo-repo:*"}},
    {**GH_AUD, "StringLike": {f"{GH}:sub": ["repo:octo-org/octo-repo:*", "repo:*"]}},  # values are OR-ed
    {**GH_AUD, "ForAllValues:StringLike": {f"{GH}:sub": "repo:octo-org/octo-repo:*"}},  # vacuous on absent key
    {**GH_AUD, "StringLikeIfExists": {f"{GH}:sub": "repo:octo-org/octo-repo:*"}},
    {"stringequals": {f"{GH.upper()}:AUD": "sts.amazonaws.com"}},  # case-insensitive keys, still no sub
])
def test_github_unpinned_subject_is_critical(condition):
    assert "identity.aws.oidc_shared_unpinned" in issues(gh_role(condition))


@pytest.mark.parametrize("condition", [
    {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com", f"{GH}:sub": "repo:octo-org/octo-repo:environment:Production"}},
    {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}},
    {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:octo-org/octo-repo:*"}},
    {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:octo-org@123456/octo-repo@456789:*"}},
    # AND of two conditions on sub: the narrow one decides.
    {**GH_AUD, "StringLike": {f"{GH}:sub": "repo:*"}, "StringEquals": {f"{GH}:sub": "repo:octo-org/octo-repo:pull_request"}},
    {"StringEqualsIgnoreCase": {f"{GH}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}},
])
def test_github_safe_twins_not_flagged(condition):
    assert issues(gh_role(condition)) == set()


def test_github_org_wide_subject_is_its_own_lower_finding():
    found = issues(gh_role({**GH_AUD, "StringLike": {f"{GH}:sub": "repo:octo-org/*"}}))
    assert found == {"identity.aws.oidc_org_wide"}


def test_deny_with_negated_operator_pins_the_subject():
    doc = trust(web_identity(gh_provider_arn(), GH_AUD),
                {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringNotLike": {f"{GH}:sub": "repo:octo-org/octo-repo:*"}}})
    assert issues(aws_role("gh", doc)) == set()


def test_url_encoded_trust_policy_is_read_like_the_decoded_one():
    doc = quote(json.dumps(trust(web_identity(gh_provider_arn(), GH_AUD))))
    assert "identity.aws.oidc_shared_unpinned" in issues(aws_role("enc", doc))


# ---------------------------------------------------------------- AWS: Google, Cognito (1.6 c/d)

def test_google_federation_without_aud_is_flagged_and_safe_twin_is_not():
    unsafe = aws_role("g", trust(web_identity("accounts.google.com")))
    only_sub = aws_role("g2", trust(web_identity("accounts.google.com", {"StringEquals": {"accounts.google.com:sub": SA_UID}})))
    safe = aws_role("g3", trust(web_identity("accounts.google.com", {"StringEquals": {
        "accounts.google.com:aud": SA_UID, "accounts.google.com:oaud": "sts.amazonaws.com",
        "accounts.google.com:sub": SA_UID}})))
    assert "identity.aws.google_unpinned" in issues(unsafe)
    assert "identity.aws.google_unpinned" in issues(only_sub)
    assert issues(safe) == set()


def test_cognito_without_aud_then_without_amr_then_safe():
    c = "cognito-identity.amazonaws.com"
    pool = "us-east-1:12345678-abcd-abcd-abcd-123456789012"
    assert issues(aws_role("c1", trust(web_identity(c)))) == {"identity.aws.cognito_no_aud"}
    assert issues(aws_role("c2", trust(web_identity(c, {"StringEquals": {f"{c}:aud": pool}})))) == {"identity.aws.cognito_no_amr"}
    safe = {"StringEquals": {f"{c}:aud": pool}, "ForAnyValue:StringLike": {f"{c}:amr": "authenticated"}}
    assert issues(aws_role("c3", trust(web_identity(c, safe)))) == set()


# ---------------------------------------------------------------- AWS: cross-account, public (1.6 e)

def _account_trust(principal, condition=None):
    st = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        st["Condition"] = condition
    return aws_role("x", trust(st))


def test_third_party_without_external_id_is_flagged_and_with_it_is_not():
    assert issues(_account_trust(f"arn:aws:iam::{VENDOR}:root")) == {
        "identity.aws.external_account", "identity.aws.external_no_external_id"}
    assert issues(_account_trust(VENDOR, {"StringEquals": {"sts:ExternalId": "vendor-issued-7f3a"}})) == {
        "identity.aws.external_account"}


def test_account_inside_the_estate_is_not_external():
    assert issues(_account_trust(f"arn:aws:iam::{AWS_OTHER}:role/ci")) == set()


def test_public_principal_flagged_unless_org_condition():
    assert issues(_account_trust("*")) == {"identity.aws.public_trust"}
    assert issues(aws_role("p", trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}))) == {
        "identity.aws.public_trust"}
    assert issues(_account_trust("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})) == set()


# ---------------------------------------------------------------- AWS: Entra, Sentinel, EKS (1.6 f/g)

def _oidc_role(url, condition=None):
    return aws_role("o", trust(web_identity(f"arn:aws:iam::{AWS_ACCT}:oidc-provider/{url}", condition)))


def test_sentinel_shared_tenant_requires_role_session_name():
    aud = {f"{SENTINEL}:aud": "api://1462b192-27f7-4cb9-8523-0f4ecb54b47e"}
    assert "identity.aws.oidc_shared_unpinned" in issues(_oidc_role(SENTINEL, {"StringEquals": aud}))
    safe = {"StringEquals": {**aud, "sts:RoleSessionName": "MicrosoftSentinel_0f2c4c2e-workspace"}}
    assert issues(_oidc_role(SENTINEL, safe)) == set()


def test_private_issuers_need_sub():
    tenant_url = f"sts.windows.net/{TENANT}/"
    assert issues(_oidc_role(tenant_url, {"StringEquals": {f"{tenant_url}:aud": "api://aws-app"}})) == {
        "identity.aws.oidc_private_no_sub"}
    assert issues(_oidc_role(tenant_url, {"StringEquals": {f"{tenant_url}:sub": "5b3c1f2e-0000-4000-8000-000000000001"}})) == set()
    assert issues(_oidc_role(EKS_ISSUER, {"StringEquals": {f"{EKS_ISSUER}:aud": "sts.amazonaws.com"}})) == {
        "identity.aws.oidc_private_no_sub"}
    assert issues(_oidc_role(EKS_ISSUER, {"StringEquals": {f"{EKS_ISSUER}:aud": "sts.amazonaws.com",
                                                            f"{EKS_ISSUER}:sub": "system:serviceaccount:ml:trainer"}})) == set()


# ---------------------------------------------------------------- GCP workload identity (2.4)

def test_gcp_github_provider_without_condition_and_safe_twin():
    assert issues(gcp_pool(), gcp_provider("gh")) == {"identity.gcp.wif_shared_no_condition"}
    assert issues(gcp_pool(), gcp_provider("gh", condition="assertion.ref == 'refs/heads/main'")) == {
        "identity.gcp.wif_shared_no_condition"}
    assert issues(gcp_pool(), gcp_provider("gh", condition="assertion.repository_owner == 'octo-org'")) == {
        "identity.gcp.wif_mutable_condition"}
    safe = "assertion.repository_owner_id == '1342004' && assertion.repository_id == '260064828'"
    assert issues(gcp_pool(), gcp_provider("gh", condition=safe)) == set()


def test_gcp_aws_provider_needs_condition():
    assert issues(gcp_provider("aws", aws_account=VENDOR)) == {"identity.gcp.wif_aws_no_condition"}
    cond = f"attribute.aws_role == 'arn:aws:sts::{VENDOR}:assumed-role/ci'"
    assert issues(gcp_provider("aws", aws_account=VENDOR, condition=cond)) == set()


def test_gcp_entra_provider_must_pin_identity():
    issuer = f"https://sts.windows.net/{TENANT}/"
    assert issues(gcp_provider("entra", issuer=issuer, audiences=["api://gcp"])) == {"identity.gcp.wif_entra_unpinned"}
    assert issues(gcp_provider("entra", issuer=issuer, condition="assertion.sub == '5b3c1f2e'")) == set()


@pytest.mark.parametrize("selector,flagged", [
    ("*", True), ("attribute.ref/refs/heads/main", True), ("attribute.repository_id/260064828", False),
])
def test_gcp_principal_set_bindings(selector, flagged):
    sa = gcp_sa(bindings=[{"role": "roles/iam.workloadIdentityUser", "members": [principal_set(selector)]}])
    found = issues(gcp_pool(), sa)
    assert ("identity.gcp.pool_wide_principal_set" in found) is flagged


# ---------------------------------------------------------------- Azure FICs and role assignments (3.5)

GH_ISSUER = f"https://{GH}"


@pytest.mark.parametrize("subject,rule", [
    ("repo:octo-org/octo-repo:environment:prod", "identity.azure.fic_mutable_subject"),
    ("repo:octo-org@123456/octo-repo@456789:pull_request", "identity.azure.fic_pull_request"),
    ("repo:octo-org/*", "identity.azure.fic_wildcard_subject"),
])
def test_azure_fic_unsafe_subjects(subject, rule):
    assert rule in issues(azure_uami("deploy", "p-1"), azure_fic("deploy", "gh", GH_ISSUER, subject))


def test_azure_fic_immutable_subject_is_safe():
    subject = "repo:octo-org@123456/octo-repo@456789:environment:prod"
    assert issues(azure_uami("deploy", "p-1"), azure_fic("deploy", "gh", GH_ISSUER, subject)) == set()


def test_azure_flexible_fic_expression():
    broad = "claims['sub'] matches 'repo:contoso/*'"
    safe = ("claims['sub'] matches 'repo:contoso/contoso-repo:ref:refs/heads/*' and "
            "claims['repository_id'] eq '456789'")
    assert issues(azure_uami("d", "p-1"), azure_fic("d", "flex", GH_ISSUER, None, expression=broad)) == {
        "identity.azure.fic_broad_expression"}
    assert issues(azure_uami("d", "p-1"), azure_fic("d", "flex", GH_ISSUER, None, expression=safe)) == set()


def test_privileged_assignment_to_foreign_or_federated_principal():
    assert issues(azure_assignment("a1", OWNER, "f-1", principal_type="ForeignGroup")) == {
        "identity.azure.privileged_external_assignment"}
    fed = [azure_uami("deploy", "p-1"),
           azure_fic("deploy", "gh", GH_ISSUER, "repo:octo-org@123456/octo-repo@456789:environment:prod")]
    assert "identity.azure.privileged_external_assignment" in issues(*fed, azure_assignment("a2", OWNER, "p-1"))
    assert issues(*fed, azure_assignment("a3", READER, "p-1")) == set()  # least privilege: fine
    assert issues(azure_assignment("a4", OWNER, "u-1", principal_type="User")) == set()  # internal, not federated


def test_admin_via_aws_managed_policy_marks_node():
    g = build_from_resources([stored(aws_role("admin", trust(web_identity(gh_provider_arn(), GH_AUD)), attached=[ADMIN]))], CONFIG)
    assert g.admin_nodes == {f"aws.iam.role|arn:aws:iam::{AWS_ACCT}:role/admin"}
