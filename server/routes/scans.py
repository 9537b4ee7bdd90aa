"""Scans: uploads become background jobs (one per file), run by the `sohoa worker` processes; a
job's state as JSON or as Server-Sent Events while it runs."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from digitize.errors import BadArgument
from digitize.services import jobs
from server import errors
from server.context import API, RowId, call, needs, opened
from server.routes.forms import flag, form, multipart, row_id
from server.uploads import fsync_all

router = APIRouter(prefix=API, tags=["scans"])
SPLITS = ("none", "blank", "code")
State = Literal["queued", "running", "done", "failed"]


@router.post("/scans", status_code=202, **needs("scan", 404, 409, 413, 415, openapi_extra=multipart(
    {"files": True}, {"record": {"type": "string"}, "component": {"type": "string"},
                      "result": {"type": "boolean"}, "split": {"type": "string", "enum": list(SPLITS)},
                      "replaces": {"type": "integer", "minimum": 1}},
    required=("files",))))
async def scan(request: Request) -> JSONResponse:
    """Upload scans (multipart `files`, and `record`, `component` or `result=true`, `split`): one job
    per file, 202 {jobs: [{id, source_name}]}. Each file gets the checks of `sohoa scan` in its job.
    `replaces`: the id of a paper flagged for rescanning, which the one file sent replaces once its
    job is done (a clerk's new scan of it, for the component the paper serves)."""
    upload = await form(request)
    try:
        files = upload.files.get("files", [])
        if not files:
            raise BadArgument("send one or more scans in the form field {files}", field="files")
        split = upload.value("split") or "none"
        if split not in SPLITS:
            raise BadArgument("{split} must be one of none, blank, code, not {value!r}", field="split", value=split)
        options = {"record": upload.value("record") or None, "component": upload.value("component") or None,
                   "result": flag(upload, "result"), "split": split, "replaces": row_id(upload, "replaces")}
        if options["replaces"] is not None and len(files) > 1:
            raise BadArgument("one new scan replaces one paper: send one file with {replaces}", field="replaces")
        fsync_all(upload)

        def submit(archive, actor):
            return [jobs.submit_scan(archive, actor, f.path, f.name, **options) for f in files]

        submitted = await call(request, submit)
    finally:
        upload.remove()  # what the jobs took is theirs already; the rest goes
    return JSONResponse({"jobs": [{"id": j["id"], "source_name": j["source_name"]} for j in submitted]},
                        status_code=202)


@router.get("/jobs", **needs("jobs"))
async def list_jobs(request: Request, state: State | None = None, limit: int = Query(50, ge=1, le=1000)) -> list[dict]:
    """Jobs the asker may see — a clerk's scans, an admin's reindex, re-extract and backup — newest first."""
    return await call(request, lambda archive, actor: jobs.list_jobs(archive, actor, state=state, limit=limit))


@router.get("/jobs/{job_id}", **needs("jobs", 404))
async def job(request: Request, job_id: RowId) -> dict:
    """{id, kind, state, done, total (pages of a scan, papers of the other kinds), papers: [the objects
    of `scan --json`], outcome (reindex, re-extract: {papers}; backup: as `backup --json`), source_name, error}."""
    return await call(request, lambda archive, actor: jobs.get(archive, actor, job_id))


@router.get("/jobs/{job_id}/events", response_class=StreamingResponse,
            **needs("jobs", 404, returns="text/event-stream"))
async def job_events(request: Request, job_id: RowId) -> StreamingResponse:
    """The job's state as Server-Sent Events, one each time it changes, until it is done or failed."""
    await call(request, lambda archive, actor: jobs.get(archive, actor, job_id))  # 404 before the stream starts
    actor = request.state.actor
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()
    done = object()

    def produce():
        # One thread for the whole stream: its archive's connection stays in the thread that opened it.
        try:
            with opened(request) as archive:
                for event in jobs.events(archive, actor, job_id):
                    loop.call_soon_threadsafe(queue.put_nowait, event)
                    if stop.is_set():
                        break
        except Exception as exc:  # the stream has started: the error becomes its last event
            loop.call_soon_threadsafe(queue.put_nowait, errors.event(exc))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, done)

    async def stream():
        threading.Thread(target=produce, daemon=True, name=f"sse-job-{job_id}").start()
        try:
            while True:
                event = await queue.get()
                if event is done:
                    break
                yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
        finally:
            stop.set()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
