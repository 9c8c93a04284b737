"""Lookups the extractors need to resolve the other end of a trust edge inside the snapshot.

Only identity resources are indexed (the iam category), so memory follows the number of
roles/accounts/identities, not the size of the estate; and each keeps only the config keys
the extractors, the permission checks and the residency reach read (:data:`KEPT_CONFIG`),
so a bucket or a role costs its policy documents, not its whole stored config.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson

from auditor.identity.estate import Estate
from auditor.identity.issuers import normalise_url

IDENTITY_TYPES = frozenset({
    "aws.iam.role", "aws.iam.user", "aws.iam.policy", "aws.iam.oidc_provider", "aws.iam.saml_provider",
    "gcp.iam.project_policy", "gcp.iam.service_account", "gcp.iam.workload_identity_pool",
    "gcp.iam.workload_identity_provider", "gcp.iam.service_account_key",
    "azure.authorization.role_definition", "azure.authorization.role_assignment",
    "azure.identity.user_assigned", "azure.identity.federated_credential", "azure.resources.subscription",
    # resources whose own policy grants other principals access (cross-account trust edges)
    "aws.s3.bucket", "aws.kms.key",
})

# What the index keeps of an identity resource's config, by type (None: the whole config).
# Everything reading ``Index`` entries after the first pass (extract_*.py, permissions.py,
# residency/access.py) reads only these keys; observers and rules see the full resource.
_AWS_POLICIES = ("RolePolicyList", "UserPolicyList", "GroupPolicyList", "AttachedManagedPolicies")
KEPT_CONFIG: dict[str, tuple[str, ...] | None] = {
    "aws.iam.role": ("Arn", "RoleName", "AssumeRolePolicyDocument", *_AWS_POLICIES),
    "aws.iam.user": ("Arn", "UserName", *_AWS_POLICIES),
    "aws.iam.policy": ("Arn", "PolicyVersionList", "Document"),
    "aws.iam.oidc_provider": ("Arn", "Url", "ClientIDList"),
    "aws.iam.saml_provider": ("Arn", "SAMLMetadataDocument"),
    "aws.s3.bucket": ("Policy",),
    "aws.kms.key": ("KeyPolicy",),
    "gcp.iam.project_policy": ("bindings", "iamPolicy"),
    "gcp.iam.service_account": ("uniqueId", "email", "iamPolicy"),
    "gcp.iam.service_account_key": (),
    "gcp.iam.workload_identity_pool": ("name",),
    "gcp.iam.workload_identity_provider": None,
    "azure.authorization.role_definition": ("id", "name", "properties"),
    "azure.authorization.role_assignment": ("id", "properties"),
    "azure.identity.user_assigned": ("id", "properties"),
    "azure.identity.federated_credential": None,  # read as properties or, flattened, the config itself
    "azure.resources.subscription": ("managedByTenants", "tenantId"),
}


class _Empty(dict):  # type: ignore[type-arg]
    """The one empty facets/tags dict the index's entries share (read-only, still a dict)."""

    def _ro(self, *a: Any, **k: Any) -> Any:
        raise TypeError("index entries are read-only")

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = _ro  # type: ignore[assignment]


_EMPTY: dict[str, Any] = _Empty()
KEPT_FACETS = ("admin",)  # the collector's admin verdict (roles, policies, role definitions)
# The kept facets take one of a few values (the admin verdict): one shared read-only dict each.
_FACETS: dict[bytes, dict[str, Any]] = {}


def _shared_facets(kept: dict[str, Any]) -> dict[str, Any]:
    """One read-only dict per distinct kept facets (a dict per entry was ~180 bytes each)."""
    if not kept:
        return _EMPTY
    key = orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)
    shared = _FACETS.get(key)
    if shared is None:
        shared = _FACETS[key] = _Empty(kept)
    return shared


def _intern(s: Any) -> Any:
    """One copy of the few distinct providers, accounts, regions and types, however many entries."""
    return sys.intern(s) if type(s) is str else s


POOL_NAME = re.compile(r"projects/(?P<project>[^/]+)/locations/global/workloadIdentityPools/(?P<pool>[^/]+)")


@dataclass(frozen=True, slots=True)
class Res:
    """The slice of a stored resource the identity code reads."""

    resource_key: str
    provider: str
    account: str
    region: str
    type: str
    native_id: str
    name: str | None
    config: dict[str, Any]
    facets: dict[str, Any]
    tags: dict[str, Any]
    state: str = "present"
    category: str = ""

    @classmethod
    def of(cls, r: Any) -> "Res":
        cfg = r.config if isinstance(r.config, dict) else {}
        fac = r.facets if isinstance(r.facets, dict) else {}
        tags = r.tags if isinstance(r.tags, dict) else {}
        return cls(r.resource_key, r.provider, r.account, r.region, r.type, r.native_id, r.name, cfg, fac, tags,
                   getattr(r, "state", "present"), getattr(r, "category", ""))

    def slim(self) -> "Slim":
        """What the index keeps after the first pass: the config keys of :data:`KEPT_CONFIG`,
        the ``admin`` facet, no tags, and one shared copy of the repeated short strings
        (the index holds every identity of the estate until the check ends)."""
        keys = KEPT_CONFIG.get(self.type)
        cfg = self.config if keys is None else {k: self.config[k] for k in keys if k in self.config}
        fac = _shared_facets({k: self.facets[k] for k in KEPT_FACETS if k in self.facets})
        return Slim(self.resource_key, _intern(self.provider), _intern(self.account), _intern(self.region),
                    _intern(self.type), self.native_id, self.name, _packed(cfg), fac,
                    _intern(self.state), _intern(self.category))


def _packed(cfg: dict[str, Any]) -> bytes | dict[str, Any]:
    """The config as JSON bytes; a config JSON cannot carry as it is (only hand-built ones,
    never a stored one: e.g. tuples or non-string keys) is kept parsed."""
    if not cfg:
        return b""
    if not _plain(cfg):
        return cfg
    try:
        packed = orjson.dumps(cfg)
    except TypeError:  # e.g. an integer beyond 64 bits
        return cfg
    return bytes(memoryview(packed))  # orjson's bytes keep their (4 KB) write buffer: a copy is exact


def _plain(v: Any) -> bool:
    """Only what JSON gives back as it was (no tuples, subclasses, non-string keys, NaN)."""
    t = type(v)
    if t is dict:
        return all(type(k) is str and _plain(x) for k, x in v.items())
    if t is list:
        return all(_plain(x) for x in v)
    if t is float:
        return math.isfinite(v)
    return t is str or t is int or t is bool or v is None


class Slim:
    """An index entry: a :class:`Res` whose kept config is held as its JSON bytes and decoded
    on each read. Parsed, a config is a tree of small dicts, lists and strings several times
    its JSON size, allocated between the first pass's transient documents (which then
    fragments the heap); the index holds one entry per identity of the estate for the whole
    check, so at a million resources the parsed form cost hundreds of MB. Each read of a
    packed config returns a fresh dict (readers must not count on changing the entry)."""

    __slots__ = ("resource_key", "provider", "account", "region", "type", "native_id", "name", "_config",
                 "facets", "state", "category")
    tags: dict[str, Any] = _EMPTY

    def __init__(self, resource_key: str, provider: str, account: str, region: str, type: str, native_id: str,
                 name: str | None, config: bytes | dict[str, Any], facets: dict[str, Any], state: str, category: str) -> None:
        self.resource_key, self.provider, self.account, self.region = resource_key, provider, account, region
        self.type, self.native_id, self.name, self._config = type, native_id, name, config
        self.facets, self.state, self.category = facets, state, category

    @property
    def config(self) -> dict[str, Any]:
        c = self._config
        if type(c) is bytes:
            return orjson.loads(c) if c else {}
        return c  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"Slim({self.resource_key!r}, {self.type!r})"


@dataclass(slots=True)
class Index:
    estate: Estate
    by_key: dict[str, Slim] = field(default_factory=dict)
    aws_roles_by_arn: dict[str, Slim] = field(default_factory=dict)
    aws_roles_by_name: dict[tuple[str, str], Slim] = field(default_factory=dict)
    aws_policies_by_arn: dict[str, Slim] = field(default_factory=dict)
    aws_oidc_by_url: dict[tuple[str, str], Slim] = field(default_factory=dict)
    aws_saml_by_arn: dict[str, Slim] = field(default_factory=dict)
    gcp_sa_by_uid: dict[str, Slim] = field(default_factory=dict)
    gcp_sa_by_email: dict[str, Slim] = field(default_factory=dict)
    gcp_pools: dict[tuple[str, str], Slim] = field(default_factory=dict)  # (project id, pool id)
    gcp_project_alias: dict[str, str] = field(default_factory=dict)  # project number -> id
    azure_uami_by_principal: dict[str, Slim] = field(default_factory=dict)
    azure_role_defs: dict[str, Slim] = field(default_factory=dict)  # guid -> definition
    azure_assignments_by_principal: dict[str, list[Slim]] = field(default_factory=dict)
    azure_fics_by_identity: dict[str, list[Slim]] = field(default_factory=dict)  # lower-cased UAMI id
    # Facts derived from the above and asked for many times (e.g. a role's parsed policies, once per
    # bucket it might read): computed on first use, valid while the index no longer changes.
    derived: dict[tuple[str, str], Any] = field(default_factory=dict)

    def add(self, r: Res) -> None:
        self.estate.learn(r.provider, r.account, r.config)
        if r.type not in IDENTITY_TYPES:
            return
        c = r.config
        r = r.slim()
        self.by_key[r.resource_key] = r
        if r.type == "aws.iam.role":
            arn = str(c.get("Arn") or r.native_id)
            self.aws_roles_by_arn[arn] = r
            name = c.get("RoleName") or arn.rsplit("/", 1)[-1]
            self.aws_roles_by_name[(r.account, str(name))] = r
        elif r.type == "aws.iam.policy":
            self.aws_policies_by_arn[str(c.get("Arn") or r.native_id)] = r
        elif r.type == "aws.iam.oidc_provider":
            arn = str(c.get("Arn") or r.native_id)
            url = c.get("Url") or arn.split(":oidc-provider/", 1)[-1]
            self.aws_oidc_by_url[(r.account, normalise_url(str(url)))] = r
        elif r.type == "aws.iam.saml_provider":
            self.aws_saml_by_arn[str(c.get("Arn") or r.native_id)] = r
        elif r.type == "gcp.iam.service_account":
            if c.get("uniqueId"):
                self.gcp_sa_by_uid[str(c["uniqueId"])] = r
            if c.get("email"):
                self.gcp_sa_by_email[str(c["email"]).lower()] = r
        elif r.type in ("gcp.iam.workload_identity_pool", "gcp.iam.workload_identity_provider"):
            m = POOL_NAME.search(str(c.get("name") or r.native_id))
            if m:
                if m.group("project") != r.account:
                    self.gcp_project_alias[m.group("project")] = r.account
                if r.type == "gcp.iam.workload_identity_pool":
                    self.gcp_pools[(r.account, m.group("pool"))] = r
        elif r.type == "azure.identity.user_assigned":
            pid = (c.get("properties") or {}).get("principalId")
            if pid:
                self.azure_uami_by_principal[str(pid).lower()] = r
        elif r.type == "azure.authorization.role_assignment":
            pid = (c.get("properties") or {}).get("principalId")
            if pid:
                self.azure_assignments_by_principal.setdefault(str(pid).lower(), []).append(r)
        elif r.type == "azure.identity.federated_credential":
            parent = str(c.get("id") or r.native_id).lower().split("/federatedidentitycredentials/", 1)[0]
            self.azure_fics_by_identity.setdefault(parent, []).append(r)
        elif r.type == "azure.authorization.role_definition":
            guid = str(c.get("name") or r.native_id.rsplit("/", 1)[-1]).lower()
            self.azure_role_defs[guid] = r

    def of_type(self, *types: str) -> Iterable[Slim]:
        return (r for r in self.by_key.values() if r.type in types)

    def project_id(self, ref: str) -> str:
        """A project number or id as the project id the snapshot uses."""
        return self.gcp_project_alias.get(ref, ref)

    def pool_node(self, project_ref: str, pool: str) -> str:
        """Graph node of a workload identity pool (same node whether named by number or id)."""
        project = self.project_id(project_ref)
        if (project, pool) not in self.gcp_pools:
            candidates = [p for (proj, name) in self.gcp_pools if name == pool for p in [proj]]
            if len(candidates) == 1:
                project = candidates[0]
        return f"gcp.wif_pool|projects/{project}/locations/global/workloadIdentityPools/{pool}"
