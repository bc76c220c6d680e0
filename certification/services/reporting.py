"""Reporting (数据上报): issued certificates go to the national query database. One export of
the unreported certificates of a batch or an institution, in the national upload's column order
(a setting, REPORT_COLUMNS), and a "mark reported" step that records who and when.

The national upload needs the full ID number, so this export is one of the few places it leaves
the registry: only the issuer may download it (the issuing institution's admin for skill-level
certificates, the regulator for everything), never through a URL carrying the number, and
nothing here logs a row."""

import csv
import io
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.errors import DomainError, Forbidden
from registry.levels import EVALUATION_TYPES, Level
from registry.models import Institution, SensitiveRead, User
from registry.selectors import ADMIN_ROLES, user_institution_ids, user_is_regulator

from ..models import Certificate, IssuanceBatch

# Every column the export can carry, by its header; REPORT_COLUMNS picks and orders them.
REPORT_FIELDS: dict[str, Callable[[Certificate], str]] = {
    "证书编号": lambda c: c.number,
    "姓名": lambda c: c.person.name,
    "证件类型": lambda c: str(c.person.get_document_type_display()),
    "证件号码": lambda c: c.person.document_number,
    "性别": lambda c: str(c.person.get_sex_display()) if c.person.sex else "",
    "职业编码": lambda c: c.occupation.code,
    "职业名称": lambda c: c.occupation.name,
    "工种": lambda c: c.result.application.session.specialty.name if c.result.application.session.specialty else "",
    "等级": lambda c: str(Level(c.level).label) if c.level is not None else "",
    "评价类型": lambda c: str(c.get_evaluation_type_display()),
    "发证日期": lambda c: c.issued_on.isoformat(),
    "评价机构": lambda c: c.institution.name,
    "统一社会信用代码": lambda c: c.institution.credit_code,
}


def report_columns() -> list[str]:
    columns = list(settings.REPORT_COLUMNS)
    unknown = [c for c in columns if c not in REPORT_FIELDS]
    if unknown or not columns:
        raise ImproperlyConfigured(f"REPORT_COLUMNS: unknown columns {unknown}; known: {list(REPORT_FIELDS)}")
    return columns


def reportable_for(actor: User) -> QuerySet[Certificate]:
    """The certificates `actor` reports: the regulator all; an institution's admin the skill-level
    certificates it issued (qualification and special-ability certificates are the regulator's)."""
    qs = Certificate.objects.all()
    if user_is_regulator(actor):
        return qs
    own_types = [t for t, info in EVALUATION_TYPES.items() if info.issued_by_institution]
    return qs.filter(institution_id__in=user_institution_ids(actor, ADMIN_ROLES), evaluation_type__in=own_types)


def _require_reporter(actor: User, institution_id: int) -> None:
    if not (user_is_regulator(actor) or institution_id in user_institution_ids(actor, ADMIN_ROLES)):
        raise Forbidden(_("只有发证机构管理员或监管部门可以上报证书数据。"))


def unreported_certificates(
    *, actor: User, batch: IssuanceBatch | None = None, institution: Institution | None = None
) -> QuerySet[Certificate]:
    """A batch's or an institution's valid certificates not yet reported, in number order.
    Revoked certificates are left out: the national database receives valid ones only."""
    if (batch is None) == (institution is None):
        raise DomainError({"batch": _("请指定一个发证批次或一个机构。")})
    _require_reporter(actor, batch.institution_id if batch else institution.id)
    where = Q(batch=batch) if batch else Q(institution=institution)
    return (
        reportable_for(actor)
        .filter(where, reported_at__isnull=True, revoked_at__isnull=True)
        .select_related("person", "occupation", "institution", "result__application__session__specialty")
        .order_by("number")
    )


def report_rows(certificates) -> tuple[list[str], list[list[str]]]:
    columns = report_columns()
    getters = [REPORT_FIELDS[c] for c in columns]
    return columns, [[get(c) for get in getters] for c in certificates]


def report_csv(certificates) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headers correctly."""
    header, rows = report_rows(certificates)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(certificates) -> bytes:
    from openpyxl import Workbook

    header, rows = report_rows(certificates)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("证书数据")
    sheet.append(header)
    for row in rows:
        sheet.append(row)  # every cell a string: ID numbers and codes keep their leading zeros
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EXPORT_PURPOSE = "数据上报导出"


@transaction.atomic
def report_export(*, actor: User, certificates, fmt: str, path: str = "") -> bytes:
    """The export file (fmt "xlsx" or "csv"). It shows full ID numbers, so each export is recorded
    like any other reveal of a full number: one SensitiveRead per person in it (who, when, whose,
    why), in the same transaction."""
    certificates = list(certificates)
    data = report_xlsx(certificates) if fmt == "xlsx" else report_csv(certificates)
    people = {c.person_id for c in certificates}
    SensitiveRead.objects.bulk_create(
        SensitiveRead(user=actor, person_id=person_id, purpose=EXPORT_PURPOSE, path=path[:300])
        for person_id in sorted(people)
    )
    return data


@transaction.atomic
def certificates_mark_reported(
    *, actor: User, batch: IssuanceBatch | None = None, certificate_ids: list[int] | None = None
) -> int:
    """Record that certificates were uploaded to the national database: who and when. Takes a
    batch (its unreported certificates) or explicit ids; idempotent (an already reported
    certificate keeps its first record). Returns how many were marked now."""
    if (batch is None) == (certificate_ids is None):
        raise DomainError({"certificates": _("请指定一个发证批次或证书编号列表。")})
    if batch is not None:
        _require_reporter(actor, batch.institution_id)
        if batch.state != IssuanceBatch.State.DONE:
            # Certificates issued after the clerk's download would be marked without being uploaded.
            raise DomainError({"batch": _("发证批次尚未完成，请待完成后下载上报文件并上传，再标记为已上报。")})
        qs = reportable_for(actor).filter(batch=batch)
    else:
        ids = set(certificate_ids)
        if not ids:
            raise DomainError({"certificates": _("请至少选择一张证书。")})
        qs = reportable_for(actor).filter(pk__in=ids)
        missing = ids - set(qs.values_list("pk", flat=True))
        if missing:
            raise DomainError(
                {"certificates": _("证书 %(ids)s 不存在或无权上报。") % {"ids": ", ".join(map(str, sorted(missing)))}}
            )
    # Lock, then mark only the unreported: two clicks at once mark each certificate once.
    pending = list(
        qs.select_for_update().filter(reported_at__isnull=True, revoked_at__isnull=True).values_list("pk", flat=True)
    )
    return Certificate.objects.filter(pk__in=pending).update(reported_at=timezone.now(), reported_by=actor)
