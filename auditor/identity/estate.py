"""What counts as "ours": the declared estate (config) plus what the snapshot itself holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable


@dataclass(slots=True)
class Estate:
    aws_accounts: set[str] = field(default_factory=set)
    aws_organization_id: str | None = None
    gcp_organization: str | None = None
    gcp_projects: set[str] = field(default_factory=set)  # ids and numbers
    azure_tenants: set[str] = field(default_factory=set)
    azure_subscriptions: set[str] = field(default_factory=set)
    github_orgs: set[str] = field(default_factory=set)  # lower-case names or numeric ids
    gitlab_groups: set[str] = field(default_factory=set)

    @classmethod
    def from_config(cls, estate_cfg: Any) -> "Estate":
        e = cls()
        if estate_cfg is None:
            return e
        e.aws_accounts = {str(a) for a in getattr(estate_cfg, "aws_accounts", []) or []}
        e.aws_organization_id = getattr(estate_cfg, "aws_organization_id", None)
        e.gcp_organization = getattr(estate_cfg, "gcp_organization", None)
        e.gcp_projects = {str(p) for p in getattr(estate_cfg, "gcp_projects", []) or []}
        e.azure_tenants = {str(t).lower() for t in getattr(estate_cfg, "azure_tenants", []) or []}
        e.github_orgs = {str(o).lower() for o in getattr(estate_cfg, "github_orgs", []) or []}
        e.gitlab_groups = {str(g).lower() for g in getattr(estate_cfg, "gitlab_groups", []) or []}
        return e

    def learn(self, provider: str, account: str, config: dict[str, Any]) -> None:
        """Accounts, projects and tenants present in the snapshot are ours too."""
        if provider == "aws" and account:
            self.aws_accounts.add(str(account))
        elif provider == "gcp" and account:
            self.gcp_projects.add(str(account))
            number = config.get("projectNumber") if isinstance(config, dict) else None
            if number:
                self.gcp_projects.add(str(number))
        elif provider == "azure" and account:
            self.azure_subscriptions.add(str(account).lower())
            props = config.get("properties") if isinstance(config, dict) else None
            tenant = props.get("tenantId") if isinstance(props, dict) else None
            if tenant is None and isinstance(config, dict) and config.get("subscriptionId"):
                tenant = config.get("tenantId")  # a subscription document: its home tenant is ours
            if isinstance(tenant, str):
                self.azure_tenants.add(tenant.lower())

    def aws_account_ours(self, account: str) -> bool:
        return account in self.aws_accounts

    def gcp_project_ours(self, project: str) -> bool:
        return project in self.gcp_projects

    def azure_tenant_ours(self, tenant: str | None) -> bool:
        return bool(tenant) and tenant.lower() in self.azure_tenants

    def subject_owner_ours(self, kind: str, tenant: str | None) -> bool:
        if not tenant:
            return False
        name = tenant.split("@", 1)[0].lower()
        if kind == "github":
            return name in self.github_orgs or tenant.split("@", 1)[-1] in self.github_orgs
        if kind == "gitlab":
            return name in self.gitlab_groups
        return False

    def any_in(self, values: Iterable[str], pool: set[str]) -> bool:
        return any(v in pool for v in values)
