"""The catalog: the source of truth for records, papers and their links.

Everything else in the archive (the search index) is derived from it and can be rebuilt. All text is
NFC-normalised before it is written. Every read and write goes through one store per aggregate
(interfaces in digitize/storage/, SQLite in digitize/storage/sqlite/); `Catalog` puts them together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from digitize.errors import NotFound
from digitize.storage import (  # noqa: F401 (values callers import from here)
    METADATA_FIELDS, Accounts, Audit, Batches, Coverage, Database, Metadata, NewPaper, PageInfo, Papers, Record, Records,
    RegisterResult, Reuse, Signatures, Jobs, nfc, now_iso, without_password)
from digitize.storage.sqlite.accounts import SqliteAccounts
from digitize.storage.sqlite.audit import SqliteAudit
from digitize.storage.sqlite.batches import SqliteBatches
from digitize.storage.sqlite.coverage import SqliteCoverage
from digitize.storage.sqlite.metadata import SqliteMetadata
from digitize.storage.sqlite.papers import SqlitePapers
from digitize.storage.sqlite.records import SqliteRecords
from digitize.storage.sqlite.reuse import SqliteReuse
from digitize.storage.sqlite.signatures import SqliteSignatures
from digitize.storage.sqlite.jobs import SqliteJobs
from digitize.storage.sqlite.schema import SCHEMA_VERSION, SqliteDatabase  # noqa: F401

SQLITE_STORES = {"records": SqliteRecords, "papers": SqlitePapers, "metadata": SqliteMetadata, "reuse": SqliteReuse,
                 "batches": SqliteBatches, "audit": SqliteAudit, "coverage": SqliteCoverage,
                 "accounts": SqliteAccounts, "signatures": SqliteSignatures, "jobs": SqliteJobs}


class Catalog:
    """The catalog's stores, one per aggregate, on one SQLite file or a PostgreSQL database (`url`);
    domain modules use only their interfaces (digitize/storage/) and `transaction()`. The methods
    below the stores are the calls made before the stores existed (pipeline, archive, tests)."""

    def __init__(self, path: Path, wait: float = 30.0, read_only: bool = False, url: str | None = None):
        """`path`: the SQLite file, or where it would be (its folder is the archive) when `url` names
        a PostgreSQL catalog (postgresql://USER@HOST/DB) instead."""
        self.path = Path(path)
        self.read_only = read_only
        self.url = url
        if url:
            from digitize.storage import postgres  # psycopg is an extra: imported only when used

            database, stores = postgres.open_database(url, wait), postgres.STORES
        else:
            database, stores = SqliteDatabase(self.path, wait, read_only), SQLITE_STORES
        self.database: Database = database
        self.db = database.db  # the backend's connection, for tests
        self.records: Records = stores["records"](database)
        self.papers: Papers = stores["papers"](database)
        self.metadata: Metadata = stores["metadata"](database)
        self.reuse: Reuse = stores["reuse"](database)
        self.batches: Batches = stores["batches"](database)
        self.audit: Audit = stores["audit"](database)
        self.coverage: Coverage = stores["coverage"](database)
        self.accounts: Accounts = stores["accounts"](database)
        self.signatures: Signatures = stores["signatures"](database)
        self.jobs: Jobs = stores["jobs"](database)

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

    def require_paper(self, paper_id: int) -> None:
        """NotFound unless the paper exists: what every action on one paper checks first."""
        if not self.papers.exists(paper_id):
            raise NotFound("no paper {paper} in this archive; find ids with sohoa search", paper=paper_id)

    def index_documents(self, only_unindexed: bool = False) -> Iterator[dict]:
        return self.papers.index_documents(only_unindexed)

    def mark_indexed(self, paper_ids: Iterable[int], indexed: bool = True) -> None:
        self.papers.mark_indexed(paper_ids, indexed)

    def mark_all_unindexed(self) -> None:
        self.papers.mark_stale()
