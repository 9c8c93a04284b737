"""Collect functions: one per resource type, each ``get -> transform -> envelope``.

Every list call is paged by hand through ``iter_pages`` (a repeated token is an error, never
a silent stop) and every page goes through ``retry_call`` so throttling backs off and, if it
persists, ends the unit ``throttled``. Compute aggregated lists
turn ``unreachables`` and non-informational scope warnings into a :class:`PartialCollection`
raised *after* the resources that did come back have been yielded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, TypeVar

from auditor.model import Resource, make_resource
from collectors.gcp import cis
from collectors.gcp import normalise as n
from collectors.gcp.errors import PartialCollection, is_throttle
from collectors.runner import UnitContext, iter_pages, retry_call

if TYPE_CHECKING:
    from collectors.gcp.clients import GcpClients
    from collectors.spec import ResourceSpec

T = TypeVar("T")
# Scope warnings that only say "nothing here": anything else means the scope is incomplete.
BENIGN_WARNINGS = frozenset({"NO_RESULTS_ON_PAGE"})
PAGE_SIZE = 500


@dataclass
class GcpJob:
    """What a GCP collect function receives: its unit context, clients and scope."""

    ctx: UnitContext
    clients: "GcpClients"
    spec: "ResourceSpec"
    scope: str  # project id, or "folders/N" / "organizations/N" for hierarchy policies
    regions: tuple[str, ...] | None = None  # None = every region
    # the project's folders and organisation, nearest first, when discovery walked to it (else None)
    ancestors: tuple[str, ...] | None = None

    def call(self, fn: Callable[[], T]) -> T:
        self.ctx.calls.add()
        return retry_call(fn, is_throttle=is_throttle, max_attempts=self.clients.max_attempts,
                          base=self.clients.retry_base)

    def in_regions(self, zone_or_region: str | None) -> bool:
        if not self.regions or not zone_or_region:
            return True
        name = zone_or_region.lower()
        return any(name == r or name.startswith(r + "-") for r in self.regions)

    def resource(self, *, native_id: str, name: str | None, region: str | None, config: dict[str, Any],
                 facets: dict[str, Any], tags: dict[str, Any] | None = None) -> Resource:
        return make_resource(provider="gcp", account=self.scope, region=(region or "global").lower(),
                             category=self.spec.category, type=self.spec.type, native_id=native_id, name=name,
                             config=config, tags=tags, facets=facets, rules=self.spec.hash_rules)


def _to_json(msg: Any) -> dict[str, Any]:
    """A proto-plus message as REST JSON (camelCase, enums as names, unset fields omitted)."""
    return type(msg).to_dict(msg, use_integers_for_enums=False, preserving_proto_field_name=False,
                             always_print_fields_with_no_presence=False)


def _compute_url(self_link: str) -> str:
    """Full resource name (//compute.googleapis.com/projects/...) from a selfLink."""
    return n.compute_resource_name(self_link)


# ------------------------------------------------------------------ compute


def _aggregated(job: GcpJob, kind: str, attr: str) -> Iterator[dict[str, Any]]:
    client = job.clients.compute(kind)
    problems: list[str] = []

    def fetch(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        # google-cloud-compute has no returnPartialSuccess field: a failing scope then comes back
        # as a scope warning (UNREACHABLE); ``unreachables`` is still read should the server send it.
        req = {"project": job.scope, "max_results": PAGE_SIZE, **({"page_token": token} if token else {})}
        page = job.call(lambda: next(iter(client.aggregated_list(request=req).pages)))
        items: list[dict[str, Any]] = []
        for scope, scoped in page.items.items():
            data = _to_json(scoped)
            warning = data.get("warning")
            if warning and warning.get("code") not in BENIGN_WARNINGS:
                problems.append(f"{scope}: {warning.get('code')} {warning.get('message', '')}".strip())
            if scope == "global" or job.in_regions(scope.split("/", 1)[-1]):  # global resources: always
                items.extend(data.get(attr, []))
        problems.extend(f"{u} unreachable" for u in page.unreachables)
        top = _to_json(page).get("warning")
        if top and top.get("code") not in BENIGN_WARNINGS:
            problems.append(f"{top.get('code')} {top.get('message', '')}".strip())
        return items, page.next_page_token or None

    yield from iter_pages(fetch)
    if problems:
        raise PartialCollection(sorted(set(problems)))


def _global_list(job: GcpJob, kind: str) -> Iterator[dict[str, Any]]:
    client = job.clients.compute(kind)

    def fetch(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        req = {"project": job.scope, "max_results": PAGE_SIZE, **({"page_token": token} if token else {})}
        page = job.call(lambda: next(iter(client.list(request=req).pages)))
        return [_to_json(i) for i in page.items], page.next_page_token or None

    return iter_pages(fetch)


def collect_instances(job: GcpJob) -> Iterable[Resource]:
    project = _to_json(job.call(lambda: job.clients.compute("Projects").get(project=job.scope)))
    project_flags = n.metadata_flags((project.get("commonInstanceMetadata") or {}).get("items"))
    for inst in _aggregated(job, "Instances", "instances"):
        zone = n.last(inst.get("zone"))
        yield job.resource(native_id=_compute_url(inst["selfLink"]), name=inst.get("name"), region=zone,
                           config=n.instance_config(inst), facets=n.instance_facets(inst, project_flags),
                           tags=inst.get("labels"))


def collect_disks(job: GcpJob) -> Iterable[Resource]:
    for d in _aggregated(job, "Disks", "disks"):
        where = n.last(d.get("zone")) or n.last(d.get("region"))
        yield job.resource(native_id=_compute_url(d["selfLink"]), name=d.get("name"), region=where, config=d,
                           facets=n.disk_facets(d), tags=d.get("labels"))


def collect_subnetworks(job: GcpJob) -> Iterable[Resource]:
    for s in _aggregated(job, "Subnetworks", "subnetworks"):
        yield job.resource(native_id=_compute_url(s["selfLink"]), name=s.get("name"), region=n.last(s.get("region")),
                           config=s, facets=n.subnetwork_facets(s))


def collect_networks(job: GcpJob) -> Iterable[Resource]:
    dns_logging = cis.dns_logging_by_network(job)
    for net in _global_list(job, "Networks"):
        yield job.resource(native_id=_compute_url(net["selfLink"]), name=net.get("name"), region="global",
                           config=net, facets={"ingress": [], "egress": [], **cis.network_cis_facets(net, dns_logging)})


def collect_firewalls(job: GcpJob) -> Iterable[Resource]:
    for f in _global_list(job, "Firewalls"):
        yield job.resource(native_id=_compute_url(f["selfLink"]), name=f.get("name"), region="global", config=f,
                           facets=n.firewall_facets(f))


def collect_routes(job: GcpJob) -> Iterable[Resource]:
    for r in _global_list(job, "Routes"):
        yield job.resource(native_id=_compute_url(r["selfLink"]), name=r.get("name"), region="global", config=r,
                           facets={})


# ------------------------------------------------------------------ storage


def collect_buckets(job: GcpJob) -> Iterable[Resource]:
    client = job.clients.storage(job.scope)

    def fetch(token: str | None) -> tuple[list[Any], str | None]:
        def one_page() -> tuple[list[Any], str | None]:
            it = client.list_buckets(project=job.scope, page_token=token, retry=None)
            items = list(next(it.pages))
            return items, it.next_page_token

        return job.call(one_page)

    for b in iter_pages(fetch):
        # google-cloud-storage keeps the REST JSON it received in ``_properties``: store exactly that
        data = dict(b._properties)  # noqa: SLF001 - the only access to the raw resource
        pol = job.call(lambda: b.get_iam_policy(requested_policy_version=3, retry=None)).to_api_repr()
        config = {**data, "iamPolicy": pol}
        yield job.resource(native_id=f"//storage.googleapis.com/projects/_/buckets/{data['name']}",
                           name=data["name"], region=data.get("location"), config=config,
                           facets=n.bucket_facets(data, pol), tags=data.get("labels"))


# ------------------------------------------------------------------ resource manager IAM policies


def collect_hierarchy_policy(job: GcpJob) -> Iterable[Resource]:
    from google.protobuf.json_format import MessageToDict

    kind = {"gcp.iam.project_policy": "Projects", "gcp.iam.folder_policy": "Folders",
            "gcp.iam.organization_policy": "Organizations"}[job.spec.type]
    resource = job.scope if "/" in job.scope else f"projects/{job.scope}"
    client = job.clients.resourcemanager(kind)
    req = {"resource": resource, "options": {"requested_policy_version": 3}}
    pol = MessageToDict(job.call(lambda: client.get_iam_policy(request=req)))
    facets = cis.policy_audit_facets(pol)
    if job.spec.type == "gcp.iam.project_policy":
        facets.update(cis.project_policy_facets(pol))
        facets["ancestors"] = list(job.ancestors) if job.ancestors is not None else None
    yield job.resource(native_id=f"//cloudresourcemanager.googleapis.com/{resource}", name=resource,
                       region="global", config=pol, facets=facets)


# ------------------------------------------------------------------ IAM (discovery client)


def _iam_pages(job: GcpJob, make: Callable[[str | None], Any], field: str) -> Iterator[dict[str, Any]]:
    def fetch(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        resp = job.call(lambda: make(token).execute())
        return resp.get(field, []), resp.get("nextPageToken")

    return iter_pages(fetch)


def _service_accounts(job: GcpJob) -> Iterator[dict[str, Any]]:
    accounts = job.clients.iam().projects().serviceAccounts()
    return _iam_pages(job, lambda t: accounts.list(name=f"projects/{job.scope}", pageSize=100, pageToken=t),
                      "accounts")


def _project_policy(job: GcpJob) -> dict[str, Any] | None:
    """The project's IAM policy (for service account admin facts); None when it cannot be read."""
    from google.api_core import exceptions as gexc
    from google.protobuf.json_format import MessageToDict

    client = job.clients.resourcemanager("Projects")
    req = {"resource": f"projects/{job.scope}", "options": {"requested_policy_version": 3}}
    try:
        return MessageToDict(job.call(lambda: client.get_iam_policy(request=req)))
    except gexc.GoogleAPICallError as exc:
        job.ctx.note(f"project IAM policy unreadable ({exc.__class__.__name__}): service account admin unknown")
        return None


def collect_service_accounts(job: GcpJob) -> Iterable[Resource]:
    from auditor.identity.extract_gcp import admin_service_accounts

    accounts = job.clients.iam().projects().serviceAccounts()
    project_policy = _project_policy(job)
    admins = admin_service_accounts(project_policy) if project_policy is not None else None
    admin_roles = cis.sa_admin_roles(project_policy) if project_policy is not None else None
    for sa in _service_accounts(job):
        pol = job.call(lambda: accounts.getIamPolicy(
            resource=sa["name"], options_requestedPolicyVersion=3).execute())
        config = {**sa, "iamPolicy": pol}
        email = str(sa.get("email") or "").lower()
        known = admins is not None and admin_roles is not None
        facets = {"admin": (email in admins) if admins is not None else None,
                  "admin_roles": admin_roles.get(email, []) if admin_roles is not None else None}
        if not known:
            facets["admin_roles"] = None
        yield job.resource(native_id=f"//iam.googleapis.com/{sa['name']}", name=sa.get("email"), region="global",
                           config=config, facets=facets)


def collect_service_account_keys(job: GcpJob) -> Iterable[Resource]:
    keys_api = job.clients.iam().projects().serviceAccounts().keys()
    for sa in _service_accounts(job):
        resp = job.call(lambda: keys_api.list(name=sa["name"], keyTypes="USER_MANAGED").execute())
        for k in resp.get("keys", []):
            if k.get("keyType") != "USER_MANAGED":
                continue
            facets = {"key_created": k.get("validAfterTime"), "user_managed": True}
            yield job.resource(native_id=f"//iam.googleapis.com/{k['name']}", name=n.last(k["name"]),
                               region="global", config=n.key_config(k), facets=facets)


def _pools(job: GcpJob) -> Iterator[dict[str, Any]]:
    pools = job.clients.iam().projects().locations().workloadIdentityPools()
    return _iam_pages(job, lambda t: pools.list(parent=f"projects/{job.scope}/locations/global", showDeleted=True,
                                                pageSize=100, pageToken=t), "workloadIdentityPools")


def collect_pools(job: GcpJob) -> Iterable[Resource]:
    for p in _pools(job):
        yield job.resource(native_id=f"//iam.googleapis.com/{p['name']}", name=n.last(p["name"]), region="global",
                           config=p, facets={})


def collect_providers(job: GcpJob) -> Iterable[Resource]:
    providers = job.clients.iam().projects().locations().workloadIdentityPools().providers()
    for p in _pools(job):
        for pr in _iam_pages(job, lambda t, parent=p["name"]: providers.list(
                parent=parent, showDeleted=True, pageSize=100, pageToken=t), "workloadIdentityPoolProviders"):
            yield job.resource(native_id=f"//iam.googleapis.com/{pr['name']}", name=n.last(pr["name"]),
                               region="global", config=pr, facets={})
