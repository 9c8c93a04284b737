"""Apply and check Alembic migrations programmatically (works from a non-editable install)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from auditor.errors import SchemaOutOfDate


def script_location() -> str:
    """Installed, the migrations are the package ``auditor._migrations``; run from a source
    checkout (tests put the checkout first on sys.path), they are its top-level ``migrations/``."""
    try:
        return str(resources.files("auditor._migrations"))
    except ModuleNotFoundError:
        import auditor

        source = Path(auditor.__file__).resolve().parent.parent / "migrations"
        if (source / "env.py").is_file():
            return str(source)
        raise


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location())
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Upgrade to ``target``; returns (before, after) revisions."""
    before = current_revision(engine)
    if before is not None and _newer_than_known(before, head_revision()):
        raise SchemaOutOfDate(
            f"database schema revision {before} is newer than this auditor knows: upgrade the auditor tool, "
            "not the database")
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return before, current_revision(engine) or ""


def check_schema(engine: Engine) -> None:
    """Refuse to run on a database whose schema is not the one this version expects."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaOutOfDate(
            f"database {engine.url.render_as_string(hide_password=True)} has no inventory schema: "
            "run `auditor init` or `auditor db upgrade`"
        )
    if _newer_than_known(current, head):
        # Written by a newer auditor: `db upgrade` cannot help (this version has no such migration).
        raise SchemaOutOfDate(
            f"database {engine.url.render_as_string(hide_password=True)} has schema revision {current}, newer than "
            f"this auditor knows (it needs {head}): upgrade the auditor tool, not the database"
        )
    raise SchemaOutOfDate(
        f"database schema is at revision {current}, this version needs {head}: run `auditor db upgrade`"
    )


def _newer_than_known(rev: str, head: str) -> bool:
    """A revision this version has no migration for, and (ids are numbered) not an older one."""
    if _known_revision(rev):
        return False
    if rev.isdigit() and head.isdigit():
        return int(rev) > int(head)
    return True


def _known_revision(rev: str) -> bool:
    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(rev) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for unknown revisions
        return False
