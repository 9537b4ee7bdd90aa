"""The staff's pages: the search desk, a paper (its pages with the search's words boxed, metadata to
correct, validity, records, history, reuse), the records list and a record. Each page calls the
services (digitize/services), which check the role again and mask citizen IDs; every value shown is
escaped by the templates (register and OCR text is hostile)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from digitize import i18n
from digitize.errors import SohoaError
from digitize.services import papers, records, views
from digitize.services.access import ALLOWED
from server.context import RowId, opened
from server.web.pages import html, page, said

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
SEARCH_FILTERS = ("type", "agency", "issued_from", "issued_to", "expires_from", "expires_to")
N_ = i18n.N_
LABELS = {"doc_type": N_("Document type"), "holder_name": N_("Holder"), "holder_id": N_("Citizen ID"),
          "birth_date": N_("Date of birth"), "issuer": N_("Issued by"), "number": N_("Number and notation"),
          "issue_date": N_("Issue date"), "expiry_date": N_("Expiry date")}
EDITABLE = tuple(LABELS)


async def run(request: Request, work):
    """`work(archive, actor)` in a worker thread on a freshly opened archive."""

    def call():
        with opened(request) as archive:
            return work(archive, request.state.actor)

    return await run_in_threadpool(call)


def may(request: Request, action: str) -> bool:
    role = request.state.actor.role
    return role is None or role in ALLOWED[action]


def field_error(request: Request, exc: SohoaError, fields, fallback: str) -> dict:
    """{field: message} for the form, in the user's language: beside its field when the error names
    one of them."""
    field = (exc.field or "").replace("-", "_")
    field = {"from": "date_from", "to": "date_to"}.get(field, field)  # the services name the period so
    return {field if field in fields else fallback: said(request, exc)}


def quoted(value: str) -> str:
    return '"' + " ".join(value.replace('"', " ").split()) + '"'


def search_query(q: str, form: dict) -> str:
    """The box's query with the filters that are query fields (type:, agency:) added to it."""
    extra = [f"{name}:{quoted(form[name])}" for name in ("type", "agency") if form.get(name, "").strip()]
    return " ".join([q.strip(), *extra]).strip()


# A mark is exactly two asterisks: a masked citizen ID (0790******39) is a longer run, and text.
_MARK = re.compile(r"(?<!\*)\*\*(?!\*)")


def snippet_parts(snippet: str) -> list[tuple[bool, str]]:
    """The snippet as (marked, text) parts: the engines mark a match **so**; the template escapes
    each part and wraps the marked ones in <mark>, so OCR text never becomes markup."""
    return [(i % 2 == 1, part) for i, part in enumerate(_MARK.split(snippet)) if part]


@router.get("/search", **page("search"))
async def search(request: Request, q: str = "", page_number: int = 1, valid: str = "", type: str = "",
                 agency: str = "", issued_from: str = "", issued_to: str = "", expires_from: str = "",
                 expires_to: str = ""):
    form = {"q": q, "valid": bool(valid), "type": type, "agency": agency, "issued_from": issued_from,
            "issued_to": issued_to, "expires_from": expires_from, "expires_to": expires_to}
    query, found, errors = search_query(q, form), None, {}
    page_number = max(page_number, 1)
    if query:
        dates = {k: form[k] or None for k in SEARCH_FILTERS[2:]}
        try:
            found = await run(request, lambda archive, actor: papers.search_page(
                archive, actor, query, limit=PER_PAGE, offset=(page_number - 1) * PER_PAGE, valid=form["valid"],
                described=True, **dates))
        except SohoaError as exc:
            errors = field_error(request, exc, SEARCH_FILTERS, "q")
    if found:
        for hit in found["hits"]:
            hit["parts"] = snippet_parts(hit["snippet"] or "")
    kept = {k: v for k, v in form.items() if v}

    def link(n: int) -> str:
        return "/search?" + urlencode({**{k: ("1" if v is True else v) for k, v in kept.items()}, "page_number": n})

    pages = -(-found["total"] // PER_PAGE) if found else 0
    return html(request, "search.html", form=form, found=found, errors=errors, query=query, page_number=page_number,
                pages=pages, previous=link(page_number - 1) if page_number > 1 else None,
                next=link(page_number + 1) if page_number < pages else None, back="/")


@router.get("/papers/{paper_id}", **page("show"))
async def paper(request: Request, paper_id: RowId, q: str = "", n: int = 1, done: str = ""):
    return await _paper_page(request, paper_id, q, n, done=done == "saved" or None)


async def _paper_page(request: Request, paper_id: int, q: str = "", n: int = 1, errors: dict | None = None,
                      typed: dict | None = None, reuse_errors: dict | None = None, reuse_typed: dict | None = None,
                      done: bool | None = None, status: int = 200):
    def work(archive, actor):
        shown = papers.show(archive, actor, paper_id)
        number = min(max(n, 1), shown["page_count"] or 1)
        words = views.page_words(archive, actor, paper_id, number, q or None) if may(request, "view") else []
        return shown, number, words, papers.history(archive, actor, paper_id)

    shown, number, words, history = await run(request, work)
    values = {k: (v or {}).get("value") for k, v in shown["metadata"].items()}
    return html(request, "paper.html", status=status, paper=shown, number=number, q=q,
                boxes=[w for w in words if w.get("match")], values={**values, **(typed or {})},
                editable=EDITABLE, labels=LABELS, errors=errors or {}, history=history, may_edit=may(request, "edit"),
                may_reuse=may(request, "reuse"), reuse_errors=reuse_errors or {}, reuse_typed=reuse_typed or {},
                done=done, back="/search?" + urlencode({"q": q}) if q else "/search")


@router.post("/papers/{paper_id}", **page("edit"))
async def edit(request: Request, paper_id: RowId):
    form = await request.form()
    typed = {k: str(form[k]) for k in EDITABLE if k in form}  # a field not sent is left as it is
    q = str(form.get("q", ""))

    def work(archive, actor):
        current = papers.show(archive, actor, paper_id)["metadata"]  # masked as the form shows it
        changes = {k: v for k, v in typed.items() if v != ((current.get(k) or {}).get("value") or "")}
        return papers.edit(archive, actor, paper_id, changes) if changes else None

    try:
        await run(request, work)
    except SohoaError as exc:
        return await _paper_page(request, paper_id, q, errors=field_error(request, exc, EDITABLE, "form"), typed=typed,
                                 status=exc.http_status)
    return RedirectResponse(f"/papers/{paper_id}?" + urlencode({"q": q, "done": "saved"}), status_code=303)


@router.post("/papers/{paper_id}/reuse", **page("reuse"))
async def reuse(request: Request, paper_id: RowId):
    form = await request.form()
    typed = {k: str(form.get(k, "")).strip() for k in ("record", "component", "reason")}
    force = bool(typed["reason"])  # an expired or replaced paper goes in only with a reason, as in the CLI

    try:
        done = await run(request, lambda archive, actor: papers.reuse(
            archive, actor, paper_id, typed["record"], typed["component"] or None, force=force,
            reason=typed["reason"] or None))
    except SohoaError as exc:
        return await _paper_page(request, paper_id, str(form.get("q", "")), status=exc.http_status,
                                 reuse_errors=field_error(request, exc, ("record", "component", "reason"), "record"),
                                 reuse_typed=typed)
    return RedirectResponse(f"/records/{done.get('record_code') or typed['record']}", status_code=303)


@router.get("/records", **page("list_records"))
async def records_list(request: Request, agency: str = "", date_from: str = "", date_to: str = "",
                       not_digitized: str = ""):
    form = {"agency": agency, "date_from": date_from, "date_to": date_to, "not_digitized": bool(not_digitized)}
    rows, errors = [], {}
    try:
        rows = await run(request, lambda archive, actor: records.list_records(
            archive, actor, agency=agency or None, date_from=date_from or None, date_to=date_to or None,
            not_digitized=form["not_digitized"]))
    except SohoaError as exc:
        errors = field_error(request, exc, ("agency", "date_from", "date_to"), "agency")
    return html(request, "records.html", form=form, rows=rows, errors=errors, back="/")


@router.get("/records/{code}", **page("show_record"))
async def record(request: Request, code: str):
    found = await run(request, lambda archive, actor: records.show_record(archive, actor, code))
    return html(request, "record.html", record=found, may_view=may(request, "show"), back="/records")
