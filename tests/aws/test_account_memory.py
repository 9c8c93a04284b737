"""Collection memory must not grow with the number of accounts: an account's session and
clients are released as soon as its units are done, and its role is assumed only once."""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from typing import Any

from collectors.aws import AwsClientFactory, classify, plan
from collectors.aws.clients import AccountTarget
from collectors.runner import ListSink, UnitResult, run_units

from aws_testlib import SECOND, aws_config


class TrackingFactory(AwsClientFactory):
    """Keeps weak references to every assumed-role session and client it hands out."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.refs: dict[str, list[weakref.ref]] = {}

    def _assumed_session(self, target: AccountTarget) -> Any:
        session = super()._assumed_session(target)
        self.refs.setdefault(target.label, []).append(weakref.ref(session))
        return session

    def client(self, service: str, region: str, target: AccountTarget, counter: Any | None = None) -> Any:
        client = super().client(service, region, target, counter)
        self.refs.setdefault(target.label, []).append(weakref.ref(client))
        return client


class WatchingSink(ListSink):
    """When the second account's last unit is recorded, notes whether its session is still held."""

    def __init__(self, factory: TrackingFactory, expected: int) -> None:
        super().__init__()
        self.factory, self.expected, self.seen = factory, expected, 0
        self.held_after_last_unit: bool | None = None

    def record_unit(self, result: UnitResult) -> None:
        super().record_unit(result)
        if result.unit.account == SECOND:
            self.seen += 1
            if self.seen == self.expected:
                self.held_after_last_unit = any(t.account_id == SECOND for t in self.factory._sessions)


def test_finished_accounts_release_sessions_and_clients(moto_url: str, estate: Any) -> None:
    cfg = aws_config(moto_url)
    calls: Counter[tuple[str, str]] = Counter()
    factory = TrackingFactory(cfg, max_attempts=1, observers=(lambda s, op: calls.update([(s, op)]),))
    tasks = plan(cfg, clients=factory)
    second_units = sum(1 for t in tasks if t.unit.account == SECOND)
    assert second_units and factory.open_sessions() == 0  # planning's sessions are not kept

    sink = WatchingSink(factory, second_units)
    summary = run_units(tasks, sink, classifiers={"aws": classify}, concurrency=4)

    assert summary.by_status.get("error", 0) == 0, [u.error for u in summary.units if u.error]
    assert any(r.account == SECOND for r in sink.resources)
    assert sink.held_after_last_unit is False
    assert factory.open_sessions() == 0
    gc.collect()
    second = factory.refs[SECOND]
    assert len(second) > 2
    assert [r for r in second if r() is not None] == []
    # Released sessions are rebuilt from the cached credentials: the role is assumed once.
    assert calls[("sts", "AssumeRole")] == 1
