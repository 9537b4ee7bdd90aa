"""The catalog: SQLite, the source of truth for records, papers and their links.

Everything else in the archive (the search index) is derived from it and can be rebuilt.
All text is NFC-normalised before it is written here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from digitize.storage import METADATA_FIELDS, NewPaper, PageInfo, Record, RegisterResult, nfc, now_iso  # noqa: F401
from digitize.storage.records import result_pending
from digitize.storage.sqlite.papers import SqlitePapers
from digitize.storage.sqlite.schema import SCHEMA_VERSION, SqliteDatabase  # noqa: F401


class Catalog:
    """The catalog: one store per aggregate (digitize/storage/), here on SQLite."""

    def __init__(self, path: Path, wait: float = 30.0):
        self.path = Path(path)
        self.database = SqliteDatabase(self.path, wait)
        self.db = self.database.db  # the SQLite connection, for the SQLite stores and tests
        self.papers = SqlitePapers(self.database)

    def close(self) -> None:
        self.database.close()

    @property
    def schema_version(self) -> int:
        return self.database.version

    def transaction(self):
        return self.database.transaction()

    # -- records ----------------------------------------------------------------------
    def upsert_records(self, records: Iterable[Record]) -> tuple[int, int]:
        """Insert or update records by record code in one transaction; returns (new, updated).

        Set-wise (executemany) rather than record by record: a million records import in about a
        minute. The register's component list is authoritative: components it no longer names go,
        attachments of the names it keeps stay.
        """
        records = list(records)
        stamp = now_iso()
        # Big imports touch index pages all over: a roomy page cache (allocated only as used) keeps
        # them in memory; SQLite's default 2 MB made a million-record import three times slower.
        cache = self.db.execute("PRAGMA cache_size").fetchone()[0]
        self.db.execute("PRAGMA cache_size = -1000000")
        try:
            return self._upsert_records(records, stamp)
        finally:
            self.db.execute(f"PRAGMA cache_size = {int(cache)}")

    def _upsert_records(self, records: list[Record], stamp: str) -> tuple[int, int]:
        with self.transaction():
            existing = set()
            codes = [r.record_code for r in records]
            for i in range(0, len(codes), 500):
                chunk = codes[i:i + 500]
                existing.update(c for (c,) in self.db.execute(
                    f"SELECT record_code FROM records WHERE record_code IN ({','.join('?' * len(chunk))})", chunk))
            columns = ("procedure_code", "procedure_name", "agency", "channel", "received_date", "due_date",
                       "applicant_name", "applicant_id", "requires_paper_result", "updated_at")
            with_results = ("resolved_date", "result_pending")

            def upsert_sql(cols):
                return (f"INSERT INTO records (record_code, {', '.join(cols)}) VALUES ({','.join('?' * (len(cols) + 1))}) "
                        f"ON CONFLICT (record_code) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols)}")

            def values(r):
                return (r.record_code, nfc(r.procedure_code), nfc(r.procedure_name), nfc(r.agency), r.channel,
                        r.received_date, r.due_date, nfc(r.applicant_name), r.applicant_id,
                        int(r.requires_paper_result), stamp)

            self.db.executemany(upsert_sql(columns), (values(r) for r in records if r.results is None))
            self.db.executemany(upsert_sql(columns + with_results), (
                (*values(r), r.resolved_date, int(result_pending(r))) for r in records if r.results is not None))

            self.db.executemany(
                "DELETE FROM components WHERE record_code = ? AND name NOT IN (SELECT value FROM json_each(?))",
                ((r.record_code, json.dumps([nfc(c) for c in r.components])) for r in records
                 if r.record_code in existing))
            self.db.executemany(
                """INSERT INTO components (record_code, name, position) VALUES (?,?,?)
                   ON CONFLICT (record_code, name) DO UPDATE SET position = excluded.position""",
                ((r.record_code, nfc(name), position) for r in records if r.statuses is None
                 for position, name in enumerate(r.components)))
            self.db.executemany(
                """INSERT INTO components (record_code, name, position, status) VALUES (?,?,?,?)
                   ON CONFLICT (record_code, name) DO UPDATE SET position = excluded.position,
                   status = excluded.status""",
                ((r.record_code, nfc(name), position, nfc(r.statuses.get(name, ""))) for r in records
                 if r.statuses is not None for position, name in enumerate(r.components)))

            self.db.executemany("DELETE FROM results WHERE record_code = ?",
                                ((r.record_code,) for r in records if r.results is not None and r.record_code in existing))
            self.db.executemany(
                "INSERT INTO results (record_code, name, position, paper, issued_date) VALUES (?,?,?,?,?)",
                ((r.record_code, nfc(x.name), position, int(x.paper), x.issued_date) for r in records
                 if r.results is not None for position, x in enumerate(r.results)))
        return len(records) - len(existing), len(existing)

    def get_record(self, record_code: str) -> Record | None:
        row = self.db.execute("SELECT * FROM records WHERE record_code = ?", (record_code,)).fetchone()
        if row is None:
            return None
        return Record(
            record_code=row["record_code"], procedure_code=row["procedure_code"],
            procedure_name=row["procedure_name"], agency=row["agency"], channel=row["channel"],
            received_date=row["received_date"], due_date=row["due_date"],
            applicant_name=row["applicant_name"], applicant_id=row["applicant_id"],
            requires_paper_result=bool(row["requires_paper_result"]),
            components=self.component_names(record_code),
        )

    def component_names(self, record_code: str) -> list[str]:
        rows = self.db.execute(
            "SELECT name FROM components WHERE record_code = ? ORDER BY position", (record_code,)
        )
        return [r[0] for r in rows]

    def record_codes(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT record_code FROM records ORDER BY record_code")]

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
