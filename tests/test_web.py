"""The pages' foundation against a real server: login, logout, the language switch, HTML errors."""

from __future__ import annotations

from contextlib import closing

import httpx
import pytest

from tests.serving import PASSWORD


def pages(served, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=served.server.url, timeout=60, follow_redirects=False, **kwargs)


def logged_in(served, name: str) -> httpx.Client:
    client = pages(served)
    answer = client.post("/login", data={"name": name, "password": PASSWORD, "next": "/"})
    assert answer.status_code == 303, answer.text
    return client


def test_a_page_sends_a_visitor_to_the_login_page_and_back(served):
    with pages(served) as client:
        answer = client.get("/counter")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/counter"
        kept = client.get("/counter", params={"code": "000.00.53.H48-260105-0001"})
        assert kept.headers["location"] == "/login?next=/counter%3Fcode%3D000.00.53.H48-260105-0001"
        form = client.get(answer.headers["location"])
        assert form.status_code == 200 and 'value="/counter"' in form.text
        assert '<label for="name">Tên đăng nhập</label>' in form.text  # Vietnamese first
        back = client.post("/login", data={"name": "clerk", "password": PASSWORD, "next": "/counter"})
        assert back.status_code == 303 and back.headers["location"] == "/counter"


def test_a_wrong_password_is_told_beside_the_field(served):
    with pages(served) as client:
        answer = client.post("/login", data={"name": "clerk", "password": "wrong", "next": "/"})
        assert answer.status_code == 401
        assert '<p class="field-error" id="password-error">sai tên đăng nhập hoặc mật khẩu</p>' in answer.text
        assert 'value="clerk"' in answer.text  # the name stays typed
        empty = client.post("/login", data={"name": "", "password": "x"})
        assert empty.status_code == 422 and 'id="name-error"' in empty.text


def test_login_goes_only_to_this_site(served):
    with pages(served) as client:
        for elsewhere in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
            answer = client.post("/login", data={"name": "clerk", "password": PASSWORD, "next": elsewhere})
            assert answer.headers["location"] == "/", elsewhere


def test_pages_run_no_script_but_their_own(served):
    with pages(served) as client:
        policy = client.get("/login").headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_the_language_switch_is_kept_on_the_user(served):
    with closing(logged_in(served, "staff")) as client:
        assert "Đăng xuất" in client.get("/").text
        csrf = client.cookies["sohoa_csrf"]
        assert client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": "forged"}).status_code == 403
        assert client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": csrf}).status_code == 303
    with closing(logged_in(served, "staff")) as again:  # a new session: the setting is the user's, not the cookie's
        again.cookies.delete("sohoa_lang")
        home = again.get("/").text
        assert '<html lang="en">' in home and "Log out" in home
        again.post("/lang", data={"lang": "vi", "next": "/", "csrf_token": again.cookies["sohoa_csrf"]})
        assert '<html lang="vi">' in again.get("/").text


def test_logout_needs_the_form_token_then_ends_the_session(served):
    with closing(logged_in(served, "clerk")) as client:
        assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        out = client.post("/logout", data={"csrf_token": client.cookies["sohoa_csrf"]})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert client.get("/").status_code == 303
        late = client.post("/counter/papers/1/accept", data={"reason": "x"},
                           headers={"HX-Request": "true", "HX-Current-URL": served.server.url + "/counter?code=A"})
        assert late.status_code == 401 and late.headers["hx-redirect"] == "/login?next=/counter%3Fcode%3DA"


@pytest.mark.parametrize("role", ["staff", "manager", "admin"])
def test_another_role_gets_an_html_403(served, role):
    with closing(logged_in(served, role)) as client:
        answer = client.get("/counter")
        assert answer.status_code == 403
        assert answer.headers["content-type"].startswith("text/html")
        assert "Không được phép" in answer.text and 'href="/"' in answer.text


def test_errors_are_pages_on_pages_and_json_on_the_api(served):
    with pages(served) as client:
        page = client.get("/no-such-page")
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        api = client.get("/api/v1/no-such-route")
        assert api.status_code == 404 and api.json()["error"]["kind"] == "NotFound"
        assert client.get("/api/v1/me").json()["error"]["kind"] == "Unauthorized"


def test_static_files_are_served_here(served):
    with pages(served) as client:
        assert client.get("/static/htmx.min.js").status_code == 200
        assert client.get("/static/sohoa.css").headers["content-type"].startswith("text/css")


def test_the_printable_report_speaks_the_users_language(served):
    with served.as_role("manager") as api:  # a token: Vietnamese, unless asked
        assert '<html lang="vi">' in api.get("/coverage.html").text
        english = api.get("/coverage.html", params={"lang": "en"}).text
        assert '<html lang="en">' in english and "Monthly trend" in english
        assert api.get("/coverage.html", params={"lang": "fr"}).status_code == 422
    with closing(logged_in(served, "manager")) as manager:
        manager.post("/lang", data={"lang": "en", "next": "/", "csrf_token": manager.cookies["sohoa_csrf"]})
        assert '<html lang="en">' in manager.get("/api/v1/coverage.html").text
        manager.post("/lang", data={"lang": "vi", "next": "/", "csrf_token": manager.cookies["sohoa_csrf"]})
