"""`sohoa serve` against bad input (issue 13): a real server in a subprocess (tests/serving.py)."""

from __future__ import annotations

from tests.serving import PASSWORD


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
