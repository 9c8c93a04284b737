"""`auditor demo`."""

from __future__ import annotations

from pathlib import Path

import typer

from auditor.cli.context import AppContext


def demo(
    ctx: typer.Context,
    workdir: Path = typer.Option(Path("auditor-demo"), "--workdir", help="Where the demo's database, config and exports go."),
) -> int:
    """Audit a simulated three-cloud ML platform (local stand-ins, no cloud account)."""
    app: AppContext = ctx.obj
    from auditor.demo.run import run_demo

    return run_demo(workdir.resolve(), app.console)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
