"""Every route of the app, walked: 401 without credentials (but health, login and the docs), 403
for each role the rights table (digitize.services.access.ALLOWED) leaves out of the route's
action, and neither for the roles it lets in. The browser pages (server/web) are walked too, with
a logged-in session: without one a page sends the browser to /login, a refusal is an HTML page."""

from __future__ import annotations

import re
from contextlib import closing

import pytest
from fastapi.routing import APIRoute

from digitize.services.access import ALLOWED, ROLES
from server.app import create_app
from server.context import ACTION
from tests.serving import PASSWORD

OPEN = {"/health", "/api/v1/health", "/api/v1/login", "/api/docs", "/api/openapi.json", "/docs/oauth2-redirect",
        "/login", "/lang"}


def _page(template: str) -> bool:
    return not (template.startswith("/api/") or template == "/health")


def _session(served, role: str):
    """A browser's session of the user named after `role`, and its CSRF token for forms."""
    client = served.server.client(base_url=served.server.url, follow_redirects=False)
    answer = client.post("/login", data={"name": role, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return client, client.cookies["sohoa_csrf"]


def _routes(root):
    """(method, concrete path, action) of every route of the app."""
    found = []
    for route in create_app(root).routes:
        path = re.sub(r"\{(paper_id|job_id|page)(:int)?\}", "1", route.path)
        path = re.sub(r"\{[a-z_]+\}", "nobody", path)
        action = (route.openapi_extra or {}).get(ACTION) if isinstance(route, APIRoute) else None
        for method in sorted(getattr(route, "methods", None) or ()):
            if method != "HEAD":
                found.append((method, path, route.path, action))
    return found


def test_the_walk_sees_every_route_of_the_issue(served):
    paths = {path for _, _, path, _ in _routes(served.root)}
    for wanted in ("/api/v1/records/import", "/api/v1/records", "/api/v1/records/{code}", "/api/v1/scans",
                   "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/events", "/api/v1/jobs", "/api/v1/papers/{paper_id}",
                   "/api/v1/papers/{paper_id}/text", "/api/v1/papers/{paper_id}/pdf",
                   "/api/v1/papers/{paper_id}/pages/{page}.png", "/api/v1/papers/{paper_id}/pages/{page}/words",
                   "/api/v1/papers/{paper_id}/reuse", "/api/v1/papers/{paper_id}/replace",
                   "/api/v1/papers/{paper_id}/attach", "/api/v1/search", "/api/v1/papers", "/api/v1/coverage",
                   "/api/v1/coverage/missing", "/api/v1/coverage.csv", "/api/v1/coverage.html", "/api/v1/rescan",
                   "/api/v1/rescan/{paper_id}/accept", "/api/v1/audit", "/api/v1/check", "/api/v1/backup", "/health",
                   "/login", "/logout", "/lang", "/", "/counter", "/counter/papers/{paper_id}",
                   "/counter/papers/{paper_id}/accept", "/counter/code-image"):
        assert wanted in paths


def test_every_route_but_the_open_ones_needs_credentials(served):
    client = served.server.client(base_url=served.server.url, follow_redirects=False)
    walked = pages = 0
    for method, path, template, _ in _routes(served.root):
        answer = client.request(method, path)
        if template in OPEN:
            assert answer.status_code != 401, (method, path)
            continue
        walked += 1
        if _page(template) and method == "GET":  # a browser goes to the login page, then back
            pages += 1
            assert answer.status_code == 303, (method, path, answer.text)
            assert answer.headers["location"].startswith("/login?next=")
            continue
        assert answer.status_code == 401, (method, path, answer.text)
        if _page(template):
            pages += 1
            assert answer.headers["content-type"].startswith("text/html"), (method, path)
            continue
        assert answer.json()["error"]["kind"] == "Unauthorized"
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert walked >= 30 and pages >= 5


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_403_exactly_where_the_rights_table_says(served, role):
    client = served.server.bearer(served.tokens[role], base_url=served.server.url)
    checked = 0
    for method, path, template, action in _routes(served.root):
        if template in OPEN:
            continue
        if _page(template):  # a page: a fresh session each (one route is /logout), its form's token
            session, csrf = _session(served, role)
            with closing(session):
                answer = session.request(method, path, data={"csrf_token": csrf} if method == "POST" else None)
            if action is not None and role not in ALLOWED[action]:
                assert answer.status_code == 403, (role, method, path, answer.text)
                assert answer.headers["content-type"].startswith("text/html")
            else:
                assert answer.status_code not in (401, 403) and answer.status_code < 500, \
                    (role, method, path, answer.text)
            checked += 1
            continue
        answer = client.request(method, path)
        if action is not None and role not in ALLOWED[action]:
            assert answer.status_code == 403, (role, method, path, answer.text)
            assert answer.json()["error"]["kind"] == "Forbidden"
        else:
            assert answer.status_code not in (401, 403), (role, method, path, answer.text)
            assert answer.status_code < 500 or answer.json()["error"]["kind"] == "MissingDependency", \
                (role, method, path, answer.text)
        checked += 1
    assert checked >= 30
