import datetime
from decimal import Decimal

import pytest

from certification import eligibility, services
from certification.models import Application, Result
from registry.errors import DomainError, Forbidden
from registry.levels import Level
from registry.models import Education, EligibilityCondition, Institution, PriorCertificate, WorkExperience
from registry.services import person_register
from tests import factories

from .conftest import TODAY, enrol, worked

pytestmark = pytest.mark.django_db
D = datetime.date


def newcomer(name="新人"):
    number = factories.resident_id(D(1995, 5, 5))
    return person_register(document_type="resident_id", document_number=number, name=name), number


def apply(world, person, number, session=None, **kwargs):
    return services.application_enrol(
        actor=world.admin_a,
        session=session or world.session,
        name=person.name,
        document_number=number,
        on=TODAY,
        **kwargs,
    )


def certify(person, occupation, level, issued_on):
    PriorCertificate.objects.create(
        person=person,
        evaluation_type="skill_level",
        occupation=occupation,
        level=level,
        number=f"N{person.pk}{level}",
        issuer="原鉴定所",
        issued_on=issued_on,
    )


def test_normal_application_records_the_condition_met(world):
    application = enrol(world, years=1.5)
    assert application.state == Application.State.ENROLLED
    assert application.condition.code == "5-1"
    assert application.result.outcome == Result.Outcome.PENDING


def test_normal_application_meeting_nothing_is_refused_with_the_conditions_missed(world):
    person, number = newcomer()
    worked(person, world.electrician, 0.5)
    with pytest.raises(DomainError) as caught:
        apply(world, person, number)
    message = " ".join(caught.value.messages)
    assert "5-1" in message and "5-2" in message and "0 年 182 天，需 1 年" in message
    assert not Application.objects.filter(person=person).exists()


def test_apprenticeship_completed_meets_grade_5(world):
    person, number = newcomer()
    worked(person, world.electrician, 0.3, apprenticeship=True)
    assert apply(world, person, number).condition.code == "5-2"


def test_work_in_another_occupation_does_not_count(world):
    from .conftest import load_occupations

    (welder,) = load_occupations("6-18-02-04")
    person, number = newcomer()
    worked(person, welder, 10)
    with pytest.raises(DomainError):
        apply(world, person, number)


def test_grade_4_counts_years_from_the_grade_5_certificate_issue_date(world):
    # Updated: the years after the certificate are years of work (docs/domain.md), not of the calendar.
    session = world.plan(level=Level.GRADE_4)
    person, number = newcomer()
    worked(person, world.electrician, 5)  # 5 years: not 4-2's 6
    certify(person, world.electrician, Level.GRADE_5, TODAY.replace(year=TODAY.year - 4) + datetime.timedelta(days=1))
    with pytest.raises(DomainError) as caught:
        apply(world, person, number, session=session)
    assert "此后本职业或相关职业工作 3 年 364 天，需 4 年" in str(caught.value)
    PriorCertificate.objects.filter(person=person).update(issued_on=TODAY.replace(year=TODAY.year - 4))
    assert apply(world, person, number, session=session).condition.code == "4-1"


def test_grade_4_by_six_years_of_work(world):
    session = world.plan(level=Level.GRADE_4)
    person, number = newcomer()
    worked(person, world.electrician, 6.01)
    assert apply(world, person, number, session=session).condition.code == "4-2"


def test_grade_4_by_a_graduating_year_diploma_in_the_field(world):
    session = world.plan(level=Level.GRADE_4)
    person, number = newcomer()
    Education.objects.create(
        person=person,
        kind="secondary_vocational",
        related_occupation=world.electrician,
        graduation_date=TODAY + datetime.timedelta(days=60),  # 在校应届: counts before the diploma
    )
    assert apply(world, person, number, session=session).condition.code == "4-3"


def test_diploma_in_another_field_does_not_count(world):
    session = world.plan(level=Level.GRADE_4)
    person, number = newcomer()
    Education.objects.create(
        person=person, kind="secondary_vocational", related_occupation=None, graduation_date=D(2020, 7, 1)
    )
    with pytest.raises(DomainError):
        apply(world, person, number, session=session)


def test_grade_3_needs_both_certificate_and_diploma_for_condition_3_2(world):
    session = world.plan(level=Level.GRADE_3)
    person, number = newcomer()
    certify(person, world.electrician, Level.GRADE_4, TODAY - datetime.timedelta(days=30))
    with pytest.raises(DomainError):
        apply(world, person, number, session=session)
    Education.objects.create(
        person=person, kind="senior_technical", related_occupation=world.electrician, graduation_date=D(2024, 7, 1)
    )
    assert apply(world, person, number, session=session).condition.code == "3-2"


def test_a_certificate_issued_after_the_application_date_does_not_count(world):
    session = world.plan(level=Level.GRADE_4)
    person, number = newcomer()
    certify(person, world.electrician, Level.GRADE_5, TODAY + datetime.timedelta(days=1))
    with pytest.raises(DomainError):
        apply(world, person, number, session=session)


def test_conditions_are_data_not_code(world):
    condition = EligibilityCondition.objects.get(
        standard__occupation=world.electrician, level=Level.GRADE_5, code="5-1"
    )
    condition.years_in_occupation = 3
    condition.save()
    person, number = newcomer()
    worked(person, world.electrician, 2)
    with pytest.raises(DomainError):
        apply(world, person, number)


def test_same_person_twice_in_a_session_is_refused(world):
    application = enrol(world)
    with pytest.raises(DomainError):
        apply(world, application.person, application.person.document_number)
    assert Application.objects.count() == 1


def test_another_institution_cannot_enrol_into_my_session(world):
    person, number = newcomer()
    worked(person, world.electrician, 3)
    with pytest.raises(Forbidden):
        services.application_enrol(actor=world.admin_b, session=world.session, name=person.name, document_number=number)
    assert not Application.objects.exists()


def test_invalid_id_number_is_refused_with_the_field(world):
    with pytest.raises(DomainError) as caught:
        services.application_enrol(
            actor=world.admin_a, session=world.session, name="坏号", document_number="110105194912310021"
        )
    assert "document_number" in caught.value.message_dict


# --- exceptional routes ---


def test_exceptional_promotion_skips_conditions_but_needs_reason_evidence_and_regulator(world):
    session = world.plan(level=Level.GRADE_2)
    person, number = newcomer()
    with pytest.raises(DomainError):
        apply(world, person, number, session=session, pathway="exceptional", reason="技术能手")
    application = apply(
        world, person, number, session=session, pathway="exceptional", reason="市级技术能手", evidence="获奖证书扫描件"
    )
    assert application.state == Application.State.PENDING_APPROVAL
    assert application.condition is None
    assert not Result.objects.filter(application=application).exists()
    with pytest.raises(Forbidden):
        services.application_decide(actor=world.admin_a, application=application, approve=True)
    services.application_decide(actor=world.regulator, application=application, approve=True, note="同意破格")
    application.refresh_from_db()
    assert application.state == Application.State.ENROLLED and application.decided_by == world.regulator
    assert application.result.outcome == Result.Outcome.PENDING


def test_rejection_needs_a_note(world):
    person, number = newcomer()
    application = apply(world, person, number, pathway="competition", reason="市赛银牌", evidence="获奖文件")
    with pytest.raises(DomainError):
        services.application_decide(actor=world.regulator, application=application, approve=False)
    services.application_decide(actor=world.regulator, application=application, approve=False, note="材料不实")
    application.refresh_from_db()
    assert application.state == Application.State.REJECTED
    with pytest.raises(DomainError):
        services.application_decide(actor=world.regulator, application=application, approve=True)


def test_direct_recognition_only_by_an_employer_for_its_own_staff(world):
    # Updated: the person must be on the employer's staff, and another admin approves.
    person, number = newcomer()
    worked(
        person,
        world.electrician,
        3,
        until=TODAY + datetime.timedelta(days=365),
        employer_credit_code=world.a.credit_code,
    )
    with pytest.raises(DomainError) as caught:
        apply(world, person, number, pathway="direct", reason="绝招绝活", evidence="业绩材料")
    assert "用人单位" in str(caught.value)
    world.a.kind = Institution.Kind.EMPLOYER
    world.a.save()
    application = apply(world, person, number, pathway="direct", reason="绝招绝活", evidence="业绩材料")
    with pytest.raises(Forbidden):
        services.application_decide(actor=world.regulator, application=application, approve=True)
    with pytest.raises(Forbidden):
        services.application_decide(actor=world.admin_b, application=application, approve=True)
    services.application_decide(
        actor=factories.member(world.a), application=application, approve=True, note="本单位职工"
    )
    application.refresh_from_db()
    assert application.state == Application.State.ENROLLED


def test_proportion_cap_applies_to_normal_applications_only(world):
    world.a.kind = Institution.Kind.EMPLOYER
    world.a.high_level_cap = Decimal("0.1")
    world.a.staff_count = 10  # one high-level place a year
    world.a.save()
    session = world.plan(level=Level.GRADE_3)
    first, number = newcomer("甲")
    certify(first, world.electrician, Level.GRADE_4, D(2010, 1, 1))
    worked(first, world.electrician, 6)
    apply(world, first, number, session=session)
    second, number2 = newcomer("乙")
    certify(second, world.electrician, Level.GRADE_4, D(2010, 1, 1))
    worked(second, world.electrician, 6, employer_credit_code=world.a.credit_code)
    with pytest.raises(DomainError) as caught:
        apply(world, second, number2, session=session)
    assert "名额" in str(caught.value)
    direct = apply(world, second, number2, session=session, pathway="direct", reason="攻关", evidence="专利")
    assert direct.state == Application.State.PENDING_APPROVAL


def test_proportion_cap_ignores_levels_below_grade_3(world):
    world.a.high_level_cap = Decimal("0")
    world.a.staff_count = 10
    world.a.save()
    assert enrol(world).state == Application.State.ENROLLED


def test_school_group_for_graduating_year_students_at_a_school(world):
    world.a.kind, world.a.school_files_as = Institution.Kind.SCHOOL, "social"
    world.a.save()
    session = world.plan(level=Level.GRADE_4)
    student, number = newcomer("学生")
    with pytest.raises(DomainError) as caught:
        apply(world, student, number, session=session, pathway="school_group")
    assert "毕业学年" in str(caught.value)
    Education.objects.create(
        person=student,
        kind="secondary_vocational",
        related_occupation=world.electrician,
        graduation_date=TODAY + datetime.timedelta(days=30),
    )
    application = apply(world, student, number, session=session, pathway="school_group")
    assert (application.state, application.condition.code) == (Application.State.ENROLLED, "4-3")


def test_school_group_refused_outside_a_school(world):
    student, number = newcomer("学生")
    Education.objects.create(
        person=student,
        kind="secondary_vocational",
        related_occupation=world.electrician,
        graduation_date=TODAY + datetime.timedelta(days=30),
    )
    with pytest.raises(DomainError):
        apply(world, student, number, pathway="school_group")


def test_bulk_enrolment_is_all_or_nothing_with_row_numbers(world):
    good, good_number = newcomer("好")
    worked(good, world.electrician, 2)
    rows = [
        {"name": "好", "document_number": good_number},
        {"name": "坏号", "document_number": "110105194912310021"},
        {"name": "无经历", "document_number": factories.resident_id()},
    ]
    with pytest.raises(DomainError) as caught:
        services.application_enrol_bulk(actor=world.admin_a, session=world.session, rows=rows, on=TODAY)
    messages = caught.value.message_dict["rows"]
    assert messages[0].startswith("第 2 行") and "document_number" in messages[0]
    assert messages[1].startswith("第 3 行") and "condition" in messages[1]
    assert not Application.objects.exists()
    created = services.application_enrol_bulk(actor=world.admin_a, session=world.session, rows=rows[:1], on=TODAY)
    assert [a.person for a in created] == [good]


def test_withdraw_needs_a_reason_and_an_open_session(world):
    application = enrol(world)
    with pytest.raises(DomainError):
        services.application_withdraw(actor=world.admin_a, application=application, reason="")
    with pytest.raises(Forbidden):
        services.application_withdraw(actor=world.admin_b, application=application, reason="x")
    services.application_withdraw(actor=world.admin_a, application=application, reason="考生放弃")
    application.refresh_from_db()
    assert application.state == Application.State.WITHDRAWN


# --- work years (docs/domain.md: calendar anniversaries over merged spans, end date inclusive) ---


def test_exactly_n_years_of_work_meets_n_years(world):
    person, number = newcomer()
    WorkExperience.objects.create(
        person=person, occupation=world.electrician, started=D(2025, 6, 1), ended=TODAY - datetime.timedelta(days=1)
    )
    # 2025-06-01 … 2026-05-31 inclusive is exactly one year: 5-1 "1年（含）以上" is met.
    assert apply(world, person, number).condition.code == "5-1"


def test_one_day_short_of_n_years_is_refused(world):
    person, number = newcomer()
    WorkExperience.objects.create(
        person=person, occupation=world.electrician, started=D(2025, 6, 2), ended=TODAY - datetime.timedelta(days=1)
    )
    with pytest.raises(DomainError) as caught:
        apply(world, person, number)
    assert "0 年 364 天，需 1 年" in str(caught.value)


def test_years_are_anniversaries_with_the_end_date_inclusive():
    assert eligibility.span_years([(D(2020, 3, 1), D(2025, 2, 28))]) == (5, 0)
    assert eligibility.span_years([(D(2020, 3, 1), D(2025, 2, 27))]) == (4, 364)
    # Broken spans fold into one unbroken interval from the first start, as long as they together.
    spans = [(D(2021, 1, 1), D(2021, 6, 30)), (D(2022, 1, 1), D(2022, 6, 30)), (D(2023, 1, 1), D(2023, 1, 3))]
    assert eligibility.span_years(spans) == (1, 0)  # 181 + 181 + 3 = 365 days from 2021-01-01
    assert eligibility.merge_spans([(D(2021, 1, 1), D(2021, 1, 10)), (D(2021, 1, 11), D(2021, 2, 1))]) == [
        (D(2021, 1, 1), D(2021, 2, 1))
    ]


@pytest.mark.parametrize("first", [D(2020, 2, 29), D(2020, 2, 28), D(2020, 3, 1), D(2019, 3, 1), D(2021, 12, 31)])
def test_years_are_the_last_anniversary_reached_from_any_start(first):
    """span_years counts the anniversaries a span reaches, 29 February's falling on 28 February
    in other years: the same as counting them one by one, for spans of a day to eight years."""
    for length in range(1, 8 * 366):
        reached = first + datetime.timedelta(days=length)
        years = 0
        while eligibility.add_years(first, years + 1) <= reached:
            years += 1
        expected = (years, (reached - eligibility.add_years(first, years)).days)
        assert eligibility.span_years([(first, reached - datetime.timedelta(days=1))]) == expected, length


def test_years_after_a_certificate_count_only_work_done_after_its_issue_date(world):
    session = world.plan(level=Level.GRADE_4)
    person, number = newcomer()
    certify(person, world.electrician, Level.GRADE_5, D(2021, 6, 1))
    # Five calendar years since the certificate, but four years' work all before it.
    WorkExperience.objects.create(
        person=person, occupation=world.electrician, started=D(2017, 6, 1), ended=D(2021, 5, 31)
    )
    with pytest.raises(DomainError) as caught:
        apply(world, person, number, session=session)
    assert "此后本职业或相关职业工作 0 年 0 天，需 4 年" in str(caught.value)
    WorkExperience.objects.create(person=person, occupation=world.electrician, started=D(2022, 6, 2))
    assert apply(world, person, number, session=session).condition.code == "4-1"  # 2022-06-02 … 2026-06-01


def test_work_in_an_occupation_the_standard_lists_as_related_counts(world):
    from .conftest import load_occupations

    (welder,) = load_occupations("6-18-02-04")
    person, number = newcomer()
    worked(person, welder, 1)
    with pytest.raises(DomainError):
        apply(world, person, number)
    world.session.standard.related_occupations.add(welder)
    assert apply(world, person, number).condition.code == "5-1"


def test_an_apprenticeship_still_running_does_not_meet_apprenticeship_completed(world):
    person, number = newcomer()
    WorkExperience.objects.create(
        person=person, occupation=world.electrician, started=TODAY - datetime.timedelta(days=100), apprenticeship=True
    )
    with pytest.raises(DomainError) as caught:
        apply(world, person, number)
    assert "学徒期满" in str(caught.value)
    WorkExperience.objects.filter(person=person).update(ended=TODAY + datetime.timedelta(days=30))
    with pytest.raises(DomainError):
        apply(world, person, number)
    WorkExperience.objects.filter(person=person).update(ended=TODAY - datetime.timedelta(days=1))
    assert apply(world, person, number).condition.code == "5-2"


# --- direct recognition (docs/domain.md: an employer's own staff, approved by someone else) ---


def employer(world):
    world.a.kind = Institution.Kind.EMPLOYER
    world.a.save()
    return world.a


def direct(world, person, number, actor=None):
    return services.application_enrol(
        actor=actor or world.admin_a,
        session=world.session,
        name=person.name,
        document_number=number,
        pathway="direct",
        reason="绝招绝活",
        evidence="业绩材料",
        on=TODAY,
    )


def test_direct_recognition_refused_for_someone_not_on_the_employers_staff(world):
    employer(world)
    person, number = newcomer()
    worked(person, world.electrician, 3, employer_credit_code=world.b.credit_code)  # another employer's staff
    with pytest.raises(DomainError) as caught:
        direct(world, person, number)
    assert "本单位" in caught.value.message_dict["pathway"][0]
    # Once on this employer's staff, but no longer on the day of the application.
    worked(
        person,
        world.electrician,
        2,
        until=TODAY - datetime.timedelta(days=10),
        employer_credit_code=world.a.credit_code,
    )
    with pytest.raises(DomainError):
        direct(world, person, number)
    assert not Application.objects.filter(person=person).exists()
    WorkExperience.objects.create(
        person=person, occupation=world.electrician, started=D(2026, 1, 1), employer_credit_code=world.a.credit_code
    )
    assert direct(world, person, number).state == Application.State.PENDING_APPROVAL


def test_the_admin_who_enrols_does_not_approve_the_direct_recognition(world):
    employer(world)
    person, number = newcomer()
    worked(
        person,
        world.electrician,
        3,
        until=TODAY + datetime.timedelta(days=365),
        employer_credit_code=world.a.credit_code,
    )
    application = direct(world, person, number)
    with pytest.raises(Forbidden) as caught:
        services.application_decide(actor=world.admin_a, application=application, approve=True, note="本单位职工")
    assert "报名人" in str(caught.value)
    application.refresh_from_db()
    assert (application.state, application.decided_by) == (Application.State.PENDING_APPROVAL, None)
    assert not Result.objects.filter(application=application).exists()
    other_admin = factories.member(world.a)
    services.application_decide(actor=other_admin, application=application, approve=True, note="本单位职工")
    application.refresh_from_db()
    assert (application.state, application.decided_by) == (Application.State.ENROLLED, other_admin)
