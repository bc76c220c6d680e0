"""The audit log, competitions and appointments pages (issue 12): reached from the regulator's
navigation, usable at 390 px without a horizontal page scroll and under the strict CSP."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


@pytest.mark.parametrize(
    "link, heading, name",
    [
        ("审计日志", "审计日志", "audit-log"),
        ("职业技能竞赛", "职业技能竞赛", "competitions"),
        ("技师聘任", "特级技师", "appointments"),
    ],
)
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_regulator_desk_pages_from_the_nav(demo, live_server, sign_in, shot, link, heading, name, size):
    from registry.competitions import competitions_load_file

    competitions_load_file()
    page = sign_in("regulator", **(PHONE if size == "phone" else {}))
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.click(f"header nav >> text={link}")
    expect(page.locator("h1")).to_contain_text(heading)
    shot(page, f"regulator-{name}-{size}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert violations == []


def test_the_audit_log_shows_the_demo_world_changes(demo, live_server, sign_in):
    page = sign_in("regulator")
    page.goto(f"{live_server.url}/regulator/audit/?kind=filing")
    expect(page.locator(".audit-entry").first).to_be_visible()
