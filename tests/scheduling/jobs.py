"""Job functions and subprocess entry points for the scheduling tests.

Module-level so APScheduler can store them by textual reference
(``tests.scheduling.jobs:record_run``) exactly as it stores the real audit job.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def record_run(path: str, sleep: float = 0.0) -> None:
    """Append ``start end pid`` for one run (the tests count and compare runs)."""
    start = time.time()
    if sleep:
        time.sleep(sleep)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"{start:.6f} {time.time():.6f} {os.getpid()}\n")


def read_runs(path: str | Path) -> list[tuple[float, float, int]]:
    p = Path(path)
    if not p.exists():
        return []
    return [(float(a), float(b), int(c)) for a, b, c in (line.split() for line in p.read_text().splitlines())]


def hold_lock(db_url: str, go_file: str, release_file: str) -> int:
    """Contend for the audit lock like `auditor audit` does: print READY, wait for ``go_file``
    (so two processes try together), take the lock, print ACQUIRED, hold until ``release_file`` exists.
    Losing prints the ConcurrentRunError message and returns 3, as the CLI does."""
    import logging

    from auditor.errors import ConcurrentRunError
    from auditor.locking import audit_lock
    from auditor.store.engine import make_engine

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    engine = make_engine(db_url)
    with engine.connect():
        pass  # connect before the start line so both contenders race on the lock, not on start-up
    print("READY", flush=True)
    while not os.path.exists(go_file):
        time.sleep(0.005)
    try:
        with audit_lock(engine, holder="test contender", heartbeat_s=0.2):
            print(f"ACQUIRED {os.getpid()}", flush=True)
            while not os.path.exists(release_file):
                time.sleep(0.02)
    except ConcurrentRunError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    return 0


def run_scheduler(db_url: str, runs_file: str, every_seconds: float) -> int:
    """`auditor schedule start` with a test job instead of the audit (real BlockingScheduler)."""
    import logging

    from auditor.config.schema import ScheduleConfig
    from auditor.scheduler import run_foreground
    from auditor.store.engine import make_engine

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    engine = make_engine(db_url)
    return run_foreground(engine, ScheduleConfig(), kwargs={"path": runs_file}, every_seconds=every_seconds,
                          func="tests.scheduling.jobs:record_run",
                          announce=lambda msg: print(f"STARTED {msg}", flush=True))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "hold":
        sys.exit(hold_lock(args[0], args[1], args[2]))
    if command == "schedule":
        sys.exit(run_scheduler(args[0], args[1], float(args[2])))
    sys.exit(f"unknown command {command!r}")
