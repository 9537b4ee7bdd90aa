"""The archive folder: the catalog, the archived PDFs (content-addressed), the index, quarantine.

    ARCHIVE/
      catalog.sqlite            source of truth (SQLite, WAL)
      catalog.url               or: the PostgreSQL catalog it uses instead (`sohoa init --catalog URL`),
                                without its password (PGPASSWORD or ~/.pgpass give it, or the URL at run time)
      papers/ab/abcd….pdf       one searchable PDF per paper, named by the SHA-256 of its original
      papers/ab/abcd….s1.pdf    a later version of that copy (signed, converted to PDF/A), which the
                                catalog then names instead; all read and written through
                                `paper_files` (digitize/storage/paper_files.py)
      papers.url                or: the papers' store it uses instead of papers/ (SOHOA_PAPERS=scheme://…)
      trust/*.pem               the CAs whose signatures verify and check trust
      index/                    search index, derived from the catalog (`sohoa reindex` rebuilds it)
      index.engine              its engine: whoosh (also when missing), tantivy or postgres
      index.search-url          the postgres engine's server (never with a password)
      quarantine/               copies of files that could not be archived, each with a .txt reason
      tmp/                      work files; a file is renamed into papers/ only once complete;
                                what a killed command left here is removed by the next one

Citizens' papers are for the archive's owner and group, not other local users: the folders Sohoa
makes are 0770 less the umask (0750 as `sohoa` runs, see cli.PRIVATE), the papers it copies 0640
(digitize/storage/folder_files.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Callable

from digitize import crashpoints
from digitize.catalog import Catalog, without_password
from digitize.errors import ArchiveError, ArchiveReadOnly, BadArgument, disk_full, library_errors
from digitize.storage.folder_files import DIR_MODE, FILE_MODE, PARTIAL_PAPER, RESERVE, make_room  # noqa: F401 (RESERVE: tests)
from digitize.storage.paper_files import PaperFiles, paper_key
from digitize.storage.paper_stores import open_paper_files

CATALOG_URL = "catalog.url"  # an archive on PostgreSQL names its catalog here
PAPERS_URL = "papers.url"  # an archive whose papers are in another store names it here
WORK_DIRS = ("scan-", "backup-", "sign-", "export-", "pdfa-")  # work_dir prefixes: the only folders of tmp/ ever removed
STALE_AGE = 3600  # seconds: a work file this old without a live owner is a crash's leftover
INDEX_BATCH = 25  # papers per index commit during a scan; a crash in between is healed by sync_index
NAME_MAX = 255  # bytes in a file name, on every common file system


def default_root() -> Path:
    """$SOHOA_ARCHIVE, else the user's data folder (~/.local/share/sohoa)."""
    if os.environ.get("SOHOA_ARCHIVE"):
        return Path(os.environ["SOHOA_ARCHIVE"])
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "sohoa"


class Archive:
    def __init__(self, root: Path | None = None, wait: float = 30.0, catalog_url: str | None = None):
        """`wait`: seconds a write waits for the catalog's other writers (a server waits less).
        `catalog_url`: a PostgreSQL catalog (else $SOHOA_CATALOG, else the one the archive records,
        else its catalog.sqlite); the first time, the archive records it (less any password)."""
        self.root = Path(root) if root else default_root()
        if self.root.exists() and not self.root.is_dir():
            raise ArchiveError("{root}: is a file, not an archive folder; choose another {archive}", field="archive",
                               root=self.root)
        catalog = self.root / "catalog.sqlite"
        url = catalog_url or os.environ.get("SOHOA_CATALOG") or None
        # A read-only mount, or permissions that deny this user: reading commands still work.
        self.read_only = self.root.is_dir() and not all(_writable(p) for p in (self.root, catalog) if p.exists())
        if self.read_only and not catalog.exists() and not (self.root / CATALOG_URL).exists():
            raise ArchiveError("{root}: no Sohoa archive here (no catalog.sqlite), and the folder cannot be "
                               "written to start one; check {archive}", field="archive", root=self.root)
        if not self.read_only:
            try:
                self.root.mkdir(DIR_MODE, parents=True, exist_ok=True)
                for sub in ("papers", "quarantine", "tmp"):
                    (self.root / sub).mkdir(DIR_MODE, exist_ok=True)
            except OSError as exc:
                raise ArchiveError(f"{self.root}: cannot create the archive folder ({exc.strerror})") from None
        url = self._catalog_url(url, catalog)
        self.catalog_url = without_password(url) if url else None  # what may be shown
        self.catalog = Catalog(catalog, wait=wait, read_only=self.read_only, url=url)
        if url and not (self.root / CATALOG_URL).exists() and not self.read_only:
            _write_private(self.root / CATALOG_URL, (without_password(url) + "\n").encode())
        self.paper_files: PaperFiles = open_paper_files(self._papers_url(os.environ.get("SOHOA_PAPERS") or None),
                                                        self.root, crashpoints.reached)

    def _papers_url(self, given: str | None) -> str | None:
        """The papers' store to open (None: papers/ here): what was given must be the one the archive
        records, and the first one given is recorded."""
        recorded = self._recorded(PAPERS_URL)
        if given and recorded and without_password(given) != recorded:
            raise BadArgument(f"{self.root}: the archive's papers are in {recorded}, not {without_password(given)}; "
                              "leave SOHOA_PAPERS unset or give the same one")
        if given and not recorded and not self.read_only:
            open_paper_files(given, self.root)  # an unknown scheme is refused before it is recorded
            _write_private(self.root / PAPERS_URL, (without_password(given) + "\n").encode())
        return given or recorded

    def _recorded(self, name: str) -> str | None:
        """The URL the archive records in its file `name` (catalog.url, papers.url), if any."""
        path = self.root / name
        return path.read_text(encoding="utf-8").strip() if path.exists() else None

    def _catalog_url(self, given: str | None, sqlite: Path) -> str | None:
        """The PostgreSQL catalog to open, or None for catalog.sqlite: what was given must be the one
        the archive records, and an archive with a SQLite catalog keeps it."""
        recorded = self._recorded(CATALOG_URL)
        if given and not given.startswith(("postgresql://", "postgres://")):
            raise BadArgument("{catalog} takes a PostgreSQL URL, postgresql://USER@HOST/DB; got {given}",
                              field="catalog", given=without_password(given))
        if given and recorded and without_password(given) != recorded:
            raise BadArgument(f"{self.root}: the archive's catalog is {recorded}, not {without_password(given)}; "
                              "leave out {catalog} (and SOHOA_CATALOG) or give the same one", field="catalog")
        if given and not recorded and sqlite.exists():
            raise BadArgument(f"{self.root}: the archive's catalog is {sqlite.name} (SQLite); leave out {{catalog}} "
                              "(and SOHOA_CATALOG) for it, or start a new archive on PostgreSQL", field="catalog")
        return given or recorded

    def require_writable(self, command: str) -> None:
        if self.read_only:
            raise ArchiveReadOnly.because(self.root, f"{command} writes to it")

    @cached_property
    def index(self):
        """The search index, with the engine it was created with (none recorded: Whoosh)."""
        from index import open_index

        with library_errors():
            return open_index(self.root / "index", url=self.search_url())

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
        self.catalog.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- files ---------------------------------------------------------------------------
    @contextmanager
    def work_dir(self, prefix: str):
        """A folder of one's own under tmp/ for a command's work files, removed afterwards.

        A command killed mid-way (power cut, SIGKILL) cannot remove its folder, and a 200-page batch
        leaves 200 MB there; so each folder holds a lock while in use, and every new one first
        removes the folders whose lock nobody holds any more. Only names Sohoa makes are touched:
        an --archive pointed at a folder of the user's own must not lose its tmp/.
        """
        tmp = self.root / "tmp"
        self._remove_leftovers(tmp)
        while True:
            path = Path(tempfile.mkdtemp(prefix=prefix, dir=tmp))
            try:
                lock = open(path / ".lock", "w")
            except FileNotFoundError:  # another command's sweep took it before it was locked: again
                continue
            fcntl.flock(lock, fcntl.LOCK_EX)
            if path.is_dir():  # else swept between the lock file's creation and its lock: again
                break
            lock.close()
        with lock:
            try:
                yield path
            finally:
                shutil.rmtree(path, ignore_errors=True)

    @staticmethod
    def _remove_leftovers(tmp: Path) -> None:
        old = time.time() - STALE_AGE
        for entry in tmp.iterdir():
            try:
                if entry.name.startswith(WORK_DIRS) and entry.is_dir() and not entry.is_symlink():
                    with open(entry / ".lock") as lock:
                        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises while its command runs
                        shutil.rmtree(entry, ignore_errors=True)
                elif entry.name.startswith(PARTIAL_PAPER) and entry.lstat().st_mtime < old:  # see FolderFiles.put
                    entry.unlink()
            except BlockingIOError:
                continue
            except FileNotFoundError:  # no lock yet (being made) or gone meanwhile; old and lockless: a leftover
                if entry.is_dir() and entry.lstat().st_mtime < old:
                    shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                continue  # not ours to judge (permissions): left for the administrator

    def write_paper(self, sha256: str, source: Path, version: str | None = None) -> tuple[str, str]:
        """Store a PDF among the papers atomically; returns its key (the catalog's pdf_path) and the
        SHA-256 of the bytes written. A later `version` of a paper's copy (signed, PDF/A) is a file of
        its own beside the first, named after it, so the catalog can move to it in one commit."""
        key = paper_key(sha256, version)
        return key, self.paper_files.put(key, source)

    def quarantine(self, source: Path, reason: str) -> Path:
        """Set a copy of a file that failed aside, with the reason beside it; the original stays put.

        A file already set aside (the same bytes, found again by a second scan of the batch) is not
        copied twice: its reason file gains the new occurrence. A symbolic link is not followed: what
        it points to was not the user's to hand in, so only the reason is kept.
        """
        folder = self.root / "quarantine"
        note = f"{source}\n{reason}\n"
        safe = "".join(c if c.isprintable() and c not in "/\\" else "_" for c in source.name) or "unnamed"
        copy, sha = self._copy_aside(source)
        try:
            found = self._set_aside(folder, copy, sha, note)
            if found is not None:
                reasons = found.with_name(found.name + ".txt")
                if note not in reasons.read_text(encoding="utf-8", errors="replace"):
                    with open(reasons, "a", encoding="utf-8") as f:
                        f.write(note)
                return found
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            for n in itertools.count(1):
                prefix = f"{stamp}-" if n == 1 else f"{stamp}-{n}-"
                # Room for the ".txt" beside it, counted in bytes: a Vietnamese letter takes two or three.
                target = folder / (prefix + fit_name(safe, NAME_MAX - len(prefix) - len(".txt")))
                if target.exists():
                    continue
                try:  # the reason first: a copy is never left without one
                    _write_private(target.with_name(target.name + ".txt"), note.encode("utf-8"))
                except FileExistsError:  # another scan set a file of that name aside this second
                    continue
                if copy is not None:
                    os.replace(copy, target)
                return target
        finally:
            if copy is not None:
                copy.unlink(missing_ok=True)

    def _copy_aside(self, source: Path) -> tuple[Path | None, str | None]:
        """A private copy of `source` in tmp/ and its SHA-256; (None, None) when it is not a regular file
        that can be read (a link is not followed). A full disk is no fault of the file: it is raised."""
        try:
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)  # a FIFO must not block us
        except OSError:
            return None, None
        with open(fd, "rb") as original:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None, None
            make_room(self.root, os.fstat(fd).st_size)
            out, tmp = tempfile.mkstemp(dir=self.root / "tmp", prefix=PARTIAL_PAPER)
            digest = hashlib.sha256()
            try:
                os.fchmod(out, FILE_MODE)
                with os.fdopen(out, "wb") as f:
                    for block in iter(lambda: original.read(1 << 20), b""):
                        digest.update(block)
                        f.write(block)
            except BaseException as exc:
                Path(tmp).unlink(missing_ok=True)
                if isinstance(exc, OSError) and not disk_full(exc):
                    return None, None  # unreadable after all: the reason file still says why
                raise
        return Path(tmp), digest.hexdigest()

    @staticmethod
    def _set_aside(folder: Path, copy: Path | None, sha: str | None, note: str) -> Path | None:
        """The entry already holding these bytes; for a file not copied, the one with this very note."""
        from digitize.intake import sha256_file

        if copy is None:
            for reasons in folder.glob("*.txt"):
                if note in reasons.read_text(encoding="utf-8", errors="replace"):
                    return reasons.with_name(reasons.name[:-len(".txt")])
            return None
        size = copy.stat().st_size
        for entry in folder.iterdir():
            try:
                if (entry.is_file() and entry.stat().st_size == size and sha256_file(entry) == sha
                        and entry.with_name(entry.name + ".txt").exists()):  # a copy, not a reason file
                    return entry
            except OSError:
                continue
        return None

    # -- index (derived) -------------------------------------------------------------------
    def sync_index(self, timeout: float = 30.0) -> int:
        """Index every paper the catalog has that the index does not have yet."""
        docs = list(self.catalog.index_documents(only_unindexed=True))
        if not docs:
            return 0
        with library_errors():
            written = self.index.add(docs, timeout=timeout)
        crashpoints.reached("index-commit")
        self.catalog.mark_indexed(written)
        return len(written)

    def search_url(self, given: str | None = None) -> str | None:
        """The postgres engine's server: ``given``, else the one recorded beside the index, else the
        catalog's database when the catalog is on PostgreSQL (None: none of them)."""
        from index import recorded_url

        catalog = getattr(self.catalog, "url", None)
        return (given or recorded_url(self.root / "index")
                or (catalog if isinstance(catalog, str) and catalog.startswith("postgres") else None))

    def reindex(self, timeout: float = 30.0, engine: str | None = None, search_url: str | None = None,
                on_document: Callable[[int], None] | None = None) -> int:
        """Rebuild the index from the catalog (with another search ``engine``, to switch; ``search_url``:
        the postgres engine's server). ``on_document(n)``: after the n-th paper is read (a job's progress)."""
        from index import open_index

        rebuilt: list[int] = []  # only these are marked indexed: a paper a scan adds meanwhile is not in
        docs = (crashpoints.reached("reindex-build") or rebuilt.append(doc["id"])
                or (on_document and on_document(len(rebuilt))) or doc
                for doc in self.catalog.index_documents())
        with library_errors():
            if engine:  # open with that engine even if the current one cannot be opened
                if "index" in self.__dict__:
                    self.index.close()
                self.__dict__["index"] = open_index(self.root / "index", engine,
                                                    self.search_url(search_url) if engine == "postgres" else None)
            count = self.index.rebuild(docs, timeout=timeout, before_swap=lambda: crashpoints.reached("reindex-swap"))
        self.catalog.mark_indexed(rebuilt)
        return count


def fit_name(name: str, room: int, mark: str = "") -> str:
    """`name` with `mark` put before its extension, shortened (…) to `room` bytes of UTF-8, as file
    systems count a name's length; the extension stays, so the file still opens with its program."""
    stem, suffix = os.path.splitext(name)
    if len(suffix) > 10:  # no real extension, a dot in a long name
        stem, suffix = name, ""
    whole = f"{stem}{mark}{suffix}"
    if len(whole.encode("utf-8", "surrogateescape")) <= room:
        return whole
    tail = f"…{mark}{suffix}"
    budget = max(0, room - len(tail.encode("utf-8")))
    return stem.encode("utf-8", "surrogateescape")[:budget].decode("utf-8", "ignore") + tail


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


def _write_private(path: Path, data: bytes) -> None:
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as f:
        f.write(data)
