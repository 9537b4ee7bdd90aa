"""Records of the register, their components and results, in SQLite."""

from __future__ import annotations

import json
from typing import Iterable

from digitize.storage.records import Record, Records, result_pending
from digitize.storage.sqlite.coverage import DIGITIZED, RESULT_DUE
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import nfc, now_iso


class SqliteRecords(SqliteStore, Records):
    listed = "SELECT value FROM json_each(?)"  # the names of a JSON array given as a parameter

    def upsert(self, records: Iterable[Record]) -> tuple[int, int]:
        """Set-wise (executemany) rather than record by record: a million records import in about a minute."""
        records = list(records)
        stamp = now_iso()
        # Big imports touch index pages all over: a roomy page cache (allocated only as used) keeps
        # them in memory; SQLite's default 2 MB made a million-record import three times slower.
        cache = self.db.execute("PRAGMA cache_size").fetchone()[0]
        self.db.execute("PRAGMA cache_size = -1000000")
        try:
            return self._upsert(records, stamp)
        finally:
            self.db.execute(f"PRAGMA cache_size = {int(cache)}")

    def _upsert(self, records: list[Record], stamp: str) -> tuple[int, int]:
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
                f"DELETE FROM components WHERE record_code = ? AND name NOT IN ({self.listed})",
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

    def get(self, record_code: str) -> Record | None:
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

    def codes(self) -> list[str]:
        return [r[0] for r in self.db.execute(f"SELECT record_code FROM records ORDER BY record_code{self.collate}")]

    def agencies(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT agency FROM records")]

    def agencies_of(self, record_codes: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in range(0, len(record_codes), 500):  # bounded: SQLite's variables per statement
            chunk = record_codes[i:i + 500]
            found.update(self.db.execute(f"SELECT record_code, agency FROM records WHERE record_code IN "
                                         f"({','.join('?' * len(chunk))})", chunk).fetchall())
        return found

    def procedure_codes(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT procedure_code FROM records")]

    def has_procedure(self, code_or_name: str) -> bool:
        return self.db.execute("SELECT 1 FROM records WHERE procedure_code = ? OR procedure_name = ? "
                               "LIMIT 1", (code_or_name, code_or_name)).fetchone() is not None

    def describe(self, record_code: str) -> dict | None:
        row = self.db.execute(
            f"""SELECT record_code, procedure_code, procedure_name, agency, channel, received_date, due_date,
                       resolved_date, applicant_name, applicant_id, requires_paper_result, updated_at,
                       {self.as_int(DIGITIZED['strict'])} AS digitized,
                       {self.as_int(DIGITIZED['lenient'])} AS digitized_lenient,
                       {self.as_int(RESULT_DUE)} AS result_due, {self.as_int('reused > 0')} AS reused
                FROM records WHERE record_code = ?""", (record_code,)).fetchone()
        return dict(row) if row else None

    def components(self, record_code: str) -> list[dict]:
        return [dict(c) for c in self.db.execute(
            "SELECT name, status FROM components WHERE record_code = ? ORDER BY position", (record_code,))]

    def results(self, record_code: str) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT name, paper, issued_date FROM results WHERE record_code = ? ORDER BY position", (record_code,))]
