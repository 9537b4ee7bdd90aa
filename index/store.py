"""The Whoosh search index: schema, writing, rebuilding, queries and highlights.

The index is derived data: everything in it comes from plain dicts handed in by the caller
(the catalog), and it can be rebuilt from them at any time. One writer at a time (Whoosh's
write lock, with a timeout that turns into :class:`~digitize.errors.ArchiveLocked`); readers
never wait for the writer.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from whoosh import index as whoosh_index
from whoosh.fields import BOOLEAN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import (
    FIRST,
    BasicFragmentScorer,
    ContextFragmenter,
    Formatter,
    get_text,
    set_matched_filter,
    top_fragments,
)
from whoosh.index import LockError
from whoosh.qparser import MultifieldParser
from whoosh.query import NullQuery, Term

from digitize.errors import ArchiveError, ArchiveLocked

from .analysis import VietnameseAnalyzer, fold, nfc

__all__ = ["Hit", "SearchIndex", "make_schema"]

INDEX_NAME = "MAIN"  # Whoosh's default index name: files are _MAIN_<gen>.toc, MAIN_WRITELOCK
WRITELOCK = INDEX_NAME + "_WRITELOCK"  # the lock file Whoosh's writer takes

SNIPPET_CHARS = 200  # highlighted snippet budget (plain characters, markers not counted)
LEAD_CHARS = 150  # snippet when only metadata matched

# Query fields and their boosts: exact (with marks) above folded, identifiers above text.
FIELD_BOOSTS = {
    "text": 2.0,
    "text_folded": 1.0,
    "meta": 2.0,
    "meta_folded": 1.0,
    "record_code": 3.0,
    "applicant_id": 3.0,
}

# Metadata that goes into the meta/meta_folded pair (also stored, to tell which one matched).
# The record code is there too, split into its parts, so "H48-220921" or "0099" find it.
META_KEYS = ("applicant_name", "component", "procedure_name", "procedure_code", "agency", "source_name", "record_code")

# Order in which matched field names are reported.
MATCH_ORDER = ("text", "record_code", "applicant_id") + META_KEYS[:-1]

_EXACT = VietnameseAnalyzer(folded=False)
_FOLDED = VietnameseAnalyzer(folded=True)


def make_schema() -> Schema:
    """The index schema (see ARCHITECTURE.md: `index/`)."""
    text_fields = {
        # `text` is stored so snippets can be made from it; the folded twin is not.
        "text": TEXT(analyzer=_EXACT, stored=True),
        "text_folded": TEXT(analyzer=_FOLDED),
        "meta": TEXT(analyzer=_EXACT),
        "meta_folded": TEXT(analyzer=_FOLDED),
    }
    for f in text_fields.values():
        # A query word that splits into several tokens ("H48-220921", "1.001612") must
        # match them side by side, not anywhere in the paper.
        f.multitoken_query = "phrase"
    return Schema(
        id=ID(unique=True, stored=True),
        # One token each (no spaces in codes), lower-cased so the code matches whatever the case.
        record_code=KEYWORD(stored=True, lowercase=True),
        applicant_id=KEYWORD(stored=True),
        is_result=BOOLEAN(stored=True),
        pdf_path=STORED(),
        scanned_at=STORED(),
        applicant_name=STORED(),
        component=STORED(),
        procedure_name=STORED(),
        procedure_code=STORED(),
        agency=STORED(),
        source_name=STORED(),
        **text_fields,
    )


@dataclass
class Hit:
    """One search result."""

    id: int
    score: float
    record_code: str | None
    component: str | None
    source_name: str | None
    pdf_path: str | None
    snippet: str
    matched: list[str] = field(default_factory=list)


class _BoldFormatter(Formatter):
    """Wraps matched words as ``**word**`` (the original text, marks and case kept)."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return "**%s**" % get_text(text, token, replace)


_FORMATTER = _BoldFormatter()


def _locked_message(timeout: float) -> str:
    return (
        f"the search index is being written by another sohoa process (waited {timeout:g} s); "
        "try again when it finishes"
    )


def _clean(value) -> str | None:
    """NFC, stripped string or None."""
    if value is None:
        return None
    s = nfc(str(value)).strip()
    return s or None


def _document(doc: dict) -> dict:
    """Turn a catalog dict into Whoosh field values (unknown keys ignored, None left out)."""
    if doc.get("id") is None:
        raise ValueError("an index document needs an id")
    out: dict = {"id": str(int(doc["id"]))}
    text = nfc(doc.get("text") or "")
    out["text"] = text
    out["text_folded"] = text
    for key in ("applicant_id", "pdf_path", "scanned_at") + META_KEYS:
        value = _clean(doc.get(key))
        if value is not None:
            out[key] = value
    if "applicant_id" in out:
        out["applicant_id"] = "".join(out["applicant_id"].split())
    if doc.get("is_result") is not None:
        out["is_result"] = bool(doc["is_result"])
    # Each value on its own line; the analyzers only see words, so this is cosmetic.
    meta = "\n".join(out[k] for k in META_KEYS if k in out)
    if meta:
        out["meta"] = meta
        out["meta_folded"] = meta
    return out


def _dedupe(docs: Iterable[dict]) -> dict[int, dict]:
    """Last occurrence of each id wins (Whoosh cannot update a document in the same writer)."""
    out: dict[int, dict] = {}
    for doc in docs:
        fields = _document(doc)
        out[int(fields["id"])] = fields
    return out


def _lock_is_current(lock, path: Path) -> bool:
    """True if ``lock`` (a held Whoosh FileLock) is the lock file now inside ``path``.

    A rebuild renames index directories; a process that was waiting on the lock of the
    directory just swapped out must not believe it holds the lock of the new one.
    """
    fd = getattr(lock, "fd", None)
    if fd is None:  # not an fcntl lock (another platform): nothing to compare
        return True
    try:
        held = os.fstat(fd)
        current = os.stat(path / WRITELOCK)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)


# Operators with nothing on one side ("nguyen AND", "OR x") would be searched as words.
_OPS = r"(?:AND|OR|NOT|ANDNOT|ANDMAYBE)"
_DANGLING_OPS = re.compile(rf"^(?:\s*{_OPS}(?=\s|$))+|(?:(?<=\s){_OPS}\s*)+$")


def _without_punctuation(q):
    """Drop terms with no letter or digit ("-", "–", "^"): only the keyword fields keep such
    a token, so with AND between words it would make a query like "Nguyễn - An" find nothing."""

    def drop(node):
        if isinstance(node, Term) and isinstance(node.text, str) and not _WORD.search(node.text):
            return NullQuery
        return node

    return q.accept(drop).normalize()


_WORD = re.compile(r"\w")


def _latest_generation(path: Path) -> int:
    pattern = re.compile(r"^_%s_([0-9]+)\.toc$" % INDEX_NAME)
    gens = [int(m.group(1)) for m in map(pattern.match, os.listdir(path)) if m] if path.is_dir() else []
    return max(gens, default=-1)


class SearchIndex:
    """Full-text and metadata search over digitized papers, stored in a Whoosh directory."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._searcher = None
        self._ix = None
        self._open_error: str | None = None
        self._recover_interrupted_swap()
        if _latest_generation(self.path) < 0:  # no table of contents: a new, empty index
            self.path.mkdir(parents=True, exist_ok=True)
            try:
                whoosh_index.create_in(str(self.path), make_schema(), indexname=INDEX_NAME)
            except OSError as e:
                raise ArchiveError(f"cannot create the search index in {self.path}: {e}") from e
        self._open()

    # ----------------------------------------------------------------- opening

    def _open(self) -> None:
        self._close_searcher()
        try:
            self._ix = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
            self._open_error = None
        except Exception as e:  # damaged files, schema classes renamed...: rebuild fixes it
            self._ix = None
            self._open_error = f"{type(e).__name__}: {e}"
            return
        self._parser = MultifieldParser(list(FIELD_BOOSTS), self._ix.schema, fieldboosts=FIELD_BOOSTS)

    def _require(self):
        if self._ix is None:
            raise ArchiveError(
                f"the search index in {self.path} cannot be opened ({self._open_error}); "
                "rebuild it from the catalog"
            )
        return self._ix

    def _siblings(self, kind: str) -> list[Path]:
        return sorted(self.path.parent.glob(f".{self.path.name}.{kind}-*"))

    def _recover_interrupted_swap(self) -> None:
        """If a rebuild crashed between its two renames, put the old index back."""
        if self.path.exists():
            return
        olds = self._siblings("old")
        if not olds:
            return
        # Another process may be between its two renames right now: give it a moment.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if self.path.exists():
                return
            time.sleep(0.05)
        try:
            os.rename(olds[-1], self.path)
        except OSError:
            pass  # someone else restored or finished the swap

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            try:
                self._searcher.close()
            except Exception:
                pass
            self._searcher = None

    def _get_searcher(self):
        """The cached searcher, replaced only when the index has a newer generation.

        Whoosh's own ``Searcher.refresh()`` is not used: in whoosh-reloaded 2.7.5 it keeps
        the old reader's segments next to the new ones (``FileIndex._reader(reuse=...)``
        extends the segment list), so documents merged away or replaced by a rebuild come
        back as stale duplicates, and it raises TypeError when the old index was empty.
        """
        ix = self._require()
        searcher = self._searcher
        if searcher is not None and searcher.reader().generation() == ix.latest_generation():
            return searcher
        self._close_searcher()
        self._searcher = ix.searcher()
        return self._searcher

    # ----------------------------------------------------------------- writing

    def _writer(self, timeout: float):
        """Whoosh writer on the current index directory, or ArchiveLocked after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            ix = self._require()
            remaining = max(0.0, deadline - time.monotonic())
            try:
                writer = ix.writer(timeout=remaining)
            except LockError:
                raise ArchiveLocked(_locked_message(timeout)) from None
            except FileNotFoundError:
                writer = None  # the directory is being swapped by a rebuild
            if writer is not None:
                if _lock_is_current(getattr(writer, "writelock", None), self.path):
                    return writer
                try:
                    writer.cancel()  # we locked a directory a rebuild just swapped out
                except OSError:
                    pass
            if time.monotonic() >= deadline:
                raise ArchiveLocked(_locked_message(timeout))
            time.sleep(0.05)
            self._recover_interrupted_swap()
            self._open()

    def add(self, docs: Iterable[dict], timeout: float = 30.0) -> list[int]:
        """Add or replace documents (by ``id``); one writer, one commit. Returns the ids written."""
        batch = _dedupe(docs)
        if not batch:
            return []
        with self._lock:
            writer = self._writer(timeout)
            try:
                for fields in batch.values():
                    writer.update_document(**fields)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        return list(batch)

    def rebuild(self, docs: Iterable[dict], timeout: float = 30.0) -> int:
        """Replace the whole index by ``docs``; returns how many documents it now holds.

        The new index is built in a sibling directory and renamed into place, so a crash
        while building leaves the old index untouched and usable. The old index's write
        lock is held throughout, so no other process writes in between. Works even when
        the old index is damaged.
        """
        with self._lock:
            self.path.mkdir(parents=True, exist_ok=True)
            lock = self._acquire_dir_lock(timeout)
            try:
                for stale in self._siblings("new"):  # left by a crashed rebuild
                    shutil.rmtree(stale, ignore_errors=True)
                tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
                new = self.path.parent / f".{self.path.name}.new-{tag}"
                old = self.path.parent / f".{self.path.name}.old-{tag}"
                try:
                    count = self._build(new, docs, _latest_generation(self.path))
                except BaseException:
                    shutil.rmtree(new, ignore_errors=True)
                    raise
                self._close_searcher()
                try:
                    os.rename(self.path, old)
                except BaseException:
                    shutil.rmtree(new, ignore_errors=True)
                    raise
                try:
                    os.rename(new, self.path)
                except BaseException:
                    os.rename(old, self.path)
                    shutil.rmtree(new, ignore_errors=True)
                    raise
            finally:
                lock.release()
            shutil.rmtree(old, ignore_errors=True)
            self._open()
            return count

    def _acquire_dir_lock(self, timeout: float):
        """Take Whoosh's write lock of the directory at ``self.path`` (without opening the index)."""
        deadline = time.monotonic() + timeout
        while True:
            lock = FileStorage(str(self.path)).lock(WRITELOCK)
            try:
                acquired = lock.acquire()
            except FileNotFoundError:  # directory being swapped by another rebuild
                acquired = False
            if acquired:
                if _lock_is_current(lock, self.path):
                    return lock
                lock.release()
            if time.monotonic() >= deadline:
                raise ArchiveLocked(_locked_message(timeout))
            time.sleep(0.1)
            self._recover_interrupted_swap()
            self.path.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _build(new: Path, docs: Iterable[dict], old_generation: int) -> int:
        """Write ``docs`` into a fresh index in ``new``; returns the document count."""
        from whoosh.index import TOC, FileIndex

        new.mkdir(parents=True)
        storage = FileStorage(str(new))
        schema = make_schema()
        # Start the new index at the old one's generation, so its first commit is newer:
        # searchers elsewhere that refresh() compare generations, and must see the change.
        TOC(schema, [], max(old_generation, 0)).write(storage, INDEX_NAME)
        ix = FileIndex(storage, schema=schema, indexname=INDEX_NAME)
        writer = ix.writer()
        seen: set[str] = set()
        try:
            for doc in docs:
                fields = _document(doc)
                if fields["id"] in seen:  # rare: replace a document added by this writer
                    writer.commit()
                    writer = ix.writer()
                    writer.update_document(**fields)
                else:
                    seen.add(fields["id"])
                    writer.add_document(**fields)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        ix.close()
        return len(seen)

    # ----------------------------------------------------------------- reading

    def count(self) -> int:
        with self._lock:
            return self._get_searcher().doc_count()

    def ids(self) -> set[int]:
        with self._lock:
            reader = self._get_searcher().reader()
            # From the id terms rather than the stored fields, which hold the whole text;
            # postings skip deleted documents, so a replaced version does not count.
            return {
                int(term.decode("ascii"))
                for term in reader.lexicon("id")
                if reader.postings("id", term).is_active()
            }

    def _queries(self, text: str):
        """The parsed query, then the same words without any query syntax as a fallback."""
        cleaned = _DANGLING_OPS.sub("", text).strip()
        if cleaned:
            try:
                q = _without_punctuation(self._parser.parse(cleaned))
                if q != NullQuery:
                    yield q
            except Exception:
                pass
        # Lower case so AND/OR/NOT become plain words; drop quotes, colons, brackets...
        words = re.findall(r"\w+", text)
        if words:
            q = _without_punctuation(self._parser.parse(" ".join(w.lower() for w in words)))
            if q != NullQuery:
                yield q

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Search text and metadata; diacritic-insensitive, exact spellings ranked first."""
        text = nfc(query or "").strip()
        if not text or limit < 1:
            return []
        with self._lock:
            for attempt in (1, 2):
                try:
                    return self._search(text, limit)
                except OSError:
                    # A rebuild elsewhere removed files under an old searcher: reopen once.
                    if attempt == 2:
                        raise
                    self._recover_interrupted_swap()
                    self._open()
        return []

    def _search(self, text: str, limit: int) -> list[Hit]:
        searcher = self._get_searcher()
        for q in self._queries(text):
            try:
                results = searcher.search(q, limit=limit, terms=True)
            except OSError:
                raise
            except Exception:
                continue  # a syntax that parses but cannot run: try the plain words
            return [self._hit(h) for h in results]
        return []

    def _hit(self, hit) -> Hit:
        stored = hit.fields()
        terms: dict[str, set[str]] = {}
        for fieldname, term in hit.matched_terms():
            if isinstance(term, bytes):
                term = term.decode("utf-8", "replace")
            terms.setdefault(fieldname, set()).add(term)
        text_terms = {fold(t) for f in ("text", "text_folded") for t in terms.get(f, ())}
        meta_terms = {fold(t) for f in ("meta", "meta_folded") for t in terms.get(f, ())}

        matched = set()
        if text_terms:
            matched.add("text")
        for name in terms:
            if name not in ("text", "text_folded", "meta", "meta_folded"):
                matched.add(name)
        if meta_terms:
            found = False
            for key in META_KEYS:
                value = stored.get(key)
                if value and meta_terms & {t.text for t in _FOLDED(value)}:
                    matched.add(key)
                    found = True
            if not found:
                matched.add("meta")
        order = {name: i for i, name in enumerate(MATCH_ORDER)}

        return Hit(
            id=int(stored["id"]),
            score=float(hit.score or 0.0),
            record_code=stored.get("record_code"),
            component=stored.get("component"),
            source_name=stored.get("source_name"),
            pdf_path=stored.get("pdf_path"),
            snippet=make_snippet(stored.get("text") or "", text_terms),
            matched=sorted(matched, key=lambda n: (order.get(n, len(order)), n)),
        )

    # ----------------------------------------------------------------- closing

    def close(self) -> None:
        with self._lock:
            self._close_searcher()
            if self._ix is not None:
                self._ix.close()
                self._ix = None
                self._open_error = "closed"

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _lead(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + " …"


def make_snippet(text: str, folded_terms: set[str], budget: int = SNIPPET_CHARS) -> str:
    """Up to ~``budget`` characters of ``text`` around the words in ``folded_terms``.

    Matching is done on folded words, so ``dang`` highlights ``**Đặng**``; the original
    spelling is kept in the output. Whitespace is collapsed. Without matches (metadata-only
    hits), the opening of the text is returned.
    """
    flat = " ".join(nfc(text).split())
    if not flat:
        return ""
    if folded_terms:
        tokens = _FOLDED(flat, positions=True, chars=True, mode="query", removestops=False)
        tokens = set_matched_filter(tokens, folded_terms)
        fragmenter = ContextFragmenter(maxchars=budget * 2 // 3, surround=40, charlimit=None)
        fragments = top_fragments(fragmenter.fragment_tokens(flat, tokens), 3, BasicFragmentScorer(), FIRST)
        chosen, used = [], 0
        for frag in fragments:
            size = frag.endchar - frag.startchar
            if chosen and used + size > budget:
                break
            chosen.append(frag)
            used += size
        if chosen:
            body = _FORMATTER.between.join(_FORMATTER.format_fragment(f) for f in chosen)
            if chosen[0].startchar > 0:
                body = "… " + body
            if chosen[-1].endchar < len(flat):
                body = body + " …"
            return body
    return _lead(flat, LEAD_CHARS)
