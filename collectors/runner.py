"""The generic collection runner shared by AWS, GCP and Azure.

Units of work (provider x account x region x resource type) run on a bounded thread
pool; each worker streams pages of resources through a bounded queue to the single
thread that writes to the store, so memory stays flat whatever the estate's size.
A unit that fails gets a status and its error text; it never stops the others.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, Protocol, TypeVar

from auditor.model import Resource, UnitStatus

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Unit:
    provider: str
    account: str
    region: str
    resource_type: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.account}/{self.region}/{self.resource_type}"


class CallCounter:
    """Thread-safe count of API calls made by one unit (fed by SDK event hooks)."""

    def __init__(self) -> None:
        self._n = 0
        self._lock = threading.Lock()

    def add(self, n: int = 1) -> None:
        with self._lock:
            self._n += n

    @property
    def value(self) -> int:
        return self._n


@dataclass
class UnitContext:
    """What a unit's collect function receives: its unit, a call counter and a skip hook."""

    unit: Unit
    calls: CallCounter = field(default_factory=CallCounter)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A non-fatal warning (e.g. one malformed policy) kept in the unit's error text."""
        self.notes.append(text)


class UnitSkipped(Exception):
    """Raised by a collect function when the unit does not apply (API disabled, region off)."""


@dataclass(frozen=True)
class UnitTask:
    unit: Unit
    collect: Callable[[UnitContext], Iterable[Resource]]


@dataclass
class UnitResult:
    unit: Unit
    status: UnitStatus
    error: str | None
    resource_count: int
    api_calls: int
    started_at: datetime
    duration_s: float


class Classifier(Protocol):
    def __call__(self, exc: BaseException) -> tuple[UnitStatus, str]: ...


class Sink(Protocol):
    """Where resources go: the inventory's snapshot writer, or a list in tests."""

    def write(self, resources: list[Resource], unit: Unit) -> None: ...

    def record_unit(self, result: UnitResult) -> None: ...


def default_classifier(exc: BaseException) -> tuple[UnitStatus, str]:
    if isinstance(exc, UnitSkipped):
        return UnitStatus.SKIPPED, str(exc)
    return UnitStatus.ERROR, f"{type(exc).__name__}: {exc}"


def retry_call(
    fn: Callable[[], T],
    *,
    is_throttle: Callable[[BaseException], bool],
    max_attempts: int = 6,
    base: float = 0.25,
    cap: float = 20.0,
    retry_after: Callable[[BaseException], float | None] = lambda e: None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn``, retrying throttling errors with exponential backoff and full jitter.

    A server's Retry-After wins over the computed delay; the last error propagates so
    the unit ends ``throttled`` rather than looking empty.
    """
    attempt = 0
    while True:
        try:
            return fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised unless it is throttling
            attempt += 1
            if attempt >= max_attempts or not is_throttle(exc):
                raise
            hinted = retry_after(exc)
            delay = hinted if hinted is not None else random.uniform(0, min(cap, base * 2**attempt))
            sleep(min(delay, cap))


@dataclass
class RunSummary:
    units: list[UnitResult] = field(default_factory=list)
    resources_by_type: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0

    @property
    def by_status(self) -> Counter[str]:
        return Counter(u.status.value for u in self.units)

    @property
    def api_calls(self) -> int:
        return sum(u.api_calls for u in self.units)

    @property
    def complete(self) -> bool:
        return all(u.status.completed or u.status is UnitStatus.SKIPPED for u in self.units)

    def as_dict(self) -> dict:
        return {
            "units": dict(sorted(self.by_status.items())),
            "resources_by_type": dict(sorted(self.resources_by_type.items())),
            "resources": sum(self.resources_by_type.values()),
            "api_calls": self.api_calls,
            "wall_s": round(self.wall_s, 3),
        }


_DONE = object()


class _Stopped(Exception):
    """The consumer gave up (its sink failed): workers stop producing."""


class _Progress(Protocol):
    def start(self, total: int) -> None: ...
    def advance(self, result: UnitResult) -> None: ...
    def stop(self) -> None: ...


class NullProgress:
    def start(self, total: int) -> None: ...
    def advance(self, result: UnitResult) -> None: ...
    def stop(self) -> None: ...


class RichProgress:
    """A progress bar on an interactive terminal; callers pick NullProgress in CI/--quiet."""

    def __init__(self, console=None) -> None:  # type: ignore[no-untyped-def]
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._p = Progress(
            TextColumn("[bold]collect"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.description}"), console=console, transient=True,
        )
        self._task = None

    def start(self, total: int) -> None:
        self._p.start()
        self._task = self._p.add_task("", total=total)

    def advance(self, result: UnitResult) -> None:
        self._p.update(self._task, advance=1, description=f"{result.unit} {result.status.value}")

    def stop(self) -> None:
        self._p.stop()


def run_units(
    tasks: Iterable[UnitTask],
    sink: Sink,
    *,
    concurrency: int = 8,
    batch_size: int = 500,
    classifier: Callable[[BaseException], tuple[UnitStatus, str]] | None = None,
    classifiers: dict[str, Callable[[BaseException], tuple[UnitStatus, str]]] | None = None,
    progress: _Progress | None = None,
    queue_batches: int = 16,
) -> RunSummary:
    """Run every unit, stream its resources to ``sink`` in batches, record each unit's status.

    ``classifiers`` maps provider -> error classifier (AWS codes, Google/Azure HTTP errors).
    The sink is only ever called from this thread.
    """
    task_list = list(tasks)
    progress = progress or NullProgress()
    summary = RunSummary()
    q: queue.Queue = queue.Queue(maxsize=max(2, queue_batches))
    stop = threading.Event()  # set when the consumer fails: producers must not block forever
    started = time.perf_counter()

    def put(item: tuple) -> None:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped()

    def classify(unit: Unit, exc: BaseException) -> tuple[UnitStatus, str]:
        if isinstance(exc, UnitSkipped):
            return UnitStatus.SKIPPED, str(exc) or "skipped"
        fn = (classifiers or {}).get(unit.provider) or classifier or default_classifier
        return fn(exc)

    def work(task: UnitTask) -> None:
        ctx = UnitContext(task.unit)
        t0, at = time.perf_counter(), datetime.now(timezone.utc)
        count, batch = 0, []
        status, error = UnitStatus.OK, None
        if stop.is_set():
            return
        try:
            for res in task.collect(ctx):
                batch.append(res)
                count += 1
                if len(batch) >= batch_size:
                    put(("batch", (task.unit, batch)))
                    batch = []
        except _Stopped:
            return
        except BaseException as exc:  # noqa: BLE001 - one unit never stops the others
            status, error = classify(task.unit, exc)
            if status is UnitStatus.ERROR:
                log.warning("unit %s failed: %s", task.unit, error, exc_info=log.isEnabledFor(logging.DEBUG))
        if status is UnitStatus.OK and count == 0:
            status = UnitStatus.EMPTY
        if ctx.notes:
            note = "; ".join(ctx.notes)
            error = f"{error}; {note}" if error else note
        try:
            if batch:
                put(("batch", (task.unit, batch)))
            put(("unit", UnitResult(task.unit, status, error, count, ctx.calls.value, at, time.perf_counter() - t0)))
        except _Stopped:
            return

    def produce() -> None:
        try:
            with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="collect") as pool:
                for f in [pool.submit(work, t) for t in task_list]:
                    f.result()
        finally:
            try:
                put((_DONE, None))
            except _Stopped:
                pass

    progress.start(len(task_list))
    producer = threading.Thread(target=produce, name="collect-producer", daemon=True)
    producer.start()
    try:
        while True:
            kind, payload = q.get()
            if kind is _DONE:
                break
            if kind == "batch":
                unit, batch = payload
                sink.write(batch, unit)
                for r in batch:
                    summary.resources_by_type[r.type] += 1
            else:
                sink.record_unit(payload)
                summary.units.append(payload)
                progress.advance(payload)
    finally:
        progress.stop()
        stop.set()  # no-op after a clean run; after a sink failure it releases blocked workers
        producer.join()
    summary.wall_s = time.perf_counter() - started
    return summary


class ListSink:
    """An in-memory sink for tests and small tools."""

    def __init__(self) -> None:
        self.resources: list[Resource] = []
        self.units: list[UnitResult] = []

    def write(self, resources: list[Resource], unit: Unit | None = None) -> None:
        self.resources.extend(resources)

    def record_unit(self, result: UnitResult) -> None:
        self.units.append(result)

    def by_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]


def iter_pages(fetch: Callable[[str | None], tuple[list[T], str | None]]) -> Iterator[T]:
    """Follow page tokens to the end; a repeated token is an error, never a silent stop."""
    token: str | None = None
    seen: set[str] = set()
    while True:
        items, token = fetch(token)
        yield from items
        if not token:
            return
        if token in seen:
            raise RuntimeError(f"pagination loop: token {token[:20]!r} returned twice")
        seen.add(token)
