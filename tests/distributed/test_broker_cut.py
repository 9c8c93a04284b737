"""The broker becomes unreachable mid-run (a TCP proxy we control between coordinator/workers
and RabbitMQ is cut, then restored): the run completes or fails clearly, and never deletes
what a unit did not report complete (nothing changed in the estate, so any close is wrong)."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

from tests.distributed.conftest import (
    collect, config_dict, free_port, open_versions, version_rows, wait_for, write_config,
)
from tests.distributed.test_faults import HANG, _fault_env


class CuttableProxy:
    """Forwards 127.0.0.1:port to the broker until cut (connections reset, new ones refused)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.port = target, free_port()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._server: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        srv.listen(64)
        self._server = srv
        threading.Thread(target=self._accept, args=(srv,), daemon=True).start()

    def _accept(self, srv: socket.socket) -> None:
        while True:
            try:
                client, _ = srv.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self.cut()


def test_broker_cut_mid_run_never_half_deletes(rabbit, moto_estate, reference, pg_url, workers, tmp_path):
    from tests.conftest import migrated_engine

    parts = urlsplit(rabbit)
    proxy = CuttableProxy((parts.hostname or "127.0.0.1", parts.port or 5672))
    via_proxy = rabbit.replace(f"{parts.hostname}:{parts.port or 5672}", f"127.0.0.1:{proxy.port}")
    dist = config_dict(pg_url, moto_estate, via_proxy, result_timeout_s=20)
    dist["collection"]["batch_size"] = 1
    with migrated_engine(pg_url):
        pass
    env, marker = _fault_env(tmp_path, AUDITOR_TEST_HANG_UNIT=HANG)
    marker.write_text("taken")  # the first, clean run must not hang
    w = workers(write_config(tmp_path / "auditor.yaml", dist))
    w.start(2, module="tests.distributed.fault_worker", extra_env=env)
    try:
        clean, _versions, _ = collect(dist)
        assert clean.status == "complete", (clean.error, w.logs())
        marker.unlink()  # the second run's first attempt at HANG hangs: the cut lands mid-unit

        def cutter() -> None:
            wait_for(lambda: marker.exists() and marker.read_text().strip() != "", 120, "the hanging unit")
            proxy.cut()
            time.sleep(3)
            proxy.restore()

        t = threading.Thread(target=cutter, daemon=True)
        t.start()
        result, versions, units = collect(dist)
        t.join(10)
    finally:
        proxy.close()
    sid = result.snapshot_id
    with migrated_engine(pg_url) as engine:
        rows = version_rows(engine)
        with engine.connect() as c:
            status, error = c.exec_driver_sql(f"SELECT status, error FROM snapshots WHERE id = {sid}").one()
        assert open_versions(engine) == reference[0]  # nothing lost, nothing duplicated, whatever happened
    assert not [r for r in rows if r[3] == sid], "a unit deleted although nothing was deleted in the estate"
    assert len(rows) == len({r[0] for r in rows})
    assert status == result.status
    if status == "failed":
        assert error and not [r for r in rows if r[2] == sid]
    else:
        assert status in ("complete", "partial")
        bad = {k: v for k, v in units.items() if v not in ("ok", "empty")}
        assert all(v == "error" for v in bad.values()), units


def test_unreachable_broker_fails_the_run_clearly(moto_estate, pg_url):
    import pytest

    from auditor.distributed.coordinator import BrokerUnavailable
    from tests.conftest import migrated_engine

    dead = f"amqp://auditor:hunter2@127.0.0.1:{free_port()}//"  # nothing listens there
    dist = config_dict(pg_url, moto_estate, dead)
    with pytest.raises(BrokerUnavailable) as err:
        collect(dist)
    assert "did not take the tasks" in str(err.value) and "hunter2" not in str(err.value)
    assert "auditor:***@127.0.0.1" in str(err.value)
    with migrated_engine(pg_url) as engine:
        with engine.connect() as c:
            assert c.exec_driver_sql("SELECT status FROM snapshots").scalars().all() == ["failed"]
        assert version_rows(engine) == []
