"""Quality supervision (docs/domain.md): supervisors' findings on a session or an institution,
the regulator clearing them, the sanction a severe or overdue finding proposes on the
institution's filing, and the public's reports (社会监督) that may become findings.

A sanction changes the filing only through the filing state machine
(`registry.services.filing_transition`), so a suspended or revoked filing stops new sessions
and issuance by the rules that already guard them."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessors.models import Assessor
from registry.errors import DomainError, Forbidden
from registry.models import Filing, Institution, User
from registry.selectors import user_is_regulator
from registry.services import filing_transition

from ..models import Finding, Report, Sanction, Session, SessionStaff

# A finding's rectification deadline when the supervisor names none: this many days after the visit.
DEFAULT_RECTIFICATION_DAYS = 30
MAX_TEXT = 2000
MAX_CONTACT = 100
SANCTION_STATES = {Sanction.Kind.SUSPEND: Filing.State.SUSPENDED, Sanction.Kind.REVOKE: Filing.State.REVOKED}


def _clean_finding(
    *, text: str, severity: str, visit_date: datetime.date | None, deadline: datetime.date | None, today
) -> dict:
    """The finding's fields, or a DomainError naming each bad field."""
    text = (text or "").strip()
    visit_date = visit_date or today
    errors = {}
    if not text:
        errors["text"] = _("请写明督导发现的问题。")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("督导发现不能超过 %(n)d 字。") % {"n": MAX_TEXT}
    if severity not in Finding.Severity.values:
        errors["severity"] = _("请选择严重程度（一般、较重或严重）。")
    if visit_date > today:
        errors["visit_date"] = _("督导日期 %(d)s 不能晚于今天。") % {"d": visit_date}
    if deadline is None:
        deadline = visit_date + datetime.timedelta(days=DEFAULT_RECTIFICATION_DAYS)
    elif deadline < visit_date:
        errors["deadline"] = _("整改期限 %(d)s 不能早于督导日期 %(v)s。") % {"d": deadline, "v": visit_date}
    if errors:
        raise DomainError(errors)
    return {"text": text, "severity": severity, "visit_date": visit_date, "deadline": deadline}


def _supervisor_for(actor: User, session: Session | None, institution: Institution | None) -> Assessor:
    """The actor's supervisor record that may file here: on a session, a supervisor attached
    to it; on an institution, an active external supervisor (外督, any institution) or the
    institution's own internal supervisor (内督)."""
    if session is not None:
        assignment = (
            SessionStaff.objects.filter(
                session=session,
                assessor__user=actor,
                role__in=[SessionStaff.Role.INTERNAL_SUPERVISOR, SessionStaff.Role.EXTERNAL_SUPERVISOR],
            )
            .select_related("assessor")
            .first()
        )
        if assignment is None:
            raise Forbidden(_("只有派驻本批次的质量督导员可以提出督导发现。"))
        return assignment.assessor
    supervisor = (
        Assessor.objects.filter(user=actor, active=True, kind=Assessor.Kind.EXTERNAL_SUPERVISOR).first()
        or Assessor.objects.filter(
            user=actor, active=True, kind=Assessor.Kind.INTERNAL_SUPERVISOR, institution=institution
        ).first()
    )
    if supervisor is None:
        raise Forbidden(_("只有外督或本机构的内督可以对机构提出督导发现。"))
    return supervisor


@transaction.atomic
def finding_open(
    *,
    actor: User,
    text: str,
    session: Session | None = None,
    institution: Institution | None = None,
    severity: str = Finding.Severity.MINOR,
    visit_date: datetime.date | None = None,
    deadline: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Finding:
    """A supervisor files a finding on a session they are attached to (it holds the session
    until cleared) or on an institution."""
    if (session is None) == (institution is None):
        raise DomainError({"session": _("督导发现须针对一个评价批次或一个评价机构。")})
    supervisor = _supervisor_for(actor, session, institution)
    fields = _clean_finding(
        text=text, severity=severity, visit_date=visit_date, deadline=deadline, today=today or timezone.localdate()
    )
    return Finding.objects.create(
        session=session, institution=institution, supervisor=supervisor, opened_by=actor, **fields
    )


@transaction.atomic
def finding_clear(*, actor: User, finding: Finding, clearance: str) -> Finding:
    if not user_is_regulator(actor):
        raise Forbidden(_("只有监管部门可以解除督导发现。"))
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    if not finding.is_open:
        raise DomainError(
            {"finding": _("该督导发现已于 %(at)s 解除。") % {"at": timezone.localtime(finding.cleared_at).date()}}
        )
    if not (clearance or "").strip():
        raise DomainError({"clearance": _("请填写解除说明。")})
    finding.cleared_at, finding.cleared_by, finding.clearance = timezone.now(), actor, clearance.strip()
    finding.save(update_fields=["cleared_at", "cleared_by", "clearance"])
    return finding


def proposes_sanction(finding: Finding, today: datetime.date) -> bool:
    """A severe finding, or one still open after its deadline, proposes a sanction (until decided)."""
    return finding.is_open and (
        finding.severity == Finding.Severity.SEVERE or (finding.deadline is not None and finding.deadline < today)
    )


def finding_filings(findings: list[Finding]) -> dict[int, Filing | None]:
    """{finding id: the filing a sanction acts on}: the session's scope's filing, else the
    institution's latest filing that is filed or suspended. Two queries at most for a page."""
    result, by_institution = {}, {}
    for finding in findings:
        if finding.session_id and finding.session.scope_id:
            result[finding.pk] = finding.session.scope.filing
        else:
            by_institution.setdefault(finding.target_institution.pk, []).append(finding.pk)
    latest = {}
    live = (Filing.State.FILED, Filing.State.SUSPENDED)
    for filing in Filing.objects.filter(institution_id__in=by_institution, state__in=live).order_by(
        "institution_id", "-valid_from", "-pk"
    ):
        latest.setdefault(filing.institution_id, filing)
    for institution_id, finding_ids in by_institution.items():
        for finding_id in finding_ids:
            result[finding_id] = latest.get(institution_id)
    return result


def finding_filing(finding: Finding) -> Filing | None:
    return finding_filings([finding])[finding.pk]


@transaction.atomic
def sanction_decide(
    *, actor: User, finding: Finding, kind: str, reason: str, today: datetime.date | None = None
) -> Sanction:
    """The regulator decides the sanction a finding proposed: suspend the filing (限期整改),
    revoke it, or impose nothing. The filing moves through its state machine."""
    if not user_is_regulator(actor):
        raise Forbidden(_("只有监管部门可以作出处罚决定。"))
    finding = Finding.objects.select_for_update(of=("self",)).get(pk=finding.pk)
    if Sanction.objects.filter(finding=finding).exists():
        raise DomainError({"finding": _("该督导发现已作出处理决定。")})
    if not proposes_sanction(finding, today or timezone.localdate()):
        raise DomainError({"finding": _("该督导发现既非严重、也未逾期，不提请处罚。")})
    if kind not in Sanction.Kind.values:
        raise DomainError({"kind": _("请选择处理决定：限期整改、取消备案或不予处罚。")})
    reason = (reason or "").strip()
    if not reason:
        raise DomainError({"reason": _("请填写决定理由。")})
    filing = finding_filing(finding)
    to_state = SANCTION_STATES.get(kind)
    if to_state is not None:
        if filing is None:
            raise DomainError({"kind": _("该机构没有已备案或限期整改中的备案，无法处罚。")})
        if filing.state != to_state:  # a filing already suspended stays so: the decision is still recorded
            filing = filing_transition(filing=filing, to_state=to_state, actor=actor, reason=reason)
    return Sanction.objects.create(finding=finding, filing=filing, kind=kind, reason=reason, decided_by=actor)


def report_file(*, institution: Institution | None, text: str, contact: str = "") -> Report:
    """Anyone reports a problem about an institution; no identity asked, contact optional."""
    text, contact = (text or "").strip(), (contact or "").strip()
    errors = {}
    if institution is None or institution.kind == Institution.Kind.CENTRE:
        errors["institution"] = _("请选择所反映的评价机构。")
    if not text:
        errors["text"] = _("请写明反映的问题。")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("反映的问题不能超过 %(n)d 字。") % {"n": MAX_TEXT}
    if len(contact) > MAX_CONTACT:
        errors["contact"] = _("联系方式不能超过 %(n)d 字。") % {"n": MAX_CONTACT}
    if errors:
        raise DomainError(errors)
    return Report.objects.create(institution=institution, text=text, contact=contact)


def _open_report(actor: User, report: Report, note: str) -> tuple[Report, str]:
    if not user_is_regulator(actor):
        raise Forbidden(_("只有监管部门可以处理社会监督反映。"))
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state != Report.State.OPEN:
        raise DomainError({"report": _("该反映已处理（%(s)s）。") % {"s": report.get_state_display()}})
    note = (note or "").strip()
    if not note:
        raise DomainError({"note": _("请填写处理意见。")})
    return report, note


@transaction.atomic
def report_dismiss(*, actor: User, report: Report, note: str) -> Report:
    report, note = _open_report(actor, report, note)
    report.state, report.decided_by, report.decided_at = Report.State.DISMISSED, actor, timezone.now()
    report.note = note
    report.save(update_fields=["state", "decided_by", "decided_at", "note"])
    return report


@transaction.atomic
def report_to_finding(
    *,
    actor: User,
    report: Report,
    note: str,
    severity: str = Finding.Severity.MINOR,
    deadline: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Finding:
    """The regulator turns a report into a finding on its institution (opened by the regulator)."""
    report, note = _open_report(actor, report, note)
    fields = _clean_finding(
        text=report.text, severity=severity, visit_date=None, deadline=deadline, today=today or timezone.localdate()
    )
    finding = Finding.objects.create(institution=report.institution, opened_by=actor, **fields)
    report.state, report.decided_by, report.decided_at = Report.State.FINDING, actor, timezone.now()
    report.note, report.finding = note, finding
    report.save(update_fields=["state", "decided_by", "decided_at", "note", "finding"])
    return finding
