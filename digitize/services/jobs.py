"""Background scans: an uploaded file becomes a job in the catalog's queue; `run_worker` processes
claim jobs one at a time and scan them through the scanning service as the clerk who uploaded them
(their role, agencies and channel rebuilt from the job), so a job does what `sohoa scan` does. While
more are queued, a worker holds the jobs it has archived (each paper committed to the catalog alone)
and indexes their papers in one commit before marking them done, so a done job's papers are found.

Exactly once: a job whose worker was killed is claimed again when its lease runs out (at most
MAX_ATTEMPTS times); the scan it runs again finds the papers already archived by their SHA-256 and
archives nothing twice, so the job still lists them (as `skipped`).

An admin's upkeep jobs — reindex, re-extract, backup — share the table, the broker and the workers;
digitize/services/upkeep_jobs.py runs them."""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import signal
import socket
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Iterator

from digitize import batches, pdfa, queue
from digitize import reuse as reusing
from digitize.archive import Archive
from digitize.errors import BadArgument, Conflict, NotFound, SohoaError
from digitize.intake import sha256_file
from digitize.scan.pool import PagePool
from digitize.scan.targets import resolve_target
from digitize.services import scanning, upkeep_jobs
from digitize.services.access import agencies, allowed, require
from digitize.services.actor import Actor
from digitize.services.common import paper, require_in_scope, seen
from index import ENGINES
from ocr import TesseractEngine

log = logging.getLogger("sohoa.worker")
LEASE_SECONDS = float(os.environ.get("SOHOA_JOB_LEASE", 60))  # renewed at every page; a page takes seconds
MAX_ATTEMPTS = 3
HOLD = 3  # jobs a worker archives before it indexes their papers in one commit and marks them done
# (more would keep many clerks waiting at once, and leave the queue empty meanwhile)
JOBS_DIR = "jobs"  # under the archive's tmp/: a job's file until it ends (never swept as a leftover)
_SHOWN = ("id", "kind", "state", "source_name", "pages_done", "pages_total", "papers", "error", "outcome",
          "attempts", "created", "started", "finished")
ACTIONS = {"scan": "scan", "reindex": "reindex", "re-extract": "re_extract", "backup": "backup"}  # kind → right


def _kinds() -> dict[int, str]:
    """Error kind by exit code, parents first (an outcome keeps only its message and exit code)."""
    kinds, queue = {}, [SohoaError]
    while queue:
        cls = queue.pop(0)
        kinds.setdefault(cls.exit_code, cls.__name__)
        queue.extend(cls.__subclasses__())
    return kinds


def safe_name(name: str) -> str:
    """A client's file name as one harmless path component (the name itself is kept as data)."""
    base = re.sub(r"[\x00-\x1f/\\]", "_", name.replace("\\", "/").rsplit("/", 1)[-1]).lstrip(".") or "upload"
    while len(base.encode()) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:-1] + dot + ext) if dot and len(ext) <= 5 else base[:-1]
    return base


def _visible(actor: Actor, job: dict) -> bool:
    """Those who may submit a kind see its jobs (a clerk scans, an admin the upkeep); a clerk bound to
    agencies sees the jobs of those agencies' clerks, and their own."""
    if not allowed(actor, ACTIONS.get(job["kind"], "scan")):
        return False
    if actor.role is None or not actor.agencies:
        return True
    owner = job["actor"] or {}
    return owner.get("name") == actor.name or bool(set(owner.get("agencies") or ()) & set(actor.agencies))


def _shown(job: dict) -> dict:
    """`done` of `total`: pages for a scan, papers for the upkeep kinds."""
    return {**{k: job[k] for k in _SHOWN}, "done": job["pages_done"], "total": job["pages_total"]}


def _shown_to(archive: Archive, actor: Actor, job: dict) -> dict:
    """The job as `actor` is shown it: a clerk of several agencies may share a job with one of
    another, so its papers are only those `actor` may see (Decree 30)."""
    shown = _shown(job)
    if agencies(actor) is not None and shown["papers"]:
        visible = seen(archive, actor, [p["id"] for p in shown["papers"] if p.get("id") is not None])
        shown["papers"] = [p for p in shown["papers"] if p.get("id") is None or p["id"] in visible]
    return shown


def submit_scan(archive: Archive, actor: Actor, path: Path, source_name: str, record: str | None = None,
                component: str | None = None, result: bool = False, split: str = "none",
                replaces: int | None = None) -> dict:
    """Queue the scan of an uploaded file (which the job now owns): the target is checked now, the
    file's checks are the scan's. `replaces`: a paper flagged for rescanning that the new scan
    replaces once it is archived (as `sohoa replace OLD NEW`), for the same target. The job as
    `get` shows it."""
    require(actor, "scan")
    target = resolve_target(archive, record, component, result, agencies(actor))  # the uploader's error, now
    if replaces is not None:
        _replaceable(archive, actor, replaces, target, split)
    folder = archive.root / "tmp" / JOBS_DIR / secrets.token_hex(8)
    folder.mkdir(parents=True, mode=0o770)
    kept = folder / safe_name(source_name)
    os.replace(path, kept)
    options = {"record": record, "component": component, "result": result, "split": split, "replaces": replaces}
    return _queued(archive, actor, "scan", source_name, str(kept), sha256_file(kept), options)


def _queued(archive: Archive, actor: Actor, kind: str, source_name: str, path: str, sha256: str,
            options: dict) -> dict:
    """A new job in the table, announced to the workers: the job as `get` shows it."""
    job_id = archive.catalog.jobs.add(kind, source_name, path, sha256, options, asdict(actor))
    if queue.current() is not None:  # `--broker`: the workers hear of it from the broker
        queue.current().announce(job_id)
    return _shown(archive.catalog.jobs.get(job_id))


def _replaceable(archive: Archive, actor: Actor, paper_id: int, target, split: str) -> None:
    """A paper a new scan may replace: one `actor` sees, with pages still flagged for rescanning,
    serving the target the new scan goes to (a paper on no record: a scan for none); one file, one
    paper (no batch split)."""
    require(actor, "replace_scan")
    require_in_scope(archive, actor, paper_id, field="replaces")
    batches.flagged_pages(archive.catalog, paper_id, field="replaces")
    if split != "none":
        raise BadArgument("a new scan replacing paper {paper} is one paper: send it with {split} none",
                          field="split", paper=paper_id)
    served = {(a["record_code"], a["component"] or None, bool(a["is_result"]))
              for a in archive.catalog.papers.records_of(paper_id)}
    wanted = {(target.record_code, target.component or None, target.is_result)} if target else set()
    if served and not wanted & served or wanted and not served:
        raise BadArgument("paper {paper} does not serve this record's component; send the new scan for the "
                          "component the paper serves", field="replaces", paper=paper_id)


def submit_reindex(archive: Archive, actor: Actor, engine: str | None = None) -> dict:
    """Queue a rebuild of the search index from the catalog (with another `engine`, to switch), as
    `sohoa reindex` does it; its outcome {papers, engine}."""
    require(actor, "reindex")
    if engine is not None and engine not in ENGINES:
        raise BadArgument("{engine} must be one of {engines}, not {value!r}", field="engine",
                          engines=", ".join(ENGINES), value=engine)
    return _queued(archive, actor, "reindex", "reindex" + (f" ({engine})" if engine else ""), "", "",
                   {"engine": engine})


def submit_extract(archive: Archive, actor: Actor, paper_ids: tuple[int, ...] = (), every: bool = False) -> dict:
    """Queue a re-extraction of metadata from the stored text, as `sohoa extract` does it: of these
    papers (checked now), else of `every` paper, else of those never extracted; its outcome {papers}."""
    require(actor, "re_extract")
    for paper_id in paper_ids:
        paper(archive, actor, paper_id)
    which = (f"{len(paper_ids)} papers" if paper_ids else "every paper" if every else "papers never extracted")
    return _queued(archive, actor, "re-extract", f"re-extract ({which})", "", "",
                   {"papers": list(paper_ids), "every": bool(every)})


def submit_backup(archive: Archive, actor: Actor, folder: str | Path, name: str | None = None) -> dict:
    """Queue a backup, as `sohoa backup` makes it, into `folder` — an absolute path on the storage the
    workers share (a worker on another host writes it there) — as `name` (.tar or .tar.gz; default
    sohoa-DATE-TIME.tar.gz, chosen now, so a second run writes the same file); its outcome as
    `backup --json`, {file, papers, files, bytes, schema_version}."""
    require(actor, "backup")
    folder = Path(folder)
    if not folder.is_absolute():
        raise BadArgument("{folder} must be an absolute path on the storage the workers share (a worker on another "
                          "host writes the backup there), not {value!r}", field="folder", value=str(folder))
    if folder.exists() and not folder.is_dir():
        raise BadArgument("{folder}: {path} is a file, not a folder", field="folder", path=str(folder))
    name = name or f"sohoa-{datetime.now():%Y%m%d-%H%M%S-%f}.tar.gz"
    if safe_name(name) != name or not name.endswith((".tar", ".tar.gz", ".tgz")):
        raise BadArgument("{name} must be a plain file name ending in .tar or .tar.gz, not {value!r}", field="name",
                          value=name)
    return _queued(archive, actor, "backup", f"backup to {folder / name}", "", "",
                   {"folder": str(folder), "name": name})


def get(archive: Archive, actor: Actor, job_id: int) -> dict:
    """{id, state, pages_done, pages_total, papers: [the objects of `scan --json`], source_name, error, …}."""
    require(actor, "jobs")
    job = archive.catalog.jobs.get(job_id)
    if job is None or not _visible(actor, job):
        raise NotFound("no job {job}", field="job", job=job_id)
    return _shown_to(archive, actor, job)


def list_jobs(archive: Archive, actor: Actor, state: str | None = None, limit: int = 50) -> list[dict]:
    """The jobs `actor` may see, newest first."""
    require(actor, "jobs")
    shown: list[dict] = []
    for job in archive.catalog.jobs.list(state, limit=100_000 if actor.agencies else limit):
        if _visible(actor, job):
            shown.append(_shown_to(archive, actor, job))
            if len(shown) == limit:
                break
    return shown


def events(archive: Archive, actor: Actor, job_id: int, poll: float = 0.25) -> Iterator[dict]:
    """The job each time it changes, until it is done or failed."""
    last = None
    while True:
        job = get(archive, actor, job_id)
        if job != last:
            yield job
            last = job
        if job["state"] in ("done", "failed"):
            return
        time.sleep(poll)


def recover(archive: Archive) -> int:
    """At the server's start, before its workers: the jobs its killed workers left running, queued again."""
    return archive.catalog.jobs.requeue_running()


def run_job(archive: Archive, job: dict, worker: str, processes: int | None = None) -> str:
    """Run one claimed job (scan its file, or the upkeep it asks for); its final state."""
    if job["kind"] != "scan":
        return upkeep_jobs.run(archive, job, worker, LEASE_SECONDS)
    return _finish(archive, job, worker, _scan(archive, job, worker, processes))


def _scan(archive: Archive, job: dict, worker: str, processes: int | None = None, pool: PagePool | None = None,
          held: list[dict] = ()) -> dict | None:
    """Archive a claimed job's papers (with the worker's OCR `pool`, which leaves indexing them to
    the worker, else with one of its own); the job's error, if any. The leases of the jobs `held`
    (archived, waiting for their index commit) are renewed with this one's."""
    jobs = archive.catalog.jobs
    actor = upkeep_jobs.actor_of(job)
    options = job["options"]
    job["pages_done"] = 0
    try:
        batch = scanning.scan(archive, actor, [Path(job["path"])], record=options.get("record"),
                              component=options.get("component"), result=bool(options.get("result")),
                              split=options.get("split") or "none", processes=processes, pool=pool,
                              index=pool is None)
        job["pages_total"] = batch.pages
        jobs.progress(job["id"], worker, 0, batch.pages, LEASE_SECONDS)

        def on_page():
            job["pages_done"] += 1
            job["pages_total"] = max(job["pages_total"], job["pages_done"])
            for one in (job, *held):
                jobs.progress(one["id"], worker, one["pages_done"], one["pages_total"], LEASE_SECONDS)

        for scanned in batch.run(on_page=on_page):
            jobs.add_paper(job["id"], worker, scanned.view)
        failed = [o for o in batch.outcomes if o.status == "failed"]
        if failed:
            return {"kind": _kinds().get(failed[0].exit_code, "InputError"),
                    "message": f"{job['source_name']}: {failed[0].error}"}
        if options.get("replaces") is not None:
            _replace(archive, actor, options["replaces"], batch.outcomes, index=pool is None)
        return None
    except SohoaError as exc:
        return upkeep_jobs.job_error(job, exc)
    except Exception as exc:  # a bug: the job says so, the worker goes on with the next
        log.exception("job %s failed", job["id"])
        return upkeep_jobs.job_error(job, exc)


def _replace(archive: Archive, actor: Actor, old: int, outcomes: list, index: bool) -> None:
    """The job's new paper replaces the flagged one it was sent for (checked when it was queued):
    its flags then leave the rescan list, and the old paper is no longer valid for reuse."""
    new = [o.id for o in outcomes if o.id is not None]
    if not new:
        return
    if new == [old]:
        raise Conflict("this is the very file of paper {paper}; scan the paper again", field="replaces", paper=old)
    reusing.replace(archive.catalog, old, new[0], user=actor.name)
    if index:  # else the worker indexes the held jobs' papers, their new validity with them
        archive.sync_index()


def _finish(archive: Archive, job: dict, worker: str, error: dict | None) -> str:
    state = "failed" if error else "done"
    archive.catalog.jobs.finish(job["id"], worker, state, error)
    shutil.rmtree(Path(job["path"]).parent, ignore_errors=True)  # a failed file is in quarantine
    return state


def _release(archive: Archive, worker: str, held: list[tuple[dict, dict | None]]) -> None:
    """Index the papers of the jobs held in one commit, then end them: a done job's papers are found."""
    try:
        archive.sync_index()
        indexing = None
    except Exception as exc:  # as a scan's own indexing failing would have: each job says so
        if not isinstance(exc, SohoaError):
            log.exception("indexing jobs %s failed", [job["id"] for job, _ in held])
        indexing = exc
    for job, error in held:
        _finish(archive, job, worker, error or (upkeep_jobs.job_error(job, indexing) if indexing else None))


def run_worker(root: Path, processes: int | None = None, once: bool = False, poll: float = 0.5,
               broker: str | None = None) -> int:
    """Claim and run jobs until SIGTERM/SIGINT (the current job is finished first), or, with `once`,
    until the queue is empty: how many jobs were run. With `broker` (a Redis URL) the job ids come
    from the broker, waited for if it is not up yet; else the worker polls the jobs table."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    stopping = []
    previous = {s: signal.signal(s, lambda *_: stopping.append(True)) for s in (signal.SIGTERM, signal.SIGINT)}
    ran = 0
    pool = None
    try:
        feed = queue.feed(broker, lambda: bool(stopping), poll, LEASE_SECONDS, MAX_ATTEMPTS) if broker else None
        with Archive(root) as archive:
            jobs = archive.catalog.jobs
            # One OCR pool for all its jobs: a job of one page would otherwise spend as long starting
            # and stopping its own as reading the page (bench/README.md "The server under load").
            pool = PagePool(TesseractEngine(), max(1, processes or os.cpu_count() or 1), warm=True)
            pdfa.preload()
            archive.sync_index()  # what a worker killed between catalog and index left
            log.info("worker %s ready", worker)
            # Jobs archived while more were queued are held, up to HOLD, and indexed in one commit.
            held: list[tuple[dict, dict | None]] = []
            while not stopping:
                if feed:
                    job = feed.next(jobs, worker)
                else:
                    job = jobs.claim(worker, LEASE_SECONDS, MAX_ATTEMPTS) if len(held) < HOLD else None
                if job is None:
                    if held:
                        _release(archive, worker, held)
                        held = []
                        continue
                    if once and (feed is None or feed.idle(jobs)):
                        break
                    if feed is None:
                        time.sleep(poll)
                    continue
                log.info("job %s: %s", job["id"], job["source_name"])
                if job["kind"] != "scan":  # an upkeep job may take long: the held scans end first
                    if held:
                        _release(archive, worker, held)
                        held = []
                    upkeep_jobs.run(archive, job, worker, LEASE_SECONDS)
                    if feed:
                        feed.done()
                    ran += 1
                    continue
                held.append((job, _scan(archive, job, worker, processes, pool, [j for j, _ in held])))
                if feed:  # one delivery at a time: the job ended, then acknowledged, before the next
                    _release(archive, worker, held)
                    held = []
                    feed.done()
                ran += 1
            if held:
                _release(archive, worker, held)
    finally:
        if pool is not None:
            pool.shutdown()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return ran

