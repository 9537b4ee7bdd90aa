"""Reuses and replacements of papers, in SQLite."""

from __future__ import annotations

from digitize.storage.reuse import Reuse
from digitize.storage.sqlite.papers import mark_stale
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import nfc, now_iso


class SqliteReuse(SqliteStore, Reuse):
    def log_reuse(self, paper_id: int, record_code: str, component: str, validity: str, forced: bool,
                  reason: str, user: str) -> None:
        self.db.execute(
            "INSERT INTO reuses (paper_id, record_code, component, validity, forced, reason, reused_by, reused_at) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (paper_id, record_code, component, validity, int(forced), nfc(reason), nfc(user), now_iso()))

    def reuses(self, paper_id: int) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT record_code, component, validity, forced, reason, reused_by, reused_at FROM reuses "
            "WHERE paper_id = ? ORDER BY id", (paper_id,))]

    def replace(self, old_id: int, new_id: int, user: str) -> None:
        self.db.execute("INSERT INTO replacements (paper_id, new_paper_id, recorded_by, recorded_at) "
                        "VALUES (?,?,?,?)", (old_id, new_id, nfc(user), now_iso()))
        mark_stale(self.db, [old_id])  # the index holds what replaced it
