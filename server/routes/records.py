"""The register: import a CSV or JSON file, list records, show one."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from digitize.errors import BadArgument
from digitize.services import exporting, records
from server.context import API, call, needs
from server.routes.forms import form, multipart

router = APIRouter(prefix=API, tags=["records"])
Rule = Literal["strict", "lenient"]


@router.post("/records/import", **needs("import_register", 413, 415, openapi_extra=multipart({"file": False}, required=("file",))))
async def import_records(request: Request) -> dict:
    """Import or update records from a register CSV or JSON file (multipart field `file`): {file, new, updated}."""
    upload = await form(request)
    try:
        files = upload.files.get("file", [])
        if len(files) != 1:
            raise BadArgument("send the register as one file in the form field {file}", field="file")
        done = await call(request, records.import_register, files[0].path)
    finally:
        upload.remove()
    return {**done, "file": files[0].name}


@router.get("/records", **needs("list_records"))
async def list_records(request: Request, agency: str | None = None, procedure: str | None = None,
                       date_from: str | None = Query(None, alias="from"), date_to: str | None = Query(None, alias="to"),
                       not_digitized: bool = False, rule: Rule = "strict", show_ids: bool = False) -> list[dict]:
    """Registered records by received date, with what is digitized of each (as `records list --json`)."""
    return await call(request, records.list_records, agency=agency, procedure=procedure, date_from=date_from,
                      date_to=date_to, not_digitized=not_digitized, rule=rule, show_ids=show_ids)


@router.get("/records/{code}", **needs("show_record", 404))
async def show_record(request: Request, code: str, show_ids: bool = False) -> dict:
    """A record, its components with their papers, its results (as `records show --json`)."""
    return await call(request, records.show_record, code, show_ids=show_ids)


def _zip(archive, actor, code: str, stack: ExitStack) -> dict:
    """The record's zip in a work folder of its own under tmp/, which `stack` keeps (locked, so no
    other command sweeps it) until the response is sent."""
    folder = stack.enter_context(archive.work_dir("export-"))
    return exporting.export_zip(archive, actor, code, folder / "record.zip")


@router.get("/records/{code}/export", response_class=FileResponse, **needs("export", 404, returns="application/zip"))
async def export_record(request: Request, code: str) -> FileResponse:
    """The record's papers as PDF in the order received and its Decree 30 XML, as one zip (logged)."""
    stack = ExitStack()
    try:
        done = await call(request, _zip, code, stack)
    except BaseException:
        stack.close()
        raise
    return FileResponse(done["zip"], media_type="application/zip", filename=f"{done['record_code']}.zip",
                        background=BackgroundTask(stack.close))
