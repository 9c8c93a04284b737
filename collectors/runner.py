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


class _Stopped(Exception):
    """The consumer gave up (sink failure, deadline, abandoned unit): the worker stops producing."""


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


TIMED_OUT = "timed out"


def timeout_cause(exc: BaseException) -> str | None:
    """The SDK's connect/read timeout in ``exc`` or its causes, as 'ReadTimeoutError', else None.

    Every SDK has its own timeout classes (botocore, requests, urllib3, httplib2's socket
    timeout, azure-core); they all end in 'Timeout...' or derive from TimeoutError.
    """
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, TimeoutError) or any("Timeout" in k.__name__ for k in type(cur).__mro__):
            return type(cur).__name__
        cur = cur.__cause__ or cur.__context__
    return None


@dataclass
class _Running:
    """A unit in flight: what the consumer needs to time it out without the worker's help."""

    ctx: UnitContext
    t0: float
    at: datetime
    abandoned: bool = False


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
    unit_deadline_s: float | None = None,
    run_deadline_s: float | None = None,
) -> RunSummary:
    """Run every unit, stream its resources to ``sink`` in batches, record each unit's status.

    ``classifiers`` maps provider -> error classifier (AWS codes, Google/Azure HTTP errors).
    The sink is only ever called from this (the calling) thread.

    Deadlines: a unit still running ``unit_deadline_s`` after it started, or any unit not done
    when ``run_deadline_s`` (from the call) has passed, is recorded ``error: timed out`` with the
    API calls it made so far, and the run goes on. Python cannot kill a thread, so the worker is
    abandoned (daemon thread; whatever it yields later is dropped) and ends at its SDK's own
    read timeout. A timed-out unit did not complete, so its resources stay ``unknown``.
    """
    task_list = list(tasks)
    progress = progress or NullProgress()
    summary = RunSummary()
    q: queue.Queue = queue.Queue(maxsize=max(2, queue_batches))
    stop = threading.Event()  # set when the consumer is done or failed: producers must not block forever
    started = time.monotonic()
    run_deadline = started + run_deadline_s if run_deadline_s else None
    guard = threading.Lock()
    pending = list(range(len(task_list)))[::-1]  # pop() from the end keeps plan order
    inflight: dict[int, _Running] = {}

    def put(item: tuple, run: _Running) -> None:
        while not stop.is_set() and not run.abandoned:
            try:
                q.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped()

    def classify(unit: Unit, exc: BaseException) -> tuple[UnitStatus, str]:
        if isinstance(exc, UnitSkipped):
            return UnitStatus.SKIPPED, str(exc) or "skipped"
        timeout = timeout_cause(exc)
        if timeout is not None:
            return UnitStatus.ERROR, f"{TIMED_OUT}: {timeout}"
        fn = (classifiers or {}).get(unit.provider) or classifier or default_classifier
        return fn(exc)

    def work(idx: int) -> None:
        task = task_list[idx]
        ctx = UnitContext(task.unit)
        run = _Running(ctx, time.monotonic(), datetime.now(timezone.utc))
        with guard:
            inflight[idx] = run
        count, batch = 0, []
        status, error = UnitStatus.OK, None
        try:
            for res in task.collect(ctx):
                batch.append(res)
                count += 1
                if len(batch) >= batch_size:
                    put(("batch", idx, batch), run)
                    batch = []
        except _Stopped:
            return
        except BaseException as exc:  # noqa: BLE001 - one unit never stops the others
            status, error = classify(task.unit, exc)
            if status is UnitStatus.ERROR and not run.abandoned and not stop.is_set():
                log.warning("unit %s failed: %s", task.unit, error, exc_info=log.isEnabledFor(logging.DEBUG))
        if run.abandoned:
            return
        if status is UnitStatus.OK and count == 0:
            status = UnitStatus.EMPTY
        if ctx.notes:
            note = "; ".join(ctx.notes)
            error = f"{error}; {note}" if error else note
        try:
            if batch:
                put(("batch", idx, batch), run)
            with guard:
                if run.abandoned:
                    return
                del inflight[idx]  # from here on the consumer will not time it out
            result = UnitResult(task.unit, status, error, count, ctx.calls.value, run.at, time.monotonic() - run.t0)
            put(("unit", idx, result), _Running(ctx, 0, run.at))
        except _Stopped:
            return

    def worker() -> None:
        while not stop.is_set():
            with guard:
                if not pending:
                    return
                idx = pending.pop()
            work(idx)

    recorded: set[int] = set()
    written: Counter[int] = Counter()

    def record(idx: int, result: UnitResult) -> None:
        recorded.add(idx)
        sink.record_unit(result)
        summary.units.append(result)
        progress.advance(result)

    def expire(now: float) -> None:
        """Record every unit past its deadline (and, past the run deadline, every unit left)."""
        late: list[tuple[int, _Running | None, str]] = []
        run_over = run_deadline is not None and now >= run_deadline
        with guard:
            for idx, run in list(inflight.items()):
                if run_over or (unit_deadline_s is not None and now - run.t0 >= unit_deadline_s):
                    run.abandoned = True
                    del inflight[idx]
                    why = (f"{TIMED_OUT}: run deadline reached" if run_over
                           else f"{TIMED_OUT} after {unit_deadline_s:g}s (unit deadline)")
                    late.append((idx, run, why))
            if run_over:
                while pending:
                    late.append((pending.pop(), None, f"{TIMED_OUT}: not started before the run deadline"))
        for idx, run, why in late:
            if run is not None and not run_over:
                spawn()  # the abandoned worker is stuck in its SDK: keep the pool at full strength
            if idx in recorded:
                continue
            unit = task_list[idx].unit
            log.warning("unit %s %s", unit, why)
            if run is None:
                result = UnitResult(unit, UnitStatus.ERROR, why, 0, 0, datetime.now(timezone.utc), 0.0)
            else:
                result = UnitResult(unit, UnitStatus.ERROR, why, written[idx], run.ctx.calls.value, run.at,
                                    now - run.t0)
            record(idx, result)

    workers: list[threading.Thread] = []

    def spawn() -> None:
        w = threading.Thread(target=worker, name=f"collect-{len(workers)}", daemon=True)
        workers.append(w)
        w.start()

    progress.start(len(task_list))
    for _ in range(max(1, min(concurrency, len(task_list)))):
        spawn()
    try:
        while len(recorded) < len(task_list):
            try:
                kind, idx, payload = q.get(timeout=0.1)
            except queue.Empty:
                kind = None
                tick = getattr(sink, "tick", None)
                if tick is not None:  # a sink that batches flushes what is due while units wait
                    tick()
            if kind == "batch" and idx not in recorded:
                sink.write(payload, task_list[idx].unit)
                written[idx] += len(payload)
                for r in payload:
                    summary.resources_by_type[r.type] += 1
            elif kind == "unit" and idx not in recorded:
                record(idx, payload)
            if unit_deadline_s is not None or run_deadline is not None:
                expire(time.monotonic())
    finally:
        progress.stop()
        stop.set()  # releases workers blocked on a full queue; idle ones exit; stuck ones are daemons
    summary.wall_s = time.monotonic() - started
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
