"""Papers, their pages, their links to records and their index state, in PostgreSQL."""

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.papers import SqlitePapers


class PostgresPapers(PostgresStore, SqlitePapers):
    pass
