"""`sohoa serve` as a client sees it: login and its limit, the session cookie and CSRF, tokens and
their revocation, the upload limit, errors as JSON, and a record exported as a zip. One real server
per module (tests/serving.py), and one more with a small upload limit."""

from __future__ import annotations

import io
import time
import zipfile

import httpx
import pytest

from digitize.errors import NotFound
from server import errors
from tests.citizen_papers import COMPONENTS, MARRIAGE
from tests.conftest import write_register
from tests.serving import PASSWORD, serve_copy


def error(answer: httpx.Response, status: int, kind: str | None = None) -> dict:
    """The API error of `answer`, asserted to have `status`, the three keys, and no traceback."""
    assert answer.status_code == status, answer.text
    assert "Traceback" not in answer.text
    assert answer.headers["content-type"].startswith("application/json")
    found = answer.json()["error"]
    assert set(found) == {"kind", "message", "field"}
    assert found["message"]
    if kind:
        assert found["kind"] == kind
    return found


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    return write_register(tmp_path_factory.mktemp("register") / "register.csv")


def upload(client: httpx.Client, path, **kwargs) -> httpx.Response:
    with open(path, "rb") as f:
        return client.post("/records/import", files={"file": (path.name, f, "text/csv")}, **kwargs)


def test_health_needs_no_login(served):
    for path in ("/health", "/api/v1/health"):
        answer = httpx.get(served.server.url + path)
        assert answer.status_code == 200, answer.text
        assert "Traceback" not in answer.text


def test_login_with_the_right_password_sets_a_httponly_lax_session(served):
    client = served.server.client()
    answer = client.post("/login", json={"name": "staff", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert answer.json()["csrf_token"]
    session = [h for h in answer.headers.get_list("set-cookie") if h.startswith("sohoa_session=")]
    assert len(session) == 1
    attributes = {part.strip().lower() for part in session[0].split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_login_with_a_wrong_password_is_401(served):
    answer = served.server.client().post("/login", json={"name": "staff", "password": "wrong horse"})
    error(answer, 401)
    assert "sohoa_session" not in answer.headers.get("set-cookie", "")


def test_a_cookie_write_needs_the_csrf_header(served, register):
    client = served.server.login("clerk")
    token = client.headers.pop("X-CSRF-Token")
    found = error(upload(client, register), 403, "Forbidden")
    assert found["field"] == "X-CSRF-Token"
    error(upload(client, register, headers={"X-CSRF-Token": "not-" + token}), 403, "Forbidden")
    answer = upload(client, register, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200, answer.text
    assert answer.json()["file"] == register.name


def test_a_cookie_read_needs_no_csrf_header(served):
    client = served.server.login("manager")
    del client.headers["X-CSRF-Token"]
    answer = client.get("/records")
    assert answer.status_code == 200, answer.text


def test_a_bearer_write_needs_no_csrf_header(served, register):
    answer = upload(served.as_role("clerk"), register)
    assert answer.status_code == 200, answer.text
    assert "X-CSRF-Token" not in answer.request.headers


def test_a_revoked_token_is_401(served):
    token = served.cli("tokens", "create", "leaving", "--role", "staff").stdout.splitlines()[-1]
    client = served.server.bearer(token)
    assert client.get("/records").status_code == 200
    served.cli("tokens", "revoke", "leaving")
    error(client.get("/records"), 401, "Unauthorized")


def test_an_unknown_token_is_401(served):
    error(served.server.bearer("no-such-token").get("/records"), 401, "Unauthorized")


def test_the_sixth_failed_login_in_a_row_is_429_with_retry_after(served):
    client = served.server.client()
    for _ in range(5):
        error(client.post("/login", json={"name": "admin", "password": "guess"}), 401)
    answer = client.post("/login", json={"name": "admin", "password": "guess"})
    error(answer, 429)
    assert int(answer.headers["retry-after"]) > 0
    # locked out even with the right password until the window passes
    error(client.post("/login", json={"name": "admin", "password": PASSWORD}), 429)
    # another name from the same address is not
    assert client.post("/login", json={"name": "manager", "password": PASSWORD}).status_code == 200


def test_an_unknown_paper_is_404_json(served):
    found = error(served.as_role("staff").get("/papers/999999"), 404)
    assert "999999" in found["message"]


def test_an_unknown_record_is_404_json(served):
    error(served.as_role("manager").get("/records/000.00.00.X00-000000-0000"), 404)
    error(served.as_role("staff").get("/records/000.00.00.X00-000000-0000/export"), 404)


def test_a_bad_parameter_is_json_without_traceback(served):
    answer = served.as_role("staff").get("/papers/not-a-number")
    assert 400 <= answer.status_code < 500, answer.text
    error(answer, answer.status_code)


def _export_folders(root) -> list:
    return [p for p in (root / "tmp").iterdir() if p.name.startswith("export-")]


def test_export_sends_the_record_as_a_zip_and_leaves_no_work_files(served):
    clerk = served.as_role("clerk")
    for name, component in (("xnhn-moi.png", COMPONENTS[1]), ("cccd.png", COMPONENTS[2])):
        attached = clerk.post(f"/papers/{served.ids[name]}/attach", json={"record": MARRIAGE, "component": component})
        assert attached.status_code == 200, attached.text
    answer = served.as_role("staff").get(f"/records/{MARRIAGE}/export")
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"] == "application/zip"
    assert f'filename="{MARRIAGE}.zip"' in answer.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as z:
        assert z.testzip() is None
        names = z.namelist()
        xml = [n for n in names if n.endswith(".xml")]
        assert len(xml) == 1
        assert MARRIAGE.encode() in z.read(xml[0])
        pdfs = [n for n in names if n.endswith(".pdf")]
        assert len(pdfs) == 2 and len(names) == 3
        assert all(z.read(n).startswith(b"%PDF-") for n in pdfs)
    # the work folder goes once the response is sent (a background task: wait for it, do not time it)
    for _ in range(100):
        if not _export_folders(served.root):
            break
        time.sleep(0.1)
    assert _export_folders(served.root) == []
    assert [e["action"] for e in served.cli.json("audit")][-1] == "export"


def test_export_is_refused_to_a_clerk(served):
    error(served.as_role("clerk").get(f"/records/{MARRIAGE}/export"), 403, "Forbidden")


@pytest.fixture(scope="module")
def small(scanned, tmp_path_factory):
    running = serve_copy(scanned, tmp_path_factory.mktemp("small"), "--max-upload", "10k")
    yield running
    running.server.stop()


def test_an_upload_over_the_limit_is_413_and_leaves_nothing_in_tmp(small, tmp_path):
    big = tmp_path / "register.csv"
    big.write_bytes(b"x" * 50_000)
    before = sorted(p.name for p in (small.root / "tmp").rglob("*"))
    found = error(upload(small.as_role("clerk"), big), 413)
    assert found["kind"] == "TooLarge"
    after = sorted(p.name for p in (small.root / "tmp").rglob("*"))
    assert after == before
    assert not [p for p in (small.root / "tmp").rglob("*") if p.is_file() and p.stat().st_size >= 10_000]


def test_an_upload_under_the_limit_is_taken(small, register):
    answer = upload(small.as_role("clerk"), register)
    assert answer.status_code == 200, answer.text


def test_an_unknown_record_export_leaves_no_work_folder(served):
    error(served.as_role("manager").get("/records/000.00.00.X00-000000-0001/export"), 404)
    assert _export_folders(served.root) == []


def test_a_malformed_login_is_a_json_error(served):
    client = served.server.client()
    for body in ({"content": b"{not json", "headers": {"content-type": "application/json"}}, {"json": {"name": "x"}},
                 {"json": ["staff", PASSWORD]}):
        answer = client.post("/login", **body)
        assert 400 <= answer.status_code < 500, answer.text
        error(answer, answer.status_code)


def test_a_disabled_user_s_open_session_stops(served):
    secret = served.root.parent / "password.txt"
    served.cli("users", "add", "leaver", "--role", "manager", "--password-file", secret)
    client = served.server.login("leaver")
    assert client.get("/records").status_code == 200
    served.cli("users", "disable", "leaver")
    error(client.get("/records"), 401)
    error(served.server.client().post("/login", json={"name": "leaver", "password": PASSWORD}), 401)


def test_a_chunked_upload_over_the_limit_is_413_too(small):
    """No Content-Length to refuse up front: the limit holds as the body arrives."""
    before = sorted(p.name for p in (small.root / "tmp").rglob("*"))
    boundary = "sohoa-test-boundary"

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n"
               "Content-Type: text/csv\r\n\r\n").encode()
        for _ in range(50):
            yield b"y" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = small.as_role("clerk").post("/records/import", content=body(),
                                         headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    found = error(answer, 413)
    assert found["kind"] == "TooLarge"
    assert sorted(p.name for p in (small.root / "tmp").rglob("*")) == before


@pytest.mark.parametrize("path", ["/records/%00", "/records/" + "9" * 5000, "/records/..%2F..%2Fetc%2Fpasswd/export",
                                  "/papers/99999999999999999999999", "/search?q=%00", "/search?q=" + "(" * 200,
                                  "/records?from=not-a-date", "/papers/1/pages/0.png", "/papers/1/pages/-1/words",
                                  "clerk:/jobs/99999999999999999999999", "manager:/audit?paper=99999999999999999999999"])
def test_hostile_requests_are_answered_without_a_traceback(served, path):
    role, _, path = path.rpartition(":") if path.startswith(("clerk:", "manager:")) else ("staff", "", path)
    answer = served.as_role(role).get(path)
    assert answer.status_code < 500 or answer.json()["error"]["kind"] == "MissingDependency", answer.text[:500]
    assert "Traceback" not in answer.text
    if answer.status_code >= 400:
        error(answer, answer.status_code)


def test_a_scan_upload_over_the_limit_is_413_and_makes_no_job(small, tmp_path):
    clerk = small.as_role("clerk")
    before = clerk.get("/jobs").json()
    big = b"\x89PNG\r\n\x1a\n" + b"0" * 50_000
    found = error(clerk.post("/scans", files=[("files", ("lớn.png", big, "image/png"))]), 413, "TooLarge")
    assert found["field"] == "files"
    assert clerk.get("/jobs").json() == before
    assert not [p for p in (small.root / "tmp").rglob("*") if p.is_file() and p.stat().st_size >= 10_000]


@pytest.mark.parametrize("name", ["../../../ngoài.png", "/etc/passwd", "a\x00b.png", "..\\..\\x.png"])
def test_an_uploaded_file_name_is_kept_as_text_never_used_as_a_path(served, name):
    """The name goes into the job as it was sent; a file on disk is only ever in the job's own folder
    (no worker runs here: the job stays queued with the upload it took)."""
    boundary = "sohoa-name-test"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + b"\x89PNG\r\n\x1a\n" + f"\r\n--{boundary}--\r\n".encode()
    clerk = served.as_role("clerk")
    sent = clerk.post("/scans", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert sent.status_code == 202, sent.text
    [queued] = sent.json()["jobs"]
    assert queued["source_name"] == name
    assert clerk.get(f"/jobs/{queued['id']}").json()["source_name"] == name
    made = [p for p in served.root.parent.rglob("*")
            if p.name in ("ngoài.png", "passwd", "x.png") or "b.png" in p.name]
    assert all(p.is_relative_to(served.root / "tmp" / "jobs") for p in made), made  # the job's own copy


def test_a_json_body_that_is_not_utf8_is_a_422_bad_argument(served):
    answer = served.server.client().post("/login", content=b"\xff\xfe{\x00",
                                         headers={"content-type": "application/json"})
    error(answer, 422, "BadArgument")


def test_the_openapi_description_declares_every_error_as_the_error_body(served):
    described = httpx.get(served.server.url + "/api/openapi.json").json()
    assert "HTTPValidationError" not in described["components"]["schemas"]  # FastAPI's own {"detail"} body
    assert set(described["components"]["schemas"]["ErrorDetail"]["required"]) == {"kind", "message", "field"}
    for path, methods in described["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == {"application/json": {"schema": {
                        "$ref": "#/components/schemas/ErrorBody"}}}, (method, path, status)
            if path not in ("/health", "/api/v1/health", "/api/v1/login"):
                assert {"401", "403", "503"} <= set(operation["responses"]), (method, path)
    assert "404" in described["paths"]["/api/v1/papers/{paper_id}/text"]["get"]["responses"]
    assert {"413", "415"} <= set(described["paths"]["/api/v1/scans"]["post"]["responses"])


def test_an_error_in_a_started_stream_is_the_error_body_and_hides_a_bug_s_text():
    """GET /jobs/{id}/events has sent its 200 when an error comes: it ends the stream as an event."""
    assert errors.event(NotFound("no paper 7")) == {"error": {"kind": "NotFound", "message": "no paper 7",
                                                              "field": None}}
    hidden = errors.event(ValueError("/srv/archive/catalog.sqlite: row 12"))["error"]
    assert hidden["kind"] == "InternalError" and "/srv" not in hidden["message"]


@pytest.mark.parametrize("method, path, send", [
    ("POST", "/users", {"json": {"name": "x", "role": "\r}{", "password": PASSWORD}}),
    ("POST", "/users", {"json": {"name": "a\x00{b}", "role": "staff", "password": PASSWORD}}),
    ("POST", "/users/{0}/disable", {}), ("POST", "/tokens/}{/revoke", {}),
    ("POST", "/scans", {"content": b"x", "headers": {"content-type": "text/{plain}"}}),
    ("POST", "/scans", {"files": [("files", ("a.png", b"x", "image/png"))], "data": {"split": "{x}"}}),
    ("POST", "/scans", {"files": [("files", ("a.png", b"x", "image/png"))], "data": {"result": "}"}}),
])
def test_braces_in_a_value_sent_are_text_in_the_error_not_a_500(served, method, path, send):
    """schemathesis sent a role of "\\r}…": the message's template read the user's brace as a field."""
    role = "admin" if path.startswith(("/users", "/tokens")) else "clerk"
    found = error(served.as_role(role).request(method, path, **send), 404 if "disable" in path or "revoke" in path
                  else 415 if "content" in send else 422)
    assert "{" in found["message"] or "}" in found["message"]
