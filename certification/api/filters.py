import django_filters
from django.db.models import Q

from registry.levels import Level

from ..models import Application, Finding, Result, Session
from ..selectors import session_results

# Filters on another object take its id as a plain number: a model-choice filter would answer
# 400 for an id that does not exist and an empty page for another institution's, telling the
# two apart (an existence oracle). Either way the answer is now an empty page.


class SessionFilter(django_filters.FilterSet):
    occupation = django_filters.NumberFilter(field_name="occupation")
    institution = django_filters.NumberFilter(field_name="institution")
    starts_after = django_filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    starts_before = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte")
    occupation_code = django_filters.CharFilter(field_name="occupation__code")

    class Meta:
        model = Session
        fields = ["state", "evaluation_type", "occupation", "occupation_code", "level", "institution"]


class ApplicationFilter(django_filters.FilterSet):
    session = django_filters.NumberFilter(field_name="session")
    occupation = django_filters.NumberFilter(field_name="session__occupation")
    level = django_filters.ChoiceFilter(field_name="session__level", choices=Level.choices)
    institution = django_filters.NumberFilter(field_name="session__institution")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Application
        fields = ["state", "pathway", "session", "occupation", "level", "institution"]


class ResultFilter(django_filters.FilterSet):
    session = django_filters.NumberFilter(method="filter_session")
    occupation = django_filters.NumberFilter(field_name="application__session__occupation")
    level = django_filters.ChoiceFilter(field_name="application__session__level", choices=Level.choices)
    institution = django_filters.NumberFilter(field_name="application__session__institution")
    updated_after = django_filters.DateFilter(field_name="updated_at", lookup_expr="date__gte")
    updated_before = django_filters.DateFilter(field_name="updated_at", lookup_expr="date__lte")

    class Meta:
        model = Result
        fields = ["outcome", "session", "occupation", "level", "institution"]

    def filter_session(self, queryset, name, value):
        return session_results(queryset, int(value))


class FindingFilter(django_filters.FilterSet):
    session = django_filters.NumberFilter(field_name="session")
    open = django_filters.BooleanFilter(field_name="cleared_at", lookup_expr="isnull")
    institution = django_filters.NumberFilter(method="filter_institution")
    opened_after = django_filters.DateFilter(field_name="opened_at", lookup_expr="date__gte")
    opened_before = django_filters.DateFilter(field_name="opened_at", lookup_expr="date__lte")

    class Meta:
        model = Finding
        fields = ["session", "open", "institution"]

    def filter_institution(self, queryset, name, value):
        """Findings on the institution itself and on its sessions."""
        return queryset.filter(Q(institution=value) | Q(session__institution=value))
