"""The papers' files: every read and write of an archived PDF, behind one small interface.

A paper's file is named by a key, the catalog's `pdf_path`: ``papers/ab/<sha256>.pdf`` for the
first copy, ``papers/ab/<sha256>.<version>.pdf`` for a later one (signed, PDF/A). The catalog, the
index, work files and quarantine are not papers and stay in the archive's folder.

    FolderFiles   digitize/storage/folder_files.py   a folder: the archive's own, local or an NFS mount (the default)

Another store (an S3-compatible bucket, say) implements `PaperFiles` in a package of its own and
names itself for a URL scheme in the entry-point group ``sohoa.paper_files``: a factory taking
(url, work folder) and returning the store; `SOHOA_PAPERS=scheme://…` then picks it
(digitize/storage/paper_stores.py). tests/test_paper_files.py holds the contract every store must pass.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator
KEY = re.compile(r"papers/[0-9a-f]{2}/[0-9a-f]{64}(\.[a-z0-9]+)?\.pdf")
BLOCK = 1 << 20  # a 200-page paper is 200 MB: read and hashed in blocks, never whole in memory


def paper_key(sha256: str, version: str | None = None) -> str:
    """The key of a paper's file: by the SHA-256 of its original, and the version of the copy."""
    return f"papers/{sha256[:2]}/{sha256}{'.' + version if version else ''}.pdf"


class PaperFiles(ABC):
    """Where the archived PDFs live. Keys are `paper_key`s; a missing key raises FileNotFoundError
    (remove excepted), a full store OSError ENOSPC (errors.disk_full), as a folder does."""

    @abstractmethod
    def put(self, key: str, source: Path | BinaryIO) -> str:
        """Store the bytes of `source` (a file, or a binary stream read to its end) under `key`,
        replacing what was there, atomically: a reader sees the whole old file or the whole new one,
        never a part; returns the SHA-256 of what was stored."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """The file for reading, as a binary stream (a context manager)."""

    @abstractmethod
    def size(self, key: str) -> int:
        """Its length in bytes."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def remove(self, key: str) -> None:
        """Gone if it was there; nothing if it was not."""

    @abstractmethod
    def keys(self) -> Iterator[str]:
        """Every file stored, by key, whatever its name: `sohoa check` reports those the catalog
        does not know."""

    @abstractmethod
    def age(self, key: str) -> float:
        """Seconds since it was written: a file younger than a scan's commit may still get its row."""

    @abstractmethod
    def set_aside(self, key: str) -> str:
        """Move a file the catalog does not know out of the papers, kept; returns where it went."""

    @abstractmethod
    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        """A path on this machine with the file's bytes, for programs that need one (pdftoppm,
        pikepdf, pyHanko); valid inside the block. A folder gives its own file, a remote store a copy."""

    @abstractmethod
    def where(self, key: str) -> str:
        """Where the file is, as a user is shown it (a path or a URL)."""

    def sha256(self, key: str) -> str:
        """The SHA-256 of its bytes, read back."""
        digest = hashlib.sha256()
        with self.open(key) as f:
            for block in iter(lambda: f.read(BLOCK), b""):
                digest.update(block)
        return digest.hexdigest()

