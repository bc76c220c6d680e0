"""No existence oracles (issue 10): an id of another institution's assessor, session, batch or
institution gets exactly the answer of an id that does not exist (same status, same body), on
every endpoint that takes one, so nobody can map another tenant's objects by trying ids."""

import pytest
from rest_framework.test import APIClient

from certification.models import BatchArchive, IssuanceBatch, Session
from registry.models import Institution

from .conftest import TODAY

pytestmark = pytest.mark.django_db
MISSING = 987_654


@pytest.fixture
def tenants(world):
    """B's objects as admin A would try them."""
    session_b = world.plan(institution=world.b, admin=world.admin_b)
    batch_b = IssuanceBatch.objects.create(institution=world.b, issue_date=TODAY, created_by=world.admin_b)
    archive_b = BatchArchive.objects.create(batch=batch_b)
    client = APIClient()
    client.force_authenticate(world.admin_a)
    return world, client, {"session": session_b, "batch": batch_b, "archive": archive_b}


def answer(response, object_id):
    """Status and body, with the id asked about replaced (a message may repeat it)."""
    body = response.content.decode().replace(str(object_id), "<id>")
    return response.status_code, body


def assert_same_answer(request, other_id):
    assert other_id != MISSING
    other, missing = answer(request(other_id), other_id), answer(request(MISSING), MISSING)
    assert other == missing
    return other


def test_staffing_with_another_institutions_assessor_is_answered_as_a_missing_assessor(tenants):
    world, client, _ = tenants
    url = f"/api/sessions/{world.session.pk}/staff/"
    for role, assessor in [("assessor", world.assessor_b), ("external_supervisor", world.external_supervisor)]:
        status, _body = assert_same_answer(
            lambda pk, role=role: client.post(url, {"assessor": pk, "role": role}, format="json"), assessor.pk
        )
        assert status == 404
    assert not world.session.staff.exists()


def test_posting_with_another_institutions_session_is_answered_as_a_missing_session(tenants):
    world, client, objects = tenants
    person = {"name": "张三", "document_number": "11010519491231002X"}
    requests = {
        "/api/applications/": lambda pk: {"session": pk, **person},
        "/api/applications/bulk/": lambda pk: {"session": pk, "rows": [person]},
        "/api/findings/": lambda pk: {"session": pk, "text": "现场有人替考"},
        "/api/batches/": lambda pk: {"sessions": [pk]},
    }
    for url, payload in requests.items():
        status, _body = assert_same_answer(
            lambda pk, url=url, payload=payload: client.post(url, payload(pk), format="json"), objects["session"].pk
        )
        assert status == 404, url
    assert not objects["session"].applications.exists() and not objects["session"].findings.exists()
    assert Session.objects.get(pk=objects["session"].pk).batch_id is None


def test_planning_for_another_institution_is_answered_as_a_missing_institution(tenants):
    world, client, _ = tenants
    payload = {
        "evaluation_type": "skill_level",
        "occupation": world.electrician.pk,
        "level": 5,
        "starts_on": TODAY.isoformat(),
        "ends_on": TODAY.isoformat(),
        "site": "某地",
    }
    before = Session.objects.count()
    status, _ = assert_same_answer(
        lambda pk: client.post("/api/sessions/", {**payload, "institution": pk}, format="json"), world.b.pk
    )
    assert status == 404 and Session.objects.count() == before


def test_filters_answer_another_institutions_id_as_an_unknown_id(tenants):
    world, client, objects = tenants
    cases = [
        ("/api/applications/", "session", objects["session"].pk),
        ("/api/results/", "session", objects["session"].pk),
        ("/api/findings/", "session", objects["session"].pk),
        ("/api/sessions/", "institution", world.b.pk),
        ("/api/applications/", "institution", world.b.pk),
        ("/api/results/", "institution", world.b.pk),
        ("/api/findings/", "institution", world.b.pk),
        ("/api/batches/", "institution", world.b.pk),
        ("/api/certificates/", "institution", world.b.pk),
        ("/api/certificates/", "batch", objects["batch"].pk),
        ("/api/filings/", "institution", world.b.pk),
    ]
    for url, name, other_id in cases:
        status, body = assert_same_answer(lambda pk, url=url, name=name: client.get(url, {name: pk}), other_id)
        assert status == 200 and '"count":0' in body, (url, name)
    assert Institution.objects.filter(pk=world.b.pk).exists()


def test_details_of_another_institutions_objects_are_answered_as_missing(tenants):
    world, client, objects = tenants
    batch, archive = objects["batch"], objects["archive"]
    cases = [
        (lambda pk: client.get(f"/api/sessions/{pk}/"), objects["session"].pk),
        (lambda pk: client.post(f"/api/sessions/{pk}/submit/"), objects["session"].pk),
        (lambda pk: client.get(f"/api/batches/{pk}/"), batch.pk),
        (lambda pk: client.post(f"/api/batches/{pk}/archive/"), batch.pk),
        (lambda pk: client.get(f"/api/batches/{pk}/archives/{archive.pk}/"), batch.pk),
        (lambda pk: client.get(f"/api/institutions/{pk}/"), world.b.pk),
    ]
    for request, other_id in cases:
        status, _body = assert_same_answer(request, other_id)
        assert status == 404
