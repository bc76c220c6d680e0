"""Issue 11: an institution admin plans, staffs, enrols one candidate, withdraws one and submits
from the browser, through the same services as the API, seeing the services' refusals."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessors.models import Relation
from certification import services
from certification.models import Application, Session, SessionStaff
from registry.levels import Level
from registry.models import Membership, Role, Specialty
from registry.services import person_register
from tests import factories

from .conftest import ahead, enrol, held_on, worked
from .test_pages import login

pytestmark = pytest.mark.django_db


def plan_option(world, institution=None, level=Level.GRADE_5):
    scope = (institution or world.a).filings.get().scopes.get()
    return f"{scope.pk}:{level}"


def plan_form(world, **overrides):
    data = {
        "scope": plan_option(world),
        "specialty": "",
        "starts_on": ahead(10).isoformat(),
        "ends_on": ahead(11).isoformat(),
        "site": "浦东新区 实训基地",
        "rooms": "2",
        "name": "十二月电工",
    }
    return data | overrides


def test_admin_plans_a_session_from_the_form(world, client):
    login(client, world.admin_a)
    assert reverse("web-session-new") in client.get(reverse("web-session-list")).content.decode()
    page = client.get(reverse("web-session-new")).content.decode()
    assert plan_option(world) in page
    assert plan_option(world, world.b) not in page  # only the admin's own institution's scopes
    response = client.post(reverse("web-session-new"), plan_form(world))
    session = Session.objects.exclude(pk=world.session.pk).get()
    assert response.status_code == 302 and response.url == reverse("web-session-detail", args=[session.pk])
    assert (session.institution, session.occupation, session.level) == (world.a, world.electrician, Level.GRADE_5)
    assert (session.starts_on, session.ends_on, session.rooms, session.name) == (ahead(10), ahead(11), 2, "十二月电工")
    assert session.scope == world.a.filings.get().scopes.get()


def test_plan_form_offers_only_filed_in_force_scope(world, client):
    filing = world.a.filings.get()
    filing.state = "suspended"
    filing.save(update_fields=["state"])
    login(client, world.admin_a)
    page = client.get(reverse("web-session-new")).content.decode()
    assert plan_option(world) not in page
    response = client.post(reverse("web-session-new"), plan_form(world))
    assert response.status_code == 400
    assert Session.objects.count() == 1


def test_refused_plan_shows_the_service_message_keeps_the_input_and_creates_nothing(world, client):
    login(client, world.admin_a)
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client.post(reverse("web-session-new"), plan_form(world, starts_on=yesterday, site="闵行 基地"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "已过" in body and "不能计划已开始的考核" in body
    assert "闵行 基地" in body  # the input is kept
    assert Session.objects.count() == 1


def test_plan_level_outside_the_scope_is_refused_with_its_message(world, client):
    scope = world.a.filings.get().scopes.get()
    scope.levels = [3, 4, 5]
    scope.save(update_fields=["levels"])
    login(client, world.admin_a)
    response = client.post(reverse("web-session-new"), plan_form(world, scope=f"{scope.pk}:1"))
    assert response.status_code == 400  # not offered: the form refuses it
    assert Session.objects.count() == 1


def test_another_institutions_admin_gets_404_on_the_session_pages(world, client):
    login(client, world.admin_b)
    pk = world.session.pk
    assert client.get(reverse("web-session-detail", args=[pk])).status_code == 404
    assert client.get(reverse("web-session-submit", args=[pk])).status_code == 404
    assignee = world.assessors_a[0]
    response = client.post(reverse("web-staff-assign", args=[pk]), {"assessor": assignee.pk, "role": "assessor"})
    assert response.status_code == 404
    response = client.post(
        reverse("web-enrol-one", args=[pk]),
        {"name": "张三", "document_type": "resident_id", "document_number": factories.resident_id()},
    )
    assert response.status_code == 404
    # B's admin cannot plan with A's scope either: the option is not offered and nothing is created
    response = client.post(reverse("web-session-new"), plan_form(world))
    assert response.status_code == 400 and Session.objects.count() == 1
    assert not SessionStaff.objects.exists() and not Application.objects.exists()


def test_staffing_from_the_page_shows_shortfalls_before_and_fewer_after(world, client):
    session = world.session
    login(client, world.admin_a)
    url = reverse("web-session-detail", args=[session.pk])
    before = client.get(url).context["shortfalls"]
    assert before
    for assessor in world.assessors_a[:3]:
        client.post(reverse("web-staff-assign", args=[session.pk]), {"assessor": assessor.pk, "role": "assessor"})
    assert SessionStaff.objects.filter(session=session, role="assessor").count() == 3
    after = client.get(url).context["shortfalls"]
    assert len(after) < len(before)
    for invigilator in world.invigilators_a[:2]:
        client.post(reverse("web-staff-assign", args=[session.pk]), {"assessor": invigilator.pk, "role": "invigilator"})
    body = client.get(url).content.decode()
    assert client.get(url).context["shortfalls"] == []
    assert world.invigilators_a[0].person.name in body


def test_staffing_recusal_refusal_shows_its_message(world, client):
    application = enrol(world, name="李四")
    assessor = world.assessors_a[0]
    Relation.objects.create(assessor=assessor, person=application.person, kind="relative")
    login(client, world.admin_a)
    response = client.post(
        reverse("web-staff-assign", args=[world.session.pk]), {"assessor": assessor.pk, "role": "assessor"}, follow=True
    )
    assert "须回避" in response.content.decode()
    assert not SessionStaff.objects.filter(session=world.session).exists()


def test_staffing_another_institutions_assessor_is_refused(world, client):
    login(client, world.admin_a)
    response = client.post(
        reverse("web-staff-assign", args=[world.session.pk]),
        {"assessor": world.assessor_b.pk, "role": "assessor"},
        follow=True,
    )
    assert "请选择要指派的人员" in response.content.decode()
    assert not SessionStaff.objects.exists()


def test_regulator_assigns_the_external_supervisor_from_the_page(world, client):
    login(client, world.regulator)
    response = client.post(
        reverse("web-staff-assign", args=[world.session.pk]),
        {"assessor": world.external_supervisor.pk, "role": "external_supervisor"},
    )
    assert response.status_code == 302
    assert SessionStaff.objects.get(session=world.session).role == "external_supervisor"


def test_admin_cannot_assign_the_external_supervisor(world, client):
    login(client, world.admin_a)
    client.post(
        reverse("web-staff-assign", args=[world.session.pk]),
        {"assessor": world.external_supervisor.pk, "role": "external_supervisor"},
    )
    assert not SessionStaff.objects.exists()


def enrol_data(number, name="王五"):
    return {"name": name, "document_type": "resident_id", "document_number": number}


def test_add_one_candidate_then_withdraw(world, client):
    session = held_on(world.session, ahead(), ahead())  # an upcoming session
    number = factories.resident_id()
    person = person_register(document_type="resident_id", document_number=number, name="王五")
    worked(person, world.electrician, 3, until=timezone.localdate())
    login(client, world.admin_a)
    response = client.post(reverse("web-enrol-one", args=[session.pk]), enrol_data(number))
    assert response.status_code == 302
    application = Application.objects.get(session=session)
    assert application.person == person and application.state == "enrolled"
    withdraw = reverse("web-application-withdraw", args=[session.pk, application.pk])
    response = client.post(withdraw, {"reason": ""}, follow=True)
    assert "请填写撤回理由" in response.content.decode()
    application.refresh_from_db()
    assert application.state == "enrolled"
    client.post(withdraw, {"reason": "本人放弃"})
    application.refresh_from_db()
    assert application.state == "withdrawn" and application.decision_note == "本人放弃"


def test_refused_enrolment_does_not_echo_the_document_number(world, client):
    number = factories.resident_id()  # a person with no work history meets no condition
    login(client, world.admin_a)
    response = client.post(reverse("web-enrol-one", args=[world.session.pk]), enrol_data(number, name="赵六"))
    body = response.content.decode()
    assert response.status_code == 400
    assert number not in body and number not in response.get("Location", "")
    assert "赵六" in body  # the name is kept
    assert not Application.objects.exists()


def test_submit_goes_through_a_confirmation_saying_what_locks(world, client):
    login(client, world.admin_a)
    detail = client.get(reverse("web-session-detail", args=[world.session.pk])).content.decode()
    confirm = reverse("web-session-submit", args=[world.session.pk])
    assert f'href="{confirm}"' in detail
    world.staff(world.session)
    application = enrol(world)
    services.result_record(actor=world.assessors_a[0].user, application=application, theory=80, practical=80)
    page = client.get(confirm)
    body = page.content.decode()
    assert page.status_code == 200
    assert "成绩锁定" in body and "名单锁定" in body and "公示" in body
    world.session.refresh_from_db()
    assert world.session.state == "planned"  # GET changes nothing
    client.post(confirm)
    world.session.refresh_from_db()
    assert world.session.state == "submitted" and world.session.publicity_ends_on


def test_admin_of_two_institutions_picks_which_one_plans(world, client):
    Membership.objects.create(user=world.admin_a, institution=world.b, role=Role.INSTITUTION_ADMIN)
    login(client, world.admin_a)
    page = client.get(reverse("web-session-new")).content.decode()
    assert plan_option(world) in page and plan_option(world, world.b) in page
    response = client.post(reverse("web-session-new"), plan_form(world, scope=plan_option(world, world.b)))
    assert response.status_code == 302
    assert Session.objects.exclude(pk=world.session.pk).get().institution == world.b


def test_plan_page_is_not_found_for_a_non_admin(world, client):
    login(client, world.assessors_a[0].user)
    assert client.get(reverse("web-session-new")).status_code == 404
    assert client.post(reverse("web-session-new"), plan_form(world)).status_code == 404
    assert reverse("web-session-new") not in client.get(reverse("web-session-list")).content.decode()
    assert Session.objects.count() == 1


def test_plan_with_a_specialty_of_the_occupation(world, client):
    specialty = Specialty.objects.create(occupation=world.electrician, name="维修电工测试", levels=[])
    login(client, world.admin_a)
    assert "维修电工测试" in client.get(reverse("web-session-new")).content.decode()
    response = client.post(reverse("web-session-new"), plan_form(world, specialty=str(specialty.pk)))
    assert response.status_code == 302
    assert Session.objects.exclude(pk=world.session.pk).get().specialty == specialty
