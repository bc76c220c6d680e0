"""Search and filters of the site's lists (django-filter, the same library as the API's
`certification/api/filters.py`): each list page binds its FilterSet to the query string, so a
filtered page has a URL that can be shared and paged."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.levels import Level
from registry.models import Occupation

from .models import Session

DATE = forms.DateInput(attrs={"type": "date"})


class SessionListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_q", max_length=100)
    state = django_filters.ChoiceFilter(label=_("状态"), choices=Session.State.choices, empty_label=_("全部状态"))
    occupation = django_filters.ModelChoiceFilter(
        label=_("职业"),
        queryset=Occupation.objects.only("pk", "code", "name").order_by("code"),
        empty_label=_("全部职业"),
    )
    level = django_filters.ChoiceFilter(label=_("等级"), choices=Level.choices, empty_label=_("全部等级"))
    starts_after = django_filters.DateFilter(
        label=_("考核日期从"), field_name="starts_on", lookup_expr="gte", widget=DATE
    )
    starts_before = django_filters.DateFilter(label=_("至"), field_name="starts_on", lookup_expr="lte", widget=DATE)

    class Meta:
        model = Session
        fields = ["q", "state", "occupation", "level", "starts_after", "starts_before"]

    def filter_q(self, queryset, name, value):
        """A session number (#12 or 12), or part of its name, site or institution's name."""
        value = value.strip().lstrip("#")
        if value.isdigit():
            return queryset.filter(pk=int(value)) if len(value) < 10 else queryset.none()
        return queryset.filter(
            Q(name__icontains=value) | Q(site__icontains=value) | Q(institution__name__icontains=value)
        )
