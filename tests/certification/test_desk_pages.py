"""Issue 11: the institution admin's desk in the browser — 直接认定 decided by an admin other than
the enroller, corrections of locked results requested with a reason and followed to the
regulator's decision, a certificate revoked with a reason after a confirmation page, objections
and reissue reachable. Another institution's objects are not found; bad input is a 4xx."""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certification import services
from certification.models import Application, Certificate, Result, ResultCorrection, Session
from certification.services import publicity
from registry.models import Institution, WorkExperience
from registry.services import person_register
from tests import factories

from .conftest import TODAY, enrol, ready_session

pytestmark = pytest.mark.django_db

DESK = "/institution/desk/"


def login(client, user):
    client.force_login(user)
    return client


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- 直接认定 ---


def direct_application(world, name="直接认定职工") -> Application:
    """A pending 直接认定 at A (made an employer) for one of its own staff, enrolled by admin_a."""
    world.a.kind = Institution.Kind.EMPLOYER
    world.a.save()
    number = factories.resident_id()
    person = person_register(document_type="resident_id", document_number=number, name=name)
    WorkExperience.objects.create(
        person=person,
        occupation=world.electrician,
        started=datetime.date(2015, 1, 1),
        employer_credit_code=world.a.credit_code,
    )
    application = services.application_enrol(
        actor=world.admin_a,
        session=world.session,
        name=name,
        document_number=number,
        pathway="direct",
        reason="绝招绝活",
        evidence="技术革新成果",
        on=TODAY,
    )
    assert application.state == Application.State.PENDING_APPROVAL
    return application


def test_desk_lists_pending_direct_recognition_with_masked_id_and_approves(world, client):
    application = direct_application(world)
    second_admin = factories.member(world.a)
    page = login(client, second_admin).get(DESK).content.decode()
    assert f'id="direct-{application.pk}"' in page and "绝招绝活" in page and "技术革新成果" in page
    assert application.person.document_masked in page and application.person.document_number not in page
    response = client.post(reverse("web-direct-approve", args=[application.pk]), {"note": "本单位职工，属实"})
    assert response.status_code == 302 and response.url == DESK
    application.refresh_from_db()
    assert (application.state, application.decided_by, application.decision_note) == (
        Application.State.ENROLLED,
        second_admin,
        "本单位职工，属实",
    )
    assert Result.objects.filter(application=application).exists()
    assert f'id="direct-{application.pk}"' not in client.get(DESK).content.decode()


def test_the_enroller_cannot_approve_in_the_browser(world, client):
    application = direct_application(world)
    login(client, world.admin_a)
    page = client.get(DESK).content.decode()
    assert "您是报名人" in page and reverse("web-direct-approve", args=[application.pk]) not in page
    response = client.post(reverse("web-direct-approve", args=[application.pk]), {"note": "自批"})
    assert response.status_code == 403 and "报名人不能审批自己提交的申报" in response.content.decode()
    application.refresh_from_db()
    assert (application.state, application.decided_by) == (Application.State.PENDING_APPROVAL, None)


def test_rejecting_needs_a_reason(world, client):
    application = direct_application(world)
    login(client, factories.member(world.a))
    response = client.post(reverse("web-direct-reject", args=[application.pk]), {"note": "  "})
    assert response.status_code == 400 and "不予通过须写明理由" in response.content.decode()
    application.refresh_from_db()
    assert application.state == Application.State.PENDING_APPROVAL
    client.post(reverse("web-direct-reject", args=[application.pk]), {"note": "在职时间不足"})
    application.refresh_from_db()
    assert (application.state, application.decision_note) == (Application.State.REJECTED, "在职时间不足")


def test_deciding_twice_is_a_400_with_the_services_message(world, client):
    application = direct_application(world)
    login(client, factories.member(world.a))
    client.post(reverse("web-direct-approve", args=[application.pk]), {"note": ""})
    response = client.post(reverse("web-direct-reject", args=[application.pk]), {"note": "改主意"})
    assert response.status_code == 400 and "不在待审批状态" in response.content.decode()
    application.refresh_from_db()
    assert application.state == Application.State.ENROLLED


def test_another_institution_cannot_see_or_decide_a_direct_recognition(world, client):
    application = direct_application(world)
    login(client, world.admin_b)
    assert f'id="direct-{application.pk}"' not in client.get(DESK).content.decode()
    assert client.post(reverse("web-direct-approve", args=[application.pk]), {"note": "x"}).status_code == 404
    application.refresh_from_db()
    assert application.state == Application.State.PENDING_APPROVAL


def test_other_pathways_are_not_decided_on_the_desk(world, client):
    """破格 is the regulator's: the desk's URL does not find it."""
    exceptional = services.application_enrol(
        actor=world.admin_a,
        session=world.session,
        name="破格考生",
        document_number=factories.resident_id(),
        pathway="exceptional",
        reason="技术革新",
        evidence="获奖证书",
        on=TODAY,
    )
    response = login(client, factories.member(world.a)).post(reverse("web-direct-approve", args=[exceptional.pk]))
    assert response.status_code == 404
    exceptional.refresh_from_db()
    assert exceptional.state == Application.State.PENDING_APPROVAL


def test_only_institution_admins_open_the_desk(world, client):
    assert client.get(DESK).status_code == 302  # to the login page
    assert login(client, world.regulator).get(DESK).status_code == 403
    assert login(client, world.assessors_a[0].user).get(DESK).status_code == 403


# --- Corrections of locked results ---


def failed(session) -> Result:
    return Result.objects.filter(application__session=session, outcome=Result.Outcome.FAILED).get()


def passed(session) -> Result:
    return Result.objects.filter(application__session=session, outcome=Result.Outcome.PASSED).first()


def correction_form(result: Result, **overrides) -> dict:
    return {"application": str(result.application_id), "field": "theory", "value": "75", "reason": "复核发现漏计"} | (
        overrides
    )


def test_fail_to_pass_request_waits_for_the_regulator_and_its_approval_is_shown(world, client):
    session = ready_session(world, n=1, failing=1)
    result = failed(session)
    login(client, world.admin_a)
    assert (
        reverse("web-correction-new", args=[session.pk])
        in client.get(reverse("web-session-detail", args=[session.pk])).content.decode()
    )
    response = client.post(reverse("web-correction-new", args=[session.pk]), correction_form(result))
    assert response.status_code == 302 and response.url == reverse("web-session-detail", args=[session.pk])
    correction = ResultCorrection.objects.get()
    assert (correction.state, correction.reason, correction.corrected_by) == ("pending", "复核发现漏计", world.admin_a)
    result.refresh_from_db()
    assert result.outcome == Result.Outcome.FAILED  # unchanged until approved
    assert "待监管部门审批" in client.get(DESK).content.decode()
    login(client, world.regulator).post(
        reverse("regulator-correction-approve", args=[correction.pk]), {"note": "核实试卷，确属漏计"}
    )
    page = login(client, world.admin_a).get(DESK).content.decode()
    assert f'id="correction-{correction.pk}"' in page and "已批准生效" in page and "核实试卷，确属漏计" in page
    label = str(ResultCorrection(field=correction.field).field_label)
    assert label != correction.field and f"<td>{label}</td>" in page  # the part by its name, not its column
    result.refresh_from_db()
    assert result.outcome == Result.Outcome.PASSED


def test_a_rejected_request_shows_the_regulators_reason(world, client):
    session = ready_session(world, n=1, failing=1)
    login(client, world.admin_a).post(
        reverse("web-correction-new", args=[session.pk]), correction_form(failed(session))
    )
    correction = ResultCorrection.objects.get()
    login(client, world.regulator).post(
        reverse("regulator-correction-reject", args=[correction.pk]), {"note": "无依据"}
    )
    page = login(client, world.admin_a).get(DESK).content.decode()
    assert "已驳回" in page and "无依据" in page


def test_a_pass_to_fail_correction_applies_at_once(world, client):
    session = ready_session(world, n=1)
    result = passed(session)
    response = login(client, world.admin_a).post(
        reverse("web-correction-new", args=[session.pk]), correction_form(result, value="30", reason="判分错误")
    )
    assert response.status_code == 302
    assert ResultCorrection.objects.get().state == ResultCorrection.State.APPLIED
    result.refresh_from_db()
    assert result.outcome == Result.Outcome.FAILED


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"value": "abc"}, "不是数字"),
        ({"value": "101"}, "0–100"),
        ({"reason": ""}, "必填项"),
        ({"value": "40"}, "新值与原值相同"),
        ({"field": "review"}, "review"),
        ({"value": "pass"}, "分数“pass”不是数字"),
        ({"field": "special_passed", "value": "pass"}, "special_passed"),
        ({"application": "999999"}, "999999"),
    ],
)
def test_bad_correction_input_is_a_400_and_changes_nothing(world, client, overrides, message):
    session = ready_session(world, n=1, failing=1)
    result = failed(session)
    response = login(client, world.admin_a).post(
        reverse("web-correction-new", args=[session.pk]), correction_form(result, **overrides)
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not ResultCorrection.objects.exists()
    result.refresh_from_db()
    assert result.theory == 40


def test_a_large_session_takes_the_application_number(world, client, monkeypatch):
    from certification.views import desk

    monkeypatch.setattr(desk, "SELECT_LIMIT", 0)
    session = ready_session(world, n=1, failing=1)
    result = failed(session)
    url = reverse("web-correction-new", args=[session.pk])
    login(client, world.admin_a)
    page = client.get(url).content.decode()
    assert 'type="number" name="application"' in page and result.application.person.name not in page
    response = client.post(url, correction_form(result, application=str(world.session.pk + 10**6)))
    assert response.status_code == 400 and "本批次没有有成绩的报名号" in response.content.decode()
    other = ready_session(world, n=1, session=world.plan())
    response = client.post(url, correction_form(passed(other)))  # a result of another session
    assert response.status_code == 400 and not ResultCorrection.objects.exists()
    assert client.post(url, correction_form(result)).status_code == 302
    assert ResultCorrection.objects.get().result == result


def test_the_correction_form_lists_the_sessions_results_only(world, client):
    session = ready_session(world, n=1, failing=1)
    other = ready_session(world, n=1, session=world.plan())
    elsewhere = enrol(world, session=world.plan(), name="另批考生")
    login(client, world.admin_a)
    page = client.get(reverse("web-correction-new", args=[session.pk])).content.decode()
    listed = re.findall(r'<option value="(\d+)"', page)
    assert listed == [str(pk) for pk in session.applications.order_by("pk").values_list("pk", flat=True)]
    assert passed(other).application.person.name not in page and elsewhere.person.name not in page


def test_the_correction_form_query_count_does_not_grow_with_candidates(world, client):
    session = ready_session(world, n=2)
    bigger = ready_session(world, n=20, session=world.plan())
    login(client, world.admin_a)
    client.get(reverse("web-correction-new", args=[session.pk]))
    counts = []
    for each in (session, bigger):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("web-correction-new", args=[each.pk])).content.decode()
        counts.append(len(queries))
        assert len(re.findall(r'<option value="\d+"', page)) == each.applications.count()
    assert counts[0] == counts[1]


def test_a_planned_session_says_to_enter_scores_directly(world, client):
    login(client, world.admin_a)
    page = client.get(reverse("web-correction-new", args=[world.session.pk])).content.decode()
    assert "批次尚未提交，请直接录入成绩" in page
    assert (
        reverse("web-correction-new", args=[world.session.pk])
        not in client.get(reverse("web-session-detail", args=[world.session.pk])).content.decode()
    )


def test_another_institution_cannot_request_a_correction(world, client):
    session = ready_session(world, n=1, failing=1)
    login(client, world.admin_b)
    url = reverse("web-correction-new", args=[session.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, correction_form(failed(session))).status_code == 404
    assert not ResultCorrection.objects.exists()
    assert login(client, world.assessors_a[0].user).post(url, correction_form(failed(session))).status_code == 403
    assert not ResultCorrection.objects.exists()


def test_corrections_of_another_institution_are_not_on_the_desk(world, client):
    session = ready_session(world, n=1, failing=1)
    services.correction_file(actor=world.admin_a, result=failed(session), field="theory", value=75, reason="漏计")
    correction = ResultCorrection.objects.get()
    assert f'id="correction-{correction.pk}"' not in login(client, world.admin_b).get(DESK).content.decode()


# --- Objections and reissue reachable from the desk ---


def test_an_open_objection_links_to_its_answer_form(world, client):
    session = ready_session(world, n=1, failing=1)
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=TODAY.replace(year=TODAY.year + 100))
    objection = publicity.objection_file(result=failed(session), reason="成绩与实际不符", contact="13800000000")
    page = login(client, world.admin_a).get(DESK).content.decode()
    link = reverse("web-session-detail", args=[session.pk]) + f"#objection-{objection.pk}"
    assert link in page
    assert reverse("web-objection-answer", args=[objection.pk]) in client.get(link).content.decode()
    assert link not in login(client, world.admin_b).get(DESK).content.decode()


def test_batches_are_linked_for_reissue(world, client, run):
    batch = run([ready_session(world, n=1)])
    page = login(client, world.admin_a).get(DESK).content.decode()
    assert reverse("web-batch-detail", args=[batch.pk]) + "#reissue" in page
    assert reverse("web-batch-detail", args=[batch.pk]) not in login(client, world.admin_b).get(DESK).content.decode()


# --- Revocation ---


def test_revoke_after_a_confirmation_with_a_reason(world, client, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    login(client, world.admin_a)
    response = client.get(reverse("web-certificate-find"), {"number": " " + certificate.number.lower()})
    url = reverse("web-certificate-revoke", args=[certificate.pk])
    assert response.status_code == 302 and response.url == url
    page = client.get(url).content.decode()
    assert certificate.number in page and "不能恢复" in page and certificate.person.document_masked in page
    assert certificate.person.document_number not in page
    assert reverse("web-batch-detail", args=[certificate.batch_id]) + "#reissue" in page
    response = client.post(url, {"reason": "考核舞弊，经查属实"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.revoked_by == world.admin_a
    assert certificate.revocation_reason == "考核舞弊，经查属实"
    page = client.get(url).content.decode()
    assert "已撤销" in page and "revoke-form" not in page


def test_revoking_without_a_reason_is_a_400_and_changes_nothing(world, client, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    response = login(client, world.admin_a).post(
        reverse("web-certificate-revoke", args=[certificate.pk]), {"reason": "  "}
    )
    assert response.status_code == 400 and "撤销证书须写明理由" in response.content.decode()
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_revoking_twice_is_a_400(world, client, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    login(client, world.admin_a)
    client.post(reverse("web-certificate-revoke", args=[certificate.pk]), {"reason": "舞弊"})
    response = client.post(reverse("web-certificate-revoke", args=[certificate.pk]), {"reason": "再次"})
    assert response.status_code == 400 and "证书已于" in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.revocation_reason == "舞弊"


def test_another_institutions_certificate_is_not_found(world, client, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    login(client, world.admin_b)
    url = reverse("web-certificate-revoke", args=[certificate.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "越权"}).status_code == 404
    response = client.get(reverse("web-certificate-find"), {"number": certificate.number})
    assert response.status_code == 404 and "本机构没有编号为" in response.content.decode()
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_finding_with_no_number_is_a_400(world, client):
    response = login(client, world.admin_a).get(reverse("web-certificate-find"), {"number": " "})
    assert response.status_code == 400 and "请输入证书编号" in response.content.decode()


def test_desk_in_english(world, client):
    client.cookies["django_language"] = "en"
    page = login(client, world.admin_a).get(DESK).content.decode()
    assert "机构待办" not in page and "直接认定待审批" not in page


def test_the_desk_costs_a_constant_number_of_queries(world, client):
    session = ready_session(world, n=1, failing=4)
    failures = list(Result.objects.filter(application__session=session, outcome=Result.Outcome.FAILED))
    login(client, world.admin_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DESK).status_code == 200
        return len(captured)

    services.correction_file(actor=world.admin_a, result=failures[0], field="theory", value=75, reason="漏计")
    one = queries()
    for result in failures[1:]:
        services.correction_file(actor=world.admin_a, result=result, field="theory", value=75, reason="漏计")
    assert queries() == one


def test_desk_shows_the_institution_its_findings_with_deadline_and_never_another_institutions(world, client):
    """An institution learns of the findings on it and on its sessions, with their deadline, on its
    desk; a finding on institution B never shows on A's desk."""
    from certification.models import Finding

    today = timezone.localdate()
    mine = Finding.objects.create(
        institution=world.a, text="档案不全", severity="major", deadline=today - datetime.timedelta(days=1)
    )
    theirs = Finding.objects.create(institution=world.b, text="他机构的问题", severity="severe")
    client.force_login(world.admin_a)
    page = client.get(DESK).content.decode()
    assert f'id="finding-{mine.pk}"' in page and "档案不全" in page and "已逾期" in page
    assert f'id="finding-{theirs.pk}"' not in page and "他机构的问题" not in page


def test_desk_lists_are_paged_not_cut_off(world, client):
    """Every desk list is paged (nothing beyond a limit silently dropped): 51 findings are 50 on
    the first page and the 51st on the second, whose link keeps the anchor."""
    from certification.models import Finding

    Finding.objects.bulk_create(
        Finding(institution=world.a, text=f"问题 {i:02d}", severity="minor", deadline=TODAY) for i in range(51)
    )
    client.force_login(world.admin_a)
    first = client.get(DESK).content.decode()
    rows = re.compile(r'<tr id="finding-\d+"')
    assert len(rows.findall(first)) == 50 and "?findings_page=2#findings" in first
    second = client.get(DESK, {"findings_page": 2}).content.decode()
    assert len(rows.findall(second)) == 1
