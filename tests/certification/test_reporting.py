"""Reporting (数据上报): the export of unreported certificates for the national upload, and the
"mark reported" step."""

import csv
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from openpyxl import load_workbook
from rest_framework.test import APIClient

from certification.models import Certificate
from certification.services import reporting
from registry.errors import DomainError, Forbidden

from .conftest import ready_session

pytestmark = pytest.mark.django_db

DEFAULT_ORDER = [
    "证书编号",
    "姓名",
    "证件类型",
    "证件号码",
    "职业编码",
    "职业名称",
    "工种",
    "等级",
    "评价类型",
    "发证日期",
    "评价机构",
    "统一社会信用代码",
]


@pytest.fixture
def issued(world, run):
    """A batch of three certificates at A, and one at B."""
    batch = run([ready_session(world, n=3)])
    return world, batch, list(Certificate.objects.filter(batch=batch).select_related("person").order_by("number"))


def client(user=None):
    c = APIClient()
    if user:
        c.force_authenticate(user)
    return c


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]


def test_report_has_the_configured_columns_in_order_with_the_full_id_number(issued):
    world, batch, certs = issued
    for fmt, parse in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = client(world.admin_a).get(f"/api/batches/{batch.pk}/report.{fmt}")
        assert response.status_code == 200, response.content[:300]
        assert "no-store" in response["Cache-Control"].split(", ")
        rows = parse(response.content)
        assert rows[0] == DEFAULT_ORDER
        first = rows[1]
        cert = certs[0]
        assert first == [
            cert.number,
            cert.person.name,
            "居民身份证",
            cert.person.document_number,  # the national upload needs the full number
            "6-31-01-03",
            "电工",
            "",
            "五级/初级工",
            "职业技能等级认定",
            cert.issued_on.isoformat(),
            world.a.name,
            world.a.credit_code,
        ]
        assert [row[0] for row in rows[1:]] == [c.number for c in certs]


def test_report_column_order_is_a_setting(issued, settings):
    world, batch, certs = issued
    settings.REPORT_COLUMNS = ["姓名", "证书编号"]
    rows = csv_rows(client(world.admin_a).get(f"/api/batches/{batch.pk}/report.csv").content)
    assert rows[0] == ["姓名", "证书编号"] and rows[1] == [certs[0].person.name, certs[0].number]
    settings.REPORT_COLUMNS = ["姓名", "血型"]
    with pytest.raises(ImproperlyConfigured):
        reporting.report_columns()


def test_default_report_columns_are_all_known(settings):
    assert reporting.report_columns() == DEFAULT_ORDER


def test_report_lists_only_unreported_valid_certificates(issued):
    from certification.services import certificates

    world, batch, certs = issued
    reporting.certificates_mark_reported(actor=world.admin_a, certificate_ids=[certs[0].pk])
    certificates.certificate_revoke(actor=world.admin_a, certificate=certs[1], reason="作弊")
    rows = csv_rows(client(world.admin_a).get(f"/api/batches/{batch.pk}/report.csv").content)
    assert [row[0] for row in rows[1:]] == [certs[2].number]


def test_institution_report_covers_every_batch_of_the_institution_only(issued, run):
    world, batch, certs = issued
    second = run([ready_session(world, n=1, session=world.plan(name="第二批"))])
    url = f"/api/certificates/report.csv?institution={world.a.pk}"
    rows = csv_rows(client(world.admin_a).get(url).content)
    expected = sorted(Certificate.objects.filter(batch__in=[batch, second]).values_list("number", flat=True))
    assert [row[0] for row in rows[1:]] == expected
    assert client(world.admin_a).get("/api/certificates/report.csv").status_code == 400


def test_institution_b_cannot_export_or_mark_as_reported_a_certificates(issued):
    world, batch, certs = issued
    b = client(world.admin_b)
    assert b.get(f"/api/batches/{batch.pk}/report.xlsx").status_code == 404
    assert b.get(f"/api/certificates/report.csv?institution={world.a.pk}").status_code == 404
    assert b.post(f"/api/batches/{batch.pk}/mark-reported/").status_code == 404
    response = b.post("/api/certificates/mark-reported/", {"certificates": [certs[0].pk]}, format="json")
    assert response.status_code == 400 and "certificates" in response.json()
    with pytest.raises(Forbidden):
        reporting.unreported_certificates(actor=world.admin_b, batch=batch)
    with pytest.raises(Forbidden):
        reporting.certificates_mark_reported(actor=world.admin_b, batch=batch)
    with pytest.raises(DomainError):
        reporting.certificates_mark_reported(actor=world.admin_b, certificate_ids=[certs[0].pk])
    assert not Certificate.objects.filter(reported_at__isnull=False).exists()


def test_assessors_and_supervisors_cannot_export_full_id_numbers(issued):
    world, batch, certs = issued
    for user in (world.assessors_a[0].user, world.internal_supervisor.user):
        assert client(user).get(f"/api/batches/{batch.pk}/report.csv").status_code == 404
        # They see their institution, so the refusal is a 403, not a 404.
        assert client(user).get(f"/api/certificates/report.csv?institution={world.a.pk}").status_code == 403
        with pytest.raises(Forbidden):
            reporting.unreported_certificates(actor=user, batch=batch)
    assert client().get(f"/api/batches/{batch.pk}/report.csv").status_code == 401


def test_regulator_exports_any_batch(issued):
    world, batch, certs = issued
    rows = csv_rows(client(world.regulator).get(f"/api/batches/{batch.pk}/report.csv").content)
    assert len(rows) == 4


def test_mark_reported_records_who_and_when_and_is_idempotent(issued):
    from django.utils import timezone

    world, batch, certs = issued
    reporting.certificates_mark_reported(actor=world.regulator, certificate_ids=[certs[0].pk])
    first = Certificate.objects.get(pk=certs[0].pk)
    before = timezone.now()
    response = client(world.admin_a).post(f"/api/batches/{batch.pk}/mark-reported/")
    assert response.status_code == 200 and response.json() == {"marked": 2}
    rows = {c.pk: c for c in Certificate.objects.filter(batch=batch)}
    assert (rows[certs[0].pk].reported_at, rows[certs[0].pk].reported_by) == (first.reported_at, world.regulator)
    for cert in certs[1:]:
        assert rows[cert.pk].reported_by == world.admin_a and rows[cert.pk].reported_at >= before
    assert client(world.admin_a).post(f"/api/batches/{batch.pk}/mark-reported/").json() == {"marked": 0}
    assert list(Certificate.objects.filter(batch=batch).values_list("pk", "reported_at", "reported_by")) == list(
        Certificate.objects.filter(pk__in=rows).values_list("pk", "reported_at", "reported_by")
    )
    rows_after = csv_rows(client(world.admin_a).get(f"/api/batches/{batch.pk}/report.csv").content)
    assert rows_after == [DEFAULT_ORDER]


def test_mark_reported_by_ids_marks_only_those(issued):
    world, batch, certs = issued
    response = client(world.admin_a).post(
        "/api/certificates/mark-reported/", {"certificates": [certs[1].pk]}, format="json"
    )
    assert response.json() == {"marked": 1}
    assert list(Certificate.objects.filter(reported_at__isnull=False).values_list("pk", flat=True)) == [certs[1].pk]
    assert client(world.admin_a).post("/api/certificates/mark-reported/", {}, format="json").status_code == 400


def test_qualification_certificates_are_reported_by_the_regulator_not_the_institution(issued):
    world, batch, certs = issued
    Certificate.objects.filter(pk=certs[0].pk).update(evaluation_type="qualification")
    rows = csv_rows(client(world.admin_a).get(f"/api/batches/{batch.pk}/report.csv").content)
    assert certs[0].number not in {row[0] for row in rows}
    rows = csv_rows(client(world.regulator).get(f"/api/batches/{batch.pk}/report.csv").content)
    assert certs[0].number in {row[0] for row in rows}


def test_every_export_of_full_id_numbers_is_recorded_as_a_sensitive_read(issued):
    from registry.models import SensitiveRead

    world, batch, certs = issued
    for user in (world.admin_a, world.regulator):
        response = client(user).get(f"/api/batches/{batch.pk}/report.csv")
        assert response.status_code == 200
        reads = SensitiveRead.objects.filter(user=user)
        assert {r.person_id for r in reads} == {c.person_id for c in certs}
        assert {r.path for r in reads} == {f"/api/batches/{batch.pk}/report.csv"}
    # A refused export records nothing.
    before = SensitiveRead.objects.count()
    assert client(world.admin_b).get(f"/api/batches/{batch.pk}/report.csv").status_code in (403, 404)
    assert SensitiveRead.objects.count() == before


def test_a_batch_still_issuing_cannot_be_marked_reported(issued):
    from certification.models import IssuanceBatch

    world, batch, certs = issued
    IssuanceBatch.objects.filter(pk=batch.pk).update(state=IssuanceBatch.State.RUNNING)
    batch.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        reporting.certificates_mark_reported(actor=world.admin_a, batch=batch)
    assert "batch" in caught.value.message_dict
    assert not Certificate.objects.filter(reported_at__isnull=False).exists()
    response = client(world.admin_a).post(f"/api/batches/{batch.pk}/mark-reported/")
    assert response.status_code == 400
    assert not Certificate.objects.filter(reported_at__isnull=False).exists()
