"""Scores and outcomes. The outcome is computed from the scores (each required part at or
above its pass mark), never typed; after submission a change is a correction with a reason."""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.errors import DomainError, Forbidden
from registry.levels import EvaluationType, ExamPart
from registry.models import User
from registry.selectors import user_is_regulator

from ..models import Application, IssuanceBatch, Result, ResultCorrection, Session, SessionStaff
from ..models.results import SCORE_PARTS
from ..selectors import is_admin_of
from .sessions import add_working_days, recusal_conflicts, required_parts

UNSET = object()
PART_LABELS = {ExamPart.THEORY: _("理论知识"), ExamPart.PRACTICAL: _("操作技能"), ExamPart.REVIEW: _("综合评审")}
# Which session role records which part.
ROLE_PARTS = {
    SessionStaff.Role.ASSESSOR: {"theory", "practical", "special_passed"},
    SessionStaff.Role.REVIEWER: {"review"},
}


def compute_outcome(result: Result, session: Session, parts: dict[str, int] | None = None) -> str:
    """`parts`: the session's `required_parts`, when the caller already has them."""
    if session.evaluation_type == EvaluationType.SPECIAL_ABILITY:
        if result.special_passed is None:
            return Result.Outcome.PENDING
        return Result.Outcome.PASSED if result.special_passed else Result.Outcome.FAILED
    parts = required_parts(session) if parts is None else parts
    scores = {part: getattr(result, part) for part in parts}
    if any(score is not None and score < mark for part, mark in parts.items() for score in [scores[part]]):
        return Result.Outcome.FAILED
    if not parts or any(score is None for score in scores.values()):
        return Result.Outcome.PENDING
    return Result.Outcome.PASSED


def _clean_score(field: str, value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError({field: _("分数“%(v)s”不是数字。") % {"v": value}}) from None
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise DomainError({field: _("分数须在 0–100 之间，收到 %(v)s。") % {"v": value}})
    if score != score.quantize(Decimal("0.1")):
        raise DomainError({field: _("分数最多保留一位小数。")})
    return score.quantize(Decimal("0.1"))


def clean_values(session: Session, values: dict, parts: dict[str, int] | None = None) -> dict:
    special = session.evaluation_type == EvaluationType.SPECIAL_ABILITY
    parts = required_parts(session) if parts is None else parts
    clean = {}
    for field, value in values.items():
        if field == "special_passed":
            if not special:
                raise DomainError({field: _("只有专项职业能力考核记录合格/不合格。")})
            if value is not None and not isinstance(value, bool):
                raise DomainError({field: _("专项考核结果须为合格或不合格。")})
            clean[field] = value
            continue
        if special:
            raise DomainError({field: _("专项职业能力考核不记分数，只记合格/不合格。")})
        if field not in parts:
            raise DomainError({field: _("本等级不考%(part)s。") % {"part": PART_LABELS[field]}})
        clean[field] = _clean_score(field, value)
    return clean


def recording_staff(actor: User, session: Session) -> tuple[set[str], list[SessionStaff]]:
    """The fields `actor` may record on `session` and their assignments; Forbidden for anyone
    not assigned as assessor or reviewer, DomainError once the session is submitted."""
    staff = list(SessionStaff.objects.filter(session=session, assessor__user=actor).select_related("assessor"))
    allowed = set().union(*(ROLE_PARTS.get(s.role, set()) for s in staff))
    if not allowed:
        raise Forbidden(_("只有指派到本批次的考评员可以录入成绩。"))
    if session.is_locked:
        raise DomainError({"session": _("批次已提交，成绩已锁定；如需更正请走更正流程并写明理由。")})
    today = timezone.localdate()
    if today < session.starts_on:  # docs/domain.md: scores only from the session's first day
        raise DomainError(
            {
                "session": _("考核 %(d)s 开始，之前不能录入成绩（今天是 %(today)s）。")
                % {"d": session.starts_on, "today": today}
            }
        )
    return allowed, staff


def not_enrolled_error(application: Application) -> DomainError | None:
    if application.state == Application.State.ENROLLED:
        return None
    return DomainError({"application": _("该考生不在已报名状态（%(s)s）。") % {"s": application.get_state_display()}})


def check_parts_allowed(fields, allowed: set[str]) -> None:
    for field in fields:
        if field not in allowed:
            raise Forbidden(_("您在本批次的职责不能录入%(part)s。") % {"part": PART_LABELS.get(field, field)})


def recused(staff: list[SessionStaff], person_ids: set[int]) -> set[int]:
    """Which of `person_ids` the assignments' holder may not assess (回避)."""
    assessors = {s.assessor_id: s.assessor for s in staff}
    return set().union(*(recusal_conflicts(assessor, person_ids) for assessor in assessors.values()))


RECUSAL_MESSAGE = _("须回避：不能为本人或申报的关系人评分。")


@transaction.atomic
def result_record(*, actor: User, application: Application, **values) -> Result:
    """An assessor assigned to the session records scores (theory, practical, review or
    special_passed) before the session is submitted."""
    values = {k: v for k, v in values.items() if v is not UNSET}
    unknown = set(values) - set(SCORE_PARTS) - {"special_passed"}
    if unknown:
        raise DomainError({sorted(unknown)[0]: _("未知的成绩项。")})
    application = Application.objects.select_related("session__standard", "person").get(pk=application.pk)
    session = application.session
    allowed, staff = recording_staff(actor, session)
    error = not_enrolled_error(application)
    if error is not None:
        raise error
    clean = clean_values(session, values)
    check_parts_allowed(clean, allowed)
    if recused(staff, {application.person_id}):
        raise Forbidden(RECUSAL_MESSAGE)
    result = Result.objects.select_for_update().get(application=application)
    for field, value in clean.items():
        setattr(result, field, value)
    result.outcome = compute_outcome(result, session)
    result.recorded_by = actor
    result.save()
    return result


def correction_problem(session: Session, result: Result) -> DomainError | None:
    """Why `result` cannot be changed now, or None. While a batch of its session is queued or
    running, a changed outcome would be in none of its chunks and the session then marked
    issued: the result would reach neither a certificate nor a later batch."""
    if not session.is_locked:
        return DomainError({"session": _("批次尚未提交，请直接录入成绩。")})
    if session.state == Session.State.ISSUED or hasattr(result, "certificate"):
        return DomainError({"session": _("证书已核发，成绩不能再更正；如有错误须撤销证书。")})
    if session.batch_id and session.batch.state != IssuanceBatch.State.DONE:
        return DomainError({"session": _("发证批次 #%(b)s 正在处理，请待其完成后再更正。") % {"b": session.batch_id}})
    return None


def _locked(result: Result) -> tuple[Session, Result]:
    """Lock the session, then the result: the session lock serialises a correction with
    batch_create, which locks the sessions it takes."""
    session_id = Application.objects.filter(result=result).values_list("session_id", flat=True).get()
    session = Session.objects.select_for_update(of=("self",)).select_related("standard", "batch").get(pk=session_id)
    return session, Result.objects.select_for_update().get(pk=result.pk)


def _stored(value) -> str:
    return "" if value is None else str(value)


def _parse_stored(field: str, text: str):
    if text == "":
        return None
    if field == "special_passed":
        return text == "True"
    return Decimal(text)


def _apply(session: Session, result: Result, field: str, value) -> None:
    """Set the value; a changed outcome is publicised again, this result alone, for a full
    period from today (docs/domain.md: issuance only after publicity)."""
    before = result.outcome
    setattr(result, field, value)
    result.outcome = compute_outcome(result, session)
    if result.outcome != before:
        result.publicity_ends_on = add_working_days(timezone.localdate(), settings.PUBLICITY_WORKING_DAYS)
    result.save()


@transaction.atomic
def correction_file(*, actor: User, result: Result, field: str, value, reason: str) -> ResultCorrection:
    """Correct a locked result: a named user, a reason, the old and new values kept. A
    correction that turns a fail into a pass is only a request until the regulator approves
    it (correction_approve); any other applies at once."""
    session, result = _locked(result)
    if not (user_is_regulator(actor) or is_admin_of(actor, session.institution_id)):
        raise Forbidden(_("只有本机构管理员或监管部门可以更正成绩。"))
    problem = correction_problem(session, result)
    if problem is not None:
        raise problem
    if not (reason or "").strip():
        raise DomainError({"reason": _("更正成绩须写明理由。")})
    if field not in (*SCORE_PARTS, "special_passed"):
        raise DomainError({"field": _("未知的成绩项。")})
    clean = clean_values(session, {field: value})
    old = getattr(result, field)
    if old == clean[field]:
        raise DomainError({"value": _("新值与原值相同。")})
    pending = result.corrections.filter(state=ResultCorrection.State.PENDING).first()
    if pending is not None:
        raise DomainError(
            {"result": _("该成绩已有待监管部门审批的更正申请 #%(c)s，请待其处理后再更正。") % {"c": pending.pk}}
        )
    setattr(result, field, clean[field])
    proposed = compute_outcome(result, session)
    setattr(result, field, old)
    needs_approval = result.outcome != Result.Outcome.PASSED and proposed == Result.Outcome.PASSED
    correction = ResultCorrection.objects.create(
        result=result,
        field=field,
        old_value=_stored(old),
        new_value=_stored(clean[field]),
        reason=reason.strip(),
        state=ResultCorrection.State.PENDING if needs_approval else ResultCorrection.State.APPLIED,
        corrected_by=actor,
    )
    if not needs_approval:
        _apply(session, result, field, clean[field])
    return correction


def result_correct(*, actor: User, result: Result, field: str, value, reason: str) -> Result:
    """correction_file, answering the result (a fail → pass correction leaves it unchanged
    until the regulator approves)."""
    correction = correction_file(actor=actor, result=result, field=field, value=value, reason=reason)
    return Result.objects.get(pk=correction.result_id)


def _decidable(actor: User, correction: ResultCorrection) -> tuple[Session, Result, ResultCorrection]:
    if not user_is_regulator(actor):
        raise Forbidden(_("只有监管部门可以审批成绩更正。"))
    session, result = _locked(correction.result)
    correction = ResultCorrection.objects.select_for_update().get(pk=correction.pk)
    if correction.corrected_by_id == actor.pk:
        raise Forbidden(_("更正申请须由申请人以外的另一人审批。"))
    if correction.state != ResultCorrection.State.PENDING:
        raise DomainError({"correction": _("该更正申请已处理（%(s)s）。") % {"s": correction.get_state_display()}})
    return session, result, correction


@transaction.atomic
def correction_approve(*, actor: User, correction: ResultCorrection, note: str = "") -> ResultCorrection:
    """The regulator, a second person, approves a fail → pass correction: it takes effect and
    the result is publicised again."""
    session, result, correction = _decidable(actor, correction)
    problem = correction_problem(session, result)
    if problem is not None:
        raise problem
    if _stored(getattr(result, correction.field)) != correction.old_value:
        raise DomainError({"correction": _("成绩在申请后已被修改，请驳回本申请后重新提出。")})
    _apply(session, result, correction.field, _parse_stored(correction.field, correction.new_value))
    correction.state, correction.decided_by, correction.decided_at = (
        ResultCorrection.State.APPROVED,
        actor,
        timezone.now(),
    )
    correction.decision_note = (note or "").strip()
    correction.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return correction


@transaction.atomic
def correction_reject(*, actor: User, correction: ResultCorrection, note: str) -> ResultCorrection:
    """The regulator rejects a correction request, saying why; the result stays as it was."""
    _session, _result, correction = _decidable(actor, correction)
    if not (note or "").strip():
        raise DomainError({"note": _("驳回更正申请须写明理由。")})
    correction.state, correction.decided_by, correction.decided_at = (
        ResultCorrection.State.REJECTED,
        actor,
        timezone.now(),
    )
    correction.decision_note = note.strip()
    correction.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return correction
