"""A real headless browser for the pages' tests: Debian's chromium driven by Playwright (a browser
downloaded by `playwright install` does not run here), against a real `sohoa serve`
(tests/serving.py). Screenshots go to test-artifacts/screenshots/ (gitignored), the run's record of
each main page.

    def test_x(browser, served):
        page = browser.page()
        login(page, served.server.url, "clerk")
        browser.shot(page, "counter")
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.serving import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# Run as root in a container: no sandbox, no GPU, nothing fetched in the background.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
COUNTER_SCREEN = {"width": 1366, "height": 768}
TABLET = {"width": 820, "height": 1180}


class Browser:
    """One chromium with a fresh profile; `page()` a new tab (own cookies) at a counter's screen size."""

    def __init__(self, context):
        self.context = context  # a persistent context: the fresh user-data dir is the profile
        self.pages = []

    def page(self, viewport: dict | None = None):
        page = self.context.new_page()
        page.set_viewport_size(viewport or COUNTER_SCREEN)
        self.pages.append(page)
        return page

    def shot(self, page, name: str) -> Path:
        """A full-page screenshot, test-artifacts/screenshots/NAME.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield Browser(context)
        finally:
            context.close()


def login(page, url: str, name: str, password: str = PASSWORD) -> None:
    """Log in through the login page as a person does (labels, not selectors)."""
    page.context.clear_cookies()
    page.goto(url + "/login")
    page.get_by_label(re.compile("Tên đăng nhập|User name")).fill(name)
    page.get_by_label(re.compile("Mật khẩu|Password")).fill(password)
    page.get_by_role("button", name=re.compile("Đăng nhập|Log in")).click()
    page.wait_for_load_state()
