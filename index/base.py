"""The engine interface, and what every engine shares: locking, rebuilding, resuming, searching.

The archive's choice of engine is a one-line file beside the index directory
(``index.engine``; none: Whoosh, the default). It lives outside the directory so that
deleting a damaged index and rebuilding it keeps the choice. Which engine wrote a directory
is told by its files; an index written by another engine than the chosen one only rebuilds.
A switch writes the choice just before the rebuilt directory is swapped in: a crash in
between leaves an index that says "rebuild", and the rebuild uses the new choice.

Writers take one ``fcntl`` lock file beside the index directory (``.index.lock``): it is
never renamed, so a process waiting for a rebuild to finish locks the same file whichever
directory is in place by then. Readers never take it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Protocol

from .documents import digest, prepare
from .errors import IndexDamaged, IndexLocked
from .hits import Hit, make_hit
from .query import Filters, Query, parse

ENGINE_SUFFIX = ".engine"  # ARCHIVE/index.engine: the archive's choice
URL_SUFFIX = ".search-url"  # ARCHIVE/index.search-url: the postgres engine's server, without a password
URL_ENV = "SOHOA_SEARCH_URL"  # ...which this overrides
PROGRESS_FILE = "PROGRESS"  # in a build directory: "id digest" per committed document
PENDING_FILE = "PENDING"  # in a build directory: the chunk being committed
BUILD_CHUNK = 10_000  # documents per commit while rebuilding: what a killed build keeps


class SearchEngine(Protocol):
    """What the archive needs from a search index."""

    name: str
    path: Path

    def add(self, docs: Iterable[dict], timeout: float = 30.0) -> list[int]: ...

    def rebuild(self, docs: Iterable[dict], timeout: float = 30.0, **options) -> int: ...

    def search(self, query: str, limit: int = 10, filters: Filters | None = None) -> list[Hit]: ...

    def search_page(self, query: str, limit: int = 10, offset: int = 0,
                    filters: Filters | None = None) -> tuple[int, list[Hit]]: ...

    def ids(self) -> set[int]: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


def _siblings(path: Path, kind: str) -> list[Path]:
    return sorted(path.parent.glob(f".{path.name}.{kind}-*"))


def recover_interrupted_swap(path: Path) -> None:
    """If a rebuild crashed between its two renames, put the old index back."""
    if path.exists():
        return
    olds = _siblings(path, "old")
    if not olds:
        return
    # Another process may be between its two renames right now: give it a moment.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        if path.exists():
            return
        time.sleep(0.05)
    try:
        os.rename(olds[-1], path)
    except OSError:
        pass  # someone else restored or finished the swap


def _choice_file(path: Path) -> Path:
    return path.with_name(path.name + ENGINE_SUFFIX)


def written_by(path: Path) -> str | None:
    """The engine whose files are in the directory ``path``, if any."""
    if (path / "meta.json").exists():
        return "tantivy"
    if any(path.glob("_MAIN_*.toc")):
        return "whoosh"
    if (path / "postgres.json").exists():  # the data is in the database the marker names
        return "postgres"
    return None


def recorded_engine(path: Path) -> str | None:
    """The engine chosen for the index at ``path`` (else the one whose files are there);
    None when there is neither a choice nor an index yet."""
    path = Path(path)
    try:
        return _choice_file(path).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return written_by(path) if path.is_dir() else None
    except OSError as e:
        raise IndexDamaged(f"cannot read {_choice_file(path)}: {e}") from e


def url_file(path: Path) -> Path:
    return path.with_name(path.name + URL_SUFFIX)


def recorded_url(path: Path) -> str | None:
    """The postgres engine's server for the index at ``path``: $SOHOA_SEARCH_URL, else the recorded one."""
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV]
    try:
        return url_file(Path(path)).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
    except OSError as e:
        raise IndexDamaged(f"cannot read {url_file(Path(path))}: {e}") from e


def _record_engine(path: Path, name: str) -> None:
    target = _choice_file(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    tmp.write_text(name + "\n", encoding="ascii")
    os.replace(tmp, target)


def _locked_message(timeout: float) -> str:
    return (
        f"the search index is being written by another sohoa process (waited {timeout:g} s); "
        "try again when it finishes"
    )


def _fsync_append(path: Path, text: str) -> None:
    with open(path, "a", encoding="ascii") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


class IndexBase:
    """Shared behaviour; an engine implements the ``_engine_*`` hooks and its builder."""

    name = "?"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._open_error: str | None = None
        self._stamp = None
        self._recover_interrupted_swap()
        if recorded_engine(self.path) in (None, self.name) and written_by(self.path) is None:
            try:  # a new, empty index; under the writers' lock, as two first commands may race to make it
                with self._write_lock(timeout=30.0):
                    if written_by(self.path) is None:
                        self.path.mkdir(parents=True, exist_ok=True)
                        self._engine_create(self.path)
                        if not _choice_file(self.path).exists():
                            _record_engine(self.path, self.name)
            except OSError as e:
                raise IndexDamaged(f"cannot create the search index in {self.path}: {e}") from e
        self._open()

    # ----------------------------------------------------------------- opening

    def _open(self) -> None:
        self._engine_close()
        found = written_by(self.path)
        if found != self.name:
            self._open_error = f"it was written by {found or 'nothing'}, not {self.name}"
            return
        try:
            self._engine_open()
            self._open_error = None
            self._stamp = self._current_stamp()
        except Exception as e:  # damaged files, schema classes renamed...: rebuild fixes it
            self._engine_close()
            self._open_error = f"{type(e).__name__}: {e}"

    def _require(self) -> None:
        if self._open_error is not None:
            raise IndexDamaged(
                f"the search index in {self.path} cannot be opened ({self._open_error}); "
                "rebuild it from the catalog"
            )

    def _current_stamp(self):
        """Changes when the directory is swapped or another writer commits."""
        try:
            return (os.stat(self.path).st_ino, self._engine_version())
        except OSError:
            return None

    def _refresh(self) -> None:
        """Reopen after a swap, refresh the reader after a commit; cheap when nothing changed."""
        stamp = self._current_stamp()
        if stamp == self._stamp and self._open_error is None:
            return
        if self._stamp is None or stamp is None or stamp[0] != self._stamp[0] or self._open_error:
            self._recover_interrupted_swap()
            self._open()
        else:
            self._engine_reload()
            self._stamp = stamp

    def _siblings(self, kind: str) -> list[Path]:
        return _siblings(self.path, kind)

    def _recover_interrupted_swap(self) -> None:
        recover_interrupted_swap(self.path)

    # ----------------------------------------------------------------- writing

    @contextmanager
    def _write_lock(self, timeout: float):
        """The archive's index write lock, or IndexLocked after ``timeout`` seconds."""
        lock_path = self.path.parent / f".{self.path.name}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise IndexLocked(_locked_message(timeout)) from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # releases the lock

    def add(self, docs: Iterable[dict], timeout: float = 30.0) -> list[int]:
        """Add or replace documents (by ``id``); one commit. Returns the ids written."""
        batch = {}
        for doc in docs:  # last occurrence of each id wins
            p = prepare(doc)
            batch[p["id"]] = p
        if not batch:
            return []
        with self._lock, self._write_lock(timeout):
            self._refresh()
            self._require()
            builder = self._engine_builder(self.path, fresh=False, bulk=False)
            try:
                for p in batch.values():
                    builder.add(p, replace=True)
                builder.commit()
            except BaseException:
                builder.abort()
                raise
            builder.finish()
            self._refresh()
        return list(batch)

    def rebuild(self, docs: Iterable[dict], timeout: float = 30.0, chunk: int = BUILD_CHUNK,
                on_progress: Callable[[int, int], None] | None = None,
                before_swap: Callable[[], None] | None = None) -> int:
        """Replace the whole index by ``docs``; returns how many documents it now holds.

        The new index is built beside the old one (``.index.new``) in commits of ``chunk``
        documents and renamed into place, so searches keep working meanwhile and a crash
        leaves the old index untouched. A build that was killed resumes where its last
        commit ended: documents already in it with the same content are skipped.
        ``on_progress(read, skipped)`` is called after each commit, ``before_swap()`` between
        the two renames (where tests kill a rebuild). Works even when the old index is damaged
        or written by another engine.
        """
        build = self.path.parent / f".{self.path.name}.new"
        with self._lock, self._write_lock(timeout):
            self._recover_interrupted_swap()
            for stale in self._siblings("new"):  # left by older versions of this code
                self._remove_dir(stale)
            count = self._build(build, docs, chunk, on_progress)
            _record_engine(self.path, self.name)
            self._engine_close()
            old = self.path.parent / f".{self.path.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            if self.path.exists():
                os.rename(self.path, old)
            if before_swap:
                before_swap()
            try:
                os.rename(build, self.path)
            except BaseException:
                if old.exists():
                    os.rename(old, self.path)
                raise
            self._remove_dir(old)
            (self.path / PROGRESS_FILE).unlink(missing_ok=True)
            (self.path / PENDING_FILE).unlink(missing_ok=True)
            self._open()
            return count

    def _build(self, build: Path, docs: Iterable[dict], chunk: int, on_progress) -> int:
        done: dict[int, str] = {}
        progress, pending_file = build / PROGRESS_FILE, build / PENDING_FILE
        if written_by(build) == self.name and progress.exists():  # resume
            for line in progress.read_text(encoding="ascii").splitlines():
                doc_id, _, doc_digest = line.partition(" ")
                done[int(doc_id)] = doc_digest
            builder = self._engine_builder(build, fresh=False, bulk=True)
            if pending_file.exists():  # a chunk that was being committed: maybe it was
                for line in pending_file.read_text(encoding="ascii").splitlines():
                    builder.delete(int(line.partition(" ")[0]))
        else:
            self._remove_dir(build)
            build.mkdir(parents=True)
            builder = self._engine_builder(build, fresh=True, bulk=True)
            progress.touch()
        seen: set[int] = set()
        pending: list[str] = []  # progress lines of the uncommitted chunk
        pending_ids: set[int] = set()
        read = skipped = 0

        def commit():
            # The chunk's ids are on disk before the commit, so a resume knows which ids
            # may be in the index without a progress line.
            pending_file.write_text("".join(pending), encoding="ascii")
            builder.commit()
            if pending:
                _fsync_append(progress, "".join(pending))
            pending_file.unlink()
            pending.clear()
            pending_ids.clear()
            if on_progress:
                on_progress(read, skipped)

        try:
            for doc in docs:
                p = prepare(doc)
                d = digest(p)
                read += 1
                if p["id"] not in seen and done.get(p["id"]) == d:
                    skipped += 1
                else:
                    if p["id"] in pending_ids:  # same id twice in one chunk: commit the first
                        commit()
                    builder.add(p, replace=p["id"] in done or p["id"] in seen)
                    pending.append(f"{p['id']} {d}\n")
                    pending_ids.add(p["id"])
                    if len(pending) >= chunk:
                        commit()
                seen.add(p["id"])
            for gone in set(done) - seen:  # removed from the catalog since the killed build
                builder.delete(gone)
            commit()
            builder.finish()
        except BaseException:
            builder.abort()
            raise
        return len(seen)

    def _remove_dir(self, path: Path) -> None:
        """Delete an index directory no longer used, with what an engine keeps elsewhere for it."""
        if written_by(path) == "postgres":  # whichever engine replaces it: its tables go with it
            try:
                from .postgres_tables import drop_tables

                drop_tables(path, getattr(self, "url", None) or recorded_url(self.path))
            except Exception:
                pass  # what cannot be dropped now stays behind; the directory goes all the same
        shutil.rmtree(path, ignore_errors=True)

    # ----------------------------------------------------------------- reading

    def search(self, query: str, limit: int = 10, filters: Filters | None = None) -> list[Hit]:
        """Search text and metadata; diacritic-insensitive, exact spellings ranked first.

        See :mod:`index.query` for the syntax. ``filters`` restrict by dates and validity.
        """
        return self.search_page(query, limit=limit, filters=filters)[1]

    def search_page(self, query: str, limit: int = 10, offset: int = 0,
                    filters: Filters | None = None) -> tuple[int, list[Hit]]:
        """How many papers match in all, and the hits from `offset` on (best first), as `search`."""
        parsed = parse(query or "")
        if limit < 1:
            return 0, []
        found, total = self._ranked(parsed, filters or Filters(), offset + limit)
        return total, [make_hit(stored, score, parsed) for stored, score in found[offset:]]

    def ranked(self, query: str, filters: Filters | None = None) -> list[tuple[int, float]]:
        """(id, score) of every paper matching, in `search_page`'s order, without making hits
        (snippets and matched fields cost more than the search): for a caller that filters the
        matches itself. An engine's first `limit` matches are these only when `limit` ends a run
        of equal scores (which of the tied ones an engine keeps is its own)."""
        found, total = self._ranked(parse(query or ""), filters or Filters(), None)
        return [(int(stored["id"]), score) for stored, score in found]

    def _ranked(self, parsed, filters: Filters, limit: int | None) -> tuple[list[tuple[dict, float]], int]:
        """The engine's (stored, score) of the first `limit` matches (None: all), best first, and the total."""
        if not (parsed.groups or parsed.excluded or filters):
            return [], 0
        with self._lock:
            for attempt in (1, 2):
                self._refresh()
                self._require()
                try:
                    if limit is None:
                        limit = max(self._engine_count(), 1)
                    found, total = self._engine_search(parsed, filters, limit)
                    break
                except OSError:
                    # A rebuild elsewhere removed files under an old reader: reopen once.
                    if attempt == 2:
                        raise
                    self._recover_interrupted_swap()
                    self._open()
        found.sort(key=lambda f: (-f[1], f[0]["id"]))  # ties in id order, whichever the engine
        return found, total

    def count(self) -> int:
        with self._lock:
            self._refresh()
            self._require()
            return self._engine_count()

    def ids(self) -> set[int]:
        with self._lock:
            self._refresh()
            self._require()
            return self._engine_ids()

    # ----------------------------------------------------------------- closing

    def close(self) -> None:
        with self._lock:
            self._engine_close()
            self._open_error = "closed"

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- engine hooks

    def _engine_create(self, path: Path) -> None:
        raise NotImplementedError

    def _engine_open(self) -> None:
        raise NotImplementedError

    def _engine_version(self):
        raise NotImplementedError

    def _engine_reload(self) -> None:
        raise NotImplementedError

    def _engine_close(self) -> None:
        raise NotImplementedError

    def _engine_builder(self, path: Path, fresh: bool, bulk: bool):
        """(``bulk``: for a rebuild rather than a few documents.) An object with add(prepared, replace), delete(id), commit(), finish() and abort()
        (which releases what it holds, leaving the committed chunks for a resume)."""
        raise NotImplementedError

    def _engine_search(self, query: Query, filters: Filters, limit: int) -> tuple[list[tuple[dict, float]], int]:
        """The best `limit` (stored document, score) and how many documents match in all."""
        raise NotImplementedError

    def _engine_count(self) -> int:
        raise NotImplementedError

    def _engine_ids(self) -> set[int]:
        raise NotImplementedError
