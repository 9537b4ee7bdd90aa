"""The Decision 766 indicators: JSON, CSV and the HTML page; the missing list; pages to rescan."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from digitize import coverage as indicators
from digitize.services import records
from server.context import API, RowId, call, needs

router = APIRouter(prefix=API, tags=["coverage"])
Rule = Literal["strict", "lenient"]
Lang = Literal["vi", "en"]
From = Query(None, alias="from", description="First received date (YYYY-MM-DD or DD/MM/YYYY).")
To = Query(None, alias="to", description="Last received date, inclusive.")


class Accept(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pages: list[int] = Field(default_factory=list, description="Only these pages [default: all flagged].")
    reason: str | None = Field(None, max_length=2000)


@router.get("/coverage", **needs("coverage"))
async def coverage(request: Request, by: str | None = None, date_from: str | None = From, date_to: str | None = To,
                   rule: Rule = "strict", max_points: str | None = None) -> dict:
    """The indicators (as `coverage --json`)."""
    return await call(request, records.coverage, by=by, date_from=date_from, date_to=date_to, rule=rule,
                      max_points=max_points)


@router.get("/coverage.csv", response_class=Response, **needs("coverage", returns="text/csv"))
async def coverage_csv(request: Request, by: str | None = None, date_from: str | None = From,
                       date_to: str | None = To, rule: Rule = "strict", max_points: str | None = None) -> Response:
    """The indicators as CSV (as `coverage --csv`)."""
    report = await call(request, records.coverage, by=by, date_from=date_from, date_to=date_to, rule=rule,
                        max_points=max_points)
    return Response(indicators.to_csv(report), media_type="text/csv; charset=utf-8")


def _html(archive, actor, **options) -> str:
    with tempfile.TemporaryDirectory(dir=archive.root / "tmp", prefix="report-") as folder:
        page = Path(folder) / "coverage.html"
        records.coverage_html(archive, actor, page, **options)
        return page.read_text(encoding="utf-8")


@router.get("/coverage.html", response_class=HTMLResponse, **needs("coverage"))
async def coverage_html(request: Request, date_from: str | None = From, date_to: str | None = To,
                        rule: Rule = "strict", max_points: str | None = None,
                        lang: Lang | None = None) -> HTMLResponse:
    """The indicators as one self-contained HTML page (as `coverage --html`), in `lang` (by default
    the user's language)."""
    return HTMLResponse(await call(request, _html, date_from=date_from, date_to=date_to, rule=rule,
                                   max_points=max_points, lang=lang))


@router.get("/coverage/missing", **needs("missing"))
async def missing(request: Request, date_from: str | None = From, date_to: str | None = To, rule: Rule = "strict",
                  limit: int | None = Query(None, ge=0)) -> dict:
    """The records not digitized and what each lacks, oldest due first (as `coverage --missing --json`)."""
    return await call(request, records.missing, date_from=date_from, date_to=date_to, rule=rule, limit=limit)


@router.get("/rescan", **needs("rescan_list"))
async def rescan(request: Request) -> list[dict]:
    """Pages to scan again, with their papers (as `rescan --json`)."""
    return await call(request, records.rescan_list)


@router.post("/rescan/{paper_id}/accept", **needs("accept_rescan", 404, 409))
async def accept(request: Request, paper_id: RowId, body: Accept = Body(...)) -> dict:
    """Keep a paper's flagged pages (or `pages` of it) as they are, for `reason` (logged)."""
    return await call(request, records.accept_rescan, paper_id, body.pages, body.reason)
