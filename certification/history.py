"""Selectors for the history of one item of the regulator's work queue: every transition and
decision on it, oldest first, from the rows that already record them (FilingTransition, the
decision columns of applications, corrections, objections and findings, reissues and
revocation). Read by the regulator only (the view checks); names of the people who acted are
shown, never an ID number, and an objector stays anonymous (their contact is not shown)."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Filing

from .models import Application, Certificate, Finding, Objection, ResultCorrection, Sanction


@dataclass(frozen=True)
class Event:
    at: datetime.datetime
    what: str
    actor: str = ""
    note: str = ""


def _day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _who(user) -> str:
    return str(user) if user is not None else ""


def filing_history(filing: Filing) -> list[Event]:
    events = [Event(filing.created_at, _("提交备案申请"))]
    for t in filing.transitions.select_related("actor").order_by("at", "pk"):
        what = f"{t.get_from_state_display() or '—'} → {t.get_to_state_display()}"
        events.append(Event(t.at, what, _who(t.actor), t.reason))
    return events


def application_history(application: Application) -> list[Event]:
    """One candidate's story in one session: enrolment and approval, corrections of the result,
    objections to it, and the certificate (issued, reissued, revoked)."""
    a = application
    enrolled = _("报名（%(pathway)s）") % {"pathway": a.get_pathway_display()}
    events = [Event(a.created_at, enrolled, _who(a.created_by), a.reason)]
    if a.decided_at:
        decided = _("审批：%(state)s") % {"state": a.get_state_display()}
        events.append(Event(a.decided_at, decided, _who(a.decided_by), a.decision_note))
    result = getattr(a, "result", None)
    if result is None:
        return sorted(events, key=lambda e: e.at)
    for c in result.corrections.select_related("corrected_by", "decided_by"):
        values = {"field": c.field, "old": c.old_value or "—", "new": c.new_value or "—"}
        events.append(
            Event(c.corrected_at, _("更正 %(field)s：%(old)s → %(new)s") % values, _who(c.corrected_by), c.reason)
        )
        if c.decided_at:
            what = _("更正审批：%(state)s") % {"state": c.get_state_display()}
            events.append(Event(c.decided_at, what, _who(c.decided_by), c.decision_note))
    for o in result.objections.select_related("answered_by", "resolved_by"):
        events.append(Event(o.filed_at, _("提出异议"), "", o.reason))
        if o.answered_at:
            events.append(Event(o.answered_at, _("机构答复异议"), _who(o.answered_by), o.answer))
        if o.resolved_at:
            what = _("异议处理：%(state)s") % {"state": o.get_state_display()}
            events.append(Event(o.resolved_at, what, _who(o.resolved_by), o.resolution))
    certificate = Certificate.objects.filter(result=result).select_related("batch__created_by").first()
    if certificate is not None:
        events += certificate_history(certificate)
    return sorted(events, key=lambda e: e.at)


def certificate_history(certificate: Certificate) -> list[Event]:
    what = _("发证 %(number)s") % {"number": certificate.number}
    events = [Event(_day(certificate.issued_on), what, _who(certificate.batch.created_by))]
    for r in certificate.reissues.select_related("reissued_by").order_by("created_at"):
        events.append(Event(r.created_at, _("补发证书"), _who(r.reissued_by), r.reason))
    if certificate.revoked_at:
        events.append(
            Event(certificate.revoked_at, _("撤销证书"), _who(certificate.revoked_by), certificate.revocation_reason)
        )
    return events


def finding_history(finding: Finding) -> list[Event]:
    opener = finding.supervisor.person.name if finding.supervisor_id else _who(finding.opened_by)
    events = [Event(finding.opened_at, _("督导发现已提出"), opener, finding.text)]
    for sanction in Sanction.objects.filter(finding=finding).select_related("decided_by"):
        events.append(
            Event(sanction.decided_at, sanction.get_kind_display(), _who(sanction.decided_by), sanction.reason)
        )
    if finding.cleared_at:
        events.append(Event(finding.cleared_at, _("解除督导发现"), _who(finding.cleared_by), finding.clearance))
    return events


def item_history(kind: str, pk: int) -> tuple[str, list[Event]]:
    """(a title, the events) for a queue item; Http404 for an unknown kind or id."""
    try:
        if kind == "filing":
            filing = Filing.objects.select_related("institution").get(pk=pk)
            return _("备案：%(name)s") % {"name": filing.institution.name}, filing_history(filing)
        if kind in ("application", "correction", "objection", "certificate"):
            model = {
                "application": Application,
                "correction": ResultCorrection,
                "objection": Objection,
                "certificate": Certificate,
            }[kind]
            item = model.objects.get(pk=pk)
            application = item if kind == "application" else item.result.application
            session = application.session
            title = _("%(name)s · %(institution)s · %(occupation)s") % {
                "name": application.person.name,
                "institution": session.institution.name,
                "occupation": session.occupation.name,
            }
            return title, application_history(application)
        if kind == "finding":
            finding = Finding.objects.select_related("supervisor__person").get(pk=pk)
            return _("督导发现 #%(pk)s") % {"pk": finding.pk}, finding_history(finding)
    except ObjectDoesNotExist as error:
        raise Http404 from error
    raise Http404
