"""Two agencies in a real headless browser (Debian's chromium through Playwright, tests/browser.py)
against a real server with a worker and real Tesseract: the manager reads the records rate, a clerk
of the first agency scans the paper a record lacked, the manager reloads and sees the rate go up,
then drills down to the records still missing and what each lacks; and a clerk of the second agency
sees none of the first's records or papers, on any page (Decree 30: rights per record)."""

from __future__ import annotations

import re
from contextlib import closing

import pytest

from tests.browser import browser, login  # noqa: F401 (a fixture)
from tests.citizen_papers import ANH_ID, MARRIAGE
from tests.citizen_papers import COMPONENTS as MARRIAGE_COMPONENTS
from tests.conftest import make_scan, page_lines, write_register
from tests.serving import scanned_through_the_api, serve_copy

pytestmark = pytest.mark.slow

AGENCY_A = "UBND phường Hàng Trống"  # MARRIAGE's agency (tests/citizen_papers.py)
AGENCY_B = "UBND xã Tân Phú"
A_COPY = "000.00.31.H29-260305-0002"  # agency A: a copy of a birth extract, its request not scanned yet
A_COPY_COMPONENT = "Tờ khai cấp bản sao trích lục"
B_CODE = "000.00.77.H29-260306-0001"  # agency B: Ánh applies there too
B_COMPONENT = "Giấy xác nhận tình trạng hôn nhân"
UNKNOWN = "000.00.00.H00-260101-9999"


@pytest.fixture(scope="module")
def agencies(scanned, tmp_path_factory):
    """A served copy of the citizens' archive (one worker) with a record of agency A still missing,
    one of agency B, Ánh's valid certificate and ID card serving her marriage record (agency A), and
    a clerk bound to each agency."""
    folder = tmp_path_factory.mktemp("agencies")
    running = serve_copy(scanned, folder, workers=1)
    cli = running.cli
    cli("records", "import", write_register(folder / "register.csv", [
        [A_COPY, "1.000894", "Cấp bản sao trích lục hộ tịch", AGENCY_A, "1", "2026-03-05", "2026-03-06",
         "Nguyễn Văn An", "079203001234", "false", A_COPY_COMPONENT],
        [B_CODE, "1.001612", "Đăng ký kết hôn", AGENCY_B, "1", "2026-03-06", "2026-03-09",
         "Trần Thị Ngọc Ánh", ANH_ID, "false", f"{B_COMPONENT};{MARRIAGE_COMPONENTS[2]}"]]))
    ids = running.ids
    cli("attach", ids["xnhn-moi.png"], "--record", MARRIAGE, "--component", MARRIAGE_COMPONENTS[1])
    cli("attach", ids["cccd.png"], "--record", MARRIAGE, "--component", MARRIAGE_COMPONENTS[2])
    cli("attach", ids["cccd.png"], "--record", B_CODE, "--component", MARRIAGE_COMPONENTS[2])  # both agencies'
    secret = folder / "password.txt"  # written by add_accounts
    for name, agency in (("clerk-a", AGENCY_A), ("clerk-b", AGENCY_B)):
        cli("users", "add", name, "--role", "clerk", "--agency", agency, "--password-file", secret)
    yield running
    running.server.stop()


def rate(page) -> float:
    return float(page.locator("#rate-records").inner_text().rstrip("%"))


def test_the_manager_sees_the_rate_go_up_and_drills_down_to_what_is_missing(browser, agencies, tmp_path):
    manager = browser.page()
    login(manager, agencies.server.url, "manager")
    manager.goto(agencies.server.url + "/dashboard")
    before = rate(manager)
    row = manager.locator("tr", has_text=AGENCY_A)
    missing_before = int(re.search(r"(\d+)", row.get_by_role("link", name=re.compile("thiếu")).inner_text())[1])
    browser.shot(manager, "dashboard-agencies-before")

    request = make_scan(tmp_path / "to-khai-ban-sao.png", page_lines("TỜ KHAI CẤP BẢN SAO TRÍCH LỤC", "Nguyễn Văn An"),
                        dpi=200)
    with closing(agencies.server.login("clerk-a")) as api:  # the counter's upload, by a clerk of agency A
        job = scanned_through_the_api(api, request, record=A_COPY, component=A_COPY_COMPONENT)
    assert job["state"] == "done", job

    manager.reload()
    assert rate(manager) > before  # A_COPY is digitized now
    row = manager.locator("tr", has_text=AGENCY_A)
    link = row.get_by_role("link", name=re.compile("thiếu"))
    assert int(re.search(r"(\d+)", link.inner_text())[1]) == missing_before - 1
    browser.shot(manager, "dashboard-agencies-after")
    link.click()
    manager.wait_for_load_state()
    assert manager.get_by_role("heading", name=re.compile(AGENCY_A)).count() == 1
    assert manager.get_by_role("link", name=A_COPY).count() == 0  # digitized: no longer missing
    marriage = manager.locator("tr", has=manager.get_by_role("link", name=MARRIAGE))
    assert marriage.locator("ul.lacks li").all_inner_texts() == [MARRIAGE_COMPONENTS[0], "kết quả"]  # the other two serve it
    assert manager.get_by_role("link", name=B_CODE).count() == 0  # the group is agency A's only
    browser.shot(manager, "missing-agency")


def test_a_clerk_of_another_agency_sees_none_of_it(browser, agencies):
    ids, url = agencies.ids, agencies.server.url
    theirs = (ids["xnhn-moi.png"],)  # serving agency A's marriage record
    shared = ids["cccd.png"]  # serving a record of each agency
    everyones = ids["xnhn-cu.png"]  # scanned at the archive's own machine, on no record: every agency's
    clerk = browser.page()
    login(clerk, url, "clerk-b")

    clerk.goto(url + "/counter")

    def opened(code: str):
        clerk.get_by_label("Mã hồ sơ").fill(code)
        with clerk.expect_response(lambda r: "/counter?code=" in r.url) as answer:
            clerk.get_by_role("button", name="Mở hồ sơ").click()
        clerk.wait_for_load_state()
        return answer.value.status, clerk.locator("#code-error").inner_text().replace(code, "CODE")

    unknown_answer = opened(UNKNOWN)
    assert unknown_answer[0] == 404
    assert opened(MARRIAGE) == unknown_answer  # agency A's record: told as an unknown code is
    assert clerk.locator("#record").count() == 0
    browser.shot(clerk, "counter-other-agency")

    clerk.goto(url + "/counter?code=" + B_CODE)
    clerk.wait_for_selector(f"#record[data-record='{B_CODE}']")
    offered = [int(v) for v in clerk.locator("form[action='/counter/reuse'] input[name=paper]").evaluate_all(
        "inputs => inputs.map(i => i.value)")]
    assert everyones in offered  # Ánh's papers are offered at all...
    assert not set(theirs) & set(offered)  # ...but not those serving agency A's record
    assert AGENCY_A not in clerk.content() and MARRIAGE not in clerk.content()
    browser.shot(clerk, "counter-own-agency")

    for paper in theirs:
        for path in (f"/papers/{paper}", f"/counter/papers/{paper}"):
            assert clerk.goto(url + path).status == 404, path
            assert AGENCY_A not in clerk.content()
        for path in (f"/api/v1/papers/{paper}/pages/1.png?width=240", f"/api/v1/papers/{paper}/pdf",
                     f"/api/v1/papers/{paper}/pages/1/words",
                     f"/api/v1/papers/{paper}"):
            assert clerk.request.get(url + path).status == 404, path
    assert clerk.goto(url + f"/papers/{everyones}").status == 200  # the same pages do open for a paper it sees
    assert clerk.goto(url + f"/papers/{shared}").status == 200
    assert B_CODE in clerk.content()  # its own record, in the records and the history...
    assert MARRIAGE not in clerk.content() and AGENCY_A not in clerk.content()  # ...never agency A's
    browser.shot(clerk, "paper-shared-other-agency")
    assert clerk.request.get(url + f"/api/v1/papers/{everyones}/pages/1.png?width=240").status == 200
    assert clerk.goto(url + f"/records/{MARRIAGE}").status == 404

    clerk.goto(url + "/records")
    listed = clerk.locator("tbody tr td:first-child a").all_inner_texts()
    assert B_CODE in listed and MARRIAGE not in listed and A_COPY not in listed
    assert AGENCY_A not in clerk.content()
    browser.shot(clerk, "records-other-agency")
    clerk.goto(url + "/records?" + "agency=" + AGENCY_A)  # asked for by name: still nothing
    assert clerk.locator("tbody tr").count() == 0
