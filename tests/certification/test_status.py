"""An application's status follows the process: enrolled → passed / failed → certified
(→ revoked), on the roster page, in the API and on the worker's record (issue 9)."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from certification import services
from certification.models import Application, Certificate
from certification.services import certificates as certificate_services
from tests import factories

from .conftest import enrol, ready_session

pytestmark = pytest.mark.django_db


def statuses(session) -> dict[str, str]:
    applications = Application.objects.filter(session=session).select_related("person", "result__certificate")
    return {a.person.name: a.status for a in applications}


def test_status_follows_scoring_and_issuance(world, run):
    later = world.plan(name="下一批")
    waiting = enrol(world, session=later, name="待评")
    withdrawn = enrol(world, session=later, name="撤回")
    services.application_withdraw(actor=world.admin_a, application=withdrawn, reason="本人申请")
    assert statuses(later) == {"待评": Application.Status.ENROLLED, "撤回": Application.Status.WITHDRAWN}
    assert waiting.get_status_display() == "已报名"
    session = ready_session(world, n=1, failing=1)
    assert sorted(statuses(session).values()) == ["failed", "passed"]
    run([session])
    assert sorted(statuses(session).values()) == ["certified", "failed"]
    certificate = Certificate.objects.get()
    certificate_services.certificate_revoke(actor=world.regulator, certificate=certificate, reason="伪造材料")
    assert sorted(statuses(session).values()) == ["failed", "revoked"]


def test_roster_page_shows_certified_not_enrolled(world, run, client):
    session = ready_session(world, n=2)
    run([session])
    client.force_login(world.admin_a)
    body = client.get(reverse("web-session-detail", args=[session.pk])).content.decode()
    roster = re.search(r'<table id="roster">.*?</table>', body, re.S).group(0)
    assert roster.count("已发证") == 2 and "已报名" not in roster


def test_api_answers_the_status_without_a_query_per_row(world, run, django_assert_max_num_queries):
    session = ready_session(world, n=4, failing=1)
    run([session])
    client = APIClient()
    client.force_authenticate(world.admin_a)
    with django_assert_max_num_queries(8):
        body = client.get("/api/applications/", {"session": session.pk}).json()
    assert sorted(a["status"] for a in body["results"]) == ["certified"] * 4 + ["failed"]
    assert {a["status_display"] for a in body["results"]} == {"已发证", "不合格"}


def test_worker_record_shows_certified(world, run, client):
    session = ready_session(world, n=1)
    run([session])
    person = Certificate.objects.get().person
    person.user = factories.UserFactory()
    person.save()
    client.force_login(person.user)
    body = client.get(reverse("my-record")).content.decode()
    assert "已发证" in body and "已报名" not in body
