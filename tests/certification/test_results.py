from decimal import Decimal

import pytest
from django.utils import timezone

from certification import services
from certification.models import Result, ResultCorrection
from registry.errors import DomainError, Forbidden
from registry.levels import Level
from tests import factories

from .conftest import TODAY, ahead, enrol, held_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoring(world):
    world.staff(world.session)
    return world, enrol(world), world.assessors_a[0].user


def record(user, application, **scores):
    return services.result_record(actor=user, application=application, **scores)


@pytest.mark.parametrize(
    ("theory", "practical", "outcome"),
    [
        (60, 60, "passed"),
        (59.9, 90, "failed"),
        (90, 59.9, "failed"),
        (100, 0, "failed"),
        (None, 70, "pending"),
        (50, None, "failed"),
    ],
)
def test_outcome_is_computed_from_every_required_part(scoring, theory, practical, outcome):
    world, application, assessor = scoring
    result = record(assessor, application, theory=theory, practical=practical)
    assert result.outcome == outcome


def test_review_part_required_for_grade_2(world):
    session = world.plan(level=Level.GRADE_2)
    world.staff(session)
    reviewer = world.assessors_a[3]
    services.session_staff_assign(actor=world.admin_a, session=session, assessor=reviewer, role="reviewer")
    application = services.application_enrol(
        actor=world.admin_a,
        session=session,
        name="技师",
        document_number=factories.resident_id(),
        pathway="exceptional",
        reason="绝招绝活",
        evidence="视频",
        on=TODAY,
    )
    services.application_decide(actor=world.regulator, application=application, approve=True, note="ok")
    result = record(world.assessors_a[0].user, application, theory=80, practical=80)
    assert result.outcome == Result.Outcome.PENDING
    with pytest.raises(Forbidden):
        record(world.assessors_a[0].user, application, review=80)  # assessors do not sit on the review panel
    result = record(reviewer.user, application, review=60)
    assert result.outcome == Result.Outcome.PASSED


def test_review_score_refused_below_grade_2(scoring):
    world, application, assessor = scoring
    services.session_staff_assign(
        actor=world.admin_a, session=world.session, assessor=world.assessors_a[4], role="reviewer"
    )
    with pytest.raises(DomainError) as caught:
        record(world.assessors_a[4].user, application, review=80)
    assert "综合评审" in str(caught.value)


@pytest.mark.parametrize("bad", [-1, 100.5, "abc", "85.55", "NaN"])
def test_scores_outside_0_to_100_are_refused_and_nothing_changes(scoring, bad):
    world, application, assessor = scoring
    record(assessor, application, theory=70)
    with pytest.raises(DomainError):
        record(assessor, application, theory=bad)
    assert Result.objects.get(application=application).theory == Decimal("70.0")


def test_database_refuses_a_score_out_of_range(scoring):
    from django.db import IntegrityError, transaction

    world, application, assessor = scoring
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.filter(application=application).update(theory=101)


def test_unassigned_assessor_cannot_score(scoring):
    world, application, _ = scoring
    with pytest.raises(Forbidden):
        record(world.assessors_a[4].user, application, theory=80)
    with pytest.raises(Forbidden):
        record(world.assessor_b.user, application, theory=80)
    with pytest.raises(Forbidden):
        record(world.admin_a, application, theory=80)
    assert Result.objects.get(application=application).theory is None


def test_invigilator_cannot_score(scoring):
    world, application, _ = scoring
    with pytest.raises(Forbidden):
        record(world.invigilators_a[0].user, application, theory=80)


def test_recusal_at_scoring_for_a_relation_enrolled_after_assignment(scoring):
    from assessors.models import Relation

    world, application, assessor = scoring
    Relation.objects.create(assessor=world.assessors_a[0], person=application.person, kind="student")
    with pytest.raises(Forbidden):
        record(assessor, application, theory=99)
    record(world.assessors_a[1].user, application, theory=70)


def test_results_locked_after_submission_and_corrected_with_audit(scoring):
    world, application, assessor = scoring
    record(assessor, application, theory=55, practical=80)
    for i in range(2):
        record(assessor, enrol(world, name=f"另{i}"), theory=80, practical=80)
    services.session_submit(actor=world.admin_a, session=world.session)
    with pytest.raises(DomainError) as caught:
        record(assessor, application, theory=65)
    assert "锁定" in str(caught.value)
    result = Result.objects.get(application=application)
    with pytest.raises(DomainError):
        services.result_correct(actor=world.admin_a, result=result, field="theory", value=65, reason="")
    with pytest.raises(Forbidden):
        services.result_correct(actor=world.admin_b, result=result, field="theory", value=65, reason="复核")
    with pytest.raises(Forbidden):
        services.result_correct(actor=assessor, result=result, field="theory", value=65, reason="复核")
    result = services.result_correct(
        actor=world.admin_a, result=result, field="theory", value=65, reason="复核发现漏计一题"
    )
    # Fail → pass is a request until the regulator approves it (tests/certification/test_corrections.py).
    assert result.outcome == Result.Outcome.FAILED
    correction = ResultCorrection.objects.get()
    assert (correction.old_value, correction.new_value, correction.corrected_by) == ("55.0", "65.0", world.admin_a)
    assert correction.reason == "复核发现漏计一题"
    services.correction_approve(actor=world.regulator, correction=correction)
    assert Result.objects.get(pk=result.pk).outcome == Result.Outcome.PASSED


def test_correction_before_submission_is_refused(scoring):
    world, application, assessor = scoring
    result = record(assessor, application, theory=55)
    with pytest.raises(DomainError):
        services.result_correct(actor=world.admin_a, result=result, field="theory", value=65, reason="x")


def test_special_ability_is_pass_fail(world):
    session = world.plan_special()
    world.staff(session)
    application = enrol(world, session=session)
    assessor = world.assessors_a[0].user
    with pytest.raises(DomainError):
        record(assessor, application, practical=80)
    assert record(assessor, application, special_passed=True).outcome == Result.Outcome.PASSED
    assert record(assessor, application, special_passed=False).outcome == Result.Outcome.FAILED


def test_scores_only_from_the_sessions_first_day(world):
    session = services.session_plan(
        actor=world.admin_a,
        institution=world.a,
        evaluation_type="skill_level",
        occupation=world.electrician,
        level=Level.GRADE_5,
        starts_on=ahead(),
        ends_on=ahead(),
        site="x",
    )
    world.staff(session)
    application = enrol(world, session=session)
    with pytest.raises(DomainError) as caught:
        record(world.assessors_a[0].user, application, theory=80, practical=80)
    assert str(ahead()) in caught.value.message_dict["session"][0]
    result = Result.objects.get(application=application)
    assert (result.theory, result.practical, result.outcome, result.recorded_by) == (None, None, "pending", None)
    # From the first day on, the same call records.
    held_on(session, starts_on=timezone.localdate(), ends_on=ahead())
    assert record(world.assessors_a[0].user, application, theory=80, practical=80).outcome == "passed"
