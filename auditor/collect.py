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
            tasks.extend(mod.plan(section, **kwargs))
        except Exception as exc:  # noqa: BLE001 - a planning failure is recorded, not fatal
            msg = f"{type(exc).__name__}: {exc}"
            log.warning("planning %s failed: %s", name, msg)

            def fail(_ctx, _exc=exc):  # type: ignore[no-untyped-def]
                raise _exc

            tasks.append(UnitTask(Unit(name, "*", "*", f"{name}.scope"), fail))
    return tasks, classifiers


def run_collection(
    config: AuditorConfig, engine: Engine, *, providers: tuple[str, ...] | None = None,
    progress: Any = None, note: str | None = None, clients: dict[str, Any] | None = None,
) -> CollectResult:
    from collectors.runner import run_units

    tasks, classifiers = plan_all(config, providers, clients)
    with SnapshotWriter(engine, note=note) as writer:
        summary = run_units(
            tasks, writer, concurrency=config.collection.concurrency, batch_size=config.collection.batch_size,
            classifiers=classifiers, progress=progress,
        )
        status = writer.finish()
    return CollectResult(writer.snapshot_id, status, summary, writer.stats)


def incomplete(summary: Any) -> list[Any]:
    return [u for u in summary.units if not u.status.completed and u.status is not UnitStatus.SKIPPED]
