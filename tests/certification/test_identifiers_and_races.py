"""Identifiers typed as clerks and holders type them (lower case, full width, spaced) are the same
identifier; names follow one rule wherever they enter; two enrolments of one new person at once
both succeed with one Person."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from rest_framework.test import APIClient

from certification.models import Application, Certificate
from certification.services import accounts, certificates
from certification.services.applications import application_enrol
from registry import identity, services
from registry.errors import DomainError
from registry.models import Institution, Person
from tests import factories

from .conftest import ready_session

FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}  # ASCII → full-width forms


# --- credit codes ---


def _register(code: str) -> Institution:
    return services.institution_register(
        kind=Institution.Kind.SOCIAL, name="某培训学校", credit_code=code, district="310115"
    )


@pytest.mark.django_db
def test_a_lower_case_credit_code_is_stored_upper_and_cannot_be_registered_twice():
    code = factories.credit_code()
    assert any(c.isalpha() for c in code)
    institution = _register(code.lower())
    institution.refresh_from_db()
    assert institution.credit_code == code
    for typed in (code, " ".join([code[:2], code[2:8], code[8:]]), code.translate(FULL_WIDTH)):
        with pytest.raises(DomainError) as caught:
            _register(typed)
        assert "credit_code" in caught.value.message_dict
    assert Institution.objects.filter(credit_code__iexact=code).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_credit_code_not_in_its_normalised_form():
    institution = _register(factories.credit_code())
    with pytest.raises(IntegrityError), transaction.atomic():
        Institution.objects.filter(pk=institution.pk).update(credit_code=institution.credit_code.lower())


@pytest.mark.django_db
def test_the_all_zero_credit_code_is_refused():
    with pytest.raises(DomainError) as caught:
        _register("0" * 18)
    assert "全为 0" in " ".join(caught.value.messages)
    assert not Institution.objects.filter(credit_code="0" * 18).exists()


# --- certificate numbers in verification ---


@pytest.fixture
def certificate(world, run) -> Certificate:
    run([ready_session(world, n=1)])
    return Certificate.objects.select_related("person").get()


def _spaced(number: str) -> str:
    return " ".join([number[:1], number[1:5], number[5:7], number[7:13], number[13:15], number[15:16], number[16:]])


@pytest.mark.django_db
def test_a_full_width_lower_case_or_space_grouped_certificate_number_verifies(certificate, client):
    person, number = certificate.person, certificate.number
    for typed in (number.lower(), number.translate(FULL_WIDTH), _spaced(number), f"\u3000{number}\u3000"):
        row = certificates.certificate_by_query(number=typed, name=person.name, document_number=person.document_number)
        assert row is not None and row["number"] == number, typed
        body = (
            APIClient()
            .post("/api/verify/", {"name": person.name, "document_number": person.document_number, "number": typed})
            .json()
        )
        assert body["found"] and body["number"] == number, typed
    page = client.post(
        "/verify/", {"name": person.name, "document_number": person.document_number, "number": _spaced(number)}
    )
    assert page.status_code == 200 and number in page.content.decode()


@pytest.mark.django_db
def test_verification_refuses_a_name_with_invisible_characters_as_malformed(certificate):
    person = certificate.person
    with pytest.raises(DomainError) as caught:
        certificates.certificate_by_query(
            number=certificate.number, name=person.name + "\u202e", document_number=person.document_number
        )
    assert "name" in caught.value.message_dict


# --- names wherever they enter ---


@pytest.mark.django_db
def test_api_enrolment_refuses_a_name_with_a_bidi_override_or_zero_width_character(world):
    client = APIClient()
    client.force_authenticate(world.admin_a)
    for name in ("张\u202e三", "张\u200b三", "\ufeff张三", "张\u2066三"):
        response = client.post(
            "/api/applications/",
            {"session": world.session.pk, "name": name, "document_number": factories.resident_id()},
            format="json",
        )
        assert response.status_code == 400, name
        assert "不可见" in str(response.json()), name
    assert not Application.objects.filter(session=world.session).exists()
    assert not Person.objects.filter(name__contains="张").exists()


@pytest.mark.django_db
def test_api_enrolment_cleans_the_name_and_stores_the_phone_as_11_digits(world):
    application = application_enrol(
        actor=world.admin_a,
        session=world.session,
        name=" 阿依古丽・买买提 ",
        document_number=factories.resident_id(),
        pathway="exceptional",
        reason="市级技术能手",
        evidence="获奖证书",
        phone="+86 139-0013-8000",
    )
    assert application.person.name == "阿依古丽·买买提"
    assert application.phone == "13900138000"


@pytest.mark.django_db
def test_activation_refuses_a_name_with_invisible_characters(world, certificate):
    person = certificate.person
    with pytest.raises(DomainError) as caught:
        accounts.worker_activate(
            name=person.name + "\u200d",
            document_number=person.document_number,
            activation_code=accounts.activation_code_issue(actor=world.regulator, person=person),
            username="holder1",
            password="a-long-Passphrase-42",
        )
    assert "name" in caught.value.message_dict
    person.refresh_from_db()
    assert person.user_id is None


@pytest.mark.django_db
def test_activation_takes_a_spaced_lower_case_activation_code(world, certificate):
    person = certificate.person
    code = accounts.activation_code_issue(actor=world.regulator, person=person)
    user = accounts.worker_activate(
        name=person.name,
        document_number=person.document_number,
        activation_code=" ".join([code[: len(code) // 2].lower(), code[len(code) // 2 :]]),
        username="holder2",
        password="a-long-Passphrase-42",
    )
    person.refresh_from_db()
    assert person.user_id == user.pk


# --- races: PostgreSQL, real transactions ---


def _in_threads(*calls):
    """Run each call in its own thread and connection; return (results, errors) in call order."""
    results, errors = [None] * len(calls), [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 — the test asserts there is none
            errors[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def _both_look_up_first(monkeypatch, module, name):
    """Both callers find no person before either inserts one: the race, made certain. (Only
    the first look-up of each waits: the loser looks up again after its insert conflicts.)"""
    barrier = threading.Barrier(2, timeout=30)
    original = getattr(module, name)
    waited = set()

    def looked_up(*args, **kwargs):
        found = original(*args, **kwargs)
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            barrier.wait()
        return found

    monkeypatch.setattr(module, name, looked_up)


@pytest.mark.django_db(transaction=True)
def test_two_institutions_enrolling_the_same_new_person_at_once_both_succeed(world, postgres, monkeypatch):
    from certification.services import applications

    session_b = world.plan(institution=world.b, admin=world.admin_b)
    number = factories.resident_id()
    _both_look_up_first(monkeypatch, applications, "_known_people")

    def enrol(admin, session):
        return lambda: (
            application_enrol(
                actor=admin,
                session=session,
                name="新考生",
                document_number=number,
                pathway="exceptional",
                reason="市级技术能手",
                evidence="获奖证书",
            ).pk
        )

    results, errors = _in_threads(enrol(world.admin_a, world.session), enrol(world.admin_b, session_b))
    assert errors == [None, None]
    person = Person.objects.get(document_hash=identity.document_hash("resident_id", number))
    assert set(Application.objects.filter(pk__in=results).values_list("person_id", flat=True)) == {person.pk}
    assert Application.objects.filter(person=person).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_registrations_of_the_same_new_person_at_once_give_one_person(db, postgres, monkeypatch):
    _both_look_up_first(monkeypatch, services, "person_by_document")
    number = factories.resident_id()

    def register():
        return services.person_register(document_type="resident_id", document_number=number, name="新考生").pk

    results, errors = _in_threads(register, register)
    assert errors == [None, None]
    assert results[0] == results[1]
    assert Person.objects.filter(document_hash=identity.document_hash("resident_id", number)).count() == 1


@pytest.mark.django_db
def test_the_certificate_list_finds_a_number_typed_spaced_lower_case_or_full_width(world, certificate):
    client = APIClient()
    client.force_authenticate(world.admin_a)
    number = certificate.number
    for typed in (number, number.lower(), _spaced(number), number.translate(FULL_WIDTH)):
        response = client.get("/api/certificates/", {"number": typed})
        assert response.status_code == 200
        assert [row["number"] for row in response.json()["results"]] == [number], typed
    assert client.get("/api/certificates/", {"number": number[:-1] + "X"}).json()["results"] == []
