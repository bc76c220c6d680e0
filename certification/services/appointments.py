"""Appointments (评聘) of 特级技师 and 首席技师: by an enterprise institution, in an occupation whose
standard has 一级, for a holder of the prerequisite level (registry.levels.APPOINTMENT_PREREQUISITES),
published by the regulator; unpublished, they are not on the worker's record (docs/domain.md)."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import audit
from registry.errors import DomainError, Forbidden
from registry.levels import APPOINTMENT_PREREQUISITES, Level
from registry.models import Appointment, Institution, Occupation, Person, PriorCertificate, Standard, User
from registry.selectors import ADMIN_ROLES, user_institution_ids, user_is_regulator

from ..models import Certificate


def holds_level(person: Person, occupation: Occupation, level: int) -> bool:
    """Whether the person holds `level` in the occupation: an examined level by a certificate
    (issued here and not revoked, or entered from elsewhere); an appointed one by a published
    appointment."""
    if level in (Level.PRINCIPAL, Level.CHIEF):
        return Appointment.objects.filter(
            person=person, occupation=occupation, level=level, published_on__isnull=False
        ).exists()
    return (
        Certificate.objects.filter(person=person, occupation=occupation, level=level, revoked_at__isnull=True).exists()
        or PriorCertificate.objects.filter(person=person, occupation=occupation, level=level).exists()
    )


def _problems(institution: Institution, person: Person, occupation: Occupation, level: int) -> dict:
    errors = {}
    kind = institution.school_files_as if institution.kind == Institution.Kind.SCHOOL else institution.kind
    if kind != Institution.Kind.EMPLOYER:
        errors["institution"] = _("特级技师、首席技师由用人单位（企业）评聘。")
    if level not in APPOINTMENT_PREREQUISITES:
        errors["level"] = _("聘任等级只能是特级技师或首席技师。")
        return errors
    standard = Standard.objects.filter(occupation=occupation, is_current=True).first()
    if standard is None or Level.GRADE_1 not in standard.levels:
        errors["occupation"] = _("%(o)s 的职业标准未设一级/高级技师，不能评聘特级技师、首席技师。") % {
            "o": occupation.name
        }
    required = APPOINTMENT_PREREQUISITES[Level(level)]
    if not holds_level(person, occupation, required):
        errors["person"] = _("%(p)s 未取得本职业%(r)s，不能聘为%(l)s。") % {
            "p": person.name,
            "r": Level(required).label,
            "l": Level(level).label,
        }
    return errors


@transaction.atomic
def appointment_record(
    *,
    actor: User,
    institution: Institution,
    person: Person,
    occupation: Occupation,
    level: int,
    term_from: datetime.date,
    term_until: datetime.date,
) -> Appointment:
    """An enterprise's admin records an appointment; it waits for the regulator to publish it."""
    if institution.pk not in user_institution_ids(actor, ADMIN_ROLES):
        raise Forbidden(_("只有本单位管理员可以录入聘任。"))
    errors = _problems(institution, person, occupation, level)
    if term_until < term_from:
        errors["term_until"] = _("聘期止早于聘期起。")
    if errors:
        raise DomainError(errors)
    appointment = Appointment(
        person=person,
        level=level,
        occupation=occupation,
        employer=institution.name,
        institution=institution,
        term_from=term_from,
        term_until=term_until,
        appointed_by=actor,
    )
    audit.by(appointment, actor).save()
    return appointment


@transaction.atomic
def appointment_publish(*, actor: User, appointment: Appointment, on: datetime.date | None = None) -> Appointment:
    """The regulator publishes an appointment (the prerequisites are checked again: a
    certificate may have been revoked since)."""
    if not user_is_regulator(actor):
        raise Forbidden(_("聘任由监管部门公布。"))
    locked = Appointment.objects.select_for_update(of=("self",)).select_related("institution")
    appointment = locked.get(pk=appointment.pk)
    if appointment.published_on:
        raise DomainError({"published_on": _("该聘任已于 %(d)s 公布。") % {"d": appointment.published_on}})
    if appointment.institution is None:
        raise DomainError({"institution": _("该聘任没有聘任企业，不能公布。")})
    errors = _problems(appointment.institution, appointment.person, appointment.occupation, appointment.level)
    if errors:
        raise DomainError(errors)
    appointment.published_on, appointment.published_by = on or timezone.localdate(), actor
    audit.by(appointment, actor).save(update_fields=["published_on", "published_by"])
    return appointment
