"""Corrections after submission (issue 9): a corrected result always reaches a certificate or a
later batch, a changed outcome is publicised again, and fail → pass needs the regulator."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from certification import services
from certification.models import BatchFailure, Certificate, IssuanceBatch, Result, ResultCorrection, Session
from certification.services import issuance
from certification.services.sessions import add_working_days
from registry.errors import DomainError, Forbidden
from registry.models import Role
from tests import factories

from .conftest import ISSUE_DAY, ready_session

pytestmark = pytest.mark.django_db


def failed_result(session) -> Result:
    return Result.objects.filter(application__session=session, outcome=Result.Outcome.FAILED).first()


def run_chunks(batch):
    for chunk in batch.chunks.order_by("index"):
        issuance.chunk_issue(chunk_id=chunk.pk)


def republicised_until() -> datetime.date:
    return add_working_days(timezone.localdate(), settings.PUBLICITY_WORKING_DAYS)


def approve_fail_to_pass(world, result) -> Result:
    correction = services.correction_file(
        actor=world.admin_a, result=result, field="theory", value=75, reason="复核发现漏计"
    )
    services.correction_approve(actor=world.regulator, correction=correction, note="核实")
    return Result.objects.get(pk=result.pk)


def publicity_over(result):
    Result.objects.filter(pk=result.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))


# 1. Stranded result


def test_correction_refused_while_a_batch_of_its_session_is_queued(world):
    """The issue's scenario: a fail corrected to a pass while the batch is queued would be in no
    chunk, and the session then marked issued. It is refused, saying why; nothing changes."""
    session = ready_session(world, n=2, failing=1)
    result = failed_result(session)
    batch = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    for actor in (world.admin_a, world.regulator):
        with pytest.raises(DomainError) as caught:
            services.result_correct(actor=actor, result=result, field="theory", value=75, reason="复核")
        assert f"发证批次 #{batch.pk} 正在处理，请待其完成后再更正" in str(caught.value)
    assert not ResultCorrection.objects.exists()
    assert Result.objects.get(pk=result.pk).outcome == Result.Outcome.FAILED
    run_chunks(batch)
    assert Certificate.objects.count() == 2


def test_correction_request_cannot_be_approved_while_a_batch_is_running(world):
    session = ready_session(world, n=2, failing=1)
    result = failed_result(session)
    correction = services.correction_file(actor=world.admin_a, result=result, field="theory", value=75, reason="复核")
    batch = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    with pytest.raises(DomainError) as caught:
        services.correction_approve(actor=world.regulator, correction=correction)
    assert f"发证批次 #{batch.pk} 正在处理" in str(caught.value)
    correction.refresh_from_db()
    assert correction.state == ResultCorrection.State.PENDING
    assert Result.objects.get(pk=result.pk).outcome == Result.Outcome.FAILED


def test_session_with_an_uncertified_passed_result_is_not_marked_issued(world):
    """Whatever way a passed result misses the batch's chunks (here: its outcome changed under
    the queued batch), the session stays submitted and a follow-up batch certifies it."""
    session = ready_session(world, n=2, failing=1)
    result = failed_result(session)
    batch = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    Result.objects.filter(pk=result.pk).update(theory=75, outcome=Result.Outcome.PASSED)
    run_chunks(batch)
    session.refresh_from_db()
    batch.refresh_from_db()
    assert batch.state == IssuanceBatch.State.DONE
    assert (session.state, session.batch_id) == (Session.State.SUBMITTED, None)
    follow_up = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    run_chunks(follow_up)
    session.refresh_from_db()
    assert session.state == Session.State.ISSUED
    assert Certificate.objects.get(result=result).batch == follow_up
    assert Certificate.objects.count() == 3


# 2. Re-publicity and the second person


def test_fail_to_pass_correction_is_a_request_until_the_regulator_approves(world):
    session = ready_session(world, n=2, failing=1)
    result = failed_result(session)
    correction = services.correction_file(
        actor=world.admin_a, result=result, field="theory", value=75, reason="复核发现漏计"
    )
    assert correction.state == ResultCorrection.State.PENDING
    assert (correction.old_value, correction.new_value) == ("40.0", "75.0")
    unchanged = Result.objects.get(pk=result.pk)
    assert (unchanged.theory, unchanged.outcome, unchanged.publicity_ends_on) == (40, "failed", None)
    with pytest.raises(Forbidden):
        services.correction_approve(actor=world.admin_a, correction=correction)
    with pytest.raises(DomainError):  # one request at a time
        services.correction_file(actor=world.admin_a, result=result, field="theory", value=80, reason="再复核")
    services.correction_approve(actor=world.regulator, correction=correction, note="核实无误")
    correction.refresh_from_db()
    assert (correction.state, correction.decided_by, correction.decision_note) == (
        "approved",
        world.regulator,
        "核实无误",
    )
    assert correction.decided_at is not None
    result.refresh_from_db()
    assert (result.theory, result.outcome) == (75, Result.Outcome.PASSED)
    assert result.publicity_ends_on == republicised_until()
    with pytest.raises(DomainError):
        services.correction_approve(actor=world.regulator, correction=correction)


def test_the_requester_cannot_approve_their_own_correction(world):
    session = ready_session(world, n=1, failing=1)
    result = failed_result(session)
    correction = services.correction_file(actor=world.regulator, result=result, field="theory", value=75, reason="复核")
    with pytest.raises(Forbidden):
        services.correction_approve(actor=world.regulator, correction=correction)
    second = factories.member(world.regulator.memberships.first().institution, Role.REGULATOR)
    services.correction_approve(actor=second, correction=correction)
    assert Result.objects.get(pk=result.pk).outcome == Result.Outcome.PASSED


def test_a_rejected_request_leaves_the_result_as_it_was(world):
    session = ready_session(world, n=1, failing=1)
    result = failed_result(session)
    correction = services.correction_file(actor=world.admin_a, result=result, field="theory", value=75, reason="复核")
    with pytest.raises(DomainError):
        services.correction_reject(actor=world.regulator, correction=correction, note="")
    services.correction_reject(actor=world.regulator, correction=correction, note="原始答卷无误")
    correction.refresh_from_db()
    assert (correction.state, correction.decided_by) == ("rejected", world.regulator)
    unchanged = Result.objects.get(pk=result.pk)
    assert (unchanged.theory, unchanged.outcome, unchanged.publicity_ends_on) == (40, "failed", None)


def test_pass_to_fail_correction_applies_at_once_and_is_publicised_again(world):
    session = ready_session(world, n=2)
    result = Result.objects.filter(application__session=session).first()
    correction = services.correction_file(actor=world.admin_a, result=result, field="theory", value=50, reason="误录")
    assert correction.state == ResultCorrection.State.APPLIED
    result.refresh_from_db()
    assert (result.outcome, result.publicity_ends_on) == (Result.Outcome.FAILED, republicised_until())


def test_correction_that_keeps_the_outcome_is_not_publicised_again(world):
    session = ready_session(world, n=2)
    result = Result.objects.filter(application__session=session).first()
    services.result_correct(actor=world.admin_a, result=result, field="theory", value=85, reason="误录")
    result.refresh_from_db()
    assert (result.theory, result.outcome, result.publicity_ends_on) == (85, Result.Outcome.PASSED, None)


def test_a_corrected_result_waits_for_its_own_publicity_before_issuance(world):
    """The issue's hole: a correction after publicity was certified at once, unpublicised."""
    session = ready_session(world, n=2, failing=1)
    result = approve_fail_to_pass(world, failed_result(session))
    batch = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    run_chunks(batch)
    assert not Certificate.objects.filter(result=result).exists()
    assert Certificate.objects.count() == 2  # the rest of the session is issued
    failure = BatchFailure.objects.get(batch=batch)
    assert failure.result_id == result.pk and "重新公示" in failure.reason
    session.refresh_from_db()
    assert (session.state, session.batch_id) == (Session.State.SUBMITTED, None)
    publicity_over(result)
    follow_up = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    run_chunks(follow_up)
    session.refresh_from_db()
    assert session.state == Session.State.ISSUED
    assert Certificate.objects.get(result=result).batch == follow_up


# API


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_correction_requests_through_the_api(world):
    session = ready_session(world, n=1, failing=1)
    result = failed_result(session)
    admin = client_for(world.admin_a)
    response = admin.post(
        f"/api/results/{result.pk}/correct/", {"field": "theory", "value": 75, "reason": "复核"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "failed"
    assert response.json()["corrections"][0]["state"] == "pending"
    correction_id = response.json()["corrections"][0]["id"]
    listed = admin.get("/api/corrections/", {"state": "pending"}).json()
    assert [c["id"] for c in listed["results"]] == [correction_id]
    assert client_for(world.admin_b).get("/api/corrections/").json()["results"] == []
    assert client_for(world.admin_b).post(f"/api/corrections/{correction_id}/approve/").status_code == 404
    assert admin.post(f"/api/corrections/{correction_id}/approve/").status_code == 403
    assert Result.objects.get(pk=result.pk).outcome == "failed"
    regulator = client_for(world.regulator)
    response = regulator.post(f"/api/corrections/{correction_id}/approve/", {"note": "同意"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["decided_by"]) == ("approved", world.regulator.username)
    assert Result.objects.get(pk=result.pk).outcome == "passed"
    again = regulator.post(f"/api/corrections/{correction_id}/reject/", {"note": "x"}, format="json")
    assert again.status_code == 400


def test_rejecting_a_request_through_the_api_needs_a_note(world):
    session = ready_session(world, n=1, failing=1)
    correction = services.correction_file(
        actor=world.admin_a, result=failed_result(session), field="theory", value=75, reason="复核"
    )
    regulator = client_for(world.regulator)
    response = regulator.post(f"/api/corrections/{correction.pk}/reject/", {}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = regulator.post(f"/api/corrections/{correction.pk}/reject/", {"note": "无依据"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "rejected"


def test_corrections_list_query_count_does_not_grow(world, django_assert_max_num_queries):
    session = ready_session(world, n=1, failing=3)
    for result in Result.objects.filter(application__session=session, outcome="failed"):
        services.correction_file(actor=world.admin_a, result=result, field="theory", value=75, reason="复核")
    with django_assert_max_num_queries(8):
        response = client_for(world.regulator).get("/api/corrections/")
    assert response.json()["count"] == 3


def test_a_pending_request_keeps_its_session_open_until_decided(world):
    """A fail → pass request still waiting when the batch runs: the session is not marked
    issued (the approval would then be refused and the request stranded)."""
    session = ready_session(world, n=1, failing=1)
    result = failed_result(session)
    correction = services.correction_file(actor=world.admin_a, result=result, field="theory", value=75, reason="复核")
    run_chunks(issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY))
    session.refresh_from_db()
    assert (session.state, session.batch_id) == (Session.State.SUBMITTED, None)
    assert Certificate.objects.count() == 1
    services.correction_approve(actor=world.regulator, correction=correction)
    result.refresh_from_db()
    assert result.outcome == Result.Outcome.PASSED
    publicity_over(result)
    run_chunks(issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY))
    session.refresh_from_db()
    assert session.state == Session.State.ISSUED and Certificate.objects.filter(result=result).exists()


def test_a_rejected_request_lets_the_session_be_issued(world):
    session = ready_session(world, n=1, failing=1)
    correction = services.correction_file(
        actor=world.admin_a, result=failed_result(session), field="theory", value=75, reason="复核"
    )
    run_chunks(issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY))
    services.correction_reject(actor=world.regulator, correction=correction, note="无依据")
    issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    session.refresh_from_db()
    assert session.state == Session.State.ISSUED and Certificate.objects.count() == 1
