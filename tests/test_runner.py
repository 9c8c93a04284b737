"""The shared collection runner: statuses, batching, retries, and no hang on a failing sink."""

from __future__ import annotations

import threading

import pytest

from auditor.model import UnitStatus, make_resource
from collectors.runner import ListSink, Unit, UnitSkipped, UnitTask, iter_pages, retry_call, run_units


def res(i: int):
    return make_resource(provider="aws", account="1", region="us-east-1", category="storage", type="t",
                         native_id=str(i), name=None, config={"i": i})


def many(n: int):
    def collect(ctx):
        for i in range(n):
            ctx.calls.add()
            yield res(i)
    return collect


def test_statuses_counts_and_one_failure_does_not_stop_others():
    def boom(ctx):
        yield res(-1)
        raise RuntimeError("api exploded")

    def skipped(ctx):
        raise UnitSkipped("API disabled in project p")
        yield  # pragma: no cover

    sink = ListSink()
    tasks = [UnitTask(Unit("aws", "1", "r1", "t"), many(1200)), UnitTask(Unit("aws", "1", "r2", "t"), boom),
             UnitTask(Unit("aws", "1", "r3", "t"), many(0)), UnitTask(Unit("aws", "1", "r4", "t"), skipped)]
    summary = run_units(tasks, sink, concurrency=3, batch_size=100)
    by = {u.unit.region: u for u in sink.units}
    assert by["r1"].status is UnitStatus.OK and by["r1"].resource_count == 1200 and by["r1"].api_calls == 1200
    assert by["r2"].status is UnitStatus.ERROR and "api exploded" in by["r2"].error
    assert by["r3"].status is UnitStatus.EMPTY
    assert by["r4"].status is UnitStatus.SKIPPED and "disabled" in by["r4"].error
    assert len(sink.resources) == 1201 and not summary.complete


def test_failing_sink_raises_instead_of_hanging():
    class Broken(ListSink):
        def write(self, resources, unit=None):
            raise OSError("disk full")

    tasks = [UnitTask(Unit("aws", "1", f"r{i}", "t"), many(5000)) for i in range(8)]
    result: dict = {}

    def run():
        try:
            run_units(tasks, Broken(), concurrency=4, batch_size=10, queue_batches=2)
        except OSError as exc:
            result["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout=30)
    assert not t.is_alive(), "run_units hung after the sink failed"
    assert isinstance(result.get("error"), OSError)


def test_retry_call_backs_off_on_throttling_then_gives_up():
    sleeps: list[float] = []
    calls = {"n": 0}

    def throttled():
        calls["n"] += 1
        raise RuntimeError("Throttling")

    with pytest.raises(RuntimeError):
        retry_call(throttled, is_throttle=lambda e: "Throttling" in str(e), max_attempts=4, sleep=sleeps.append)
    assert calls["n"] == 4 and len(sleeps) == 3
    assert retry_call(lambda: 7, is_throttle=lambda e: True) == 7
    hinted: list[float] = []
    with pytest.raises(RuntimeError):
        retry_call(throttled, is_throttle=lambda e: True, max_attempts=2, retry_after=lambda e: 1.5, sleep=hinted.append)
    assert hinted == [1.5]


def test_iter_pages_follows_tokens_and_detects_loops():
    pages = {None: ([1, 2], "a"), "a": ([3], "b"), "b": ([4], None)}
    assert list(iter_pages(lambda tok: pages[tok])) == [1, 2, 3, 4]
    loop = {None: ([1], "a"), "a": ([2], "a")}
    with pytest.raises(RuntimeError, match="pagination loop"):
        list(iter_pages(lambda tok: loop[tok]))
