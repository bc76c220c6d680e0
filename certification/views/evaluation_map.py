"""The public training and evaluation map (培训评价地图): filed institutions in force by occupation,
level, evaluation type and district, with a district grid (server-rendered, no tile server)."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from registry.levels import EvaluationType, Level
from registry.models import District, Filing, Occupation, Scope

from ..evaluation_map import MapFilter, district_grid, map_entries
from .paging import page_of

PAGE_SIZE = 20


class MapForm(forms.Form):
    occupation = forms.ModelChoiceField(
        label=gettext_lazy("职业"), queryset=Occupation.objects.none(), required=False, empty_label=gettext_lazy("全部")
    )
    level = forms.TypedChoiceField(
        label=gettext_lazy("等级"),
        choices=[("", gettext_lazy("全部")), *Level.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    evaluation_type = forms.ChoiceField(
        label=gettext_lazy("评价类型"), choices=[("", gettext_lazy("全部")), *EvaluationType.choices], required=False
    )
    district = forms.ChoiceField(
        label=gettext_lazy("所在区"), choices=[("", gettext_lazy("全部")), *District.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only occupations some filing covers: the list stays short and every choice can match.
        filed = Scope.objects.filter(filing__state=Filing.State.FILED).values("occupation_id")
        self.fields["occupation"].queryset = Occupation.objects.filter(pk__in=filed).order_by("code")


def training_map(request):
    form = MapForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "certification/evaluation_map.html", {"form": form, "invalid": True}, status=400)
    data = form.cleaned_data if form.is_bound else {}
    criteria = MapFilter(
        occupation_id=data["occupation"].pk if data.get("occupation") else None,
        level=data.get("level"),
        evaluation_type=data.get("evaluation_type") or None,
        district=data.get("district") or None,
    )
    entries, per_district = map_entries(criteria)
    page = page_of(request, entries, per_page=PAGE_SIZE, anchor="results")
    without_district = request.GET.copy()
    without_district.pop("page", None)
    without_district.pop("district", None)
    return render(
        request,
        "certification/evaluation_map.html",
        {
            "form": form,
            "page": page,
            "count": len(entries),
            "grid": district_grid(per_district),
            "district": criteria.district,
            "query_without_district": without_district.urlencode(),
        },
    )
