"""Papers, their pages, their links to records and their index state, in SQLite."""

from __future__ import annotations

import sqlite3
from typing import Iterable, Iterator

from digitize.storage.papers import NewPaper, Papers
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import nfc, now_iso


class SqlitePapers(SqliteStore, Papers):
    def id_by_sha(self, sha256: str) -> int | None:
        row = self.db.execute("SELECT id FROM papers WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def add(self, paper: NewPaper, link: dict | None = None) -> int:
        with self.transaction():
            cur = self.db.execute(
                """INSERT INTO papers (sha256, source_name, source_path, pdf_path, page_count,
                   mean_confidence, text, ocr_languages, scanned_by, scanned_at, pdf_sha256, agency)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id""",
                (paper.sha256, nfc(paper.source_name), nfc(paper.source_path), paper.pdf_path,
                 len(paper.pages), paper.mean_confidence, nfc(paper.text), paper.ocr_languages,
                 nfc(paper.scanned_by), now_iso(), paper.pdf_sha256, paper.agency),
            )
            paper_id = cur.fetchall()[0][0]
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
        cur = self.db.execute(
            """INSERT INTO attachments
               (paper_id, record_code, component, is_result, reused, attached_by, attached_at)
               VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING""",
            (paper_id, record_code, nfc(component or ""), int(is_result), int(reused), nfc(user), now_iso()),
        )
        if cur.rowcount != 1:
            return False
        mark_stale(self.db, [paper_id])  # the index holds the paper's records and their applicants
        return True

    def get(self, paper_id: int) -> dict | None:
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
                f"FROM attachments WHERE paper_id = ? ORDER BY {self.link_order}", (paper_id,))
        ]
        return paper

    def index_documents(self, only_unindexed: bool = False) -> Iterator[dict]:
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
                       (SELECT {self.joined('code', 10)} FROM (
                            SELECT DISTINCT o.record_code AS code FROM attachments o
                            WHERE o.paper_id = p.id AND o.record_code != a.record_code) d) AS linked_records,
                       (SELECT {self.joined('name', 10)} FROM (
                            SELECT DISTINCT lr.applicant_name AS name FROM attachments o
                            JOIN records lr ON lr.record_code = o.record_code
                            WHERE o.paper_id = p.id AND o.record_code != a.record_code) d) AS linked_applicants,
                       (SELECT {self.joined('pid', 44)} FROM (
                            SELECT DISTINCT lr.applicant_id AS pid FROM attachments o
                            JOIN records lr ON lr.record_code = o.record_code
                            WHERE o.paper_id = p.id AND o.record_code != a.record_code
                              AND lr.applicant_id IS NOT NULL AND lr.applicant_id != '') d) AS linked_applicant_ids
                FROM papers p
                JOIN paper_values v ON v.paper_id = p.id
                {self.first_link}
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
            if indexed:
                self.db.executemany("UPDATE papers SET indexed = 1 WHERE id = ?", [(i,) for i in paper_ids])
            else:
                mark_stale(self.db, paper_ids)

    def mark_stale(self, paper_ids: Iterable[int] | None = None) -> None:
        mark_stale(self.db, paper_ids)

    def exists(self, paper_id: int) -> bool:
        return self.db.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone() is not None

    def records_of(self, paper_id: int) -> list[dict]:
        return [dict(a) for a in self.db.execute(
            "SELECT record_code, component, is_result, reused FROM attachments WHERE paper_id = ? "
            f"ORDER BY {self.link_order}", (paper_id,))]

    def seen_by(self, paper_ids: list[int], agencies: tuple[str, ...]) -> set[int]:
        seen: set[int] = set()
        marks = ", ".join("?" * len(agencies)) or "NULL"  # none: only what every agency sees
        for start in range(0, len(paper_ids), 500):  # bounded: SQLite's variables per statement
            chunk = list(paper_ids[start:start + 500])
            served = ("SELECT 1 FROM attachments a JOIN records r ON r.record_code = a.record_code "
                      "WHERE a.paper_id = p.id")
            seen.update(r[0] for r in self.db.execute(
                f"""SELECT p.id FROM papers p WHERE p.id IN ({", ".join("?" * len(chunk))})
                    AND (EXISTS ({served} AND r.agency IN ({marks}))
                         OR (NOT EXISTS ({served}) AND (p.agency IS NULL OR p.agency IN ({marks}))))""",
                (*chunk, *agencies, *agencies)))
        return seen

    def first_record(self, paper_id: int) -> str | None:
        row = self.db.execute(
            f"SELECT record_code FROM attachments WHERE paper_id = ? ORDER BY {self.link_order} LIMIT 1",
            (paper_id,)).fetchone()
        return row[0] if row else None

    def attached_to(self, record_code: str) -> list[dict]:
        return [dict(a) for a in self.db.execute(
            """SELECT a.component, a.is_result, a.paper_id AS id, p.source_name, p.page_count, a.reused,
                      a.attached_by, a.attached_at
               FROM attachments a JOIN papers p ON p.id = a.paper_id
               WHERE a.record_code = ? ORDER BY a.attached_at, a.paper_id""", (record_code,))]

    def reused_as(self, paper_id: int, record_code: str, component: str) -> int | None:
        row = self.db.execute(
            "SELECT reused FROM attachments WHERE paper_id = ? AND record_code = ? AND component = ? AND is_result = 0",
            (paper_id, record_code, component)).fetchone()
        return None if row is None else row[0]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM papers").fetchone()[0]

    def files(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT id, pdf_path, pdf_sha256, indexed FROM papers ORDER BY id")]

    def record_pdf_sha256(self, paper_id: int, pdf_sha256: str) -> None:
        self.db.execute("UPDATE papers SET pdf_sha256 = ? WHERE id = ? AND pdf_sha256 IS NULL", (pdf_sha256, paper_id))

    def replace_copy(self, paper_id: int, pdf_path: str, pdf_sha256: str) -> None:
        self.db.execute("UPDATE papers SET pdf_path = ?, pdf_sha256 = ? WHERE id = ?", (pdf_path, pdf_sha256, paper_id))


def mark_stale(db: sqlite3.Connection, paper_ids: Iterable[int] | None = None) -> None:
    """The one place papers are marked changed since the index read them; every SQLite store calls it
    (as does schema version 4's trigger for a corrected register, in SQL)."""
    stale = "UPDATE papers SET indexed = 0"
    if paper_ids is None:
        db.execute(stale)
    else:
        db.executemany(stale + " WHERE id = ?", [(i,) for i in paper_ids])
