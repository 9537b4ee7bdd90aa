"""Background jobs in PostgreSQL: a claim skips the rows another worker holds, so two never share a job."""

from __future__ import annotations

import json

from digitize.storage.postgres.schema import PostgresStore
from digitize.storage.sqlite.jobs import SqliteJobs


class PostgresJobs(PostgresStore, SqliteJobs):
    # Under READ COMMITTED two claims would otherwise both pick the oldest queued row.
    claim_lock = " FOR UPDATE SKIP LOCKED"

    def add_paper(self, job_id: int, worker: str, paper: dict) -> None:
        # Text spliced, not jsonb: jsonb would reorder the keys of what `scan --json` printed.
        self.db.execute("UPDATE jobs SET papers = CASE WHEN papers = '[]' THEN '[' || ? || ']' "
                        "ELSE left(papers, -1) || ',' || ? || ']' END "
                        "WHERE id = ? AND worker = ? AND state = 'running'",
                        (*[json.dumps(paper, ensure_ascii=False)] * 2, job_id, worker))
