"""The supervisor's (内督/外督) page: the sessions they are attached to, a form to file a finding
on one of them or on an institution (with severity, visit date and rectification deadline),
and their findings, shown as holding until the regulator clears them. Also the public's page
to report a problem about an institution (社会监督), rate limited per client like objections."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from assessors.models import Assessor
from registry.errors import DomainError, Forbidden
from registry.models import Filing, Institution, Role, User
from registry.selectors import user_roles

from .. import selectors, services
from ..models import Finding
from ..services import supervision
from ..throttle import report_allowed
from .forms import errors_to_form

SUPERVISOR_KINDS = (Assessor.Kind.INTERNAL_SUPERVISOR, Assessor.Kind.EXTERNAL_SUPERVISOR)


def is_supervisor(user: User) -> bool:
    return (
        bool(user_roles(user).get(Role.SUPERVISOR))
        or Assessor.objects.filter(user=user, kind__in=SUPERVISOR_KINDS, active=True).exists()
    )


def reportable_institutions():
    """Institutions the public may report on, and supervisors file on: those with a filing that
    is filed or suspended."""
    return (
        Institution.objects.exclude(kind=Institution.Kind.CENTRE)
        .filter(filings__state__in=(Filing.State.FILED, Filing.State.SUSPENDED))
        .distinct()
        .order_by("name")
    )


def institution_targets(user: User):
    """The institutions `user` may file a finding on: any for an external supervisor, their
    own for an internal one (the service checks again)."""
    mine = Assessor.objects.filter(user=user, active=True)
    if mine.filter(kind=Assessor.Kind.EXTERNAL_SUPERVISOR).exists():
        return reportable_institutions()
    own = mine.filter(kind=Assessor.Kind.INTERNAL_SUPERVISOR).values("institution_id")
    return reportable_institutions().filter(pk__in=own)


class FindingForm(forms.Form):
    target = forms.ChoiceField(label=_lazy("督导对象"))
    visit_date = forms.DateField(
        label=_lazy("督导日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    severity = forms.ChoiceField(label=_lazy("严重程度"), choices=Finding.Severity.choices)
    deadline = forms.DateField(
        label=_lazy("整改期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    text = forms.CharField(
        label=_lazy("督导发现"), widget=forms.Textarea(attrs={"rows": 4}), max_length=supervision.MAX_TEXT
    )

    def __init__(self, *args, sessions=(), institutions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            (_("评价批次"), [(f"session-{s.pk}", f"#{s.pk} {s}") for s in sessions]),
            (_("评价机构"), [(f"institution-{i.pk}", i.name) for i in institutions]),
        ]


@login_required
@require_http_methods(["GET", "POST"])
def supervisor_home(request):
    if not is_supervisor(request.user):
        raise PermissionDenied(_("只有质量督导员（内督/外督）可以使用督导页面。"))
    today = timezone.localdate()
    sessions = list(selectors.supervised_sessions(request.user)[:100])
    institutions = list(institution_targets(request.user))
    initial = {"visit_date": today, "deadline": today + timezone.timedelta(days=supervision.DEFAULT_RECTIFICATION_DAYS)}
    form = FindingForm(request.POST or None, initial=initial, sessions=sessions, institutions=institutions)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            kind, _sep, pk = form.cleaned_data["target"].partition("-")
            target = {"session": {s.pk: s for s in sessions}, "institution": {i.pk: i for i in institutions}}[kind]
            try:
                finding = services.finding_open(
                    actor=request.user,
                    text=form.cleaned_data["text"],
                    severity=form.cleaned_data["severity"],
                    visit_date=form.cleaned_data["visit_date"],
                    deadline=form.cleaned_data["deadline"],
                    today=today,
                    **{kind: target[int(pk)]},
                )
            except Forbidden as error:
                form.add_error("target", str(error))
            except DomainError as error:
                errors_to_form(form, error)
            else:
                messages.success(request, _("督导发现 #%(id)s 已提交，在监管部门解除前保持暂停。") % {"id": finding.pk})
                return redirect("supervisor-home")
        status = 400
    findings = (
        Finding.objects.filter(supervisor__user=request.user)
        .select_related("session__institution", "session__occupation", "institution", "cleared_by", "sanction")
        .order_by("-opened_at", "-pk")[:100]
    )
    context = {"sessions": sessions, "findings": findings, "form": form, "today": today}
    return render(request, "certification/supervisor.html", context, status=status)


class ReportForm(forms.Form):
    institution = forms.ModelChoiceField(label=_lazy("评价机构"), queryset=Institution.objects.none())
    text = forms.CharField(
        label=_lazy("反映的问题"), widget=forms.Textarea(attrs={"rows": 5}), max_length=supervision.MAX_TEXT
    )
    contact = forms.CharField(label=_lazy("联系方式（选填）"), required=False, max_length=supervision.MAX_CONTACT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = reportable_institutions()
        self.fields["institution"].error_messages["invalid_choice"] = _("请选择所反映的评价机构。")


@require_http_methods(["GET", "POST"])
def report(request):
    """社会监督: anyone reports a problem about an institution. No identity asked."""
    form = ReportForm(request.POST or None, initial={"institution": request.GET.get("institution")})
    status = 200
    if request.method == "POST":
        if not report_allowed(request):
            form.add_error(None, _("提交过于频繁，请一小时后再试。"))
            status = 429
        elif form.is_valid():
            try:
                filed = services.report_file(**form.cleaned_data)
            except DomainError as error:
                errors_to_form(form, error)
                status = 400
            else:
                messages.success(
                    request, _("反映已提交（编号 #%(id)s），监管部门将核查处理。感谢您的监督。") % {"id": filed.pk}
                )
                return redirect("supervision-report")
        else:
            status = 400
    return render(request, "certification/report.html", {"form": form}, status=status)
