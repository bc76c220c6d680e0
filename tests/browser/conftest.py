"""Browser tests: Playwright driving Debian's Chromium (installed by scripts/ensure-services)."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in this thread; the ORM calls of the tests are sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    assert Path(CHROMIUM).exists(), "Debian's chromium is installed by scripts/ensure-services (make test)"
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "accept_downloads": True}


# The two sizes every whole-flow test runs at (issue 11): a desktop and a 390 px phone.
SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    return request.param


@pytest.fixture
def shot():
    """Save a full-page screenshot under artifacts/screenshots/<desktop|phone>/<name>.png (the
    folder follows the page's viewport width)."""

    def take(page, name: str) -> Path:
        width = (page.viewport_size or {}).get("width", 1280)
        folder = SCREENSHOTS / ("phone" if width < 600 else "desktop")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_page(browser):
    """A page of a fresh, signed-out browser context (the public), e.g. `new_page(**SIZES[size])`."""

    def _new_page(**context_args):
        return browser.new_context(locale="zh-CN", accept_downloads=True, **context_args).new_page()

    return _new_page


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", stdout=open(os.devnull, "w"))


@pytest.fixture
def sign_in(live_server, browser):
    def _sign_in(username: str, password: str = "demo-pass-2026", **context_args):
        context = browser.new_context(locale="zh-CN", accept_downloads=True, **context_args)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)  # each role lands on its start page
        return page

    return _sign_in
