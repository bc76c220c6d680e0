"""Selectors for a school's graduating cohort (docs/domain.md, 院校): who its students are, their
graduating year, and the figure its support depends on, certificates obtained per graduating-year
student, by graduating year.

Decisions (README, "School screens"):
- A school's students are the people it enrolled: anyone with an application in one of its
  sessions that was not withdrawn or refused (the cohort import, or one added by hand).
- A student's graduating year is the calendar year of a graduation date on their Education
  records: the record naming this school if there is one, else the latest. A student without any
  is listed under "unknown year" and still counted in the totals, so nobody silently drops out.
- Certificates count from any institution (a partner employer's 直接认定 counts like the
  school's own), obtained up to the end of the graduating year (a certificate obtained years after
  graduating is not the school's result). Revoked certificates never count: a revoked certificate
  is void (作废) and a subsidy must not rest on it. A reissue (补发) is the same certificate, so
  it cannot count twice.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from registry.models import Education, Institution, Person

from .models import Application, Certificate


@dataclass
class Student:
    person_id: int
    name: str
    document_masked: str
    year: int | None
    certificates: list[Certificate] = field(default_factory=list)

    @property
    def certificate_count(self) -> int:
        return len(self.certificates)


@dataclass(frozen=True)
class YearFigure:
    year: int | None
    students: int
    certificates: int

    @property
    def per_student(self) -> Decimal:
        return per_student(self.certificates, self.students)


def per_student(certificates: int, students: int) -> Decimal:
    if not students:
        return Decimal("0.00")
    return (Decimal(certificates) / Decimal(students)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _graduating_years(person_ids, school_names: set[str]) -> dict[int, int]:
    chosen: dict[int, tuple[bool, datetime.date]] = {}
    rows = Education.objects.filter(person_id__in=person_ids).values_list("person_id", "school", "graduation_date")
    for person_id, school, graduated in rows:
        key = (school in school_names, graduated)  # this school's record first, then the latest
        if person_id not in chosen or key > chosen[person_id]:
            chosen[person_id] = key
    return {person_id: graduated.year for person_id, (_own, graduated) in chosen.items()}


def cohort_students(*, schools) -> list[Student]:
    """The students of `schools` (Institution rows the caller administers: the view scopes them)
    with their graduating year and the certificates that count, by year then name."""
    schools = list(schools)
    enrolled = Application.objects.filter(session__institution__in=schools).exclude(
        state__in=(Application.State.WITHDRAWN, Application.State.REJECTED)
    )
    people = list(
        Person.objects.filter(pk__in=enrolled.values("person_id"))
        .order_by("name", "pk")
        .values_list("pk", "name", "document_masked")
    )
    ids = [pk for pk, _name, _masked in people]
    years = _graduating_years(ids, {s.name for s in schools})
    students = {
        pk: Student(person_id=pk, name=name, document_masked=masked, year=years.get(pk)) for pk, name, masked in people
    }
    certificates = (
        Certificate.objects.filter(person_id__in=list(students), revoked_at__isnull=True)
        .select_related("institution", "occupation")
        .order_by("issued_on", "number")
    )
    for certificate in certificates:
        student = students[certificate.person_id]
        if student.year is None or certificate.issued_on <= datetime.date(student.year, 12, 31):
            student.certificates.append(certificate)
    return sorted(students.values(), key=lambda s: (s.year is None, s.year or 0, s.name, s.person_id))


def cohort_figures(students: list[Student]) -> list[YearFigure]:
    """Certificates per graduating-year student, one row per graduating year (unknown last)."""
    by_year: dict[int | None, list[Student]] = defaultdict(list)
    for student in students:
        by_year[student.year].append(student)
    return [
        YearFigure(year=y, students=len(group), certificates=sum(s.certificate_count for s in group))
        for y, group in sorted(by_year.items(), key=lambda item: (item[0] is None, item[0] or 0))
    ]


def schools_of(institution_ids) -> list[Institution]:
    return list(Institution.objects.filter(kind=Institution.Kind.SCHOOL, id__in=institution_ids).order_by("name"))
