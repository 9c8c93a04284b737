"""OIDC issuer classification (identity-residency.md §1.5 and §4) as a table of facts.

An issuer is *shared* when one issuer URL serves every customer of a SaaS (GitHub Actions,
GitLab.com, HCP Terraform, Google, Cognito...): trust in it must pin the tenancy claim named
here, or any other tenant's token is accepted. A *private* issuer (one EKS cluster, one
Entra tenant, a GitHub Enterprise issuer) still needs ``sub`` to pick one workload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

SENTINEL_TENANT = "33e01921-4d64-4f8c-a055-5bdaffd5e33d"  # Microsoft-owned tenant used by Sentinel


@dataclass(frozen=True, slots=True)
class Issuer:
    url: str  # normalised: lower-case host, no scheme, no trailing slash
    kind: str  # github | gitlab | hcp-terraform | google | entra | aws-cognito | aws-eks | gcp-gke | ...
    provider: str  # where the identity lives: github, gitlab, terraform, gcp, azure, aws, or "oidc"
    shared: bool
    tenancy_claim: str | None  # the claim that must be pinned on a shared issuer (sub, aud, sts:RoleSessionName)
    tenant: str | None = None  # Entra tenant id, EKS cluster id, enterprise slug ...
    region: str | None = None  # where the issuing workload runs, when the URL says (EKS / GKE)


# (regex over the normalised URL, kind, provider, shared, tenancy claim). First match wins.
ISSUER_TABLE: tuple[tuple[str, str, str, bool, str | None], ...] = (
    (r"token\.actions\.githubusercontent\.com", "github", "github", True, "sub"),
    (r"token\.actions\.githubusercontent\.com/(?P<tenant>[^/]+)", "github", "github", False, "sub"),
    (r"token\.actions\.(?P<tenant>[^.]+)\.ghe\.com", "github", "github", False, "sub"),
    (r"vstoken\.actions\.githubusercontent\.com", "github", "github", True, "sub"),
    (r"oidc-configuration\.audit-log\.githubusercontent\.com", "github", "github", True, "sub"),
    (r"gitlab\.com", "gitlab", "gitlab", True, "sub"),
    (r"app\.(eu\.)?terraform\.io", "hcp-terraform", "terraform", True, "sub"),
    (r"accounts\.google\.com", "google", "gcp", True, "aud"),
    (r"sts\.windows\.net/" + SENTINEL_TENANT, "entra", "azure", True, "sts:rolesessionname"),
    (r"sts\.windows\.net/(?P<tenant>[0-9a-f-]{36})", "entra", "azure", False, "sub"),
    (r"login\.microsoftonline\.com/(?P<tenant>[0-9a-f-]{36})(/v2\.0)?", "entra", "azure", False, "sub"),
    (r"cognito-identity\.amazonaws\.com", "aws-cognito", "aws", True, "aud"),
    (r"oidc\.eks\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/id/(?P<tenant>[0-9a-z]+)", "aws-eks", "aws", False, "sub"),
    (r"container\.googleapis\.com/v1/projects/(?P<project>[^/]+)/(locations|zones)/(?P<region>[^/]+)/clusters/(?P<tenant>[^/]+)",
     "gcp-gke", "gcp", False, "sub"),
    (r"(?P<region>[a-z0-9-]+)\.oic\.prod-aks\.azure\.com/(?P<tenant>.+)", "azure-aks", "azure", False, "sub"),
    (r"agent\.buildkite\.com", "buildkite", "buildkite", True, "sub"),
    (r"oidc\.codefresh\.io", "codefresh", "codefresh", True, "sub"),
    (r"studio\.datachain\.ai/api", "dvc-studio", "dvc", True, "sub"),
    (r"api\.pulumi\.com/oidc", "pulumi", "pulumi", True, "aud"),
    (r"sandboxes\.cloud", "sandboxes", "sandboxes", True, "aud"),
    (r"scalr\.io", "scalr", "scalr", True, "sub"),
    (r"tokens\.cloud\.shisho\.dev", "shisho", "shisho", True, "sub"),
    (r"proidc\.upbound\.io", "upbound", "upbound", True, "sub"),
    (r"oidc\.vercel\.com(/[^/]+)?", "vercel", "vercel", True, "aud"),
    (r"oidc\.circleci\.com/org/(?P<tenant>[^/]+)", "circleci", "circleci", False, "sub"),
    (r"oidc\.circleci\.com", "circleci", "circleci", True, "sub"),
    (r"oidc\.op1\.openshiftapps\.com/[a-z0-9]+", "turbonomic", "ibm", True, "sub"),
    (r"rh-oidc\.s3\.us-east-1\.amazonaws\.com/[a-z0-9]+", "turbonomic", "ibm", True, "sub"),
    (r"graph\.facebook\.com", "facebook", "facebook", True, "app_id"),
    (r"www\.amazon\.com", "login-with-amazon", "amazon", True, "app_id"),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), k, prov, s, c) for p, k, prov, s, c in ISSUER_TABLE)

CLOUDS = ("aws", "gcp", "azure")


def normalise_url(url: str) -> str:
    """``https://Token.Actions.GithubUserContent.com/`` -> ``token.actions.githubusercontent.com``."""
    text = (url or "").strip()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text, flags=re.IGNORECASE)
    host, sep, path = text.partition("/")
    return (host.lower() + sep + path).rstrip("/")


@lru_cache(maxsize=8192)
def classify(url: str) -> Issuer:
    """What an issuer URL is (memoised: an estate names a handful of issuers many times over)."""
    norm = normalise_url(url)
    for rx, kind, provider, shared, claim in _COMPILED:
        m = rx.fullmatch(norm)
        if m:
            groups = m.groupdict()
            return Issuer(url=norm, kind=kind, provider=provider, shared=shared, tenancy_claim=claim,
                          tenant=groups.get("tenant"), region=groups.get("region"))
    return Issuer(url=norm, kind="oidc", provider="oidc", shared=False, tenancy_claim="sub")


# Tenant segment of a shared issuer's subject: the literal part a pin must contain.
# A pattern pins the tenant when its wildcard-free prefix matches this expression.
SUBJECT_TENANT = {
    "github": re.compile(r"repo:(?P<tenant>[^/:*?@]+)(@\d+)?/"),
    "gitlab": re.compile(r"project_path:(?P<tenant>[^/:*?]+)/"),
    "hcp-terraform": re.compile(r"organization:(?P<tenant>[^:*?]+):"),
}
# Subject forms that name a tenant by immutable numeric id (safe against name recycling).
IMMUTABLE_SUBJECT = {
    "github": re.compile(r"repo:[^/:@]+@\d+/[^/:@]+@\d+:"),
    "gitlab": re.compile(r"project_id:\d+:"),
}


def literal_prefix(pattern: str, *, wildcards: bool) -> str:
    if not wildcards:
        return pattern
    cut = min((i for i in (pattern.find("*"), pattern.find("?")) if i >= 0), default=len(pattern))
    return pattern[:cut]


def subject_scope(kind: str, pattern: str, *, wildcards: bool) -> str:
    """How much a subject pin admits: 'exact', 'workload', 'tenant' (whole org), or 'any' (other tenants).

    ``wildcards`` is True for StringLike-style operators (``*``/``?`` are special).
    """
    has_wc = wildcards and ("*" in pattern or "?" in pattern)
    prefix = literal_prefix(pattern, wildcards=wildcards)
    rx = SUBJECT_TENANT.get(kind)
    if rx is None:
        if not has_wc:
            return "exact"
        return "workload" if re.search(r"[:/]", prefix.rstrip(":/")) else "any"
    m = rx.match(prefix)
    if not m:
        # Literal subjects in a custom template still pin one identity.
        return "exact" if not has_wc else "any"
    if not has_wc:
        return "exact"
    return "tenant" if prefix == m.group(0) else "workload"


def subject_tenant(kind: str, pattern: str) -> str | None:
    rx = SUBJECT_TENANT.get(kind)
    m = rx.match(pattern) if rx else None
    return m.group("tenant") if m else None
