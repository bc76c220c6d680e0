"""The regulator reaches the skilled-talent statistics from the navigation; every chart renders
(Apache ECharts draws a canvas) under the Content-Security-Policy, on a desktop and on a phone."""

import pytest
from playwright.sync_api import expect

from certification.models import StatisticsRun
from certification.services import statistics

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("size", "viewport"),
    [("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})],
)
def test_regulator_sees_the_charts(demo, live_server, sign_in, shot, size, viewport):
    statistics.statistics_refresh()
    assert StatisticsRun.objects.exists()
    page = sign_in("regulator", viewport=viewport, is_mobile=size == "phone")
    blocked = []
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    page.on("pageerror", lambda error: blocked.append(str(error)))
    page.click("header nav >> text=技能人才统计")
    expect(page.locator("h1")).to_contain_text("技能人才统计")
    expect(page.locator("#freshness")).to_contain_text("数据计算于")
    for name in ("level", "district", "year", "high_skill_share", "new_high_skill"):
        expect(page.locator(f"#figure-{name} .chart canvas").first).to_be_visible()
    shot(page, f"regulator-statistics-{size}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert blocked == []


def test_the_export_downloads_from_the_page(demo, live_server, sign_in):
    statistics.statistics_refresh()
    page = sign_in("regulator")
    page.goto(f"{live_server.url}/regulator/statistics/")
    with page.expect_download() as download:
        page.click("#freshness >> text=导出全部（XLSX）")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_an_institution_admin_has_no_statistics_link(demo, live_server, sign_in):
    page = sign_in("baosteel_admin")
    expect(page.locator("header nav >> text=技能人才统计")).to_have_count(0)
