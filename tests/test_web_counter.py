"""The counter page (clerk), against a real `sohoa serve` with a worker and real Tesseract: a record
found by its code or its receipt's QR code, hostile register text escaped, other roles refused;
and in Debian's chromium, a two-page scan dropped on a component, read, shown and accepted."""

from __future__ import annotations

import base64
import re
import shutil
from urllib.parse import quote
from contextlib import closing

import httpx
import pytest

from tests.browser import COUNTER_SCREEN, TABLET, login
from tests.citizen_papers import COMPONENTS as MARRIAGE_COMPONENTS
from tests.citizen_papers import ANH_ID, MARRIAGE
from tests.conftest import make_scan, page_lines, write_register
from tests.serving import PASSWORD, Served, Server, add_accounts, scanned_through_the_api

HOSTILE_CODE = "000.00.99.H48-260301-0007"
HOSTILE_AGENCY = "<script>window.pwned = 1</script>UBND xã"
HOSTILE_PROCEDURE = '<img src=x onerror="window.pwned = 2">Cấp bản sao'
COMPONENTS = ["Tờ khai <b>đỏ</b>", "Giấy chứng sinh"]


@pytest.fixture(scope="module")
def counter(scanned, tmp_path_factory):
    """A served copy of the citizens' archive with one worker, and a register whose names are hostile,
    imported by a clerk through the API."""
    folder = tmp_path_factory.mktemp("counter")
    root, ids = scanned
    shutil.copytree(root, folder / "archive")
    tokens = add_accounts(folder / "archive", folder)
    running = Served(Server(folder / "archive", workers=1), tokens, ids)
    register = write_register(folder / "hostile.csv", [[
        HOSTILE_CODE, "1.000001", HOSTILE_PROCEDURE, HOSTILE_AGENCY, "1", "2026-03-01", "", "Lê <i>Văn</i> Nam",
        "079203005555", "true", ";".join(COMPONENTS)]])
    with running.as_role("clerk") as clerk, open(register, "rb") as f:
        answer = clerk.post("/records/import", files={"file": ("hostile.csv", f, "text/csv")})
        assert answer.status_code == 200, answer.text
    yield running
    running.server.stop()


def pages(served, name: str | None = None) -> httpx.Client:
    client = httpx.Client(base_url=served.server.url, timeout=60, follow_redirects=False)
    if name:
        assert client.post("/login", data={"name": name, "password": PASSWORD}).status_code == 303
    return client


def test_the_counter_needs_a_login_and_the_clerks_role(counter):
    with pages(counter) as visitor:
        assert visitor.get("/counter").headers["location"] == "/login?next=/counter"
    for role in ("staff", "manager", "admin"):
        with closing(pages(counter, role)) as other:
            refused = other.get(f"/counter?code={HOSTILE_CODE}")
            assert refused.status_code == 403 and "UBND xã" not in refused.text and "Không được phép" in refused.text
            assert other.get("/counter/papers/1").status_code == 403


def test_register_text_is_escaped_on_the_counter(counter):
    with closing(pages(counter, "clerk")) as clerk:
        page = clerk.get("/counter", params={"code": HOSTILE_CODE})
        assert page.status_code == 200
        text = page.text
        assert "<script>window.pwned" not in text and "<img src=x" not in text and "<b>đỏ</b>" not in text
        assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;UBND xã" in text
        assert "&lt;img src=x onerror=" in text and "Tờ khai &lt;b&gt;đỏ&lt;/b&gt;" in text
        assert 'data-component="Tờ khai &lt;b&gt;đỏ&lt;/b&gt;"' in text
        assert text.count('class="state state-missing"') == 3  # two components and the result


def test_a_record_not_there_is_told_beside_the_code(counter):
    with closing(pages(counter, "clerk")) as clerk:
        page = clerk.get("/counter", params={"code": "000.00.00.H00-260101-9999"})
        assert page.status_code == 404
        assert re.search(r'<p class="field-error" id="code-error">không có hồ sơ 000.00.00.H00-260101-9999', page.text)


def test_the_receipts_qr_code_opens_its_record(counter, tmp_path):
    import segno

    receipt = tmp_path / "receipt.png"
    segno.make(f"https://dichvucong.example/tra-cuu?ma={HOSTILE_CODE}", error="m").save(
        receipt, scale=8, border=4)
    with closing(pages(counter, "clerk")) as clerk:
        csrf = clerk.cookies["sohoa_csrf"]
        with open(receipt, "rb") as f:
            found = clerk.post("/counter/code-image", data={"csrf_token": csrf},
                               files={"image": ("receipt.png", f, "image/png")})
        assert found.status_code == 303, found.text
        assert found.headers["location"] == f"/counter?code={HOSTILE_CODE}"
        with open(receipt, "rb") as f:
            forged = clerk.post("/counter/code-image", data={"csrf_token": "forged"},
                                files={"image": ("receipt.png", f, "image/png")})
        assert forged.status_code == 403
        blank = tmp_path / "blank.png"
        make_scan(blank, ["Không có mã"], dpi=100)
        with open(blank, "rb") as f:
            none = clerk.post("/counter/code-image", data={"csrf_token": csrf},
                              files={"image": ("blank.png", f, "image/png")})
        assert none.status_code == 422 and 'id="image-error"' in none.text


def test_the_counter_offers_the_applicants_papers_and_reuses_one(counter):
    ids = counter.ids
    with closing(pages(counter, "clerk")) as clerk:
        page = clerk.get("/counter", params={"code": MARRIAGE}).text
        offers = page[page.index(MARRIAGE_COMPONENTS[1]):page.index(MARRIAGE_COMPONENTS[2])]
        assert f'name="paper" value="{ids["xnhn-moi.png"]}"' in offers  # her certificates, for the certificate
        assert f'name="paper" value="{ids["xnhn-cu.png"]}"' in offers and "hết hiệu lực từ" in offers
        assert f'name="paper" value="{ids["lltp.png"]}"' not in page  # another citizen's
        assert ANH_ID not in page  # the ID stays masked
        form = {"csrf_token": clerk.cookies["sohoa_csrf"], "record": MARRIAGE, "component": MARRIAGE_COMPONENTS[1]}
        refused = clerk.post("/counter/reuse", data={**form, "paper": ids["xnhn-cu.png"]})
        assert refused.status_code == 409
        assert re.search(rf'id="reuse-error-2-{ids["xnhn-cu.png"]}">giấy tờ này không còn hiệu lực', refused.text)
        done = clerk.post("/counter/reuse", data={**form, "paper": ids["xnhn-moi.png"]})
        assert done.status_code == 303 and done.headers["location"].endswith(quote(MARRIAGE))
        after = clerk.get("/counter", params={"code": MARRIAGE}).text
        part = after[after.index(MARRIAGE_COMPONENTS[1]):after.index(MARRIAGE_COMPONENTS[2])]
        assert "state state-reused" in part and f'id="paper-{ids["xnhn-moi.png"]}"' in part
        assert f'name="paper" value="{ids["xnhn-moi.png"]}"' not in part  # no longer offered
    with counter.as_role("staff") as staff:
        record = staff.get(f"/records/{MARRIAGE}").json()
        reused = [p for c in record["components"] if c["name"] == MARRIAGE_COMPONENTS[1] for p in c["papers"]]
        assert [(p["id"], p["reused"]) for p in reused] == [(ids["xnhn-moi.png"], True)]


DROP = """([name, data]) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, {type: "image/tiff"}));
    return transfer;
}"""


@pytest.mark.slow
def test_a_clerk_drops_a_two_page_scan_and_accepts_a_flagged_page(counter, browser, tmp_path):
    # 150 dpi: under the standard's 200, so both pages are flagged for rescanning
    scan = make_scan(tmp_path / "to-khai.tif", page_lines("TỜ KHAI ĐĂNG KÝ KẾT HÔN", "Trần Thị Ngọc Ánh"),
                     dpi=150, pages=2)
    page = browser.page()
    alerts = []
    page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
    login(page, counter.server.url, "clerk")
    browser.shot(page, "home-clerk")
    page.get_by_role("link", name="Quầy tiếp nhận").first.click()
    page.get_by_label("Mã hồ sơ").fill(HOSTILE_CODE)
    page.get_by_role("button", name="Mở hồ sơ").click()
    page.wait_for_selector("#record")
    assert page.get_by_text("Tờ khai <b>đỏ</b>").count() == 1  # shown as text, not markup
    assert page.evaluate("window.pwned") is None and alerts == []  # the register's markup never ran
    browser.shot(page, "counter-escaped")

    page.get_by_label("Mã hồ sơ").fill(MARRIAGE)
    page.get_by_role("button", name="Mở hồ sơ").click()
    page.wait_for_selector(f"#record[data-record='{MARRIAGE}']")
    browser.shot(page, "counter-record")
    component = page.locator("li.component").filter(has_text=MARRIAGE_COMPONENTS[0])
    transfer = page.evaluate_handle(DROP, [scan.name, base64.b64encode(scan.read_bytes()).decode()])
    component.locator(".dropzone").dispatch_event("drop", {"dataTransfer": transfer})
    card = component.locator("li.paper")
    card.wait_for(timeout=180_000)  # read by the worker: real Tesseract on two pages
    assert "2 trang" in card.inner_text()
    assert component.locator(".state").inner_text() == "đã số hóa"
    thumb = card.locator("img.thumb")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert "quét ở 150 dpi, dưới mức 200" in card.inner_text()  # the rescan reasons, in Vietnamese
    browser.shot(page, "counter-scanned")

    card.get_by_role("button", name="Chấp nhận trang").click()  # no reason: told beside the field
    card = component.locator("li.paper")
    card.locator("form .field-error").wait_for()
    assert "hãy nêu lý do" in card.inner_text()
    card.get_by_label("Giữ nguyên các trang bị đánh dấu, vì").fill("bản gốc chỉ có 150 dpi")
    card.get_by_role("button", name="Chấp nhận trang").click()
    component.locator("li.paper .ok").wait_for()
    browser.shot(page, "counter-accepted")
    with counter.as_role("clerk") as api:
        assert all(row["source_name"] != scan.name for row in api.get("/rescan").json())
    page.reload()  # the checklist as the catalog has it now
    assert page.locator("li.component").filter(has_text=MARRIAGE_COMPONENTS[0]).locator(".state").inner_text() \
        == "đã số hóa"

    # another flagged paper, replaced by a new scan dropped on its own card
    id_card = page.locator("li.component").filter(has_text=MARRIAGE_COMPONENTS[2])
    poor = make_scan(tmp_path / "cccd-mo.png", page_lines("CĂN CƯỚC CÔNG DÂN", "Trần Thị Ngọc Ánh"), dpi=150)
    good = make_scan(tmp_path / "cccd.png", page_lines("CĂN CƯỚC CÔNG DÂN", "Trần Thị Ngọc Ánh"), dpi=300)
    id_card.locator(".dropzone:not(.replace) input[type=file]").set_input_files(str(poor))
    flagged = id_card.locator("li.paper")
    flagged.wait_for(timeout=180_000)
    old = flagged.get_attribute("data-paper")
    for name, screen in (("counter-flagged-tablet", TABLET), ("counter-flagged", COUNTER_SCREEN)):
        page.set_viewport_size(screen)
        assert page.evaluate("document.documentElement.scrollWidth") <= screen["width"], name  # nothing sideways
        browser.shot(page, name)
    flagged.get_by_label(re.compile("Hoặc thay bằng bản quét mới")).set_input_files(str(poor))  # the same file
    failed = id_card.locator("li.job.error")
    failed.wait_for(timeout=180_000)
    assert "quét không thành công: cccd-mo.png: " in failed.inner_text() and "object" not in failed.inner_text()
    assert id_card.locator(f"#paper-{old}").count() == 1  # still there, still flagged
    flagged.get_by_label(re.compile("Hoặc thay bằng bản quét mới")).set_input_files(str(good))
    id_card.locator(f"li.paper:not([data-paper='{old}'])").wait_for(timeout=180_000)
    assert id_card.locator(f"#paper-{old}").count() == 0  # the new scan took its place
    assert id_card.locator("li.paper .ok").inner_text() == "Mọi trang đều đọc được."
    with counter.as_role("clerk") as api:
        assert int(old) not in {row["id"] for row in api.get("/rescan").json()}
    browser.shot(page, "counter-replaced")

    page.set_viewport_size(TABLET)
    browser.shot(page, "counter-tablet")
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("text=Counter")
    assert page.locator("html").get_attribute("lang") == "en"
    browser.shot(page, "counter-en")


def test_a_flagged_paper_is_replaced_by_a_new_scan_from_the_counter(counter, tmp_path):
    target = {"record": HOSTILE_CODE, "component": COMPONENTS[1]}
    lines = page_lines("GIẤY CHỨNG SINH", "Lê Văn Nam")
    poor = make_scan(tmp_path / "chung-sinh-mo.png", lines, dpi=150)  # under 200 dpi: flagged
    with counter.as_role("clerk") as api:
        job = scanned_through_the_api(api, poor, **target)
        assert job["state"] == "done", job
        (old,) = [p["id"] for p in job["papers"]]
        assert old in {row["id"] for row in api.get("/rescan").json()}

        def refused(path, **fields):
            with open(path, "rb") as f:
                answer = api.post("/scans", data={**target, **fields}, files={"files": (path.name, f, "image/png")})
            return answer.status_code, answer.json()["error"]["field"]

        good = make_scan(tmp_path / "chung-sinh.png", lines, dpi=300)
        assert refused(good, replaces=str(counter.ids["lltp.png"])) == (422, "replaces")  # nothing flagged on it
        assert refused(good, replaces="999999") == (404, "replaces")
        assert refused(good, replaces="x") == (422, "replaces")
        assert refused(good, replaces=str(old), split="blank") == (422, "split")
        assert refused(good, replaces=str(old), component=COMPONENTS[0]) == (422, "replaces")  # not the one it serves
        with open(good, "rb") as a, open(poor, "rb") as b:  # one new scan for one paper
            two = api.post("/scans", data={**target, "replaces": str(old)},
                           files=[("files", ("a.png", a, "image/png")), ("files", ("b.png", b, "image/png"))])
        assert two.status_code == 422 and two.json()["error"]["field"] == "replaces"
        same = scanned_through_the_api(api, poor, **target, replaces=str(old))  # the very same file again
        assert same["state"] == "failed" and same["error"]["kind"] == "Conflict", same
        assert old in {row["id"] for row in api.get("/rescan").json()}

    with closing(pages(counter, "clerk")) as clerk:
        before = clerk.get("/counter", params={"code": HOSTILE_CODE}).text
        assert f'<div class="dropzone replace" data-replaces="{old}">' in before  # on the flagged paper's card
    with counter.as_role("staff") as staff:  # replacing at the counter is the clerk's
        with open(good, "rb") as f:
            assert staff.post("/scans", data={**target, "replaces": str(old)},
                              files={"files": (good.name, f, "image/png")}).status_code == 403

    with counter.as_role("clerk") as api:
        job = scanned_through_the_api(api, good, **target, replaces=str(old))
        assert job["state"] == "done", job
        (new,) = [p["id"] for p in job["papers"]]
        assert new != old and old not in {row["id"] for row in api.get("/rescan").json()}  # its flags are gone
        assert api.get(f"/papers/{old}").json()["validity"]["replaced_by"] == new  # as `sohoa replace OLD NEW`
        with open(good, "rb") as f:  # replaced once: no second time
            again = api.post("/scans", data={**target, "replaces": str(old)}, files={"files": (good.name, f, "image/png")})
        assert again.status_code == 409 and again.json()["error"]["field"] == "replaces"
    with counter.as_role("staff") as staff:
        record = staff.get(f"/records/{HOSTILE_CODE}").json()
        assert {p["id"] for c in record["components"] if c["name"] == COMPONENTS[1] for p in c["papers"]} == {old, new}
    with closing(pages(counter, "clerk")) as clerk:
        after = clerk.get("/counter", params={"code": HOSTILE_CODE}).text
        assert f'id="paper-{new}"' in after and f'id="paper-{old}"' not in after  # the new scan in its place
        assert after.count('class="state state-digitized"') == 1
