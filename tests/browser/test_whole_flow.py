"""Issue 11, done means: the whole procedure in the browser, at desktop and phone sizes, with a
screenshot of every page visited (artifacts/screenshots/<size>/flow-*.png):

institution plans a session → imports a roster (XLSX) → staffs it → an assessor scores → submit →
publicity, where the public files an objection → the regulator resolves it → issue, with the
batch's progress bar seen part-way and then full → the worker activates an account and sees the
certificate → reissue → the regulator revokes it.

The calendar is the only thing moved by hand: planning refuses past days, scoring waits for the
session's first day and the publicity period for its working days, so the test dates the session
back (and later ends its publicity) in the database, as the other browser tests do.
"""

import datetime
import threading

import pytest
from django.utils import timezone
from openpyxl import Workbook
from playwright.sync_api import expect

from certification.models import Application, Certificate, IssuanceBatch, Objection, Session
from certification.services import issuance
from registry.identity import compose_resident_id

from .conftest import SIZES

pytestmark = pytest.mark.django_db(transaction=True)

CANDIDATES = [("流程甲", 1), ("流程乙", 2), ("流程丙", 3)]


def number_of(index: int) -> str:
    return compose_resident_id("310115", datetime.date(1996, 5, index), 500 + index)


@pytest.fixture
def gated_issuance(settings, monkeypatch):
    """Issuance as in the demo (a background thread, one result per chunk), held before its second
    chunk until the test has seen the bar part-way: the bar's movement is observed, not timed."""
    settings.ISSUANCE_IN_THREAD = True
    settings.ISSUANCE_CHUNK_SIZE = 1
    gate, calls = threading.Event(), []

    def pace():
        calls.append(1)
        if len(calls) == 2:
            gate.wait(60)

    monkeypatch.setattr(issuance, "_pace", pace)
    yield gate
    gate.set()
    for thread in issuance.BACKGROUND.values():
        thread.join(60)
    issuance.BACKGROUND.clear()


def roster_xlsx(path) -> str:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "证件号码", "本职业工作起始日期"])
    for name, index in CANDIDATES:
        sheet.append([name, number_of(index), "2020-01-01"])
    workbook.save(path)
    return str(path)


def test_the_whole_procedure_in_the_browser(
    demo, live_server, sign_in, new_page, shot, size, tmp_path, gated_issuance, settings
):
    url = live_server.url
    settings.PUBLIC_BASE_URL = url  # as make demo does from PORT: links point at the running address
    admin = sign_in("baosteel_admin", **SIZES[size])
    shot(admin, "flow-01-institution-start")

    # 1. Plan: an electrician 五级 session in two weeks, chosen from the filed scope.
    before = set(Session.objects.values_list("pk", flat=True))
    admin.click("#plan-session")
    value = admin.eval_on_selector_all(
        "#id_scope option",
        "options => options.find(o => o.textContent.includes('电工') && o.textContent.includes('五级')).value",
    )
    admin.select_option("#id_scope", value)
    day = (timezone.localdate() + datetime.timedelta(days=14)).isoformat()
    admin.fill("#id_starts_on", day)
    admin.fill("#id_ends_on", day)
    admin.fill("#id_site", "宝山区 实训中心 C 楼")
    shot(admin, "flow-02-plan")
    admin.click("#plan-form button[type=submit]")
    expect(admin.locator("#session-state")).to_contain_text("计划")
    (session,) = Session.objects.exclude(pk__in=before)
    session_url = f"{url}/institution/sessions/{session.pk}/"

    # 2. Import the roster from a spreadsheet.
    admin.set_input_files("#roster-file", roster_xlsx(tmp_path / "roster.xlsx"))
    admin.click("#roster-upload")
    for name, _index in CANDIDATES:
        expect(admin.locator("#roster")).to_contain_text(name)
    assert Application.objects.filter(session=session).count() == 3
    shot(admin, "flow-03-roster-imported")

    # 3. Staff it: three assessors and two invigilators, the shortfalls shown until it is staffed.
    expect(admin.locator("#staff-shortfalls")).to_be_visible()
    for name, role in [("张伟", "assessor"), ("王芳", "assessor"), ("李强", "assessor"), ("刘洋", "invigilator")]:
        admin.select_option(
            "#staff-assessor", label=admin.locator("#staff-assessor option", has_text=name).first.text_content()
        )
        admin.select_option("#staff-role", role)
        admin.click("#staff-form button[type=submit]")
        expect(admin.locator("#staff")).to_contain_text(name)
    admin.select_option(
        "#staff-assessor", label=admin.locator("#staff-assessor option", has_text="张伟").first.text_content()
    )
    admin.select_option("#staff-role", "invigilator")
    admin.click("#staff-form button[type=submit]")
    expect(admin.locator("#staff-shortfalls")).to_contain_text("已满足")
    shot(admin, "flow-04-staffed")

    # The session is held (see the module docstring).
    held = timezone.localdate() - datetime.timedelta(days=3)
    Session.objects.filter(pk=session.pk).update(starts_on=held, ends_on=held)

    # 4. An assessor scores (on a phone in the phone run).
    assessor = sign_in("baosteel_assessor_0", **SIZES[size])
    shot(assessor, "flow-05-assessor-start")
    assessor.goto(f"{session_url}scores/")
    applications = list(Application.objects.filter(session=session).order_by("pk"))
    for i, application in enumerate(applications):
        assessor.fill(f"input[name=theory-{application.pk}]", str(80 + i))
        assessor.fill(f"input[name=practical-{application.pk}]", str(85 - i))
    if size == "phone":
        assert assessor.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(assessor, "flow-06-score-grid")
    assessor.click("#save-scores")
    expect(assessor.locator(".messages")).to_contain_text("成绩已保存")
    shot(assessor, "flow-07-scores-saved")

    # 5. Submit, after a confirmation that says what locks.
    admin.goto(session_url)
    admin.click("#submit-session")
    expect(admin.locator("#submit-confirm")).to_contain_text("成绩锁定")
    shot(admin, "flow-08-submit-confirm")
    admin.click("#confirm-submit")
    expect(admin.locator("#session-state")).to_contain_text("已提交发证")
    shot(admin, "flow-09-submitted")

    # 6. Publicity: a member of the public files an objection.
    public = new_page(**SIZES[size])
    public.goto(f"{url}/publicity/")
    shot(public, "flow-10-publicity-list")
    public.click(f"#publicity-sessions a[href='/publicity/{session.pk}/']")
    expect(public.locator("#publicity-results")).to_contain_text("流")
    first = applications[0]
    public.select_option("#id_result", str(first.result.pk))
    public.fill("#id_reason", "考核当天我在场，该考生的实操作品不是本人完成的。")
    public.fill("#id_contact", "13800000000")
    shot(public, "flow-11-objection-form")
    public.click("#objection-form button[type=submit]")
    expect(public.locator(".messages")).to_be_visible()
    shot(public, "flow-12-objection-filed")
    objection = Objection.objects.get(result__application__session=session)
    assert objection.state == Objection.State.OPEN

    # 7. The regulator finds it in the work queue and resolves it (dismissed: the hold lifts).
    regulator = sign_in("regulator", **SIZES[size])
    regulator.goto(f"{url}/regulator/")
    expect(regulator.locator(f"#objection-{objection.pk}")).to_be_visible()
    shot(regulator, "flow-13-regulator-queue")
    regulator.locator(f"#objection-{objection.pk} a.button").click()  # to the session page
    regulator.fill(f"#resolution-{objection.pk}", "经核查考场记录，作品为考生本人完成，异议不成立。")
    shot(regulator, "flow-14-objection-resolve")
    regulator.locator(f"#objection-{objection.pk} button[type=submit]").click()
    expect(regulator.locator(f"#objection-{objection.pk}")).to_contain_text("异议不成立")
    shot(regulator, "flow-15-objection-resolved")

    # 8. Issue: the publicity period is over; the bar is seen at 1 of 3, then full.
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=timezone.localdate() - datetime.timedelta(days=1))
    admin.goto(session_url)
    admin.click("#issue-session")
    bar = admin.locator("#batch-bar")
    expect(bar).to_have_attribute("value", "1")
    expect(admin.locator("#batch-issued")).to_have_text("1")
    expect(admin.locator("#batch-state")).not_to_have_attribute("data-state", "done")
    shot(admin, "flow-16-batch-moving")
    gated_issuance.set()
    expect(admin.locator("#batch-state")).to_have_attribute("data-state", "done", timeout=30000)
    expect(bar).to_have_attribute("value", "3")
    expect(bar).to_have_attribute("max", "3")
    shot(admin, "flow-17-batch-done")
    batch = IssuanceBatch.objects.get(sessions=session)
    certificate = Certificate.objects.get(batch=batch, person=first.person)

    # 9. The worker: the admin hands an activation code; the worker opens an account and sees the certificate.
    admin.goto(session_url)
    admin.locator("#roster tr", has_text=CANDIDATES[0][0]).get_by_role("button", name="签发激活码").click()
    code = admin.locator("#activation-code").text_content().strip()
    shot(admin, "flow-18-activation-code")
    worker = new_page(**SIZES[size])
    worker.goto(f"{url}/accounts/activate/")
    worker.fill("#id_name", CANDIDATES[0][0])
    worker.fill("#id_document_number", number_of(CANDIDATES[0][1]))
    worker.fill("#id_activation_code", code)
    worker.fill("#id_username", "liucheng_jia")
    worker.fill("#id_password", "a-long-Password-2026")
    shot(worker, "flow-19-activate")
    worker.click("form button[type=submit]")
    worker.goto(f"{url}/me/")
    card = worker.locator(f"section.certificate[data-number='{certificate.number}']")
    expect(card).to_be_visible()
    assert number_of(CANDIDATES[0][1]) not in worker.content()  # the holder sees the partial form
    assert card.locator("input.share").input_value().startswith(f"{url}/v/")
    shot(worker, "flow-20-my-record")

    # 10. Reissue (补发) from the batch page: same number, the date and reason recorded.
    admin.goto(f"{url}/institution/batches/{batch.pk}/")
    admin.fill("#id_reissue_number", certificate.number)
    admin.fill("#id_reissue_reason", "证书遗失，本人申请补发。")
    admin.click("#reissue button[type=submit]")
    expect(admin.locator(".messages")).to_be_visible()
    shot(admin, "flow-21-reissued")
    certificate.refresh_from_db()
    assert certificate.reissues.count() == 1
    worker.reload()
    shot(worker, "flow-22-my-record-after-reissue")

    # 11. Revoke with a reason, by the regulator from the work queue: the worker's record and the
    #     QR verification page then say so. The institution admin's own revocation (the desk's
    #     confirmation page with a required reason) is driven in test_institution_desk_page.py.
    regulator.goto(f"{url}/regulator/")
    regulator.fill("#number", certificate.number)
    regulator.click("#certificates + form button[type=submit]")
    card = regulator.locator(f"#certificate-{certificate.pk}")
    expect(card).to_contain_text(certificate.number)
    regulator.fill("#revoke-reason", "经查实，考核作品系他人代做，撤销证书。")
    shot(regulator, "flow-23-revoke")
    card.get_by_role("button", name="撤销证书").click()
    expect(regulator.locator(f"#certificate-{certificate.pk}")).to_contain_text("已撤销")
    shot(regulator, "flow-24-revoked")
    certificate.refresh_from_db()
    assert certificate.is_revoked
    worker.reload()
    expect(worker.locator(f"section.certificate[data-number='{certificate.number}']")).to_contain_text("已撤销")
    shot(worker, "flow-25-my-record-revoked")
    public.goto(f"{url}/v/{certificate.verification_code}")
    expect(public.locator("#revocation")).to_be_visible()
    shot(public, "flow-26-verify-revoked")
