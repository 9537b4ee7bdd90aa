"""Every error as `{"error": {"kind", "message", "field"}}` with a status from its kind
(digitize/errors.py). A request that does not parse is a BadArgument (422) about its first wrong
field; anything else is a bug: logged here with its traceback, answered 500 with a generic message.

Each route's OpenAPI declares the statuses it may answer with this body (`declared`, `declare`), so
a client — and tests/test_openapi.py, which holds the API to its description — knows them all."""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException

from digitize.errors import DiskFull, SohoaError, disk_full

log = logging.getLogger("sohoa.server")

# Statuses Starlette itself raises (no such route, wrong method) by the kind a client reads.
_HTTP_KINDS = {404: "NotFound", 405: "MethodNotAllowed", 413: "TooLarge", 415: "UnsupportedMedia"}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="The error kind (digitize/errors.py): BadArgument, NotFound, Forbidden…")
    message: str = Field(description="What went wrong and what to do, in one line.")
    field: str | None = Field(description="The parameter, JSON key or form field at fault, if one is.")


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    error: ErrorDetail


def _kinds(kind: type[SohoaError] = SohoaError):
    yield kind
    for sub in kind.__subclasses__():
        yield from _kinds(sub)


ERROR_REF = "#/components/schemas/ErrorBody"


def declared(*statuses: int) -> dict[int, dict]:
    """OpenAPI `responses` of these error statuses, each described by the kinds that answer it. The
    body is always JSON, whatever the route's own type (text, PDF, CSV), hence the schema by
    reference (`declare` adds it) rather than a `model` FastAPI would file under that type."""
    def kinds(status: int) -> str:
        names = sorted({k.__name__ for k in _kinds() if k.http_status == status} |
                       ({_HTTP_KINDS[status]} if status in _HTTP_KINDS else set()))
        return ", ".join(names) or "error"

    content = {"application/json": {"schema": {"$ref": ERROR_REF}}}
    return {status: {"description": kinds(status), "content": content} for status in statuses}


# What any route may answer: the catalog held by another process (423); busy, damaged or read-only,
# a program missing (503); the disk full (507) — reading routes write too: every view is logged.
ANY_ROUTE = (423, 503, 507)
NEEDS_USER = (401, 403)  # no or bad credentials; a role or agency that may not (or no CSRF header)


def declare(app: FastAPI) -> None:
    """Declare on every route the error statuses all routes share, and 422 (our body, not FastAPI's
    own) on those with parameters or a body."""
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        statuses = list(ANY_ROUTE)
        if route.dependencies:  # server.context.needs: who is asking is checked first
            statuses += NEEDS_USER
        if (route.dependant.query_params or route.dependant.path_params or route.body_field
                or "requestBody" in (route.openapi_extra or {})):
            statuses.append(422)
        responses = {**declared(*statuses), **route.responses}
        route.responses = dict(sorted(responses.items(), key=lambda kv: str(kv[0])))
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            _, found = models_json_schema([(ErrorBody, "serialization")],
                                          ref_template="#/components/schemas/{model}")
            schema.setdefault("components", {}).setdefault("schemas", {}).update(found["$defs"])
        return app.openapi_schema

    app.openapi = openapi


def spell(field: str, metavar: str) -> str:
    """A field as the API names it: the JSON key or query parameter, quoted."""
    return f"'{field}'"


def body(kind: str, message: str, field: str | None = None) -> dict:
    return {"error": {"kind": kind, "message": message, "field": field}}


def is_page(request: Request) -> bool:
    """A browser page (server/web), not the API: its errors are pages too (Datasette-style, by route)."""
    path = request.url.path
    return not (path == "/health" or path.startswith("/api/") or path == "/api" or path.startswith("/static/"))


def respond(request: Request, status: int, kind: str, message: str, field: str | None = None,
            headers: dict | None = None, error: SohoaError | None = None):
    """JSON, or a small HTML page on a route that serves HTML when a browser asks for it (a
    page's: the `error` in the user's language)."""
    if is_page(request):
        from server.web.pages import error_page  # the pages import this module

        return error_page(request, status, kind, message, error)
    if request.url.path.endswith(".html") and "text/html" in request.headers.get("accept", ""):
        page = (f"<!doctype html><meta charset=utf-8><title>{status} {html.escape(kind)}</title>"
                f"<h1>{html.escape(kind)}</h1><p>{html.escape(message)}</p>")
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(body(kind, message, field), status_code=status, headers=headers)


def event(exc: Exception) -> dict:
    """The error body of `exc` where no status can be sent any more (a stream already started):
    a SohoaError as itself, anything else logged and named InternalError, as the handlers do."""
    if isinstance(exc, SohoaError):
        return body(type(exc).__name__, exc.render(spell), exc.field)
    log.error("internal error in a stream", exc_info=exc)
    return body("InternalError", "internal error; the server's log has the details")


def sohoa_error(request: Request, exc: SohoaError):
    headers = {}
    if exc.http_status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="sohoa"'
    if exc.http_status in (429, 503):
        headers["Retry-After"] = str(getattr(exc, "retry_after", 5))
    return respond(request, exc.http_status, type(exc).__name__, exc.render(spell), exc.field, headers, exc)


def _validation(request: Request, exc: RequestValidationError):
    first = exc.errors()[0] if exc.errors() else {}
    where = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header", "cookie")]
    field = where[0] if where else None
    message = first.get("msg", "the request does not parse")
    text = f"{field}: {message}" if field else message
    if len(exc.errors()) > 1:
        text += f" (and {len(exc.errors()) - 1} more)"
    return respond(request, 422, "BadArgument", text, field)


def _http(request: Request, exc: HTTPException):
    if exc.status_code == 400:  # FastAPI's own: a JSON body that does not decode (not UTF-8, say)
        return respond(request, 422, "BadArgument",
                       f"the request body does not parse ({exc.detail}); send JSON in UTF-8")
    kind = _HTTP_KINDS.get(exc.status_code, "SohoaError")
    message = {404: f"no such route: {request.method} {request.url.path}; see /api/docs",
               405: f"{request.method} is not allowed on {request.url.path}; see /api/docs"}.get(
        exc.status_code, str(exc.detail))
    return respond(request, exc.status_code, kind, message, None, getattr(exc, "headers", None))


def _unexpected(request: Request, exc: Exception):
    if disk_full(exc):
        return respond(request, DiskFull.http_status, "DiskFull",
                       "the archive's disk is full; the administrator must free space, then try again")
    if isinstance(exc, OverflowError) and "SQLite INTEGER" in str(exc):
        # an id or number of the request past SQLite's 64 bits (/papers/99999999999999999999): no such row
        return respond(request, 422, "BadArgument", f"a number in the request is too large (at most {2**63 - 1})")
    log.exception("internal error on %s %s", request.method, request.url.path)
    return respond(request, 500, "InternalError", "internal error; the server's log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(SohoaError, sohoa_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
