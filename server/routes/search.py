"""Search: the CLI's query language and filters, a page at a time."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from digitize.services import papers
from server.context import API, call, needs

router = APIRouter(prefix=API, tags=["search"])


@router.get("/search", **needs("search"))
async def search(request: Request, q: str = Query(max_length=1000), limit: int = Query(10, ge=1, le=1000),
                 offset: int = Query(0, ge=0, le=100_000), valid: bool = False, show_ids: bool = False,
                 issued_from: str | None = None, issued_to: str | None = None, expires_from: str | None = None,
                 expires_to: str | None = None) -> dict:
    """{total, hits: [the objects of `search --json`]}, best first, `limit` hits from `offset`."""
    return await call(request, papers.search_page, q, limit=limit, offset=offset, valid=valid, show_ids=show_ids,
                      issued_from=issued_from, issued_to=issued_to, expires_from=expires_from, expires_to=expires_to)
