"""The school's export of its graduating cohort: the list behind the certificates-per-student
figure. It carries names and masked ID numbers only (never a full number), yet it is personal
data leaving the registry, so each export is recorded like the reporting export: one
SensitiveRead per student in it, in the same transaction."""

import csv
import io

from django.db import transaction
from django.utils.translation import gettext as _

from registry.levels import Level
from registry.models import SensitiveRead, User

from ..cohorts import Student

EXPORT_PURPOSE = "院校毕业学年证书统计导出"


def _header() -> list[str]:
    return [_("毕业年份"), _("姓名"), _("证件号码"), _("证书数"), _("证书")]


def _certificate_text(c) -> str:
    level = f" {Level(c.level).label}" if c.level is not None else ""
    return f"{c.number} {c.occupation.name}{level} {c.institution.name} {c.issued_on.isoformat()}"


def _rows(students: list[Student]) -> list[list]:
    return [
        [
            str(s.year) if s.year else _("未登记"),
            s.name,
            s.document_masked,
            s.certificate_count,
            "；".join(_certificate_text(c) for c in s.certificates),
        ]
        for s in students
    ]


def _csv(students) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(_header())
    writer.writerows(_rows(students))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens the Chinese headers


def _xlsx(students) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("毕业学年学生证书"))
    sheet.append(_header())
    for row in _rows(students):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@transaction.atomic
def cohort_export(*, actor: User, students: list[Student], fmt: str, path: str = "") -> bytes:
    """The file (fmt "xlsx" or "csv"), with one SensitiveRead per student written with it."""
    data = _xlsx(students) if fmt == "xlsx" else _csv(students)
    SensitiveRead.objects.bulk_create(
        SensitiveRead(user=actor, person_id=s.person_id, purpose=EXPORT_PURPOSE, path=path[:300]) for s in students
    )
    return data
