"""The regulator's work queue (/regulator/): everything waiting for the regulator, with a form
per item that calls the service and shows its refusal; only the regulator may open it."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from certification import services
from certification.models import Application, Certificate, Finding, Objection, Result, ResultCorrection, Session
from certification.services import publicity
from registry.models import Filing, FilingTransition
from registry.services import filing_transition
from tests import factories

from .conftest import TODAY, ready_session

pytestmark = pytest.mark.django_db

QUEUE = "/regulator/"


def login(client, user):
    client.force_login(user)
    return client


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def pending_exceptional(world, name="破格考生", pathway="exceptional") -> Application:
    return services.application_enrol(
        actor=world.admin_a,
        session=world.session,
        name=name,
        document_number=factories.resident_id(),
        pathway=pathway,
        reason="技术革新成果突出",
        evidence="获奖证书",
        on=TODAY,
    )


def open_finding(world, text="考场秩序混乱") -> Finding:
    if not world.session.staff.filter(role="internal_supervisor").exists():
        services.session_staff_assign(
            actor=world.admin_a, session=world.session, assessor=world.internal_supervisor, role="internal_supervisor"
        )
    return services.finding_open(actor=world.internal_supervisor.user, session=world.session, text=text)


def pending_correction(world, session) -> ResultCorrection:
    result = Result.objects.filter(application__session=session, outcome=Result.Outcome.FAILED).first()
    return services.correction_file(actor=world.admin_a, result=result, field="theory", value=75, reason="复核发现漏计")


# --- Who may open it ---


def test_only_the_regulator_opens_the_work_queue(world, client):
    assert client.get(QUEUE).status_code == 302  # to the login page
    assert login(client, world.admin_a).get(QUEUE).status_code == 403
    response = login(client, world.regulator).get(QUEUE)
    assert response.status_code == 200
    assert reverse("regulator-queue") in response.content.decode()  # the nav link


def test_non_regulators_cannot_post_queue_actions(world, client):
    filing = world.a.filings.get()
    response = login(client, world.admin_a).post(
        reverse("regulator-filing-suspend", args=[filing.pk]), {"reason": "自己改自己"}
    )
    assert response.status_code == 403
    filing.refresh_from_db()
    assert filing.state == Filing.State.FILED and not FilingTransition.objects.filter(filing=filing).exists()


def test_the_nav_link_shows_only_for_the_regulator(world, client):
    link = f'href="{reverse("regulator-queue")}"'
    assert link not in login(client, world.admin_a).get(reverse("my-record")).content.decode()
    assert link in login(client, world.regulator).get(reverse("my-record")).content.decode()


# --- 1. Filings ---


def test_filing_shows_institution_scope_window_and_history_and_suspends_with_reason(world, client):
    filing = world.a.filings.get()
    login(client, world.regulator)
    page = client.get(QUEUE).content.decode()
    assert world.a.name in page and world.electrician.name in page and f"filing-{filing.pk}" in page
    response = client.post(reverse("regulator-filing-suspend", args=[filing.pk]), {"reason": "督导发现问题，限期整改"})
    assert response.status_code == 302 and response.url == QUEUE
    filing.refresh_from_db()
    assert filing.state == Filing.State.SUSPENDED
    transition = FilingTransition.objects.get(filing=filing)
    assert (transition.actor, transition.reason) == (world.regulator, "督导发现问题，限期整改")
    assert "督导发现问题，限期整改" in client.get(QUEUE).content.decode()  # the history


def test_each_filing_offers_only_the_moves_its_state_allows(world, client):
    applied = factories.FilingFactory(state=Filing.State.APPLIED)
    filed = world.a.filings.get()
    page = login(client, world.regulator).get(QUEUE).content.decode()
    assert reverse("regulator-filing-accept", args=[applied.pk]) in page
    assert reverse("regulator-filing-revoke", args=[applied.pk]) not in page
    assert reverse("regulator-filing-suspend", args=[filed.pk]) in page
    assert reverse("regulator-filing-revoke", args=[filed.pk]) in page
    assert reverse("regulator-filing-accept", args=[filed.pk]) not in page


def test_filing_action_without_reason_shows_the_service_message_and_changes_nothing(world, client):
    filing = world.a.filings.get()
    response = login(client, world.regulator).post(reverse("regulator-filing-revoke", args=[filing.pk]), {"reason": ""})
    assert response.status_code == 302
    assert flashed(response)  # the service's refusal, flashed
    filing.refresh_from_db()
    assert filing.state == Filing.State.FILED and not FilingTransition.objects.exists()


def test_filing_action_the_state_machine_refuses_shows_why(world, client):
    filing = world.a.filings.get()
    response = login(client, world.regulator).post(
        reverse("regulator-filing-accept", args=[filing.pk]), {"reason": "受理"}
    )
    assert any("备案不能从" in m for m in flashed(response))
    filing.refresh_from_db()
    assert filing.state == Filing.State.FILED


# --- 2. Exceptional and competition applications ---


def test_exceptional_application_is_approved_from_the_queue(world, client):
    application = pending_exceptional(world)
    login(client, world.regulator)
    assert f"application-{application.pk}" in client.get(QUEUE).content.decode()
    client.post(reverse("regulator-application-approve", args=[application.pk]), {"note": "材料属实"})
    application.refresh_from_db()
    assert application.state == Application.State.ENROLLED and application.decided_by == world.regulator
    assert f"application-{application.pk}" not in client.get(QUEUE).content.decode()


def test_exceptional_application_is_rejected_from_the_queue(world, client):
    application = pending_exceptional(world)
    login(client, world.regulator).post(
        reverse("regulator-application-reject", args=[application.pk]), {"note": "业绩材料不足"}
    )
    application.refresh_from_db()
    assert application.state == Application.State.REJECTED


def test_competition_promotions_are_listed_but_direct_recognition_is_the_employers(world, client):
    competition = pending_exceptional(world, "竞赛考生", pathway="competition")
    direct = pending_exceptional(world, "直接认定考生")
    Application.objects.filter(pk=direct.pk).update(pathway="direct")  # as if A were an employer
    page = login(client, world.regulator).get(QUEUE).content.decode()
    assert f"application-{competition.pk}" in page and f"application-{direct.pk}" not in page


def test_rejecting_without_a_note_shows_why_and_changes_nothing(world, client):
    application = pending_exceptional(world, pathway="competition")
    response = login(client, world.regulator).post(
        reverse("regulator-application-reject", args=[application.pk]), {"note": ""}
    )
    assert flashed(response)
    application.refresh_from_db()
    assert application.state == Application.State.PENDING_APPROVAL and application.decided_by is None


def test_deciding_an_already_decided_application_shows_why_and_changes_nothing(world, client):
    application = pending_exceptional(world)
    services.application_decide(actor=world.regulator, application=application, approve=True, note="ok")
    response = login(client, world.regulator).post(
        reverse("regulator-application-reject", args=[application.pk]), {"note": "x"}
    )
    assert any("不在待审批状态" in m for m in flashed(response))
    application.refresh_from_db()
    assert application.state == Application.State.ENROLLED


# --- 3. Corrections ---


def test_pending_correction_is_approved_from_the_queue(world, client):
    correction = pending_correction(world, ready_session(world, n=1, failing=1))
    login(client, world.regulator)
    assert f"correction-{correction.pk}" in client.get(QUEUE).content.decode()
    client.post(reverse("regulator-correction-approve", args=[correction.pk]), {"note": "核实无误"})
    correction.refresh_from_db()
    assert correction.state == ResultCorrection.State.APPROVED
    assert Result.objects.get(pk=correction.result_id).outcome == Result.Outcome.PASSED


def test_rejecting_a_correction_without_a_note_shows_why_and_changes_nothing(world, client):
    correction = pending_correction(world, ready_session(world, n=1, failing=1))
    response = login(client, world.regulator).post(
        reverse("regulator-correction-reject", args=[correction.pk]), {"note": ""}
    )
    assert flashed(response)
    correction.refresh_from_db()
    assert correction.state == ResultCorrection.State.PENDING


# --- 4. Objections ---


def test_open_objection_is_listed_with_a_link_to_its_session(world, client):
    session = ready_session(world, n=1, failing=1)
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=TODAY.replace(year=TODAY.year + 100))
    result = Result.objects.filter(application__session=session).first()
    objection = publicity.objection_file(result=result, reason="成绩与实际不符", contact="13800000000")
    page = login(client, world.regulator).get(QUEUE).content.decode()
    assert f"objection-{objection.pk}" in page
    assert reverse("web-session-detail", args=[session.pk]) in page
    assert Objection.objects.get().state == Objection.State.OPEN


# --- 5. Findings ---


def test_open_finding_is_cleared_from_the_queue_with_a_clearance(world, client):
    finding = open_finding(world)
    login(client, world.regulator)
    assert "考场秩序混乱" in client.get(QUEUE).content.decode()
    client.post(reverse("regulator-finding-clear", args=[finding.pk]), {"clearance": "已整改复查"})
    finding.refresh_from_db()
    assert finding.cleared_by == world.regulator and finding.clearance == "已整改复查"


def test_clearing_a_finding_without_clearance_shows_why_and_changes_nothing(world, client):
    finding = open_finding(world)
    response = login(client, world.regulator).post(reverse("regulator-finding-clear", args=[finding.pk]), {})
    assert any("请填写解除说明" in m for m in flashed(response))
    finding.refresh_from_db()
    assert finding.cleared_at is None


# --- 6. Certificates ---


def test_certificate_is_found_by_a_loosely_typed_number_and_revoked_with_reason(world, client, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    login(client, world.regulator)
    typed = " " + certificate.number.lower() + " "
    page = client.get(QUEUE, {"number": typed}).content.decode()
    assert f"certificate-{certificate.pk}" in page
    client.post(reverse("regulator-certificate-revoke", args=[certificate.pk]), {"reason": "考核舞弊"})
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.revocation_reason == "考核舞弊"


def test_revoking_without_a_reason_shows_why_and_changes_nothing(world, client, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    response = login(client, world.regulator).post(
        reverse("regulator-certificate-revoke", args=[certificate.pk]), {"reason": " "}
    )
    assert any("撤销证书须写明理由" in m for m in flashed(response))
    certificate.refresh_from_db()
    assert not certificate.is_revoked


def test_the_queue_never_redirects_off_site(world, client):
    finding = open_finding(world)
    response = login(client, world.regulator).post(
        reverse("regulator-finding-clear", args=[finding.pk]), {"clearance": "ok", "next": "https://evil.example/"}
    )
    assert response.url == QUEUE


# --- Query count ---


def add_one_of_each(world, session, i):
    """One more item in every section: a filing with a scope and history, a 破格 application,
    a finding, a correction request and an objection."""
    filing = factories.FilingFactory(state=Filing.State.APPLIED)
    factories.ScopeFactory(filing=filing, occupation=world.electrician, levels=[5])
    filing_transition(filing=filing, to_state=Filing.State.ACCEPTED, actor=world.regulator, reason=f"受理{i}")
    pending_exceptional(world, f"破格{i}")
    open_finding(world, f"问题{i}")
    failed = Result.objects.filter(application__session=session, outcome=Result.Outcome.FAILED, corrections=None)
    services.correction_file(actor=world.admin_a, result=failed.first(), field="theory", value=75, reason="漏计")
    passed = Result.objects.filter(application__session=session, outcome=Result.Outcome.PASSED, objections=None)
    publicity.objection_file(result=passed.first(), reason="成绩与实际不符", contact="13800000000")


def test_queue_query_count_does_not_grow_with_the_number_of_items(world, client, django_assert_max_num_queries):
    session = ready_session(world, n=4, failing=4, session=world.plan(name="已提交批次"))
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=TODAY.replace(year=TODAY.year + 100))
    login(client, world.regulator)
    add_one_of_each(world, session, 0)
    client.get(QUEUE)  # warm caches (sessions, roles)
    with django_assert_max_num_queries(40) as few:
        client.get(QUEUE)
    baseline = len(few.captured_queries)
    for i in range(1, 4):
        add_one_of_each(world, session, i)
    with django_assert_max_num_queries(baseline):
        page = client.get(QUEUE).content.decode()
    assert page.count('class="card correction"') == 4 and page.count('class="card objection"') == 4
    assert "受理3" in page


def test_queue_lists_are_paginated_fifty_a_page(world, client):
    for _ in range(51):
        factories.FilingFactory(state=Filing.State.APPLIED)
    login(client, world.regulator)
    first = client.get(QUEUE).content.decode()
    assert first.count('class="card filing"') == 50 and "filings_page=2" in first
    second = client.get(QUEUE, {"filings_page": 2, "number": "X1"}).content.decode()
    assert "number=X1" in second  # the page links keep the search
    assert second.count('class="card filing"') == 3  # 51 applied and the world's two filed: 53
