"""Signatures of papers' archived copies, in PostgreSQL."""

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.signatures import SqliteSignatures


class PostgresSignatures(PostgresStore, SqliteSignatures):
    pass
