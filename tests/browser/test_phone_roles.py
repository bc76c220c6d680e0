"""Issue 11 on a 390×844 phone: an assessor scores a candidate on the score grid (each candidate
a card, the outcome computed live as scores are typed, the server's on save), and a supervisor
files a finding that shows as holding until cleared. No sideways page scroll."""

import pytest
from playwright.sync_api import expect

from assessors.models import Assessor
from certification import services
from certification.models import Application, Finding

from .test_browser import planned_session

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_assessor_scores_a_candidate_on_a_phone(demo, live_server, sign_in, shot):
    session = planned_session(candidates=2)
    assessor = Assessor.objects.filter(institution=session.institution, kind="assessor").order_by("pk").first()
    first, second = Application.objects.filter(session=session).order_by("pk")
    page = sign_in(assessor.user.username, **PHONE)
    csp = []
    page.on("console", lambda message: "Content Security Policy" in message.text and csp.append(message.text))
    page.goto(f"{live_server.url}/institution/sessions/{session.pk}/scores/")
    card = page.locator(f"tr[data-application='{first.pk}']")
    outcome = card.locator("td.outcome output")
    expect(outcome).to_have_text("待评分")
    page.fill(f"input[name=theory-{first.pk}]", "75")
    expect(outcome).to_contain_text("待评分")  # practical still missing
    page.fill(f"input[name=practical-{first.pk}]", "82.5")
    expect(outcome).to_contain_text("合格")
    expect(outcome).to_have_attribute("data-live", "passed")
    page.fill(f"input[name=practical-{first.pk}]", "55")
    expect(outcome).to_have_attribute("data-live", "failed")
    page.fill(f"input[name=practical-{first.pk}]", "82.5")
    expect(outcome).to_contain_text("未保存")
    assert no_sideways_scroll(page)
    shot(page, "phone-score-grid-typed")
    page.click("#save-scores")
    expect(page.locator(".messages")).to_contain_text("成绩已保存")
    expect(page.locator(f"tr[data-application='{first.pk}'] td.outcome output")).to_have_attribute(
        "data-saved", "passed"
    )
    first.result.refresh_from_db()
    second.result.refresh_from_db()
    assert first.result.outcome == "passed" and second.result.outcome == "pending"
    assert no_sideways_scroll(page)
    assert csp == []  # the live outcome is a static script under the policy
    shot(page, "phone-score-grid-saved")


def test_supervisor_files_a_finding_on_a_phone_and_sees_it_held(demo, live_server, sign_in, shot):
    session = planned_session()
    supervisor = Assessor.objects.filter(institution=session.institution, kind="internal_supervisor").first()
    admin = session.created_by
    services.session_staff_assign(actor=admin, session=session, assessor=supervisor, role="internal_supervisor")
    page = sign_in(supervisor.user.username, **PHONE)
    page.goto(f"{live_server.url}/supervisor/")
    expect(page.locator(f"#supervised-{session.pk}")).to_be_visible()
    page.select_option("#id_target", f"session-{session.pk}")
    page.select_option("#id_severity", "major")
    page.fill("#id_text", "考场未按规定配备监控")
    page.click("#finding-form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已提交")
    finding = Finding.objects.get(session=session)
    expect(page.locator(f"#my-finding-{finding.pk}")).to_contain_text("未解除，暂停中")
    expect(page.locator(f"#supervised-{session.pk}")).to_contain_text("督导暂停")
    assert no_sideways_scroll(page)
    shot(page, "phone-supervisor-finding")


def test_public_report_then_regulator_decides_report_and_sanction_on_a_phone(demo, live_server, browser, sign_in, shot):
    from certification.models import Report
    from registry.models import Filing, Institution

    context = browser.new_context(locale="zh-CN", **PHONE)
    public = context.new_page()
    public.goto(f"{live_server.url}/supervision/report/")
    institution = Institution.objects.get(name="上海申技职业技能评价中心")
    public.select_option("#id_institution", str(institution.pk))
    public.fill("#id_text", "考场内有人使用手机搜题，考务人员未制止。")
    public.click("#report-form button[type=submit]")
    expect(public.locator(".messages")).to_contain_text("反映已提交")
    assert no_sideways_scroll(public)
    shot(public, "phone-public-report")
    report = Report.objects.get(institution=institution)
    assert report.contact == "" and report.state == Report.State.OPEN

    page = sign_in("regulator", **PHONE)
    page.goto(f"{live_server.url}/regulator/#reports")
    card = page.locator(f"#report-{report.pk}")
    card.locator("select[name=severity]").select_option("major")
    card.locator("input[name=note]").first.fill("立案核查")
    card.get_by_role("button", name="转为督导发现").click()
    expect(page.locator(".messages")).to_contain_text("反映已转为督导发现")
    report.refresh_from_db()
    assert report.state == Report.State.FINDING and report.finding.institution == institution

    # The demo's overdue finding on the same institution proposes a sanction: suspend the filing.
    proposal = page.locator(".sanction", has_text="考务档案不全")
    expect(proposal).to_be_visible()
    assert no_sideways_scroll(page)
    shot(page, "phone-regulator-sanctions")
    proposal.locator("select[name=kind]").select_option("suspend")
    proposal.locator("input[name=reason]").fill("逾期未整改，限期整改")
    proposal.get_by_role("button", name="作出决定").click()
    expect(page.locator(".messages")).to_contain_text("处罚决定已记录")
    filing = Filing.objects.get(institution=institution)
    assert filing.state == Filing.State.SUSPENDED
    assert filing.transitions.filter(to_state="suspended", reason="逾期未整改，限期整改").exists()


def test_the_same_pages_at_desktop_size(demo, live_server, sign_in, shot):
    session = planned_session(candidates=2)
    assessor = Assessor.objects.filter(institution=session.institution, kind="assessor").order_by("pk").first()
    page = sign_in(assessor.user.username, viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/institution/sessions/{session.pk}/scores/")
    expect(page.locator("#score-grid thead")).to_be_visible()  # a table on a wide screen, not cards
    name = page.locator("#score-grid tbody th.name").first
    assert name.evaluate("element => getComputedStyle(element).position") == "sticky"
    shot(page, "desktop-score-grid")
    page.goto(f"{live_server.url}/supervision/report/")
    expect(page.locator("#report-form")).to_be_visible()
    shot(page, "desktop-public-report")
    supervisor = sign_in("baosteel_internal_supervisor_4", viewport={"width": 1280, "height": 800})
    supervisor.goto(f"{live_server.url}/supervisor/")
    expect(supervisor.locator("#finding-form")).to_be_visible()
    shot(supervisor, "desktop-supervisor")
    regulator = sign_in("regulator", viewport={"width": 1280, "height": 800})
    regulator.goto(f"{live_server.url}/regulator/#sanctions")
    expect(regulator.locator(".sanction").first).to_be_visible()
    shot(regulator, "desktop-regulator-queue")
