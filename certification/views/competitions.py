"""The regulator's competition desk (/regulator/competitions/): record an award, which applies
the competition's promotion rule and may create a promotion waiting in the work queue; and the
queue's approve/reject of those promotions."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry import identity
from registry.errors import DomainError
from registry.models import Competition, Medal, Occupation
from registry.services import person_register

from .. import services
from ..models import Promotion
from .forms import errors_to_form
from .regulator import _back, regulator_required


class AwardForm(forms.Form):
    competition = forms.ModelChoiceField(label=gettext_lazy("竞赛"), queryset=Competition.objects.all())
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100)
    document_type = forms.ChoiceField(
        label=gettext_lazy("证件类型"), choices=identity.DocumentType.choices, initial="resident_id"
    )
    document_number = forms.CharField(label=gettext_lazy("证件号码"), max_length=40)
    occupation = forms.ModelChoiceField(label=gettext_lazy("赛项职业"), queryset=Occupation.objects.all())
    event = forms.CharField(label=gettext_lazy("赛项"), max_length=200)
    medal = forms.ChoiceField(label=gettext_lazy("奖牌"), required=False, choices=[("", "—"), *Medal.choices])
    rank = forms.IntegerField(label=gettext_lazy("名次"), required=False, min_value=1)
    awarded_on = forms.DateField(label=gettext_lazy("获奖日期"), widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.CharField(label=gettext_lazy("证明材料"), widget=forms.Textarea(attrs={"rows": 3}))


@regulator_required
def competitions(request):
    form = AwardForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = person_register(
                    document_type=data["document_type"], document_number=data["document_number"], name=data["name"]
                )
                award = services.award_record(
                    actor=request.user,
                    competition=data["competition"],
                    person=person,
                    occupation=data["occupation"],
                    event=data["event"],
                    awarded_on=data["awarded_on"],
                    evidence=data["evidence"],
                    medal=data["medal"],
                    rank=data["rank"],
                )
            except DomainError as error:
                errors_to_form(form, error)
            else:
                promotion = getattr(award, "promotion", None)
                if promotion is not None:
                    messages.success(
                        request,
                        _("获奖已记录，晋升%(l)s的申请已提交监管工作台审批。")
                        % {"l": promotion.get_target_level_display()},
                    )
                else:
                    messages.success(request, _("获奖已记录；按该竞赛的晋升规则不产生晋升。"))
                return redirect("regulator-competitions")
        status = 400
    rows = Competition.objects.prefetch_related("rules")
    recent = Promotion.objects.select_related("person", "occupation", "award").order_by("-created_at")[:20]
    return render(
        request,
        "certification/competitions.html",
        {"form": form, "competitions": rows, "recent": recent},
        status=status,
    )


@regulator_required
@require_POST
def promotion_decide(request, pk, decision: str):
    promotion = get_object_or_404(Promotion, pk=pk)
    approve = decision == "approve"

    def call():
        services.promotion_decide(
            actor=request.user, promotion=promotion, approve=approve, note=request.POST.get("note", "")
        )

    return _back(request, call, _("晋升申请已批准。") if approve else _("晋升申请已驳回。"))
