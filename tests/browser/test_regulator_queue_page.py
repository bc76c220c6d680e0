"""The regulator finds the work queue from the navigation and it works on a phone under the
Content-Security-Policy (no inline script or style)."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_regulator_reaches_the_queue_from_the_nav_on_a_phone(demo, live_server, sign_in, shot):
    page = sign_in("regulator", viewport={"width": 390, "height": 844}, is_mobile=True)
    found = []
    page.on("console", lambda message: "Content Security Policy" in message.text and found.append(message.text))
    page.click("header nav >> text=监管工作台")
    expect(page.locator("h1")).to_contain_text("监管工作台")
    expect(page.locator("#filings")).to_be_visible()
    shot(page, "regulator-queue-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert found == []


def test_an_institution_admin_has_no_queue_link(demo, live_server, sign_in):
    page = sign_in("baosteel_admin")
    expect(page.locator("header nav >> text=监管工作台")).to_have_count(0)
