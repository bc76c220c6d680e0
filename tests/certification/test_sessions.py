import datetime

import pytest
from django.utils import timezone

from certification import services
from certification.models import Session, SessionStaff
from registry.errors import DomainError, Forbidden
from registry.levels import EvaluationType, Level
from registry.models import CalendarYear, Filing, Specialty
from registry.services import filing_transition
from tests import factories

from .conftest import TODAY, ahead, enrol

pytestmark = pytest.mark.django_db


def test_session_planned_inside_the_filed_scope(world):
    assert world.session.scope.filing.institution == world.a
    assert world.session.standard.occupation == world.electrician
    assert world.session.state == Session.State.PLANNED


@pytest.mark.parametrize("state", [Filing.State.SUSPENDED, Filing.State.REVOKED, Filing.State.APPLIED])
def test_session_refused_without_a_filed_unsuspended_scope(world, state):
    Filing.objects.filter(institution=world.a).update(state=state)
    with pytest.raises(DomainError) as caught:
        world.plan()
    assert "scope" in caught.value.message_dict
    assert Session.objects.count() == 1


def test_session_refused_outside_the_filing_window(world):
    Filing.objects.filter(institution=world.a).update(valid_until=TODAY - datetime.timedelta(days=1))
    with pytest.raises(DomainError):
        world.plan()


def test_session_refused_for_a_level_not_in_scope(world):
    world.a.filings.get().scopes.update(levels=[1, 2])
    with pytest.raises(DomainError):
        world.plan(level=Level.GRADE_3)


def test_session_refused_for_an_occupation_not_in_scope(world):
    from .conftest import load_occupations

    (cook,) = load_occupations("4-03-02-01")
    with pytest.raises(DomainError):
        services.session_plan(
            actor=world.admin_a,
            institution=world.a,
            evaluation_type=EvaluationType.SKILL_LEVEL,
            occupation=cook,
            level=Level.GRADE_5,
            starts_on=ahead(),
            ends_on=ahead(),
            site="x",
        )


def test_session_refused_for_another_institutions_admin(world):
    with pytest.raises(Forbidden):
        world.plan(admin=world.admin_b)
    assert Session.objects.count() == 1


def test_session_dates_and_level_checked(world):
    with pytest.raises(DomainError) as caught:
        services.session_plan(
            actor=world.admin_a,
            institution=world.a,
            evaluation_type=EvaluationType.SKILL_LEVEL,
            occupation=world.electrician,
            level=Level.GRADE_5,
            starts_on=ahead(),
            ends_on=ahead() - datetime.timedelta(1),
            site="x",
        )
    assert "ends_on" in caught.value.message_dict
    with pytest.raises(DomainError) as caught:
        services.session_plan(
            actor=world.admin_a,
            institution=world.a,
            evaluation_type=EvaluationType.SKILL_LEVEL,
            occupation=world.electrician,
            level=None,
            starts_on=ahead(),
            ends_on=ahead(),
            site="x",
        )
    assert "level" in caught.value.message_dict


def test_suspension_after_planning_blocks_new_sessions(world):
    filing_transition(
        filing=world.a.filings.get(), to_state=Filing.State.SUSPENDED, actor=world.regulator, reason="整改"
    )
    with pytest.raises(DomainError):
        world.plan()


# --- staffing ---


def test_staffing_shortfalls_follow_the_standard_ratios(world):
    for i in range(7):
        enrol(world, name=f"考生{i}")
    shortfalls = services.session_staffing_shortfalls(world.session)
    assert any("考评员" in s and "至少 3" in s for s in shortfalls)
    assert any("监考" in s and "至少 2" in s for s in shortfalls)
    world.staff(world.session, assessors=3, invigilators=2)
    assert services.session_staffing_shortfalls(world.session) == []


def test_practical_assessors_must_be_odd(world):
    for i in range(11):  # 11 candidates / 5 → 3 assessors
        enrol(world, name=f"考生{i}")
    world.staff(world.session, assessors=4, invigilators=2)
    shortfalls = services.session_staffing_shortfalls(world.session)
    assert any("奇数" in s for s in shortfalls)


def test_more_candidates_need_more_assessors(world):
    for i in range(16):  # 16 / 5 → 4 → odd → 5; 16 / 15 → 2 invigilators
        enrol(world, name=f"考生{i}")
    world.staff(world.session, assessors=3, invigilators=2)
    assert any("至少 5" in s for s in services.session_staffing_shortfalls(world.session))


def test_invigilators_per_room(world):
    world.session.rooms = 2
    world.session.save()
    enrol(world)
    world.staff(world.session, assessors=3, invigilators=3)
    assert any("至少 4" in s for s in services.session_staffing_shortfalls(world.session))


def test_review_panel_required_for_grade_2(world):
    session = world.plan(level=Level.GRADE_2)
    world.staff(session)
    assert any("评审" in s for s in services.session_staffing_shortfalls(session))


def test_cannot_assign_another_institutions_assessor(world):
    with pytest.raises(DomainError):
        services.session_staff_assign(
            actor=world.admin_a, session=world.session, assessor=world.assessor_b, role="assessor"
        )
    assert not SessionStaff.objects.exists()


def test_another_institution_cannot_staff_my_session(world):
    with pytest.raises(Forbidden):
        services.session_staff_assign(
            actor=world.admin_b, session=world.session, assessor=world.assessor_b, role="assessor"
        )


def test_invigilator_cannot_be_an_assessor(world):
    with pytest.raises(DomainError):
        services.session_staff_assign(
            actor=world.admin_a, session=world.session, assessor=world.invigilators_a[0], role="assessor"
        )


def test_external_supervisor_is_assigned_by_the_regulator_only(world):
    with pytest.raises(Forbidden):
        services.session_staff_assign(
            actor=world.admin_a, session=world.session, assessor=world.external_supervisor, role="external_supervisor"
        )
    services.session_staff_assign(
        actor=world.regulator, session=world.session, assessor=world.external_supervisor, role="external_supervisor"
    )
    assert world.session.staff.get().role == "external_supervisor"


def test_recusal_nobody_assesses_themselves(world):
    assessor = world.assessors_a[0]
    from tests.certification.conftest import worked

    worked(assessor.person, world.electrician, 2)
    services.application_enrol(
        actor=world.admin_a,
        session=world.session,
        name=assessor.person.name,
        document_number=assessor.person.document_number,
        on=TODAY,
    )
    with pytest.raises(DomainError) as caught:
        services.session_staff_assign(actor=world.admin_a, session=world.session, assessor=assessor, role="assessor")
    assert "回避" in str(caught.value)


def test_recusal_of_a_declared_relation(world):
    from assessors.models import Relation

    application = enrol(world, name="亲属")
    Relation.objects.create(assessor=world.assessors_a[1], person=application.person, kind="relative")
    with pytest.raises(DomainError):
        services.session_staff_assign(
            actor=world.admin_a, session=world.session, assessor=world.assessors_a[1], role="assessor"
        )
    services.session_staff_assign(
        actor=world.admin_a, session=world.session, assessor=world.assessors_a[2], role="assessor"
    )


def test_assessor_out_of_term_cannot_be_assigned(world):
    assessor = world.assessors_a[0]
    assessor.valid_until = TODAY - datetime.timedelta(days=1)
    assessor.save()
    with pytest.raises(DomainError):
        services.session_staff_assign(actor=world.admin_a, session=world.session, assessor=assessor, role="assessor")


# --- submission and holds ---


def scored_session(world, n=3):
    world.staff(world.session)
    applications = [enrol(world, name=f"考生{i}") for i in range(n)]
    for application in applications:
        services.result_record(actor=world.assessors_a[0].user, application=application, theory=80, practical=75)
    return applications


def test_submit_locks_and_starts_publicity(world):
    scored_session(world)
    session = services.session_submit(actor=world.admin_a, session=world.session)
    assert session.state == Session.State.SUBMITTED
    assert session.publicity_ends_on > session.submitted_at.date()
    assert session.publicity_ends_on.weekday() < 5


def test_submit_refused_with_every_reason(world):
    enrol(world)
    with pytest.raises(DomainError) as caught:
        services.session_submit(actor=world.admin_a, session=world.session)
    messages = " ".join(caught.value.messages)
    assert "成绩未录入完整" in messages and "考评员" in messages
    world.session.refresh_from_db()
    assert world.session.state == Session.State.PLANNED


def test_submit_refused_for_another_institution(world):
    scored_session(world)
    with pytest.raises(Forbidden):
        services.session_submit(actor=world.admin_b, session=world.session)


def test_submit_twice_refused(world):
    scored_session(world)
    services.session_submit(actor=world.admin_a, session=world.session)
    with pytest.raises(DomainError):
        services.session_submit(actor=world.admin_a, session=world.session)


def test_open_finding_holds_the_session_until_the_regulator_clears_it(world):
    scored_session(world)
    services.session_staff_assign(
        actor=world.admin_a, session=world.session, assessor=world.internal_supervisor, role="internal_supervisor"
    )
    finding = services.finding_open(actor=world.internal_supervisor.user, session=world.session, text="考场秩序混乱")
    with pytest.raises(DomainError) as caught:
        services.session_submit(actor=world.admin_a, session=world.session)
    assert "督导" in str(caught.value)
    with pytest.raises(Forbidden):
        services.finding_clear(actor=world.admin_a, finding=finding, clearance="已整改")
    with pytest.raises(DomainError):
        services.finding_clear(actor=world.regulator, finding=finding, clearance=" ")
    services.finding_clear(actor=world.regulator, finding=finding, clearance="已整改，复核通过")
    assert services.session_submit(actor=world.admin_a, session=world.session).state == Session.State.SUBMITTED
    with pytest.raises(DomainError):
        services.finding_clear(actor=world.regulator, finding=finding, clearance="again")


def test_only_an_attached_supervisor_files_findings(world):
    with pytest.raises(Forbidden):
        services.finding_open(actor=world.internal_supervisor.user, session=world.session, text="x")
    with pytest.raises(Forbidden):
        services.finding_open(actor=world.assessors_a[0].user, session=world.session, text="x")
    services.session_staff_assign(
        actor=world.regulator, session=world.session, assessor=world.external_supervisor, role="external_supervisor"
    )
    assert services.finding_open(actor=world.external_supervisor.user, session=world.session, text="材料不全").is_open


def test_special_ability_session_has_no_level(world):
    session = world.plan_special()
    assert session.level is None
    with pytest.raises(DomainError):
        services.session_plan(
            actor=world.admin_a,
            institution=world.a,
            evaluation_type=EvaluationType.SPECIAL_ABILITY,
            occupation=world.electrician,
            level=Level.GRADE_5,
            starts_on=ahead(),
            ends_on=ahead(),
            site="x",
        )


def test_factories_make_distinct_people(world):
    assert factories.person().pk != factories.person().pk


# --- dates (docs/domain.md: scores only from the first day, submission only after the last) ---


def plan_on(world, starts_on, ends_on=None, **kwargs):
    return services.session_plan(
        actor=world.admin_a,
        institution=world.a,
        evaluation_type=EvaluationType.SKILL_LEVEL,
        occupation=world.electrician,
        level=kwargs.pop("level", Level.GRADE_5),
        starts_on=starts_on,
        ends_on=ends_on or starts_on,
        site="x",
        **kwargs,
    )


def test_session_starting_in_the_past_is_refused_with_the_date(world):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(DomainError) as caught:
        plan_on(world, yesterday, ahead())
    assert str(yesterday) in caught.value.message_dict["starts_on"][0]
    assert Session.objects.count() == 1
    assert plan_on(world, timezone.localdate()).starts_on == timezone.localdate()


def test_session_whose_last_day_is_outside_the_filing_window_is_refused(world):
    Filing.objects.filter(institution=world.a).update(valid_until=ahead(3))
    with pytest.raises(DomainError) as caught:
        plan_on(world, ahead(1), ahead(5))
    assert str(ahead(4)) in caught.value.message_dict["scope"][0]
    assert Session.objects.count() == 1


def test_session_across_a_gap_between_two_filings_is_refused(world):
    filing = world.a.filings.get()
    Filing.objects.filter(pk=filing.pk).update(valid_until=ahead(3))
    later = factories.FilingFactory(institution=world.a, valid_from=ahead(6))
    factories.ScopeFactory(filing=later, occupation=world.electrician, levels=[1, 2, 3, 4, 5])
    # First and last days are both covered; days 4 and 5 are not.
    with pytest.raises(DomainError) as caught:
        plan_on(world, ahead(1), ahead(8))
    assert str(ahead(4)) in caught.value.message_dict["scope"][0]
    assert Session.objects.count() == 1
    # Filings that follow each other without a gap cover a session across their seam.
    Filing.objects.filter(pk=later.pk).update(valid_from=ahead(4))
    session = plan_on(world, ahead(1), ahead(8))
    assert session.scope.filing_id == filing.pk


def test_session_at_a_level_its_specialty_does_not_offer_is_refused(world):
    specialty = Specialty.objects.create(
        occupation=world.electrician, name="维修电工", levels=[Level.GRADE_3, Level.GRADE_2, Level.GRADE_1]
    )
    with pytest.raises(DomainError) as caught:
        plan_on(world, ahead(), specialty=specialty, level=Level.GRADE_5)
    assert "维修电工" in caught.value.message_dict["level"][0]
    assert Session.objects.count() == 1
    assert plan_on(world, ahead(), specialty=specialty, level=Level.GRADE_3).specialty == specialty
    # A specialty that lists no levels offers the standard's.
    open_specialty = Specialty.objects.create(occupation=world.electrician, name="其他", levels=[])
    assert plan_on(world, ahead(), specialty=open_specialty, level=Level.GRADE_5).level == Level.GRADE_5


def test_submission_only_after_the_sessions_last_day(world):
    scored_session(world)
    today = timezone.localdate()
    Session.objects.filter(pk=world.session.pk).update(ends_on=today)
    with pytest.raises(DomainError) as caught:
        services.session_submit(actor=world.admin_a, session=world.session)
    message = " ".join(caught.value.messages)
    assert str(today + datetime.timedelta(days=1)) in message and "最后一天之后" in message
    world.session.refresh_from_db()
    assert (world.session.state, world.session.publicity_ends_on) == (Session.State.PLANNED, None)
    Session.objects.filter(pk=world.session.pk).update(ends_on=today - datetime.timedelta(days=1))
    assert services.session_submit(actor=world.admin_a, session=world.session).state == Session.State.SUBMITTED


def test_publicity_counts_working_days_not_calendar_days(world):
    scored_session(world)
    friday = datetime.date(2026, 11, 20)
    session = services.session_submit(actor=world.admin_a, session=world.session, on=friday)
    # Five working days after a Friday end the next Friday (five calendar days: the Wednesday).
    assert session.publicity_ends_on == datetime.date(2026, 11, 27)


def test_publicity_over_national_day_skips_the_holiday_and_counts_the_make_up_saturday(world):
    scored_session(world)
    session = services.session_submit(actor=world.admin_a, session=world.session, on=datetime.date(2026, 9, 30))
    # 10-01..07 国庆 off; 10-08 Thu, 10-09 Fri, 10-10 Sat (调休上班), 10-12 Mon, 10-13 Tue.
    assert session.publicity_ends_on == datetime.date(2026, 10, 13)


def test_publicity_in_a_year_without_a_holiday_calendar_is_refused(world):
    scored_session(world)
    CalendarYear.objects.filter(year=2026).delete()
    with pytest.raises(DomainError) as caught:
        services.session_submit(actor=world.admin_a, session=world.session, on=datetime.date(2026, 11, 20))
    assert "请先录入 2026 年的节假日安排" in " ".join(caught.value.messages)
    world.session.refresh_from_db()
    assert (world.session.state, world.session.submitted_at) == (Session.State.PLANNED, None)


# --- the regulator's centre runs qualification sessions (docs/domain.md) ---


def plan_at_centre(world, actor=None, evaluation_type="qualification", level=Level.GRADE_3, occupation=None):
    centre = world.regulator.memberships.get().institution
    # The catalogue file states no qualification flag (no source confirms one): the regulator sets it.
    world.electrician.in_qualification_catalogue = True
    world.electrician.save(update_fields=["in_qualification_catalogue"])
    return services.session_plan(
        actor=actor or world.regulator,
        institution=centre,
        evaluation_type=evaluation_type,
        occupation=occupation or world.electrician,
        level=level,
        starts_on=ahead(),
        ends_on=ahead(),
        site="鉴定中心考点",
    )


def test_the_centre_plans_a_qualification_session_without_a_filing(world):
    from registry.models import Filing

    session = plan_at_centre(world)
    assert (session.institution.kind, session.evaluation_type, session.scope) == ("centre", "qualification", None)
    assert not Filing.objects.filter(institution=session.institution).exists()
    special = plan_at_centre(world, evaluation_type="special_ability", level=None)
    assert special.scope is None


def test_the_centre_plans_no_skill_level_session_and_only_catalogue_qualifications(world):
    from registry.errors import DomainError

    before = Session.objects.count()
    with pytest.raises(DomainError) as caught:
        plan_at_centre(world, evaluation_type="skill_level")
    assert "evaluation_type" in caught.value.message_dict
    not_listed = factories.StandardFactory(levels=[1, 2, 3, 4, 5]).occupation
    with pytest.raises(DomainError) as caught:
        plan_at_centre(world, occupation=not_listed)
    assert "职业资格目录" in str(caught.value)
    assert Session.objects.count() == before


def test_only_the_centres_regulators_plan_its_sessions(world):
    from registry.errors import Forbidden

    before = Session.objects.count()
    for actor in (world.admin_a, world.external_supervisor.user, factories.regulator()):
        with pytest.raises(Forbidden):
            plan_at_centre(world, actor=actor)
    assert Session.objects.count() == before


def test_a_centre_session_needs_no_filing_at_issuance(world):
    from certification.services.issuance import _scope_problem

    session = plan_at_centre(world)
    centre = session.institution
    assert _scope_problem(session, TODAY) is None
    # An institution's session still needs its filing in force.
    Filing.objects.filter(institution=world.a).update(state="suspended")
    assert _scope_problem(world.session, TODAY) is not None
    assert centre.filings.count() == 0
