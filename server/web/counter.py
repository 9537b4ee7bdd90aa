"""The counter (clerk): find a record by its code (typed, or read from the QR code of its reception
receipt), its components as a checklist, scans dropped on a component (POST /api/v1/scans from the
page's script, progress from the job's events), each paper's thumbnail, confidence and rescan
reasons, and a flagged page accepted with a reason or its paper replaced by a new scan (the scan's
job does the replacing, `replaces` of POST /api/v1/scans)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from digitize import i18n
from digitize.errors import BadArgument, NotFound, SohoaError, UnsupportedMedia
from digitize.services import access, papers, records
from server.context import RowId, call
from server.web.pages import html, page, said

router = APIRouter(include_in_schema=False)
N_ = i18n.N_
STATES = {"digitized": N_("digitized"), "reused": N_("reused"), "missing": N_("missing")}
VALIDITY = {"valid": N_("valid"), "expired": N_("expired on %(date)s"), "replaced": N_("replaced by #%(paper)s")}


def _state(found: list[dict]) -> str:
    if not found:
        return "missing"
    return "reused" if all(p["reused"] for p in found) else "digitized"


def view(archive, actor, code: str) -> dict:
    """The record as the counter shows it: each component (and the result) with its state and its
    papers as `papers.show` has them (pages, confidence, rescan reasons)."""
    record = records.show_record(archive, actor, code)
    shown = {}

    def detail(found: list[dict]) -> list[dict]:
        for p in found:
            shown.setdefault(p["id"], {**papers.show(archive, actor, p["id"]), "reused": p["reused"]})
        return [shown[p["id"]] for p in found]

    offers = papers.offered(archive, actor, code) if access.allowed(actor, "of_holder") else {}
    parts = [{"name": c["name"], "component": c["name"], "papers": detail(c["papers"]),
              "offers": offers.get(c["name"], [])} for c in record["components"]]
    if record["requires_paper_result"] or record["result_papers"]:
        parts.append({"name": None, "component": None, "papers": detail(record["result_papers"]), "offers": []})
    for part in parts:
        # a paper replaced by a new scan that serves here too gives way to it (`sohoa replace` keeps both)
        ids = {p["id"] for p in part["papers"]}
        part["papers"] = [p for p in part["papers"] if p["validity"].get("replaced_by") not in ids]
        part["state"] = _state(part["papers"])
    return {"record": record, "parts": parts}


def _code(value: str | None) -> str:
    return " ".join((value or "").split())


@router.get("/counter", **page("scan"))
async def counter(request: Request, code: str | None = None):
    code = _code(code)
    context = {"code": code, "found": None, "error": None, "states": STATES, "validity": VALIDITY}
    if code:
        try:
            context["found"] = await call(request, view, code)
        except SohoaError as exc:
            context["error"] = {"field": "code", "message": _message(request, exc, code)}
            return html(request, "counter.html", status=exc.http_status, **context)
    return html(request, "counter.html", back="/" if not code else "/counter", **context)


def _message(request: Request, exc: SohoaError, code: str) -> str:
    t = i18n.translations(i18n.language(request.state.actor.lang))
    if isinstance(exc, NotFound):
        return t.gettext("no record %(code)s in the register") % {"code": code}
    return said(request, exc)


@router.post("/counter/code-image", **page("scan"))
async def code_from_image(request: Request):
    """The receipt's photo or scan (field `image`): on to the record its QR code names."""
    upload = getattr(request.state, "upload", None)
    if upload is None:
        raise UnsupportedMedia("send the receipt's image as multipart/form-data (a form upload)", field="image")
    t = i18n.translations(i18n.language(request.state.actor.lang))
    try:
        files = upload.files.get("image", [])
        if not files:
            raise BadArgument(t.gettext("choose a photo or scan of the receipt"), field="image")
        found = await call(request, records.codes_in_image, files[0].path)
        if not found:
            raise BadArgument(t.gettext("no record code in the QR codes of this image; type the code"), field="image")
    except SohoaError as exc:
        error = {"field": "image", "message": said(request, exc)}
        return html(request, "counter.html", status=exc.http_status, code="", found=None, error=error, states=STATES,
                    validity=VALIDITY)
    finally:
        upload.remove()
    return RedirectResponse("/counter?code=" + quote(found[0]), status_code=303)


def _paper(archive, actor, paper_id: int) -> dict:
    found = papers.show(archive, actor, paper_id)
    found["reused"] = any(a["reused"] for a in found["attachments"])
    return found


@router.get("/counter/papers/{paper_id}", **page("scan"))
async def paper(request: Request, paper_id: RowId):
    """One paper's card (the page's script fetches it when a scan's job is done)."""
    return html(request, "_paper.html", paper=await call(request, _paper, paper_id))


@router.post("/counter/papers/{paper_id}/accept", **page("accept_rescan"))
async def accept(request: Request, paper_id: RowId):
    """Keep the paper's flagged pages as they are, for the reason given: its card again."""
    form = await request.form()
    reason = str(form.get("reason", ""))
    error = None
    try:
        await call(request, records.accept_rescan, paper_id, None, reason)
    except SohoaError as exc:
        t = i18n.translations(i18n.language(request.state.actor.lang))
        message = t.gettext("say why the page is kept as it is") if exc.field == "reason" else said(request, exc)
        error = {"field": "reason", "message": message}
    found = await call(request, _paper, paper_id)
    # htmx swaps the card in on 200 only: a refusal is the card again, with the error beside the reason
    return html(request, "_paper.html", paper=found, error=error, reason=reason if error else "")


@router.post("/counter/reuse", **page("reuse"))
async def reuse(request: Request):
    """One click reuses one of the applicant's papers for a component; an expired or replaced one
    only with a reason (as `sohoa reuse --force --reason`). Back to the record, or its page again
    with the refusal beside the paper's reason."""
    form = await request.form()
    code, component, reason = _code(str(form.get("record", ""))), str(form.get("component", "")), \
        " ".join(str(form.get("reason", "")).split())
    try:
        paper_id = int(str(form.get("paper", "")))
    except ValueError:
        raise BadArgument("{paper} must be a paper's id", field="paper") from None
    try:
        await call(request, papers.reuse, paper_id, code, component, force=bool(reason), reason=reason or None)
    except SohoaError as exc:
        t = i18n.translations(i18n.language(request.state.actor.lang))
        message = t.gettext("this paper is not valid: say why it is reused anyway") if exc.field == "force" else said(request, exc)
        error = {"field": "reuse", "paper": paper_id, "component": component, "message": message}
        found = await call(request, view, code)
        return html(request, "counter.html", status=exc.http_status, code=code, found=found, error=error,
                    states=STATES, validity=VALIDITY)
    return RedirectResponse("/counter?code=" + quote(code), status_code=303)
