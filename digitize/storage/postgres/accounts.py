"""Users and API tokens, in PostgreSQL."""

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.accounts import SqliteAccounts


class PostgresAccounts(PostgresStore, SqliteAccounts):
    pass
