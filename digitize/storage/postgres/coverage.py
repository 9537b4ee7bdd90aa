"""The counts coverage reports read, in PostgreSQL: the same pass over the records' counters, which
PL/pgSQL triggers keep (schema version 4)."""

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.coverage import DIMENSIONS, SqliteCoverage


class PostgresCoverage(PostgresStore, SqliteCoverage):
    # PostgreSQL takes no bare columns beside an aggregate: groups are by their labels, months computed
    # (a hash aggregate, no sort); the SQLite store's merging still labels a procedure by its latest name.
    dimensions = {**DIMENSIONS, "month": ("left(received_date, 7)", "left(received_date, 7)")}
    missing_names = """SELECT string_agg(name, chr(31) ORDER BY position) FROM components c
                       WHERE c.record_code = records.record_code AND c.papers = 0"""

    def grouping(self, labels: str, keys: str) -> str:
        return f"GROUP BY {labels}"
