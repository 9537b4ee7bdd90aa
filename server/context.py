"""What every route does: declare the action it needs (its right, read by the route walk test from
the OpenAPI extension x-sohoa-action) and call one service on a freshly opened archive in a worker
thread — a SQLite connection stays in the thread that opened it, and the event loop never waits
on the catalog or the index."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Callable

from fastapi import Depends, Path as PathParam, Request
from starlette.concurrency import run_in_threadpool

from digitize.archive import Archive
from server.auth import allowed
from server.errors import declared

ACTION = "x-sohoa-action"
# An id in a path: a catalog row id, which SQLite keeps in 64 bits (a bigger one is a 422, not a 500).
RowId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
API = "/api/v1"


@dataclass
class Settings:
    max_upload: int = 200_000_000  # bytes of one request's body (`sohoa serve --max-upload`)
    session_seconds: float = 8 * 3600
    login_attempts: int = 5  # failed logins per name and address within login_window
    login_window: float = 300.0
    write_wait: float = 10.0  # seconds a write waits for the catalog's lock, then 503
    signer: object | None = None  # the unit's key (`sohoa serve --signing-key`), opened once at start


def needs(action: str | None, *errors: int, returns: str | None = None, **route) -> dict:
    """The keyword arguments of a route that only actors allowed `action` may call (None: any user),
    declaring the error statuses `errors` of its own (those all routes share: server.errors.declare)
    and the media type it `returns` if not JSON."""
    extra = {ACTION: action, **route.pop("openapi_extra", {})}
    responses = {**declared(*errors), **({200: {"content": {returns: {}}}} if returns else {}),
                 **route.pop("responses", {})}
    return {"dependencies": [Depends(allowed(action))], "openapi_extra": extra, "responses": responses, **route}


@contextmanager
def opened(request: Request):
    with request.app.state.open() as archive:
        yield archive


async def call(request: Request, service: Callable, *args, **kwargs):
    """`service(archive, actor, *args, **kwargs)` in a worker thread, on the archive opened there."""

    def work():
        with opened(request) as archive:
            return service(archive, request.state.actor, *args, **kwargs)

    return await run_in_threadpool(work)


def opener(root: Path, settings: Settings):
    return lambda: Archive(root, wait=settings.write_wait)
