"""`auditor unlock`: the operator's override for a lock whose holder is known to be gone."""

from __future__ import annotations

from typing import Optional

import typer

from auditor.cli.context import AppContext
from auditor.errors import UsageError


def unlock(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Remove the lock even though its holder may look alive."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why (recorded in the audit log)."),
    by: Optional[str] = typer.Option(None, "--by", help="Who (default: the OS user)."),
    name: str = typer.Option("audit", "--name", help="Lock name (audit | scheduler)."),
) -> int:
    """Show the audit lock's holder; with --force, remove it (recorded in the audit log)."""
    app: AppContext = ctx.obj
    from auditor.cli.drift_cmds import _actor
    from auditor.locking import aware_utc, current_holder, force_unlock

    engine = app.engine()
    holder = current_holder(engine, name)
    if not force:
        if holder is None:
            app.console.print(f"lock {name!r} is free", highlight=False)
            return 0
        raise UsageError(
            f"lock {name!r} is held by {holder.describe()} (holder {holder.holder!r}, last heartbeat "
            f"{aware_utc(holder.heartbeat_at).isoformat(timespec='seconds')}): if that process is gone, run "
            "`auditor unlock --force --reason TEXT`")
    if not reason:
        raise UsageError("--reason is required with --force (it is recorded in the audit log)")
    removed = force_unlock(engine, name, actor=_actor(by), reason=reason)
    if removed is None:
        app.console.print(f"lock {name!r} was free; the attempt is recorded in the audit log", highlight=False)
    else:
        app.console.print(f"lock {name!r} removed (was {removed.describe()}); recorded in the audit log",
                          highlight=False)
    return 0


def register(app: typer.Typer) -> None:
    app.command("unlock")(unlock)
