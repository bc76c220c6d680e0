"""What people do in a real browser: verify a certificate by form and by QR link, sign in and
download a PDF, import a roster with a bad row and see the error, enter scores and watch a
batch finish. Screenshots of the key pages go to artifacts/screenshots/."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessors.models import Assessor
from certification import services
from certification.models import Application, Certificate, IssuanceBatch, Session
from registry.identity import compose_resident_id
from registry.levels import EvaluationType, Level
from registry.models import Institution, Occupation, User, WorkExperience
from registry.services import person_register

pytestmark = pytest.mark.django_db(transaction=True)


def a_certificate() -> Certificate:
    return Certificate.objects.select_related("person").order_by("number").first()


def test_verify_by_form_and_by_qr_link(demo, live_server, page, shot):
    certificate = a_certificate()
    page.goto(f"{live_server.url}/verify/")
    page.fill("#id_name", certificate.person.name)
    page.fill("#id_document_number", certificate.person.document_number)
    page.fill("#id_number", certificate.number)
    page.click("button[type=submit]")
    result = page.locator("#verification-result")
    expect(result).to_contain_text("证书有效")
    expect(result).to_contain_text(certificate.person.document_masked)
    expect(result).to_contain_text("验证通过")
    assert certificate.person.document_number not in page.content()
    assert certificate.person.document_number not in page.url
    shot(page, "verify-form")
    page.goto(f"{live_server.url}/v/{certificate.verification_code}")
    expect(page.locator("#verification-result")).to_contain_text(certificate.number)
    shot(page, "verify-qr")


def test_verify_on_a_phone_and_a_miss(demo, live_server, browser, shot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN")
    page = context.new_page()
    certificate = a_certificate()
    page.goto(f"{live_server.url}/verify/")
    page.fill("#id_name", "不是本人")
    page.fill("#id_document_number", certificate.person.document_number)
    page.fill("#id_number", certificate.number)
    page.click("button[type=submit]")
    expect(page.locator("#verification-result")).to_contain_text("未查询到")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
    shot(page, "verify-phone-miss")


def test_worker_signs_in_and_downloads_a_pdf(demo, live_server, sign_in, shot):
    page = sign_in("worker")
    page.goto(f"{live_server.url}/me/")
    card = page.locator("section.certificate").first
    expect(card).to_be_visible()
    number = card.get_attribute("data-number")
    assert Certificate.objects.filter(number=number, person__user__username="worker").exists()
    shot(page, "my-record")
    with page.expect_download() as download:
        card.get_by_text("下载 PDF").click()
    path = download.value.path()
    assert open(path, "rb").read(5) == b"%PDF-"
    assert download.value.suggested_filename == f"{number}.pdf"


def planned_session(admin_username="baosteel_admin", candidates=0) -> Session:
    admin = User.objects.get(username=admin_username)
    institution = Institution.objects.get(memberships__user=admin)
    electrician = Occupation.objects.get(code="6-31-01-03")
    today = timezone.localdate()
    session = services.session_plan(
        actor=admin,
        institution=institution,
        evaluation_type=EvaluationType.SKILL_LEVEL,
        occupation=electrician,
        level=Level.GRADE_5,
        starts_on=today,
        ends_on=today,
        site="宝山区 实训中心 B 楼",
        name="浏览器测试批次",
    )
    # Held three days ago: planning refuses past days, scoring waits for the first day, submission the last.
    Session.objects.filter(pk=session.pk).update(
        starts_on=today - datetime.timedelta(days=3), ends_on=today - datetime.timedelta(days=3)
    )
    session.refresh_from_db()
    if candidates:
        assessors = list(Assessor.objects.filter(institution=institution, kind="assessor").order_by("pk"))
        for assessor in assessors[:3]:
            services.session_staff_assign(actor=admin, session=session, assessor=assessor, role="assessor")
        invigilators = list(Assessor.objects.filter(institution=institution, kind="invigilator")) + assessors
        for assessor in invigilators[:2]:
            services.session_staff_assign(actor=admin, session=session, assessor=assessor, role="invigilator")
        for i in range(candidates):
            number = compose_resident_id("310113", datetime.date(2001, 4, 1 + i), 700 + i)
            person = person_register(document_type="resident_id", document_number=number, name=f"浏览器考生{i}")
            WorkExperience.objects.create(person=person, occupation=electrician, started=datetime.date(2020, 1, 1))
            services.application_enrol(actor=admin, session=session, name=person.name, document_number=number)
    return session


def test_roster_import_with_a_bad_row_shows_the_error_and_changes_nothing(demo, live_server, sign_in, shot, tmp_path):
    session = planned_session()
    good = compose_resident_id("310115", datetime.date(1995, 6, 1), 321)
    csv_path = tmp_path / "roster.csv"
    csv_path.write_text(
        f"姓名,证件号码,本职业工作起始日期\n王五,{good},2020-01-01\n赵六,310115199506010000,2020-01-01\n",
        encoding="utf-8-sig",
    )
    page = sign_in("baosteel_admin")
    page.goto(f"{live_server.url}/institution/sessions/{session.pk}/")
    page.set_input_files("#roster-file", str(csv_path))
    page.click("#roster-upload")
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("3")  # the spreadsheet row of 赵六
    expect(errors).to_contain_text("证件号码")
    expect(errors).to_contain_text("整个文件未导入")
    shot(page, "roster-import-error")
    assert not Application.objects.filter(session=session).exists()


def test_enter_scores_submit_and_watch_the_batch_finish(demo, live_server, sign_in, shot):
    session = planned_session(candidates=3)
    assessor = Assessor.objects.filter(institution=session.institution, kind="assessor").order_by("pk").first()
    page = sign_in(assessor.user.username)
    page.goto(f"{live_server.url}/institution/sessions/{session.pk}/scores/")
    for i, application in enumerate(Application.objects.filter(session=session).order_by("pk")):
        page.fill(f"input[name=theory-{application.pk}]", str(70 + i))
        page.fill(f"input[name=practical-{application.pk}]", "58" if i == 2 else "81.5")
    shot(page, "score-grid")
    page.click("#save-scores")
    expect(page.locator(".messages")).to_contain_text("成绩已保存")
    expect(page.locator("#score-grid")).to_contain_text("不合格")

    admin = sign_in("baosteel_admin")
    admin.goto(f"{live_server.url}/institution/sessions/{session.pk}/")
    admin.click("#submit-session")
    expect(admin.locator("#submit-confirm")).to_contain_text("成绩锁定")  # says what locks before it does
    admin.click("#confirm-submit")
    expect(admin.locator("#session-state")).to_contain_text("已提交发证")
    # The publicity period passes (docs/domain.md: results are published before issuance).
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=timezone.localdate() - datetime.timedelta(days=1))
    admin.reload()
    admin.click("#issue-session")
    expect(admin.locator("#batch-state")).to_have_attribute("data-state", "done", timeout=20000)
    expect(admin.locator("#batch-issued")).to_have_text("2")
    assert admin.locator("#batch-bar").get_attribute("value") == "2"
    shot(admin, "batch-done")
    admin.click("#build-archive")
    expect(admin.locator("#archive-download")).to_be_visible(timeout=20000)
    with admin.expect_download() as download:
        admin.click("#archive-download")
    assert download.value.suggested_filename.endswith(".zip")
    batch = IssuanceBatch.objects.get(sessions=session)
    assert batch.certificates.count() == 2
    shot(admin, "batch-archive")


def test_english_is_available(live_server, page, transactional_db):
    page.goto(f"{live_server.url}/")
    page.select_option("select[name=language]", "en")
    expect(page.locator("h1")).to_contain_text("Skill-level certification registry")


def test_plan_a_session_staff_it_and_enrol_from_the_pages(demo, live_server, sign_in, shot):
    """Issue 11: the admin's whole planning job in the browser, under the CSP (no inline script)."""
    before = set(Session.objects.values_list("pk", flat=True))
    page = sign_in("baosteel_admin")
    page.goto(f"{live_server.url}/institution/")
    page.click("#plan-session")
    options = page.locator("#id_scope option")
    page.select_option("#id_scope", options.nth(1).get_attribute("value"))
    day = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    page.fill("#id_starts_on", day)
    page.fill("#id_ends_on", day)
    page.fill("#id_site", "宝山区 实训中心")
    shot(page, "plan-session")
    page.click("#plan-form button[type=submit]")
    expect(page.locator("#session-state")).to_contain_text("计划")
    (session,) = Session.objects.exclude(pk__in=before)
    assert session.site == "宝山区 实训中心"
    expect(page.locator("#staff-shortfalls")).to_be_visible()
    page.select_option("#staff-assessor", index=1)
    page.select_option("#staff-role", "invigilator")
    page.click("#staff-form button[type=submit]")
    expect(page.locator("#staff")).not_to_contain_text("尚未指派")
    number = compose_resident_id("310115", datetime.date(1995, 6, 1), 777)
    page.fill("#enrol-form #id_name", "钱七")
    page.fill("#enrol-form #id_document_number", number)
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#enrol-form .errors")).to_be_visible()  # no work history: no condition met
    assert page.locator("#enrol-form #id_document_number").input_value() == ""
    assert number not in page.content() and number not in page.url
    shot(page, "enrol-refused")
    assert not Application.objects.filter(session=session).exists()
