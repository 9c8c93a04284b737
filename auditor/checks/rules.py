"""Every rule's metadata, as data: id, title, severity, rationale, remediation, frameworks.

Framework keys (exactly these, only those that apply): CIS-AWS, CIS-GCP, CIS-Azure, SOC2,
ISO27001, GDPR. CIS numbers follow the CIS Foundations Benchmarks named in
``BENCHMARK_VERSIONS``; SOC 2 uses the 2017 Trust Services Criteria; ISO 27001 the 2022
Annex A numbering. Mappings are our reading of those documents, not the publishers'.

``mechanisms`` says which trust edges an identity rule judges (an edge of that mechanism
without the rule's issue is a PASS for its resource).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
BENCHMARK_VERSIONS = {"CIS-AWS": "3.0.0", "CIS-GCP": "2.0.0", "CIS-Azure": "2.0.0", "ISO27001": "2022",
                      "SOC2": "TSC 2017", "GDPR": "2016/679"}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: str
    kind: str  # posture | identity | residency
    rationale: str
    remediation: str
    frameworks: dict[str, list[str]] = field(default_factory=dict)
    mechanisms: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mechanisms"] = list(self.mechanisms)
        return d


_ACCESS = {"SOC2": ["CC6.1"], "ISO27001": ["A.5.15", "A.8.3"]}
_FEDERATION = {"SOC2": ["CC6.1", "CC6.2"], "ISO27001": ["A.5.16", "A.5.18", "A.8.5"]}
_RESIDENCY = {"SOC2": ["CC6.7"], "ISO27001": ["A.5.34", "A.5.23"], "GDPR": ["Art.44", "Art.46"]}

_TABLE: tuple[Rule, ...] = (
    # ---------------------------------------------------------------- posture (facets, every cloud)
    Rule("storage.public", "Storage is readable by anyone on the internet", "high", "posture",
         "Public buckets/containers are the most common cause of cloud data exposure.",
         "Remove public grants (policy, ACL, allUsers/allAuthenticatedUsers, blob public access) and enable "
         "the account/bucket public-access block.",
         {"CIS-AWS": ["2.1.4"], "CIS-GCP": ["5.1"], "CIS-Azure": ["3.7"], "SOC2": ["CC6.1"],
          "ISO27001": ["A.8.3"], "GDPR": ["Art.32"]}),
    Rule("storage.customer_key_required", "Sensitive storage not encrypted with a customer-managed key", "medium",
         "posture",
         "Classifications listed in checks.cmk_required_for must use a key the organisation controls (CMK/CMEK), "
         "so access can be revoked and audited independently of the provider.",
         "Configure SSE-KMS with a customer key (AWS), CMEK (GCS default_kms_key_name) or Key Vault keys (Azure).",
         {"CIS-Azure": ["3.12"], "SOC2": ["CC6.1", "CC6.7"], "ISO27001": ["A.8.24"], "GDPR": ["Art.32"]}),
    Rule("network.admin_port_open", "Administrative ports open to the internet", "high", "posture",
         "SSH, RDP and database ports reachable from 0.0.0.0/0 or ::/0 invite brute force and exploitation.",
         "Restrict the source to known ranges, use a bastion/IAP/Bastion service, or remove the rule.",
         {"CIS-AWS": ["5.2", "5.3"], "CIS-GCP": ["3.6", "3.7"], "CIS-Azure": ["6.1", "6.2"], "SOC2": ["CC6.6"],
          "ISO27001": ["A.8.20"]}),
    Rule("compute.legacy_metadata", "Instance metadata service allows legacy (v1) access", "medium", "posture",
         "IMDSv1 / legacy metadata endpoints let SSRF bugs steal instance credentials.",
         "Require IMDSv2 (HttpTokens=required) on AWS; disable legacy metadata endpoints on GCP.",
         {"CIS-AWS": ["5.6"], "SOC2": ["CC6.1"], "ISO27001": ["A.8.9"]}),
    Rule("iam.user_without_mfa", "Console user without MFA", "high", "posture",
         "A password alone is phishable; MFA is the baseline for interactive cloud access.",
         "Enforce MFA for every user with console access.",
         {"CIS-AWS": ["1.10"], "CIS-Azure": ["1.1.2"], "SOC2": ["CC6.1"], "ISO27001": ["A.8.5"]}),
    Rule("iam.access_key_stale", "Access key older than the allowed age", "medium", "posture",
         "Long-lived keys leak through code, logs and laptops; rotation bounds the damage.",
         "Rotate or delete keys older than checks.access_key_max_age_days; prefer federation.",
         {"CIS-AWS": ["1.14"], "SOC2": ["CC6.1"], "ISO27001": ["A.5.17"]}),
    Rule("iam.sa_key_old", "User-managed service account key older than the allowed age", "medium", "posture",
         "User-managed service account keys never expire by default and are a top GCP credential leak.",
         "Delete the key and use workload identity federation or attached service accounts instead.",
         {"CIS-GCP": ["1.4", "1.7"], "SOC2": ["CC6.1"], "ISO27001": ["A.5.17"]}),
    Rule("iam.wildcard_admin", "Policy or role grants admin-equivalent wildcard permissions", "high", "posture",
         "\"*:*\"-style grants and Owner-like custom roles defeat least privilege.",
         "Replace with scoped permissions; keep full admin to break-glass roles.",
         {"CIS-AWS": ["1.16"], "CIS-GCP": ["1.5"], "CIS-Azure": ["1.23"], "SOC2": ["CC6.3"],
          "ISO27001": ["A.8.2"]}),
    Rule("network.flow_logs_missing", "Network flow logs are not enabled", "low", "posture",
         "Without flow logs incidents cannot be investigated and exfiltration is invisible.",
         "Enable VPC flow logs (AWS), subnet flow logs (GCP) or NSG/VNet flow logs (Azure).",
         {"CIS-AWS": ["3.7"], "CIS-GCP": ["3.8"], "CIS-Azure": ["6.5"], "SOC2": ["CC7.2"],
          "ISO27001": ["A.8.15", "A.8.16"]}),
    # ---------------------------------------------------------------- identity federation
    Rule("identity.policy_malformed", "Policy document could not be parsed", "medium", "identity",
         "A document the auditor cannot read cannot be proven safe; IAM may also read it differently.",
         "Fix the document so it is valid IAM policy grammar.", dict(_ACCESS)),
    Rule("identity.aws.oidc_shared_unpinned", "OIDC trust on a shared issuer does not pin the tenant", "critical",
         "identity",
         "GitHub, GitLab, Terraform Cloud and similar issuers sign tokens for every customer; without a literal "
         "owner in sub (or the issuer's required claim) any other customer's workflow can assume the role.",
         "Add StringEquals/StringLike on <issuer>:sub naming your org and repository (prefer the immutable "
         "repo:OWNER@ID/REPO@ID form), never repo:* or repo:org*.",
         dict(_FEDERATION), ("aws_oidc",)),
    Rule("identity.aws.oidc_org_wide", "OIDC trust admits every repository of the organisation", "medium",
         "identity", "repo:org/* lets every current and future repository, branch and pull request assume the role.",
         "Pin the repository and ref or environment.", dict(_FEDERATION), ("aws_oidc",)),
    Rule("identity.aws.oidc_private_no_sub", "OIDC trust on a private issuer without a sub condition", "high",
         "identity", "Any workload of the cluster/tenant can assume the role (e.g. every pod of an EKS cluster).",
         "Pin <issuer>:sub to the service account / object id, and aud.", dict(_FEDERATION), ("aws_oidc",)),
    Rule("identity.aws.google_unpinned", "Google federation without aud and sub", "critical", "identity",
         "accounts.google.com signs tokens for every Google identity; aud (tenancy) and sub (identity) must both "
         "be pinned.", "Add StringEquals on accounts.google.com:aud, :oaud and :sub (the service account's unique id).",
         dict(_FEDERATION), ("aws_google",)),
    Rule("identity.aws.cognito_no_aud", "Cognito federation without an identity pool (aud)", "critical", "identity",
         "Without cognito-identity.amazonaws.com:aud any identity pool in any account can assume the role.",
         "Pin cognito-identity.amazonaws.com:aud to your identity pool id.", dict(_FEDERATION), ("aws_cognito",)),
    Rule("identity.aws.cognito_no_amr", "Cognito role without an amr condition", "medium", "identity",
         "Without amr, unauthenticated (guest) identities of the pool can assume the authenticated role.",
         "Add ForAnyValue:StringLike cognito-identity.amazonaws.com:amr = authenticated.", dict(_FEDERATION),
         ("aws_cognito",)),
    Rule("identity.aws.external_account", "Role trusts an AWS account outside the declared estate", "low",
         "identity", "Cross-account trust to accounts you do not own must be known and reviewed.",
         "Confirm the vendor, or remove the trust; declare your own accounts in estate.aws_accounts.",
         dict(_ACCESS), ("aws_cross_account", "aws_resource_policy")),
    Rule("identity.aws.external_no_external_id", "Third-party account trusted without sts:ExternalId", "high",
         "identity", "Without ExternalId a vendor serving many customers can be tricked into using your role "
         "(confused deputy).", "Require StringEquals sts:ExternalId with the value the vendor issued to you.",
         dict(_ACCESS), ("aws_cross_account",)),
    Rule("identity.aws.public_trust", "Role trust policy allows any AWS principal", "critical", "identity",
         "Principal \"*\" without an organisation/account condition lets anyone in any account assume the role.",
         "Name the principals, or add aws:PrincipalOrgID / aws:PrincipalAccount conditions.", dict(_ACCESS),
         ("aws_public",)),
    Rule("identity.gcp.wif_shared_no_condition", "Workload identity provider on a shared issuer without a tenant condition",
         "critical", "identity",
         "GitHub/GitLab/Terraform Cloud providers without an attributeCondition pinning your organisation accept "
         "tokens from every customer of the issuer.",
         "Set attributeCondition, e.g. assertion.repository_owner_id == '<id>'.", dict(_FEDERATION),
         ("gcp_wif_oidc",)),
    Rule("identity.gcp.wif_mutable_condition", "Workload identity condition pins only mutable names", "medium",
         "identity", "Names can be recycled after a rename or deletion (subject recycling / cybersquatting).",
         "Pin the immutable numeric ids (repository_owner_id, repository_id, namespace_id, project_id).",
         dict(_FEDERATION), ("gcp_wif_oidc",)),
    Rule("identity.gcp.wif_aws_no_condition", "AWS workload identity provider without a condition", "high",
         "identity", "Every IAM user and role in the AWS account can federate into the pool.",
         "Add an attributeCondition on attribute.aws_role / assertion.arn.", dict(_FEDERATION), ("gcp_wif_aws",)),
    Rule("identity.gcp.wif_entra_unpinned", "Entra-tenant workload identity provider without an identity pin",
         "medium", "identity", "Any application of the tenant that obtains a token for the audience can federate.",
         "Pin assertion.sub / oid / appid in attributeCondition.", dict(_FEDERATION), ("gcp_wif_oidc",)),
    Rule("identity.gcp.pool_wide_principal_set", "Role granted to a whole workload identity pool or an untethered attribute",
         "high", "identity",
         "principalSet .../* admits every identity of every provider in the pool, present and future; attributes "
         "such as ref or actor do not bind a tenant.",
         "Bind to attribute.repository_id/<id> (or another tenant-bound attribute) or principal://.../subject/<sub>.",
         dict(_FEDERATION), ("gcp_wif_binding", "gcp_wif_direct")),
    Rule("identity.azure.fic_mutable_subject", "Federated credential subject uses a mutable name", "medium",
         "identity", "Name-based subjects on shared issuers can be recycled after a rename or deletion.",
         "Use immutable subjects (repo:OWNER@ID/REPO@ID:..., GitLab project_id:...).", dict(_FEDERATION),
         ("azure_fic",)),
    Rule("identity.azure.fic_pull_request", "Federated credential trusts pull-request runs", "medium", "identity",
         "Pull-request workflows run unreviewed code that can mint tokens for the identity.",
         "Trust an environment or protected branch instead of :pull_request.", dict(_FEDERATION), ("azure_fic",)),
    Rule("identity.azure.fic_broad_expression", "Flexible federated credential expression is too broad", "high",
         "identity", "A matches pattern without a literal owner, or without repository ids, admits other tenants.",
         "Pin claims['sub'] to one repository and add repository_id / repository_owner_id eq.", dict(_FEDERATION),
         ("azure_fic",)),
    Rule("identity.azure.fic_wildcard_subject", "Federated credential subject contains a literal '*'", "low",
         "identity", "Classic FICs do not support wildcards: the credential never matches, which hides a broken "
         "or misunderstood trust.", "Use an exact subject, or a flexible FIC expression.", dict(_FEDERATION),
         ("azure_fic",)),
    Rule("identity.azure.privileged_external_assignment", "Privileged role assigned to an external or federated principal",
         "high", "identity",
         "Owner / User Access Administrator / RBAC Administrator held by a foreign group or a federated identity "
         "puts the subscription one token away from an outside party.",
         "Assign least-privilege roles to federated identities; keep privileged roles for reviewed internal "
         "principals with PIM.", dict(_ACCESS, **{"CIS-Azure": ["1.23"]}), ("azure_role_assignment",)),
    Rule("identity.azure.lighthouse_external_tenant", "Subscription delegated to an external tenant (Azure Lighthouse)",
         "medium", "identity",
         "A managing tenant's users act on the subscription with the delegated roles; one outside the estate must be "
         "a known, reviewed service provider.",
         "Remove the Lighthouse delegation, or declare the managing tenant in estate.azure_tenants once reviewed.",
         dict(_ACCESS), ("azure_lighthouse",)),
    Rule("identity.chain_to_admin", "Federation chain reaches admin-equivalent permissions", "high", "identity",
         "A token from outside (another cloud, a CI issuer, a foreign account) that can become an admin through "
         "a chain of trusts is an admin credential in disguise.",
         "Break the chain: narrow the first trust, or remove admin rights from identities reachable by federation.",
         dict(_FEDERATION)),
    # ---------------------------------------------------------------- residency
    Rule("residency.primary_location", "Data stored outside its allowed jurisdictions", "high", "residency",
         "The primary copy must stay where the classification's residency policy allows.",
         "Move the data to an allowed region, or change its classification with the data owner.", dict(_RESIDENCY)),
    Rule("residency.replica_location", "Replication copies data outside its allowed jurisdictions", "high",
         "residency", "Replication destinations (S3 CRR) are copies of the data and fall under the same policy.",
         "Replicate to a destination bucket in an allowed region.", dict(_RESIDENCY)),
    Rule("residency.geo_secondary", "Geo-redundant secondary outside the allowed jurisdictions", "high", "residency",
         "GRS/GZRS silently copy every write to the paired region, which may be in another country.",
         "Use LRS/ZRS, or a region whose pair stays inside the allowed jurisdictions.", dict(_RESIDENCY)),
    Rule("residency.multi_region_member", "Dual/multi-region location spans disallowed jurisdictions", "high",
         "residency", "Every member region of a dual- or multi-region bucket holds a full copy of the data.",
         "Use a single region or a dual-region whose members are all allowed.", dict(_RESIDENCY)),
    Rule("residency.compute_location", "Compute processing restricted data outside its allowed jurisdictions",
         "medium", "residency", "Processing is a transfer too when the data is read in another jurisdiction.",
         "Run the workload in an allowed region.", dict(_RESIDENCY)),
    Rule("residency.foreign_identity_access", "Identity in another jurisdiction can read restricted data", "high",
         "residency", "A federated workload running in another jurisdiction that can read the data moves it there.",
         "Remove the read permission, or restrict the trust to workloads in allowed regions.", dict(_RESIDENCY)),
)

RULES: dict[str, Rule] = {r.id: r for r in _TABLE}


def select(rule_ids: list[str] | None, disabled: list[str] | None = None) -> list[Rule]:
    """Rules to run: ``rule_ids`` entries may be exact ids or prefixes ending in '*' or '.'."""
    disabled_set = set(disabled or [])
    if not rule_ids:
        return [r for r in RULES.values() if r.id not in disabled_set]
    chosen: list[Rule] = []
    for r in RULES.values():
        for want in rule_ids:
            w = want.strip()
            if r.id == w or (w.endswith("*") and r.id.startswith(w[:-1])) or (w.endswith(".") and r.id.startswith(w)):
                chosen.append(r)
                break
    return [r for r in chosen if r.id not in disabled_set]
