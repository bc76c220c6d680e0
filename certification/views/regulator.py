"""The regulator's decisions: on a session page, resolving objections to publicised results
and approving or rejecting correction requests (fail → pass needs a second person); and the
work queue (/regulator/) listing everything waiting for the regulator, with a form per item."""

import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.errors import DomainError, Forbidden
from registry.identity import normalize_certificate_number
from registry.models import Appointment, Filing, FilingTransition, Scope
from registry.selectors import user_is_regulator
from registry.services import FILING_TRANSITIONS, REGULATOR, filing_transition

from .. import history, selectors, services
from ..models import (
    Application,
    Certificate,
    Finding,
    Objection,
    Promotion,
    Report,
    ResultCorrection,
    Sanction,
    VerificationSweep,
)
from ..services import publicity
from ..services.certificates import certificate_revoke
from ..services.supervision import finding_filings
from .paging import page_of


def _done(request, session_id, call, success: str):
    try:
        call()
    except Forbidden as error:
        messages.error(request, str(error))
    except DomainError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("web-session-detail", pk=session_id)


@login_required
@require_POST
def objection_resolve(request, pk):
    objection = get_object_or_404(selectors.objections_for(request.user), pk=pk)
    upheld = request.POST.get("decision") == "upheld"
    field = request.POST.get("field") or None
    value = request.POST.get("value", "").strip()
    if field == "special_passed":
        value = {"pass": True, "fail": False}.get(value)
    return _done(
        request,
        objection.result.application.session_id,
        lambda: publicity.objection_resolve(
            actor=request.user,
            objection=objection,
            upheld=upheld,
            resolution=request.POST.get("resolution", ""),
            field=field if upheld else None,
            value=(value or None) if upheld else None,
        ),
        _("异议已处理。"),
    )


def _correction_decision(request, correction, decision: str):
    """The service call and success message for approving or rejecting a correction request
    (the session page and the work queue take the same decision)."""
    note = request.POST.get("note", "")
    if decision == "approve":
        return (
            lambda: services.correction_approve(actor=request.user, correction=correction, note=note),
            _("更正已批准生效，该考生结果将重新公示。"),
        )
    return (
        lambda: services.correction_reject(actor=request.user, correction=correction, note=note),
        _("更正申请已驳回。"),
    )


@login_required
@require_POST
def correction_decide(request, pk, decision: str):
    correction = get_object_or_404(selectors.corrections_for(request.user), pk=pk)
    call, success = _correction_decision(request, correction, decision)
    return _done(request, correction.result.application.session_id, call, success)


# --- The regulator's work queue (/regulator/) ---

QUEUE_PAGE_SIZE = 50
REVIEW_STATES = (Filing.State.APPLIED, Filing.State.ACCEPTED, Filing.State.FILED, Filing.State.SUSPENDED)
FILING_ACTIONS = {
    "accept": Filing.State.ACCEPTED,
    "file": Filing.State.FILED,
    "suspend": Filing.State.SUSPENDED,
    "revoke": Filing.State.REVOKED,
}
FILING_ACTION_LABELS = {
    "accept": gettext_lazy("受理"),
    "file": gettext_lazy("准予备案"),
    "suspend": gettext_lazy("限期整改"),
    "revoke": gettext_lazy("取消备案"),
}


def filing_actions(filing: Filing) -> list[tuple[str, str]]:
    """The queue's buttons for a filing: only the moves its state allows the regulator."""
    return [
        (action, FILING_ACTION_LABELS[action])
        for action, to_state in FILING_ACTIONS.items()
        if REGULATOR in FILING_TRANSITIONS.get((filing.state, to_state), ())
    ]


def regulator_required(view):
    """Only the regulator works the queue; anyone else is refused (403), like the API."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_is_regulator(request.user):
            raise PermissionDenied(_("只有监管部门可以使用监管工作台。"))
        return view(request, *args, **kwargs)

    return wrapped


def _page(request, queryset, name: str):
    """One section's page; its links keep the other sections' pages and the search."""
    return page_of(request, queryset, name=f"{name}_page", per_page=QUEUE_PAGE_SIZE, anchor=name)


@regulator_required
def queue(request):
    filings = (
        Filing.objects.filter(state__in=REVIEW_STATES)
        .select_related("institution")
        .prefetch_related(
            Prefetch("scopes", queryset=Scope.objects.select_related("occupation", "specialty").order_by("pk")),
            Prefetch("transitions", queryset=FilingTransition.objects.select_related("actor").order_by("at", "pk")),
        )
        .order_by("created_at", "pk")
    )
    applications = (
        Application.objects.filter(
            state=Application.State.PENDING_APPROVAL,
            pathway__in=(Application.Pathway.EXCEPTIONAL, Application.Pathway.COMPETITION),
        )
        .select_related("person", "session__institution", "session__occupation", "created_by")
        .order_by("pk")
    )
    corrections = (
        ResultCorrection.objects.filter(state=ResultCorrection.State.PENDING)
        .select_related("result__application__person", "result__application__session__institution", "corrected_by")
        .order_by("corrected_at", "pk")
    )
    # The same selectors as the institution's desk: for the regulator they scope nothing out.
    objections = selectors.objections_for(request.user).filter(state=Objection.State.OPEN).order_by("filed_at", "pk")
    findings = (
        selectors.findings_for(request.user)
        .filter(cleared_at__isnull=True)
        .select_related("sanction")
        .order_by("opened_at", "pk")
    )
    today = timezone.localdate()
    sanctions = _page(request, selectors.findings_proposing_sanction(today), "sanctions")
    sanction_filings = finding_filings(list(sanctions))
    for finding in sanctions:
        finding.filing = sanction_filings[finding.pk]
    reports = Report.objects.filter(state=Report.State.OPEN).select_related("institution").order_by("filed_at", "pk")
    # issue 12: competition promotions to approve, appointments to publish
    promotions = (
        Promotion.objects.filter(state=Promotion.State.PENDING)
        .select_related("person", "occupation", "award")
        .order_by("created_at", "pk")
    )
    appointments = (
        Appointment.objects.filter(published_on__isnull=True, institution__isnull=False)
        .select_related("person", "occupation", "institution")
        .order_by("pk")
    )
    number = normalize_certificate_number(request.GET.get("number", "")) if request.GET.get("number") else ""
    certificate = (
        Certificate.objects.select_related("person", "institution", "occupation").filter(number=number).first()
        if number
        else None
    )
    filings = _page(request, filings, "filings")
    for filing in filings:
        filing.actions = filing_actions(filing)
    sections = {
        "filings": filings,
        "applications": _page(request, applications, "applications"),
        "corrections": _page(request, corrections, "corrections"),
        "objections": _page(request, objections, "objections"),
        "findings": _page(request, findings, "findings"),
        "sweeps": _page(request, VerificationSweep.objects.all(), "sweeps"),
        "sanctions": sanctions,
        "reports": _page(request, reports, "reports"),
        "promotions": _page(request, promotions, "promotions"),
        "appointments": _page(request, appointments, "appointments"),
    }
    return render(
        request,
        "certification/regulator_queue.html",
        {
            **sections,
            "number": number,
            "certificate": certificate,
            "searched": bool(number),
            "today": today,
            "severities": Finding.Severity.choices,
            "sanction_kinds": Sanction.Kind.choices,
        },
    )


def _back(request, call, success: str):
    """Run a service call; flash its message (or its refusal) and go back to the queue."""
    try:
        call()
    except Forbidden as error:
        messages.error(request, str(error))
    except DomainError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("regulator-queue")
    return redirect(back)


@regulator_required
@require_POST
def queue_filing(request, pk, action: str):
    filing = get_object_or_404(Filing, pk=pk)
    return _back(
        request,
        lambda: filing_transition(
            filing=filing, to_state=FILING_ACTIONS[action], actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("备案状态已更新。"),
    )


@regulator_required
@require_POST
def queue_application(request, pk, decision: str):
    application = get_object_or_404(Application, pk=pk)
    approve = decision == "approve"
    return _back(
        request,
        lambda: services.application_decide(
            actor=request.user, application=application, approve=approve, note=request.POST.get("note", "")
        ),
        _("申报已审批通过。") if approve else _("申报已驳回。"),
    )


@regulator_required
@require_POST
def queue_correction(request, pk, decision: str):
    correction = get_object_or_404(ResultCorrection, pk=pk)
    call, success = _correction_decision(request, correction, decision)
    return _back(request, call, success)


@regulator_required
@require_POST
def queue_finding(request, pk):
    finding = get_object_or_404(Finding, pk=pk)
    return _back(
        request,
        lambda: services.finding_clear(
            actor=request.user, finding=finding, clearance=request.POST.get("clearance", "")
        ),
        _("督导发现已解除。"),
    )


@regulator_required
@require_POST
def queue_sanction(request, pk):
    finding = get_object_or_404(Finding, pk=pk)
    return _back(
        request,
        lambda: services.sanction_decide(
            actor=request.user,
            finding=finding,
            kind=request.POST.get("kind", ""),
            reason=request.POST.get("reason", ""),
        ),
        _("处罚决定已记录。"),
    )


def _date(request, name: str, errors: dict):
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("日期“%(v)s”无效，请按 年-月-日 填写。") % {"v": raw[:20]}
        return None


@regulator_required
@require_POST
def queue_report_dismiss(request, pk):
    report = get_object_or_404(Report, pk=pk)
    return _back(
        request,
        lambda: services.report_dismiss(actor=request.user, report=report, note=request.POST.get("note", "")),
        _("反映已处理：不予立案。"),
    )


@regulator_required
@require_POST
def queue_report_finding(request, pk):
    report = get_object_or_404(Report, pk=pk)
    errors = {}
    deadline = _date(request, "deadline", errors)

    def call():
        if errors:
            raise DomainError(errors)
        services.report_to_finding(
            actor=request.user,
            report=report,
            note=request.POST.get("note", ""),
            severity=request.POST.get("severity", ""),
            deadline=deadline,
        )

    return _back(request, call, _("反映已转为督导发现。"))


@regulator_required
@require_POST
def queue_certificate_revoke(request, pk):
    certificate = get_object_or_404(Certificate, pk=pk)
    return _back(
        request,
        lambda: certificate_revoke(actor=request.user, certificate=certificate, reason=request.POST.get("reason", "")),
        _("证书已撤销。"),
    )


@regulator_required
def item_history(request, kind: str, pk: int):
    """Every transition and decision on one queue item (certification/history.py)."""
    title, events = history.item_history(kind, pk)
    return render(request, "certification/regulator_history.html", {"title": title, "events": events})
