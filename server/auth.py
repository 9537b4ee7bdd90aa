"""Who is asking: a session cookie (a browser, channel "web") or a Bearer token (a machine client,
channel "api"), resolved to the Actor the services act for — read again from the catalog on every
request, so a disabled user or a revoked token stops at once.

The session cookie is signed (itsdangerous) with the archive's own key, holds the user's name and
a CSRF token, and expires (`Settings.session_seconds`); HttpOnly, SameSite=Lax, Secure when the
request came over https (directly or through the reverse proxy). A request that changes something
on a cookie session must carry its CSRF token in the X-CSRF-Token header (login returns it, and
the readable cookie sohoa_csrf holds it): another site can make the browser send the cookie, not
read the token. Tokens are not sent by browsers on their own, so they need none.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from digitize.errors import Forbidden, TooManyAttempts, Unauthorized
from digitize.services import access, accounts
from digitize.services.actor import Actor

SESSION_COOKIE, CSRF_COOKIE, CSRF_HEADER = "sohoa_session", "sohoa_csrf", "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# For OpenAPI (and schemathesis): how a client authenticates. They never refuse on their own.
bearer_scheme = HTTPBearer(auto_error=False, description="A token from `sohoa tokens create`.")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                             description="The session cookie POST /api/v1/login sets.")


class Sessions:
    def __init__(self, secret: bytes, seconds: float):
        self.signer = URLSafeTimedSerializer(secret, salt="sohoa-session")
        self.seconds = seconds

    def issue(self, name: str) -> tuple[str, str]:
        """(cookie value, CSRF token) of a new session."""
        csrf = secrets.token_urlsafe(24)
        return self.signer.dumps({"u": name, "c": csrf}), csrf

    def read(self, value: str) -> dict:
        try:
            return self.signer.loads(value, max_age=self.seconds)
        except SignatureExpired:
            raise Unauthorized("the session expired; log in again") from None
        except BadSignature:
            raise Unauthorized("the session cookie is not valid here; log in again") from None


class LoginLimit:
    """At most `attempts` failed logins per name and address in `window` seconds (then 429 until
    the oldest failure leaves the window); a success forgets them. In memory: one server process."""

    def __init__(self, attempts: int, window: float):
        self.attempts, self.window = attempts, window
        self.failures: dict[tuple[str, str], deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def check(self, key: tuple[str, str]) -> None:
        with self.lock:
            failed = self.failures[key]
            now = time.monotonic()
            while failed and failed[0] <= now - self.window:
                failed.popleft()
            if len(failed) >= self.attempts:
                error = TooManyAttempts("too many failed logins for {name!r} from this address; try again in {seconds} s",
                                        name=key[0], seconds=int(failed[0] + self.window - now) + 1)
                error.retry_after = int(failed[0] + self.window - now) + 1
                raise error

    def failed(self, key: tuple[str, str]) -> None:
        with self.lock:
            self.failures[key].append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self.lock:
            self.failures.pop(key, None)


def address(request: Request) -> str | None:
    return request.client.host if request.client else None


def https(request: Request) -> bool:
    return request.url.scheme == "https"  # behind the proxy, uvicorn's proxy headers set it


def set_session(request: Request, response: Response, cookie: str, csrf: str, seconds: float) -> None:
    secure = https(request)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(seconds), httponly=True, samesite="lax",
                        secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=int(seconds), httponly=False, samesite="lax",
                        secure=secure, path="/")


def clear_session(response: Response) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/")


def resolve(request: Request, bearer: HTTPAuthorizationCredentials | None, cookie: str | None,
            csrf: str | None = None) -> Actor:
    """The Actor of the request's credentials (a token first), or Unauthorized. `csrf`: the token a
    page's form sent in its body (a browser form cannot set the header)."""
    state = request.app.state
    if bearer is not None:
        with state.open() as archive:
            return accounts.actor_for_token(archive, bearer.credentials, address(request))
    if request.headers.get("authorization"):
        raise Unauthorized("the Authorization header must be 'Bearer TOKEN'")
    if not cookie:
        raise Unauthorized("log in first (POST /api/v1/login), or send 'Authorization: Bearer TOKEN'")
    session = state.sessions.read(cookie)
    if request.method not in SAFE_METHODS:
        sent = csrf if csrf is not None else request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), str(session.get("c", "")).encode()):
            raise Forbidden("a change on a cookie session needs the {header} header that login returned",
                            field=CSRF_HEADER, header=CSRF_HEADER)
    request.state.csrf = session.get("c")  # the pages put it in their forms
    with state.open() as archive:
        return accounts.actor_for_user(archive, session["u"], "web", address(request))


def allowed(action: str | None):
    """A route's dependency: the request's Actor, who may do `action` (None: any logged-in user),
    kept in request.state.actor. Refused before the request's parameters are read: 401, then 403."""

    async def dependency(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
                         cookie: str | None = Depends(cookie_scheme)) -> Actor:
        actor = await run_in_threadpool(resolve, request, bearer, cookie)
        if action is not None:
            access.require(actor, action)
        request.state.actor = actor
        return actor

    return dependency
