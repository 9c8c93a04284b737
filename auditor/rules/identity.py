"""Identity-federation rules over the trust graph (built once per audit, ``ctx.graph``).

Extractors attach issues (a fact code such as ``aws.external_account`` + message) to the edges they
judge; an edge of a mechanism a rule covers, and that the rule applies to, yields PASS for its
trusting resource unless some edge of that resource carries the code the rule judges.
"""

from __future__ import annotations

from typing import Any, Callable

from auditor.identity.edges import TrustEdge
from auditor.identity.extract_gcp import TENANT_CLAIMS
from auditor.identity.permissions import aws_principal_policies
from auditor.identity.policy import parse_policy
from auditor.rules.registry import RuleContext, rule
from auditor.rules.verdict import FAIL, PASS, Result, severity_rank

_SHARED = lambda e: bool(e.details.get("shared_issuer"))  # noqa: E731
_KIND = lambda *kinds: (lambda e: e.details.get("issuer_kind") in kinds)  # noqa: E731
_ANY: Callable[[TrustEdge], bool] = lambda e: True  # noqa: E731
FEDERATED_STARTS = (
    "oidc|",
    "saml|",
    "anyone|",
    "aws.account|",
    "aws.org|",
    "aws.principal|",
    "gcp.sa_uid|",
    "aws.cognito_pool|",
    "gke|",
    "gcp.wif_pool|",
)
POLICY_TYPES = ("aws.iam.role", "aws.iam.policy", "aws.iam.user", "aws.iam.group")


def edge_evidence(e: TrustEdge) -> dict[str, Any]:
    return {
        "edge_id": e.edge_id,
        "mechanism": e.mechanism,
        "trusted": f"{e.trusted_kind}:{e.trusted_id}",
        "trusted_provider": e.trusted_provider,
        "conditions": e.conditions,
        "external": e.external,
        "cross_cloud": e.cross_cloud,
    }


def _edges_by_source(ctx: RuleContext) -> dict[str, list[TrustEdge]]:
    def build() -> dict[str, list[TrustEdge]]:
        out: dict[str, list[TrustEdge]] = {}
        for e in ctx.graph.edges if ctx.graph is not None else ():
            out.setdefault(e.source_key, []).append(e)
        return out

    return ctx.memo("identity.edges_by_source", build)


def graph_keys(ctx: RuleContext) -> set[str]:
    """Keys identity rules may judge that need not be a stored resource (e.g. an admin SA outside the snapshot)."""
    if ctx.graph is None:
        return set()
    return set(_edges_by_source(ctx)) | set(ctx.graph.malformed) | set(_chains_by_target(ctx))


def judge_edges(
    res: Any, ctx: RuleContext, issue: str, mechanisms: tuple[str, ...], applies: Callable[[TrustEdge], bool] = _ANY
) -> Result | None:
    """PASS/FAIL for the resource's trust edges of ``mechanisms`` that ``applies`` selects: FAIL
    where an extractor attached the fact ``issue`` (its code, e.g. ``aws.external_account``)."""
    edges = [e for e in _edges_by_source(ctx).get(res.resource_key, ()) if e.mechanism in mechanisms and applies(e)]
    if not edges:
        return None
    found = [i for e in edges for i in e.details.get("issues") or [] if i.get("code") == issue]
    evidence: dict[str, Any] = {"edges": [edge_evidence(e) for e in edges]}
    if found:
        evidence["issues"] = [i["message"] for i in found]
        # Every hit a mere hardening note (issue severity set): the highest of those, else the rule's.
        sev = [i.get("severity") for i in found]
        severity = max(sev, key=severity_rank) if None not in sev else None
        return Result(FAIL, "; ".join(dict.fromkeys(evidence["issues"])), evidence, severity=severity)
    return Result(PASS, f"{len(edges)} trust relationship(s) checked", evidence)


@rule(
    id="identity.policy_malformed",
    title="Policy document could not be parsed",
    severity="medium",
    kind="identity",
    rationale="A document the auditor cannot read cannot be proven safe; IAM may also read it differently.",
    remediation="Fix the document so it is valid IAM policy grammar.",
)
def policy_malformed(res: Any, ctx: RuleContext) -> Result | None:
    graph = ctx.graph
    known = list(graph.malformed.get(res.resource_key, [])) if graph is not None else []
    if res.type not in POLICY_TYPES:
        return Result(FAIL, "; ".join(known)[:2000], {"problems": known}) if known else None
    problems = known
    if graph is not None and graph.index is not None:
        extra: dict[str, list[str]] = {}
        aws_principal_policies(res, graph.index, extra)
        problems += extra.get(res.resource_key, [])
    if res.type == "aws.iam.policy":
        for v in res.config.get("PolicyVersionList") or []:
            if isinstance(v, dict) and "Document" in v:
                problems += [f"version {v.get('VersionId')}: {e}" for e in parse_policy(v.get("Document")).errors]
    problems += [str(m) for m in res.facets.get("malformed") or []]
    problems = list(dict.fromkeys(problems))
    if problems:
        return Result(FAIL, "; ".join(problems)[:2000], {"problems": problems})
    return Result(PASS, "all policy documents parse")


def _chains_by_target(ctx: RuleContext) -> dict[str, list[Any]]:
    def build() -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for chain in ctx.graph.chains() if ctx.graph is not None else ():
            if chain.reaches_admin:
                out.setdefault(chain.nodes[-1], []).append(chain)
        return out

    return ctx.memo("identity.chains_by_target", build)


@rule(
    id="identity.chain_to_admin",
    title="Federation chain reaches admin-equivalent permissions",
    severity="high",
    kind="identity",
    rationale="A token from outside (another cloud, a CI issuer, a foreign account) that can become an admin "
    "through a chain of trusts is an admin credential in disguise.",
    remediation="Break the chain: narrow the first trust, or remove admin rights from identities reachable by "
    "federation.",
)
def chain_to_admin(res: Any, ctx: RuleContext) -> Result | None:
    chains = _chains_by_target(ctx).get(res.resource_key)
    if not chains:
        return None
    # Risky: crosses clouds, crosses the estate boundary, or starts at a federated issuer/account
    # (a directory user holding Owner is not a federation chain).
    risky = [c for c in chains if c.external or c.cross_cloud or c.nodes[0].startswith(FEDERATED_STARTS)]
    evidence = {"chains": [c.as_dict() for c in chains[:20]], "chain_count": len(chains)}
    if not risky:
        return Result(PASS, "admin reachable only through internal trust", evidence)
    weak = any(e.details.get("issues") for c in risky for e in c.edges)
    return Result(
        FAIL,
        f"{len(risky)} federation chain(s) reach admin-equivalent {res.resource_key}: " f"{risky[0].text()}",
        evidence,
        severity="critical" if weak else None,
    )


# ---------------------------------------------------------------- rules judged on trust edges


@rule(
    id='identity.aws.oidc_shared_unpinned',
    title='OIDC trust on a shared issuer does not pin the tenant',
    severity='critical',
    kind="identity",
    rationale='GitHub, GitLab, Terraform Cloud and similar issuers sign tokens for every customer; without a '
    "literal owner in sub (or the issuer's required claim) any other customer's workflow can assume the "
    'role.',
    remediation='Add StringEquals/StringLike on <issuer>:sub naming your org and repository (prefer the immutable '
    'repo:OWNER@ID/REPO@ID form), never repo:* or repo:org*.',
)
def aws_oidc_shared_unpinned(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'aws.oidc_shared_unpinned', ('aws_oidc',), _SHARED)


@rule(
    id='identity.aws.oidc_org_wide',
    title='OIDC trust admits every repository of the organisation',
    severity='medium',
    kind="identity",
    rationale='repo:org/* lets every current and future repository, branch and pull request assume the role.',
    remediation='Pin the repository and ref or environment.',
)
def aws_oidc_org_wide(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(
        res,
        ctx,
        'aws.oidc_org_wide',
        ('aws_oidc',),
        lambda e: _SHARED(e) and e.details.get("issuer_kind") in ("github", "gitlab", "hcp-terraform"),
    )


@rule(
    id='identity.aws.oidc_private_no_sub',
    title='OIDC trust on a private issuer without a sub condition',
    severity='high',
    kind="identity",
    rationale='Any workload of the cluster/tenant can assume the role (e.g. every pod of an EKS cluster).',
    remediation='Pin <issuer>:sub to the service account / object id, and aud.',
)
def aws_oidc_private_no_sub(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'aws.oidc_private_no_sub', ('aws_oidc',), lambda e: not _SHARED(e))


@rule(
    id='identity.aws.google_unpinned',
    title='Google federation without aud and sub',
    severity='critical',
    kind="identity",
    rationale='accounts.google.com signs tokens for every Google identity; aud (tenancy) and sub (identity) must '
    'both be pinned.',
    remediation="Add StringEquals on accounts.google.com:aud, :oaud and :sub (the service account's unique id).",
)
def aws_google_unpinned(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'aws.google_unpinned', ('aws_google',))


@rule(
    id='identity.aws.cognito_no_aud',
    title='Cognito federation without an identity pool (aud)',
    severity='critical',
    kind="identity",
    rationale='Without cognito-identity.amazonaws.com:aud any identity pool in any account can assume the role.',
    remediation='Pin cognito-identity.amazonaws.com:aud to your identity pool id.',
)
def aws_cognito_no_aud(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'aws.cognito_no_aud', ('aws_cognito',))


@rule(
    id='identity.aws.cognito_no_amr',
    title='Cognito role without an amr condition',
    severity='medium',
    kind="identity",
    rationale='Without amr, unauthenticated (guest) identities of the pool can assume the authenticated role.',
    remediation='Add ForAnyValue:StringLike cognito-identity.amazonaws.com:amr = authenticated.',
)
def aws_cognito_no_amr(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'aws.cognito_no_amr', ('aws_cognito',))


@rule(
    id='identity.aws.external_account',
    title='Role trusts an AWS account outside the declared estate',
    severity='low',
    kind="identity",
    rationale='Cross-account trust to accounts you do not own must be known and reviewed.',
    remediation='Confirm the vendor, or remove the trust; declare your own accounts in estate.aws_accounts.',
)
def aws_external_account(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'aws.external_account', ('aws_cross_account', 'aws_resource_policy'))


@rule(
    id='identity.aws.external_no_external_id',
    title='Third-party account trusted without sts:ExternalId',
    severity='high',
    kind="identity",
    rationale='Without ExternalId a vendor serving many customers can be tricked into using your role (confused '
    'deputy).',
    remediation='Require StringEquals sts:ExternalId with the value the vendor issued to you.',
)
def aws_external_no_external_id(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'aws.external_no_external_id', ('aws_cross_account',), lambda e: e.external)


@rule(
    id='identity.aws.public_trust',
    title='Role trust policy allows any AWS principal',
    severity='critical',
    kind="identity",
    rationale='Principal "*" without an organisation/account condition lets anyone in any account assume the role.',
    remediation='Name the principals, or add aws:PrincipalOrgID / aws:PrincipalAccount conditions.',
)
def aws_public_trust(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'aws.public_trust', ('aws_public', 'aws_cross_account'))


@rule(
    id='identity.gcp.wif_shared_no_condition',
    title='Workload identity provider on a shared issuer without a tenant condition',
    severity='critical',
    kind="identity",
    rationale='GitHub/GitLab/Terraform Cloud providers without an attributeCondition pinning your organisation '
    'accept tokens from every customer of the issuer.',
    remediation="Set attributeCondition, e.g. assertion.repository_owner_id == '<id>'.",
)
def gcp_wif_shared_no_condition(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'gcp.wif_shared_no_condition', ('gcp_wif_oidc',), _SHARED)


@rule(
    id='identity.gcp.wif_mutable_condition',
    title='Workload identity condition pins only mutable names',
    severity='medium',
    kind="identity",
    rationale='Names can be recycled after a rename or deletion (subject recycling / cybersquatting).',
    remediation='Pin the immutable numeric ids (repository_owner_id, repository_id, namespace_id, project_id).',
)
def gcp_wif_mutable_condition(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(
        res,
        ctx,
        'gcp.wif_mutable_condition',
        ('gcp_wif_oidc',),
        lambda e: _SHARED(e) and e.details.get("issuer_kind") in TENANT_CLAIMS,
    )


@rule(
    id='identity.gcp.wif_aws_no_condition',
    title='AWS workload identity provider without a condition',
    severity='high',
    kind="identity",
    rationale='Every IAM user and role in the AWS account can federate into the pool.',
    remediation='Add an attributeCondition on attribute.aws_role / assertion.arn.',
)
def gcp_wif_aws_no_condition(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'gcp.wif_aws_no_condition', ('gcp_wif_aws',))


@rule(
    id='identity.gcp.wif_entra_unpinned',
    title='Entra-tenant workload identity provider without an identity pin',
    severity='medium',
    kind="identity",
    rationale='Any application of the tenant that obtains a token for the audience can federate.',
    remediation='Pin assertion.sub / oid / appid in attributeCondition.',
)
def gcp_wif_entra_unpinned(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'gcp.wif_entra_unpinned', ('gcp_wif_oidc',), _KIND("entra"))


@rule(
    id='identity.gcp.pool_wide_principal_set',
    title='Role granted to a whole workload identity pool or an untethered attribute',
    severity='high',
    kind="identity",
    rationale='principalSet .../* admits every identity of every provider in the pool, present and future; '
    'attributes such as ref or actor do not bind a tenant.',
    remediation='Bind to attribute.repository_id/<id> (or another tenant-bound attribute) or '
    'principal://.../subject/<sub>.',
)
def gcp_pool_wide_principal_set(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'gcp.pool_wide_principal_set', ('gcp_wif_binding', 'gcp_wif_direct'))


@rule(
    id='identity.azure.fic_mutable_subject',
    title='Federated credential subject uses a mutable name',
    severity='medium',
    kind="identity",
    rationale='Name-based subjects on shared issuers can be recycled after a rename or deletion.',
    remediation='Use immutable subjects (repo:OWNER@ID/REPO@ID:..., GitLab project_id:...).',
)
def azure_fic_mutable_subject(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(
        res,
        ctx,
        'azure.fic_mutable_subject',
        ('azure_fic',),
        lambda e: _SHARED(e)
        and e.details.get("issuer_kind") in ("github", "gitlab")
        and bool(e.conditions.get("subject")),
    )


@rule(
    id='identity.azure.fic_pull_request',
    title='Federated credential trusts pull-request runs',
    severity='medium',
    kind="identity",
    rationale='Pull-request workflows run unreviewed code that can mint tokens for the identity.',
    remediation='Trust an environment or protected branch instead of :pull_request.',
)
def azure_fic_pull_request(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(
        res,
        ctx,
        'azure.fic_pull_request',
        ('azure_fic',),
        lambda e: e.details.get("issuer_kind") == "github" and bool(e.conditions.get("subject")),
    )


@rule(
    id='identity.azure.fic_broad_expression',
    title='Flexible federated credential expression is too broad',
    severity='high',
    kind="identity",
    rationale='A matches pattern without a literal owner, or without repository ids, admits other tenants.',
    remediation="Pin claims['sub'] to one repository and add repository_id / repository_owner_id eq.",
)
def azure_fic_broad_expression(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(
        res,
        ctx,
        'azure.fic_broad_expression',
        ('azure_fic',),
        lambda e: bool(e.conditions.get("claimsMatchingExpression")),
    )


@rule(
    id='identity.azure.fic_wildcard_subject',
    title="Federated credential subject contains a literal '*'",
    severity='low',
    kind="identity",
    rationale='Classic FICs do not support wildcards: the credential never matches, which hides a broken or '
    'misunderstood trust.',
    remediation='Use an exact subject, or a flexible FIC expression.',
)
def azure_fic_wildcard_subject(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, 'azure.fic_wildcard_subject', ('azure_fic',))


@rule(
    id='identity.azure.privileged_external_assignment',
    title='Privileged role assigned to an external or federated principal',
    severity='high',
    kind="identity",
    rationale='Owner / User Access Administrator / RBAC Administrator held by a foreign group or a federated '
    'identity puts the subscription one token away from an outside party.',
    remediation='Assign least-privilege roles to federated identities; keep privileged roles for reviewed internal '
    'principals with PIM.',
)
def azure_privileged_external_assignment(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(
        res,
        ctx,
        'azure.privileged_external_assignment',
        ('azure_role_assignment',),
        lambda e: bool(e.details.get("privileged")),
    )


@rule(
    id="identity.azure.lighthouse_external_tenant",
    title="Subscription delegated to an external tenant (Azure Lighthouse)",
    severity="medium",
    kind="identity",
    rationale="A managing tenant's users act on the subscription with the delegated roles; one outside the estate "
    "must be a known, reviewed service provider.",
    remediation="Remove the Lighthouse delegation, or declare the managing tenant in estate.azure_tenants once "
    "reviewed.",
)
def azure_lighthouse_external_tenant(res: Any, ctx: RuleContext) -> Result | None:
    return judge_edges(res, ctx, "azure.lighthouse_external_tenant", ("azure_lighthouse",))
