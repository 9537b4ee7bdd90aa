"""Records of the register, their components and results, in PostgreSQL."""

from __future__ import annotations

from typing import Iterable

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.records import Record
from digitize.storage.sqlite.records import SqliteRecords
from digitize.storage.values import now_iso


class PostgresRecords(PostgresStore, SqliteRecords):
    listed = "SELECT jsonb_array_elements_text(?::jsonb)"

    def upsert(self, records: Iterable[Record]) -> tuple[int, int]:
        return self._upsert(list(records), now_iso())  # no page cache to size: the server's own
