"""A small world for the certification tests: the real catalogue rows of two occupations,
two institutions (A and B) filed for them, their staff, and a planned session at A."""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone

from assessors.models import Assessor
from certification import services
from certification.models import Session
from certification.services import issuance
from registry.catalogue import DEFAULT_CATALOGUE, catalogue_load
from registry.levels import EvaluationType, Level
from registry.models import Institution, Occupation, Role, User
from tests import factories

D = datetime.date
TODAY = D(2026, 6, 1)  # the day the world's sessions are held: in the past, so they can be scored and issued


def ahead(days: int = 7) -> datetime.date:
    """A day after the real today: planning refuses sessions that have already started."""
    return timezone.localdate() + datetime.timedelta(days=days)


def held_on(session: Session, starts_on=TODAY, ends_on=None) -> Session:
    """Date a planned session back to when it was held (planning refuses past days; the tests'
    story happened around TODAY)."""
    Session.objects.filter(pk=session.pk).update(starts_on=starts_on, ends_on=ends_on or starts_on)
    session.refresh_from_db()
    return session


def load_occupations(*codes):
    import json

    data = json.loads(DEFAULT_CATALOGUE.read_text(encoding="utf-8"))
    data["occupations"] = [row for row in data["occupations"] if row["code"] in codes]
    catalogue_load(data)
    return [Occupation.objects.get(code=code) for code in codes]


@dataclass
class World:
    electrician: Occupation
    a: Institution
    b: Institution
    regulator: User
    admin_a: User
    admin_b: User
    assessors_a: list
    invigilators_a: list
    internal_supervisor: Assessor
    external_supervisor: Assessor
    assessor_b: Assessor
    session: Session

    def plan(self, level=Level.GRADE_5, institution=None, admin=None, **kwargs) -> Session:
        """Plan a one-day session a week ahead through the service, then date it TODAY (held)."""
        session = services.session_plan(
            actor=admin or self.admin_a,
            institution=institution or self.a,
            evaluation_type=EvaluationType.SKILL_LEVEL,
            occupation=self.electrician,
            level=level,
            starts_on=ahead(),
            ends_on=ahead(),
            site="浦东新区 实训基地",
            **kwargs,
        )
        return held_on(session)

    def plan_special(self) -> Session:
        """A special-ability session at A (pass/fail, no level), after filing that scope."""
        self.a.filings.get().scopes.create(
            evaluation_type=EvaluationType.SPECIAL_ABILITY, occupation=self.electrician, levels=[]
        )
        session = services.session_plan(
            actor=self.admin_a,
            institution=self.a,
            evaluation_type=EvaluationType.SPECIAL_ABILITY,
            occupation=self.electrician,
            level=None,
            starts_on=ahead(),
            ends_on=ahead(),
            site="x",
        )
        return held_on(session)

    def staff(self, session: Session, assessors=3, invigilators=2):
        for assessor in self.assessors_a[:assessors]:
            services.session_staff_assign(actor=self.admin_a, session=session, assessor=assessor, role="assessor")
        for invigilator in self.invigilators_a[:invigilators]:
            services.session_staff_assign(actor=self.admin_a, session=session, assessor=invigilator, role="invigilator")


@pytest.fixture
def world(db) -> World:
    (electrician,) = load_occupations("6-31-01-03")
    centre = factories.CentreFactory()
    regulator = factories.member(centre, Role.REGULATOR)
    a, b = factories.InstitutionFactory(name="机构A"), factories.InstitutionFactory(name="机构B")
    for institution in (a, b):
        factories.ScopeFactory(filing__institution=institution, occupation=electrician, levels=[1, 2, 3, 4, 5])
    admin_a, admin_b = factories.member(a), factories.member(b)
    world = World(
        electrician=electrician,
        a=a,
        b=b,
        regulator=regulator,
        admin_a=admin_a,
        admin_b=admin_b,
        assessors_a=[factories.assessor(a) for _ in range(5)],
        invigilators_a=[factories.assessor(a, Assessor.Kind.INVIGILATOR) for _ in range(3)],
        internal_supervisor=factories.assessor(a, Assessor.Kind.INTERNAL_SUPERVISOR),
        external_supervisor=factories.assessor(centre, Assessor.Kind.EXTERNAL_SUPERVISOR),
        assessor_b=factories.assessor(b),
        session=None,
    )
    world.session = world.plan()
    return world


def worked(person, occupation, years: float, until=TODAY, apprenticeship=False, **fields):
    """A work record ending `until` (inclusive) exactly `years` long: whole years are calendar
    anniversaries (docs/domain.md), a fraction adds that share of 365 days. (It used to add a day,
    which hid that exactly N years were refused.)"""
    from certification.eligibility import add_years
    from registry.models import WorkExperience

    whole = int(years)
    started = add_years(until + datetime.timedelta(days=1), -whole) - datetime.timedelta(
        days=round((years - whole) * 365)
    )
    return WorkExperience.objects.create(
        person=person, occupation=occupation, started=started, ended=until, apprenticeship=apprenticeship, **fields
    )


def enrol(world: World, session=None, name="考生", years=2.0, **kwargs):
    """Enrol a new person who meets 五级 condition 5-1 (one year in the occupation)."""
    from registry.services import person_register

    number = factories.resident_id()
    person = person_register(document_type="resident_id", document_number=number, name=name)
    worked(person, world.electrician, years)
    return services.application_enrol(
        actor=world.admin_a, session=session or world.session, name=name, document_number=number, on=TODAY, **kwargs
    )


ISSUE_DAY = TODAY + datetime.timedelta(days=30)


def ready_session(world, n=3, session=None, failing=0):
    """A submitted session with `n` passed and `failing` failed candidates, publicity over."""
    session = session or world.session
    candidates = n + failing
    assessors = max(3, -(-candidates // 5))
    world.staff(session, assessors=assessors + (assessors % 2 == 0), invigilators=max(2, -(-candidates // 15)))
    for i in range(n + failing):
        application = enrol(world, session=session, name=f"考生{session.pk}-{i}")
        score = 80 if i < n else 40
        services.result_record(actor=world.assessors_a[0].user, application=application, theory=score, practical=80)
    services.session_submit(actor=world.admin_a, session=session)
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))
    session.refresh_from_db()
    return session


def issue(world, sessions, actor=None, day=None, capture=None):
    day = day or ISSUE_DAY
    with capture(execute=True):
        return issuance.batch_create(actor=actor or world.admin_a, sessions=sessions, issue_date=day)


@pytest.fixture
def run(world, django_capture_on_commit_callbacks):
    def _run(sessions, **kwargs):
        return issue(world, sessions, capture=django_capture_on_commit_callbacks, **kwargs)

    return _run
