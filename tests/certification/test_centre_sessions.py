"""The regulator's centre runs its own qualification and special-ability sessions (docs/domain.md,
"Who issues what"): its regulator members act as its admins for its own sessions only, it
accredits its own assessors, and it numbers its certificates with its own site code."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from assessors.models import Assessor
from certification import selectors, services
from certification.models import Application, Certificate, IssuanceBatch, Session, SessionStaff
from certification.services import issuance
from registry.errors import DomainError, Forbidden
from registry.levels import EvaluationType, Level, level_digit
from registry.models import Institution
from registry.services import person_register
from tests import factories

from .conftest import ISSUE_DAY, TODAY, ahead, held_on, worked

pytestmark = pytest.mark.django_db

CENTRE_SITE = "000900"


@pytest.fixture
def centre(world) -> Institution:
    centre = world.regulator.memberships.get().institution
    Institution.objects.filter(pk=centre.pk).update(site_code=CENTRE_SITE)
    centre.refresh_from_db()
    # The catalogue file states no qualification flag (no source confirms one): the regulator sets it.
    world.electrician.in_qualification_catalogue = True
    world.electrician.save(update_fields=["in_qualification_catalogue"])
    return centre


def centre_staff(centre: Institution) -> dict[str, list[Assessor]]:
    return {
        "assessor": [factories.assessor(centre) for _ in range(3)],
        "invigilator": [factories.assessor(centre, Assessor.Kind.INVIGILATOR) for _ in range(2)],
        "internal_supervisor": [factories.assessor(centre, Assessor.Kind.INTERNAL_SUPERVISOR)],
    }


def plan_centre_session(world, centre, evaluation_type=EvaluationType.QUALIFICATION, level=Level.GRADE_5) -> Session:
    session = services.session_plan(
        actor=world.regulator,
        institution=centre,
        evaluation_type=evaluation_type,
        occupation=world.electrician,
        level=level,
        starts_on=ahead(),
        ends_on=ahead(),
        site="鉴定中心考点",
    )
    return session


def enrol_at(world, session, name: str) -> Application:
    number = factories.resident_id()
    person = person_register(document_type="resident_id", document_number=number, name=name)
    worked(person, world.electrician, 2.0)  # 五级 condition: a year in the occupation
    return services.application_enrol(
        actor=world.regulator, session=session, name=name, document_number=number, on=TODAY
    )


def staff_centre_session(world, session, staff) -> None:
    for role, people in staff.items():
        for assessor in people:
            services.session_staff_assign(actor=world.regulator, session=session, assessor=assessor, role=role)


def score(session, staff, application) -> None:
    if session.evaluation_type == EvaluationType.SPECIAL_ABILITY:
        services.result_record(actor=staff["assessor"][0].user, application=application, special_passed=True)
    else:
        services.result_record(actor=staff["assessor"][0].user, application=application, theory=80, practical=85)


# --- who is the centre's admin ---


def test_the_centres_regulators_are_admins_of_the_centre_and_of_no_other_institution(world, centre):
    assert selectors.is_admin_of(world.regulator, centre.pk)
    assert not selectors.is_admin_of(world.regulator, world.a.pk)
    assert not selectors.is_admin_of(world.regulator, world.b.pk)
    # A regulator of another centre is not this centre's admin, nor are institution admins.
    assert not selectors.is_admin_of(factories.regulator(), centre.pk)
    assert not selectors.is_admin_of(world.admin_a, centre.pk)
    # Only a REGULATOR membership of a CENTRE counts (a membership bypassing its clean() does not).
    stray = factories.member(world.a, "regulator")
    assert not selectors.is_admin_of(stray, world.a.pk)


def test_a_regulator_still_cannot_enrol_staff_or_submit_for_institution_a(world, centre):
    session = world.session
    number = factories.resident_id()
    person_register(document_type="resident_id", document_number=number, name="甲")
    with pytest.raises(Forbidden):
        services.application_enrol(actor=world.regulator, session=session, name="甲", document_number=number, on=TODAY)
    with pytest.raises(Forbidden):
        services.session_staff_assign(
            actor=world.regulator, session=session, assessor=world.assessors_a[0], role="assessor"
        )
    with pytest.raises(Forbidden):
        services.session_submit(actor=world.regulator, session=session)
    session.refresh_from_db()
    assert session.state == Session.State.PLANNED
    assert not session.applications.exists() and not session.staff.exists()
    # What the regulator already did there stays: it names the external supervisor.
    services.session_staff_assign(
        actor=world.regulator, session=session, assessor=world.external_supervisor, role="external_supervisor"
    )


def test_institution_admins_cannot_run_the_centres_session(world, centre):
    session = plan_centre_session(world, centre)
    own = factories.assessor(centre)
    number = factories.resident_id()
    person_register(document_type="resident_id", document_number=number, name="乙")
    with pytest.raises(Forbidden):
        services.application_enrol(actor=world.admin_a, session=session, name="乙", document_number=number, on=TODAY)
    with pytest.raises(Forbidden):
        services.session_staff_assign(actor=world.admin_a, session=session, assessor=own, role="assessor")
    with pytest.raises(Forbidden):
        services.session_submit(actor=world.admin_a, session=session)
    assert not session.applications.exists() and not session.staff.exists()


# --- what the centre may plan (sessions._centre_may_plan) ---


def test_only_the_centres_regulators_plan_its_sessions(world, centre):
    """An institution's admin, and a regulator who is not the centre's member, cannot plan for it."""
    outsider = factories.regulator()
    for actor in (world.admin_a, outsider):
        with pytest.raises(Forbidden):
            services.session_plan(
                actor=actor,
                institution=centre,
                evaluation_type=EvaluationType.QUALIFICATION,
                occupation=world.electrician,
                level=Level.GRADE_5,
                starts_on=ahead(),
                ends_on=ahead(),
                site="鉴定中心考点",
            )
    assert not Session.objects.filter(institution=centre).exists()


def test_the_centre_plans_no_skill_level_session(world, centre):
    """Skill-level certificates are the filed institutions' to issue: the centre runs only the
    evaluation types the regulator issues."""
    with pytest.raises(DomainError) as caught:
        plan_centre_session(world, centre, evaluation_type=EvaluationType.SKILL_LEVEL)
    assert "evaluation_type" in caught.value.message_dict
    assert plan_centre_session(world, centre, evaluation_type=EvaluationType.SPECIAL_ABILITY, level=None).pk
    assert list(Session.objects.filter(institution=centre).values_list("evaluation_type", flat=True)) == [
        EvaluationType.SPECIAL_ABILITY
    ]


def test_the_centre_plans_a_qualification_only_in_the_national_catalogue(world, centre):
    world.electrician.in_qualification_catalogue = False
    world.electrician.save(update_fields=["in_qualification_catalogue"])
    with pytest.raises(DomainError) as caught:
        plan_centre_session(world, centre)
    assert "未列入国家职业资格目录" in caught.value.message_dict["occupation"][0]
    assert not Session.objects.filter(institution=centre).exists()


# --- the centre accredits its own staff ---


@pytest.mark.parametrize("kind", ["assessor", "invigilator", "internal_supervisor", "external_supervisor"])
def test_the_centre_accredits_its_own_assessors_invigilators_and_supervisors(world, centre, kind):
    assessor = Assessor(
        user=factories.UserFactory(),
        person=factories.person(name="中心考评员"),
        institution=centre,
        kind=kind,
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2028, 12, 31),
    )
    assessor.full_clean()  # no ValidationError


def test_an_institution_still_accredits_no_external_supervisor(world):
    assessor = Assessor(
        user=factories.UserFactory(),
        person=factories.person(name="外督"),
        institution=world.a,
        kind=Assessor.Kind.EXTERNAL_SUPERVISOR,
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2028, 12, 31),
    )
    with pytest.raises(ValidationError) as caught:
        assessor.full_clean()
    assert "institution" in caught.value.message_dict


def test_the_centre_staffs_its_session_only_with_its_own_people(world, centre):
    session = plan_centre_session(world, centre)
    with pytest.raises(DomainError) as caught:
        services.session_staff_assign(
            actor=world.regulator, session=session, assessor=world.assessors_a[0], role="assessor"
        )
    assert "本机构" in str(caught.value)
    assert not session.staff.exists()


# --- the whole journey ---


@pytest.mark.parametrize(
    ("evaluation_type", "level", "letter"),
    [(EvaluationType.QUALIFICATION, Level.GRADE_5, "Z"), (EvaluationType.SPECIAL_ABILITY, None, "T")],
)
def test_the_centre_runs_its_own_session_from_planning_to_certificates(
    world, centre, django_capture_on_commit_callbacks, evaluation_type, level, letter
):
    staff = centre_staff(centre)
    session = plan_centre_session(world, centre, evaluation_type=evaluation_type, level=level)
    applications = [enrol_at(world, session, f"中心考生{i}") for i in range(3)]
    assert {a.state for a in applications} == {Application.State.ENROLLED}
    if level is not None:  # eligibility: the occupation's standard, as for skill-level sessions
        assert {a.condition.code for a in applications} == {"5-1"}
        number = factories.resident_id()
        person_register(document_type="resident_id", document_number=number, name="无工作经历")
        with pytest.raises(DomainError):
            services.application_enrol(
                actor=world.regulator, session=session, name="无工作经历", document_number=number, on=TODAY
            )
        assert session.applications.count() == 3
    staff_centre_session(world, session, staff)
    session = held_on(session)  # the session took place on TODAY
    for application in applications:
        score(session, staff, application)
    services.session_submit(actor=world.regulator, session=session)
    session.refresh_from_db()
    assert session.state == Session.State.SUBMITTED and session.submitted_by == world.regulator
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        batch = issuance.batch_create(actor=world.regulator, sessions=[session], issue_date=ISSUE_DAY)
    batch.refresh_from_db()
    assert batch.institution == centre and batch.state == IssuanceBatch.State.DONE
    certificates = list(Certificate.objects.filter(batch=batch).order_by("number"))
    assert len(certificates) == 3
    digit = "0" if level is None else str(level_digit(level))  # 五级 is 5
    prefix = f"{letter}0000{centre_prefix_province()}{CENTRE_SITE}{ISSUE_DAY.year % 100:02d}"
    for serial, certificate in enumerate(certificates, start=1):
        assert certificate.number == f"{prefix}{digit}{serial:06d}"
        assert certificate.institution == centre
        document = json.loads(certificate.credential)
        assert document["issuer"]["name"] == centre.name
        assert document["issuer"]["id"].endswith(f"/issuers/{centre.credit_code}")
        assert "source" not in document["credentialSubject"]  # the centre assessed and issued
    # Nothing leaked into institution A's world.
    assert not Certificate.objects.filter(institution=world.a).exists()


def centre_prefix_province() -> str:
    from django.conf import settings

    return settings.PROVINCE_CODE


def test_a_centre_without_a_site_code_is_told_so_at_issuance(world, centre, django_capture_on_commit_callbacks):
    staff = centre_staff(centre)
    session = plan_centre_session(world, centre)
    application = enrol_at(world, session, "中心考生")
    staff_centre_session(world, session, staff)
    session = held_on(session)
    score(session, staff, application)
    services.session_submit(actor=world.regulator, session=session)
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))
    Institution.objects.filter(pk=centre.pk).update(site_code=None)
    with pytest.raises(DomainError) as caught:
        with django_capture_on_commit_callbacks(execute=True):
            issuance.batch_create(actor=world.regulator, sessions=[session], issue_date=ISSUE_DAY)
    message = " ".join(caught.value.messages)
    assert centre.name in message and "站点序列码" in message
    assert not IssuanceBatch.objects.exists() and not Certificate.objects.exists()
    session.refresh_from_db()
    assert session.batch_id is None


# --- the API and the pages ---


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_centres_regulator_staffs_and_issues_its_session_through_the_api(
    world, centre, django_capture_on_commit_callbacks
):
    staff = centre_staff(centre)
    session = plan_centre_session(world, centre)
    regulator, admin_a = client_for(world.regulator), client_for(world.admin_a)
    url = f"/api/sessions/{session.pk}/staff/"
    own = staff["assessor"][0]
    # An institution admin neither sees nor staffs the centre's session; the regulator staffs it.
    assert admin_a.post(url, {"assessor": own.pk, "role": "assessor"}, format="json").status_code == 404
    assert not session.staff.exists()
    response = regulator.post(url, {"assessor": own.pk, "role": "assessor"}, format="json")
    assert response.status_code == 201, response.content
    assert SessionStaff.objects.filter(session=session, assessor=own, role="assessor").exists()
    # Institution A's assessor: a 400 naming the field, nothing written.
    response = regulator.post(url, {"assessor": world.assessors_a[0].pk, "role": "assessor"}, format="json")
    assert response.status_code == 400 and "assessor" in response.json()
    # The regulator stays no admin of institution A through the API either.
    response = regulator.post(
        f"/api/sessions/{world.session.pk}/staff/", {"assessor": world.assessors_a[0].pk, "role": "assessor"}
    )
    assert response.status_code == 403
    assert not world.session.staff.exists()

    application = enrol_at(world, session, "中心考生")
    staff_centre_session(world, session, {"assessor": staff["assessor"][1:], "invigilator": staff["invigilator"]})
    session = held_on(session)
    score(session, staff, application)
    services.session_submit(actor=world.regulator, session=session)
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))
    body = {"sessions": [session.pk], "issue_date": str(ISSUE_DAY)}
    assert admin_a.post("/api/batches/", body, format="json").status_code == 404
    assert not IssuanceBatch.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = regulator.post("/api/batches/", body, format="json")
    assert response.status_code == 201, response.content
    certificate = Certificate.objects.get(result__application=application)
    assert certificate.number.startswith(f"Z0000{centre_prefix_province()}{CENTRE_SITE}")


def test_institution_admins_still_get_403_issuing_a_qualification_session(world, centre):
    """An institution's own qualification session is the regulator's to issue (unchanged)."""
    world.a.filings.get().scopes.create(
        evaluation_type=EvaluationType.QUALIFICATION, occupation=world.electrician, levels=[Level.GRADE_5]
    )
    session = held_on(
        services.session_plan(
            actor=world.admin_a,
            institution=world.a,
            evaluation_type=EvaluationType.QUALIFICATION,
            occupation=world.electrician,
            level=Level.GRADE_5,
            starts_on=ahead(),
            ends_on=ahead(),
            site="x",
        )
    )
    response = client_for(world.admin_a).post(
        "/api/batches/", {"sessions": [session.pk], "issue_date": str(ISSUE_DAY)}, format="json"
    )
    assert response.status_code == 403
    assert not IssuanceBatch.objects.exists()


def test_the_centres_session_shows_the_admin_actions_to_its_regulator(world, centre, client):
    session = plan_centre_session(world, centre)
    client.force_login(world.regulator)
    listing = client.get("/institution/").content.decode()
    assert f"/institution/sessions/{session.pk}/" in listing
    page = client.get(f"/institution/sessions/{session.pk}/").content.decode()
    assert f"/institution/sessions/{session.pk}/roster/" in page
    assert f"/institution/sessions/{session.pk}/submit/" in page
    Session.objects.filter(pk=session.pk).update(state=Session.State.SUBMITTED)  # only the page is under test
    page = client.get(f"/institution/sessions/{session.pk}/").content.decode()
    assert f"/institution/sessions/{session.pk}/issue/" in page
    # Institution A's session: the regulator sees it but gets no admin actions there.
    other = client.get(f"/institution/sessions/{world.session.pk}/").content.decode()
    assert f"/institution/sessions/{world.session.pk}/roster/" not in other
    assert f"/institution/sessions/{world.session.pk}/submit/" not in other


def test_the_centres_regulator_imports_a_roster_into_its_session_on_the_page(world, centre, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_imports import HEADERS, csv_file, eligible

    session = plan_centre_session(world, centre)
    client.force_login(world.regulator)
    upload = SimpleUploadedFile("名单.csv", csv_file(HEADERS, eligible(2, prefix="中心考生")))
    response = client.post(f"/institution/sessions/{session.pk}/roster/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert session.applications.filter(state=Application.State.ENROLLED).count() == 2
    # The same upload into institution A's session is refused and writes nothing.
    upload = SimpleUploadedFile("名单.csv", csv_file(HEADERS, eligible(2, prefix="甲考生")))
    response = client.post(f"/institution/sessions/{world.session.pk}/roster/", {"file": upload}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not world.session.applications.exists()
