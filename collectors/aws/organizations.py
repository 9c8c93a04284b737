"""AWS Organizations delegated administration (CIS AWS 7.0 2.1.5 and 2.1.6), read in the
organization's management account only.

Both units start from DescribeOrganization: an account outside any organization, or a member
account, skips the unit with the reason (the control is judged once, where delegation is set),
so neither can ever read as "no delegated administrator" nor as PASS. A denial of any call is the
unit's ``denied`` status. Account names and e-mail addresses of the delegated administrators are
not stored: only their ids, status and the service principals they administer.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from botocore.exceptions import ClientError

from auditor.model import Resource
from collectors.aws.context import AwsUnitContext, paginate
from collectors.aws.errors import DetailFailures, error_code
from collectors.aws.policy import MalformedPolicy, canonical
from collectors.runner import UnitSkipped

ACCOUNT_ID = re.compile(r"\d{12}")
# "123456789012" or "arn:aws:iam::123456789012:root" (or any principal of that account)
PRINCIPAL_ACCOUNT = re.compile(r"^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::|$)")


def _account_id(value: Any) -> str | None:
    text = str(value or "")
    return text if ACCOUNT_ID.fullmatch(text) else None


def management_organization(ctx: AwsUnitContext) -> dict[str, Any]:
    """The organization this account manages; any other account skips the unit, saying why."""
    try:
        org = ctx.client("organizations").describe_organization().get("Organization") or {}
    except ClientError as exc:
        if error_code(exc) == "AWSOrganizationsNotInUseException":
            raise UnitSkipped("the account is not in an AWS organization (AWSOrganizationsNotInUseException): "
                              "delegated administration does not apply") from None
        raise
    master = _account_id(org.get("MasterAccountId"))
    if master != ctx.account:
        raise UnitSkipped(f"not the organization's management account (that is {master or 'not stated'}): "
                          "delegated administrators are read there")
    return org


def collect_delegated_administrators(ctx: AwsUnitContext) -> Iterator[Resource]:
    """One resource per organization: every delegated administrator and the services it runs."""
    org = management_organization(ctx)
    client = ctx.client("organizations")
    failures = DetailFailures()
    admins: list[dict[str, Any]] = []
    for admin in paginate(client, "list_delegated_administrators", "DelegatedAdministrators"):
        account = _account_id(admin.get("Id"))
        if account is None:
            ctx.note("a delegated administrator without a 12-digit account id was left out")
            continue
        services: list[str] | None
        try:
            services = sorted(str(s.get("ServicePrincipal")) for s in paginate(
                client, "list_delegated_services_for_account", "DelegatedServices", AccountId=account))
        except ClientError as exc:
            failures.add(f"ListDelegatedServicesForAccount {account}", exc)
            services = None
        admins.append({"account": account, "status": str(admin.get("Status") or "") or None, "services": services})
    admins.sort(key=lambda a: a["account"])
    org_id = str(org.get("Id") or "")
    yield ctx.resource(
        native_id=str(org.get("Arn") or f"arn:{ctx.partition}:organizations::{ctx.account}:organization/{org_id}"),
        name=org_id or ctx.account,
        config={"OrganizationId": org_id or None, "FeatureSet": org.get("FeatureSet"),
                "DelegatedAdministrators": admins},
        facets={"delegated_admins": admins})
    failures.raise_if_any()


def policy_delegates(document: Any) -> tuple[list[str], list[str]]:
    """(account ids, actions) the resource-based delegation policy allows. Raises MalformedPolicy.

    Only Allow statements delegate; a principal that is not an account of this partition
    (a wildcard, a service) is reported as given so the rule sees it is not a trusted account."""
    doc = canonical(document)
    accounts: set[str] = set()
    actions: set[str] = set()
    for st in doc["Statement"]:
        if st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        values = principal.get("AWS", []) if isinstance(principal, dict) else [principal]
        for value in values:
            m = PRINCIPAL_ACCOUNT.match(str(value))
            accounts.add(m.group(1) if m else str(value)[:200])
        actions.update(str(a) for a in st.get("Action", []))
    return sorted(accounts), sorted(actions)


def collect_delegation_policy(ctx: AwsUnitContext) -> Iterator[Resource]:
    """The resource-based delegation policy that lets member accounts manage Organizations
    policies (CIS 2.1.5). No policy is a fact (no delegate), not a failure."""
    org = management_organization(ctx)
    org_id = str(org.get("Id") or "")
    try:
        policy = ctx.client("organizations").describe_resource_policy().get("ResourcePolicy") or {}
    except ClientError as exc:
        if error_code(exc) != "ResourcePolicyNotFoundException":
            raise
        policy = None
    delegates: list[str] | None
    actions: list[str] | None
    if policy is None:
        delegates, actions = [], []
    else:
        try:
            delegates, actions = policy_delegates(policy.get("Content"))
        except MalformedPolicy as exc:
            ctx.note(f"the delegation policy could not be parsed: {exc}")
            delegates, actions = None, None
    yield ctx.resource(
        native_id=f"arn:{ctx.partition}:organizations::{ctx.account}:resourcepolicy/{org_id or 'organization'}",
        name=org_id or ctx.account,
        config={"OrganizationId": org_id or None, "PolicyExists": policy is not None,
                "Delegates": delegates, "Actions": actions},
        facets={"org_policy_delegates": delegates})
