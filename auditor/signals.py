"""SIGTERM and SIGINT as an orderly stop.

systemd and Kubernetes stop a process with SIGTERM (then SIGKILL after a grace period); Ctrl-C
sends SIGINT. Both become ``Terminated``, raised in the main thread wherever it is, so the code
on the way out does its usual cleanup: the snapshot writer marks its snapshot failed with the
reason and undoes its partial writes, the audit lock is released, and the CLI prints one line
and exits 3. ``Terminated`` is a BaseException so that no ``except Exception`` step handler
can swallow it; a second signal during the cleanup is ignored so the cleanup can finish.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator

from auditor.errors import EXIT_RUNTIME

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Terminated(BaseException):
    exit_code = EXIT_RUNTIME

    def __init__(self, signame: str) -> None:
        self.signame = signame
        super().__init__(f"stopped by {signame}")


def _handler(signum: int, _frame) -> None:  # type: ignore[no-untyped-def]
    for s in SIGNALS:
        signal.signal(s, signal.SIG_IGN)  # the cleanup on the way out must not be interrupted
    raise Terminated(signal.Signals(signum).name)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Install the handlers for the body (main thread only; elsewhere a no-op)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
