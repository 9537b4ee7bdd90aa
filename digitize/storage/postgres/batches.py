"""Batch intake and pages to rescan, in PostgreSQL."""

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.batches import SqliteBatches


class PostgresBatches(PostgresStore, SqliteBatches):
    pass
