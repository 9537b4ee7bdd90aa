"""The admin's pages: users (add, disable) and tokens (create — its secret shown once — and revoke),
through digitize/services/accounts, which checks the right again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from digitize.errors import SohoaError
from digitize.services import accounts
from digitize.services.access import ROLES
from server.web.desk import field_error, run
from server.web.pages import html, page

router = APIRouter(include_in_schema=False)
FIELDS = ("name", "role", "password", "agencies")


def _agencies(text: str) -> tuple[str, ...]:
    """Agencies typed one a line (their names hold commas)."""
    return tuple(a.strip() for a in text.splitlines() if a.strip())


async def _users_page(request: Request, errors: dict | None = None, typed: dict | None = None, status: int = 200):
    rows = await run(request, accounts.list_users)
    return html(request, "users.html", status=status, rows=rows, roles=ROLES, errors=errors or {},
                typed=typed or {}, back="/")


@router.get("/users", **page("users"))
async def users(request: Request):
    return await _users_page(request)


@router.post("/users", **page("users"))
async def add_user(request: Request):
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in FIELDS}
    try:
        await run(request, lambda archive, actor: accounts.add_user(
            archive, actor, typed["name"], typed["role"], typed["password"], _agencies(typed["agencies"])))
    except SohoaError as exc:
        return await _users_page(request, field_error(request, exc, FIELDS, "name"), {**typed, "password": ""}, exc.http_status)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/disable", **page("users"))
async def disable_user(request: Request, name: str):
    await run(request, lambda archive, actor: accounts.disable_user(archive, actor, name))
    return RedirectResponse("/users", status_code=303)


async def _tokens_page(request: Request, errors: dict | None = None, typed: dict | None = None,
                       made: dict | None = None, status: int = 200):
    rows = await run(request, accounts.list_tokens)
    return html(request, "tokens.html", status=status, rows=rows, roles=ROLES, errors=errors or {},
                typed=typed or {}, made=made, back="/")


@router.get("/tokens", **page("tokens"))
async def tokens(request: Request):
    return await _tokens_page(request)


@router.post("/tokens", **page("tokens"))
async def create_token(request: Request):
    form = await request.form()
    typed = {k: str(form.get(k, "")) for k in FIELDS}
    try:
        made = await run(request, lambda archive, actor: accounts.create_token(
            archive, actor, typed["name"], typed["role"], _agencies(typed["agencies"])))
    except SohoaError as exc:
        return await _tokens_page(request, field_error(request, exc, FIELDS, "name"), typed, status=exc.http_status)
    return await _tokens_page(request, made=made, status=201)  # the secret is shown this once, never again


@router.post("/tokens/{name}/revoke", **page("tokens"))
async def revoke_token(request: Request, name: str):
    await run(request, lambda archive, actor: accounts.revoke_token(archive, actor, name))
    return RedirectResponse("/tokens", status_code=303)
