"""The PostgreSQL engine (psycopg 3; optional extra `postgresql`): the index in tables of a database.

Same groups and the same queries as the other engines (see whoosh_engine.py). Words are cut
by Python (``\\w+``, lower case, NFC, exactly what the other engines index) and handed to
PostgreSQL joined by spaces, so its parser meets nothing but plain words; each group is then a
pair of tsvectors: ``to_tsvector('vi', …)`` — the ``vi`` configuration, ``unaccent`` then
``simple``: folded, no stemming, no stop words — and ``to_tsvector('simple', …)`` as typed, for
exact spellings. The vectors are made in Python as tsvector literals (the same words, positions
and folding as ``to_tsvector('vi' | 'simple')`` give, several times cheaper than PostgreSQL's
parser and ``unaccent`` on every word of a rebuild) and queries are tsquery literals of the same
words. The text's folded vector is also kept without positions (``m_all``, small enough to stay
in the row): it is what matches, its GIN index what finds; the one with positions only ranks.
GIN indexes on the matching vectors, the exact text vector (exact spellings first) and the IDs;
citizen IDs are an exact ``text[]`` column, dates YYYYMMDD integers. One-edit and OCR-slip neighbours of a word are found in a vocabulary table
of the folded words (a ``pg_trgm`` GIN index finds the close ones, Python keeps those within
one edit), then searched like any word, for a constant score below real matches.

A query matching more than ``RANKED`` papers is not ranked whole (ranking unpacks each paper's
text vector): its best hits are those of a bounded candidate set — the first ``RANKED`` matches
in table order, plus as many of those with the query's exact spellings, its citizen IDs, or all
its words in one metadata field (name, type, code…). Its total is counted up to ``CANDIDATES``;
above, it is estimated from how far into the table those first matches reached (an
:class:`~index.hits.Estimate`, ``total_estimated`` in the API).

The index directory (ARCHIVE/index) holds only ``postgres.json``, naming the table its data is
in, so building, swapping, resuming and the writers' lock are those of :mod:`index.base`: a
rebuild fills a new table and the rename of the directory is the switch. The server's URL is
recorded beside the directory (``index.search-url``, never with a password: libpq takes that
from PGPASSWORD or ~/.pgpass); ``SOHOA_SEARCH_URL`` overrides it.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from .analysis import fold_word, within_one_edit, words
from .base import URL_ENV, IndexBase, recorded_url, url_file
from .postgres_tables import MARKER, connect, table_of, without_password
from .documents import GROUPS
from .errors import IndexDamaged, SearchUnavailable
from .hits import Estimate
from .query import EXACT_BOOST, FUZZY_SCORE, ID_BOOST, Clause, Filters, day_number
from .query import Query as Parsed

RANK_SCALE = 10.0  # ts_rank of one plain occurrence is ~0.06: scaled, any real match is above FUZZY_SCORE
GROUP_COLUMNS = {g: i for i, g in enumerate(GROUPS)}  # group -> its number in the vocabulary table
CANDIDATES = 1000  # matches counted at most; above, the total is an estimate
RANKED = 200  # matches ranked at most a tier (ranking unpacks the text's vector: ~10-50 µs a paper)
MAX_POS, MAX_POSITIONS = 16383, 256  # a tsvector's highest position, positions kept per word (as to_tsvector)
META_GROUPS = [g for g in GROUPS if g != "all"]  # the small vectors of metadata fields
# Columns in table order: the folded and exact vector of each group, the text's folded words without positions.
VECTORS = [p + g for g in GROUPS for p in ("f_", "e_")] + ["m_all"]
COLUMNS = ["id", *VECTORS, "ids", "issued", "expires", "replaced", "doc"]
INDEXED = [c for c in VECTORS if c.startswith("f_") and c != "f_all"] + ["m_all", "e_all", "ids"]

_SETUP = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'vi') THEN
    CREATE TEXT SEARCH CONFIGURATION vi (COPY = simple);
    ALTER TEXT SEARCH CONFIGURATION vi ALTER MAPPING FOR asciiword, word, numword, asciihword, hword,
      numhword, hword_asciipart, hword_part, hword_numpart WITH unaccent, simple;
  END IF;
END $$;
"""


def create_indexes(db: psycopg.Connection, table: str) -> None:
    """The GIN indexes of an index's tables (those not made yet): one per vector, the IDs, the words' trigrams."""
    t = sql.Identifier(table)
    for column in INDEXED:
        db.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin ({})").format(
            sql.Identifier(f"{table}_{column}"), t, sql.Identifier(column)))
    db.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING gin (word gin_trgm_ops)").format(
        sql.Identifier(f"{table}_trgm"), sql.Identifier(table + "_words")))


def _tsvector(ws: list[str], positions: bool = True) -> str:
    """A tsvector literal of ``ws`` as ``to_tsvector`` of them joined by spaces gives it (positions
    from 1, at most MAX_POS, MAX_POSITIONS a word). Words are ``\\w+`` matches: no quote or
    backslash to escape in a literal."""
    found: dict[str, list[int]] = {}
    for i, w in enumerate(ws, 1):
        at = found.setdefault(w, [])
        if len(at) < MAX_POSITIONS:
            at.append(min(i, MAX_POS))
    if not positions:
        return " ".join(f"'{w}'" for w in found)
    return " ".join(f"'{w}':{','.join(map(str, at))}" for w, at in found.items())


def _lexeme(word: str) -> str:
    """A word as a tsquery literal's lexeme (quoted: taken as it is, as the vectors were made)."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


class _Builder:
    """Writes a chunk with COPY: the vectors are made here. A fresh rebuild's rows go straight into
    the table; rows that may replace others go through a temporary table and one upsert."""

    def __init__(self, url: str, table: str, bulk: bool):
        self.bulk = bulk
        self.db = connect(url, autocommit=False)
        self.table = table
        self.t = sql.Identifier(table)
        self.db.execute(sql.SQL("CREATE TEMP TABLE stage (LIKE {}) ON COMMIT DELETE ROWS").format(self.t))
        self.db.execute("CREATE TEMP TABLE stage_words (grp smallint, word text) ON COMMIT DELETE ROWS")
        self.rows: list[tuple] = []
        self.replacing = not bulk
        self.vocab: set[tuple[int, str]] = set()
        self.deletes: list[int] = []

    def add(self, p: dict, replace: bool) -> None:
        vectors = []
        for g in GROUPS:
            exact = words(p["groups"].get(g) or "")
            folded = [fold_word(w) for w in exact]
            self.vocab.update((GROUP_COLUMNS[g], w) for w in set(folded))
            vectors += [_tsvector(folded), _tsvector(exact)]
            if g == "all":
                stripped = _tsvector(folded, positions=False)
        self.replacing |= replace
        self.rows.append((p["id"], *vectors, stripped, p["ids"], p["issued"], p["expires"], p["replaced"], p["json"]))

    def delete(self, doc_id: int) -> None:
        self._flush()
        self.deletes.append(doc_id)

    def _flush(self) -> None:
        if not self.rows:
            return
        columns = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
        with self.db.cursor() as cur:
            target = sql.Identifier("stage") if self.replacing else self.t
            with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, columns)) as copy:
                for row in self.rows:
                    copy.write_row(row)
            if self.replacing:
                updates = [sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in COLUMNS[1:]]
                cur.execute(sql.SQL("INSERT INTO {t} ({columns}) SELECT DISTINCT ON (id) {columns} FROM stage"
                                    " ORDER BY id ON CONFLICT (id) DO UPDATE SET {updates}").format(
                    t=self.t, columns=columns, updates=sql.SQL(", ").join(updates)))
                cur.execute("TRUNCATE stage")
        self.rows.clear()
        self.replacing = not self.bulk

    def commit(self) -> None:
        self._flush()
        with self.db.cursor() as cur:
            if self.deletes:
                cur.execute(sql.SQL("DELETE FROM {} WHERE id = ANY(%s)").format(self.t), (self.deletes,))
                self.deletes.clear()
            if self.vocab:
                with cur.copy("COPY stage_words (grp, word) FROM STDIN") as copy:
                    for row in self.vocab:
                        copy.write_row(row)
                cur.execute(sql.SQL("INSERT INTO {} SELECT DISTINCT grp, word FROM stage_words ON CONFLICT DO NOTHING")
                            .format(sql.Identifier(self.table + "_words")))
                cur.execute("TRUNCATE stage_words")
                self.vocab.clear()
        self.db.commit()

    def finish(self) -> None:
        if self.bulk:  # a rebuild: its indexes, then the planner's statistics and the visibility map
            self.db.execute("SET maintenance_work_mem = '1GB'")  # a GIN build in memory is several times faster
            create_indexes(self.db, self.table)
            self.db.commit()
            self.db.autocommit = True  # VACUUM runs outside a transaction
            self.db.execute(sql.SQL("VACUUM (ANALYZE) {}").format(self.t))
        self.db.close()

    def abort(self) -> None:
        try:
            self.db.rollback()
        except psycopg.Error:
            pass  # the connection is gone (server stopped): nothing was committed on it anyway
        finally:
            self.db.close()


class PostgresIndex(IndexBase):
    name = "postgres"
    candidates, ranked_at_most = CANDIDATES, RANKED  # per index, so that tests can make them small

    def __init__(self, path: Path, url: str | None = None):
        path = Path(path)
        self.url = url or recorded_url(path)
        if not self.url:
            raise SearchUnavailable(
                f"the search index in {path} is on PostgreSQL and no server is named: give --search-url URL "
                f"(or set {URL_ENV})")
        self._db = None
        super().__init__(path)

    # ----------------------------------------------------------------- tables

    def _conn(self) -> psycopg.Connection:
        if self._db is None or self._db.closed:
            self._db = connect(self.url)
            # A search's plan is simple and its cost estimate high: compiling it (JIT) costs more than it saves.
            self._db.execute("SET jit = off")
            # The bounded search reads the first matches in table order: one process, no parallel workers.
            self._db.execute("SET max_parallel_workers_per_gather = 0")
        return self._db

    def _record_url(self) -> None:
        target = url_file(self.path)
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        tmp.write_text(without_password(self.url) + "\n", encoding="utf-8")
        os.replace(tmp, target)

    def _create_tables(self, path: Path, indexed: bool = True) -> str:
        """New, empty tables for the index directory ``path``; writes its marker; returns the table.
        Not ``indexed``: for a rebuild, which makes its GIN indexes once at the end (several times faster)."""
        table = f"search_{uuid.uuid4().hex[:16]}"
        t = sql.Identifier(table)
        # lz4: a row's vectors are unpacked for every search that ranks it, and lz4 unpacks several times faster
        vectors = sql.SQL(", ").join(sql.SQL("{} tsvector COMPRESSION lz4 NOT NULL DEFAULT ''").format(sql.Identifier(c))
                                     for c in VECTORS)
        db = self._conn()
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(7152015)")  # two first commands may both set the database up
            db.execute(_SETUP)
            db.execute(sql.SQL("CREATE TABLE {t} (id bigint PRIMARY KEY, {vectors}, ids text[] NOT NULL DEFAULT '{{}}',"
                               " issued int, expires int, replaced boolean NOT NULL DEFAULT false, doc text NOT NULL)")
                       .format(t=t, vectors=vectors))
            db.execute(sql.SQL("CREATE TABLE {} (grp smallint, word text, PRIMARY KEY (grp, word))")
                       .format(sql.Identifier(table + "_words")))
            if indexed:
                create_indexes(db, table)
        tmp = path / f".{MARKER}.{os.getpid()}"
        tmp.write_text(json.dumps({"table": table, "url": without_password(self.url)}) + "\n", encoding="utf-8")
        os.replace(tmp, path / MARKER)
        return table

    def _engine_create(self, path: Path) -> None:
        self._create_tables(path)
        self._record_url()

    def _engine_open(self) -> None:
        self.table = table_of(self.path)
        row = self._conn().execute("SELECT to_regclass(%s), (SELECT true FROM pg_attribute WHERE attrelid ="
                                   " to_regclass(%s) AND attname = 'm_all')", (self.table, self.table)).fetchone()
        if row[0] is None:
            raise IndexDamaged(f"table {self.table} is not in the database")
        if not row[1]:
            raise IndexDamaged(f"table {self.table} was made by an older version: rebuild the index (sohoa reindex)")

    def _engine_version(self):
        return 0  # readers see every commit at once: nothing to reload but a swapped directory

    def _engine_reload(self) -> None:
        pass

    def _engine_close(self) -> None:
        self.table = None

    def close(self) -> None:
        super().close()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _engine_builder(self, path: Path, fresh: bool, bulk: bool) -> _Builder:
        if fresh:
            table = self._create_tables(path, indexed=not bulk)
            self._record_url()
        else:
            table = table_of(path)
        return _Builder(self.url, table, bulk)

    # ----------------------------------------------------------------- reading

    def _near(self, c: Clause, group: str) -> list[str]:
        """The indexed folded words of ``group`` one edit (long words) or one OCR slip away from the clause's word."""
        w = c.folded[0]
        words_table = sql.Identifier(self.table + "_words")
        found = set()
        db = self._conn()
        if c.slips:
            found |= {r[0] for r in db.execute(sql.SQL("SELECT word FROM {} WHERE grp = %s AND word = ANY(%s)")
                                               .format(words_table), (GROUP_COLUMNS[group], sorted(c.slips)))}
        if c.fuzzy:
            # One edit changes at most 4 of a word's trigrams each side: the similarity of a word
            # within one edit is at least (n-4)/(n+4), n the word's own trigram count.
            n = len({f"  {w} "[i:i + 3] for i in range(len(w) + 1)})
            limit = max(0.0, (n - 4) / (n + 4) - 0.01)
            db.execute(sql.SQL("SET pg_trgm.similarity_threshold = {}").format(sql.Literal(limit)))
            rows = db.execute(sql.SQL("SELECT word FROM {} WHERE grp = %s AND word %% %s AND length(word) BETWEEN %s AND %s")
                              .format(words_table), (GROUP_COLUMNS[group], w, len(w) - 1, len(w) + 1))
            found |= {r[0] for r in rows if within_one_edit(w, r[0])}
        found.discard(w)
        return sorted(found)

    def _clause(self, c: Clause, marked: bool, ranked: dict, tiers: dict) -> tuple[list[tuple], list[sql.Composable]]:
        """What one clause matches — ("ts", vector column, tsquery text) or ("sql", condition), any of
        them — and its constant scores; what it ranks by is added to ``ranked``: {(config, column): [tsquery text]},
        its candidate tiers to ``tiers`` (see `_tiers`)."""
        if c.field == "id":
            cond = sql.SQL("ids @> ARRAY[{}]::text[]").format(sql.Literal(c.words[0]))
            tiers.setdefault("ids", []).append(cond)
            return [("sql", cond)], [sql.SQL("CASE WHEN {} THEN {} ELSE 0 END").format(cond, sql.Literal(ID_BOOST))]
        group = "all" if c.field is None else c.field
        f = "f_" + group
        m = "m_all" if group == "all" else f  # the vector that matches: the text's has no positions
        op = " <-> " if c.phrase else " & "
        folded = op.join(map(_lexeme, c.folded))
        ranked.setdefault(("vi", f), []).append(folded)
        if marked:
            ranked.setdefault(("simple", "e_" + group), []).append(op.join(map(_lexeme, c.words)))
        if group == "all":
            tiers.setdefault("meta", []).append(folded)
        near = [] if c.phrase else [_lexeme(w) for w in self._near(c, group)]
        if c.phrase and m != f:  # the words anywhere (the index finds them), then side by side (positions)
            matches = [("sql", sql.SQL("({} AND {})").format(_condition(("ts", m, " & ".join(map(_lexeme, c.folded)))),
                                                          _condition(("ts", f, folded))))]
        else:
            matches = [("ts", m, "(" + " | ".join([folded, *near]) + ")")]  # one lookup for the word and its neighbours
        scores = []
        if near:
            scores.append(sql.SQL("CASE WHEN {} THEN {} ELSE 0 END").format(_condition(("ts", m, " | ".join(near))),
                                                                         sql.Literal(FUZZY_SCORE)))
        if c.field is None and not c.phrase and c.words[0].isdigit():
            cond = sql.SQL("ids @> ARRAY[{}]::text[]").format(sql.Literal(c.words[0]))
            tiers.setdefault("ids", []).append(cond)
            matches.append(("sql", cond))
            scores.append(sql.SQL("CASE WHEN {} THEN {} ELSE 0 END").format(cond, sql.Literal(ID_BOOST)))
        return matches, scores

    def _where(self, q: Parsed, filters: Filters) -> tuple[sql.Composable, sql.Composable, list[sql.Composable]]:
        """The conditions a match meets, its score, and the conditions of its candidate tiers."""
        parts, scores, ranked, tiers = [], [], {}, {}
        by_column: dict[str, list[str]] = {}  # groups that are one tsquery on one vector: ANDed in one tsquery
        for g in q.groups:
            matches = []
            for c in g:
                more, constant = self._clause(c, q.marked, ranked, tiers)
                matches += more
                scores += constant
            if all(m[0] == "ts" for m in matches) and len({m[1] for m in matches}) == 1:
                by_column.setdefault(matches[0][1], []).append("(" + " | ".join(m[2] for m in matches) + ")")
            else:
                parts.append(_any([_condition(m) for m in matches]))
        # Each condition on a vector unpacks the row's vector again: one per vector.
        parts[:0] = [_condition(("ts", column, " & ".join(texts))) for column, texts in by_column.items()]
        # One ts_rank per vector for all the words that rank by it, for the same reason. ts_rank averages
        # over the query's words: times their number, each word found counts about as much as one word alone.
        for (config, column), texts in ranked.items():
            weight = RANK_SCALE * (EXACT_BOOST if config == "simple" else 1.0) * len({w for t in texts for w in t.split() if w[0] not in "&<"})
            scores.append(sql.SQL("ts_rank({}, {}::tsquery) * {}").format(
                sql.Identifier(column), sql.Literal(" | ".join(f"({t})" for t in texts)), sql.Literal(weight)))
        if q.excluded:
            excluded = [m for c in q.excluded for m in self._clause(c, q.marked, {}, {})[0]]
            parts.append(sql.SQL("NOT {}").format(_any([_condition(m) for m in excluded])))
        for name, low, high in filters.ranges():
            if low is not None:
                parts.append(sql.SQL("{} >= {}").format(sql.Identifier(name), sql.Literal(low)))
            if high is not None:
                parts.append(sql.SQL("{} <= {}").format(sql.Identifier(name), sql.Literal(high)))
            if low is None and high is None:
                parts.append(sql.SQL("{} IS NOT NULL").format(sql.Identifier(name)))
        if filters.valid_on:
            parts.append(sql.SQL("(expires IS NULL OR expires >= {}) AND NOT replaced")
                         .format(sql.Literal(day_number(filters.valid_on))))
        where = sql.SQL(" AND ").join(parts) if parts else sql.SQL("true")
        score = sql.SQL(" + ").join(scores) if scores else sql.SQL("0")
        return where, score, self._tiers(q, ranked, tiers)

    @staticmethod
    def _tiers(q: Parsed, ranked: dict, tiers: dict) -> list[sql.Composable]:
        """The papers that rank high when a query matches too many to rank them all: those with the
        query's exact spellings (a query typed with marks), its citizen IDs, or — a query of plain
        words — all of them in one metadata field (a name, a type, a code: small, indexed vectors)."""
        out = [_condition(("ts", column, " & ".join(f"({t})" for t in texts)))
               for (config, column), texts in ranked.items() if config == "simple"]
        if tiers.get("ids"):
            out.append(_any(tiers["ids"]))
        if tiers.get("meta") and len(tiers["meta"]) == len(q.groups) and all(len(g) == 1 for g in q.groups):
            words = " & ".join(f"({t})" for t in tiers["meta"])
            out.append(_any([_condition(("ts", "f_" + g, words)) for g in META_GROUPS]))
        return out

    def _engine_search(self, query: Parsed, filters: Filters, limit: int) -> tuple[list[tuple[dict, float]], int]:
        try:
            return self._bounded_search(query, filters, limit)
        except psycopg.errors.UndefinedTable as e:
            raise OSError(f"the index's table went away: {e}") from None  # swapped by a rebuild: reopen

    def _bounded_search(self, query: Parsed, filters: Filters, limit: int) -> tuple[list[tuple[dict, float]], int]:
        """Rank at most ``ranked`` matches a tier, count at most ``candidates``; above, the total is an :class:`Estimate`."""
        where, score, tiers = self._where(query, filters)
        t = sql.Identifier(self.table)
        db = self._conn()
        ranked = max(self.ranked_at_most, limit)
        cap = max(self.candidates, ranked)
        # Without an order, the matches come in table order (one process: no parallel workers),
        # so the last one's block tells how much of the table held the first `cap` + 1. Only the
        # first `ranked` are scored (CASE evaluates its branch only when the row number says so).
        first = db.execute(sql.SQL("SELECT id, CASE WHEN row_number() OVER () <= {r} THEN ({score})::float8 END,"
                                   " block FROM (SELECT (ctid::text::point)[0] AS block, * FROM {t} WHERE {where} LIMIT {n}) c")
                           .format(score=score, t=t, where=where, r=sql.Literal(ranked), n=sql.Literal(cap + 1))).fetchall()
        scored = {i: s for i, s, _ in first if s is not None}
        total: int = len(first)
        if len(first) > cap:
            blocks = db.execute("SELECT pg_relation_size(%s) / current_setting('block_size')::int", (self.table,)).fetchone()[0]
            total = Estimate(max(cap + 1, round((cap + 1) * blocks / (max(b for _, _, b in first) + 1))))
        if len(first) > ranked:
            cap = ranked
            for tier in tiers:
                scored.update(db.execute(sql.SQL("SELECT id, ({score})::float8 FROM {t} WHERE {where} AND {tier} LIMIT {n}")
                                         .format(score=score, t=t, where=where, tier=tier, n=sql.Literal(cap))).fetchall())
        best = sorted(scored.items(), key=lambda f: (-f[1], f[0]))[:limit]
        docs = dict(db.execute(sql.SQL("SELECT id, doc FROM {} WHERE id = ANY(%s)").format(t), ([i for i, _ in best],)))
        return [(json.loads(docs[i]), s) for i, s in best], total

    def _engine_count(self) -> int:
        return self._conn().execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(self.table))).fetchone()[0]

    def _engine_ids(self) -> set[int]:
        return {r[0] for r in self._conn().execute(sql.SQL("SELECT id FROM {}").format(sql.Identifier(self.table)))}


def _condition(match: tuple) -> sql.Composable:
    if match[0] == "sql":
        return match[1]
    return sql.SQL("{} @@ {}::tsquery").format(sql.Identifier(match[1]), sql.Literal(match[2]))


def _any(conds: list[sql.Composable]) -> sql.Composable:
    return conds[0] if len(conds) == 1 else sql.SQL("({})").format(sql.SQL(" OR ").join(conds))
