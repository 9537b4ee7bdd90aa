"""Batch intake and pages to rescan, in SQLite."""

from __future__ import annotations

from digitize.storage.batches import Batches
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import now_iso


class SqliteBatches(SqliteStore, Batches):
    def note_paper(self, paper_id: int, batch_sha256: str, first: int, last: int, record_code: str | None) -> None:
        self.db.execute(
            "INSERT INTO batch_papers (paper_id, batch_sha256, first_page, last_page, record_code) "
            "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING", (paper_id, batch_sha256, first, last, record_code))

    def complete(self, sha256: str, source_name: str, split: str, pages: int) -> None:
        self.db.execute("INSERT INTO batches (sha256, source_name, split, pages, scanned_at) "
                        "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING", (sha256, source_name, split, pages, now_iso()))

    def papers(self, sha256: str) -> list[dict] | None:
        if self.db.execute("SELECT 1 FROM batches WHERE sha256 = ?", (sha256,)).fetchone() is None:
            return None
        rows = self.db.execute(
            "SELECT b.paper_id AS id, b.first_page, b.last_page, b.record_code, p.page_count, p.pdf_path "
            "FROM batch_papers b JOIN papers p ON p.id = b.paper_id WHERE b.batch_sha256 = ? ORDER BY b.first_page",
            (sha256,))
        return [dict(r) for r in rows]

    def rescan_pages(self) -> list[dict]:
        rows = self.db.execute(
            """SELECT p.id, p.source_name, p.source_path, p.pdf_path, g.page_no AS page, g.rescan AS reasons,
                      g.dpi, g.confidence, b.first_page, b.record_code AS batch_record,
                      (SELECT record_code FROM attachments WHERE paper_id = p.id ORDER BY attached_at LIMIT 1) AS record
               FROM pages g JOIN papers p ON p.id = g.paper_id
               LEFT JOIN batch_papers b ON b.paper_id = p.id
               WHERE g.rescan != ''  -- a replaced paper's new scan stands in for it
                 AND NOT EXISTS (SELECT 1 FROM replacements x WHERE x.paper_id = p.id)
               ORDER BY p.id, g.page_no""")
        return [dict(r, reasons=r["reasons"].split("; ")) for r in rows]

    def rescan_state(self, paper_id: int) -> dict | None:
        row = self.db.execute(
            "SELECT p.page_count, x.new_paper_id AS replaced_by FROM papers p "
            "LEFT JOIN replacements x ON x.paper_id = p.id WHERE p.id = ?", (paper_id,)).fetchone()
        return dict(row) if row else None

    def flagged(self, paper_id: int) -> dict[int, list[str]]:
        return {n: text.split("; ") for n, text in self.db.execute(
            "SELECT page_no, rescan FROM pages WHERE paper_id = ? AND rescan != '' ORDER BY page_no", (paper_id,))}

    def accept(self, paper_id: int, pages: list[int]) -> None:
        self.db.executemany("UPDATE pages SET rescan = '' WHERE paper_id = ? AND page_no = ?",
                            [(paper_id, n) for n in pages])
