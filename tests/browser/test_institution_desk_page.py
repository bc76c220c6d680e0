"""An institution admin applies for a filing and opens the desk from the navigation, on a phone
and on a desktop, under the Content-Security-Policy; the pages never scroll sideways."""

import pytest
from playwright.sync_api import expect

from certification.models import Certificate
from registry.models import Filing

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True}, "desktop": {}}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("size", SIZES)
def test_admin_applies_for_a_filing_and_opens_the_desk(demo, live_server, sign_in, shot, size):
    page = sign_in("baosteel_admin", **SIZES[size])
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    page.click("header nav >> text=备案申请")
    expect(page.locator("h1")).to_contain_text("备案申请")
    assert fits(page)
    page.click("#new-filing")
    page.fill("#id_valid_from", "2040-01-01")
    page.fill("#id_valid_until", "2042-12-31")
    page.select_option("#id_scope-0-evaluation_type", "skill_level")
    page.select_option("#id_scope-0-occupation", label="6-31-01-03 电工")
    page.check("#id_scope-0-levels_0")
    page.check("#id_scope-0-levels_1")
    assert fits(page)
    shot(page, f"filing-new-{size}")
    page.click("#submit-filing")
    expect(page.locator("#filing-state")).to_have_text("已申请")
    assert fits(page)
    shot(page, f"filing-detail-{size}")
    filing = Filing.objects.get(valid_from="2040-01-01")
    assert filing.state == Filing.State.APPLIED and filing.scopes.get().levels == [1, 2]
    page.click("header nav >> text=机构待办")
    expect(page.locator("h1")).to_contain_text("机构待办")
    expect(page.locator("#revoke-find")).to_be_visible()
    assert fits(page)
    shot(page, f"institution-desk-{size}")
    # Revoke one of its certificates through the confirmation page.
    certificate = Certificate.objects.filter(institution__memberships__user__username="baosteel_admin").first()
    page.fill("#revoke-number", certificate.number.lower())
    page.click("#revoke-find button")
    expect(page.locator("h1")).to_contain_text("撤销证书")
    assert fits(page)
    shot(page, f"certificate-revoke-{size}")
    page.fill("#revoke-reason", "考核舞弊，经查属实")
    page.click("#confirm-revoke")
    expect(page.locator("#certificate-state")).to_contain_text("已撤销")
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.revocation_reason == "考核舞弊，经查属实"
    assert refused == []
