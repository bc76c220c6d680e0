"""Institution screens for filings (备案): apply for a scope online, follow the application's
state and every transition with its reason, and withdraw it. The regulator decides in its
work queue (views/regulator.py); the rules stay in registry/services.py."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry.errors import DomainError, Forbidden
from registry.levels import EXAMINED_LEVELS, EvaluationType, Level
from registry.models import Filing, FilingTransition, Institution, Occupation, Scope, Specialty
from registry.selectors import ADMIN_ROLES, filings_for, user_institution_ids
from registry.services import FILING_TRANSITIONS, INSTITUTION, filing_apply, filing_transition

from .forms import errors_to_form

SCOPE_ROWS = 4  # empty scope rows offered on the form; rows left blank are ignored


def _institutions(user):
    """The institutions `user` may file for: those it administers, never the centre."""
    return Institution.objects.filter(pk__in=user_institution_ids(user, ADMIN_ROLES)).exclude(
        kind=Institution.Kind.CENTRE
    )


def _require_filer(user) -> list[Institution]:
    institutions = list(_institutions(user))
    if not institutions:
        raise PermissionDenied(_("只有评价机构或院校的管理员可以申请备案。"))
    return institutions


class FilingForm(forms.Form):
    institution = forms.ChoiceField(label=gettext_lazy("机构"))
    valid_from = forms.DateField(label=gettext_lazy("有效期起"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=gettext_lazy("有效期止"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.institutions = {str(i.pk): i for i in institutions}
        self.fields["institution"].choices = [(str(i.pk), i.name) for i in institutions]


class ScopeRowForm(forms.Form):
    """One scope row: (evaluation type, occupation, 工种, levels). The service checks the levels
    against the occupation's current standard and the 工种."""

    evaluation_type = forms.ChoiceField(
        label=gettext_lazy("评价类型"), required=False, choices=[("", "—"), *EvaluationType.choices]
    )
    occupation = forms.ChoiceField(label=gettext_lazy("职业"), required=False)
    specialty = forms.ChoiceField(label=gettext_lazy("工种（可不选，表示全部工种）"), required=False)
    levels = forms.TypedMultipleChoiceField(
        label=gettext_lazy("等级（专项职业能力不选）"),
        required=False,
        coerce=int,
        choices=[(int(level), Level(level).label) for level in EXAMINED_LEVELS],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, occupations, specialties, **kwargs):
        super().__init__(*args, **kwargs)
        self.occupations, self.specialties = occupations, specialties
        self.fields["occupation"].choices = [("", "—")] + [(str(o.pk), str(o)) for o in occupations.values()]
        self.fields["specialty"].choices = [("", "—")] + [(str(s.pk), str(s)) for s in specialties.values()]

    def clean(self):
        data = super().clean()
        blank = not any(data.get(name) for name in ("evaluation_type", "occupation", "specialty", "levels"))
        data["blank"] = blank
        if not blank:
            if not data.get("evaluation_type"):
                self.add_error("evaluation_type", _("请选择评价类型。"))
            if not data.get("occupation"):
                self.add_error("occupation", _("请选择职业。"))
        return data

    def row(self) -> dict:
        data = self.cleaned_data
        return {
            "evaluation_type": data["evaluation_type"],
            "occupation": self.occupations[data["occupation"]],
            "specialty": self.specialties.get(data["specialty"]) if data.get("specialty") else None,
            "levels": data["levels"],
        }


ScopeFormSet = forms.formset_factory(ScopeRowForm, extra=SCOPE_ROWS, max_num=20, validate_max=True)


@login_required
def filing_list(request):
    _require_filer(request.user)
    filings = filings_for(request.user).prefetch_related(
        Prefetch("scopes", queryset=Scope.objects.select_related("occupation", "specialty").order_by("pk"))
    )
    return render(request, "certification/filing_list.html", {"filings": filings.order_by("-created_at", "-pk")[:200]})


@login_required
def filing_new(request):
    institutions = _require_filer(request.user)
    occupations = {str(o.pk): o for o in Occupation.objects.order_by("code")}
    specialties = {str(s.pk): s for s in Specialty.objects.select_related("occupation")}
    form = FilingForm(request.POST or None, institutions=institutions)
    rows = ScopeFormSet(
        request.POST or None, prefix="scope", form_kwargs={"occupations": occupations, "specialties": specialties}
    )
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        scopes = [row.row() for row in rows if row.cleaned_data and not row.cleaned_data["blank"]]
        try:
            filing = filing_apply(
                institution=form.institutions[form.cleaned_data["institution"]],
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data["valid_until"],
                scopes=scopes,
                actor=request.user,
            )
        except Forbidden as error:
            form.add_error(None, str(error))
        except DomainError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("备案申请 #%(pk)d 已提交，待监管部门受理。") % {"pk": filing.pk})
            return redirect("web-filing-detail", pk=filing.pk)
    invalid = request.method == "POST"  # every successful POST has redirected
    context = {"form": form, "rows": rows}
    return render(request, "certification/filing_new.html", context, status=400 if invalid else 200)


def institution_actions(filing: Filing) -> list[str]:
    """The moves the institution itself may make from the filing's state (withdrawing)."""
    return [to for (frm, to), who in FILING_TRANSITIONS.items() if frm == filing.state and INSTITUTION in who]


@login_required
def filing_detail(request, pk, status=200):
    filing = get_object_or_404(
        filings_for(request.user).prefetch_related(
            Prefetch("scopes", queryset=Scope.objects.select_related("occupation", "specialty").order_by("pk")),
            Prefetch("transitions", queryset=FilingTransition.objects.select_related("actor").order_by("at", "pk")),
        ),
        pk=pk,
    )
    context = {"filing": filing, "can_withdraw": Filing.State.WITHDRAWN in institution_actions(filing)}
    return render(request, "certification/filing_detail.html", context, status=status)


@login_required
@require_POST
def filing_withdraw(request, pk):
    filing = get_object_or_404(filings_for(request.user), pk=pk)
    try:
        filing_transition(
            filing=filing, to_state=Filing.State.WITHDRAWN, actor=request.user, reason=request.POST.get("reason", "")
        )
    except Forbidden as error:
        messages.error(request, str(error))
        return filing_detail(request, pk, status=403)
    except DomainError as error:
        for message in error.messages:
            messages.error(request, message)
        return filing_detail(request, pk, status=400)
    messages.success(request, _("备案申请已撤回。"))
    return redirect("web-filing-detail", pk=pk)
