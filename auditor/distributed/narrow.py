"""A worker plans only the account its unit belongs to, not the whole estate.

Planning the whole estate in every worker would repeat discovery (organisations, projects,
subscriptions) per worker and keep a session per account in each: memory that grows with
the estate. Narrowing the cloud's section to the unit's account gives the same UnitTask (the
same planner builds it) for one role assumption. When narrowing does not apply (a discovery
unit, an account the section does not name), the caller falls back to the full plan.
"""

from __future__ import annotations

from typing import Any

from auditor.config import AuditorConfig


def narrowed(config: AuditorConfig, provider: str, account: str) -> AuditorConfig | None:
    """``config`` with ``provider``'s section limited to ``account``; None when it cannot be."""
    section = getattr(config, provider, None)
    if section is None:
        return None
    update: dict[str, Any]
    if provider == "aws":
        from auditor.config.schema import AwsAccount

        named = [a for a in section.accounts if a.id == account]
        if named:
            accounts = named
        elif section.organization is not None and account.isdigit():
            org = section.organization
            accounts = [AwsAccount(id=account, role_name=org.role_name, external_id=org.external_id)]
        else:
            return None
        update = {"accounts": accounts, "organization": None}
    elif provider == "gcp":
        if section.organization or section.folders:
            return None  # a project's units carry its folders and organisation: only the walk knows them
        update = {"projects": [account], "organization": None, "folders": []}
    elif provider == "azure":
        update = {"subscriptions": [account], "management_group": None}
    else:
        return None
    return config.model_copy(update={provider: section.model_copy(update=update)})
