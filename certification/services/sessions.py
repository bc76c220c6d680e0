"""Sessions: planning inside the filed scope, staffing, submission, supervision holds."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessors.models import Assessor, Relation
from registry.errors import DomainError, Forbidden
from registry.levels import EVALUATION_TYPES, EvaluationType, ExamPart, Level
from registry.models import Institution, Occupation, Role, Specialty, StaffingRule, User
from registry.selectors import scope_window_gap, user_institution_ids, user_is_regulator
from registry.workdays import add_working_days

from ..models import Application, Result, Session, SessionStaff
from ..selectors import is_admin_of, session_is_held

STAFF_ROLE_FOR_RULE = {
    StaffingRule.Role.INVIGILATOR: SessionStaff.Role.INVIGILATOR,
    StaffingRule.Role.ASSESSOR: SessionStaff.Role.ASSESSOR,
    StaffingRule.Role.REVIEWER: SessionStaff.Role.REVIEWER,
}
# Which kind of accredited person may take which role on a session.
KINDS_FOR_ROLE = {
    SessionStaff.Role.INVIGILATOR: {Assessor.Kind.INVIGILATOR, Assessor.Kind.ASSESSOR},
    SessionStaff.Role.ASSESSOR: {Assessor.Kind.ASSESSOR},
    SessionStaff.Role.REVIEWER: {Assessor.Kind.ASSESSOR},
    SessionStaff.Role.INTERNAL_SUPERVISOR: {Assessor.Kind.INTERNAL_SUPERVISOR},
    SessionStaff.Role.EXTERNAL_SUPERVISOR: {Assessor.Kind.EXTERNAL_SUPERVISOR},
}


def _require_admin(actor: User, institution_id: int, action: str) -> None:
    if not is_admin_of(actor, institution_id):
        raise Forbidden(_("只有本机构管理员可以%(action)s。") % {"action": action})


@transaction.atomic
def session_plan(
    *,
    actor: User,
    institution: Institution,
    evaluation_type: str,
    occupation: Occupation,
    level: int | None,
    starts_on: datetime.date,
    ends_on: datetime.date,
    site: str,
    specialty: Specialty | None = None,
    rooms: int = 1,
    name: str = "",
) -> Session:
    """Plan a session; refused unless a filed, unsuspended, in-date scope covers it (the
    regulator's centre needs no filing: see _centre_may_plan)."""
    by_centre = institution.kind == Institution.Kind.CENTRE
    if by_centre:
        _centre_may_plan(actor, institution, evaluation_type, occupation)
    else:
        _require_admin(actor, institution.id, _("计划评价批次"))
    if evaluation_type not in EvaluationType.values:
        raise DomainError({"evaluation_type": _("未知的评价类型。")})
    has_levels = EVALUATION_TYPES[EvaluationType(evaluation_type)].has_levels
    if has_levels and level is None:
        raise DomainError({"level": _("请选择等级。")})
    if not has_levels and level is not None:
        raise DomainError({"level": _("专项职业能力考核不分等级。")})
    if ends_on < starts_on:
        raise DomainError({"ends_on": _("考核结束日期早于开始日期。")})
    today = timezone.localdate()
    if starts_on < today:
        # docs/domain.md: dates are sane; a session is planned before it is held.
        raise DomainError(
            {
                "starts_on": _("考核开始日期 %(d)s 已过（今天是 %(today)s），不能计划已开始的考核。")
                % {"d": starts_on, "today": today}
            }
        )
    if not 1 <= rooms <= 500:
        raise DomainError({"rooms": _("考场数应在 1–500 之间。")})
    if not (site or "").strip():
        raise DomainError({"site": _("请填写考核地点。")})
    if specialty is not None and specialty.occupation_id != occupation.id:
        raise DomainError(
            {"specialty": _("工种“%(s)s”不属于职业“%(o)s”。") % {"s": specialty.name, "o": occupation.name}}
        )
    standard = occupation.standards.filter(is_current=True).first()
    if standard is None:
        raise DomainError({"occupation": _("%(o)s 没有现行职业标准。") % {"o": occupation.name}})
    if has_levels and level not in standard.levels:
        raise DomainError({"level": _("%(o)s 的现行标准未设置该等级。") % {"o": occupation.name}})
    # A 工种 offers the levels listed on it; none listed: the standard's levels.
    if has_levels and specialty is not None and specialty.levels and level not in specialty.levels:
        raise DomainError(
            {"level": _("工种“%(s)s”未设置%(level)s。") % {"s": specialty.name, "level": Level(level).label}}
        )
    specialty_id = specialty.id if specialty else None
    scope = None
    if not by_centre:
        # Every day of the session, not only its first and last, lies inside an in-force scope.
        scope, gap = scope_window_gap(
            institution=institution,
            evaluation_type=evaluation_type,
            occupation=occupation,
            specialty_id=specialty_id,
            level=level,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        if gap is not None or scope is None:
            raise DomainError(
                {
                    "scope": _("%(day)s 本机构没有覆盖该职业、等级的有效备案（须已备案、未被暂停且在有效期内）。")
                    % {"day": gap or starts_on}
                }
            )
    return Session.objects.create(
        institution=institution,
        scope=scope,
        standard=standard,
        evaluation_type=evaluation_type,
        occupation=occupation,
        specialty=specialty,
        level=level,
        starts_on=starts_on,
        ends_on=ends_on,
        site=site.strip(),
        rooms=rooms,
        name=name,
        created_by=actor,
    )


def _centre_may_plan(actor: User, centre: Institution, evaluation_type: str, occupation: Occupation) -> None:
    """docs/domain.md: the regulator's own centre also runs qualification sessions. It files no
    scope (registry: 鉴定中心不需要备案); its limits are the types the regulator issues and, for
    qualifications, the national qualification catalogue."""
    if centre.id not in user_institution_ids(actor, (Role.REGULATOR,)):
        raise Forbidden(_("只有鉴定中心的监管人员可以为鉴定中心计划评价批次。"))
    info = EVALUATION_TYPES.get(evaluation_type) if evaluation_type in EvaluationType.values else None
    if info is not None and info.issued_by_institution:
        raise DomainError({"evaluation_type": _("鉴定中心只组织职业资格评价和专项职业能力考核。")})
    if evaluation_type == EvaluationType.QUALIFICATION and not occupation.in_qualification_catalogue:
        raise DomainError(
            {"occupation": _("%(o)s 未列入国家职业资格目录，不能开展职业资格评价。") % {"o": occupation.name}}
        )


def _candidate_person_ids(session: Session) -> set[int]:
    return set(
        session.applications.exclude(state__in=[Application.State.REJECTED, Application.State.WITHDRAWN]).values_list(
            "person_id", flat=True
        )
    )


def recusal_conflicts(assessor: Assessor, person_ids: set[int]) -> set[int]:
    """Which of `person_ids` `assessor` may not assess: themselves and declared relations."""
    related = set(Relation.objects.filter(assessor__person=assessor.person).values_list("person_id", flat=True))
    return person_ids & (related | {assessor.person_id})


@transaction.atomic
def session_staff_assign(*, actor: User, session: Session, assessor: Assessor, role: str) -> SessionStaff:
    session = Session.objects.select_for_update().get(pk=session.pk)
    if role not in SessionStaff.Role.values:
        raise DomainError({"role": _("未知的职责。")})
    if role == SessionStaff.Role.EXTERNAL_SUPERVISOR:
        if not user_is_regulator(actor):
            raise Forbidden(_("外督由监管部门指派。"))
    else:
        _require_admin(actor, session.institution_id, _("指派批次人员"))
        if assessor.institution_id != session.institution_id:
            raise DomainError({"assessor": _("只能指派本机构的考评、监考和督导人员。")})
    if session.is_locked:
        raise DomainError({"session": _("批次已提交，不能再调整人员。")})
    if assessor.kind not in KINDS_FOR_ROLE[role]:
        raise DomainError(
            {
                "role": _("%(name)s 是%(kind)s，不能担任%(role)s。")
                % {
                    "name": assessor.person.name,
                    "kind": assessor.get_kind_display(),
                    "role": SessionStaff.Role(role).label,
                }
            }
        )
    if not assessor.active or not (
        assessor.valid_from <= session.starts_on and session.ends_on <= assessor.valid_until
    ):
        raise DomainError({"assessor": _("%(name)s 不在聘期内或已停聘。") % {"name": assessor.person.name}})
    if SessionStaff.objects.filter(session=session, assessor=assessor, role=role).exists():
        raise DomainError(
            {
                "assessor": _("%(name)s 已是本批次的%(role)s。")
                % {"name": assessor.person.name, "role": SessionStaff.Role(role).label}
            }
        )
    if role in (SessionStaff.Role.ASSESSOR, SessionStaff.Role.REVIEWER) and recusal_conflicts(
        assessor, _candidate_person_ids(session)
    ):
        raise DomainError(
            {"assessor": _("%(name)s 须回避：本批次考生中有本人或其申报的关系人。") % {"name": assessor.person.name}}
        )
    return SessionStaff.objects.create(session=session, assessor=assessor, role=role, assigned_by=actor)


def required_parts(session: Session) -> dict[str, int]:
    """{part: pass mark} that the session's level requires (rows of the standard)."""
    if session.evaluation_type == EvaluationType.SPECIAL_ABILITY:
        return {ExamPart.PRACTICAL: 0}  # pass/fail
    return dict(session.standard.exam_parts.filter(level=session.level).values_list("part", "pass_mark"))


def session_staffing_shortfalls(session: Session) -> list[str]:
    """What the session's staff lack against the standard's ratios (empty: staffed)."""
    candidates = session.applications.filter(state=Application.State.ENROLLED).count()
    counts: dict[str, int] = {}
    for role in session.staff.values_list("role", flat=True):
        counts[role] = counts.get(role, 0) + 1
    shortfalls = []
    parts = set(required_parts(session))
    for rule in session.standard.staffing_rules.all():
        if rule.part not in parts:
            continue
        role = STAFF_ROLE_FOR_RULE[rule.role]
        have, need = counts.get(role, 0), rule.required(candidates=candidates, rooms=session.rooms)
        if have < need:
            shortfalls.append(
                _("%(part)s需%(role)s至少 %(need)d 人（%(n)d 名考生、%(rooms)d 个考场），现有 %(have)d 人")
                % {
                    "part": rule.get_part_display(),
                    "role": rule.get_role_display(),
                    "need": need,
                    "n": candidates,
                    "rooms": session.rooms,
                    "have": have,
                }
            )
        elif rule.odd and have % 2 == 0:
            shortfalls.append(
                _("%(part)s的%(role)s人数须为奇数，现有 %(have)d 人")
                % {"part": rule.get_part_display(), "role": rule.get_role_display(), "have": have}
            )
    return shortfalls


@transaction.atomic
def session_submit(*, actor: User, session: Session, on: datetime.date | None = None) -> Session:
    """Lock the results and start their publicity; refused with every reason that blocks it.
    `on`: the day of submission, today unless a caller replays an earlier day (the demo)."""
    session = Session.objects.select_for_update().get(pk=session.pk)
    _require_admin(actor, session.institution_id, _("提交发证"))
    if session.state != Session.State.PLANNED:
        raise DomainError({"session": _("批次状态为“%(s)s”，不能提交。") % {"s": session.get_state_display()}})
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise DomainError({"session": _("提交日期不能晚于今天（%(d)s）。") % {"d": today}})
    problems = []
    if on <= session.ends_on:
        # docs/domain.md: submission only after the session's last day.
        problems.append(
            _("考核至 %(end)s 结束，须在考核最后一天之后提交，最早 %(first)s。")
            % {"end": session.ends_on, "first": session.ends_on + datetime.timedelta(days=1)}
        )
    if session_is_held(session):
        problems.append(_("督导员提出的问题尚未由监管部门解除，批次被暂停发证。"))
    if session.applications.filter(state=Application.State.PENDING_APPROVAL).exists():
        problems.append(_("尚有待审批的破格、直接认定或竞赛晋升申报。"))
    enrolled = session.applications.filter(state=Application.State.ENROLLED)
    if not enrolled.exists():
        problems.append(_("批次没有已报名的考生。"))
    pending = Result.objects.filter(application__in=enrolled, outcome=Result.Outcome.PENDING)
    if pending.exists():
        names = "、".join(pending.values_list("application__person__name", flat=True)[:10])
        problems.append(_("%(n)d 名考生成绩未录入完整：%(names)s") % {"n": pending.count(), "names": names})
    problems += session_staffing_shortfalls(session)
    if problems:
        raise DomainError({"session": problems})
    try:
        publicity_ends_on = add_working_days(on, settings.PUBLICITY_WORKING_DAYS)
    except DomainError as error:  # a year of the publicity period has no holiday calendar yet
        raise DomainError({"session": error.messages}) from None
    session.state = Session.State.SUBMITTED
    session.submitted_at = timezone.now()
    session.submitted_by = actor
    session.publicity_ends_on = publicity_ends_on
    session.save(update_fields=["state", "submitted_at", "submitted_by", "publicity_ends_on"])
    return session
