import datetime
from decimal import Decimal

import pytest

from certification import services
from certification.models import Application, Result
from registry.errors import DomainError, Forbidden
from registry.levels import Level
from registry.models import Education, EligibilityCondition, Institution, PriorCertificate
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
    assert "5-1" in message and "5-2" in message and "0.5 年" in message
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
    session = world.plan(level=Level.GRADE_4)
    person, number = newcomer()
    certify(person, world.electrician, Level.GRADE_5, TODAY.replace(year=TODAY.year - 4) + datetime.timedelta(days=1))
    with pytest.raises(DomainError) as caught:
        apply(world, person, number, session=session)
    assert "需满 4 年" in str(caught.value)
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
    person, number = newcomer()
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
    services.application_decide(actor=world.admin_a, application=application, approve=True, note="本单位职工")
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
    apply(world, first, number, session=session)
    second, number2 = newcomer("乙")
    certify(second, world.electrician, Level.GRADE_4, D(2010, 1, 1))
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
