"""Demo data for the certification process: one session of the demo world taken through the
whole procedure (enrolment, staffing, scores, submission, issuance), so that the embedded
default shows certificates to verify. Used by `manage.py load_demo` only."""

import datetime

from django.db.models import Max
from django.utils import timezone

from assessors.models import Assessor
from registry.identity import compose_resident_id, document_hash
from registry.levels import EvaluationType, Level
from registry.models import CalendarYear, Institution, Occupation, Person, User, WorkExperience
from registry.services import person_register

from . import services
from .models import Session
from .services import issuance

DEMO_SESSION = "演示批次：电工五级"
CANDIDATES = [("周杰", 1998, 201), ("吴婷", 2000, 312), ("郑浩", 1996, 423), ("孙丽", 1999, 534), ("马超", 1997, 645)]


def demo_issued_session(*, institution: Institution, admin: User, worker: Person) -> Session:
    existing = Session.objects.filter(institution=institution, name=DEMO_SESSION).first()
    if existing:
        return existing
    today = timezone.localdate()
    electrician = Occupation.objects.get(code="6-31-01-03")
    # The demo's story happened in the past, inside a year the holiday calendar covers (so that its
    # publicity period can be counted even before the regulator enters next year's arrangement).
    last_covered = CalendarYear.objects.aggregate(last=Max("year"))["last"] or today.year
    start = min(today - datetime.timedelta(days=20), datetime.date(last_covered, 12, 1))
    session = services.session_plan(
        actor=admin,
        institution=institution,
        evaluation_type=EvaluationType.SKILL_LEVEL,
        occupation=electrician,
        level=Level.GRADE_5,
        starts_on=today,
        ends_on=today,
        site="宝山区 实训中心 A 楼",
        name=DEMO_SESSION,
    )
    assessors = list(Assessor.objects.filter(institution=institution, kind=Assessor.Kind.ASSESSOR).order_by("pk"))
    invigilators = list(Assessor.objects.filter(institution=institution, kind=Assessor.Kind.INVIGILATOR))
    for assessor in assessors[:3]:
        services.session_staff_assign(actor=admin, session=session, assessor=assessor, role="assessor")
    for assessor in (invigilators + assessors)[:2]:
        services.session_staff_assign(actor=admin, session=session, assessor=assessor, role="invigilator")
    # Demo only: planning refuses past days, so the session is planned today and then dated back.
    Session.objects.filter(pk=session.pk).update(starts_on=start, ends_on=start)
    session.refresh_from_db()
    people = [worker] + [
        person_register(
            document_type="resident_id",
            name=name,
            document_number=compose_resident_id("310113", datetime.date(year, 3, 1), seq),
        )
        for name, year, seq in CANDIDATES
    ]
    scores = [(88, 92), (75, 81), (64, 70), (90, 58), (81, 77), (70, 66)]
    for person, (theory, practical) in zip(people, scores, strict=True):
        WorkExperience.objects.get_or_create(
            person=person,
            occupation=electrician,
            defaults={
                "employer": institution.name,
                "employer_credit_code": institution.credit_code,
                "started": start - datetime.timedelta(days=800),
            },
        )
        application = services.application_enrol(
            actor=admin, session=session, name=person.name, document_number=person.document_number, on=start
        )
        services.result_record(actor=assessors[0].user, application=application, theory=theory, practical=practical)
    services.session_submit(actor=admin, session=session, on=start + datetime.timedelta(days=1))
    # Demo only: the publicity period is taken as over, so that the demo shows issued certificates.
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=today - datetime.timedelta(days=1))
    session.refresh_from_db()
    issuance.batch_create(actor=admin, sessions=[session], issue_date=today)
    return session


def demo_activation_code(*, admin: User) -> tuple[Person, str] | None:
    """A fresh one-time activation code for the demo candidate who has no account yet (吴婷,
    passed in the demo session), so that activation can be tried; None once she has one."""
    from .services.accounts import activation_code_issue

    name, year, seq = CANDIDATES[1]
    number = compose_resident_id("310113", datetime.date(year, 3, 1), seq)
    person = Person.objects.filter(name=name, document_hash=document_hash("resident_id", number)).first()
    if person is None or person.user_id is not None:
        return None
    return person, activation_code_issue(actor=admin, person=person)


DEMO_SCHOOL_SESSION = "演示批次：毕业学年电工四级"
# (name, birth year, sequence, holds the demo session's certificate): 周杰 and 吴婷 are also
# 宝钢's candidates, so the school's figure counts a partner employer's certificate.
GRADUATES = [("周杰", 1998, 201), ("吴婷", 2000, 312), ("林晓", 2005, 756), ("何静", 2005, 867)]


def demo_school_cohort(*, school: Institution, admin: User) -> Session | None:
    """The college's graduating cohort: an upcoming session (open for enrolment, so it is on the
    training and evaluation map) with four graduating-year students enrolled by 院校团体申报,
    two of whom hold the employer's demo certificate (the school's figure counts it)."""
    if Session.objects.filter(institution=school, name=DEMO_SCHOOL_SESSION).exists():
        return None
    from registry.models import Education, EligibilityCondition

    today = timezone.localdate()
    electrician = Occupation.objects.get(code="6-31-01-03")
    session = services.session_plan(
        actor=admin,
        institution=school,
        evaluation_type=EvaluationType.SKILL_LEVEL,
        occupation=electrician,
        level=Level.GRADE_4,  # 4-3: a vocational diploma, graduating-year students included
        starts_on=today + datetime.timedelta(days=21),
        ends_on=today + datetime.timedelta(days=21),
        site="闵行区 学院实训楼",
        name=DEMO_SCHOOL_SESSION,
    )
    graduation = today + datetime.timedelta(days=180)
    for name, year, seq in GRADUATES:
        number = compose_resident_id("310113", datetime.date(year, 3, 1), seq)
        person = Person.objects.filter(document_hash=document_hash("resident_id", number)).first()
        person = person or person_register(document_type="resident_id", name=name, document_number=number)
        Education.objects.get_or_create(
            person=person,
            school=school.name,
            defaults={
                "kind": EligibilityCondition.Education.HIGHER_VOCATIONAL,
                "major": "电气自动化技术",
                "related_occupation": electrician,
                "graduation_date": graduation,
            },
        )
        services.application_enrol(
            actor=admin, session=session, name=name, document_number=number, pathway="school_group", on=today
        )
    return session


def demo_supervision(*, reported: Institution, inspected: Institution) -> None:
    """Something in each supervision screen: an external supervisor's finding on `inspected`
    past its rectification deadline (so the regulator's queue proposes a sanction), and an open
    public report about `reported`. Runs once."""
    from .models import Finding, Report

    supervisor = Assessor.objects.filter(kind=Assessor.Kind.EXTERNAL_SUPERVISOR).select_related("user").first()
    today = timezone.localdate()
    if supervisor is not None and not Finding.objects.filter(institution=inspected).exists():
        Finding.objects.create(
            institution=inspected,
            supervisor=supervisor,
            opened_by=supervisor.user,
            visit_date=today - datetime.timedelta(days=45),
            deadline=today - datetime.timedelta(days=15),
            severity=Finding.Severity.MAJOR,
            text="考务档案不全：两场考试的监考记录缺少监考人员签名。",
        )
    if not Report.objects.filter(institution=reported).exists():
        Report.objects.create(institution=reported, text="报名时被要求另购高价培训资料，否则不予报名。")
