"""The storage interface: every read and write of the catalog, one store per aggregate.

    Database  schema.py    schema version, transactions and savepoints, consistency, snapshots
    Records   records.py   register records, their components and results
    Papers    papers.py    papers, pages, links to records, index state
    Metadata  metadata.py  extracted and corrected values, each paper's current values
    Reuse     reuse.py     reuses and replacements
    Batches   batches.py   batch intake, pages to rescan
    Audit     audit.py     the audit log
    Signatures signatures.py  officers' signatures on archived copies
    Coverage  coverage.py  the counts coverage, the missing list and the records list read
    Accounts  accounts.py  users and API tokens of the server
    Jobs      jobs.py      the server's background jobs (uploaded scans)

Each is an abstract class whose methods take and return plain Python values (dataclasses, dicts,
lists, tuples), never a backend's rows or SQL. The domain modules use only these, reached through
`Catalog` (digitize/catalog.py). The SQLite implementation is in digitize/storage/sqlite/; another
backend implements the same classes and runs the same tests (tests/test_storage.py).
"""

from digitize.storage.accounts import Accounts
from digitize.storage.audit import Audit
from digitize.storage.batches import Batches
from digitize.storage.coverage import Coverage
from digitize.storage.jobs import Jobs
from digitize.storage.metadata import METADATA_FIELDS, Metadata
from digitize.storage.papers import NewPaper, PageInfo, Papers
from digitize.storage.records import Record, Records, RegisterResult
from digitize.storage.reuse import Reuse
from digitize.storage.schema import Database
from digitize.storage.signatures import Signatures
from digitize.storage.values import nfc, now_iso, without_password

__all__ = ["Accounts", "Audit", "Batches", "Coverage", "Database", "Jobs", "METADATA_FIELDS", "Metadata", "NewPaper", "PageInfo",
           "Papers", "Record", "Records", "RegisterResult", "Reuse", "Signatures", "nfc", "now_iso",
           "without_password"]
