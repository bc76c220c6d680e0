"""Demo data for the certification process: one session of the demo world taken through the
whole procedure (enrolment, staffing, scores, submission, issuance), so that the embedded
default shows certificates to verify. Used by `manage.py load_demo` only."""

import datetime

from django.db.models import Max
from django.utils import timezone

from assessors.models import Assessor
from registry.errors import DomainError
from registry.identity import compose_resident_id, document_hash
from registry.levels import EvaluationType, Level
from registry.models import (
    CalendarYear,
    Education,
    Filing,
    Institution,
    Occupation,
    Person,
    User,
    WorkExperience,
)
from registry.services import filing_apply, person_register

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
    batch = issuance.batch_create(actor=admin, sessions=[session], issue_date=today, background=False)
    # Issued here and now, with or without a broker (the dispatch after commit then finds nothing to do).
    for chunk_id in batch.chunks.order_by("index").values_list("id", flat=True):
        issuance.chunk_issue(chunk_id=chunk_id)
    return session


def demo_verification_triple() -> tuple[str, str, str] | None:
    """Name, (synthetic) ID number and certificate number of a demo certificate to verify with."""
    from .models import Certificate

    name, year, seq = CANDIDATES[0]
    number = compose_resident_id("310113", datetime.date(year, 3, 1), seq)
    certificate = Certificate.objects.filter(
        person__document_hash=document_hash("resident_id", number), result__application__session__name=DEMO_SESSION
    ).first()
    return None if certificate is None else (name, number, certificate.number)


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


# Something in every screen: sessions in each state of the procedure, with the items that wait on
# someone (docs/domain.md). All at 宝山精工 (electrician, 五级), each found again by its name.
OPEN_SESSION = "演示批次：电工五级（报名中）"
HELD_SESSION = "演示批次：电工五级（已考核，督导发现未解除）"
PUBLICITY_SESSION = "演示批次：电工五级（公示中，有异议）"
READY_SESSION = "演示批次：电工五级（待发证，可看进度条）"


def _demo_candidates(prefix: str, count: int, area: str, year: int, first_seq: int) -> list[Person]:
    return [
        person_register(
            document_type="resident_id",
            name=f"{prefix}{i + 1}",
            document_number=compose_resident_id(area, datetime.date(year + i % 6, 1 + i % 12, 1 + i), first_seq + i),
        )
        for i in range(count)
    ]


def _demo_session(
    *, institution: Institution, admin: User, name: str, held_days_ago: int | None, people: list[Person], staff=True
) -> Session:
    """A session planned today (planning refuses past days), staffed, with `people` enrolled;
    dated back `held_days_ago` days when it has been held (demo only), else held in three weeks."""
    today = timezone.localdate()
    electrician = Occupation.objects.get(code="6-31-01-03")
    later = today + datetime.timedelta(days=21)
    session = services.session_plan(
        actor=admin,
        institution=institution,
        evaluation_type=EvaluationType.SKILL_LEVEL,
        occupation=electrician,
        level=Level.GRADE_5,
        starts_on=later if held_days_ago is None else today,
        ends_on=later if held_days_ago is None else today,
        site="宝山区 实训中心 A 楼",
        name=name,
    )
    if staff:
        assessors = list(Assessor.objects.filter(institution=institution, kind=Assessor.Kind.ASSESSOR).order_by("pk"))
        invigilators = list(Assessor.objects.filter(institution=institution, kind=Assessor.Kind.INVIGILATOR))
        for assessor in assessors[:3]:
            services.session_staff_assign(actor=admin, session=session, assessor=assessor, role="assessor")
        for assessor in (invigilators + assessors)[:2]:
            services.session_staff_assign(actor=admin, session=session, assessor=assessor, role="invigilator")
        supervisor = Assessor.objects.filter(institution=institution, kind=Assessor.Kind.INTERNAL_SUPERVISOR).first()
        if supervisor is not None:
            services.session_staff_assign(actor=admin, session=session, assessor=supervisor, role="internal_supervisor")
    started = today - datetime.timedelta(days=800)
    for person in people:
        WorkExperience.objects.get_or_create(
            person=person,
            occupation=electrician,
            defaults={
                "employer": institution.name,
                "employer_credit_code": institution.credit_code,
                "started": started,
            },
        )
        services.application_enrol(
            actor=admin, session=session, name=person.name, document_number=person.document_number
        )
    if held_days_ago is not None:
        day = today - datetime.timedelta(days=held_days_ago)
        Session.objects.filter(pk=session.pk).update(starts_on=day, ends_on=day)
        session.refresh_from_db()
    return session


def _score(session: Session, scores: list[tuple[int, int]]) -> None:
    assessor = session.staff.filter(role="assessor").select_related("assessor__user").first().assessor.user
    applications = session.applications.order_by("pk")
    for application, (theory, practical) in zip(applications, scores, strict=True):
        services.result_record(actor=assessor, application=application, theory=theory, practical=practical)


def demo_sessions_in_every_state(*, institution: Institution, admin: User, care_admin: User) -> None:
    """Planned and open for enrolment; held with an open supervision finding; in publicity with an
    open objection and a correction waiting for the regulator; submitted with publicity over, ready
    to issue (so a newcomer can press 核发证书 and watch the progress bar); and a filing application
    waiting for the regulator. Idempotent: each piece is made once."""
    today = timezone.localdate()
    names = set(Session.objects.filter(institution=institution).values_list("name", flat=True))
    if OPEN_SESSION not in names:
        session = _demo_session(
            institution=institution,
            admin=admin,
            name=OPEN_SESSION,
            held_days_ago=None,
            people=_demo_candidates("报名考生", 2, "310113", 1999, 120),
        )
        (exceptional,) = _demo_candidates("破格考生", 1, "310113", 2001, 130)
        services.application_enrol(  # 破格: waits for the regulator's approval
            actor=admin,
            session=session,
            name=exceptional.name,
            document_number=exceptional.document_number,
            pathway="exceptional",
            reason="演示：在企业技术革新中取得突出业绩，申请破格报名。",
            evidence="演示：技术革新成果证明（公司技术委员会）",
        )
    if HELD_SESSION not in names:
        session = _demo_session(
            institution=institution,
            admin=admin,
            name=HELD_SESSION,
            held_days_ago=2,
            people=_demo_candidates("考核考生", 3, "310115", 1997, 140),
        )
        _score(session, [(82, 77), (69, 73), (91, 88)])
        supervisor = session.staff.get(role="internal_supervisor").assessor.user
        services.finding_open(actor=supervisor, session=session, text="演示：第二考场监考人员离场十分钟，需说明情况。")
    if PUBLICITY_SESSION not in names:
        session = _demo_session(
            institution=institution,
            admin=admin,
            name=PUBLICITY_SESSION,
            held_days_ago=4,
            people=_demo_candidates("公示考生", 3, "310112", 1996, 160),
        )
        _score(session, [(85, 79), (72, 58), (66, 90)])
        try:
            services.session_submit(actor=admin, session=session, on=today - datetime.timedelta(days=1))
        except DomainError:
            # The publicity period reaches a year the holiday calendar does not cover yet: the
            # session stays held (the regulator enters next year's calendar, then it can be submitted).
            pass
        else:
            first, failed = [a.result for a in session.applications.order_by("pk")[:2]]
            services.objection_file(
                result=first, reason="演示：该考生操作技能考核时我在场，实操未完成。", contact="021-5555 0101"
            )
            services.correction_file(
                actor=admin,
                result=failed,
                field="practical",
                value=62,
                reason="演示：操作技能评分表合计有误，复核为 62 分。",
            )
    if READY_SESSION not in names:
        session = _demo_session(
            institution=institution,
            admin=admin,
            name=READY_SESSION,
            held_days_ago=12,
            people=_demo_candidates("待发证考生", 15, "310113", 1995, 180),
        )
        _score(session, [(70 + i, 75 + i) for i in range(15)])
        try:
            services.session_submit(actor=admin, session=session, on=today - datetime.timedelta(days=11))
        except DomainError:
            pass  # as above: the holiday calendar does not cover the publicity period yet
        else:
            # Demo only: the publicity period is taken as over.
            Session.objects.filter(pk=session.pk).update(publicity_ends_on=today - datetime.timedelta(days=1))
    care = Institution.objects.get(memberships__user=care_admin)
    if not Filing.objects.filter(institution=care, state=Filing.State.APPLIED).exists():
        current = care.filings.order_by("-valid_until").first()
        valid_from = (current.valid_until if current else today) + datetime.timedelta(days=1)
        filing_apply(
            institution=care,
            valid_from=valid_from,
            valid_until=valid_from.replace(year=valid_from.year + 3) - datetime.timedelta(days=1),
            scopes=[
                {
                    "evaluation_type": EvaluationType.SKILL_LEVEL,
                    "occupation": Occupation.objects.get(code="4-10-01-05"),
                    "levels": [1, 2, 3, 4],
                }
            ],
            actor=care_admin,
        )


SCHOOL_SESSION = "演示批次：毕业学年电工四级"
# (name, birth year, sequence, holds the demo session's certificate): 周杰 and 吴婷 are also
# 宝钢's candidates, so the school's figure counts a partner employer's certificate.
GRADUATES = [("周杰", 1998, 201), ("吴婷", 2000, 312), ("林晓", 2005, 756), ("何静", 2005, 867)]


def demo_school_cohort(*, school: Institution, admin: User) -> Session | None:
    """The college's graduating cohort: an upcoming session (open for enrolment, so it is on the
    training and evaluation map) with four graduating-year students enrolled by 院校团体申报,
    two of whom hold the employer's demo certificate (the school's figure counts it)."""
    if Session.objects.filter(institution=school, name=SCHOOL_SESSION).exists():
        return None
    from registry.models import EligibilityCondition

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
        name=SCHOOL_SESSION,
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


def demo_competition(*, regulator: User, winner: Person) -> None:
    """The competitions as data (registry/data/competitions.json) and one award that promotes
    its winner above the level they hold, so a competition promotion waits in the regulator's
    queue. Runs once."""
    from registry.competitions import competitions_load_file
    from registry.models import Competition, CompetitionAward

    if not Competition.objects.exists():
        competitions_load_file()
    if CompetitionAward.objects.filter(person=winner).exists():
        return
    from .services.competitions import award_record

    city = Competition.objects.filter(tier="city").order_by("pk").first()
    if city is None:
        return
    try:
        award_record(
            actor=regulator,
            competition=city,
            person=winner,
            occupation=Occupation.objects.get(code="6-31-01-03"),
            event="电工（演示）",
            awarded_on=timezone.localdate() - datetime.timedelta(days=20),
            evidence="演示：获奖证书编号 SH-2026-0001",
            rank=2,
        )
    except DomainError:
        pass  # the rule does not promote this winner: the competitions page still lists the events
