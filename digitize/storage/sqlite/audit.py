"""The audit log, in SQLite: holder IDs kept as one comma-separated column."""

from __future__ import annotations

from digitize.storage.audit import Audit
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import nfc, now_iso


class SqliteAudit(SqliteStore, Audit):
    def holder_ids(self, paper_id: int | None = None, record_code: str | None = None) -> list[str | None]:
        if paper_id is not None:
            rows = self.db.execute(
                """SELECT r.applicant_id FROM attachments a JOIN records r USING (record_code) WHERE a.paper_id = ?
                   UNION SELECT holder_id FROM paper_values WHERE paper_id = ?""", (paper_id, paper_id))
        elif record_code is not None:
            rows = self.db.execute("SELECT applicant_id FROM records WHERE record_code = ?", (record_code,))
        else:
            return []
        return [r[0] for r in rows]

    def append(self, user: str, action: str, paper_id: int | None, record_code: str | None,
               holder_ids: list[str], detail: str, channel: str | None = None, address: str | None = None,
               role: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO audit (at, \"user\", action, paper_id, record_code, holder_ids, detail, channel, address, role)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (now_iso(), nfc(user), action, paper_id, record_code, ",".join(holder_ids), nfc(detail), channel, address,
             role),
        )

    def events(self, paper_id: int | None = None, holder_id: str | None = None,
               since: str | None = None) -> list[dict]:
        where, args = [], []
        if paper_id is not None:
            where.append("paper_id = ?")
            args.append(paper_id)
        if holder_id is not None:
            where.append("(',' || holder_ids || ',') LIKE ?")
            args.append(f"%,{holder_id},%")
        if since is not None:
            where.append("substr(at, 1, 10) >= ?")
            args.append(since)
        rows = self.db.execute(
            f'SELECT id, at, "user", action, paper_id, record_code, holder_ids, detail, channel, address, role FROM audit '
            f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY id", args)
        return [dict(r, holder_ids=[h for h in r["holder_ids"].split(",") if h]) for r in rows]
