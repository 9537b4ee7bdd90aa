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
from digitize.storage.sqlite.schema import SCHEMA_VERSION, SqliteDatabase  # noqa: F401


class Catalog:
    """The catalog: one store per aggregate (digitize/storage/), here on SQLite."""

    def __init__(self, path: Path, wait: float = 30.0):
        self.path = Path(path)
        self.database = SqliteDatabase(self.path, wait)
        self.db = self.database.db  # the SQLite connection, for the SQLite stores and tests

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

    # -- papers -----------------------------------------------------------------------
    def paper_id_by_sha(self, sha256: str) -> int | None:
        row = self.db.execute("SELECT id FROM papers WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def add_paper(self, paper: NewPaper, link: dict | None = None) -> int:
        """Insert a paper with its pages, and its link to a record if given, in one transaction."""
        with self.transaction():
            cur = self.db.execute(
                """INSERT INTO papers (sha256, source_name, source_path, pdf_path, page_count,
                   mean_confidence, text, ocr_languages, scanned_by, scanned_at, pdf_sha256)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
                (paper.sha256, nfc(paper.source_name), nfc(paper.source_path), paper.pdf_path,
                 len(paper.pages), paper.mean_confidence, nfc(paper.text), paper.ocr_languages,
                 nfc(paper.scanned_by), now_iso(), paper.pdf_sha256),
            )
            paper_id = cur.lastrowid
            self.db.executemany(
                """INSERT INTO pages (paper_id, page_no, width, height, dpi, mode, confidence, text_source, language,
                   rotation, skew, rescan) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)""",
                [(paper_id, n, p.width, p.height, p.dpi, p.mode, p.confidence, p.text_source, p.language,
                  p.rotation, p.skew, p.rescan) for n, p in enumerate(paper.pages, 1)],
            )
            if link:
                self.attach(paper_id, user=paper.scanned_by, **link)
        return paper_id

    def attach(self, paper_id: int, record_code: str, component: str | None, is_result: bool,
               user: str, reused: bool = False) -> bool:
        """Link a paper to a record's component or result; returns False if it already was."""
        cur = self.db.execute(
            """INSERT OR IGNORE INTO attachments
               (paper_id, record_code, component, is_result, reused, attached_by, attached_at)
               VALUES (?,?,?,?,?,?,?)""",
            (paper_id, record_code, nfc(component or ""), int(is_result), int(reused), nfc(user), now_iso()),
        )
        if cur.rowcount != 1:
            return False
        # A new link changes what the index holds about the paper (its records, their applicants).
        self.db.execute("UPDATE papers SET indexed = 0 WHERE id = ?", (paper_id,))
        return True

    def get_paper(self, paper_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM papers WHERE id = ?", (paper_id,)).fetchone()
        if row is None:
            return None
        paper = dict(row)
        # rotation: degrees turned clockwise; skew: degrees of tilt straightened; rescan: the reasons
        # the page is flagged for rescanning, [] when it is fine (or was accepted as it is).
        paper["pages"] = [
            {**dict(p), "rescan": p["rescan"].split("; ") if p["rescan"] else []} for p in self.db.execute(
                "SELECT page_no, width, height, dpi, mode, confidence, text_source, language, rotation, skew, "
                "rescan FROM pages WHERE paper_id = ? ORDER BY page_no", (paper_id,))
        ]
        paper["attachments"] = [
            dict(a) for a in self.db.execute(
                "SELECT record_code, component, is_result, reused, attached_by, attached_at "
                "FROM attachments WHERE paper_id = ? ORDER BY attached_at", (paper_id,))
        ]
        return paper

    def index_documents(self, only_unindexed: bool = False) -> Iterator[dict]:
        """Everything the search index holds about each paper, in the shape index/ expects."""
        where = "WHERE p.indexed = 0" if only_unindexed else ""
        rows = self.db.execute(
            f"""SELECT p.id, p.text, p.source_name, p.pdf_path, p.scanned_at,
                       a.record_code, a.component, a.is_result,
                       r.applicant_name, r.applicant_id, r.procedure_name, r.agency,
                       -- the paper's own metadata (corrected, else extracted); the code printed
                       -- on the paper, else its record's
                       v.doc_type, v.holder_name, v.holder_id, v.issue_date, v.birth_date, v.expiry_date,
                       v.number, v.issuer, v.replaced_by, coalesce(v.procedure_code, r.procedure_code) AS procedure_code,
                       -- the other records the paper serves (reuse, a second hand-in), searchable too
                       (SELECT group_concat(code, char(10)) FROM (
                            SELECT DISTINCT o.record_code AS code FROM attachments o
                            WHERE o.paper_id = p.id AND o.record_code != a.record_code)) AS linked_records,
                       (SELECT group_concat(name, char(10)) FROM (
                            SELECT DISTINCT lr.applicant_name AS name FROM attachments o
                            JOIN records lr ON lr.record_code = o.record_code
                            WHERE o.paper_id = p.id AND o.record_code != a.record_code)) AS linked_applicants,
                       (SELECT group_concat(pid, ',') FROM (
                            SELECT DISTINCT lr.applicant_id AS pid FROM attachments o
                            JOIN records lr ON lr.record_code = o.record_code
                            WHERE o.paper_id = p.id AND o.record_code != a.record_code
                              AND lr.applicant_id IS NOT NULL AND lr.applicant_id != '')) AS linked_applicant_ids
                FROM papers p
                JOIN paper_values v ON v.paper_id = p.id
                LEFT JOIN attachments a ON a.rowid = (
                    SELECT rowid FROM attachments WHERE paper_id = p.id ORDER BY attached_at, rowid LIMIT 1)
                LEFT JOIN records r ON r.record_code = a.record_code
                {where} ORDER BY p.id"""
        ).fetchall()
        for row in rows:
            doc = dict(row)
            if doc["is_result"]:
                doc["component"] = "kết quả"
            yield doc

    def mark_indexed(self, paper_ids: Iterable[int], indexed: bool = True) -> None:
        with self.transaction():
            self.db.executemany(
                "UPDATE papers SET indexed = ? WHERE id = ?", [(int(indexed), i) for i in paper_ids]
            )

    def mark_all_unindexed(self) -> None:
        self.db.execute("UPDATE papers SET indexed = 0")
