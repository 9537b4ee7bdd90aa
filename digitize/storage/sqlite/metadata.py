"""Extracted and corrected metadata, and each paper's current values (the paper_values view), in SQLite."""

from __future__ import annotations

from typing import Iterable

from digitize.storage.metadata import Metadata
from digitize.storage.sqlite.papers import mark_stale
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import nfc, now_iso


class SqliteMetadata(SqliteStore, Metadata):
    def values(self, paper_id: int) -> dict:
        row = self.db.execute("SELECT * FROM paper_values WHERE paper_id = ?", (paper_id,)).fetchone()
        return dict(row) if row else {}

    def entries(self, paper_id: int) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM paper_metadata WHERE paper_id = ? ORDER BY source = 'corrected'", (paper_id,))]

    def last_correction(self, paper_id: int, field: str) -> tuple[str, str] | None:
        row = self.db.execute(
            "SELECT corrected_by, corrected_at FROM corrections WHERE paper_id = ? AND field = ? "
            "ORDER BY id DESC LIMIT 1", (paper_id, field)).fetchone()
        return tuple(row) if row else None

    def store_extracted(self, paper_id: int, found: Iterable[tuple]) -> None:
        self.db.execute("DELETE FROM paper_metadata WHERE paper_id = ? AND source = 'extracted'", (paper_id,))
        self.db.executemany(
            """INSERT INTO paper_metadata (paper_id, field, source, value, confidence, found_text, note)
               VALUES (?, ?, 'extracted', ?, ?, ?, ?)""",
            [(paper_id, *f) for f in found],
        )
        self.db.execute("UPDATE papers SET extracted_at = ? WHERE id = ?", (now_iso(), paper_id))
        mark_stale(self.db, [paper_id])

    def correct(self, paper_id: int, changes: Iterable[tuple[str, str | None, str | None]], user: str) -> None:
        stamp = now_iso()
        for field, old, new in changes:
            self.db.execute(
                """INSERT INTO paper_metadata (paper_id, field, source, value, confidence)
                   VALUES (?, ?, 'corrected', ?, 1.0)
                   ON CONFLICT (paper_id, field, source) DO UPDATE SET value = excluded.value""",
                (paper_id, field, new))
            self.db.execute(
                "INSERT INTO corrections (paper_id, field, old_value, new_value, corrected_by, corrected_at) "
                "VALUES (?,?,?,?,?,?)", (paper_id, field, old, new, nfc(user), stamp))
        mark_stale(self.db, [paper_id])

    def texts(self, paper_ids: Iterable[int] | None = None, not_extracted: bool = False) -> list[tuple[int, str]]:
        where, args = "", []
        if paper_ids is not None:
            ids = list(paper_ids)
            if not ids:
                return []
            where, args = f"WHERE id IN ({','.join('?' * len(ids))})", ids
        elif not_extracted:
            where = "WHERE extracted_at IS NULL"
        return [tuple(r) for r in self.db.execute(f"SELECT id, text FROM papers {where} ORDER BY id", args)]

    def papers_of_holder(self, holder_id: str) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            """SELECT v.*, p.source_name, p.pdf_path, p.scanned_at FROM paper_values v JOIN papers p ON p.id = v.paper_id
               WHERE v.paper_id IN (SELECT paper_id FROM paper_metadata WHERE field = 'holder_id' AND value = ?)
                 AND v.holder_id = ?
               ORDER BY coalesce(v.issue_date, substr(p.scanned_at, 1, 10)) DESC, p.id DESC""",
            (holder_id, holder_id))]
