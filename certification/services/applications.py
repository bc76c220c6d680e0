"""Applications: enrolment by pathway with eligibility, approvals of the exceptional routes."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.errors import DomainError, Forbidden
from registry.identity import DocumentType
from registry.levels import LEVELS, Level
from registry.models import Institution, Person, User
from registry.selectors import user_is_regulator
from registry.services import person_register

from .. import eligibility
from ..models import Application, Certificate, Result, Session
from ..selectors import is_admin_of

P = Application.Pathway
ACTIVE_STATES = (Application.State.PENDING_APPROVAL, Application.State.ENROLLED)


def _open_session(session: Session) -> None:
    if session.state != Session.State.PLANNED:
        raise DomainError({"session": _("批次已提交，不能再报名或变更报名。")})


def _employer_kind(institution: Institution) -> str:
    return institution.school_files_as if institution.kind == Institution.Kind.SCHOOL else institution.kind


def _check_pathway(session: Session, pathway: str, reason: str, evidence: str, person: Person, on: datetime.date):
    if pathway not in P.values:
        raise DomainError({"pathway": _("未知的申报途径。")})
    if pathway in (P.EXCEPTIONAL, P.DIRECT, P.COMPETITION) and not (reason.strip() and evidence.strip()):
        raise DomainError({"reason": _("%(p)s须填写理由和证明材料。") % {"p": P(pathway).label}})
    if pathway == P.DIRECT and _employer_kind(session.institution) != Institution.Kind.EMPLOYER:
        raise DomainError({"pathway": _("直接认定只能由用人单位评价机构为本单位职工开展。")})
    if pathway == P.SCHOOL_GROUP:
        if session.institution.kind != Institution.Kind.SCHOOL:
            raise DomainError({"pathway": _("院校团体申报只能在院校的评价批次中进行。")})
        horizon = on + datetime.timedelta(days=eligibility.GRADUATING_YEAR_DAYS)
        if not person.educations.filter(graduation_date__gte=on, graduation_date__lte=horizon).exists():
            raise DomainError(
                {"pathway": _("%(name)s 不是毕业学年学生（无一年内毕业的学历记录）。") % {"name": person.name}}
            )


def _check_eligibility(session: Session, person: Person, on: datetime.date):
    conditions = list(session.standard.conditions.filter(level=session.level))
    if not conditions:
        raise DomainError(
            {
                "condition": _("%(std)s 未登记%(level)s的申报条件，请联系监管部门。")
                % {"std": session.standard, "level": Level(session.level).label}
            }
        )
    issued_here = Certificate.objects.filter(
        person=person, occupation_id=session.occupation_id, revoked_at__isnull=True, level__isnull=False
    ).values_list("level", "issued_on")
    facts = eligibility.person_facts(person, session.occupation_id, on, certificates=list(issued_here))
    verdict = eligibility.evaluate(conditions, facts)
    if not verdict.eligible:
        raise DomainError({"condition": [verdict.explain()]})
    return verdict.condition


def _check_proportion_cap(session: Session) -> None:
    """DOMAIN.md: an optional cap on the share of an institution's staff at high levels,
    for normal applications only (direct recognition and exceptional routes skip it)."""
    institution = session.institution
    if institution.high_level_cap is None or not institution.staff_count:
        return
    if not LEVELS[Level(session.level)].high_skill:
        return
    high_levels = [level for level, info in LEVELS.items() if info.high_skill]
    taken = Application.objects.filter(
        session__institution=institution,
        session__level__in=high_levels,
        session__starts_on__year=session.starts_on.year,
        pathway=P.NORMAL,
        state__in=ACTIVE_STATES,
    ).count()
    allowed = int(institution.high_level_cap * institution.staff_count)
    if taken + 1 > allowed:
        raise DomainError(
            {
                "pathway": _(
                    "本单位 %(year)d 年普通申报高技能等级名额为 %(allowed)d 人"
                    "（比例上限 %(cap)s × 职工 %(staff)d 人），已用 %(taken)d 人。"
                )
                % {
                    "year": session.starts_on.year,
                    "allowed": allowed,
                    "cap": institution.high_level_cap,
                    "staff": institution.staff_count,
                    "taken": taken,
                }
            }
        )


def _enrol(*, actor, session, document_type, document_number, name, pathway, reason, evidence, on) -> Application:
    person = person_register(document_type=document_type, document_number=document_number, name=name)
    if session.applications.filter(person=person).exists():
        raise DomainError({"document_number": _("%(name)s 已报名本批次。") % {"name": person.name}})
    _check_pathway(session, pathway, reason, evidence, person, on)
    condition = None
    if pathway in (P.NORMAL, P.SCHOOL_GROUP) and session.level is not None:
        condition = _check_eligibility(session, person, on)
    if pathway == P.NORMAL and session.level is not None:
        _check_proportion_cap(session)
    needs_approval = pathway in (P.EXCEPTIONAL, P.DIRECT, P.COMPETITION)
    application = Application.objects.create(
        session=session,
        person=person,
        pathway=pathway,
        condition=condition,
        reason=reason.strip(),
        evidence=evidence.strip(),
        created_by=actor,
        state=Application.State.PENDING_APPROVAL if needs_approval else Application.State.ENROLLED,
    )
    if not needs_approval:
        Result.objects.create(application=application)
    return application


def _require_enroller(actor: User, session: Session) -> None:
    if not is_admin_of(actor, session.institution_id):
        raise Forbidden(_("只有本机构管理员可以为本批次报名。"))


@transaction.atomic
def application_enrol(
    *,
    actor: User,
    session: Session,
    name: str,
    document_number: object,
    document_type: str = DocumentType.RESIDENT_ID,
    pathway: str = P.NORMAL,
    reason: str = "",
    evidence: str = "",
    on: datetime.date | None = None,
) -> Application:
    """Enrol one candidate. A normal application that meets no condition is refused with the
    conditions it missed; exceptional routes wait for their approval."""
    session = Session.objects.select_for_update().select_related("institution", "standard").get(pk=session.pk)
    _require_enroller(actor, session)
    _open_session(session)
    return _enrol(
        actor=actor,
        session=session,
        document_type=document_type,
        document_number=document_number,
        name=name,
        pathway=pathway,
        reason=reason,
        evidence=evidence,
        on=on or timezone.localdate(),
    )


@transaction.atomic
def application_enrol_bulk(*, actor: User, session: Session, rows: list[dict], on: datetime.date | None = None):
    """Enrol many candidates, all or nothing: any bad row refuses the whole list, and the
    error names every bad row (1-based) with its field and reason."""
    session = Session.objects.select_for_update().select_related("institution", "standard").get(pk=session.pk)
    _require_enroller(actor, session)
    _open_session(session)
    on = on or timezone.localdate()
    created, errors = [], []
    for number, row in enumerate(rows, start=1):
        try:
            with transaction.atomic():
                created.append(
                    _enrol(
                        actor=actor,
                        session=session,
                        on=on,
                        document_type=row.get("document_type") or DocumentType.RESIDENT_ID,
                        document_number=row.get("document_number"),
                        name=row.get("name", ""),
                        pathway=row.get("pathway") or P.NORMAL,
                        reason=row.get("reason", ""),
                        evidence=row.get("evidence", ""),
                    )
                )
        except DomainError as error:
            errors.append({"row": number, "errors": error.message_dict})
    if errors:
        transaction.set_rollback(True)
        raise DomainError({"rows": [_row_message(e) for e in errors]})
    return created


def _row_message(entry: dict) -> str:
    parts = [f"{field}: {'；'.join(messages)}" for field, messages in entry["errors"].items()]
    return _("第 %(row)d 行 — %(detail)s") % {"row": entry["row"], "detail": " / ".join(parts)}


@transaction.atomic
def application_decide(*, actor: User, application: Application, approve: bool, note: str = "") -> Application:
    """Approve or reject an exceptional route: the regulator for 破格 and competition
    promotion, the employer institution for 直接认定 of its own staff."""
    application = Application.objects.select_for_update().select_related("session").get(pk=application.pk)
    if application.state != Application.State.PENDING_APPROVAL:
        raise DomainError(
            {"state": _("该申报不在待审批状态（当前：%(s)s）。") % {"s": application.get_state_display()}}
        )
    if application.pathway == P.DIRECT:
        if not is_admin_of(actor, application.session.institution_id):
            raise Forbidden(_("直接认定由本用人单位评价机构审批。"))
    elif not user_is_regulator(actor):
        raise Forbidden(_("破格晋升和竞赛晋升由监管部门审批。"))
    _open_session(application.session)
    if not approve and not note.strip():
        raise DomainError({"note": _("不予通过须写明理由。")})
    application.state = Application.State.ENROLLED if approve else Application.State.REJECTED
    application.decided_by, application.decided_at, application.decision_note = actor, timezone.now(), note.strip()
    application.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    if approve:
        Result.objects.get_or_create(application=application)
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, reason: str) -> Application:
    application = Application.objects.select_for_update().select_related("session").get(pk=application.pk)
    if not is_admin_of(actor, application.session.institution_id):
        raise Forbidden(_("只有本机构管理员可以撤回报名。"))
    _open_session(application.session)
    if application.state not in ACTIVE_STATES:
        raise DomainError({"state": _("该申报已是“%(s)s”。") % {"s": application.get_state_display()}})
    if not reason.strip():
        raise DomainError({"reason": _("请填写撤回理由。")})
    application.state = Application.State.WITHDRAWN
    application.decision_note = reason.strip()
    application.save(update_fields=["state", "decision_note"])
    return application
