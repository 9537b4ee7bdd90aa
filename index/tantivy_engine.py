"""The tantivy engine (Rust, via the official tantivy-py bindings; optional extra `tantivy`).

Same fields and the same queries as the Whoosh engine (see whoosh_engine.py). The analyzers
are tantivy's own: ``\\w+`` words, lower case, and for the folded twin ``ascii_fold``, which
strips Vietnamese tone and vowel marks and maps đ to d on NFC text (documents and queries
are NFC-normalised before they get here) — the same words :func:`index.analysis.fold` makes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from .analysis import WORD_PATTERN
from .documents import GROUPS
from .base import IndexBase
from .query import EXACT_BOOST, FUZZY_SCORE, ID_BOOST, Clause, Filters, day_number
from .query import Query as Parsed

WRITER_HEAP = 256_000_000  # bytes, shared by the writer threads; a commit happens when full
EXACT, FOLDED = "vi", "vi_fold"


def _analyzers():
    def words():
        return TextAnalyzerBuilder(Tokenizer.regex(WORD_PATTERN)).filter(Filter.lowercase())

    return {EXACT: words().build(), FOLDED: words().filter(Filter.ascii_fold()).build()}


def make_schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_unsigned_field("id", indexed=True, fast=True)
    for group in GROUPS:
        b.add_text_field(group, tokenizer_name=EXACT)
        b.add_text_field(group + "_f", tokenizer_name=FOLDED)
    b.add_text_field("ids", tokenizer_name="raw")
    b.add_integer_field("issued", indexed=True, fast=True)
    b.add_integer_field("expires", indexed=True, fast=True)
    b.add_boolean_field("replaced", indexed=True, fast=True)
    b.add_bytes_field("doc", stored=True)  # the stored fields hits are made from, as JSON
    return b.build()


_SCHEMA = make_schema()


def _open(path: Path) -> tantivy.Index:
    index = tantivy.Index(_SCHEMA, path=str(path), reuse=True)
    for name, analyzer in _analyzers().items():
        index.register_tokenizer(name, analyzer)
    return index


def _document(p: dict) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_unsigned("id", p["id"])
    for group, value in p["groups"].items():
        doc.add_text(group, value)
        doc.add_text(group + "_f", value)
    for value in p["ids"]:
        doc.add_text("ids", value)
    for key in ("issued", "expires"):
        if p[key] is not None:
            doc.add_integer(key, p[key])
    doc.add_boolean("replaced", p["replaced"])
    doc.add_bytes("doc", p["json"].encode())
    return doc


class _Builder:
    def __init__(self, path: Path, fresh: bool):
        self.index = _open(path)
        self.writer = self.index.writer(WRITER_HEAP)

    def add(self, p: dict, replace: bool) -> None:
        if replace:
            self.delete(p["id"])  # applies to documents added before it only
        self.writer.add_document(_document(p))

    def delete(self, doc_id: int) -> None:
        # Not delete_documents_by_term: it makes a signed term, which never matches the u64 id.
        self.writer.delete_documents_by_query(Query.term_query(_SCHEMA, "id", doc_id))

    def commit(self) -> None:
        self.writer.commit()

    def finish(self) -> None:
        self.writer.wait_merging_threads()  # also releases tantivy's own writer lock
        self.writer = None

    def abort(self) -> None:
        try:
            self.writer.rollback()
            self.writer.wait_merging_threads()
        finally:
            self.writer = None


class TantivyIndex(IndexBase):
    name = "tantivy"
    _copy: tempfile.TemporaryDirectory | None = None  # what a read-only archive's index is read from

    def _engine_create(self, path: Path) -> None:
        _open(path)

    def _engine_open(self) -> None:
        path = self.path
        if not os.access(path, os.W_OK):
            # tantivy's readers lock a file in the index, which a read-only archive cannot give them:
            # they read a private copy (the index is derived; nothing is written back).
            self._copy = tempfile.TemporaryDirectory(prefix="sohoa-index-")
            path = shutil.copytree(path, Path(self._copy.name) / "index")
        self._index = _open(path)
        self._index.config_reader(reload_policy="Manual")  # reloaded when meta.json changes

    def _engine_version(self):
        st = os.stat(self.path / "meta.json")  # replaced atomically by every commit
        return (st.st_ino, st.st_mtime_ns)

    def _engine_reload(self) -> None:
        self._index.reload()

    def _engine_close(self) -> None:
        self._index = None
        if self._copy is not None:
            self._copy.cleanup()
            self._copy = None

    def _engine_builder(self, path: Path, fresh: bool, bulk: bool) -> _Builder:
        return _Builder(path, fresh)

    # ----------------------------------------------------------------- reading

    def _clause(self, c: Clause, marked: bool) -> Query:
        if c.field == "id":
            return Query.boost_query(Query.term_query(_SCHEMA, "ids", c.words[0]), ID_BOOST)
        subs = []
        for group in ("all",) if c.field is None else (c.field,):
            if c.phrase:
                subs.append(Query.phrase_query(_SCHEMA, group + "_f", list(c.folded)))
                if marked:
                    subs.append(Query.boost_query(Query.phrase_query(_SCHEMA, group, list(c.words)), EXACT_BOOST))
                continue
            subs.append(Query.term_query(_SCHEMA, group + "_f", c.folded[0]))
            if marked:
                subs.append(Query.boost_query(Query.term_query(_SCHEMA, group, c.words[0]), EXACT_BOOST))
            near = [Query.term_query(_SCHEMA, group + "_f", slip) for slip in sorted(c.slips)]
            if c.fuzzy:
                near.append(Query.fuzzy_term_query(_SCHEMA, group + "_f", c.folded[0], distance=1,
                                                   transposition_cost_one=True, prefix=False))
            if near:
                subs.append(Query.const_score_query(_any(near), FUZZY_SCORE))
        if c.field is None and not c.phrase and c.words[0].isdigit():
            subs.append(Query.boost_query(Query.term_query(_SCHEMA, "ids", c.words[0]), ID_BOOST))
        return _any(subs)

    def _query(self, q: Parsed, filters: Filters) -> Query:
        must = [_any([self._clause(c, q.marked) for c in g]) for g in q.groups] or [Query.all_query()]
        clauses = [(Occur.Must, m) for m in must]
        clauses += [(Occur.MustNot, self._clause(c, q.marked)) for c in q.excluded]
        # Filters score nothing (a constant 0), so they leave the ranking as Whoosh's are.
        for name, low, high in filters.ranges():
            clauses.append((Occur.Must, Query.const_score_query(_range(name, low, high), 0.0)))
        if filters.valid_on:
            clauses.append((Occur.MustNot, _range("expires", None, day_number(filters.valid_on) - 1)))
            clauses.append((Occur.MustNot, Query.term_query(_SCHEMA, "replaced", True)))
        return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)

    def _engine_search(self, query: Parsed, filters: Filters, limit: int) -> tuple[list[tuple[dict, float]], int]:
        searcher = self._index.searcher()
        result = searcher.search(self._query(query, filters), limit=limit, count=True)
        return [(json.loads(searcher.doc(addr).get_first("doc")), score) for score, addr in result.hits], result.count

    def _engine_count(self) -> int:
        return self._index.searcher().num_docs

    def _engine_ids(self) -> set[int]:
        searcher = self._index.searcher()
        if not searcher.num_docs:
            return set()
        hits = searcher.search(Query.all_query(), limit=searcher.num_docs, count=False).hits
        return set(searcher.fast_field_values("id", [addr for _, addr in hits]))


def _any(subs: list[Query]) -> Query:
    return subs[0] if len(subs) == 1 else Query.boolean_query([(Occur.Should, s) for s in subs])


def _range(name: str, low: int | None, high: int | None) -> Query:
    return Query.range_query(_SCHEMA, name, tantivy.FieldType.Integer, lower_bound=low, upper_bound=high)
