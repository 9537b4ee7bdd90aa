"""The papers' files in a folder: the archive's own papers/, on a local disk or an NFS mount.

A file is written to a temporary name in the work folder (the same file system), flushed, fsynced
and renamed, and its folder fsynced: a reader, here or on another host of the mount, sees a whole
file or none. Citizens' papers are for the archive's owner and group: folders 0770 and files 0640,
less the umask. A write that would leave less than RESERVE free is refused as a full disk.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from digitize.storage.paper_files import BLOCK, PaperFiles

DIR_MODE, FILE_MODE = 0o770, 0o640  # nothing for other local users; the umask decides the group's writing
RESERVE = 32 << 20  # bytes a paper must leave free: room to index and catalogue what was archived before it
PARTIAL_PAPER = ".paper-"  # temporary files of put (and the archive's quarantine), swept when stale
ASIDE = "orphans"  # where set_aside moves a file, beside papers/


class FolderFiles(PaperFiles):
    def __init__(self, root: Path, work: Path, checkpoint: Callable[[str], None] = lambda name: None):
        """Keys are paths under `root`; temporary files go to `work` (on the same file system, for
        the rename); `checkpoint(name)` marks the moments crash tests stop at (digitize/crashpoints.py)."""
        self.root, self.work, self.checkpoint = Path(root), Path(work), checkpoint

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, source: Path | BinaryIO) -> str:
        target = self.path(key)
        streamed = hasattr(source, "read")
        make_room(self.root, 0 if streamed else Path(source).stat().st_size)
        target.parent.mkdir(DIR_MODE, parents=True, exist_ok=True)
        digest = hashlib.sha256()  # of the copy, whatever the source does meanwhile
        fd, tmp = tempfile.mkstemp(dir=self.work, prefix=PARTIAL_PAPER, suffix=".pdf")
        try:
            os.fchmod(fd, FILE_MODE)  # mkstemp makes it the owner's alone; the archive's group reads it too
            with os.fdopen(fd, "wb") as f, nullcontext(source) if streamed else open(source, "rb") as pdf:
                for block in iter(lambda: pdf.read(BLOCK), b""):
                    digest.update(block)
                    f.write(block)
                f.flush()
                os.fsync(f.fileno())
            self.checkpoint("pdf-write")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(target.parent)
        self.checkpoint("pdf-written")
        return digest.hexdigest()

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def remove(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        papers = self.root / "papers"
        return iter(sorted(p.relative_to(self.root).as_posix() for p in papers.rglob("*")
                           if p.is_file() or p.is_symlink()))

    def age(self, key: str) -> float:
        return time.time() - self.path(key).lstat().st_mtime

    def set_aside(self, key: str) -> str:
        target = self.root / ASIDE / key
        n = 1
        while target.exists():
            n += 1
            target = target.with_name(f"{Path(key).stem}.{n}{Path(key).suffix}")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(key), target)
        return target.relative_to(self.root).as_posix()

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self.path(key)
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
        yield path

    def where(self, key: str) -> str:
        return str(self.path(key))


def make_room(folder: Path, size: int) -> None:
    """ENOSPC before a file that would leave less than RESERVE free on `folder`'s disk: a scan
    stops there (errors.DiskFull) while the papers it archived can still be indexed."""
    if shutil.disk_usage(folder).free < size + RESERVE:
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)}: less than {RESERVE >> 20} MB would be left")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
