"""`auditor worker`: run collection units sent by `auditor collect`/`audit` (distributed.broker_url)."""

from __future__ import annotations

import typer

from auditor.cli.context import AppContext
from auditor.errors import UsageError

POOLS = ("threads", "prefork", "solo")


def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(0, "--concurrency", "-n", min=0, max=256,
                                    help="Units at a time (default distributed.concurrency)."),
    pool: str = typer.Option("threads", "--pool", help="threads (default; units wait on the network), prefork or solo."),
    name: str = typer.Option("", "--name", help="Worker name (default auditor-HOST-PID)."),
) -> None:
    """Start a collection worker: it takes units from the broker and writes them into the inventory.

    Cloud credentials come from this process's environment (the standard SDK chains); the task
    messages carry only the unit. Stop with SIGTERM: units in flight finish first.
    """
    app: AppContext = ctx.obj
    cfg = app.config
    if not cfg.distributed.broker_url:
        raise UsageError("distributed.broker_url is not set: a worker needs the broker the coordinator uses")
    if pool not in POOLS:
        raise UsageError(f"--pool {pool!r} is not one of {', '.join(POOLS)}")
    engine = app.engine()  # the schema is checked now: a worker on an old schema must not start
    if engine.dialect.name != "postgresql":
        raise UsageError("a worker writes into a shared PostgreSQL inventory; database.url is not PostgreSQL")
    engine.dispose()
    from auditor.distributed.broker import broker_url, redacted
    from auditor.distributed.worker import run_worker

    app.info(f"worker for {redacted(broker_url(cfg.distributed))}")
    run_worker(cfg, lambda: app.engine(), concurrency=concurrency or None, pool=pool,
               loglevel="DEBUG" if app.verbosity > 1 else "INFO", name=name or None)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
