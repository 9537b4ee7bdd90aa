"""SQLite: the connection, its pragmas, transactions and savepoints, and the schema migrations.

One file in WAL mode (readers never wait for the writer), synchronous=FULL, foreign keys on.
The schema is the list of migrations below, applied in order on opening; PRAGMA user_version is
how far a catalog has come. What SQLite says of a full disk, a read-only file or another process's
lock leaves here as digitize.errors' DiskFull, ArchiveReadOnly and ArchiveLocked.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import time
from pathlib import Path

from digitize.errors import ArchiveError, ArchiveLocked, ArchiveReadOnly, CatalogBusy, DiskFull, SohoaError
from digitize.storage.metadata import METADATA_FIELDS  # V3 builds its view from these: fixed
from digitize.storage.schema import Database

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
# Batch intake: how each page was turned and straightened, why it must be rescanned, and which
# papers were split out of which batch file (the batch's SHA-256 is its identity).
V2_INTAKE = """
    ALTER TABLE pages ADD COLUMN rotation INTEGER NOT NULL DEFAULT 0;  -- degrees turned clockwise
    ALTER TABLE pages ADD COLUMN skew REAL NOT NULL DEFAULT 0;  -- degrees of tilt straightened
    ALTER TABLE pages ADD COLUMN rescan TEXT NOT NULL DEFAULT '';  -- reasons, '; '-separated; '' = fine
    CREATE INDEX pages_rescan ON pages (paper_id) WHERE rescan != '';
    CREATE TABLE batch_papers (
        paper_id INTEGER PRIMARY KEY REFERENCES papers ON DELETE CASCADE,
        batch_sha256 TEXT NOT NULL,
        first_page INTEGER NOT NULL,
        last_page INTEGER NOT NULL,
        record_code TEXT  -- read from a QR code or barcode, registered or not
    );
    CREATE INDEX batch_papers_batch ON batch_papers (batch_sha256);
    -- A batch is listed here once every paper in it is archived: scanning it again skips it whole.
    CREATE TABLE batches (
        sha256 TEXT PRIMARY KEY,
        source_name TEXT NOT NULL,
        split TEXT NOT NULL,
        pages INTEGER NOT NULL,
        scanned_at TEXT NOT NULL
    );
"""
# The view of version 3, in SQL both SQLite and PostgreSQL read (the postgres schema takes it too).
PAPER_VALUES_V3 = """
    CREATE VIEW paper_values AS SELECT p.id AS paper_id, """ + ", ".join(
    f"(SELECT value FROM paper_metadata m WHERE m.paper_id = p.id AND m.field = '{f}' ORDER BY m.source LIMIT 1) AS {f}"
    for f in METADATA_FIELDS) + """,
        (SELECT new_paper_id FROM replacements x WHERE x.paper_id = p.id) AS replaced_by
    FROM papers p;
"""
# Extracted metadata, corrections, validity, replacement, reuse (digitize/metadata.py, digitize/reuse.py).
V3_METADATA = """
    -- One row per paper, field and source: extraction rewrites its own rows, a correction
    -- (sohoa edit) is a separate row that wins; value NULL with found_text = read but not valid.
    CREATE TABLE paper_metadata (
        paper_id INTEGER NOT NULL REFERENCES papers ON DELETE CASCADE,
        field TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('corrected', 'extracted')),
        value TEXT,
        confidence REAL,
        found_text TEXT,
        note TEXT,
        PRIMARY KEY (paper_id, field, source)
    );
    CREATE INDEX paper_metadata_value ON paper_metadata (field, value);
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER NOT NULL REFERENCES papers ON DELETE CASCADE,
        field TEXT NOT NULL,
        old_value TEXT,
        new_value TEXT,
        corrected_by TEXT NOT NULL,
        corrected_at TEXT NOT NULL
    );
    CREATE INDEX corrections_paper ON corrections (paper_id, field);
    CREATE TABLE replacements (
        paper_id INTEGER PRIMARY KEY REFERENCES papers,
        new_paper_id INTEGER NOT NULL REFERENCES papers,
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE reuses (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER NOT NULL REFERENCES papers,
        record_code TEXT NOT NULL,
        component TEXT NOT NULL,
        validity TEXT NOT NULL,
        forced INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        reused_by TEXT NOT NULL,
        reused_at TEXT NOT NULL
    );
    CREATE INDEX reuses_paper ON reuses (paper_id);
    ALTER TABLE papers ADD COLUMN extracted_at TEXT;
    -- Each paper's current values: the correction if any ('corrected' sorts first), else extracted.
""" + PAPER_VALUES_V3
# Register results and component status, reuse. Coverage must read a million records in well under
# two seconds, so each record keeps counters (missing components, result papers, reused components)
# that triggers on attachments and components hold true, whoever writes those tables.
V4_REGISTER = """
    ALTER TABLE records ADD COLUMN resolved_date TEXT;
    -- 1 when the register says the paper result is not issued yet (no resolution date, no result issued)
    ALTER TABLE records ADD COLUMN result_pending INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE records ADD COLUMN missing INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE records ADD COLUMN result_papers INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE records ADD COLUMN reused INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE components ADD COLUMN status TEXT NOT NULL DEFAULT '';
    ALTER TABLE components ADD COLUMN papers INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE components ADD COLUMN reused_papers INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE results (
        record_code TEXT NOT NULL REFERENCES records ON DELETE CASCADE,
        name TEXT NOT NULL,
        position INTEGER NOT NULL,
        paper INTEGER NOT NULL,
        issued_date TEXT,
        PRIMARY KEY (record_code, name)
    );
    CREATE INDEX records_due ON records (due_date);
    -- Holds every column coverage reads but procedure names: reports scan it instead of the wide
    -- table, and grouping by agency (then day) follows its order without sorting.
    CREATE INDEX records_coverage ON records (agency, received_date, channel, procedure_code,
        requires_paper_result, result_pending, missing, result_papers, reused);

    UPDATE components SET
        papers = (SELECT count(*) FROM attachments a WHERE a.record_code = components.record_code
                  AND a.component = components.name AND a.is_result = 0),
        reused_papers = (SELECT count(*) FROM attachments a WHERE a.record_code = components.record_code
                         AND a.component = components.name AND a.is_result = 0 AND a.reused = 1);
    UPDATE records SET
        missing = (SELECT count(*) FROM components c WHERE c.record_code = records.record_code AND c.papers = 0),
        reused = (SELECT count(*) FROM components c WHERE c.record_code = records.record_code AND c.reused_papers > 0),
        result_papers = (SELECT count(*) FROM attachments a WHERE a.record_code = records.record_code
                         AND a.is_result = 1);

    CREATE TRIGGER attachment_added AFTER INSERT ON attachments BEGIN
        UPDATE components SET papers = papers + 1, reused_papers = reused_papers + (NEW.reused != 0)
        WHERE NEW.is_result = 0 AND record_code = NEW.record_code AND name = NEW.component;
        UPDATE records SET result_papers = result_papers + 1
        WHERE NEW.is_result != 0 AND record_code = NEW.record_code;
    END;
    CREATE TRIGGER attachment_removed AFTER DELETE ON attachments BEGIN
        UPDATE components SET papers = papers - 1, reused_papers = reused_papers - (OLD.reused != 0)
        WHERE OLD.is_result = 0 AND record_code = OLD.record_code AND name = OLD.component;
        UPDATE records SET result_papers = result_papers - 1
        WHERE OLD.is_result != 0 AND record_code = OLD.record_code;
    END;
    CREATE TRIGGER attachment_changed AFTER UPDATE OF record_code, component, is_result, reused ON attachments
    BEGIN
        UPDATE components SET papers = papers - 1, reused_papers = reused_papers - (OLD.reused != 0)
        WHERE OLD.is_result = 0 AND record_code = OLD.record_code AND name = OLD.component;
        UPDATE records SET result_papers = result_papers - 1
        WHERE OLD.is_result != 0 AND record_code = OLD.record_code;
        UPDATE components SET papers = papers + 1, reused_papers = reused_papers + (NEW.reused != 0)
        WHERE NEW.is_result = 0 AND record_code = NEW.record_code AND name = NEW.component;
        UPDATE records SET result_papers = result_papers + 1
        WHERE NEW.is_result != 0 AND record_code = NEW.record_code;
    END;
    -- A component listed again may find papers attached to it before it was dropped.
    CREATE TRIGGER component_added AFTER INSERT ON components BEGIN
        UPDATE records SET missing = missing + 1 WHERE record_code = NEW.record_code;
        UPDATE components SET
            papers = (SELECT count(*) FROM attachments a WHERE a.record_code = NEW.record_code
                      AND a.component = NEW.name AND a.is_result = 0),
            reused_papers = (SELECT count(*) FROM attachments a WHERE a.record_code = NEW.record_code
                             AND a.component = NEW.name AND a.is_result = 0 AND a.reused = 1)
        WHERE record_code = NEW.record_code AND name = NEW.name AND EXISTS (
            SELECT 1 FROM attachments a WHERE a.record_code = NEW.record_code AND a.component = NEW.name);
    END;
    CREATE TRIGGER component_removed AFTER DELETE ON components BEGIN
        UPDATE records SET missing = missing - (OLD.papers = 0), reused = reused - (OLD.reused_papers > 0)
        WHERE record_code = OLD.record_code;
    END;
    -- The search index holds these register fields with each paper: a corrected register re-indexes them.
    CREATE TRIGGER record_corrected AFTER UPDATE OF applicant_name, applicant_id, procedure_code, procedure_name,
        agency ON records
    WHEN OLD.applicant_name IS NOT NEW.applicant_name OR OLD.applicant_id IS NOT NEW.applicant_id
        OR OLD.procedure_code IS NOT NEW.procedure_code OR OLD.procedure_name IS NOT NEW.procedure_name
        OR OLD.agency IS NOT NEW.agency BEGIN
        UPDATE papers SET indexed = 0 WHERE id IN (SELECT paper_id FROM attachments WHERE record_code = NEW.record_code);
    END;
    CREATE TRIGGER component_counted AFTER UPDATE OF papers, reused_papers ON components
    WHEN (OLD.papers = 0) != (NEW.papers = 0) OR (OLD.reused_papers > 0) != (NEW.reused_papers > 0) BEGIN
        UPDATE records SET missing = missing + (NEW.papers = 0) - (OLD.papers = 0),
                           reused = reused + (NEW.reused_papers > 0) - (OLD.reused_papers > 0)
        WHERE record_code = NEW.record_code;
    END;
"""
V5_TRUST = """
    -- papers.sha256 is the original's identity; pdf_sha256 is the archived file's own checksum
    -- (NULL for papers archived before it was kept, until `sohoa check --repair` records it).
    ALTER TABLE papers ADD COLUMN pdf_sha256 TEXT;
    CREATE INDEX papers_no_pdf_sha256 ON papers (id) WHERE pdf_sha256 IS NULL;
    -- Append-only: who did what to whose papers (see digitize/audit.py).
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        action TEXT NOT NULL,
        paper_id INTEGER,
        record_code TEXT,
        holder_ids TEXT NOT NULL DEFAULT '',
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_paper ON audit (paper_id);
    CREATE INDEX audit_at ON audit (at);
"""  # audit log, integrity

V6_ACCOUNTS = """
    -- Who may log in to `sohoa serve`: users with an Argon2 hash, machine clients with a token
    -- kept only as the SHA-256 of its secret. Agencies: newline-separated, '' for all.
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        agencies TEXT NOT NULL DEFAULT '',
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL
    );
    CREATE TABLE tokens (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        agencies TEXT NOT NULL DEFAULT '',
        secret_sha256 TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    );
"""

V7_SIGNATURES = """
    -- Officers' digital signatures (PAdES) on archived copies. Each is an incremental update: the
    -- copy before it is the first revision_size bytes of the signed file, revision_sha256 its
    -- checksum; pdf_sha256 is the whole file's just after signing (papers.pdf_sha256 follows it).
    CREATE TABLE signatures (
        id INTEGER PRIMARY KEY,
        paper_id INTEGER NOT NULL REFERENCES papers ON DELETE CASCADE,
        field_name TEXT NOT NULL,
        signer_subject TEXT NOT NULL,
        signer_serial TEXT NOT NULL,
        signer_issuer TEXT NOT NULL,
        signer_organization TEXT,
        signed_at TEXT NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('B-B', 'B-T')),
        timestamp_at TEXT,
        revision_size INTEGER NOT NULL,
        revision_sha256 TEXT NOT NULL,
        pdf_sha256 TEXT NOT NULL,
        signed_by TEXT NOT NULL,
        UNIQUE (paper_id, field_name)
    );
"""

V8_AUDIT = """
    -- The audit log keeps how the user came (cli, web, api), from which address, and in which role.
    ALTER TABLE audit ADD COLUMN channel TEXT;
    ALTER TABLE audit ADD COLUMN address TEXT;
    ALTER TABLE audit ADD COLUMN role TEXT;
"""

V9_JOBS = """
    -- Background jobs of the server (scans uploaded): the queue is the catalog, so a restarted
    -- server resumes it. A running job's lease_until (unix seconds) is renewed by its worker as it
    -- works; one past its lease is claimed again (attempts counts the claims).
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
        source_name TEXT NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        actor TEXT NOT NULL DEFAULT '{}',
        pages_done INTEGER NOT NULL DEFAULT 0,
        pages_total INTEGER NOT NULL DEFAULT 0,
        papers TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        worker TEXT,
        lease_until REAL,
        created TEXT NOT NULL,
        started TEXT,
        finished TEXT
    );
    CREATE INDEX jobs_waiting ON jobs (state, id);
"""

V10_PAPER_AGENCY = """
    -- The agency of the clerk who scanned a paper (Decree 30: rights per record): a paper on no
    -- record is seen by that agency only. NULL: scanned unscoped (the command line), seen by all.
    ALTER TABLE papers ADD COLUMN agency TEXT;
"""

V11_USER_LANG = """
    -- The language a user's pages are in (vi, en), switched in the page header.
    ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'vi';
"""

V12_JOB_OUTCOME = """
    -- What an upkeep job (reindex, re-extract, backup) ended with, as JSON: papers done, the backup's file.
    ALTER TABLE jobs ADD COLUMN outcome TEXT;
"""

MIGRATIONS = [V1_BASE, V2_INTAKE, V3_METADATA, V4_REGISTER, V5_TRUST, V6_ACCOUNTS, V7_SIGNATURES, V8_AUDIT, V9_JOBS,
              V10_PAPER_AGENCY, V11_USER_LANG, V12_JOB_OUTCOME]
SCHEMA_VERSION = len(MIGRATIONS)
NO_ROOM = 1 << 20  # bytes free under which an I/O error opening the catalog is the full disk


class SqliteDatabase(Database):
    integrity_error = sqlite3.IntegrityError

    def __init__(self, path: Path, wait: float = 30.0, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self.db = None
        # Two processes opening a new archive at once: switching it to WAL takes a lock SQLite's
        # busy timeout does not wait for, so opening is retried while the file is busy.
        deadline = time.monotonic() + wait
        while True:
            try:
                self._open(wait)
                self.db.translating = True
                return
            except sqlite3.OperationalError as exc:
                self.close()
                if not _busy(exc):
                    raise self._unopenable(exc) from None
                if time.monotonic() >= deadline:
                    raise ArchiveLocked(
                        f"{self.path}: the catalog stayed busy in another process for {wait:.0f} s; try again"
                    ) from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                self.close()
                raise self._unopenable(exc) from None
            except SohoaError:
                self.close()
                raise

    def _open(self, wait: float) -> None:
        if self.read_only:
            return self._open_read_only(wait)
        self.db = sqlite3.connect(self.path, timeout=wait, isolation_level=None, factory=_Connection)
        self.db.archive = self.path.parent
        self.db.row_factory = sqlite3.Row
        self._refuse_newer()  # before anything writes to a file we may not understand
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self._migrate()

    def _open_read_only(self, wait: float) -> None:
        """Open for reading an archive this process cannot write (a read-only mount, permissions).

        SQLite reads a WAL database read-only only through its -shm file: one left by a live writer,
        or one it may create. When neither is possible and no -wal holds changes, the file cannot
        change under us: it is opened as immutable. Any write then raises ArchiveReadOnly."""
        uri = self.path.resolve().as_uri()
        wal = self.path.with_name(self.path.name + "-wal")
        for mode in ("mode=ro", "immutable=1"):
            self.db = sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=wait, isolation_level=None,
                                      factory=_Connection)
            self.db.archive = self.path.parent
            self.db.row_factory = sqlite3.Row
            try:
                version = self.version
                break
            except sqlite3.OperationalError as exc:
                self.db.close()
                if "unable to open" not in str(exc) or mode != "mode=ro":
                    raise
                if wal.exists() and wal.stat().st_size:
                    raise ArchiveReadOnly.because(
                        self.path.parent, f"its catalog has changes not yet written into it ({wal.name})") from None
        self._refuse_newer()
        if version < SCHEMA_VERSION:
            raise ArchiveReadOnly.because(
                self.path.parent, f"its catalog (schema version {version}) must first be upgraded to {SCHEMA_VERSION}")
        self.db.execute("PRAGMA foreign_keys = ON")

    def _unopenable(self, exc: Exception) -> SohoaError:
        # A catalog that cannot get room for its -shm or -wal reads as "disk I/O error": that is
        # no damage, and restoring a backup over a healthy catalog would lose what it holds.
        with contextlib.suppress(OSError):
            if _FULL in str(exc) or shutil.disk_usage(self.path.parent).free < NO_ROOM:
                return DiskFull(f"{self.path.parent}: the archive's disk is full; free space and run the same "
                                "command again")
        return ArchiveError(f"{self.path}: the catalog is damaged or not a Sohoa catalog ({exc}); restore it from a backup")

    def close(self) -> None:
        if self.db is not None:
            self.db.close()

    @property
    def version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _refuse_newer(self) -> None:
        version = self.version
        if version > SCHEMA_VERSION:
            raise ArchiveError(
                f"{self.path}: catalog schema version {version} is newer than this Sohoa "
                f"understands ({SCHEMA_VERSION}); upgrade Sohoa to open this archive"
            )

    def _migrate(self) -> None:
        while self.version < SCHEMA_VERSION:
            with self.transaction():
                # Read again under the write lock: another process opening the archive at the
                # same moment may have just done this step.
                version = self.version
                if version < SCHEMA_VERSION:
                    for statement in _split_sql(MIGRATIONS[version]):
                        self.db.execute(statement)
                    self.db.execute(f"PRAGMA user_version = {version + 1}")

    def transaction(self):
        return _Transaction(self.db)

    def quick_check(self) -> list[str]:
        return [r[0] for r in self.db.execute("PRAGMA quick_check")]

    def snapshot(self, target: Path) -> tuple[int, list[tuple[int, str, str | None]]]:
        try:
            with sqlite3.connect(target) as copy:
                self.db.backup(copy)  # one step: a consistent snapshot, writers not blocked (WAL)
                rows = copy.execute("SELECT id, pdf_path, pdf_sha256 FROM papers ORDER BY id").fetchall()
                version = copy.execute("PRAGMA user_version").fetchone()[0]
            copy.close()
        except sqlite3.Error as exc:
            _raise_kind(exc, self.path.parent)
            raise
        return version, rows


class SqliteStore:
    """What every SQLite store shares: the one connection of its catalog, and its transactions.

    The stores' SQL is written to be read by PostgreSQL too where that costs nothing (its stores
    reuse it, digitize/storage/postgres/); what differs is a class attribute or method they override."""

    #: Put after a text column in ORDER BY: SQLite compares bytes; PostgreSQL says "C" to do the same.
    collate = ""
    #: The order links to a paper were made in: their time, then their insertion order.
    link_order = "attached_at, rowid"
    #: Joins `a`, the first link made to paper `p` (None when it has none).
    first_link = ("LEFT JOIN attachments a ON a.rowid = ("
                  "SELECT rowid FROM attachments WHERE paper_id = p.id ORDER BY attached_at, rowid LIMIT 1)")

    @staticmethod
    def as_int(condition: str) -> str:
        """A condition as 0 or 1, which SQLite's comparisons already are (PostgreSQL's are booleans)."""
        return condition

    @staticmethod
    def joined(expression: str, separator: int) -> str:
        """The aggregate joining `expression` with the character of code `separator`."""
        return f"group_concat({expression}, char({separator}))"

    def __init__(self, database: SqliteDatabase):
        self.db = database.db
        self.transaction = database.transaction


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
            raise CatalogBusy(f"the catalog is busy in another process ({exc}); try again") from exc
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if self.nested:
            if exc_type is not None:
                self.db.execute("ROLLBACK TO nested")
            self.db.execute("RELEASE nested")
            return False
        try:
            self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        except Exception:  # SQLite's error, or the kind the connection made of it (DiskFull)
            if self.db.in_transaction:  # a COMMIT that failed (disk full) may leave it open
                with contextlib.suppress(Exception):
                    self.db.execute("ROLLBACK")
            raise
        return False


class _Connection(sqlite3.Connection):
    """The catalog's connection: what SQLite says of a full disk, a read-only catalog or a lock held
    too long leaves it as the error kind a user acts on (`_raise_kind`), the rest as SQLite's own errors.
    Not while opening, which has its own policy (busy retried, the rest a damaged catalog or a full
    disk: SqliteDatabase)."""

    archive: Path
    translating = False

    def execute(self, *args):
        try:
            return super().execute(*args)
        except sqlite3.Error as exc:
            if self.translating:
                _raise_kind(exc, self.archive)
            raise

    def executemany(self, *args):
        try:
            return super().executemany(*args)
        except sqlite3.Error as exc:
            if self.translating:
                _raise_kind(exc, self.archive)
            raise


_FULL = "database or disk is full"  # SQLITE_FULL


def _raise_kind(exc: sqlite3.Error, archive: Path) -> None:
    """Raise the error kind of what SQLite said, if it is one a user acts on; else return."""
    said = str(exc)
    if _FULL in said:  # worded as any command's full disk is (cli.py)
        raise DiskFull(f"the disk is full ({said}); free space and run the same command again") from exc
    if "readonly database" in said:  # SQLITE_READONLY
        raise ArchiveReadOnly.because(archive, "this command writes to its catalog") from exc
    if isinstance(exc, sqlite3.OperationalError) and _busy(exc):  # SQLITE_BUSY, SQLITE_LOCKED
        raise ArchiveLocked(f"the catalog is busy in another process ({said}); try again") from exc


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements; a trigger's body keeps its inner semicolons."""
    statements, pending = [], ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    return statements
