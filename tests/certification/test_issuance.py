import base64
import datetime
import re
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from certification import numbering, services, signing
from certification.models import BatchChunk, BatchFailure, Certificate, IssuanceBatch, SerialCounter, Session
from certification.services import certificates as certificate_services
from certification.services import issuance
from registry.errors import DomainError, Forbidden
from registry.levels import Level
from registry.models import Filing
from tests import factories

from .conftest import ISSUE_DAY, TODAY, ahead, held_on, ready_session

pytestmark = pytest.mark.django_db


def test_batch_issues_every_passed_result_once_with_national_numbers(world, run):
    session = ready_session(world, n=3, failing=1)
    batch = run([session])
    batch.refresh_from_db()
    session.refresh_from_db()
    assert (batch.state, batch.total, session.state) == (IssuanceBatch.State.DONE, 3, Session.State.ISSUED)
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    site = world.a.site_code
    assert numbers == [f"S000031{site}{ISSUE_DAY:%y}5{serial:06d}" for serial in (1, 2, 3)]
    assert all(len(n) == 22 and numbering.is_well_formed(n) for n in numbers)


def test_number_layout_for_an_employer_filed_nationally(world):
    world.a.kind, world.a.jurisdiction, world.a.national_code = "employer", "national", "0123"
    number = numbering.format_number(numbering.number_prefix("skill_level", world.a, 2026, Level.GRADE_3), 17)
    assert number == f"Y012331{world.a.site_code}263000017"
    assert numbering.number_prefix("qualification", world.a, 2026, Level.GRADE_3).startswith("Z")
    assert numbering.number_prefix("special_ability", world.a, 2026, None)[-1] == "0"


def test_serials_continue_per_site_year_and_level(world, run):
    run([ready_session(world, n=2)])
    run([ready_session(world, n=2, session=world.plan(name="第二批"))])
    serials = sorted(int(n[-6:]) for n in Certificate.objects.values_list("number", flat=True))
    assert serials == [1, 2, 3, 4]
    grade4 = world.plan(level=Level.GRADE_4, name="四级")
    world.staff(grade4)
    application = services.application_enrol(
        actor=world.admin_a,
        session=grade4,
        name="破格",
        document_number=factories.resident_id(),
        pathway="exceptional",
        reason="技术能手",
        evidence="证书",
        on=TODAY,
    )
    services.application_decide(actor=world.regulator, application=application, approve=True, note="同意")
    services.result_record(actor=world.assessors_a[0].user, application=application, theory=90, practical=90)
    services.session_submit(actor=world.admin_a, session=grade4)
    Session.objects.filter(pk=grade4.pk).update(publicity_ends_on=TODAY)
    grade4.refresh_from_db()
    run([grade4])
    number = Certificate.objects.get(result__application=application).number
    assert number[15] == "4" and number[-6:] == "000001"  # its own counter
    assert SerialCounter.objects.count() == 2


def test_refused_for_unsubmitted_and_already_issued_sessions(world, run):
    with pytest.raises(DomainError) as caught:
        run([world.session])
    assert "尚未提交" in str(caught.value)
    session = ready_session(world)
    run([session])
    with pytest.raises(DomainError) as caught:
        run([session])
    assert "重复发证" in str(caught.value)
    assert IssuanceBatch.objects.count() == 1


def test_refused_for_a_held_session(world, run):
    from certification.models import Finding

    session = ready_session(world)
    Finding.objects.create(session=session, supervisor=world.internal_supervisor, text="考场问题")
    with pytest.raises(DomainError) as caught:
        run([session])
    assert "督导" in str(caught.value)
    assert not IssuanceBatch.objects.exists()


def test_refused_when_the_filing_is_not_in_force_on_the_issue_date(world, run):
    session = ready_session(world)
    Filing.objects.filter(institution=world.a).update(state=Filing.State.SUSPENDED)
    with pytest.raises(DomainError) as caught:
        run([session])
    assert "备案" in str(caught.value)
    assert not IssuanceBatch.objects.exists() and not Certificate.objects.exists()
    Filing.objects.filter(institution=world.a).update(
        state=Filing.State.FILED, valid_until=ISSUE_DAY - datetime.timedelta(days=1)
    )
    with pytest.raises(DomainError):
        run([session])


def test_refused_during_publicity(world, run):
    session = ready_session(world)
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=ISSUE_DAY)
    with pytest.raises(DomainError) as caught:
        run([session])
    assert "公示" in str(caught.value)


def test_refused_for_another_institution(world, run):
    session = ready_session(world)
    with pytest.raises(Forbidden):
        run([session], actor=world.admin_b)
    assert not IssuanceBatch.objects.exists()


def test_held_after_batch_creation_fails_with_reason(world):
    from certification.models import Finding

    session = ready_session(world, n=2)
    batch = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)  # not yet dispatched
    Finding.objects.create(session=session, supervisor=world.external_supervisor, text="复查发现问题")
    for chunk in batch.chunks.all():
        issuance.chunk_issue(chunk_id=chunk.pk)
    assert not Certificate.objects.exists()
    assert set(BatchFailure.objects.values_list("reason", flat=True)) == {"批次有未解除的督导发现"}
    batch.refresh_from_db()
    assert batch.state == IssuanceBatch.State.DONE


def test_a_repeated_chunk_creates_nothing(world, run):
    batch = run([ready_session(world, n=3)])
    chunk = batch.chunks.get()
    before = list(Certificate.objects.order_by("pk").values_list("pk", "number"))
    issuance.chunk_issue(chunk_id=chunk.pk)
    BatchChunk.objects.filter(pk=chunk.pk).update(state="pending")  # as if the task were redelivered before its mark
    issuance.chunk_issue(chunk_id=chunk.pk)
    assert list(Certificate.objects.order_by("pk").values_list("pk", "number")) == before
    assert SerialCounter.objects.get().next_serial == 4


VERIFICATION_CODE = re.compile(r"(?P<second>[0-9a-f]{8})(?P<random>[A-Za-z0-9_-]{22})")


def test_verification_codes_are_the_signing_second_and_128_random_bits(world, run):
    run([ready_session(world, n=3)])
    certificates = list(Certificate.objects.order_by("pk"))
    randoms = []
    for certificate in certificates:
        code = VERIFICATION_CODE.fullmatch(certificate.verification_code)
        assert code, certificate.verification_code
        signed_at = datetime.datetime.fromisoformat(certificate.proof_created)
        assert int(code["second"], 16) == int(signed_at.timestamp())
        # 22 URL-safe base64 characters are 16 random bytes: 128 bits.
        assert len(base64.urlsafe_b64decode(code["random"] + "==")) == issuance.VERIFICATION_CODE_RANDOM_BYTES == 16
        randoms.append(code["random"])
        assert certificate_services.certificate_by_code(certificate.verification_code)["number"] == certificate.number
    assert len(set(randoms)) == len(certificates)


def test_verification_codes_sort_by_their_signing_second_in_the_database(db):
    """The codes' prefix is what keeps a batch's codes together in the code indexes: it must order
    them by time under the column's collation, across the years and the prefix's digits."""
    seconds = [
        datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        datetime.datetime(2026, 1, 1, 0, 0, 9, tzinfo=datetime.UTC),
        datetime.datetime(2026, 1, 1, 0, 0, 10, tzinfo=datetime.UTC),
        datetime.datetime(2031, 6, 1, tzinfo=datetime.UTC),
        datetime.datetime(2099, 12, 31, tzinfo=datetime.UTC),
    ]
    codes = [issuance.verification_code(issuance.verification_code_prefix(at)) for at in seconds]
    assert all(len(code) == 30 for code in codes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT verification_code FROM (SELECT unnest(%s::varchar[]) AS verification_code) AS codes"
            " ORDER BY verification_code COLLATE pg_catalog.default",
            [list(reversed(codes))],
        )
        assert [row[0] for row in cursor.fetchall()] == codes


def test_one_certificate_per_result_is_a_database_constraint(world, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            result=certificate.result,
            batch=certificate.batch,
            person=certificate.person,
            institution=certificate.institution,
            evaluation_type=certificate.evaluation_type,
            occupation=certificate.occupation,
            level=certificate.level,
            number="S000031000000265999999",
            issued_on=certificate.issued_on,
            verification_code="another-code-1234567",
            credential="{}",
            proof_created="x",
            proof_value="z",
        )


def test_signature_verifies_and_fails_on_a_tampered_field(world, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    credential = signing.secured(certificate.credential, certificate.proof_created, certificate.proof_value)
    assert signing.verify(credential)
    assert credential["credentialSubject"]["achievement"]["humanCode"] == certificate.number
    tampered = signing.secured(certificate.credential, certificate.proof_created, certificate.proof_value)
    tampered["credentialSubject"]["achievement"]["name"] = "电工 一级/高级技师"
    assert not signing.verify(tampered)
    renamed = signing.secured(certificate.credential, certificate.proof_created, certificate.proof_value)
    renamed["credentialSubject"]["identifier"][0]["identityHash"] = "李四"
    assert not signing.verify(renamed)
    forged = signing.secured(certificate.credential, certificate.proof_created, certificate.proof_value)
    forged["proof"]["created"] = "2030-01-01T00:00:00Z"
    assert not signing.verify(forged)


def test_the_credential_carries_no_form_of_the_holder_id_number(world, run):
    # Even a salted hash would be brute-forced offline (~1e8 candidate numbers).
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    number = certificate.person.document_number
    assert number not in certificate.credential and number[6:14] not in certificate.credential
    identifiers = signing.secured(certificate.credential, "x", "z")["credentialSubject"]["identifier"]
    assert identifiers == [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": certificate.person.name}
    ]
    assert "sha256$" not in certificate.credential


def test_issue_date_cannot_be_in_the_future(world, run):
    from django.utils import timezone

    session = ready_session(world, n=1)
    with pytest.raises(DomainError) as caught:
        run([session], day=timezone.localdate() + datetime.timedelta(days=1))
    assert "issue_date" in caught.value.message_dict
    assert not IssuanceBatch.objects.exists()


def test_a_session_with_failures_can_be_issued_again_once_cleared(world):
    from certification.models import Finding

    session = ready_session(world, n=2)
    batch = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    finding = Finding.objects.create(session=session, supervisor=world.external_supervisor, text="复查")
    for chunk in batch.chunks.all():
        issuance.chunk_issue(chunk_id=chunk.pk)
    session.refresh_from_db()
    assert (session.state, session.batch_id) == (Session.State.SUBMITTED, None)
    Finding.objects.filter(pk=finding.pk).update(
        cleared_at="2026-06-01T00:00:00Z", cleared_by=world.regulator, clearance="ok"
    )
    second = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    for chunk in second.chunks.all():
        issuance.chunk_issue(chunk_id=chunk.pk)
    session.refresh_from_db()
    assert session.state == Session.State.ISSUED
    assert Certificate.objects.filter(batch=second).count() == 2 and Certificate.objects.count() == 2


def test_person_record_gains_the_certificate_and_eligibility_counts_it(world, run):
    from certification.selectors import person_certificates

    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    assert list(person_certificates(certificate.person)) == [certificate]
    facts_session = world.plan(level=Level.GRADE_4, name="四级")
    from certification.eligibility import person_facts

    facts = person_facts(
        certificate.person, world.electrician.id, ISSUE_DAY, certificates=[(certificate.level, certificate.issued_on)]
    )
    assert facts.certificates == [(Level.GRADE_5, ISSUE_DAY)]
    assert facts_session.level == Level.GRADE_4


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_never_duplicate_numbers(postgres, world, monkeypatch, settings):
    """Two batches of the same site, year and level issued at the same time in two threads:
    numbers are unique and the serials gapless (PostgreSQL row lock on the counter).

    Concurrent for real: dispatch is stubbed so no chunk runs before the threads start, the
    counter row exists beforehand (a missing row would serialise the inserts on its unique key
    instead of the lock), each thread has its own connection, and a barrier starts them together.
    The delay keeps each chunk's transaction open after it has read and advanced the counter,
    so without SELECT … FOR UPDATE the other thread reads the same serial (this test was seen
    to fail with the lock removed)."""
    monkeypatch.setattr(issuance, "dispatch", lambda batch_id: None)
    settings.ISSUANCE_TEST_DELAY_SECONDS = 0.3
    first = ready_session(world, n=15)
    second = ready_session(world, n=15, session=world.plan(name="并发"))
    SerialCounter.objects.create(series="skill_level", institution=world.a, year=ISSUE_DAY.year, level=Level.GRADE_5)
    batches = [issuance.batch_create(actor=world.admin_a, sessions=[s], issue_date=ISSUE_DAY) for s in (first, second)]
    assert not Certificate.objects.exists()
    chunk_ids = [c.pk for b in batches for c in b.chunks.all()]
    assert len(chunk_ids) == 2
    errors = []
    barrier = threading.Barrier(len(chunk_ids))

    def work(chunk_id):
        try:
            barrier.wait()
            issuance.chunk_issue(chunk_id=chunk_id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(cid,)) for cid in chunk_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 30
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, 31))
    assert Certificate.objects.values("result").distinct().count() == 30
    assert SerialCounter.objects.get().next_serial == 31


def test_canonical_form_equals_rfc8785(world, run):
    import rfc8785

    run([ready_session(world, n=1)])
    document = signing.secured(Certificate.objects.get().credential, "2026-01-01T00:00:00Z", "zabc")
    assert signing.canonical(document) == rfc8785.dumps(document).decode()
    assert re.match(r"^\{\"@context\"", signing.canonical(document))


@pytest.mark.parametrize("evaluation_type", ["skill_level", "special_ability"])
def test_the_spliced_credential_text_is_the_canonical_form_of_its_document(world, evaluation_type):
    """Issuance fills a pre-built canonical text in instead of serialising each document: the
    result must be the very text canonical() gives, whatever the holder's name holds."""
    import rfc8785

    from registry.models import Institution

    if evaluation_type == "skill_level":
        session, issuer = ready_session(world, n=1), None
    else:
        session = plan_regulator_issued(world, evaluation_type)
        issuer = Institution.objects.get(kind=Institution.Kind.CENTRE)
    world.a.name = '{宝山}"精工"\\{0}'  # braces, quotes and backslashes in the shared part too
    template = issuance.CredentialTemplate(session, world.a, ISSUE_DAY, issuer=issuer)
    for name in ("张三", 'O"Brien\\', "{holder}", "{0}%s\n\t\x01\u2028", "阿卜杜·热合曼", ""):
        fields = {"number": "S000031900000265000007", "holder_name": name, "status_index": 1234567}
        document = template.document(**fields)
        assert template.canonical(**fields) == signing.canonical(document) == rfc8785.dumps(document).decode()
    assert ("source" in document["credentialSubject"]) == (issuer is not None)


def test_issue_date_never_before_the_sessions_end(world, run):
    session = ready_session(world, n=1)
    # Publicity over, but the session (as corrected) ended after the chosen issue date.
    Session.objects.filter(pk=session.pk).update(ends_on=ISSUE_DAY + datetime.timedelta(days=1))
    with pytest.raises(DomainError) as caught:
        run([session])
    message = " ".join(caught.value.messages)
    assert str(ISSUE_DAY) in message and str(ISSUE_DAY + datetime.timedelta(days=1)) in message
    assert not IssuanceBatch.objects.exists() and not Certificate.objects.exists()
    session.refresh_from_db()
    assert (session.state, session.batch_id) == (Session.State.SUBMITTED, None)


# --- who issues what (docs/domain.md: the three evaluation types) ---


def plan_regulator_issued(world, evaluation_type):
    """A session at institution A of a type the regulator issues, with A filed for it."""
    from registry.levels import EvaluationType

    qualification = evaluation_type == EvaluationType.QUALIFICATION
    # The catalogue file states no qualification flag (no source confirms one): the regulator sets it.
    world.electrician.in_qualification_catalogue = True
    world.electrician.save(update_fields=["in_qualification_catalogue"])
    world.a.filings.get().scopes.create(
        evaluation_type=evaluation_type, occupation=world.electrician, levels=[1, 2, 3, 4, 5] if qualification else []
    )
    session = services.session_plan(
        actor=world.admin_a,
        institution=world.a,
        evaluation_type=evaluation_type,
        occupation=world.electrician,
        level=Level.GRADE_5 if qualification else None,
        starts_on=ahead(),
        ends_on=ahead(),
        site="x",
    )
    return held_on(session)


def ready_regulator_issued(world, evaluation_type):
    from certification.models import Result

    session = plan_regulator_issued(world, evaluation_type)
    if evaluation_type == "qualification":
        return ready_session(world, n=2, session=session)
    from .conftest import enrol

    world.staff(session)
    for i in range(2):
        application = enrol(world, session=session, name=f"专项{i}")
        services.result_record(actor=world.assessors_a[0].user, application=application, special_passed=True)
    assert Result.objects.filter(application__session=session, outcome="passed").count() == 2
    services.session_submit(actor=world.admin_a, session=session)
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))
    session.refresh_from_db()
    return session


@pytest.mark.parametrize("evaluation_type", ["qualification", "special_ability"])
def test_institution_admin_cannot_create_a_batch_the_regulator_issues(world, run, evaluation_type):
    from rest_framework.test import APIClient

    session = ready_regulator_issued(world, evaluation_type)
    with pytest.raises(Forbidden):
        run([session])
    client = APIClient()
    client.force_authenticate(world.admin_a)
    response = client.post("/api/batches/", {"sessions": [session.pk], "issue_date": str(ISSUE_DAY)}, format="json")
    assert response.status_code == 403
    session.refresh_from_db()
    assert (session.batch_id, session.state) == (None, Session.State.SUBMITTED)
    assert not IssuanceBatch.objects.exists() and not Certificate.objects.exists()


@pytest.mark.parametrize("evaluation_type", ["qualification", "special_ability"])
def test_regulator_issued_credential_names_the_regulator_as_issuer_and_the_institution_as_assessor(
    world, run, evaluation_type
):
    import json

    from certification import pdf
    from certification.models import Certificate as Cert
    from registry.models import Institution

    centre = Institution.objects.get(kind=Institution.Kind.CENTRE)
    run([ready_regulator_issued(world, evaluation_type)], actor=world.regulator)
    certificate = Cert.objects.select_related("person", "institution", "occupation").order_by("number").first()
    assert certificate.institution == world.a
    document = json.loads(certificate.credential)
    assert document["issuer"]["name"] == centre.name
    assert document["issuer"]["id"].endswith(f"/issuers/{centre.credit_code}")
    assert document["credentialSubject"]["source"] == {
        "id": document["issuer"]["id"].replace(centre.credit_code, world.a.credit_code),
        "type": ["Profile"],
        "name": world.a.name,
    }
    assert signing.verify(signing.secured(certificate.credential, certificate.proof_created, certificate.proof_value))
    text = pdf_text(pdf.certificate_pdf(certificate))
    assert f"发证机关：{centre.name}" in text.replace(" ", "")
    assert f"评价机构：{world.a.name}" in text.replace(" ", "")


def test_skill_level_credential_is_issued_by_the_institution_itself(world, run):
    import json

    from certification import pdf

    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    document = json.loads(certificate.credential)
    assert document["issuer"]["name"] == world.a.name
    assert "source" not in document["credentialSubject"]
    assert "发证机关" not in pdf_text(pdf.certificate_pdf(certificate))


def pdf_text(data: bytes) -> str:
    import subprocess

    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_chunks_alternate_between_serial_counters_and_each_counter_stays_gapless(world, run, settings):
    """A chunk holds its serial counter's lock while it signs, so two workers taking two chunks
    of one counter would run one after the other: the chunks are numbered round-robin over the
    counters (here 五级 and 四级), and each level's serials still come out gapless."""
    from .conftest import enrol

    settings.ISSUANCE_CHUNK_SIZE = 2
    grade5 = ready_session(world, n=5)
    grade4 = world.plan(level=Level.GRADE_4, name="四级")
    world.staff(grade4)
    for i in range(3):
        application = enrol(world, session=grade4, name=f"四级考生{i}", years=6.0)
        services.result_record(actor=world.assessors_a[0].user, application=application, theory=80, practical=80)
    services.session_submit(actor=world.admin_a, session=grade4)
    Session.objects.filter(pk=grade4.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))
    batch = run([grade5, grade4])
    levels = {session.pk: session.level for session in (grade5, grade4)}
    session_of = dict(
        Certificate.objects.values_list("result_id", "result__application__session_id"),
    )
    order = [levels[session_of[chunk.result_ids[0]]] for chunk in batch.chunks.order_by("index")]
    assert order == [Level.GRADE_5, Level.GRADE_4, Level.GRADE_5, Level.GRADE_4, Level.GRADE_5]
    for level, count in ((Level.GRADE_5, 5), (Level.GRADE_4, 3)):
        serials = sorted(int(n[-6:]) for n in Certificate.objects.filter(level=level).values_list("number", flat=True))
        assert serials == list(range(1, count + 1))


def test_a_chunk_reads_the_same_rows_on_every_database(postgres, world, run):
    """The PostgreSQL read (one query, primary-key probes over an array) answers what the ORM
    answers: each result, whether it has a certificate already, whether an objection is open."""
    from certification.models import Objection, Result

    first = ready_session(world, n=2, failing=1)
    run([first])
    second = ready_session(world, n=2, session=world.plan(name="第二批"))
    objected = Result.objects.filter(application__session=second).order_by("id").first()
    Objection.objects.create(result=objected, reason="分数有误", contact="13800000000")
    ids = list(Result.objects.filter(application__session__in=[first, second]).values_list("id", flat=True))
    rows = issuance._chunk_rows(list(reversed(ids)))
    assert [tuple(row) for row in rows] == issuance._chunk_rows_orm(ids)
    flags = [(row[7], row[8]) for row in rows]
    assert flags == [(True, False), (True, False), (False, False), (False, True), (False, False)]


def test_a_batch_is_cut_from_the_same_rows_on_every_database(postgres, world, run):
    """The PostgreSQL read of what a batch issues (index probes from the sessions) answers what
    the ORM answers: passed, enrolled results without a certificate, by counter, then id."""
    from certification.models import Application

    issued = ready_session(world, n=2)
    run([issued])
    first = ready_session(world, n=2, failing=1, session=world.plan(name="第二批"))
    second = ready_session(world, n=3, failing=1, session=world.plan(name="第三批"))
    withdrawn = Application.objects.filter(session=second, result__outcome="passed").order_by("id").first()
    Application.objects.filter(pk=withdrawn.pk).update(state=Application.State.WITHDRAWN)
    rows = issuance._batch_rows([second.pk, issued.pk, first.pk])
    assert rows == issuance._batch_rows_orm([first.pk, issued.pk, second.pk])
    assert len(rows) == 4 and withdrawn.result.pk not in {row[0] for row in rows}
