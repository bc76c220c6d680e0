"""Past one machine (issue 13): verification reads on a read replica, writes never there; the
status list and the public key cacheable by a CDN; a revoked certificate never shown valid,
whatever was cached before the revocation."""

import pytest
from django.db import connections, router
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from certification.models import Certificate
from certification.services import certificates
from registry import routers
from registry.routers import REPLICA, replica_reads

from .conftest import ready_session


@pytest.fixture
def issued(world, run):
    run([ready_session(world, n=2)])
    return world, list(Certificate.objects.select_related("person").order_by("number"))


@pytest.fixture
def replica(transactional_db, postgres, monkeypatch):
    """A second alias on the same database, as DATABASE_REPLICA_URL makes one, but read-only
    at the server: a write sent there would fail instead of passing unnoticed. (Made by hand
    rather than in settings, which the test case would refuse as an undeclared database.)"""
    default = connections["default"].settings_dict
    options = {**default.get("OPTIONS", {}), "options": "-c default_transaction_read_only=on"}
    wrapper = load_backend(default["ENGINE"]).DatabaseWrapper({**default, "OPTIONS": options}, alias=REPLICA)
    connections[REPLICA] = wrapper
    monkeypatch.setattr(routers, "replica_configured", lambda: True)
    yield wrapper
    wrapper.close()
    del connections[REPLICA]


def verify(**data):
    return APIClient().post("/api/verify/", data, format="json")


def certificate_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "certification_certificate" in q["sql"]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_verification_reads_go_to_the_replica_and_writes_never_do(issued, replica):
    world, (certificate, other) = issued
    person = certificate.person
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_default:
        by_code = verify(code=certificate.verification_code).json()
        by_form = verify(name=person.name, document_number=person.document_number, number=certificate.number).json()
    assert by_code["found"] and by_code["signature_valid"] and by_form["number"] == certificate.number
    assert len(certificate_queries(on_replica)) == 2
    assert certificate_queries(on_default) == []

    # Writes go to the primary, even for an instance read through the replica.
    with replica_reads():
        loaded = Certificate.objects.get(pk=other.pk)
    assert loaded._state.db == REPLICA
    assert router.db_for_write(Certificate, instance=loaded) == "default"
    certificates.certificate_revoke(actor=world.regulator, certificate=loaded, reason="伪造材料")
    assert Certificate.objects.get(pk=other.pk).revoked_at is not None
    assert verify(code=other.verification_code).json()["status"] == "revoked"
    # Outside verification nothing reads from the replica, and nothing migrates there.
    assert router.db_for_read(Certificate) == "default"
    assert not router.allow_migrate(REPLICA, "certification")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_unknown_verdict_is_checked_on_the_primary_and_kept(issued, replica):
    """A verdict reset by a change of the signed columns is checked once (reading and writing the
    primary) and kept; the replica is only read."""
    _world, (certificate, _other) = issued
    tampered = certificate.credential.replace("五级/初级工", "一级/高级技师")
    assert tampered != certificate.credential
    Certificate.objects.filter(pk=certificate.pk).update(credential=tampered)
    assert Certificate.objects.get(pk=certificate.pk).signature_valid is None  # the trigger reset it
    assert verify(code=certificate.verification_code).json()["signature_valid"] is False
    assert Certificate.objects.get(pk=certificate.pk).signature_valid is False
    Certificate.objects.filter(pk=certificate.pk).update(credential=certificate.credential)
    assert verify(code=certificate.verification_code).json()["signature_valid"] is True
    assert Certificate.objects.get(pk=certificate.pk).signature_valid is True


def test_issuance_keeps_the_verdict_and_a_change_of_what_was_signed_resets_it(issued):
    _world, (certificate, other) = issued
    assert certificate.signature_valid is True and other.signature_valid is True
    Certificate.objects.filter(pk=certificate.pk).update(revocation_reason="")  # nothing signed changes
    assert Certificate.objects.get(pk=certificate.pk).signature_valid is True
    person = other.person
    person.name = "改名后"
    person.save(update_fields=["name"])
    assert Certificate.objects.get(pk=other.pk).signature_valid is None
    assert Certificate.objects.get(pk=certificate.pk).signature_valid is True  # another holder


def test_status_list_and_public_key_carry_cache_headers_and_answer_304(issued):
    client = APIClient()
    for path, max_age in (("/status/1", 300), ("/.well-known/registry-key.json", 3600)):
        response = client.get(path)
        assert response.status_code == 200
        assert response["Cache-Control"] == f"public, max-age={max_age}"
        etag = response["ETag"]
        assert etag.startswith('"') and len(etag) == 34
        assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
        assert client.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200
        assert client.head(path).status_code == 200


def test_a_revoked_certificate_is_never_shown_valid_even_if_cached(issued, django_capture_on_commit_callbacks):
    """The status list is cached (in the server and, with its headers, by a CDN): revocation
    clears the server's copy and changes the ETag, and the look-ups read the revocation at once."""
    world, (certificate, _other) = issued
    client = APIClient()
    before = client.get("/status/1")
    assert not certificates.is_revoked_in_list(before.json(), certificate.pk)
    assert client.get(f"/v/{certificate.verification_code}").content.decode().count("证书有效") == 1
    assert verify(code=certificate.verification_code).json()["status"] == "valid"

    regulator = APIClient()
    regulator.force_authenticate(world.regulator)
    with django_capture_on_commit_callbacks(execute=True):  # the revocation commits
        assert regulator.post(f"/api/certificates/{certificate.pk}/revoke/", {"reason": "伪造材料"}).status_code == 200

    after = client.get("/status/1", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert certificates.is_revoked_in_list(after.json(), certificate.pk)
    page = client.get(f"/v/{certificate.verification_code}").content.decode()
    assert "证书有效" not in page and "撤销" in page
    body = verify(code=certificate.verification_code).json()
    assert body["status"] == "revoked" and body["revocation_reason"] == "伪造材料"
