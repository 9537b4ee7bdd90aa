"""The catalog's database as a whole: its schema version, transactions, consistency, snapshots."""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from pathlib import Path


class Database(ABC):
    """One open catalog. Opening it migrates an older schema forward and refuses a newer one
    (ArchiveError); a catalog another process holds is waited for, then ArchiveLocked."""

    #: The exception a violated constraint raises (unknown record or paper, duplicate SHA-256, a
    #: missing required value); the write it belongs to leaves nothing behind.
    integrity_error: type[Exception]

    @property
    @abstractmethod
    def version(self) -> int:
        """The schema version the catalog is at."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager:
        """All or nothing: committed on leaving, rolled back on an exception. Writers queue for the
        lock instead of failing mid-way (ArchiveLocked once they have waited too long). Nested in
        another transaction it is a savepoint, so functions that are each atomic compose into one
        commit (a paper, its link and its metadata appear together or not at all)."""

    @abstractmethod
    def quick_check(self) -> list[str]:
        """The backend's own consistency verdict: ["ok"], else the first problems it finds."""

    @abstractmethod
    def snapshot(self, target: Path) -> tuple[int, list[tuple[int, str, str | None]]]:
        """Write a consistent copy of the catalog to the file `target` without stopping writers;
        returns the copy's schema version and its papers' (id, pdf_path, pdf_sha256), by id."""

    @abstractmethod
    def close(self) -> None:
        ...
