"""Faults with real worker processes, RabbitMQ and PostgreSQL: a worker killed mid-unit, a
poison unit, the coordinator killed. Each ends in a snapshot equal to the in-process one or
in a clearly failed snapshot whose writes are undone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.distributed.conftest import (
    ROOT, collect, config_dict, open_versions, unit_statuses, version_rows, wait_for, write_config,
)
from auditor.demo.emulators.aws_seed import PRIMARY_ACCOUNT

HANG = f"aws/{PRIMARY_ACCOUNT}/us-east-1/aws.ec2.security_group"


def _fault_env(tmp_path: Path, **faults: str) -> tuple[dict, Path]:
    marker = tmp_path / "hang.marker"
    return {"AUDITOR_TEST_MARKER": str(marker), **faults}, marker


def test_worker_killed_mid_unit_is_redelivered(rabbit, moto_estate, reference, pg_url, workers, tmp_path):
    from tests.conftest import migrated_engine

    dist = config_dict(pg_url, moto_estate, rabbit)
    dist["collection"]["batch_size"] = 1  # the unit commits resources before it is killed
    with migrated_engine(pg_url):
        pass
    env, marker = _fault_env(tmp_path, AUDITOR_TEST_HANG_UNIT=HANG)
    w = workers(write_config(tmp_path / "auditor.yaml", dist))
    w.start(2, module="tests.distributed.fault_worker", extra_env=env)
    import threading

    killed: list[int] = []

    def killer() -> None:
        wait_for(lambda: marker.exists() and marker.read_text().strip() != "", 120, "the hanging unit")
        pid = int(marker.read_text())
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    result, versions, units = collect(dist)
    t.join(5)
    assert killed, "the worker was never killed"
    assert result.status == "complete", (result.error, w.logs())
    ref_versions, ref_units = reference
    assert versions == ref_versions
    assert units == ref_units
    with migrated_engine(pg_url) as engine:
        rows = version_rows(engine)
    assert len(rows) == len({r[0] for r in rows}), "a redelivered unit duplicated versions"
    assert "came back from a lost worker; retry 1 of 3" in w.logs(tail=10**7)


def test_poison_unit_is_error_after_retry_budget(rabbit, moto_estate, reference, pg_url, workers, tmp_path):
    from tests.conftest import migrated_engine

    dist = config_dict(pg_url, moto_estate, rabbit, max_retries=1)
    with migrated_engine(pg_url):
        pass
    env, _marker = _fault_env(tmp_path, AUDITOR_TEST_POISON_UNIT=HANG)
    cfg = write_config(tmp_path / "auditor.yaml", dist)
    w = workers(cfg)
    # prefork: the poison kills a pool child and the worker survives it (as systemd would restart it)
    w.start(1, module="tests.distributed.fault_worker", extra_env=env, pool="prefork", concurrency=2)
    result, versions, units = collect(dist)
    key = HANG.replace("/", "|")
    assert units[key] == "error", (units, w.logs())
    assert result.status == "partial"
    ref_versions, ref_units = reference
    assert {k: v for k, v in units.items() if k != key} == {k: v for k, v in ref_units.items() if k != key}
    from auditor.collect import incomplete

    (bad,) = incomplete(result.summary)
    assert "worker lost on each of 2 attempts" in bad.error and "max_retries 1" in bad.error
    missing = ref_versions - versions
    assert versions < ref_versions and missing
    assert all(":security-group/" in k and PRIMARY_ACCOUNT in k for k, _h in missing), missing


def test_coordinator_killed_next_run_undoes_its_writes(rabbit, moto_estate, reference, pg_url, workers, tmp_path):
    from tests.conftest import migrated_engine

    dist = config_dict(pg_url, moto_estate, rabbit)
    dist["collection"]["batch_size"] = 1
    with migrated_engine(pg_url):
        pass
    env, marker = _fault_env(tmp_path, AUDITOR_TEST_HANG_UNIT=HANG)
    cfg = write_config(tmp_path / "auditor.yaml", dist)
    w = workers(cfg)
    w.start(2, module="tests.distributed.fault_worker", extra_env=env)
    full_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    full_env.pop("AUDITOR_CONFIG", None)
    coordinator = subprocess.Popen([sys.executable, "-m", "auditor", "--config", str(cfg), "collect"], env=full_env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: marker.exists() and marker.read_text().strip() != "", 120, "the hanging unit")
        with migrated_engine(pg_url) as engine:
            wait_for(lambda: len(unit_statuses_any(engine)) >= 3, 60, "some units reported")
            assert any(r[2] == 1 for r in version_rows(engine)), "the killed run wrote nothing to undo"
        coordinator.send_signal(signal.SIGKILL)
        coordinator.wait(30)
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
    result, versions, _units = collect(dist)  # the next run, through the same workers
    assert result.status == "complete", (result.error, w.logs())
    with migrated_engine(pg_url) as engine:
        with engine.connect() as c:
            first = c.exec_driver_sql("SELECT status, error FROM snapshots WHERE id = 1").one()
        rows = version_rows(engine)
        assert open_versions(engine) == reference[0]
    assert first[0] == "failed" and "died" in first[1]
    assert not [r for r in rows if r[2] == 1 or r[3] == 1], "the dead run's writes were not undone"
    assert len(rows) == len({r[0] for r in rows})


def unit_statuses_any(engine) -> dict:  # type: ignore[no-untyped-def]
    return unit_statuses(engine, 1)
