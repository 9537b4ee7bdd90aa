"""Background jobs (scans uploaded to the server; reindex, re-extract and backup asked by an admin): a queue in the catalog, so a restarted server
resumes them. A worker claims a job with a lease it renews as it works; a job whose lease ran out
(its worker was killed) is claimed again, up to a number of attempts, then failed."""

from __future__ import annotations

from abc import ABC, abstractmethod

STATES = ("queued", "running", "done", "failed")


class Jobs(ABC):
    @abstractmethod
    def add(self, kind: str, source_name: str, path: str, sha256: str, options: dict, actor: dict) -> int:
        """A new queued job; its id."""

    @abstractmethod
    def claim(self, worker: str, lease_seconds: float, max_attempts: int, job_id: int | None = None) -> dict | None:
        """The oldest job that is queued, or running with its lease run out, now running for `worker`
        (attempts + 1), or None. In one atomic step, so two workers never claim the same job; a job
        whose lease ran out after `max_attempts` is failed instead. With `job_id` (a broker's
        delivery), that job only: None when it is done, failed or still another worker's."""

    @abstractmethod
    def progress(self, job_id: int, worker: str, pages_done: int, pages_total: int, lease_seconds: float) -> bool:
        """Record progress and renew the lease; False when the job is no longer this worker's."""

    @abstractmethod
    def add_paper(self, job_id: int, worker: str, paper: dict) -> None:
        """Append one paper's view (the object `scan --json` prints) to the job's papers."""

    @abstractmethod
    def finish(self, job_id: int, worker: str, state: str, error: dict | None = None,
               outcome: dict | None = None) -> None:
        """End the job (done or failed, with {kind, message}; an upkeep job's `outcome`) if it is
        still this worker's."""

    @abstractmethod
    def release(self, job_id: int, worker: str) -> None:
        """Back to the queue (a worker stopping), its attempt not counted."""

    @abstractmethod
    def get(self, job_id: int) -> dict | None:
        """{id, kind, state, source_name, path, sha256, options, actor, pages_done, pages_total,
        papers, error, outcome, attempts, worker, created, started, finished}."""

    @abstractmethod
    def list(self, state: str | None = None, limit: int = 50) -> list[dict]:
        """Jobs as `get` gives them, newest first."""

    @abstractmethod
    def requeue_running(self) -> int:
        """Every running job back to the queue (the server's workers are all gone): how many."""
