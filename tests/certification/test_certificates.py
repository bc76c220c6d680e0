import io
import json
import secrets
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from certification import pdf, signing
from certification.api import serializers as s
from certification.models import BatchArchive, Certificate
from certification.services import archives, certificates
from registry.errors import DomainError, Forbidden

from .conftest import ready_session

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def issued(world, run):
    run([ready_session(world, n=2)])
    return world, list(Certificate.objects.select_related("person", "institution", "occupation").order_by("number"))


def api(user=None):
    client = APIClient()
    if user:
        client.force_authenticate(user)
    return client


# --- revocation ---


def test_regulator_revokes_with_a_reason(issued):
    world, (certificate, other) = issued
    with pytest.raises(DomainError):
        certificates.certificate_revoke(actor=world.regulator, certificate=certificate, reason=" ")
    certificates.certificate_revoke(actor=world.regulator, certificate=certificate, reason="考试作弊，经查实")
    certificate.refresh_from_db()
    assert certificate.is_revoked and certificate.revoked_by == world.regulator
    with pytest.raises(DomainError) as caught:
        certificates.certificate_revoke(actor=world.regulator, certificate=certificate, reason="again")
    assert "已于" in str(caught.value)
    other.refresh_from_db()
    assert not other.is_revoked


def test_issuing_institution_may_revoke_but_not_another(issued):
    world, (certificate, _) = issued
    with pytest.raises(Forbidden):
        certificates.certificate_revoke(actor=world.admin_b, certificate=certificate, reason="x")
    with pytest.raises(Forbidden):
        certificates.certificate_revoke(actor=world.assessors_a[0].user, certificate=certificate, reason="x")
    certificates.certificate_revoke(actor=world.admin_a, certificate=certificate, reason="录入错误")
    certificate.refresh_from_db()
    assert certificate.is_revoked


def test_status_list_marks_revoked_certificates_and_is_signed(issued, client):
    world, (certificate, other) = issued
    certificates.certificate_revoke(actor=world.regulator, certificate=certificate, reason="撤销")
    from django.core.cache import cache

    cache.clear()
    status_list = client.get("/status/1").json()
    assert signing.verify(status_list)
    assert certificates.is_revoked_in_list(status_list, certificate.pk)
    assert not certificates.is_revoked_in_list(status_list, other.pk)


# --- verification ---


def verify(payload):
    return api().post("/api/verify/", payload, format="json")


def test_verify_by_name_id_and_number(issued):
    world, (certificate, _) = issued
    body = verify(
        {
            "name": certificate.person.name,
            "document_number": certificate.person.document_number,
            "number": certificate.number,
        }
    ).json()
    assert body["found"] and body["status"] == "valid" and body["signature_valid"]
    assert body["holder_document"] == certificate.person.document_masked
    assert certificate.person.document_number not in json.dumps(body)


def test_every_miss_gets_the_same_answer(issued):
    world, (certificate, other) = issued
    person = certificate.person
    misses = [
        {"name": "别人", "document_number": person.document_number, "number": certificate.number},
        {"name": person.name, "document_number": other.person.document_number, "number": certificate.number},
        {"name": person.name, "document_number": person.document_number, "number": other.number},
        {"name": person.name, "document_number": person.document_number, "number": certificate.number[:-1] + "9"},
    ]
    answers = {verify(m).content for m in misses}
    assert answers == {b'{"found":false}'}


def test_the_answer_is_verify_outs_json_whatever_the_client_accepts(issued):
    """The endpoint answers in JSON only (AnswerInJSON): an Accept header asking for HTML gets
    the same JSON document, shaped as VerifyOut (ISO dates, Chinese text unescaped), and a form-
    encoded query is read like a JSON one; a body of no known type is a 415."""
    world, (certificate, _) = issued
    query = {
        "name": certificate.person.name,
        "document_number": certificate.person.document_number,
        "number": certificate.number,
    }
    as_json = api().post("/api/verify/", query, format="json", HTTP_ACCEPT="text/html")
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    body = as_json.json()
    assert body == s.VerifyOut(body).data
    assert body["issued_on"] == certificate.issued_on.isoformat() and body["revoked_on"] is None
    assert certificate.person.name.encode() in as_json.content
    as_form = api().post("/api/verify/", query, HTTP_ACCEPT="text/html")  # multipart form
    assert as_form.status_code == 200 and as_form.content == as_json.content
    plain = api().post("/api/verify/", "x", content_type="text/plain")
    assert plain.status_code == 415


@pytest.mark.parametrize("number", ["S0000", "X000031000123263000017", "s00003100012326300001a"])
def test_malformed_number_is_a_400_with_the_field(issued, number):
    world, (certificate, _) = issued
    response = verify({"name": "x", "document_number": certificate.person.document_number, "number": number})
    assert response.status_code == 400 and "number" in response.json()


def test_malformed_code_is_a_400(issued):
    assert verify({"code": "short"}).status_code == 400
    assert api().get("/v/short").status_code == 400


def test_verify_by_qr_code_page_shows_status_and_revocation(issued, client):
    world, (certificate, _) = issued
    page = client.get(f"/v/{certificate.verification_code}").content.decode()
    assert certificate.number in page and "证书有效" in page and certificate.person.document_masked in page
    assert certificate.person.document_number not in page
    certificates.certificate_revoke(actor=world.regulator, certificate=certificate, reason="撤销")
    page = client.get(f"/v/{certificate.verification_code}").content.decode()
    assert "撤销" in page
    assert client.get("/v/" + "A" * 22).status_code == 404


def test_a_code_of_the_earlier_shape_still_verifies(issued, client):
    """Certificates issued before codes carried their signing second keep a code of 22 random
    characters on their printed QR code: it must still be accepted and found."""
    world, (certificate, _) = issued
    earlier = secrets.token_urlsafe(16)
    assert len(earlier) == 22
    Certificate.objects.filter(pk=certificate.pk).update(verification_code=earlier)
    answer = verify({"code": earlier})
    assert answer.status_code == 200
    assert (answer.json()["found"], answer.json()["status"], answer.json()["number"]) == (
        True,
        "valid",
        certificate.number,
    )
    page = client.get(f"/v/{earlier}").content.decode()
    assert certificate.number in page and "证书有效" in page


def test_verification_is_rate_limited_per_client(issued, settings):
    settings.VERIFY_RATE_LIMIT = (3, 60)
    world, (certificate, _) = issued
    codes = [verify({"code": certificate.verification_code}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_verification_is_rate_limited_per_id_number(issued, settings):
    settings.VERIFY_RATE_LIMIT_PER_ID = (2, 3600)
    world, (certificate, _) = issued
    query = {"name": "猜", "document_number": certificate.person.document_number, "number": certificate.number}
    # Counted per (ID number, client): one client's attempts never lock another out.
    codes = [api().post("/api/verify/", query, format="json", REMOTE_ADDR="10.0.0.1").status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    assert api().post("/api/verify/", query, format="json", REMOTE_ADDR="10.0.0.2").status_code == 200


# --- credential and key, verified offline ---


def test_credential_download_verifies_offline_with_the_published_key(issued, client, tmp_path):
    world, (certificate, _) = issued
    credential = api(world.admin_a).get(f"/api/certificates/{certificate.pk}/credential/").content
    (tmp_path / "cert.json").write_bytes(credential)
    (tmp_path / "key.json").write_text(client.get("/.well-known/registry-key.json").content.decode())
    (tmp_path / "status.json").write_text(client.get("/status/1").content.decode())
    script = [sys.executable, str(ROOT / "scripts" / "verify_credential.py")]
    files = [str(tmp_path / name) for name in ("cert.json", "key.json", "status.json")]
    assert subprocess.run(script + files, capture_output=True, text=True).returncode == 0
    tampered = json.loads(credential)
    tampered["validFrom"] = "2020-01-01T00:00:00+08:00"
    (tmp_path / "cert.json").write_text(json.dumps(tampered, ensure_ascii=False))
    result = subprocess.run(script + files, capture_output=True, text=True)
    assert result.returncode == 1 and "INVALID" in result.stdout


def test_worker_downloads_own_certificate_but_not_anothers(issued):
    world, (certificate, other) = issued
    person = certificate.person
    from tests.factories import UserFactory

    person.user = UserFactory()
    person.save()
    client = api(person.user)
    assert client.get(f"/api/certificates/{certificate.pk}/pdf/").status_code == 200
    assert client.get(f"/api/certificates/{other.pk}/pdf/").status_code == 404
    assert api(world.admin_b).get(f"/api/certificates/{certificate.pk}/credential/").status_code == 404
    assert [row["id"] for row in client.get("/api/certificates/").json()["results"]] == [certificate.pk]


# --- PDF ---


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return result.stdout.decode()


def test_pdf_text_carries_the_certificate_fields(issued):
    world, (certificate, _) = issued
    text = pdf_text(pdf.certificate_pdf(certificate))
    for expected in (
        certificate.person.name,
        certificate.person.document_masked,
        certificate.number,
        "电工",
        "五级/初级工",
        certificate.institution.name,
        certificate.issued_on.strftime("%Y年%m月%d日"),
        "职业技能等级证书",
    ):
        assert expected in text, expected
    assert certificate.person.document_number not in text


def test_pdf_is_a4_landscape_and_cached(issued):
    world, (certificate, _) = issued
    data = pdf.certificate_pdf(certificate)
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "841.89 x 595.276" in info or "842 x 595" in info
    assert pdf.cache_path(certificate).exists()
    assert pdf.certificate_pdf(certificate) == data


def test_pdf_qr_code_links_to_the_verification_page(issued, tmp_path):
    world, (certificate, _) = issued
    (tmp_path / "c.pdf").write_bytes(pdf.certificate_pdf(certificate))
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "c.pdf"), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True).stdout.strip()
    assert decoded == pdf.verification_url(certificate)


def test_revoked_pdf_says_so(issued):
    world, (certificate, _) = issued
    pdf.certificate_pdf(certificate)
    certificates.certificate_revoke(actor=world.regulator, certificate=certificate, reason="撤销")
    certificate.refresh_from_db()
    from django.utils import timezone

    text = pdf_text(pdf.certificate_pdf(certificate))
    assert f"本证书已于 {timezone.localtime(certificate.revoked_at):%Y-%m-%d} 撤销" in text


def test_batch_zip_of_pdfs_with_progress(issued, django_capture_on_commit_callbacks):
    world, (certificate, other) = issued
    with django_capture_on_commit_callbacks(execute=True):
        archive = archives.archive_create(actor=world.admin_a, batch=certificate.batch)
    archive.refresh_from_db()
    assert (archive.state, archive.done, archive.total) == (BatchArchive.State.DONE, 2, 2)
    response = api(world.admin_a).get(f"/api/batches/{certificate.batch_id}/archives/{archive.pk}/download/")
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(bundle.namelist()) == [f"{certificate.number}.pdf", f"{other.number}.pdf"]
    assert (
        api(world.admin_b).get(f"/api/batches/{certificate.batch_id}/archives/{archive.pk}/download/").status_code
        == 404
    )


# --- verification never vouches for a tampered credential ---


def _answers(certificate, client):
    """What people see: the QR page, the form page and the API."""
    query = {"name": certificate.person.name, "document_number": certificate.person.document_number}
    qr_page = client.get(f"/v/{certificate.verification_code}").content.decode()
    form_page = client.post("/verify/", {**query, "number": certificate.number}).content.decode()
    body = verify({**query, "number": certificate.number}).json()
    return qr_page, form_page, body


def test_verification_does_not_call_a_tampered_credential_validly_signed(issued, client):
    world, (certificate, _) = issued
    qr_page, form_page, body = _answers(certificate, client)
    assert "验证通过" in qr_page and "验证通过" in form_page and body["signature_valid"] is True
    tampered = certificate.credential.replace("五级/初级工", "一级/高级技师")
    assert tampered != certificate.credential
    Certificate.objects.filter(pk=certificate.pk).update(credential=tampered)
    qr_page, form_page, body = _answers(certificate, client)
    for page in (qr_page, form_page):
        assert "验证通过" not in page and "验证失败" in page
    assert body["found"] and body["signature_valid"] is False


def test_verification_does_not_accept_another_certificates_signed_credential(issued, client):
    # Validly signed, but for the other certificate: the answer must not vouch for this one.
    world, (certificate, other) = issued
    Certificate.objects.filter(pk=certificate.pk).update(
        credential=other.credential, proof_created=other.proof_created, proof_value=other.proof_value
    )
    qr_page, form_page, body = _answers(certificate, client)
    for page in (qr_page, form_page):
        assert "验证通过" not in page and "验证失败" in page
    assert body["signature_valid"] is False


# --- reissue (补发) ---


def test_reissue_records_reason_date_and_who_and_never_a_second_certificate(issued):
    from certification.models import Reissue

    world, (certificate, _) = issued
    before = list(Certificate.objects.order_by("pk").values_list("pk", "number", "credential", "proof_value"))
    reissue = certificates.certificate_reissue(actor=world.admin_a, certificate=certificate, reason="证书遗失")
    from django.utils import timezone

    assert (reissue.certificate, reissue.reason, reissue.reissued_by, reissue.reissued_on) == (
        certificate,
        "证书遗失",
        world.admin_a,
        timezone.localdate(),
    )
    assert list(Certificate.objects.order_by("pk").values_list("pk", "number", "credential", "proof_value")) == before
    assert Reissue.objects.count() == 1


def test_reissue_needs_a_reason(issued):
    from certification.models import Reissue

    world, (certificate, _) = issued
    with pytest.raises(DomainError) as caught:
        certificates.certificate_reissue(actor=world.admin_a, certificate=certificate, reason="  ")
    assert "reason" in caught.value.message_dict
    with pytest.raises(DomainError) as caught:
        certificates.certificate_reissue(actor=world.admin_a, certificate=certificate, reason="遗" * 301)
    assert "300" in caught.value.message_dict["reason"][0]
    assert not Reissue.objects.exists()


def test_reissue_only_by_the_issuer(issued):
    # Skill-level certificates: the issuing institution's admin; not another institution, an
    # assessor, or the regulator (it reissues only what it issued).
    from certification.models import Reissue

    world, (certificate, _) = issued
    for actor in (world.admin_b, world.assessors_a[0].user, world.regulator):
        with pytest.raises(Forbidden):
            certificates.certificate_reissue(actor=actor, certificate=certificate, reason="遗失")
    assert not Reissue.objects.exists()


def test_regulator_reissues_regulator_issued_certificates(issued):
    from certification.models import Reissue

    world, (certificate, _) = issued
    Certificate.objects.filter(pk=certificate.pk).update(evaluation_type="qualification")
    certificate.refresh_from_db()
    with pytest.raises(Forbidden):
        certificates.certificate_reissue(actor=world.admin_a, certificate=certificate, reason="遗失")
    certificates.certificate_reissue(actor=world.regulator, certificate=certificate, reason="损毁")
    assert Reissue.objects.get().reissued_by == world.regulator


def test_a_revoked_certificate_is_never_reissued(issued):
    from certification.models import Reissue

    world, (certificate, _) = issued
    certificates.certificate_revoke(actor=world.admin_a, certificate=certificate, reason="作弊")
    with pytest.raises(DomainError) as caught:
        certificates.certificate_reissue(actor=world.admin_a, certificate=certificate, reason="遗失")
    assert "撤销" in str(caught.value)
    assert not Reissue.objects.exists()


def test_reissued_pdf_says_reissue_with_the_date_and_replaces_the_cached_one(
    issued, django_capture_on_commit_callbacks
):
    import datetime

    world, (certificate, _) = issued
    first = pdf.certificate_pdf(certificate)
    old_path = pdf.cache_path(certificate)
    assert "补发" not in pdf_text(first)
    day = certificate.issued_on + datetime.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        certificates.certificate_reissue(actor=world.admin_a, certificate=certificate, reason="损毁", reissued_on=day)
    assert not old_path.exists()  # replaced, not left beside the new one
    assert pdf.cache_path(certificate).exists()
    text = pdf_text(pdf.certificate_pdf(certificate))
    assert "补发" in text and day.strftime("%Y年%m月%d日") in text and f"{day:%Y-%m-%d}" in text
    assert certificate.number in text  # the same number and data
    assert Certificate.objects.count() == 2


def test_reissue_api_needs_the_reason_field_and_records_it(issued):
    from certification.models import Reissue

    world, (certificate, _) = issued
    url = f"/api/certificates/{certificate.pk}/reissue/"
    response = api(world.admin_a).post(url, {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = api(world.admin_a).post(url, {"reason": " "}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert not Reissue.objects.exists()
    assert api(world.admin_b).post(url, {"reason": "遗失"}, format="json").status_code == 404
    response = api(world.admin_a).post(url, {"reason": "遗失"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["reason"] == "遗失" and response.json()["reissued_by"] == world.admin_a.username
    assert Certificate.objects.count() == 2 and Reissue.objects.count() == 1


def test_reissue_date_is_not_in_the_future_nor_before_issue(issued):
    import datetime

    from django.utils import timezone

    world, (certificate, _) = issued
    for day in (timezone.localdate() + datetime.timedelta(days=1), certificate.issued_on - datetime.timedelta(days=1)):
        with pytest.raises(DomainError) as caught:
            certificates.certificate_reissue(actor=world.admin_a, certificate=certificate, reason="x", reissued_on=day)
        assert "reissued_on" in caught.value.message_dict
