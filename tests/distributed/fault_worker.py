"""`python -m tests.distributed.fault_worker --config X worker ...`: the real `auditor worker`
with faults injected into chosen units, for the fault tests.

AUDITOR_TEST_HANG_UNIT=provider/account/region/type: the first attempt at that unit (across
all workers: a marker file decides) yields its resources, writes its pid to
AUDITOR_TEST_MARKER and hangs, so a test can kill the process mid-unit.
AUDITOR_TEST_POISON_UNIT=...: every attempt at that unit kills its process (os._exit).
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def _install() -> None:
    import collectors.runner as runner

    original = runner.run_units
    hang, poison = os.environ.get("AUDITOR_TEST_HANG_UNIT"), os.environ.get("AUDITOR_TEST_POISON_UNIT")
    marker = Path(os.environ.get("AUDITOR_TEST_MARKER", "/nonexistent/marker"))

    def first_attempt() -> bool:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        os.close(fd)
        return True

    def wrap(task):  # type: ignore[no-untyped-def]
        name = str(task.unit)
        if name == poison:
            def crash(ctx):  # type: ignore[no-untyped-def]
                os._exit(17)
                yield  # pragma: no cover - a generator, like every collect function

            return runner.UnitTask(task.unit, crash)
        if name == hang and first_attempt():
            def hanging(ctx):  # type: ignore[no-untyped-def]
                yield from task.collect(ctx)
                time.sleep(1.5)  # the runner's writer thread commits the batches meanwhile
                marker.write_text(str(os.getpid()))
                time.sleep(600)

            return runner.UnitTask(task.unit, hanging)
        return task

    def run_units(tasks, sink, **kwargs):  # type: ignore[no-untyped-def]
        return original([wrap(t) for t in tasks], sink, **kwargs)

    runner.run_units = run_units


if __name__ == "__main__":
    _install()
    from auditor.cli.main import run

    run()
