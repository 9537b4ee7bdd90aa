"""The desk and the dashboard in a real headless browser (Debian's chromium through Playwright,
tests/browser.py) against a real server with real Tesseract-scanned papers: a staff member finds
Nguyễn Văn An typed without marks, opens his paper, sees the words boxed on its image and reuses it
into his new record; the manager sees the rate change and drills down to what is missing; a clerk
opens none of the staff's or the manager's pages; and no name from the register runs as script."""

from __future__ import annotations

import re

import pytest

from tests.browser import TABLET, browser, login  # noqa: F401 (a fixture)
from tests.desk import AN_RECORD, HOSTILE_CODE, desk  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow


def watch_for_script(page) -> list[str]:
    """Every dialog a page opens (the hostile names call alert()); dismissed and kept to assert on."""
    opened: list[str] = []

    def seen(dialog):
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return opened


def rate(page) -> str:
    return page.locator("#rate-records").inner_text()


def test_staff_finds_an_opens_his_paper_sees_the_words_and_reuses_it(browser, desk):
    manager = browser.page()
    dialogs = watch_for_script(manager)
    login(manager, desk.server.url, "manager")
    manager.goto(desk.server.url + "/dashboard")
    before = rate(manager)
    browser.shot(manager, "dashboard-before")

    staff = browser.page()  # the same profile: logging in as staff ends the manager's session
    dialogs += watch_for_script(staff)
    login(staff, desk.server.url, "staff")
    staff.get_by_role("link", name="Tìm kiếm").first.click()
    staff.get_by_label("Tìm kiếm", exact=True).fill("nguyen van an")
    staff.get_by_role("button", name="Tìm kiếm").click()
    staff.wait_for_load_state()
    assert staff.locator("mark", has_text=re.compile("Nguyễn", re.I)).count() >= 1
    browser.shot(staff, "search")
    staff.locator(f'a[href^="/papers/{desk.ids["lltp.png"]}?"]').first.click()
    staff.wait_for_load_state()
    image = staff.locator(".page-view img")
    image.wait_for()
    staff.wait_for_function("document.querySelector('.page-view img').complete")
    boxes = staff.locator(".hit-box")
    assert boxes.count() >= 3
    picture, first = image.bounding_box(), boxes.first.bounding_box()
    assert first["width"] > 0 and first["height"] > 0  # drawn over the image, inside it
    assert picture["x"] <= first["x"] and first["x"] + first["width"] <= picture["x"] + picture["width"] + 1
    assert picture["y"] <= first["y"] and first["y"] + first["height"] <= picture["y"] + picture["height"] + 1
    browser.shot(staff, "paper")

    staff.get_by_label("Mã hồ sơ").fill(AN_RECORD)
    staff.get_by_role("button", name="Tái sử dụng", exact=True).click()
    staff.wait_for_load_state()
    assert staff.url.endswith(f"/records/{AN_RECORD}")
    assert staff.locator(".state-reused").count() == 1
    browser.shot(staff, "record")

    login(manager, desk.server.url, "manager")  # one profile, one session at a time: the manager's again
    manager.goto(desk.server.url + "/dashboard")
    assert rate(manager) != before  # An's new record is digitized now: the rate moved
    browser.shot(manager, "dashboard")
    manager.locator('a[href*="/dashboard/missing"]', has_text=re.compile("thiếu")).first.click()
    manager.wait_for_load_state()
    assert manager.get_by_role("link", name=HOSTILE_CODE).count() == 1
    assert manager.locator("ul.lacks li").count() >= 1
    browser.shot(manager, "missing")
    assert dialogs == []  # no name from the register ran as script on any page


def test_the_pages_fit_a_tablet(browser, desk):
    tablet = browser.page(TABLET)
    login(tablet, desk.server.url, "staff")
    tablet.goto(desk.server.url + f"/papers/{desk.ids['lltp.png']}?q=nguyen")
    width = tablet.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"]  # one column, nothing to scroll sideways
    browser.shot(tablet, "paper-tablet")


def test_a_clerk_opens_none_of_the_desk_or_the_dashboard(browser, desk):
    clerk = browser.page()
    login(clerk, desk.server.url, "clerk")
    for path in ("/search", "/dashboard", "/dashboard/missing", "/audit"):
        answer = clerk.goto(desk.server.url + path)
        assert answer.status == 403, path
        assert clerk.get_by_role("heading", name="Không được phép").count() == 1
    nav = clerk.locator("header nav").inner_text()
    assert "Tìm kiếm" not in nav and "Bảng điều khiển" not in nav
