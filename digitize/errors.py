"""Errors a user can act on, each with its own exit code.

The CLI turns these into one line on stderr and the exit code; anything else is a bug
and keeps its traceback.
"""

import errno
import sqlite3


class SohoaError(Exception):
    """Something went wrong that the user can fix; the message says what to do."""

    exit_code = 1


class BadArgument(SohoaError):
    """A command-line value is wrong (unknown record, component, paper id...)."""

    exit_code = 2


class InputError(SohoaError):
    """An input file cannot be read: empty, truncated, not an image or PDF, bad register row."""

    exit_code = 3


class EncryptedPDF(InputError):
    """A PDF needs a password before it can be read."""

    exit_code = 4


class MissingDependency(SohoaError):
    """A program or language data Sohoa needs is not installed."""

    exit_code = 5


class ArchiveLocked(SohoaError):
    """Another process holds the archive (index writer) longer than we are willing to wait."""

    exit_code = 6


class ArchiveError(SohoaError):
    """The archive itself is unusable: newer schema, missing file, damaged catalog."""

    exit_code = 7


class DiskFull(SohoaError):
    """The archive's file system has no room left: the command stops, and running it again finishes."""

    exit_code = 8


class ArchiveReadOnly(SohoaError):
    """The archive cannot be written (read-only mount or permissions): reading commands still work."""

    exit_code = 9

    @classmethod
    def because(cls, archive, what: str) -> "ArchiveReadOnly":
        return cls(f"{archive}: the archive is read-only and {what}; mount it read-write (or let this user "
                   "write to it) and run the command again")


EXIT_CODES = {
    cls.__name__: cls.exit_code
    for cls in (SohoaError, BadArgument, InputError, EncryptedPDF, MissingDependency, ArchiveLocked, ArchiveError,
                DiskFull, ArchiveReadOnly)
}

_NO_ROOM = (errno.ENOSPC, errno.EDQUOT)


def disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an error it was raised from (an InputError wrapping a failed write), is a
    full disk or quota: OSError ENOSPC/EDQUOT, or SQLite's "database or disk is full"."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFull) or (isinstance(exc, OSError) and exc.errno in _NO_ROOM):
            return True
        if isinstance(exc, sqlite3.Error) and "database or disk is full" in str(exc):  # SQLITE_FULL
            return True
        exc = exc.__cause__ or exc.__context__
    return False
