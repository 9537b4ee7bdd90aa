"""The pages every user sees: login, logout, the language switch, home; and `page(action)`, what
each page declares, as the API's routes declare `needs(action)`: a logged-in user (cookie session)
whose role may do the action. Refusals are HTML (server/errors.py): not logged in → /login, a
wrong role → a 403 page."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from digitize import i18n
from digitize.errors import BadArgument, SohoaError, Unauthorized
from digitize.services import access, accounts
from digitize.services.actor import Actor
from server.auth import SESSION_COOKIE, address, clear_session, resolve, set_session
from server.context import ACTION, opened
from server.routes.forms import form
from server.web import render, say

router = APIRouter(include_in_schema=False)
FORM = ("application/x-www-form-urlencoded", "multipart/form-data")


def page(action: str | None, **route) -> dict:
    """The keyword arguments of a page only users allowed `action` open (None: any logged-in user)."""

    async def dependency(request: Request) -> Actor:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthorized("log in first")
        csrf, ctype = None, request.headers.get("content-type", "")
        if request.method == "POST" and ctype.startswith(FORM[1]):
            # files go to tmp/uploads/ as the API's do (streamed, limited); the route removes them
            request.state.upload = upload = await form(request)
            csrf = upload.value("csrf_token") or ""
        elif request.method == "POST" and ctype.startswith(FORM[0]):
            csrf = str((await request.form()).get("csrf_token", ""))
        try:
            actor = await run_in_threadpool(resolve, request, None, cookie, csrf)
            request.state.actor = actor
            if action is not None:
                access.require(actor, action)
        except SohoaError:
            if getattr(request.state, "upload", None) is not None:
                request.state.upload.remove()
            raise
        return actor

    return {"dependencies": [Depends(dependency)], "openapi_extra": {ACTION: action}, **route}


def local(target: str | None) -> str:
    """Where to go after a form: a path of this site only (never another host: browsers read `/\\`
    as `//`)."""
    ok = target and target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target
    return target if ok else "/"


# Defence in depth: were some text ever rendered unescaped, no script of it would run (the pages'
# scripts are files of /static; htmx injects one small style, hence style-src 'unsafe-inline').
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def lang_of(request: Request) -> str:
    """The language of the request's user (a visitor's: the lang cookie)."""
    actor = getattr(request.state, "actor", None)
    return i18n.language(actor.lang if actor is not None else request.cookies.get("sohoa_lang"))


def said(request: Request, error: SohoaError) -> str:
    """A service's error in the request's user's language."""
    return say(error, lang_of(request))


def html(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    """`template` for the request's user, in their language (a visitor's: the lang cookie)."""
    actor = getattr(request.state, "actor", None)
    lang = lang_of(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTMLResponse(render(template, i18n.language(lang), user=actor, csrf=getattr(request.state, "csrf", None),
                               here=here, **context), status_code=status, headers=PAGE_HEADERS)


@router.get("/", **page(None))
async def home(request: Request):
    return html(request, "home.html")


@router.get("/login")
async def login_page(request: Request, next: str = "/"):
    return html(request, "login.html", next=local(next), name="", error=None)


@router.post("/login")
async def login(request: Request):
    form = await request.form()
    name, password, target = str(form.get("name", "")), str(form.get("password", "")), local(str(form.get("next", "/")))
    limit = request.app.state.login_limit
    key = (name, address(request) or "")
    try:
        if not name.strip():
            raise BadArgument("enter your user name", field="name")
        limit.check(key)

        def check():
            with opened(request) as archive:
                return accounts.login(archive, name, password, "web", address(request))

        actor = await run_in_threadpool(check)
    except SohoaError as exc:
        if isinstance(exc, Unauthorized):
            limit.failed(key)
            exc.field = "password"
        return html(request, "login.html", status=exc.http_status, next=target, name=name,
                    error={"message": said(request, exc), "field": exc.field})
    limit.succeeded(key)
    cookie, csrf = request.app.state.sessions.issue(actor.name)
    response = RedirectResponse(target, status_code=303)
    set_session(request, response, cookie, csrf, request.app.state.settings.session_seconds)
    return response


@router.post("/logout", **page(None))
async def logout(request: Request):
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response


@router.post("/lang")
async def switch_language(request: Request):
    """The header's switch: kept on a logged-in user (their `lang`), in a cookie for a visitor."""
    form = await request.form()
    lang, target = str(form.get("lang", "")), local(str(form.get("next", "/")))
    if lang not in i18n.LANGUAGES:
        raise BadArgument("no such language {value!r}", field="lang", value=lang)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        actor = await run_in_threadpool(resolve, request, None, cookie, str(form.get("csrf_token", "")))

        def keep():
            with opened(request) as archive:
                accounts.set_lang(archive, actor, lang)

        await run_in_threadpool(keep)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie("sohoa_lang", lang, max_age=365 * 86400, samesite="lax", path="/")
    return response


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(here, safe="/"), status_code=303)


N_ = i18n.N_
HEADINGS = {401: N_("Please log in"), 403: N_("Not allowed"), 404: N_("Not found"), 413: N_("Too large"),
            422: N_("Not understood"), 429: N_("Too many attempts"), 500: N_("Something went wrong"),
            503: N_("Busy, try again")}


def error_page(request: Request, status: int, kind: str, message: str, error: SohoaError | None = None):
    """An error on a page: not logged in → the login page (then back here), else an HTML page in
    the user's language (a service's `error` too; any message is escaped like any text)."""
    if status == 401 and request.method in ("GET", "HEAD"):
        return login_redirect(request)
    if status == 401 and request.headers.get("HX-Request"):  # htmx swaps no error in: the whole page goes,
        shown = urlsplit(request.headers.get("HX-Current-URL", ""))  # back to the page it was on after
        back = local(shown.path + (f"?{shown.query}" if shown.query else ""))
        return HTMLResponse("", status_code=401, headers={"HX-Redirect": "/login?next=" + quote(back, safe="/")})
    actor = getattr(request.state, "actor", None)
    t = i18n.translations(i18n.language(actor.lang if actor else request.cookies.get("sohoa_lang")))
    return html(request, "error.html", status=status, heading=t.gettext(HEADINGS.get(status) or N_("Error")),
                message=said(request, error) if error is not None else message, back="/")
