"""A paper: show it, its text, PDF, page images and word boxes; edit, reuse, replace, attach; a citizen's papers."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, create_model

from digitize.metadata import FIELDS
from digitize.errors import Conflict
from digitize.services import papers, signing, views
from server.context import API, RowId, call, needs

router = APIRouter(prefix=API, tags=["papers"])
Id = RowId  # a paper's id in a path

# PATCH /papers/{id}: any of the metadata fields; "" or null clears one.
Edit = create_model("Edit", __config__=ConfigDict(extra="forbid"),
                    **{f: (str | None, Field(None, max_length=1000)) for f in FIELDS})


class Reuse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: str = Field(min_length=1, max_length=200)
    component: str | None = Field(None, max_length=500)
    force: bool = False
    reason: str | None = Field(None, max_length=2000)


class Replace(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_id: int = Field(ge=1, le=2**63 - 1, description="The newer paper that replaces this one.")


class Sign(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tsa: str | None = Field(None, max_length=2000, description="An RFC 3161 time-stamping service (PAdES B-T).")


class Prepare(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificate: str = Field(min_length=1, max_length=20000, description="The officer's certificate (PEM).")
    tsa: str | None = Field(None, max_length=2000)


class Finish(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signing_id: str = Field(min_length=1, max_length=64)
    signature: str = Field(min_length=1, max_length=20000, description="The token's signature value (base64).")


class Attach(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: str | None = Field(None, max_length=200)
    component: str | None = Field(None, max_length=500)
    result: bool = False


@router.get("/papers", **needs("of_holder"))
async def of_holder(request: Request, holder_id: str = Query(min_length=1, max_length=20), valid: bool = False,
                    show_ids: bool = False) -> list[dict]:
    """A citizen's papers, newest first, each with whether it is still valid (as `papers --json`)."""
    return await call(request, papers.of_holder, holder_id, valid=valid, show_ids=show_ids)


@router.get("/papers/{paper_id}", **needs("show", 404))
async def show(request: Request, paper_id: Id, show_ids: bool = False) -> dict:
    """A paper's catalog entry, metadata and validity (as `show --json`)."""
    return await call(request, papers.show, paper_id, show_ids=show_ids)


@router.get("/papers/{paper_id}/text", response_class=PlainTextResponse, **needs("view", 404))
async def text(request: Request, paper_id: Id) -> PlainTextResponse:
    """A paper's OCR text, pages separated by form feeds (the view is logged)."""
    return PlainTextResponse(await call(request, papers.text, paper_id))


@router.get("/papers/{paper_id}/pdf", response_class=StreamingResponse, **needs("view", 404, returns="application/pdf"))
async def pdf(request: Request, paper_id: Id) -> StreamingResponse:
    """The archived PDF (the view is logged)."""
    stream, size = await call(request, views.pdf, paper_id)

    def blocks():  # from the papers' store, whichever it is; closed when sent or when the client leaves
        with stream:
            yield from iter(lambda: stream.read(1 << 20), b"")

    return StreamingResponse(blocks(), media_type="application/pdf", headers={
        "Content-Length": str(size), "Content-Disposition": f'attachment; filename="paper-{paper_id}.pdf"'})


@router.get("/papers/{paper_id}/pages/{page}.png", response_class=FileResponse, **needs("view", 404, returns="image/png"))
async def page_image(request: Request, paper_id: Id, page: int, width: int | None = Query(None, ge=16, le=4000)):
    """One page as PNG, `width` pixels wide if given (rendered once, then cached; the view is logged)."""
    path = await call(request, views.page_image, paper_id, page, width=width)
    return FileResponse(path, media_type="image/png")


@router.get("/papers/{paper_id}/pages/{page}/words", **needs("view", 404))
async def page_words(request: Request, paper_id: Id, page: int, q: str | None = None) -> list[dict]:
    """The word boxes of a page, for highlighting hits over its image (`q`: a search, each word
    then says whether it matched)."""
    return await call(request, views.page_words, paper_id, page, q)


@router.patch("/papers/{paper_id}", **needs("edit", 404, 409))
async def edit(request: Request, paper_id: Id, changes: Edit) -> dict:
    """Correct fields of a paper ("" or null clears one): {id, changes, metadata, validity}."""
    given = {f: ("" if v is None else v) for f, v in changes.model_dump(exclude_unset=True).items()}
    return await call(request, papers.edit, paper_id, given)


@router.post("/papers/{paper_id}/reuse", **needs("reuse", 404, 409))
async def reuse(request: Request, paper_id: Id, body: Reuse) -> dict:
    """Attach the paper to a component of another record, marked reused (an invalid one only with force and reason)."""
    return await call(request, papers.reuse, paper_id, body.record, body.component, force=body.force,
                      reason=body.reason)


@router.post("/papers/{paper_id}/replace", **needs("replace", 404, 409))
async def replace(request: Request, paper_id: Id, body: Replace) -> dict:
    """Mark the paper replaced by `new_id`: no longer valid for reuse."""
    return await call(request, papers.replace, paper_id, body.new_id)


@router.post("/papers/{paper_id}/attach", **needs("attach", 404, 409))
async def attach(request: Request, paper_id: Id, body: Attach) -> dict:
    """Link the paper to a record's component or result; attaching twice changes nothing."""
    return await call(request, papers.attach, paper_id, body.record, body.component, result=body.result)


@router.post("/papers/{paper_id}/sign", **needs("sign", 404, 409))
async def sign(request: Request, paper_id: Id, body: Sign | None = None) -> dict:
    """Sign the paper's archived copy with the server's key: {id, pdf_path, pdf_sha256, signature}."""
    signer = request.app.state.settings.signer
    if signer is None:
        raise Conflict("this server has no signing key (sohoa serve --signing-key)", field="signing_key")
    return await call(request, signing.sign_paper, paper_id, signer, tsa_url=body.tsa if body else None)


@router.post("/papers/{paper_id}/sign/prepare", **needs("sign", 404, 409))
async def sign_prepare(request: Request, paper_id: Id, body: Prepare) -> dict:
    """Step 1 for an officer's token: {signing_id, to_sign (base64), expires_in}; the server keeps the rest."""
    return await call(request, signing.prepare_kept, paper_id, body.certificate, tsa_url=body.tsa)


@router.post("/papers/{paper_id}/sign/finish", **needs("sign", 404, 409))
async def sign_finish(request: Request, paper_id: Id, body: Finish) -> dict:
    """Step 2: the token's signature value embedded and recorded → the signature record."""
    return await call(request, signing.finish_kept, paper_id, body.signing_id, body.signature)
