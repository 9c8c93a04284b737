"""What an identity may do once assumed: admin-equivalence and data reads, from its own policies."""

from __future__ import annotations

from typing import Any

from auditor.identity.index import Index, Res
from auditor.identity.policy import PolicyDocument, evaluate, parse_policy
from auditor.identity.privilege import ADMIN_POLICY_SUFFIX, admin_verdict


def _default_version_doc(policy: Res) -> Any:
    for v in policy.config.get("PolicyVersionList") or []:
        if isinstance(v, dict) and (v.get("IsDefaultVersion") or len(policy.config.get("PolicyVersionList")) == 1):
            return v.get("Document")
    return policy.config.get("Document")


def aws_principal_policies(res: Res, ix: Index, malformed: dict[str, list[str]] | None = None) -> tuple[list[PolicyDocument], bool]:
    """(parsed identity policies, has an AWS-managed AdministratorAccess attachment)."""
    docs: list[PolicyDocument] = []
    admin_attached = False
    for key in ("RolePolicyList", "UserPolicyList", "GroupPolicyList"):
        for item in res.config.get(key) or []:
            if not isinstance(item, dict):
                continue
            doc = parse_policy(item.get("PolicyDocument"))
            if doc.errors and malformed is not None:
                malformed.setdefault(res.resource_key, []).extend(
                    f"{key}[{item.get('PolicyName')}]: {e}" for e in doc.errors)
            docs.append(doc)
    for att in res.config.get("AttachedManagedPolicies") or []:
        arn = str(att.get("PolicyArn") or "") if isinstance(att, dict) else ""
        if arn.endswith(ADMIN_POLICY_SUFFIX):
            admin_attached = True
            continue
        pol = ix.aws_policies_by_arn.get(arn)
        if pol is not None:
            if pol.facets.get("admin") is True:
                admin_attached = True
            docs.append(parse_policy(_default_version_doc(pol)))
    return docs, admin_attached


def aws_is_admin(res: Res, ix: Index) -> bool:
    """The collector's ``admin`` facet when it was decided (it saw every attached AWS-managed
    policy); otherwise the same ``admin_verdict`` over what the snapshot holds."""
    if isinstance(res.facets.get("admin"), bool):
        return res.facets["admin"]
    docs, admin_attached = aws_principal_policies(res, ix)
    return admin_attached or admin_verdict(docs).admin


def aws_can_read_object(res: Res, ix: Index, bucket: str) -> bool:
    """Identity policies allow s3:GetObject on the bucket's objects (no explicit deny)."""
    memo = ("aws_principal_policies", res.resource_key)
    if memo not in ix.derived:  # asked once per bucket: parse the role's policies once
        ix.derived[memo] = aws_principal_policies(res, ix)
    docs, admin_attached = ix.derived[memo]
    if admin_attached:
        return True
    decisions = [evaluate(d, action="s3:GetObject", resource=f"arn:aws:s3:::{bucket}/*") for d in docs]
    return "Allow" in decisions and "Deny" not in decisions
