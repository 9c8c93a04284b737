"""Scope resolution (projects, folders, organisation) and the unit plan.

Projects come from the config list and/or from a walk of the Resource Manager hierarchy
under the configured organisation and folders (ACTIVE projects and folders only). A failed
walk never raises out of ``plan()``: it becomes a unit whose collect re-raises the error, so
the snapshot records it (and is partial) instead of silently auditing fewer projects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from collectors.gcp.collect import GcpJob
from collectors.gcp.errors import is_throttle
from collectors.runner import Unit, UnitContext, UnitTask, iter_pages, retry_call
from collectors.spec import ResourceSpec, select_specs

if TYPE_CHECKING:
    from auditor.config.schema import GcpConfig
    from collectors.gcp.clients import GcpClients

HIERARCHY_TYPES = {"gcp.iam.folder_policy": "folders/", "gcp.iam.organization_policy": "organizations/",
                   "gcp.essentialcontacts.organization": "organizations/", "gcp.logging.folder_sink": "folders/",
                   "gcp.logging.organization_sink": "organizations/"}
DISCOVERY_TYPE = "gcp.resourcemanager.projects"


@dataclass
class Scope:
    projects: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    organization: str | None = None
    failures: list[tuple[str, BaseException]] = field(default_factory=list)  # (parent, error)
    parents: dict[str, str] = field(default_factory=dict)  # project id or folders/N -> its parent

    def add_project(self, project_id: str) -> None:
        if project_id not in self.projects:
            self.projects.append(project_id)

    def ancestors(self, project_id: str) -> tuple[str, ...] | None:
        """Folders and organisation above a project the walk reached, nearest first; None if not walked."""
        if project_id not in self.parents:
            return None
        chain: list[str] = []
        node = self.parents[project_id]
        while node and node not in chain:
            chain.append(node)
            node = self.parents.get(node, "")
        return tuple(chain)


def _norm(name: str, prefix: str) -> str:
    return name if name.startswith(prefix) else f"{prefix}{name}"


def _pages(clients: "GcpClients", list_fn: Callable[[dict[str, Any]], Any], request: dict[str, Any],
           field_name: str) -> Iterable[Any]:
    def fetch(token: str | None) -> tuple[list[Any], str | None]:
        req = {**request, **({"page_token": token} if token else {})}
        page = retry_call(lambda: next(iter(list_fn(req).pages)), is_throttle=is_throttle,
                          max_attempts=clients.max_attempts, base=clients.retry_base)
        return list(getattr(page, field_name)), page.next_page_token or None

    return iter_pages(fetch)


def _walk(clients: "GcpClients", parent: str, scope: Scope, seen: set[str]) -> None:
    """Every ACTIVE project and folder below ``parent`` (depth-first; folders nest up to 10 deep)."""
    if parent in seen:
        return
    seen.add(parent)
    projects = clients.resourcemanager("Projects")
    folders = clients.resourcemanager("Folders")
    for p in _pages(clients, lambda r: projects.list_projects(request=r), {"parent": parent}, "projects"):
        if p.state.name == "ACTIVE":
            scope.add_project(p.project_id)
            scope.parents[p.project_id] = parent
    for f in _pages(clients, lambda r: folders.list_folders(request=r), {"parent": parent}, "folders"):
        if f.state.name == "ACTIVE":
            if f.name not in scope.folders:
                scope.folders.append(f.name)
            scope.parents[f.name] = parent
            _walk(clients, f.name, scope, seen)


def resolve_scope(cfg: "GcpConfig", clients: "GcpClients") -> Scope:
    scope = Scope(organization=_norm(cfg.organization, "organizations/") if cfg.organization else None)
    for p in cfg.projects:
        scope.add_project(p)
    roots = ([scope.organization] if scope.organization else []) + [_norm(f, "folders/") for f in cfg.folders]
    for f in roots:
        if f.startswith("folders/") and f not in scope.folders:
            scope.folders.append(f)
    seen: set[str] = set()
    for root in roots:
        try:
            _walk(clients, root, scope, seen)
        except Exception as exc:  # noqa: BLE001 - becomes a failing unit, see plan()
            scope.failures.append((root, exc))
    if not cfg.projects and not roots:
        try:
            default = clients.default_project()
        except Exception as exc:  # noqa: BLE001
            scope.failures.append(("default-project", exc))
        else:
            if default:
                scope.add_project(default)
            else:
                scope.failures.append(("default-project", LookupError(
                    "no projects configured and Application Default Credentials name no project")))
    return scope


def _task(unit: Unit, spec: ResourceSpec, clients: "GcpClients", scope: str,
          regions: tuple[str, ...] | None, ancestors: tuple[str, ...] | None = None) -> UnitTask:
    def run(ctx: UnitContext) -> Iterable[Any]:
        try:
            assert spec.collect is not None
            yield from spec.collect(GcpJob(ctx, clients, spec, scope, regions, ancestors))
        except Exception as exc:
            exc.gcp_scope = scope  # type: ignore[attr-defined]  # lets classify() name the project
            raise

    return UnitTask(unit, run)


def _failed(unit: Unit, exc: BaseException) -> UnitTask:
    def run(ctx: UnitContext) -> Iterable[Any]:
        try:
            exc.gcp_scope = unit.account  # type: ignore[attr-defined]
        except AttributeError:
            pass  # some built-in exceptions refuse attributes; the message still names the error
        raise exc
        yield  # pragma: no cover - makes this a generator like every other collect

    return UnitTask(unit, run)


def build_plan(cfg: "GcpConfig", clients: "GcpClients", specs: Iterable[ResourceSpec]) -> list[UnitTask]:
    selected = select_specs(specs, cfg.resource_types, cfg.exclude_resource_types)
    regions = None if cfg.regions == "all" else tuple(r.lower() for r in cfg.regions)
    region_label = "*" if regions is None else ",".join(regions)
    try:
        scope = resolve_scope(cfg, clients)
    except Exception as exc:  # noqa: BLE001 - plan() never raises
        return [_failed(Unit("gcp", "-", "global", DISCOVERY_TYPE), exc)]
    tasks = [_failed(Unit("gcp", parent, "global", DISCOVERY_TYPE), exc) for parent, exc in scope.failures]
    for spec in selected:
        if spec.type in HIERARCHY_TYPES:
            prefix = HIERARCHY_TYPES[spec.type]
            targets = [scope.organization] if prefix == "organizations/" and scope.organization else \
                [f for f in scope.folders] if prefix == "folders/" else []
            for t in targets:
                tasks.append(_task(Unit("gcp", t, "global", spec.type), spec, clients, t, None))
            continue
        label = region_label if spec.scope in ("zonal", "regional") else "global"
        for project in scope.projects:
            tasks.append(_task(Unit("gcp", project, label, spec.type), spec, clients, project, regions,
                               scope.ancestors(project)))
    return tasks
