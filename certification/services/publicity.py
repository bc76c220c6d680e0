"""Results publicity (成绩公示) and objections (异议).

A submitted session's results are public for its period (Session.publicity_ends_on); a result
whose outcome a correction changed is public again for its own (Result.publicity_ends_on).
Anyone may object to one candidate's result during that period; the institution answers, the
regulator resolves: upheld through the audited correction path, dismissed lifts the hold. An
open objection holds that result's issuance (services.issuance), not the rest of the session.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.errors import DomainError, Forbidden
from registry.models import User
from registry.selectors import user_is_regulator

from ..models import Application, Objection, Result, Session
from ..selectors import (
    is_admin_of,
    results_in_publicity,
    session_application_counts,
    session_in_own_publicity,
    session_results,
    session_results_in_publicity,
)
from .results import correction_file

# Two-character surnames (复姓) common enough to meet on a roster; the rest are one character.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 令狐 公孙 慕容 尉迟 长孙 宇文 司徒 夏侯 轩辕 端木 独孤 南宫 西门 百里 "
    "呼延 申屠 澹台 公冶 宗政 濮阳 太叔 仲孙 钟离 万俟 闻人 赫连 拓跋 左丘 东郭 南门 羊舌 微生 梁丘 "
    "司空 司寇 亓官 子车 第五".split()
)
MAX_REASON = 2000
MAX_CONTACT = 100


def mask_name(name: str) -> str:
    """The public form of a name: the surname, the rest masked (张** / 欧阳** / J***)."""
    name = (name or "").strip()
    if not name:
        return ""
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + "*" * max(len(name) - keep, 1)


@dataclass(frozen=True)
class PublicRow:
    """One candidate as the public sees them: nothing that identifies more than the mask."""

    result_id: int
    name: str
    document: str
    occupation: str
    level: str
    outcome: str
    publicity_ends_on: datetime.date
    republicised: bool
    objected: bool


# What a public row reads: the masked copy of the ID number kept beside the ciphertext, never
# the ciphertext (nothing on this page is decrypted).
PUBLIC_COLUMNS = (
    "pk",
    "outcome",
    "publicity_ends_on",
    "application__person__name",
    "application__person__document_masked",
)


def publicity_roster(session: Session, today: datetime.date) -> tuple[QuerySet, int]:
    """What the public page pages through: the application ids of the session's candidates on
    display, in roster order, and how many there are.

    During the session's own period that is every enrolled candidate (each has a result, and no
    certificate can exist yet: issuance takes an issue date after the period and never after
    today). So a page is cut from the roster's (session, id) index and the count is the locked
    session's enrolled count, cached (`session_application_counts`): counting, or skipping to the
    last page through, 20,000 results and their certificates cost 0.1-0.2 s at 1M. After the
    period only results publicised again after a correction are on display, a few: read and
    counted as they are. `public_rows` applies the whole rule to a page's rows either way."""
    if session_in_own_publicity(session, today):
        enrolled = Application.objects.filter(session=session, state=Application.State.ENROLLED)
        count = session_application_counts([session])[session.pk][1]
        return enrolled.order_by("pk").values_list("pk", flat=True), count
    shown = session_results(session_results_in_publicity(session, today), session.pk)
    shown = shown.order_by("application_id").values_list("application_id", flat=True)
    return shown, shown.count()


def public_rows(session: Session, application_ids, today: datetime.date | None = None) -> list[PublicRow]:
    """The public form of the results of `application_ids` (a page of `publicity_roster`) that
    are on display, in roster order: one query, the open objections included."""
    today = today or timezone.localdate()
    open_objection = Objection.objects.filter(result=OuterRef("pk"), state=Objection.State.OPEN)
    results = (
        session_results_in_publicity(session, today)
        .filter(application_id__in=list(application_ids))
        .annotate(objected=Exists(open_objection))
        .order_by("application_id")
        .values(*PUBLIC_COLUMNS, "objected")
    )
    occupation = session.occupation.name + (f"（{session.specialty.name}）" if session.specialty_id else "")
    level = session.get_level_display() if session.level is not None else "—"
    return [
        PublicRow(
            result_id=result["pk"],
            name=mask_name(result["application__person__name"]),
            # Stored by registry.services.person_fields with registry.identity's one public mask.
            document=result["application__person__document_masked"],
            occupation=occupation,
            level=level,
            outcome=str(Result.Outcome(result["outcome"]).label),
            publicity_ends_on=publicity_ends_on(result["publicity_ends_on"], session),
            republicised=bool(result["publicity_ends_on"]),
            objected=result["objected"],
        )
        for result in results
    ]


def publicity_ends_on(own: datetime.date | None, session: Session) -> datetime.date | None:
    """The last day of a result's publicity: `own` (Result.publicity_ends_on, set after a
    correction) when later, else its session's."""
    common = session.publicity_ends_on
    if own and (common is None or own > common):
        return own
    return common


def publicity_rows(session: Session, today: datetime.date | None = None) -> list[PublicRow]:
    """Every row of the session on display (the page shows them a page at a time)."""
    today = today or timezone.localdate()
    application_ids, _count = publicity_roster(session, today)
    return public_rows(session, application_ids, today)


@transaction.atomic
def objection_file(
    *, result: Result | None, reason: str, contact: str, today: datetime.date | None = None
) -> Objection:
    """Anyone files an objection to one result, only during that result's publicity period."""
    today = today or timezone.localdate()
    if result is None or not results_in_publicity(today).filter(pk=result.pk).exists():
        raise DomainError({"result": _("该考生的成绩不在公示期内，不能提出异议。")})
    reason, contact = (reason or "").strip(), (contact or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("请写明异议理由。")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _("异议理由不能超过 %(n)d 字。") % {"n": MAX_REASON}
    if not contact:
        errors["contact"] = _("请留下联系方式（电话或邮箱），以便答复。")
    elif len(contact) > MAX_CONTACT:
        errors["contact"] = _("联系方式不能超过 %(n)d 字。") % {"n": MAX_CONTACT}
    if errors:
        raise DomainError(errors)
    return Objection.objects.create(result=result, reason=reason, contact=contact)


def _open(objection: Objection) -> Objection:
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("result__application__session")
        .get(pk=objection.pk)
    )
    if not objection.is_open:
        raise DomainError(
            {
                "objection": _("该异议已于 %(at)s 处理（%(s)s）。")
                % {"at": timezone.localtime(objection.resolved_at).date(), "s": objection.get_state_display()}
            }
        )
    return objection


@transaction.atomic
def objection_answer(*, actor: User, objection: Objection, text: str) -> Objection:
    """The institution that assessed the candidate answers the objection (once, in writing)."""
    objection = _open(objection)
    if not is_admin_of(actor, objection.result.application.session.institution_id):
        raise Forbidden(_("只有本机构管理员可以答复异议。"))
    if objection.answered_at:
        raise DomainError(
            {"text": _("本机构已于 %(at)s 答复。") % {"at": timezone.localtime(objection.answered_at).date()}}
        )
    if not (text or "").strip():
        raise DomainError({"text": _("请填写答复内容。")})
    objection.answer, objection.answered_by, objection.answered_at = text.strip(), actor, timezone.now()
    objection.save(update_fields=["answer", "answered_by", "answered_at"])
    return objection


@transaction.atomic
def objection_resolve(
    *,
    actor: User,
    objection: Objection,
    upheld: bool,
    resolution: str,
    field: str | None = None,
    value=None,
) -> Objection:
    """The regulator resolves an objection. Upheld: the result changes through the audited
    correction path (field and value; a fail → pass needs a second regulator's approval), and
    the new outcome is publicised again. Dismissed: the hold lifts."""
    if not user_is_regulator(actor):
        raise Forbidden(_("只有监管部门可以处理异议。"))
    objection = _open(objection)
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError({"resolution": _("请填写处理意见。")})
    if upheld:
        if not field:
            raise DomainError({"field": _("异议成立须更正成绩：请选择更正的科目并填写新值。")})
        correction = correction_file(
            actor=actor,
            result=objection.result,
            field=field,
            value=value,
            reason=_("异议 #%(id)s 成立：%(r)s") % {"id": objection.pk, "r": resolution},
        )
        objection.correction, objection.state = correction, Objection.State.UPHELD
    else:
        objection.state = Objection.State.DISMISSED
    objection.resolution, objection.resolved_by, objection.resolved_at = resolution, actor, timezone.now()
    objection.save(update_fields=["state", "correction", "resolution", "resolved_by", "resolved_at"])
    return objection
