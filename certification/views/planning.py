"""Institution screens for what the REST API alone offered: plan a session inside the filed
scope, staff it, add or withdraw one candidate, and confirm a submission knowing what locks."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.errors import DomainError, Forbidden
from registry.identity import DocumentType
from registry.levels import Level
from registry.models import Filing, Institution, Scope, Specialty
from registry.selectors import ADMIN_ROLES, user_institution_ids, user_is_regulator

from .. import selectors, services
from ..models import Application, SessionStaff
from .forms import errors_to_form
from .institution import _session, session_detail
from .worker import SecretInput


def _plan_options(user) -> list[tuple[str, str, Scope, int | None]]:
    """(value, label, scope, level) for every (institution, type, occupation, level) that a filed,
    unsuspended scope of an institution `user` administers allows and that is still in force
    (or will be) today. The service checks every day of the session against the filings again."""
    today = timezone.localdate()
    scopes = (
        Scope.objects.filter(
            filing__institution_id__in=user_institution_ids(user, ADMIN_ROLES),
            filing__state=Filing.State.FILED,
            filing__valid_until__gte=today,
        )
        .exclude(filing__institution__kind=Institution.Kind.CENTRE)  # the centre files no scope
        .select_related("filing__institution", "occupation", "specialty")
        .order_by("filing__institution__name", "occupation__code", "evaluation_type", "pk")
    )
    options = []
    for scope in scopes:
        head = f"{scope.filing.institution.name} · {scope.get_evaluation_type_display()} · {scope.occupation.name}"
        if scope.specialty_id:
            head += f"（{scope.specialty.name}）"
        for level in sorted(scope.levels) or [None]:
            label = head if level is None else f"{head} · {Level(level).label}"
            options.append((f"{scope.pk}:{level or ''}", label, scope, level))
    return options


class PlanForm(forms.Form):
    scope = forms.ChoiceField(label=gettext_lazy("备案范围（机构 · 评价类型 · 职业 · 等级）"))
    specialty = forms.ChoiceField(label=gettext_lazy("工种（可不选）"), required=False)
    starts_on = forms.DateField(label=gettext_lazy("考核开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=gettext_lazy("考核结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    site = forms.CharField(label=gettext_lazy("考核地点"), max_length=200)
    rooms = forms.IntegerField(label=gettext_lazy("考场数"), initial=1, min_value=1, max_value=500)
    name = forms.CharField(label=gettext_lazy("批次名称（可不填）"), max_length=200, required=False)

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = {value: (scope, level) for value, _label, scope, level in options}
        self.fields["scope"].choices = [("", "—")] + [(value, label) for value, label, _s, _l in options]
        occupations = {scope.occupation_id for _v, _l, scope, _lv in options}
        self.fields["specialty"].choices = [("", "—")] + [
            (str(s.pk), str(s))
            for s in Specialty.objects.filter(occupation_id__in=occupations).select_related("occupation")
        ]


# The scope's parts are chosen as one on the form: their refusals go on it.
SCOPE_FIELDS = {"evaluation_type": "scope", "occupation": "scope", "level": "scope"}


@login_required
def session_new(request):
    options = _plan_options(request.user)
    if not options and not user_institution_ids(request.user, ADMIN_ROLES):
        raise Http404
    form = PlanForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        scope, level = form.options[form.cleaned_data["scope"]]
        specialty = None
        if form.cleaned_data["specialty"]:
            specialty = Specialty.objects.get(pk=form.cleaned_data["specialty"])
        elif scope.specialty_id:
            specialty = scope.specialty
        try:
            session = services.session_plan(
                actor=request.user,
                institution=scope.filing.institution,
                evaluation_type=scope.evaluation_type,
                occupation=scope.occupation,
                level=level,
                specialty=specialty,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                site=form.cleaned_data["site"],
                rooms=form.cleaned_data["rooms"],
                name=form.cleaned_data["name"],
            )
        except Forbidden as error:
            form.add_error(None, str(error))
        except DomainError as error:
            errors_to_form(form, error, remap=SCOPE_FIELDS)
        else:
            messages.success(request, _("已计划评价批次 #%(pk)d。") % {"pk": session.pk})
            return redirect("web-session-detail", pk=session.pk)
    status = 400 if form.errors else 200
    return render(request, "certification/session_new.html", {"form": form, "options": options}, status=status)


def staffing_choices(user, session) -> tuple[list, list]:
    """(assessors, roles) the page offers `user` on `session`: the institution's admin its own
    people for the internal roles, the regulator external supervisors."""
    assessors, roles = [], []
    if selectors.is_admin_of(user, session.institution_id):
        assessors += list(
            selectors.assessors_for(user)
            .filter(institution_id=session.institution_id, active=True)
            .order_by("person__name")
        )
        roles += [r for r in SessionStaff.Role if r != SessionStaff.Role.EXTERNAL_SUPERVISOR]
    if user_is_regulator(user):
        assessors += [
            a
            for a in selectors.assessors_for(user)
            .filter(kind="external_supervisor", active=True)
            .order_by("person__name")
            if a not in assessors
        ]
        roles.append(SessionStaff.Role.EXTERNAL_SUPERVISOR)
    return assessors, roles


@login_required
@require_POST
def staff_assign(request, pk):
    session = _session(request, pk)
    assessors, roles = staffing_choices(request.user, session)
    assessor = next((a for a in assessors if str(a.pk) == request.POST.get("assessor", "")), None)
    role = request.POST.get("role", "")
    if assessor is None:
        messages.error(request, _("请选择要指派的人员。"))
    elif role not in roles:
        messages.error(request, _("请选择职责。"))
    else:
        try:
            services.session_staff_assign(actor=request.user, session=session, assessor=assessor, role=role)
        except Forbidden as error:
            messages.error(request, str(error))
        except DomainError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("已指派 %(name)s 为%(role)s。")
                % {"name": assessor.person.name, "role": SessionStaff.Role(role).label},
            )
    return redirect("web-session-detail", pk=pk)


class EnrolForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100)
    document_type = forms.ChoiceField(label=gettext_lazy("证件类型"), choices=DocumentType.choices)
    # Never sent back in the page after an error, never in a URL (the form posts).
    document_number = forms.CharField(label=gettext_lazy("证件号码"), max_length=40, widget=SecretInput)


@login_required
@require_POST
def enrol_one(request, pk):
    session = _session(request, pk)
    form = EnrolForm(request.POST)
    if form.is_valid():
        try:
            application = services.application_enrol(
                actor=request.user,
                session=session,
                name=form.cleaned_data["name"],
                document_type=form.cleaned_data["document_type"],
                document_number=form.cleaned_data["document_number"],
            )
        except Forbidden as error:
            form.add_error(None, str(error))
        except DomainError as error:
            # Field names of the service (document_number, pathway, condition, …) are shown on top.
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("已报名：%(name)s（报名号 %(pk)d）。") % {"name": application.person.name, "pk": application.pk},
            )
            return redirect("web-session-detail", pk=pk)
    return session_detail(request, pk, status=400, enrol_form=form)


@login_required
@require_POST
def withdraw(request, pk, application_pk):
    session = _session(request, pk)
    application = get_object_or_404(selectors.applications_for(request.user).filter(session=session), pk=application_pk)
    try:
        services.application_withdraw(
            actor=request.user, application=application, reason=request.POST.get("reason", "")
        )
    except Forbidden as error:
        messages.error(request, str(error))
    except DomainError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("已撤回报名号 %(pk)d。") % {"pk": application.pk})
    return redirect("web-session-detail", pk=pk)


def submit_confirm_context(session) -> dict:
    return {
        "session": session,
        "enrolled": session.applications.filter(state=Application.State.ENROLLED).count(),
        "shortfalls": services.session_staffing_shortfalls(session),
    }
