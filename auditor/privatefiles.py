"""Files the product writes are private (0600 files, 0700 directories) whatever the umask.

Why: the database, keys, config and exports hold an estate's security posture. Why
``O_NOFOLLOW``/``O_EXCL`` and rename-into-place: a symlink planted at a path we write (even a
dangling one) must not redirect the write, and a FIFO planted at an export file name must not
block the export; replacing a directory entry never opens what was there.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from auditor.errors import UsageError

FILE_MODE = 0o600
DIR_MODE = 0o700


def refuse_symlink(path: Path, what: str) -> None:
    """A symlink (dangling or not) where we are about to create a file is refused."""
    if path.is_symlink():
        raise UsageError(f"{what} {path} is a symbolic link; refusing to write through it")


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) as 0700; an existing directory keeps its mode."""
    if path.is_symlink():
        raise UsageError(f"{path} is a symbolic link; refusing to write through it")
    if not path.exists():
        path.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    elif not path.is_dir():
        raise UsageError(f"{path} exists and is not a directory")
    return path


def create_private(path: Path, data: bytes, *, what: str = "file") -> None:
    """Create a new 0600 file; never overwrites, never follows a symlink (dangling included)."""
    refuse_symlink(path, what)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, FILE_MODE)
    except FileExistsError:
        raise UsageError(f"{what} {path} already exists; refusing to overwrite it") from None
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(data)
    finally:
        if fd >= 0:
            os.close(fd)


@contextmanager
def replace_private(path: Path, mode: str = "wb", **kwargs) -> Iterator[IO]:  # type: ignore[type-arg]
    """Write ``path`` through a 0600 temporary file in the same directory, then rename it into
    place: whatever sat at ``path`` (symlink, FIFO, old file) is replaced, never opened."""
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
        if path.is_dir() and not path.is_symlink():
            raise UsageError(f"{path} is a directory; refusing to replace it")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def is_regular(path: Path) -> bool:
    """A regular file, not followed through a symlink."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def precreate_sqlite(url: str) -> None:
    """Create a SQLite database file 0600 before SQLite does (SQLite uses the umask, and its
    -wal/-journal files copy the database file's mode). Refuses a symlink at the path."""
    from sqlalchemy.engine import make_url

    try:
        u = make_url(url)
    except Exception:  # noqa: BLE001 - an invalid URL is reported by the engine, in its words
        return
    if not u.drivername.startswith("sqlite") or not u.database or u.database == ":memory:" \
            or u.database.startswith("file:"):
        return
    path = Path(u.database)
    refuse_symlink(path, "database")
    if not path.exists():
        if not path.parent.exists():
            private_dir(path.parent)
        create_private(path, b"", what="database")
