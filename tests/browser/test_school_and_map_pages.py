"""The school admin reaches planning and the per-student figure from its own page, and anyone
walks the training and evaluation map, at desktop and phone sizes, under the CSP."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def csp_errors(page) -> list[str]:
    found = []
    page.on("console", lambda message: "Content Security Policy" in message.text and found.append(message.text))
    return found


@pytest.mark.parametrize("size", SIZES)
def test_school_admin_sees_the_figure_and_reaches_planning(demo, live_server, sign_in, shot, size):
    page = sign_in("college_admin", viewport=SIZES[size], is_mobile=size == "phone")
    found = csp_errors(page)
    page.goto(f"{live_server.url}/school/")
    expect(page.locator("h1")).to_contain_text("毕业学年学生")
    expect(page.locator("#figures-table")).to_be_visible()
    # The demo cohort: four graduating students, two holding the partner employer's certificate.
    expect(page.locator("#student-count")).to_have_text("4")
    expect(page.locator("#figures-table")).to_contain_text("0.50")
    shot(page, f"school-cohort-{size}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.locator("a.button", has_text="计划评价批次").first.click()
    expect(page.locator("select[name=scope]")).to_be_visible()
    shot(page, f"school-plan-{size}")
    assert found == []


@pytest.mark.parametrize("size", SIZES)
def test_anyone_filters_the_map_by_district(demo, live_server, browser, shot, size):
    context = browser.new_context(locale="zh-CN", viewport=SIZES[size], is_mobile=size == "phone")
    page = context.new_page()
    found = csp_errors(page)
    page.goto(f"{live_server.url}/")
    page.click("header nav >> text=培训评价地图")
    expect(page.locator("h1")).to_contain_text("培训评价地图")
    expect(page.locator(".district-grid a")).to_have_count(16)
    shot(page, f"map-{size}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.click("#district-310112")  # 闵行区, where the demo's college is
    expect(page.locator("#district-310112.current")).to_have_count(1)
    expect(page.locator(".map-entry").first).to_contain_text("上海东海职业技术学院")
    shot(page, f"map-district-{size}")
    assert found == []
    context.close()
