import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from certification import services
from certification.models import Application, Result
from tests import factories

from .conftest import TODAY, enrol

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def grow(world, n):
    """n more sessions, each with a scored candidate, an exceptional pending one and a finding."""
    if not world.session.staff.filter(role="internal_supervisor").exists():
        services.session_staff_assign(
            actor=world.admin_a, session=world.session, assessor=world.internal_supervisor, role="internal_supervisor"
        )
    start = world.a.sessions.count()
    for i in range(start, start + n):
        session = world.plan(name=f"批次{i}")
        world.staff(session, assessors=1, invigilators=0)
        application = enrol(world, session=session, name=f"考生{i}")
        services.result_record(actor=world.assessors_a[0].user, application=application, theory=70, practical=70)
        services.application_enrol(
            actor=world.admin_a,
            session=session,
            name=f"破格{i}",
            document_number=factories.resident_id(),
            pathway="exceptional",
            reason="r",
            evidence="e",
            on=TODAY,
        )
        services.finding_open(actor=world.internal_supervisor.user, session=world.session, text=f"问题{i}")


LIST_URLS = [
    "/api/sessions/",
    "/api/applications/",
    "/api/results/",
    "/api/findings/",
    "/api/occupations/",
    "/api/institutions/",
    "/api/filings/",
]


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.parametrize("role", ["regulator", "admin_a"])
def test_list_endpoints_run_a_constant_number_of_queries(world, url, role, django_assert_max_num_queries):
    user = world.regulator if role == "regulator" else world.admin_a
    grow(world, 1)
    client = client_for(user)
    client.get(url)  # warm up per-process caches (content types, …)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(world, 8)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.json()["count"] >= 1
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
    with django_assert_max_num_queries(8):
        client.get(url)


def test_bad_id_number_is_a_400_with_the_field_and_changes_nothing(world):
    response = client_for(world.admin_a).post(
        "/api/applications/",
        {"session": world.session.pk, "name": "坏号", "document_number": "110105194912310021"},
        format="json",
    )
    assert response.status_code == 400
    assert "校验位" in response.json()["document_number"][0]
    assert "110105194912310021" not in response.content.decode()
    assert not Application.objects.exists()


def test_ineligible_application_lists_the_missed_conditions(world):
    number = factories.resident_id()
    response = client_for(world.admin_a).post(
        "/api/applications/", {"session": world.session.pk, "name": "新人", "document_number": number}, format="json"
    )
    assert response.status_code == 400
    assert "5-1" in response.json()["condition"][0]


def test_bulk_errors_name_each_row(world):
    rows = [{"name": "甲", "document_number": "123"}, {"name": "", "document_number": factories.resident_id()}]
    response = client_for(world.admin_a).post(
        "/api/applications/bulk/", {"session": world.session.pk, "rows": rows}, format="json"
    )
    assert response.status_code == 400
    messages = response.json()["rows"]
    assert messages[0].startswith("第 1 行") and messages[1].startswith("第 2 行")


@pytest.mark.parametrize("payload", [{"theory": 101}, {"theory": -5}, {"practical": "x"}, {"review": 80}])
def test_bad_scores_are_a_400_and_change_nothing(world, payload):
    world.staff(world.session)
    application = enrol(world)
    response = client_for(world.assessors_a[0].user).patch(
        f"/api/results/{application.result.pk}/", payload, format="json"
    )
    assert response.status_code == 400
    assert Result.objects.get(pk=application.result.pk).theory is None


def test_outcome_cannot_be_typed(world):
    world.staff(world.session)
    application = enrol(world)
    client = client_for(world.assessors_a[0].user)
    response = client.patch(
        f"/api/results/{application.result.pk}/", {"theory": 10, "practical": 10, "outcome": "passed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "failed"


def test_session_detail_shows_staffing_shortfalls_and_hold(world):
    enrol(world)
    body = client_for(world.admin_a).get(f"/api/sessions/{world.session.pk}/").json()
    assert body["staffing_shortfalls"] and body["held"] is False


def test_list_filters(world):
    grow(world, 2)
    client = client_for(world.regulator)
    assert client.get("/api/sessions/", {"state": "submitted"}).json()["count"] == 0
    assert client.get("/api/sessions/", {"occupation_code": "6-31-01-03", "level": 1}).json()["count"] == 3
    assert client.get("/api/applications/", {"pathway": "exceptional"}).json()["count"] == 2
    assert client.get("/api/applications/", {"state": "enrolled", "institution": world.a.pk}).json()["count"] == 2
    assert client.get("/api/results/", {"outcome": "passed"}).json()["count"] == 2
    assert client.get("/api/findings/", {"open": True}).json()["count"] == 2
    assert client.get("/api/sessions/", {"starts_after": "2030-01-01"}).json()["count"] == 0
    assert client.get("/api/sessions/", {"level": 9}).status_code == 400


def test_openapi_schema_generates_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_interactive_docs_are_served_without_a_cdn(client):
    body = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in body and "cdn" not in body.lower()
    assert client.get("/api/schema/").status_code == 200
