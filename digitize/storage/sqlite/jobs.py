"""Background jobs in SQLite: claimed by one UPDATE … RETURNING, so two workers never share a job."""

from __future__ import annotations

import json
import time

from digitize.storage.jobs import Jobs
from digitize.storage.sqlite.schema import SqliteStore
from digitize.storage.values import nfc, now_iso

_JSON = ("options", "actor", "papers", "error", "outcome")


def _row(row) -> dict | None:
    if row is None:
        return None
    job = dict(row)
    for key in _JSON:
        job[key] = json.loads(job[key]) if job[key] is not None else None
    return job


class SqliteJobs(SqliteStore, Jobs):
    claim_lock = ""  # SQLite's writer lock serialises claims already

    def add(self, kind: str, source_name: str, path: str, sha256: str, options: dict, actor: dict) -> int:
        return self.db.execute(
            "INSERT INTO jobs (kind, state, source_name, path, sha256, options, actor, created) "
            "VALUES (?, 'queued', ?, ?, ?, ?, ?, ?) RETURNING id",
            (kind, nfc(source_name), path, sha256, json.dumps(options, ensure_ascii=False),
             json.dumps(actor, ensure_ascii=False), now_iso())).fetchall()[0][0]  # all: the statement ends

    def claim(self, worker: str, lease_seconds: float, max_attempts: int, job_id: int | None = None) -> dict | None:
        now = time.time()
        with self.transaction():
            self.db.execute(
                "UPDATE jobs SET state = 'failed', finished = ?, worker = NULL, error = ? "
                "WHERE state = 'running' AND lease_until < ? AND attempts >= ?",
                (now_iso(), json.dumps({"kind": "ArchiveError", "message":
                    f"the worker running this job stopped {max_attempts} times (killed, or out of memory); "
                    "scan the file on its own, or split it"}), now, max_attempts))
            row = self.db.execute(
                "UPDATE jobs SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1, "
                "papers = '[]', pages_done = 0, started = coalesce(started, ?) "
                "WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' OR (state = 'running' AND lease_until < ?)) "
                f"AND (CAST(? AS BIGINT) IS NULL OR id = ?) ORDER BY id LIMIT 1{self.claim_lock}) RETURNING *",
                (worker, now + lease_seconds, now_iso(), now, job_id, job_id)).fetchone()
        return _row(row)

    def progress(self, job_id: int, worker: str, pages_done: int, pages_total: int, lease_seconds: float) -> bool:
        return self.db.execute(
            "UPDATE jobs SET pages_done = ?, pages_total = ?, lease_until = ? "
            "WHERE id = ? AND worker = ? AND state = 'running'",
            (pages_done, pages_total, time.time() + lease_seconds, job_id, worker)).rowcount == 1

    def add_paper(self, job_id: int, worker: str, paper: dict) -> None:
        self.db.execute("UPDATE jobs SET papers = json_insert(papers, '$[#]', json(?)) "
                        "WHERE id = ? AND worker = ? AND state = 'running'",
                        (json.dumps(paper, ensure_ascii=False), job_id, worker))

    def finish(self, job_id: int, worker: str, state: str, error: dict | None = None,
               outcome: dict | None = None) -> None:
        self.db.execute("UPDATE jobs SET state = ?, error = ?, outcome = ?, finished = ?, lease_until = NULL "
                        "WHERE id = ? AND worker = ? AND state = 'running'",
                        (state, json.dumps(error, ensure_ascii=False) if error else None,
                         json.dumps(outcome, ensure_ascii=False) if outcome is not None else None, now_iso(),
                         job_id, worker))

    def release(self, job_id: int, worker: str) -> None:
        self.db.execute("UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL, "
                        "attempts = attempts - 1 "
                        "WHERE id = ? AND worker = ? AND state = 'running'", (job_id, worker))

    def get(self, job_id: int) -> dict | None:
        return _row(self.db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone())

    def list(self, state: str | None = None, limit: int = 50) -> list[dict]:
        where, args = ("WHERE state = ?", [state]) if state else ("", [])
        return [_row(r) for r in self.db.execute(f"SELECT * FROM jobs {where} ORDER BY id DESC LIMIT ?",
                                                 (*args, limit))]

    def requeue_running(self) -> int:
        return self.db.execute("UPDATE jobs SET state = 'queued', worker = NULL, lease_until = NULL "
                               "WHERE state = 'running'").rowcount
