import datetime

import pytest
from django.db import connection

from registry.errors import DomainError
from registry.models import Person
from registry.selectors import person_by_document
from registry.services import person_register
from tests.factories import resident_id

pytestmark = pytest.mark.django_db


def test_id_number_is_not_stored_in_plain_text(postgres):
    number = resident_id(datetime.date(1985, 3, 14))
    person = person_register(document_type="resident_id", document_number=number, name="张伟")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_person WHERE id = %s", [person.pk])
        row = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM registry_person WHERE registry_person::text LIKE %s", [f"%{number[6:14]}%"]
        )
        whole_row_matches = cursor.fetchone()[0]
    assert all(number not in str(value) for value in row)
    assert whole_row_matches == 0  # not even the birth-date digits appear in any column
    assert Person.objects.get(pk=person.pk).document_number == number


def test_person_found_by_exact_number_only():
    number = resident_id()
    person = person_register(document_type="resident_id", document_number=number, name="王芳")
    assert person_by_document("resident_id", number) == person
    assert person_by_document("resident_id", resident_id()) is None
    assert person_by_document("passport", number) is None


def test_registering_again_returns_the_same_person():
    number = resident_id()
    first = person_register(document_type="resident_id", document_number=number, name="李强")
    again = person_register(document_type="resident_id", document_number=number.lower(), name="李强")
    assert again.pk == first.pk
    assert Person.objects.count() == 1


def test_same_number_under_another_name_is_refused():
    number = resident_id()
    person_register(document_type="resident_id", document_number=number, name="李强")
    with pytest.raises(DomainError) as caught:
        person_register(document_type="resident_id", document_number=number, name="李墙")
    assert "李墙" in str(caught.value) and "李强" not in str(caught.value)  # the registered name is not revealed
    assert Person.objects.count() == 1


def test_sex_and_birth_date_are_derived_and_display_is_masked():
    number = resident_id(datetime.date(1978, 11, 30))
    person = person_register(document_type="resident_id", document_number=number, name="赵敏")
    assert person.birth_date == datetime.date(1978, 11, 30)
    assert person.sex in ("M", "F") and person.sex == ("M" if int(number[16]) % 2 else "F")
    # The public form shows the area code only (it was area + last four, rebuildable in ~2,800 tries).
    assert person.document_masked == number[:6] + "*" * 12
    assert person.document_partial == number[:6] + "********" + number[-4:]
    assert number not in str(person)


def test_invalid_number_is_refused_and_nothing_stored():
    with pytest.raises(DomainError) as caught:
        person_register(document_type="resident_id", document_number="110105194912310021", name="错号")
    assert "document_number" in caught.value.message_dict
    assert Person.objects.count() == 0


def test_empty_name_is_refused():
    with pytest.raises(DomainError):
        person_register(document_type="resident_id", document_number=resident_id(), name="  ")
