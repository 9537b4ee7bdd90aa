"""The FastAPI application of one archive: `create_app(archive_root, settings)`.

Routes live under /api/v1 (OpenAPI at /api/openapi.json, its pages at /api/docs); GET /health
answers without a login. Each route declares the action it needs (server.context.needs): the actor
is refused (401, 403) before its parameters are read, then the route calls one service.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from digitize.errors import Unauthorized
from digitize.services import accounts
from server import errors
from server.auth import LoginLimit, Sessions, address, clear_session, set_session
from server.context import API, Settings, needs, opener
from server.routes import admin, coverage, papers, records, scans, search
from server.web import STATIC
from server.web import admin as web_admin
from server.web import counter as web_counter
from server.web import dashboard as web_dashboard
from server.web import desk as web_desk
from server.web import pages as web_pages

log = logging.getLogger("sohoa.server")


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=1000)


class ServerTiming:
    """`Server-Timing: app;dur=MS` on every answer: the server's own time to its headers, which a
    browser's developer tools and bench/web.py read apart from the network's (issue 14: a search page
    in 300 ms). Plain ASGI, so a streamed answer (a job's events) passes through untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()

        async def timed(message):
            if message["type"] == "http.response.start":
                took = f"app;dur={(time.perf_counter() - start) * 1000:.1f}".encode()
                message = {**message, "headers": [*message.get("headers", []), (b"server-timing", took)]}
            await send(message)

        await self.app(scope, receive, timed)


def create_app(archive_root: Path, settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    root = Path(archive_root)
    open_archive = opener(root, settings)
    with open_archive() as archive:  # the archive must open now (and is migrated), not at the first request
        secret = accounts.session_secret(archive)
    app = FastAPI(title="Sohoa", version="1", summary="One archive of digitized papers for every counter",
                  docs_url="/api/docs", redoc_url=None, openapi_url="/api/openapi.json")
    app.state.root, app.state.settings, app.state.open = root, settings, open_archive
    app.state.sessions = Sessions(secret, settings.session_seconds)
    app.state.login_limit = LoginLimit(settings.login_attempts, settings.login_window)
    errors.install(app)
    app.add_middleware(ServerTiming)

    api = APIRouter(prefix=API)

    @app.get("/health", tags=["session"])
    @api.get("/health", tags=["session"])
    async def health() -> dict:
        """200 when the archive opens (no login)."""

        def probe():
            with open_archive() as archive:
                return {"status": "ok", "schema_version": archive.catalog.schema_version}

        return await run_in_threadpool(probe)

    @api.post("/login", tags=["session"], responses=errors.declared(401, 429))
    async def login(request: Request, response: Response, body: Login) -> dict:
        """Log in with a name and password: sets the session cookie and returns {name, role,
        agencies, csrf_token}; send csrf_token as X-CSRF-Token with every change."""
        limit: LoginLimit = request.app.state.login_limit
        key = (body.name, address(request) or "")
        limit.check(key)

        def check():
            with open_archive() as archive:
                return accounts.login(archive, body.name, body.password, "web", address(request))

        try:
            actor = await run_in_threadpool(check)
        except Unauthorized:
            limit.failed(key)
            log.warning("failed login for %r from %s", body.name, key[1])
            raise
        limit.succeeded(key)
        cookie, csrf = request.app.state.sessions.issue(actor.name)
        set_session(request, response, cookie, csrf, settings.session_seconds)
        return {"name": actor.name, "role": actor.role, "agencies": list(actor.agencies), "csrf_token": csrf,
                "expires_in": int(settings.session_seconds)}

    @api.post("/logout", status_code=204, tags=["session"], **needs(None))
    async def logout(response: Response) -> Response:
        """End the session: its cookies are cleared (a token stays valid until revoked)."""
        response = Response(status_code=204)
        clear_session(response)
        return response

    @api.get("/me", tags=["session"], **needs(None))
    async def me(request: Request) -> dict:
        """Who the request acts as: {name, role, agencies, channel}."""
        actor = request.state.actor
        return {"name": actor.name, "role": actor.role, "agencies": list(actor.agencies), "channel": actor.channel}

    # The areas' routes go in as they are (their paths carry the prefix), so app.routes lists every
    # route itself: the route walk test reads them there.
    for router in (api, records.router, scans.router, papers.router, search.router, coverage.router, admin.router,
                   web_pages.router, web_counter.router, web_desk.router, web_dashboard.router, web_admin.router):
        app.router.routes.extend(router.routes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.declare(app)
    return app
