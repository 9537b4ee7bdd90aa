"""The catalog: SQLite, the source of truth for records, papers and their links.

Everything else in the archive (the search index) is derived from it and can be rebuilt.
All text is NFC-normalised before it is written here.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from digitize.errors import ArchiveError, ArchiveLocked

# Each entry upgrades the schema from version i to i+1; never edit a released one, append.
V1_BASE = """
    CREATE TABLE records (
        record_code TEXT PRIMARY KEY,
        procedure_code TEXT NOT NULL,
        procedure_name TEXT NOT NULL,
        agency TEXT NOT NULL,
        channel INTEGER NOT NULL,
        received_date TEXT NOT NULL,
        due_date TEXT,
        applicant_name TEXT NOT NULL,
        applicant_id TEXT,
        requires_paper_result INTEGER NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX records_received ON records (received_date);
    CREATE TABLE components (
        record_code TEXT NOT NULL REFERENCES records ON DELETE CASCADE,
        name TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (record_code, name)
    );
    CREATE TABLE papers (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        source_name TEXT NOT NULL,
        source_path TEXT NOT NULL,
        pdf_path TEXT NOT NULL,
        page_count INTEGER NOT NULL,
        mean_confidence REAL,
        text TEXT NOT NULL,
        ocr_languages TEXT NOT NULL,
        scanned_by TEXT NOT NULL,
        scanned_at TEXT NOT NULL,
        indexed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE pages (
        paper_id INTEGER NOT NULL REFERENCES papers ON DELETE CASCADE,
        page_no INTEGER NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        dpi INTEGER NOT NULL,
        mode TEXT NOT NULL,
        confidence REAL,
        text_source TEXT NOT NULL,
        language TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (paper_id, page_no)
    );
    -- A paper serves a record as one of its components, or as its result (component = '').
    CREATE TABLE attachments (
        paper_id INTEGER NOT NULL REFERENCES papers,
        record_code TEXT NOT NULL REFERENCES records,
        component TEXT NOT NULL DEFAULT '',
        is_result INTEGER NOT NULL DEFAULT 0,
        reused INTEGER NOT NULL DEFAULT 0,
        attached_by TEXT NOT NULL,
        attached_at TEXT NOT NULL,
        PRIMARY KEY (record_code, component, is_result, paper_id)
    );
    CREATE INDEX attachments_paper ON attachments (paper_id);
"""
# One slot per line of work, so parallel changes never renumber each other; an empty one is a no-op.
V2_INTAKE = ""  # batch intake: page rotation/skew, quality flags, batches, hot folder
V3_METADATA = ""  # extracted metadata, corrections, validity, replacement
V4_REGISTER = ""  # register results and component status, reuse
V5_TRUST = ""  # audit log, integrity

MIGRATIONS = [V1_BASE, V2_INTAKE, V3_METADATA, V4_REGISTER, V5_TRUST]
SCHEMA_VERSION = len(MIGRATIONS)


def nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


@dataclass
class Record:
    record_code: str
    procedure_code: str
    procedure_name: str
    agency: str
    channel: int
    received_date: str  # ISO YYYY-MM-DD
    due_date: str | None
    applicant_name: str
    applicant_id: str | None
    requires_paper_result: bool
    components: list[str] = field(default_factory=list)


@dataclass
class PageInfo:
    width: int
    height: int
    dpi: int
    mode: str
    confidence: float | None  # mean word confidence 0-100; None when the text came from a text layer
    text_source: str  # "ocr" or "text-layer"
    language: str = ""  # Tesseract languages that produced the text


@dataclass
class NewPaper:
    sha256: str
    source_name: str
    source_path: str
    pdf_path: str  # relative to the archive root
    text: str
    pages: list[PageInfo]
    ocr_languages: str
    scanned_by: str

    @property
    def mean_confidence(self) -> float | None:
        confs = [p.confidence for p in self.pages if p.confidence is not None]
        return round(sum(confs) / len(confs), 2) if confs else None


class Catalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = None
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self._refuse_newer()  # before anything writes to a file we may not understand
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise ArchiveError(
                f"{self.path}: the catalog is damaged or not a Sohoa catalog ({exc}); restore it from a backup"
            ) from None
        except ArchiveError:
            self.close()
            raise

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

    # -- schema -----------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _refuse_newer(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise ArchiveError(
                f"{self.path}: catalog schema version {version} is newer than this Sohoa "
                f"understands ({SCHEMA_VERSION}); upgrade Sohoa to open this archive"
            )

    def _migrate(self) -> None:
        for target in range(self.schema_version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in _split_sql(MIGRATIONS[target - 1]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {target}")

    def transaction(self):
        return _Transaction(self.db)

    # -- records ----------------------------------------------------------------------
    def upsert_records(self, records: Iterable[Record]) -> tuple[int, int]:
        """Insert or update records by record code in one transaction; returns (new, updated)."""
        new = updated = 0
        stamp = now_iso()
        with self.transaction():
            for r in records:
                exists = self.db.execute(
                    "SELECT 1 FROM records WHERE record_code = ?", (r.record_code,)
                ).fetchone()
                values = [nfc(v) for v in (
                    r.procedure_code, r.procedure_name, r.agency, r.channel, r.received_date,
                    r.due_date, r.applicant_name, r.applicant_id, int(r.requires_paper_result), stamp,
                )]
                if exists:
                    updated += 1
                    self.db.execute(
                        """UPDATE records SET procedure_code=?, procedure_name=?, agency=?, channel=?,
                           received_date=?, due_date=?, applicant_name=?, applicant_id=?,
                           requires_paper_result=?, updated_at=? WHERE record_code=?""",
                        (*values, r.record_code),
                    )
                else:
                    new += 1
                    self.db.execute(
                        """INSERT INTO records (procedure_code, procedure_name, agency, channel,
                           received_date, due_date, applicant_name, applicant_id,
                           requires_paper_result, updated_at, record_code)
                           VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
                        (*values, r.record_code),
                    )
                # The register's component list is authoritative: keep attachments of kept names.
                names = [nfc(c) for c in r.components]
                self.db.execute(
                    f"DELETE FROM components WHERE record_code = ? AND name NOT IN ({','.join('?' * len(names))})",
                    (r.record_code, *names),
                )
                for position, name in enumerate(names):
                    self.db.execute(
                        """INSERT INTO components (record_code, name, position) VALUES (?,?,?)
                           ON CONFLICT (record_code, name) DO UPDATE SET position = excluded.position""",
                        (r.record_code, name, position),
                    )
        return new, updated

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
                   mean_confidence, text, ocr_languages, scanned_by, scanned_at)
                   VALUES (?,?,?,?,?,?,?,?,?,?)""",
                (paper.sha256, nfc(paper.source_name), nfc(paper.source_path), paper.pdf_path,
                 len(paper.pages), paper.mean_confidence, nfc(paper.text), paper.ocr_languages,
                 nfc(paper.scanned_by), now_iso()),
            )
            paper_id = cur.lastrowid
            self.db.executemany(
                """INSERT INTO pages (paper_id, page_no, width, height, dpi, mode, confidence, text_source, language)
                   VALUES (?,?,?,?,?,?,?,?,?)""",
                [(paper_id, n, p.width, p.height, p.dpi, p.mode, p.confidence, p.text_source, p.language)
                 for n, p in enumerate(paper.pages, 1)],
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
        return cur.rowcount == 1

    def get_paper(self, paper_id: int) -> dict | None:
        row = self.db.execute("SELECT * FROM papers WHERE id = ?", (paper_id,)).fetchone()
        if row is None:
            return None
        paper = dict(row)
        paper["pages"] = [
            dict(p) for p in self.db.execute(
                "SELECT page_no, width, height, dpi, mode, confidence, text_source, language FROM pages "
                "WHERE paper_id = ? ORDER BY page_no", (paper_id,))
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
                       r.applicant_name, r.applicant_id, r.procedure_code, r.procedure_name, r.agency
                FROM papers p
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


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, so writers queue on SQLite's lock instead of failing mid-way.

    Inside another transaction it becomes a savepoint, so library functions can each be atomic and
    still compose into one commit (a paper, its link and its metadata appear together or not at all).
    """

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.nested = False

    def __enter__(self):
        self.nested = self.db.in_transaction
        if self.nested:
            self.db.execute("SAVEPOINT nested")
            return self.db
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise ArchiveLocked(f"the catalog is busy in another process ({exc}); try again") from exc
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if self.nested:
            if exc_type is not None:
                self.db.execute("ROLLBACK TO nested")
            self.db.execute("RELEASE nested")
        else:
            self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        return False


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]

