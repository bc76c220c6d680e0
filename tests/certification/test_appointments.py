"""Appointments of 特级技师 / 首席技师 (issue 12): by an enterprise, only in occupations whose
standard has 一级, only for holders of the prerequisite, published by the regulator; an
unpublished appointment is not on the worker's record."""

import datetime

import pytest
from django.urls import reverse

from certification.services import appointment_publish, appointment_record
from registry.errors import DomainError, Forbidden
from registry.levels import APPOINTMENT_PREREQUISITES, Level
from registry.models import Appointment, Institution, PriorCertificate, Role
from tests import factories

DAY = datetime.date(2026, 5, 1)
TERM = {"term_from": datetime.date(2026, 7, 1), "term_until": datetime.date(2029, 6, 30)}


def test_the_prerequisites_are_data():
    assert APPOINTMENT_PREREQUISITES == {Level.PRINCIPAL: Level.GRADE_1, Level.CHIEF: Level.PRINCIPAL}


@pytest.fixture
def enterprise(world):
    institution = factories.InstitutionFactory(kind=Institution.Kind.EMPLOYER, name="上海电气")
    return institution, factories.member(institution, Role.INSTITUTION_ADMIN)


def holder(world, level=Level.GRADE_1, name="蒋师傅"):
    person = factories.person(name=name)
    if level is not None:
        PriorCertificate.objects.create(
            person=person, evaluation_type="skill_level", occupation=world.electrician, level=level,
            number=f"S{person.pk:021d}", issuer="x", issued_on=DAY,
        )  # fmt: skip
    return person


def record(world, enterprise, person, level=Level.PRINCIPAL, occupation=None, **kwargs):
    institution, admin = enterprise
    return appointment_record(
        actor=kwargs.pop("actor", admin), institution=kwargs.pop("institution", institution), person=person,
        occupation=occupation or world.electrician, level=level, **{**TERM, **kwargs},
    )  # fmt: skip


def test_an_enterprise_appoints_a_principal_from_a_grade_1_holder_unpublished(world, enterprise):
    appointment = record(world, enterprise, holder(world))
    assert appointment.published_on is None and appointment.institution == enterprise[0]
    assert appointment.history.get().history_user == enterprise[1]


@pytest.mark.parametrize("held", [None, Level.GRADE_2])
def test_a_principal_needs_grade_1_in_the_occupation(world, enterprise, held):
    with pytest.raises(DomainError) as error:
        record(world, enterprise, holder(world, held))
    assert "一级/高级技师" in error.value.message_dict["person"][0]
    assert not Appointment.objects.exists()


def test_a_chief_needs_a_published_principal_appointment(world, enterprise):
    person = holder(world)
    with pytest.raises(DomainError, match="特级技师"):
        record(world, enterprise, person, level=Level.CHIEF)
    principal = record(world, enterprise, person)
    with pytest.raises(DomainError, match="特级技师"):  # not yet published
        record(world, enterprise, person, level=Level.CHIEF)
    appointment_publish(actor=world.regulator, appointment=principal)
    chief = record(world, enterprise, person, level=Level.CHIEF)
    assert chief.level == Level.CHIEF


def test_only_an_enterprise_appoints(world):
    social_admin = world.admin_a  # institution A is a social training-evaluation organisation
    with pytest.raises(DomainError) as error:
        record(world, (world.a, social_admin), holder(world))
    assert "institution" in error.value.message_dict


def test_only_in_an_occupation_whose_standard_has_grade_1(world, enterprise):
    short = factories.StandardFactory(levels=[1, 2, 3]).occupation
    person = holder(world)
    PriorCertificate.objects.create(
        person=person, evaluation_type="skill_level", occupation=short, level=Level.GRADE_3,
        number="S999999999999999999999", issuer="x", issued_on=DAY,
    )  # fmt: skip
    with pytest.raises(DomainError) as error:
        record(world, enterprise, person, occupation=short)
    assert "occupation" in error.value.message_dict


def test_an_admin_of_another_institution_cannot_appoint_for_it(world, enterprise):
    with pytest.raises(Forbidden):
        record(world, enterprise, holder(world), actor=world.admin_b)
    assert not Appointment.objects.exists()


def test_a_term_that_ends_before_it_starts_is_refused(world, enterprise):
    with pytest.raises(DomainError) as error:
        record(world, enterprise, holder(world), term_until=datetime.date(2026, 1, 1))
    assert "term_until" in error.value.message_dict


def test_only_the_regulator_publishes_and_only_once(world, enterprise):
    appointment = record(world, enterprise, holder(world))
    with pytest.raises(Forbidden):
        appointment_publish(actor=enterprise[1], appointment=appointment)
    published = appointment_publish(actor=world.regulator, appointment=appointment, on=DAY)
    assert (published.published_on, published.published_by) == (DAY, world.regulator)
    with pytest.raises(DomainError, match="已于"):
        appointment_publish(actor=world.regulator, appointment=appointment)


def test_publishing_checks_the_prerequisite_again(world, enterprise):
    person = holder(world)
    appointment = record(world, enterprise, person)
    PriorCertificate.objects.filter(person=person).delete()
    with pytest.raises(DomainError):
        appointment_publish(actor=world.regulator, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.published_on is None


def test_the_worker_record_shows_only_published_appointments(world, enterprise, client):
    person = holder(world)
    person.user = factories.UserFactory()
    person.save(update_fields=["user"])
    appointment = record(world, enterprise, person)
    client.force_login(person.user)
    assert "上海电气" not in client.get(reverse("my-record")).content.decode()
    appointment_publish(actor=world.regulator, appointment=appointment)
    assert "上海电气" in client.get(reverse("my-record")).content.decode()


def test_the_enterprise_page_records_and_the_regulator_publishes(world, enterprise, client):
    institution, admin = enterprise
    person = holder(world)
    client.force_login(admin)
    form = {
        "institution": institution.pk, "name": person.name, "document_type": "resident_id",
        "document_number": person.document_number, "occupation": world.electrician.pk,
        "level": int(Level.PRINCIPAL), "term_from": "2026-07-01", "term_until": "2029-06-30",
    }  # fmt: skip
    assert client.post(reverse("institution-appointments"), form).status_code == 302
    appointment = Appointment.objects.get()
    assert client.post(reverse("regulator-appointment-publish", args=[appointment.pk])).status_code == 403
    client.force_login(world.regulator)
    assert f'id="appointment-{appointment.pk}"' in client.get(reverse("regulator-queue")).content.decode()
    client.post(reverse("regulator-appointment-publish", args=[appointment.pk]))
    appointment.refresh_from_db()
    assert appointment.published_on is not None


def test_an_unknown_person_reads_like_a_missing_prerequisite(world, enterprise, client):
    institution, admin = enterprise
    client.force_login(admin)
    form = {
        "institution": institution.pk, "name": "不存在", "document_type": "resident_id",
        "document_number": factories.resident_id(), "occupation": world.electrician.pk,
        "level": int(Level.PRINCIPAL), "term_from": "2026-07-01", "term_until": "2029-06-30",
    }  # fmt: skip
    unknown = client.post(reverse("institution-appointments"), form)
    assert unknown.status_code == 400 and "不存在 未取得本职业一级/高级技师" in unknown.content.decode()
    person = holder(world, level=None, name="无证者")
    known = client.post(
        reverse("institution-appointments"),
        {**form, "name": person.name, "document_number": person.document_number},
    )
    assert known.status_code == 400 and "无证者 未取得本职业一级/高级技师" in known.content.decode()
    assert not Appointment.objects.exists()


def test_the_enterprise_page_lists_only_its_own_appointments(world, enterprise, client):
    record(world, enterprise, holder(world))
    other = factories.InstitutionFactory(kind=Institution.Kind.EMPLOYER, name="别家企业")
    client.force_login(factories.member(other, Role.INSTITUTION_ADMIN))
    page = client.get(reverse("institution-appointments")).content.decode()
    assert "蒋师傅" not in page
    client.force_login(factories.UserFactory())
    assert client.get(reverse("institution-appointments")).status_code == 403
