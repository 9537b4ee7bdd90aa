"""Extracted and corrected metadata and each paper's current values, in PostgreSQL."""

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.metadata import SqliteMetadata


class PostgresMetadata(PostgresStore, SqliteMetadata):
    pass
