"""`sohoa serve` against bad input (issue 13): a real server in a subprocess (tests/serving.py)."""

from __future__ import annotations

from tests.serving import PASSWORD, serve_copy


def test_health_answers_without_login(served):
    answer = served.server.client().get("/health")
    assert answer.status_code == 200


def test_a_wrong_password_is_401_json_and_a_good_one_sets_a_strict_cookie(served):
    client = served.server.client()
    bad = client.post("/login", json={"name": "admin", "password": PASSWORD + "x"})
    assert bad.status_code == 401
    assert set(bad.json()["error"]) == {"kind", "message", "field"}
    assert "Traceback" not in bad.text
    good = client.post("/login", json={"name": "admin", "password": PASSWORD})
    assert good.status_code == 200, good.text
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_a_cookie_session_write_needs_the_csrf_token_and_a_bearer_one_does_not(served):
    # A user that does not exist: past the CSRF check the answer is 404, before it 403.
    client = served.server.login("admin")
    token = client.headers.pop("X-CSRF-Token")
    without = client.post("/users/nobody-here/disable")
    assert without.status_code == 403, without.text
    assert without.json()["error"]["kind"]
    with_it = client.post("/users/nobody-here/disable", headers={"X-CSRF-Token": token})
    assert with_it.status_code == 404, with_it.text
    bearer = served.as_role("admin").post("/users/nobody-here/disable")
    assert bearer.status_code == 404, bearer.text


def test_a_bad_path_parameter_is_a_422_json_error(served):
    answer = served.as_role("staff").get("/papers/not-a-number")
    assert answer.status_code == 422, answer.text
    assert set(answer.json()["error"]) == {"kind", "message", "field"}
    assert "Traceback" not in answer.text


def test_the_sixth_failed_login_is_429_with_retry_after(scanned, tmp_path):
    # A server of its own: the limit would lock the shared one's logins out.
    running = serve_copy(scanned, tmp_path)
    try:
        client = running.server.client()
        answers = [client.post("/login", json={"name": "admin", "password": "wrong"}) for _ in range(6)]
        assert [a.status_code for a in answers[:5]] == [401] * 5
        assert answers[5].status_code == 429, answers[5].text
        assert int(answers[5].headers["Retry-After"]) > 0
    finally:
        running.server.stop()
