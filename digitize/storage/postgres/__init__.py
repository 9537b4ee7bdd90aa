"""The catalog on PostgreSQL (psycopg 3): the same stores as digitize/storage/sqlite/, most of their
SQL shared (see schema.py)."""

from __future__ import annotations

from digitize.storage.postgres.accounts import PostgresAccounts
from digitize.storage.postgres.audit import PostgresAudit
from digitize.storage.postgres.batches import PostgresBatches
from digitize.storage.postgres.coverage import PostgresCoverage
from digitize.storage.postgres.jobs import PostgresJobs
from digitize.storage.postgres.metadata import PostgresMetadata
from digitize.storage.postgres.papers import PostgresPapers
from digitize.storage.postgres.records import PostgresRecords
from digitize.storage.postgres.reuse import PostgresReuse
from digitize.storage.postgres.schema import PostgresDatabase
from digitize.storage.postgres.signatures import PostgresSignatures

STORES = {"records": PostgresRecords, "papers": PostgresPapers, "metadata": PostgresMetadata, "reuse": PostgresReuse,
          "batches": PostgresBatches, "audit": PostgresAudit, "coverage": PostgresCoverage,
          "accounts": PostgresAccounts, "signatures": PostgresSignatures, "jobs": PostgresJobs}


def open_database(url: str, wait: float = 30.0) -> PostgresDatabase:
    return PostgresDatabase(url, wait)


__all__ = ["STORES", "PostgresDatabase", "open_database"]
