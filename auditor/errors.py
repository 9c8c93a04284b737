"""Errors that map to the exit-code contract (DESIGN.md decision 15)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_RUNTIME = 3


class AuditorError(Exception):
    """An error with a one-line message for the user and an exit code; never a traceback."""

    exit_code = EXIT_RUNTIME


class UsageError(AuditorError):
    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """Invalid configuration: the message names the file, the field path and the problem."""

    def __init__(self, file: str, field: str | None, problem: str) -> None:
        self.file, self.field, self.problem = file, field, problem
        where = f"{file}: {field}" if field else file
        super().__init__(f"{where}: {problem}")


class SchemaOutOfDate(AuditorError):
    exit_code = EXIT_USAGE


class ReadOnlyViolation(UsageError):
    """A write or DDL statement was sent to the read-only query interface."""


class ConcurrentRunError(AuditorError):
    """Another audit or ingest holds the lock."""


class CollectionIncomplete(AuditorError):
    """Raised under --strict when some collection units did not complete."""


FAIL_ON_CHOICES = ("info", "low", "medium", "high", "critical", "none")


def check_fail_on(value: str) -> str:
    """The one wording of a bad --fail-on, for every command that takes it."""
    if value not in FAIL_ON_CHOICES:
        raise UsageError(f"--fail-on {value!r} is not one of {', '.join(FAIL_ON_CHOICES)}")
    return value
