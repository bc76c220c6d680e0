"""Regression tests for defects found in review: each would fail if the defect came back."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from certification import eligibility, throttle
from certification.models import Certificate, Session
from certification.services import certificates
from registry.errors import Forbidden
from registry.models import WorkExperience

from .conftest import ahead, ready_session

pytestmark = pytest.mark.django_db


def test_institution_cannot_revoke_a_certificate_the_regulator_issues(world, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    Certificate.objects.filter(pk=certificate.pk).update(evaluation_type="qualification")
    certificate.refresh_from_db()
    with pytest.raises(Forbidden):
        certificates.certificate_revoke(actor=world.admin_a, certificate=certificate, reason="x")
    certificates.certificate_revoke(actor=world.regulator, certificate=certificate, reason="监管撤销")
    certificate.refresh_from_db()
    assert certificate.is_revoked


def test_overlapping_work_records_count_their_common_time_once(world):
    from registry.services import person_register
    from tests import factories

    person = person_register(document_type="resident_id", document_number=factories.resident_id(), name="重叠")
    for started in (datetime.date(2020, 1, 1), datetime.date(2021, 1, 1)):
        WorkExperience.objects.create(person=person, occupation=world.electrician, started=started)
    WorkExperience.objects.create(
        person=person, occupation=world.electrician, started=datetime.date(2019, 1, 1), ended=datetime.date(2019, 7, 1)
    )
    facts = eligibility.person_facts(person, world.electrician.id, datetime.date(2024, 1, 1))
    # Updated: end dates are inclusive (docs/domain.md), so each span counts its last day.
    assert facts.work_days == (datetime.date(2024, 1, 1) - datetime.date(2020, 1, 1)).days + 1 + 182


def test_per_id_throttle_counts_spellings_of_one_number_together(world, settings):
    settings.VERIFY_RATE_LIMIT_PER_ID = (2, 3600)
    number = "11010519491231002X"
    spellings = [number, number.lower(), "110105 19491231 002x", "１１０１０５１９４９１２３１００２X"]
    allowed = []
    for spelling in spellings:
        # One client: the per-ID limit is per (ID number, client) so that no one locks out another.
        request = RequestFactory().post("/verify/", REMOTE_ADDR="10.1.0.1")
        allowed.append(throttle.verification_allowed(request, spelling))
    assert allowed == [True, True, False, False]


def test_client_address_is_the_hop_our_proxy_appended(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert throttle.client_ip(request) == "203.0.113.9"
    settings.TRUST_X_FORWARDED_FOR = False
    assert throttle.client_ip(request) == "10.0.0.1"


def test_filing_transition_with_a_bad_body_is_a_400(world):
    client = APIClient()
    client.force_authenticate(world.regulator)
    filing = world.a.filings.get()
    assert client.post(f"/api/filings/{filing.pk}/transition/", [], format="json").status_code == 400
    assert client.post(f"/api/filings/{filing.pk}/transition/", {"to_state": "nope"}, format="json").status_code == 400
    filing.refresh_from_db()
    assert filing.state == "filed"


def test_absurd_room_count_is_a_400(world):
    client = APIClient()
    client.force_authenticate(world.admin_a)
    response = client.post(
        "/api/sessions/",
        {
            "institution": world.a.pk,
            "evaluation_type": "skill_level",
            "occupation": world.electrician.pk,
            "level": 1,
            "starts_on": str(ahead()),
            "ends_on": str(ahead()),
            "site": "x",
            "rooms": 40000,
        },
        format="json",
    )
    assert response.status_code == 400 and "rooms" in response.json()
    assert Session.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content"), [("roster.xls", b"\xd0\xcf\x11\xe0"), ("empty.csv", b""), ("x.csv", b"a,a\n1,2\n")]
)
def test_unreadable_roster_upload_is_a_message_not_a_500(world, client, name, content):
    client.force_login(world.admin_a)
    response = client.post(
        reverse("web-roster-import", args=[world.session.pk]), {"file": SimpleUploadedFile(name, content)}, follow=True
    )
    assert response.status_code == 200
    assert response.context["messages"] and list(response.context["messages"])[0].level_tag == "error"
