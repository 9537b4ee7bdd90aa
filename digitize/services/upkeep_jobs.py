"""An admin's upkeep jobs run by a worker: reindex, re-extract and backup, as `sohoa reindex`, `sohoa
extract` and `sohoa backup` do them, as the admin who asked (their rights checked again), with the
job's progress (papers done of total) and outcome in its row.

Their long steps (an index's final swap, one big file into a backup) report no progress, so the
lease is renewed by a heartbeat thread on its own connection to the catalog; a job no longer this
worker's (its lease ran out and another took it) is given up at its next progress.

At least once: a job whose worker died is run again by another, and each kind is safe to run
twice. Reindex and re-extract give the same result again (a killed rebuild resumes where it
stopped; re-extraction commits in chunks and redoes the same). A backup writes its file anew under
a partial name of its own attempt — two overlapping attempts never write into one file — renamed
to the final name only once complete; a killed attempt's partial file is removed by the next."""

from __future__ import annotations

import logging
import re
import socket
import threading
from pathlib import Path

from digitize.archive import Archive
from digitize.errors import ArchiveError, SohoaError
from digitize.services import papers, upkeep
from digitize.services.actor import Actor

log = logging.getLogger("sohoa.worker")


class JobLost(Exception):
    """The job's lease ran out and another worker runs it now: this run stops."""


def actor_of(job: dict) -> Actor:
    """Who submitted the job, as the services are told (role, agencies, channel rebuilt)."""
    return Actor(**{**job["actor"], "agencies": tuple(job["actor"].get("agencies") or ())})


class Heartbeat:
    """Renews a running job's lease every third of it, with the progress last reported."""

    def __init__(self, root: Path, job: dict, worker: str, lease: float):
        self.root, self.job_id, self.worker, self.lease = root, job["id"], worker, lease
        self.done = self.total = 0
        self.lost, self.stopped = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"lease-job-{job['id']}")
        self.thread.start()

    def progress(self, done: int, total: int) -> None:
        if self.lost.is_set():
            raise JobLost(self.job_id)
        self.done, self.total = done, max(total, done)

    def _beat(self) -> None:
        try:
            with Archive(self.root) as archive:  # its own connection: a SQLite one stays in its thread
                while not self.stopped.wait(max(0.2, self.lease / 3)):
                    try:
                        if not archive.catalog.jobs.progress(self.job_id, self.worker, self.done, self.total,
                                                             self.lease):
                            self.lost.set()
                            return
                    except SohoaError as exc:  # the catalog busy or away: the next beat tries again
                        log.warning("job %s: could not renew its lease (%s)", self.job_id, exc)
        except Exception:
            log.exception("job %s: its lease's heartbeat stopped", self.job_id)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


def job_error(job: dict, exc: Exception) -> dict:
    """A job's error as its row keeps it: a user's mistake in one line naming the job's file; a bug
    only by its class (the worker's log has the traceback)."""
    if isinstance(exc, SohoaError):
        return {"kind": type(exc).__name__, "message": f"{job['source_name']}: {exc}"}
    return {"kind": "InternalError", "message": f"an internal error stopped this job ({type(exc).__name__}); "
                                                "the worker's log has the details"}


def run(archive: Archive, job: dict, worker: str, lease: float) -> str:
    """Run one claimed upkeep job to its end: its final state (or 'lost' when another worker took it)."""
    jobs = archive.catalog.jobs
    jobs.progress(job["id"], worker, 0, 0, lease)
    beat = Heartbeat(archive.root, job, worker, lease)
    error = outcome = None
    try:
        outcome = _KINDS[job["kind"]](archive, actor_of(job), job, beat)
    except JobLost:
        log.warning("job %s: its lease ran out and another worker runs it; this run stops", job["id"])
        return "lost"
    except Exception as exc:  # a bug too: the job says so, the worker goes on with the next
        if not isinstance(exc, SohoaError):
            log.exception("job %s failed", job["id"])
        error = job_error(job, exc)
    finally:
        beat.stop()
    if error is None:
        jobs.progress(job["id"], worker, beat.total, beat.total, lease)
    state = "failed" if error else "done"
    jobs.finish(job["id"], worker, state, error, outcome)
    return state


def _reindex(archive: Archive, actor: Actor, job: dict, beat: Heartbeat) -> dict:
    total = archive.catalog.papers.count()
    beat.progress(0, total)
    engine = job["options"].get("engine")
    count = upkeep.reindex(archive, actor, engine=engine, on_document=lambda n: beat.progress(n, total))
    beat.progress(count, count)
    return {"papers": count, "engine": archive.index.name}


def _re_extract(archive: Archive, actor: Actor, job: dict, beat: Heartbeat) -> dict:
    options = job["options"]
    count = papers.extract(archive, actor, tuple(options.get("papers") or ()), every=bool(options.get("every")),
                           progress=beat.progress)
    beat.progress(count, count)
    return {"papers": count}


def _backup(archive: Archive, actor: Actor, job: dict, beat: Heartbeat) -> dict:
    folder, name = Path(job["options"]["folder"]), job["options"]["name"]
    if not folder.is_dir():
        raise ArchiveError("{path}: no such folder on the worker's host {host}; the backup folder must be on the "
                           "storage every worker mounts, at the same path", path=str(folder), host=socket.gethostname())
    mine = f"job{job['id']}-{job['attempts']}"
    # what an earlier attempt of this job left when its worker was killed mid-file
    earlier = re.compile(re.escape(f".{name}.job{job['id']}-") + r"(\d+)\.partial")
    for left in folder.glob(f".{name}.job{job['id']}-*.partial"):
        found = earlier.fullmatch(left.name)
        if found and int(found.group(1)) < job["attempts"]:
            left.unlink(missing_ok=True)
    beat.progress(0, archive.catalog.papers.count())
    return upkeep.backup(archive, actor, folder / name, progress=beat.progress, attempt=mine)


_KINDS = {"reindex": _reindex, "re-extract": _re_extract, "backup": _backup}
