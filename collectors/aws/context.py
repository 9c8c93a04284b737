"""What an AWS collect function receives: its unit, clients for its account, and helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from auditor.model import Resource, make_resource
from collectors.aws.clients import AccountTarget, AwsClientFactory
from collectors.runner import UnitContext
from collectors.spec import ResourceSpec


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def tags_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, Any]:
    """AWS [{Key, Value}] tag lists as a plain mapping (the envelope's ``tags``)."""
    return {t.get("Key"): t.get("Value") for t in (tags or []) if isinstance(t, Mapping) and "Key" in t}


@dataclass
class AwsUnitContext:
    """One unit's view: account, region, spec, the runner's context and a client cache."""

    unit: UnitContext
    factory: AwsClientFactory
    target: AccountTarget
    account: str
    region: str  # "global" for account-wide units
    spec: ResourceSpec
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    @property
    def partition(self) -> str:
        return partition_of(self.home_region)

    @property
    def home_region(self) -> str:
        return "us-east-1" if self.region == "global" else self.region

    def client(self, service: str, region: str | None = None) -> Any:
        """A client for this unit's account; each call it makes is counted for the unit."""
        key = (service, region or self.home_region)
        if key not in self._clients:
            self._clients[key] = self.factory.client(service, key[1], self.target, self.unit.calls)
        return self._clients[key]

    def note(self, text: str) -> None:
        self.unit.note(text)

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        region = self.region if region is None else region
        account = self.account if account is None else account
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"

    def resource(self, *, native_id: str, name: str | None, config: Mapping[str, Any],
                 tags: Mapping[str, Any] | None = None, facets: Mapping[str, Any] | None = None,
                 region: str | None = None) -> Resource:
        spec = self.spec
        return make_resource(
            provider="aws", account=self.account, region=region or self.region,
            category=spec.category, type=spec.type, native_id=native_id, name=name,
            config=config, tags=tags, facets=facets, rules=spec.hash_rules,
        )


def paginate(client: Any, method: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item of ``key`` across all pages (botocore's paginator follows every token)."""
    if client.can_paginate(method):
        for page in client.get_paginator(method).paginate(**kwargs):
            yield from page.get(key) or []
    else:
        yield from getattr(client, method)(**kwargs).get(key) or []
