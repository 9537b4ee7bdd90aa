"""Reuses and replacements of papers, in PostgreSQL."""

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.reuse import SqliteReuse


class PostgresReuse(PostgresStore, SqliteReuse):
    pass
