"""`auditor demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from auditor.cli.context import AppContext


def demo(
    ctx: typer.Context,
    workdir: Optional[Path] = typer.Option(None, "--workdir", metavar="DIR",
                                           help="Where the demo's database, config and exports go "
                                                "(default: a new temporary directory, kept and printed)."),
) -> int:
    """Audit a simulated three-cloud ML platform (local stand-ins, no cloud account)."""
    app: AppContext = ctx.obj
    from auditor.demo.run import demo_workdir, run_demo

    return run_demo(demo_workdir(workdir), app.console)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
