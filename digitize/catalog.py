"""The catalog: the source of truth for records, papers and their links.

Everything else in the archive (the search index) is derived from it and can be rebuilt. All text is
NFC-normalised before it is written. Every read and write goes through one store per aggregate
(interfaces in digitize/storage/, SQLite in digitize/storage/sqlite/); `Catalog` puts them together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from digitize.storage import METADATA_FIELDS, NewPaper, PageInfo, Record, RegisterResult, nfc, now_iso  # noqa: F401
from digitize.storage.sqlite.audit import SqliteAudit
from digitize.storage.sqlite.batches import SqliteBatches
from digitize.storage.sqlite.coverage import SqliteCoverage
from digitize.storage.sqlite.metadata import SqliteMetadata
from digitize.storage.sqlite.papers import SqlitePapers
from digitize.storage.sqlite.records import SqliteRecords
from digitize.storage.sqlite.reuse import SqliteReuse
from digitize.storage.sqlite.schema import SCHEMA_VERSION, SqliteDatabase  # noqa: F401


class Catalog:
    """The catalog: one store per aggregate (digitize/storage/), here on SQLite."""

    def __init__(self, path: Path, wait: float = 30.0):
        self.path = Path(path)
        self.database = SqliteDatabase(self.path, wait)
        self.db = self.database.db  # the SQLite connection, for the SQLite stores and tests
        self.records = SqliteRecords(self.database)
        self.papers = SqlitePapers(self.database)
        self.metadata = SqliteMetadata(self.database)
        self.reuse = SqliteReuse(self.database)
        self.batches = SqliteBatches(self.database)
        self.audit = SqliteAudit(self.database)
        self.coverage = SqliteCoverage(self.database)

    def close(self) -> None:
        self.database.close()

    @property
    def schema_version(self) -> int:
        return self.database.version

    def transaction(self):
        return self.database.transaction()

    # -- records (the calls register, pipeline and tests make) --------------------------
    def upsert_records(self, records: Iterable[Record]) -> tuple[int, int]:
        return self.records.upsert(records)

    def get_record(self, record_code: str) -> Record | None:
        return self.records.get(record_code)

    def component_names(self, record_code: str) -> list[str]:
        return self.records.component_names(record_code)

    def record_codes(self) -> list[str]:
        return self.records.codes()

    # -- papers (the calls pipeline, archive and tests make) -----------------------------
    def paper_id_by_sha(self, sha256: str) -> int | None:
        return self.papers.id_by_sha(sha256)

    def add_paper(self, paper: NewPaper, link: dict | None = None) -> int:
        return self.papers.add(paper, link)

    def attach(self, paper_id: int, record_code: str, component: str | None, is_result: bool,
               user: str, reused: bool = False) -> bool:
        return self.papers.attach(paper_id, record_code, component, is_result, user, reused)

    def get_paper(self, paper_id: int) -> dict | None:
        return self.papers.get(paper_id)

    def index_documents(self, only_unindexed: bool = False) -> Iterator[dict]:
        return self.papers.index_documents(only_unindexed)

    def mark_indexed(self, paper_ids: Iterable[int], indexed: bool = True) -> None:
        self.papers.mark_indexed(paper_ids, indexed)

    def mark_all_unindexed(self) -> None:
        self.papers.mark_stale()
