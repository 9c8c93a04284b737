"""One collection run: plan every configured cloud, stream into a new snapshot."""

from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Engine

from auditor.config import AuditorConfig
from auditor.model import UnitStatus
from auditor.store.ingest import SnapshotWriter

log = logging.getLogger(__name__)
PROVIDERS = ("aws", "gcp", "azure")


@dataclass
class CollectResult:
    snapshot_id: int
    status: str
    summary: Any  # collectors.runner.RunSummary
    stats: Any  # auditor.store.ingest.IngestStats
    error: str | None = None  # why the snapshot failed, when it did

    @property
    def coverage(self):  # type: ignore[no-untyped-def]
        from auditor.coverage import Coverage

        return Coverage.of_results(self.summary.units)


def _collector(provider: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"collectors.{provider}")


def plan_all(config: AuditorConfig, providers: tuple[str, ...] | None = None,
             clients: dict[str, Any] | None = None) -> tuple[list, dict[str, Callable]]:
    """UnitTasks for every enabled cloud in the config, and each cloud's error classifier."""
    from collectors.runner import Unit, UnitTask

    tasks, classifiers = [], {}
    for name in providers or PROVIDERS:
        section = getattr(config, name, None)
        if section is None or not section.enabled:
            continue
        mod = _collector(name)
        classifiers[name] = mod.classify
        try:
            kwargs = {"clients": clients[name]} if clients and name in clients else {}
            if "collection" in inspect.signature(mod.plan).parameters:
                kwargs["collection"] = config.collection
            tasks.extend(_bounded(lambda: mod.plan(section, **kwargs), config.collection.unit_deadline_s,
                                  f"planning {name}"))
        except Exception as exc:  # noqa: BLE001 - a planning failure is recorded, not fatal
            msg = f"{type(exc).__name__}: {exc}"
            log.warning("planning %s failed: %s", name, msg)

            def fail(_ctx, _exc=exc):  # type: ignore[no-untyped-def]
                raise _exc

            tasks.append(UnitTask(Unit(name, "*", "*", f"{name}.scope"), fail))
    return tasks, classifiers


class PlanningTimeout(TimeoutError):
    """Discovery (accounts, regions, subscriptions) did not finish within the unit deadline."""


def _bounded(fn: Callable[[], list], deadline_s: float, what: str) -> list:
    """Run ``fn`` on a daemon thread; give up after ``deadline_s`` (planning calls the network
    too: listing accounts, regions, subscriptions), so a hung endpoint cannot stall the run."""
    import threading

    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    t = threading.Thread(target=run, name=what, daemon=True)
    t.start()
    t.join(deadline_s)
    if t.is_alive():
        raise PlanningTimeout(f"{what} did not finish within {deadline_s:g}s (collection.unit_deadline_s)")
    if "error" in box:
        raise box["error"]
    return box["value"]


def run_collection(
    config: AuditorConfig, engine: Engine, *, providers: tuple[str, ...] | None = None,
    progress: Any = None, note: str | None = None, clients: dict[str, Any] | None = None,
) -> CollectResult:
    if config.distributed.broker_url:  # a broker switches collection to `auditor worker` processes
        from auditor.distributed.coordinator import run_distributed

        return run_distributed(config, engine, providers=providers, progress=progress, note=note, clients=clients)
    from collectors.runner import run_units

    import time

    from auditor.store.integrity import require_intact

    require_intact(engine)  # SQLite: a damaged page stops a write run before it writes
    started = time.monotonic()  # the run deadline covers planning (which calls the network too)
    tasks, classifiers = plan_all(config, providers, clients)
    remaining = max(0.001, config.collection.run_deadline_s - (time.monotonic() - started))
    with SnapshotWriter(engine, note=note) as writer:
        summary = run_units(
            tasks, writer, concurrency=config.collection.concurrency, batch_size=config.collection.batch_size,
            classifiers=classifiers, progress=progress,
            unit_deadline_s=config.collection.unit_deadline_s, run_deadline_s=remaining,
        )
        status = writer.finish()
    return CollectResult(writer.snapshot_id, status, summary, writer.stats, writer.error)


def incomplete(summary: Any) -> list[Any]:
    return [u for u in summary.units if not u.status.completed and u.status is not UnitStatus.SKIPPED]
