"""The Whoosh engine (pure Python; the default).

Every text group of :mod:`index.documents` is a pair of fields analysed as typed and folded
(see :mod:`index.analysis`); queries are built directly from the parsed :class:`Query`,
never through Whoosh's own parser, so the tantivy engine can build the very same question.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.fields import BOOLEAN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .analysis import VietnameseAnalyzer, edits_within_one
from .documents import GROUPS
from .base import IndexBase
from .query import EXACT_BOOST, FUZZY_SCORE, ID_BOOST, Clause, Filters, Query, day_number

INDEX_NAME = "MAIN"  # Whoosh's default index name: files are _MAIN_<gen>.toc

WRITER_MB = 256  # Whoosh's in-memory posting pool per writer before it spills to disk

_EXACT = VietnameseAnalyzer(folded=False)
_FOLDED = VietnameseAnalyzer(folded=True)


def make_schema() -> Schema:
    fields = {}
    for group in GROUPS:
        fields[group] = TEXT(analyzer=_EXACT)
        fields[group + "_f"] = TEXT(analyzer=_FOLDED)
    return Schema(
        id=ID(unique=True, stored=True),
        ids=KEYWORD(),
        issued=NUMERIC(int, bits=32),
        expires=NUMERIC(int, bits=32),
        replaced=BOOLEAN(),
        doc=STORED(),
        **fields,
    )


def _fields(p: dict) -> dict:
    """Whoosh field values for a prepared document (None left out)."""
    out = {"id": str(p["id"]), "doc": p["stored"], "replaced": p["replaced"]}
    for group, value in p["groups"].items():
        out[group] = out[group + "_f"] = value
    if p["ids"]:
        out["ids"] = " ".join(p["ids"])
    for key in ("issued", "expires"):
        if p[key] is not None:
            out[key] = p[key]
    return out


def _latest_generation(path: Path) -> int:
    pattern = re.compile(r"^_%s_([0-9]+)\.toc$" % INDEX_NAME)
    gens = [int(m.group(1)) for m in map(pattern.match, os.listdir(path)) if m] if path.is_dir() else []
    return max(gens, default=-1)


class _Builder:
    """Writes documents; ``bulk`` (a rebuild) commits chunks without merging segments and
    merges them all once at the end: a searcher over many segments is several times slower,
    and merging after every chunk rewrites the same postings again and again."""

    def __init__(self, path: Path, fresh: bool, bulk: bool):
        self.bulk = bulk
        if fresh:
            self.ix = whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME)
        else:
            self.ix = whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
        self.writer = None

    def _w(self):
        if self.writer is None:
            self.writer = self.ix.writer(limitmb=WRITER_MB)
        return self.writer

    def add(self, p: dict, replace: bool) -> None:
        (self._w().update_document if replace else self._w().add_document)(**_fields(p))

    def delete(self, doc_id: int) -> None:
        self._w().delete_by_term("id", str(doc_id))

    def commit(self) -> None:
        if self.writer is not None:
            self.writer.commit(merge=not self.bulk)
            self.writer = None

    def finish(self) -> None:
        # Merging re-derives length statistics from Whoosh's one-byte field lengths, which
        # shifts scores a little: a build that fits in one segment is left as it is.
        if self.bulk and len(self.ix._segments()) > 1:
            self.ix.optimize()
        self.ix.close()

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
        self.ix.close()


class WhooshIndex(IndexBase):
    """Full-text and metadata search over digitized papers, stored in a Whoosh directory."""

    name = "whoosh"

    def _engine_create(self, path: Path) -> None:
        whoosh_index.create_in(str(path), make_schema(), indexname=INDEX_NAME)

    def _engine_open(self) -> None:
        self._ix = whoosh_index.open_dir(str(self.path), indexname=INDEX_NAME)
        self._searcher = None

    def _engine_version(self):
        return _latest_generation(self.path)

    def _engine_reload(self) -> None:
        # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps the old reader's segments
        # next to the new ones, so merged-away or replaced documents come back as duplicates.
        self._close_searcher()

    def _close_searcher(self) -> None:
        if getattr(self, "_searcher", None) is not None:
            try:
                self._searcher.close()
            except Exception:
                pass
        self._searcher = None
        self._filter_cache: dict = {}

    def _engine_close(self) -> None:
        self._close_searcher()
        if getattr(self, "_ix", None) is not None:
            self._ix.close()
        self._ix = None

    def _get_searcher(self):
        if self._searcher is None:
            self._searcher = self._ix.searcher()
            self._filter_cache = {}
        return self._searcher

    # ----------------------------------------------------------------- writing

    def _engine_builder(self, path: Path, fresh: bool, bulk: bool) -> _Builder:
        return _Builder(path, fresh, bulk)

    # ----------------------------------------------------------------- reading

    def _clause(self, c: Clause, marked: bool, reader) -> wq.Query:
        if c.field == "id":
            return wq.Term("ids", c.words[0], boost=ID_BOOST)
        subs = []
        for group in ("all",) if c.field is None else (c.field,):
            if c.phrase:
                subs.append(wq.Phrase(group + "_f", list(c.folded)))
                if marked:
                    subs.append(wq.Phrase(group, list(c.words), boost=EXACT_BOOST))
                continue
            subs.append(wq.Term(group + "_f", c.folded[0]))
            if marked:
                subs.append(wq.Term(group, c.words[0], boost=EXACT_BOOST))
            if c.fuzzy or c.slips:
                # The index's own words one edit or one OCR slip away, looked up one by one: far
                # cheaper than FuzzyTerm's walk through the whole vocabulary. The word itself is
                # left out (tantivy's fuzzy query has it): its postings are already walked above.
                near = (edits_within_one(c.folded[0]) if c.fuzzy else set()) | c.slips
                near = [wq.Term(group + "_f", t) for t in sorted(near - {c.folded[0]}) if (group + "_f", t) in reader]
                if near:
                    subs.append(wq.ConstantScoreQuery(wq.Or(near), FUZZY_SCORE))
        if c.field is None and not c.phrase and c.words[0].isdigit():
            subs.append(wq.Term("ids", c.words[0], boost=ID_BOOST))
        return wq.Or(subs)

    def _query(self, q: Query, reader) -> wq.Query:
        groups = [wq.Or([self._clause(c, q.marked, reader) for c in g]) for g in q.groups]
        positive = wq.And(groups) if groups else wq.Every()
        if q.excluded:
            return wq.AndNot(positive, wq.Or([self._clause(c, q.marked, reader) for c in q.excluded]))
        return positive

    def _filter(self, filters: Filters, searcher):
        """The documents the filters allow (a set of document numbers), cached per searcher."""
        if not filters:
            return None
        if filters not in self._filter_cache:
            parts = [wq.NumericRange(name, low, high) for name, low, high in filters.ranges()]
            if filters.valid_on:
                yesterday = day_number(filters.valid_on) - 1  # YYYYMMDD integers sort like dates
                parts += [wq.Not(wq.NumericRange("expires", None, yesterday)),
                          wq.Not(wq.Term("replaced", True))]
            self._filter_cache[filters] = set(searcher.docs_for_query(wq.And([wq.Every(), *parts])))
        return self._filter_cache[filters]

    def _engine_search(self, query: Query, filters: Filters, limit: int) -> tuple[list[tuple[dict, float]], int]:
        searcher = self._get_searcher()
        allowed = self._filter(filters, searcher)
        if allowed is not None and not allowed:
            return [], 0
        results = searcher.search(self._query(query, searcher.reader()), limit=limit, filter=allowed)
        return [(hit.fields()["doc"], hit.score) for hit in results], len(results)

    def _engine_count(self) -> int:
        return self._get_searcher().doc_count()

    def _engine_ids(self) -> set[int]:
        reader = self._get_searcher().reader()
        # From the id terms rather than the stored fields, which hold the whole text;
        # postings skip deleted documents, so a replaced version does not count.
        return {
            int(term.decode("ascii"))
            for term in reader.lexicon("id")
            if reader.postings("id", term).is_active()
        }
