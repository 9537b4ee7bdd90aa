"""The audit log, in PostgreSQL."""

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.audit import SqliteAudit


class PostgresAudit(PostgresStore, SqliteAudit):
    pass
