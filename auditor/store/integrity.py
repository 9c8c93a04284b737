"""SQLite corruption check: a damaged page must stop a write run and show in `verify`.

SQLite opens a file whose header is intact even when a page inside is damaged, and reads
may then return wrong or partial rows silently. ``PRAGMA quick_check`` walks every page
(O(size), no index-content cross-check), so it runs before a write run, not on every read.
PostgreSQL has its own checksums and needs nothing here.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from auditor.errors import AuditorError

MAX_REPORTED = 5


class DatabaseCorrupt(AuditorError):
    """The inventory file is damaged (exit 3): restore it from a backup."""


def quick_check(engine: Engine) -> list[str]:
    """SQLite's ``PRAGMA quick_check`` findings (empty when intact, or on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return []
    try:
        with engine.connect() as c:
            rows = [str(r[0]) for r in c.exec_driver_sql("PRAGMA quick_check").fetchall()]
    except DBAPIError as exc:  # "database disk image is malformed" before any row
        return [str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__]
    return [] if rows == ["ok"] else rows


def require_intact(engine: Engine) -> None:
    """Refuse to write into a damaged SQLite file: one line, exit 3."""
    problems = quick_check(engine)
    if problems:
        where = engine.url.render_as_string(hide_password=True)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise DatabaseCorrupt(f"database {where} is corrupt (PRAGMA quick_check: {problems[0]}{more}): "
                              "restore it from a backup; nothing was written")
