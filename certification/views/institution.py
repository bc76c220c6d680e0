"""Institution screens: sessions, roster and its import, score entry, submission, issuance
progress and the batch's PDFs."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registry.api.pagination import bounded_count
from registry.errors import DomainError, Forbidden
from registry.identity import normalize_certificate_number
from registry.selectors import ADMIN_ROLES, user_institution_ids, user_is_regulator

from .. import imports, selectors, services
from ..filters import SessionListFilter
from ..models import Application, Finding, IssuanceBatch, Session
from ..services import accounts, archives, certificates, issuance, reporting
from ..services.results import ROLE_PARTS
from ..services.sessions import required_parts
from .paging import page_of

SESSION_PAGE_SIZE = 25
ROSTER_PAGE_SIZE = 50
SCORES_PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _session(request, pk) -> Session:
    return get_object_or_404(selectors.sessions_for(request.user), pk=pk)


def _flash(request, error: DomainError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def session_list(request):
    """The sessions the caller may see: searched, filtered (state, occupation, level, dates) and
    paged; the candidate counts come from `session_application_counts` (cached once locked)."""
    open_findings = Finding.objects.filter(session=OuterRef("pk"), cleared_at__isnull=True)
    sessions = selectors.sessions_for(request.user).annotate(held=Exists(open_findings)).order_by("-starts_on", "-id")
    found = SessionListFilter(request.GET or None, queryset=sessions)
    page = page_of(request, found.qs if found.is_bound else sessions, per_page=SESSION_PAGE_SIZE)
    counts = selectors.session_application_counts(page.object_list)
    for session in page:
        session.enrolled = counts[session.pk][1]
    can_plan = bool(user_institution_ids(request.user, ADMIN_ROLES))
    context = {"sessions": page, "page": page, "filter": found, "can_plan": can_plan}
    return render(
        request, "certification/session_list.html", context, status=400 if found.is_bound and found.errors else 200
    )


@login_required
def session_detail(request, pk, import_errors=None, status=200, enrol_form=None):
    from .planning import EnrolForm, staffing_choices

    session = _session(request, pk)
    search = request.GET.get("q", "").strip()[:100]
    # The roster is paged: a 20,000-candidate session's page stays small (counted once it is locked).
    total = None if search else selectors.session_application_counts([session])[session.pk][0]
    applications = page_of(
        request,
        selectors.session_roster(session, search),
        per_page=ROSTER_PAGE_SIZE,
        count=total or "exact",
        anchor="roster",
    )
    roles = selectors.staff_role(request.user, session)
    context = {
        "session": session,
        "applications": applications,
        "roster_search": search,
        "is_admin": selectors.is_admin_of(request.user, session.institution_id),
        "can_score": bool(roles & set(ROLE_PARTS)),
        "shortfalls": services.session_staffing_shortfalls(session) if session.state == Session.State.PLANNED else [],
        "held": selectors.session_is_held(session),
        "staff": session.staff.select_related("assessor__person"),
        "import_errors": import_errors,
        "today": timezone.localdate(),
        "is_regulator": user_is_regulator(request.user),
        "objections": selectors.objections_for(request.user).filter(result__application__session=session),
        "corrections": selectors.corrections_for(request.user)
        .filter(result__application__session=session)
        .order_by("-corrected_at", "-id"),
        "enrol_form": enrol_form or EnrolForm(),
        "active_states": [Application.State.PENDING_APPROVAL, Application.State.ENROLLED],
    }
    if session.state == Session.State.PLANNED:
        context["staff_assessors"], context["staff_roles"] = staffing_choices(request.user, session)
    return render(request, "certification/session_detail.html", context, status=status)


@login_required
def roster_template(request, pk):
    response = HttpResponse(imports.roster_template(_session(request, pk)), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="roster-template.xlsx"'
    return response


def _upload(request, pk, *, run, back: str, show_errors, done_message: str):
    """One spreadsheet upload: call `run`, then show the bad rows (nothing was written) or
    say how many were taken."""
    session = _session(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择要导入的 XLSX 或 CSV 文件。"))
        return redirect(back, pk=pk)
    try:
        result = run(actor=request.user, session=session, data=upload.read(), filename=upload.name)
    except Forbidden as error:
        messages.error(request, str(error))
        return redirect(back, pk=pk)
    except DomainError as error:
        _flash(request, error)
        return redirect(back, pk=pk)
    if result.errors:
        return show_errors(request, pk, import_errors=result.errors)
    messages.success(request, done_message % {"n": result.created})
    for warning in result.warnings:
        messages.warning(
            request,
            _("第 %(row)d 行（%(col)s）：%(m)s") % {"row": warning.row, "col": warning.field, "m": warning.message},
        )
    return redirect(back, pk=pk)


@login_required
@require_POST
def roster_import(request, pk):
    return _upload(
        request,
        pk,
        run=imports.roster_import,
        back="web-session-detail",
        show_errors=lambda *a, **k: session_detail(*a, status=400, **k),
        done_message=_("已导入 %(n)d 名考生。"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_submit(request, pk):
    """GET: what submitting locks (scores, roster) and the publicity period it starts; POST: submit."""
    session = _session(request, pk)
    if request.method == "GET":
        if not selectors.is_admin_of(request.user, session.institution_id) or session.state != Session.State.PLANNED:
            return redirect("web-session-detail", pk=pk)
        from .planning import submit_confirm_context

        context = submit_confirm_context(session) | {"publicity_days": settings.PUBLICITY_WORKING_DAYS}
        return render(request, "certification/session_submit.html", context)
    try:
        services.session_submit(actor=request.user, session=session)
        messages.success(request, _("已提交，成绩已锁定并进入公示。"))
    except (DomainError, Forbidden) as error:
        _flash(request, error) if isinstance(error, DomainError) else messages.error(request, str(error))
    return redirect("web-session-detail", pk=pk)


@login_required
@require_POST
def activation_code(request, pk, application_pk):
    """Issue a candidate's one-time activation code and show it once, to hand to the holder
    with the certificate notice (the page is never cached: registry/middleware.py)."""
    session = _session(request, pk)
    application = get_object_or_404(
        selectors.applications_for(request.user).filter(session=session).select_related("person"), pk=application_pk
    )
    try:
        code = accounts.activation_code_issue(actor=request.user, person=application.person)
    except DomainError as error:
        _flash(request, error)
        return redirect("web-session-detail", pk=pk)
    issued = application.person.activation_codes.order_by("-issued_at", "-pk").first()
    context = {"session": session, "person": application.person, "code": code, "expires_at": issued.expires_at}
    return render(request, "certification/activation_code.html", context)


@login_required
@require_POST
def session_issue(request, pk):
    session = _session(request, pk)
    try:
        batch = issuance.batch_create(actor=request.user, sessions=[session])
    except Forbidden as error:
        messages.error(request, str(error))
        return redirect("web-session-detail", pk=pk)
    except DomainError as error:
        _flash(request, error)
        return redirect("web-session-detail", pk=pk)
    return redirect("web-batch-detail", pk=batch.pk)


@login_required
def scores(request, pk, import_errors=None):
    """The score-entry grid of an assessor (or reviewer) assigned to the session."""
    session = _session(request, pk)
    roles = selectors.staff_role(request.user, session)
    allowed = set().union(*(ROLE_PARTS.get(role, set()) for role in roles))
    if not allowed:
        raise Forbidden(_("只有指派到本批次的考评员可以录入成绩。"))
    special_type = session.evaluation_type == "special_ability"  # pass/fail only, no scores
    parts = [p for p in ("theory", "practical", "review") if p in required_parts(session) and p in allowed]
    parts = [] if special_type else parts
    special = special_type and "special_passed" in allowed
    # Results are read in a second query: joined, the planner may merge the whole result table
    # to reach a late session's rows.
    enrolled = (
        Application.objects.filter(session=session, state=Application.State.ENROLLED)
        .select_related("person")
        .prefetch_related("result")
        .order_by("pk")
    )
    # A large session's grid is paged; a save changes only the rows the posted page showed.
    applications = page_of(request, enrolled, per_page=SCORES_PAGE_SIZE)
    row_errors = {}
    if request.method == "POST" and import_errors is None:
        try:
            with transaction.atomic():
                for application in applications:
                    names = [f"{part}-{application.pk}" for part in parts] + [f"special_passed-{application.pk}"]
                    if not any(name in request.POST for name in names):
                        continue
                    values = {}
                    for part in parts:
                        raw = request.POST.get(f"{part}-{application.pk}", "").strip()
                        current = getattr(application.result, part)
                        if raw != ("" if current is None else str(current)):
                            values[part] = raw or None
                    if special:
                        raw = request.POST.get(f"special_passed-{application.pk}", "")
                        choice = {"pass": True, "fail": False}.get(raw)
                        if choice != application.result.special_passed:
                            values["special_passed"] = choice
                    if values:
                        try:
                            services.result_record(actor=request.user, application=application, **values)
                        except (DomainError, Forbidden) as error:
                            row_errors[application.pk] = "；".join(getattr(error, "messages", [str(error)]))
                if row_errors:
                    raise DomainError("rollback")
        except DomainError:
            messages.error(
                request, _("有 %(n)d 行未保存，请按提示修改后重新提交（本次未保存任何成绩）。") % {"n": len(row_errors)}
            )
        else:
            messages.success(request, _("成绩已保存。"))
            # Back to the page that was saved (the grid is paged), not to the first.
            page = f"?{request.GET.urlencode()}" if request.GET else ""
            return redirect(reverse("web-session-scores", args=[pk]) + page)
        applications = page_of(request, enrolled, per_page=SCORES_PAGE_SIZE)
    posted = request.POST if row_errors else {}
    required = {} if special_type else required_parts(session)
    marks = {part: required[part] for part in ("theory", "practical", "review") if part in required}
    for application in applications:
        application.inputs = []
        for part in parts:
            name, current = f"{part}-{application.pk}", getattr(application.result, part)
            application.inputs.append((part, name, posted.get(name, "" if current is None else str(current))))
        # The required parts this user does not enter (a reviewer's, an assessor's): the live
        # outcome on the page needs their saved scores too (static/certification/scores.js).
        application.other_scores = {
            part: "" if getattr(application.result, part) is None else str(getattr(application.result, part))
            for part in marks
            if part not in parts
        }
    context = {
        "session": session,
        "applications": applications,
        "parts": parts,
        "marks": marks,
        "special": special,
        "page": applications,
        "row_errors": row_errors,
        "import_errors": import_errors,
        "locked": session.is_locked,
    }
    return render(request, "certification/scores.html", context, status=400 if (row_errors or import_errors) else 200)


@login_required
def scores_template(request, pk):
    session = _session(request, pk)
    if not selectors.staff_role(request.user, session) & set(ROLE_PARTS):
        raise Forbidden(_("只有指派到本批次的考评员可以下载成绩表。"))
    response = HttpResponse(imports.scores_template(session), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="scores-{session.pk}.xlsx"'
    return response


@login_required
@require_POST
def scores_import(request, pk):
    return _upload(
        request,
        pk,
        run=imports.scores_import,
        back="web-session-scores",
        show_errors=scores,
        done_message=_("已导入 %(n)d 条成绩。"),
    )


def _batch(request, pk) -> IssuanceBatch:
    return get_object_or_404(selectors.batches_for(request.user), pk=pk)


@login_required
def batch_detail(request, pk):
    batch = _batch(request, pk)
    unreported = reporting.reportable_for(request.user).filter(
        batch=batch, reported_at__isnull=True, revoked_at__isnull=True
    )
    # Counted up to the API's limit, estimated past it: a batch of a million certificates is not
    # counted one by one on each visit.
    unreported, unreported_estimated = bounded_count(unreported)
    return render(
        request,
        "certification/batch_detail.html",
        {
            "batch": batch,
            "progress": selectors.batch_progress(batch),
            "failures": batch.failures.select_related("result__application__person")[:200],
            "archive": batch.archives.first(),
            "unreported": unreported,
            "unreported_estimated": unreported_estimated,
        },
    )


@login_required
@require_POST
def batch_mark_reported(request, pk):
    """After the clerk's upload of the export to the national database."""
    batch = _batch(request, pk)
    try:
        marked = reporting.certificates_mark_reported(actor=request.user, batch=batch)
        messages.success(request, _("已标记 %(n)d 张证书为已上报。") % {"n": marked})
    except Forbidden as error:
        messages.error(request, str(error))
    return redirect("web-batch-detail", pk=pk)


@login_required
@require_POST
def batch_reissue(request, pk):
    """补发 one certificate of the batch, found by its number."""
    batch = _batch(request, pk)
    number = normalize_certificate_number(request.POST.get("number"))
    certificate = batch.certificates.filter(number=number).first()
    if certificate is None:
        messages.error(request, _("本批次没有编号为“%(n)s”的证书。") % {"n": number[:22]})
        return redirect("web-batch-detail", pk=pk)
    try:
        reissue = certificates.certificate_reissue(
            actor=request.user, certificate=certificate, reason=request.POST.get("reason", "")
        )
        messages.success(
            request, _("证书 %(n)s 已于 %(d)s 补发。") % {"n": certificate.number, "d": reissue.reissued_on}
        )
    except Forbidden as error:
        messages.error(request, str(error))
    except DomainError as error:
        _flash(request, error)
    return redirect("web-batch-detail", pk=pk)


@login_required
def batch_progress(request, pk):
    batch = _batch(request, pk)
    archive = batch.archives.first()
    return JsonResponse(
        {
            "state": batch.state,
            **selectors.batch_progress(batch),
            "archive": None
            if archive is None
            else {
                "id": archive.pk,
                "state": archive.state,
                "done": archive.done,
                "total": archive.total,
                "download": f"/api/batches/{batch.pk}/archives/{archive.pk}/download/"
                if archive.state == "done"
                else None,
            },
        }
    )


@login_required
@require_POST
def batch_archive(request, pk):
    batch = _batch(request, pk)
    try:
        archives.archive_create(actor=request.user, batch=batch)
    except DomainError as error:
        _flash(request, error)
    return redirect("web-batch-detail", pk=pk)


@login_required
@require_POST
def objection_answer(request, pk):
    """The institution's written answer to an objection against one of its results."""
    objection = get_object_or_404(selectors.objections_for(request.user), pk=pk)
    try:
        services.objection_answer(actor=request.user, objection=objection, text=request.POST.get("text", ""))
        messages.success(request, _("答复已提交，待监管部门处理。"))
    except Forbidden as error:
        messages.error(request, str(error))
    except DomainError as error:
        _flash(request, error)
    return redirect("web-session-detail", pk=objection.result.application.session_id)
