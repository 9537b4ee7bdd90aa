"""The staff's and the manager's pages against a real server (real Tesseract-scanned papers): the
search desk, the paper page with its highlighted words, edit and reuse, records, the dashboard and
its drill-down, the audit log; who may open each; and a register whose names are markup, which
every page shows as text."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest

from tests.desk import AN_RECORD, HOSTILE_AGENCY, HOSTILE_CODE, browser, desk  # noqa: F401 (a fixture)

PASSWORD_TYPED = "a long enough password 42"
PAGES = ("/search", "/papers/1", "/records", f"/records/{HOSTILE_CODE}", "/dashboard", "/dashboard/missing", "/audit")


def csrf(client: httpx.Client) -> str:
    return client.cookies["sohoa_csrf"]


def no_markup_from_the_register(text: str) -> None:
    """The hostile names are on the page as text only: escaped, never as tags."""
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "onerror=\"alert" not in text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_visitor_to_the_login_page(desk, path):
    with browser(desk) as client:
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role, path", [("clerk", "/search"), ("manager", "/search"), ("clerk", "/dashboard"),
                                        ("staff", "/dashboard"), ("staff", "/dashboard/missing"),
                                        ("staff", "/audit"), ("admin", "/records"), ("manager", "/papers/1")])
def test_a_role_without_the_right_gets_a_403_page(desk, role, path):
    with browser(desk, role) as client:
        answer = client.get(path)
        assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")


def test_a_change_without_the_form_token_is_refused(desk):
    with browser(desk, "staff") as client:
        answer = client.post("/papers/1", data={"holder_name": "x", "csrf_token": "forged"})
        assert answer.status_code == 403


def an_paper(desk) -> int:
    return desk.ids["lltp.png"]


def test_the_desk_finds_nguyen_van_an_typed_without_marks(desk):
    with browser(desk, "staff") as client:
        page = client.get("/search", params={"q": "nguyen van an"})
        assert page.status_code == 200
        text = page.text
        assert f'href="/papers/{an_paper(desk)}?q=nguyen+van+an"' in text
        assert re.search(r"<mark>Nguyễn</mark>", text, re.IGNORECASE)
        assert "Tìm thấy" in text  # the total, in Vietnamese
        assert "079203001234" not in text  # the holder's ID is masked
        assert f'src="/api/v1/papers/{an_paper(desk)}/pages/1.png?width=160"' in text
        assert client.get(f"/api/v1/papers/{an_paper(desk)}/pages/1.png?width=160").status_code == 200
        valid_only = client.get("/search", params={"q": "trần thị ngọc ánh", "valid": "1"}).text
        assert f"/papers/{desk.ids['xnhn-cu.png']}?" not in valid_only  # expired: left out
        assert f"/papers/{desk.ids['xnhn-moi.png']}?" in valid_only


def test_a_bad_date_filter_is_told_beside_its_field(desk):
    with browser(desk, "staff") as client:
        page = client.get("/search", params={"q": "an", "issued_from": "31/31/2020"})
        assert 'id="issued_from-error"' in page.text and 'aria-invalid="true"' in page.text


def test_the_snippet_of_hostile_text_stays_text(desk):
    with browser(desk, "staff") as client:  # the agency filter is a query field: its value is hostile too
        page = client.get("/search", params={"q": "an", "agency": HOSTILE_AGENCY})
        assert page.status_code == 200
        no_markup_from_the_register(page.text)
        assert "&lt;script&gt;" in page.text


def test_the_paper_page_boxes_the_words_found(desk):
    with browser(desk, "staff") as client:
        page = client.get(f"/papers/{an_paper(desk)}", params={"q": "nguyen van an"})
        assert page.status_code == 200
        boxes = re.findall(r'<span class="hit-box" title="([^"]*)"', page.text)
        assert {unescape(b).strip(",.:").lower() for b in boxes} >= {"nguyễn", "văn", "an"}
        words = client.get(f"/api/v1/papers/{an_paper(desk)}/pages/1/words", params={"q": "nguyen van an"}).json()
        assert sorted(w["text"].lower() for w in words if w["match"]) == sorted(unescape(b).lower() for b in boxes)
        assert "match" not in client.get(f"/api/v1/papers/{an_paper(desk)}/pages/1/words").json()[0]
        plain = client.get(f"/papers/{an_paper(desk)}").text
        assert 'class="hit-box"' not in plain  # no search, no boxes
        assert f'href="/api/v1/papers/{an_paper(desk)}/pdf"' in page.text
        assert "079203001234" not in page.text


def test_a_correction_is_saved_and_a_wrong_one_told_beside_its_field(desk):
    paper = desk.ids["cccd.png"]
    with browser(desk, "staff") as client:
        wrong = client.post(f"/papers/{paper}", data={"csrf_token": csrf(client), "expiry_date": "45/07/2045"})
        assert wrong.status_code == 422
        assert 'id="expiry_date-error"' in wrong.text and 'value="45/07/2045"' in wrong.text
        right = client.post(f"/papers/{paper}", data={"csrf_token": csrf(client), "holder_name": "Trần Thị N. Ánh",
                                                      "expiry_date": "14/07/2045"})
        assert right.status_code == 303
        again = client.get(right.headers["location"]).text
        assert 'value="Trần Thị N. Ánh"' in again and '<p class="ok" role="status">Đã lưu.</p>' in again
        assert re.search(r"<td>staff</td><td>edit</td><td>\s*expiry_date, holder_name</td>", again)  # its history


def test_reuse_into_another_record_then_the_record_shows_it(desk):
    paper = an_paper(desk)
    with browser(desk, "staff") as client:
        refused = client.post(f"/papers/{paper}/reuse", data={"csrf_token": csrf(client), "record": "nope"})
        assert refused.status_code in (404, 422) and 'id="record-error"' in refused.text
        done = client.post(f"/papers/{paper}/reuse", data={"csrf_token": csrf(client), "record": AN_RECORD})
        assert done.status_code == 303 and done.headers["location"] == f"/records/{AN_RECORD}"
        record = client.get(done.headers["location"]).text
        assert 'class="state-reused"' in record and f'href="/papers/{paper}"' in record
        shown = client.get(f"/papers/{paper}").text
        assert f'href="/records/{AN_RECORD}"' in shown  # the records it serves
        assert f"<td>reuse</td><td>{AN_RECORD}" in shown  # and its history


def error_beside(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert found, page
    return unescape(found[1])


@pytest.mark.parametrize("lang, words", [
    ("vi", {"date": "không có ngày này", "reuse": "hãy đính kèm một giấy tờ còn hiệu lực",
            "missing": "không có giấy tờ 999999"}),
    ("en", {"date": "no such date", "reuse": "attach a valid paper", "missing": "no paper 999999"})])
def test_the_services_messages_are_in_the_users_language(desk, lang, words):
    # the services raise English templates; a page translates the template, then puts the values in
    with browser(desk, "staff") as client:
        client.post("/lang", data={"lang": lang, "next": "/", "csrf_token": csrf(client)})
        try:
            bad_date = client.get("/search", params={"q": "an", "issued_from": "31/31/2020"}).text
            assert words["date"] in error_beside(bad_date, "issued_from") and "31/31/2020" in bad_date
            expired = client.post(f"/papers/{desk.ids['xnhn-cu.png']}/reuse",
                                  data={"csrf_token": csrf(client), "record": AN_RECORD})
            assert expired.status_code == 409 and words["reuse"] in error_beside(expired.text, "record")
            missing = client.get("/papers/999999")
            assert missing.status_code == 404 and words["missing"] in unescape(missing.text)
        finally:
            client.post("/lang", data={"lang": "vi", "next": "/", "csrf_token": csrf(client)})
    api = desk.as_role("staff").get("/papers/999999")  # the JSON API stays English
    assert api.status_code == 404 and api.json()["error"]["message"].startswith("no paper 999999")


def test_records_list_filters_and_escapes(desk):
    with browser(desk, "staff") as client:
        page = client.get("/records", params={"agency": HOSTILE_AGENCY, "not_digitized": "1"})
        assert HOSTILE_CODE in page.text and AN_RECORD not in page.text
        no_markup_from_the_register(page.text)
        bad = client.get("/records", params={"date_from": "2026-13-01"})
        assert 'id="date_from-error"' in bad.text
        record = client.get(f"/records/{HOSTILE_CODE}").text
        no_markup_from_the_register(record)
        assert "&lt;img src=x" in record and 'class="state-missing"' in record


def test_the_dashboard_shows_the_indicators_and_drills_down_to_what_is_missing(desk):
    with browser(desk, "manager") as client:
        page = client.get("/dashboard", params={"by": "agency"})
        assert page.status_code == 200
        no_markup_from_the_register(page.text)
        assert "<svg" in page.text and 'role="img"' in page.text
        assert re.search(r'id="rate-records">[\d.]+%<', page.text)
        drill = re.search(r'href="(/dashboard/missing\?by=agency&amp;group=UBND[^"]*)"', page.text)
        assert drill, "no drill-down link for the hostile agency"
        missing = client.get(unescape(drill.group(1)))
        assert missing.status_code == 200 and HOSTILE_CODE in missing.text
        no_markup_from_the_register(missing.text)
        assert "Tờ khai &lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in missing.text  # what it lacks, as text
        assert AN_RECORD not in missing.text  # another agency's
        for by, group in (("procedure", "1.000999"), ("month", "2026-01")):
            grouped = client.get("/dashboard", params={"by": by})
            assert grouped.status_code == 200
            no_markup_from_the_register(grouped.text)
            link = f"/dashboard/missing?by={by}&amp;group={group}"
            assert link in grouped.text
            drilled = client.get(unescape(link)).text
            assert HOSTILE_CODE in drilled and "000.00.31.H29-260301-0001" not in drilled  # March: another month
        assert 'id="date_from-error"' in client.get("/dashboard", params={"date_from": "x"}).text
        assert client.get("/api/v1/coverage.csv", params={"by": "agency"}).status_code == 200


def test_the_audit_log_filters_by_paper_and_user(desk):
    with browser(desk, "manager") as client:
        page = client.get("/audit", params={"paper": str(an_paper(desk))})
        assert page.status_code == 200 and "<td>scan</td>" in page.text
        assert 'id="paper-error"' in client.get("/audit", params={"paper": "abc"}).text
        nobody = client.get("/audit", params={"user": "nobody-at-all"}).text
        assert "<td>scan</td>" not in nobody


def test_an_admin_adds_and_disables_a_user_and_makes_and_revokes_a_token(desk):
    with browser(desk, "admin") as client:
        added = client.post("/users", data={"csrf_token": csrf(client), "name": "clerk-ben-nghe", "role": "clerk",
                                            "password": PASSWORD_TYPED, "agencies": "UBND phường Bến Nghé\n"})
        assert added.status_code == 303
        listed = client.get("/users").text
        assert "<td>clerk-ben-nghe</td>" in listed and "UBND phường Bến Nghé" in listed
        twice = client.post("/users", data={"csrf_token": csrf(client), "name": "clerk-ben-nghe", "role": "clerk",
                                            "password": PASSWORD_TYPED})
        assert twice.status_code == 409 and 'id="name-error"' in twice.text
        assert PASSWORD_TYPED not in twice.text  # a password typed is never sent back
        gone = client.post("/users/clerk-ben-nghe/disable", data={"csrf_token": csrf(client)})
        assert gone.status_code == 303
        made = client.post("/tokens", data={"csrf_token": csrf(client), "name": "scanner-2", "role": "clerk"})
        assert made.status_code == 201
        secret = re.search(r'<code id="secret">([^<]+)</code>', made.text).group(1)
        assert secret not in client.get("/tokens").text  # shown once only
        assert desk.server.bearer(secret).get("/me").json()["role"] == "clerk"
        assert client.post("/tokens/scanner-2/revoke", data={"csrf_token": csrf(client)}).status_code == 303
        assert desk.server.bearer(secret).get("/me").status_code == 401
    with browser(desk, "manager") as client:
        assert client.get("/users").status_code == 403 and client.get("/tokens").status_code == 403


def test_the_desk_speaks_english_one_switch_away(desk):
    with browser(desk, "staff") as client:
        client.post("/lang", data={"lang": "en", "next": "/search", "csrf_token": csrf(client)})
        try:
            page = client.get("/search", params={"q": "nguyen van an"}).text
            assert "<h1>Search papers</h1>" in page and "Papers found: " in page
            assert "Reuse into a record" in client.get(f"/papers/{an_paper(desk)}").text
        finally:
            client.post("/lang", data={"lang": "vi", "next": "/", "csrf_token": csrf(client)})
