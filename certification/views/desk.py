"""The institution admin's desk (/institution/desk/): what waits for the institution — 直接认定
applications to decide, objections to answer, correction requests and the regulator's answer,
batches to reissue from — and the screens behind it: deciding an application, requesting the
correction of a locked result, and revoking a certificate with a reason."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from registry.errors import DomainError, Forbidden
from registry.identity import normalize_certificate_number
from registry.selectors import ADMIN_ROLES, user_institution_ids

from .. import selectors, services
from ..models import Application, Objection, Result, Session
from ..services.certificates import certificate_revoke
from ..services.results import PART_LABELS, correction_problem
from ..services.sessions import required_parts
from .institution import _session
from .paging import page_of


def _admin_ids(user) -> set[int]:
    ids = user_institution_ids(user, ADMIN_ROLES)
    if not ids:
        raise PermissionDenied(_("只有评价机构或院校的管理员可以使用机构待办。"))
    return ids


def _refused(request, error: Exception, status: int):
    """Show the service's refusal on the desk itself, with a 4xx: nothing was changed."""
    for message in getattr(error, "messages", None) or [str(error)]:
        messages.error(request, message)
    return desk(request, status=status)


@login_required
def desk(request, status=200):
    ids = _admin_ids(request.user)
    pending = (
        selectors.applications_for(request.user)
        .filter(
            pathway=Application.Pathway.DIRECT,
            state=Application.State.PENDING_APPROVAL,
            session__institution_id__in=ids,
        )
        .select_related("created_by")
        .order_by("created_at", "pk")
    )
    objections = (
        selectors.objections_for(request.user)
        .filter(state=Objection.State.OPEN, answered_at__isnull=True)
        .filter(result__application__session__institution_id__in=ids)
        .order_by("filed_at", "pk")
    )
    corrections = (
        selectors.corrections_for(request.user)
        .filter(result__application__session__institution_id__in=ids)
        .order_by("-corrected_at", "-pk")
    )
    batches = selectors.batches_for(request.user).filter(institution_id__in=ids).order_by("-pk")[:20]
    # Supervision findings on the institution or its sessions: open ones first, with their deadline.
    findings = (
        selectors.findings_for(request.user)
        .filter(Q(institution_id__in=ids) | Q(session__institution_id__in=ids))
        .select_related("sanction")
        .order_by(F("cleared_at").desc(nulls_first=True), "deadline", "-pk")
    )
    # Each list is paged on its own (its links keep the others' pages).
    pending = page_of(request, pending, name="direct_page", anchor="direct")
    objections = page_of(request, objections, name="objections_page", anchor="objections")
    corrections = page_of(request, corrections, name="corrections_page", anchor="corrections")
    findings = page_of(request, findings, name="findings_page", anchor="findings")
    context = {
        "pending": pending,
        "objections": objections,
        "corrections": corrections,
        "batches": batches,
        "findings": findings,
        "today": timezone.localdate(),
    }
    return render(request, "certification/desk.html", context, status=status)


# --- 直接认定: the employer decides for its own staff; the enroller never approves ---


@login_required
@require_POST
def direct_decide(request, pk, decision: str):
    ids = _admin_ids(request.user)
    application = get_object_or_404(
        selectors.applications_for(request.user).filter(
            pathway=Application.Pathway.DIRECT, session__institution_id__in=ids
        ),
        pk=pk,
    )
    approve = decision == "approve"
    try:
        services.application_decide(
            actor=request.user, application=application, approve=approve, note=request.POST.get("note", "")
        )
    except Forbidden as error:
        return _refused(request, error, 403)
    except DomainError as error:
        return _refused(request, error, 400)
    messages.success(
        request,
        (_("已批准 %(name)s 的直接认定申报。") if approve else _("已驳回 %(name)s 的直接认定申报。"))
        % {"name": application.person.name},
    )
    return redirect("web-desk")


# --- Correction requests of locked results ---


SELECT_LIMIT = 300  # up to this many results the form offers a list; beyond, the clerk types the 报名号


class CorrectionForm(forms.Form):
    application = forms.ChoiceField(label=gettext_lazy("更正的考生"))
    field = forms.ChoiceField(label=gettext_lazy("更正科目"))
    value = forms.CharField(label=gettext_lazy("新值（分数，或专项考核填 pass / fail）"), max_length=10, required=False)
    reason = forms.CharField(label=gettext_lazy("更正理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, session: Session, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = Application.objects.filter(session=session, result__isnull=False).select_related(
            "person", "result"
        )
        # Listed and counted from the results' side, bounded to the session's (a count of a
        # 20,000-candidate session stops past the limit, and a late session's rows are reached
        # without walking the whole result table).
        results = selectors.session_results(
            Result.objects.select_related("application__person").order_by("application_id"), session.pk
        )
        if results[: SELECT_LIMIT + 1].count() <= SELECT_LIMIT:
            self.fields["application"].choices = [("", "—")] + [
                (
                    str(r.application_id),
                    f"{r.application_id} {r.application.person.name} {r.application.person.document_masked}"
                    f"（{r.get_outcome_display()}）",
                )
                for r in results
            ]
        else:
            self.fields["application"] = forms.IntegerField(label=gettext_lazy("报名号"), min_value=1)
        if session.evaluation_type == "special_ability":
            self.fields["field"].choices = [("special_passed", _("专项考核（合格/不合格）"))]
        else:
            self.fields["field"].choices = [(part, PART_LABELS[part]) for part in required_parts(session)]

    def clean_application(self):
        number = self.cleaned_data["application"]
        application = self.candidates.filter(pk=number).first()
        if application is None:
            raise forms.ValidationError(_("本批次没有有成绩的报名号 %(n)s。") % {"n": number})
        return application

    def clean_value(self):
        value = self.cleaned_data["value"].strip()
        if self.cleaned_data.get("field") == "special_passed":
            choice = {"pass": True, "fail": False}.get(value.lower())
            if choice is None:
                raise forms.ValidationError(_("专项考核结果请填 pass（合格）或 fail（不合格）。"))
            return choice
        return value or None


@login_required
@require_http_methods(["GET", "POST"])
def correction_new(request, pk):
    """Request the correction of a locked result: it applies at once, or — a fail turning into a
    pass — waits for the regulator (services.correction_file says which)."""
    session = _session(request, pk)
    if not selectors.is_admin_of(request.user, session.institution_id):
        raise PermissionDenied(_("只有本机构管理员可以申请更正成绩。"))
    form = CorrectionForm(request.POST or None, session=session)
    problem = correction_problem(session, Result())  # the session's reason, if any, shown above the form
    if request.method == "POST" and form.is_valid():
        application = form.cleaned_data["application"]
        try:
            correction = services.correction_file(
                actor=request.user,
                result=application.result,
                field=form.cleaned_data["field"],
                value=form.cleaned_data["value"],
                reason=form.cleaned_data["reason"],
            )
        except Forbidden as error:
            form.add_error(None, str(error))
        except DomainError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            if correction.state == correction.State.PENDING:
                messages.success(request, _("不合格改为合格须经监管部门审批：更正申请已提交，待审批。"))
            else:
                messages.success(request, _("成绩已更正，该考生结果如有变化将重新公示。"))
            return redirect("web-session-detail", pk=pk)
    context = {"session": session, "form": form, "problem": problem}
    return render(request, "certification/correction_new.html", context, status=400 if form.errors else 200)


# --- Revocation of a certificate the institution issued ---


def _own_certificates(user):
    return selectors.certificates_for(user).filter(institution_id__in=_admin_ids(user))


@login_required
def certificate_find(request):
    """The desk's revocation search: a certificate number, loosely typed, to its confirmation page."""
    raw = request.GET.get("number", "")
    number = normalize_certificate_number(raw) if raw.strip() else ""
    certificate = _own_certificates(request.user).filter(number=number).first() if number else None
    if certificate is None:
        messages.error(
            request,
            _("本机构没有编号为“%(n)s”的证书。") % {"n": number[:22]} if number else _("请输入证书编号。"),
        )
        return desk(request, status=404 if number else 400)
    return redirect("web-certificate-revoke", pk=certificate.pk)


@login_required
@require_http_methods(["GET", "POST"])
def certificate_revoke_confirm(request, pk):
    """GET: what revoking means and whose certificate it is; POST: revoke, a reason required."""
    certificate = get_object_or_404(_own_certificates(request.user), pk=pk)
    status = 200
    if request.method == "POST":
        try:
            certificate_revoke(actor=request.user, certificate=certificate, reason=request.POST.get("reason", ""))
        except Forbidden as error:
            messages.error(request, str(error))
            status = 403
        except DomainError as error:
            for message in error.messages:
                messages.error(request, message)
            status = 400
        else:
            messages.success(request, _("证书 %(n)s 已撤销。") % {"n": certificate.number})
            return redirect("web-certificate-revoke", pk=pk)
    context = {"certificate": certificate, "reason": request.POST.get("reason", "")}
    return render(request, "certification/certificate_revoke.html", context, status=status)
