"""Scope resolution: which accounts and regions to collect, as one UnitTask per
(account x region x resource type). Discovery failures become failing units, never
exceptions out of plan(), so they show up as unit statuses in the snapshot.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable, Iterator

from auditor.config.schema import AwsConfig
from auditor.model import Resource
from collectors.aws.clients import HOME_REGION, AccountTarget, AwsClientFactory
from collectors.aws.context import AwsUnitContext
from collectors.aws.specs import SPECS
from collectors.runner import Unit, UnitContext, UnitTask
from collectors.spec import ResourceSpec, select_specs

ENABLED_OPT_IN = ("opt-in-not-required", "opted-in")
DISCOVERY_TYPE = "aws.discovery"


class AccountMismatch(RuntimeError):
    """The credentials used for an account belong to a different account."""


def _failing(unit: Unit, exc: BaseException) -> UnitTask:
    def collect(_: UnitContext) -> Iterable[Resource]:
        raise exc

    return UnitTask(unit, collect)


def role_arn_for(account_id: str, role_name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def account_targets(cfg: AwsConfig, factory: AwsClientFactory) -> list[AccountTarget]:
    """Explicit accounts, else Organizations discovery, else the caller's own account."""
    if cfg.accounts:
        return [AccountTarget(a.id, a.role_arn or (role_arn_for(a.id, a.role_name) if a.role_name else None),
                              a.external_id, a.name) for a in cfg.accounts]
    if cfg.organization is not None:
        org = cfg.organization
        caller = factory.caller_account()
        client = factory.client("organizations", HOME_REGION, AccountTarget(None))
        targets = []
        for page in client.get_paginator("list_accounts").paginate():
            for acct in page.get("Accounts") or []:
                state = acct.get("State") or acct.get("Status")
                if state != "ACTIVE" or acct["Id"] in org.exclude_accounts:
                    continue
                # The caller's own account is read with the caller's credentials.
                role = None if acct["Id"] == caller else role_arn_for(acct["Id"], org.role_name)
                targets.append(AccountTarget(acct["Id"], role, org.external_id if role else None, acct.get("Name")))
        return targets
    return [AccountTarget(None)]


def enabled_regions(factory: AwsClientFactory, target: AccountTarget) -> list[str]:
    """Regions enabled for the account. The filter is also applied locally: some servers
    (moto) ignore it."""
    ec2 = factory.client("ec2", HOME_REGION, target)
    resp = ec2.describe_regions(AllRegions=False, Filters=[{"Name": "opt-in-status", "Values": list(ENABLED_OPT_IN)}])
    return sorted(r["RegionName"] for r in resp.get("Regions") or []
                  if r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN)


class AccountUnits:
    """Counts an account's unfinished units; the last one to finish releases the account's
    session and clients (memory then stays flat whatever the number of accounts)."""

    def __init__(self, factory: AwsClientFactory, target: AccountTarget) -> None:
        self.factory, self.target = factory, target
        self.pending = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.pending += 1

    def done(self) -> None:
        with self._lock:
            self.pending -= 1
            last = self.pending == 0
        if last:
            self.factory.release(self.target)


def _bind(spec: ResourceSpec, factory: AwsClientFactory, target: AccountTarget, account: str,
          region: str, units: AccountUnits | None = None) -> Callable[[UnitContext], Iterable[Resource]]:
    assert spec.collect is not None, spec.type
    if units is not None:
        units.add()

    def collect(uctx: UnitContext) -> Iterator[Resource]:
        try:
            yield from spec.collect(AwsUnitContext(uctx, factory, target, account, region, spec))  # type: ignore[misc]
        finally:
            if units is not None:
                units.done()

    return collect


def plan(cfg: AwsConfig, *, clients: AwsClientFactory | None = None,
         specs: Iterable[ResourceSpec] = SPECS) -> list[UnitTask]:
    factory = clients or AwsClientFactory(cfg)
    chosen = select_specs(specs, cfg.resource_types, cfg.exclude_resource_types)
    if not cfg.enabled or not chosen:
        return []
    tasks: list[UnitTask] = []
    try:
        targets = account_targets(cfg, factory)
    except Exception as exc:  # noqa: BLE001 - becomes the discovery unit's status
        return [_failing(Unit("aws", "organization", "global", f"{DISCOVERY_TYPE}.accounts"), exc)]
    for target in targets:
        try:
            account = target.account_id or factory.caller_account()
            factory.session(target)  # assume the role once, up front
            if not target.role_arn and factory.caller_account() != account:
                # Never label one account's resources with another's id.
                raise AccountMismatch(f"base credentials are for account {factory.caller_account()}, "
                                      f"not {account}; configure role_arn/role_name for it")
            regions = cfg.regions if isinstance(cfg.regions, list) else enabled_regions(factory, target)
        except Exception as exc:  # noqa: BLE001 - every unit of this account carries the failure
            label = target.label
            regions_for_fail = cfg.regions if isinstance(cfg.regions, list) else ["all"]
            for spec in chosen:
                for region in (["global"] if spec.scope == "global" else regions_for_fail):
                    tasks.append(_failing(Unit("aws", label, region, spec.type), exc))
            continue
        factory.release(target)  # planning's session is rebuilt by the account's first unit
        units = AccountUnits(factory, target)
        for spec in chosen:
            for region in (["global"] if spec.scope in ("global", "account") else regions):
                tasks.append(UnitTask(Unit("aws", account, region, spec.type),
                                      _bind(spec, factory, target, account, region, units)))
    return tasks
