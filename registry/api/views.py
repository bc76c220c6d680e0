"""Read-mostly API of the registry: occupations, institutions, filings."""

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response

from registry import services
from registry.errors import Forbidden
from registry.models import Filing, Institution, Occupation, Person, Scope
from registry.selectors import institutions_visible_to, user_institution_ids, user_is_regulator

from . import ERROR_RESPONSES


class OccupationOut(serializers.ModelSerializer):
    levels = serializers.SerializerMethodField()

    class Meta:
        model = Occupation
        fields = [
            "id",
            "code",
            "code_2015",
            "name",
            "in_qualification_catalogue",
            "urgent_from",
            "urgent_until",
            "levels",
        ]

    def get_levels(self, obj) -> list[int]:
        current = [s for s in obj.standards.all() if s.is_current]
        return sorted(current[0].levels) if current else []


class OccupationFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    code = django_filters.CharFilter(lookup_expr="startswith")

    class Meta:
        model = Occupation
        fields = ["code", "name", "in_qualification_catalogue"]


class OccupationViewSet(viewsets.ReadOnlyModelViewSet):
    """The occupation catalogue (国家职业分类大典), readable by every signed-in user."""

    serializer_class = OccupationOut
    filterset_class = OccupationFilter
    queryset = Occupation.objects.prefetch_related("standards").order_by("code")


class InstitutionOut(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["id", "kind", "name", "credit_code", "district", "jurisdiction", "national_code", "site_code"]


class InstitutionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = InstitutionOut
    filterset_fields = ["kind", "district"]

    def get_queryset(self):
        return institutions_visible_to(self.request.user).order_by("name")


class ScopeOut(serializers.ModelSerializer):
    occupation_code = serializers.CharField(source="occupation.code")
    occupation_name = serializers.CharField(source="occupation.name")

    class Meta:
        model = Scope
        fields = ["evaluation_type", "occupation", "occupation_code", "occupation_name", "specialty", "levels"]


class FilingOut(serializers.ModelSerializer):
    scopes = ScopeOut(many=True, read_only=True)
    institution_name = serializers.CharField(source="institution.name")

    class Meta:
        model = Filing
        fields = ["id", "institution", "institution_name", "state", "valid_from", "valid_until", "scopes"]


class FilingTransitionIn(serializers.Serializer):
    to_state = serializers.ChoiceField(Filing.State.choices)
    reason = serializers.CharField(allow_blank=True)


class FilingFilter(django_filters.FilterSet):
    # A plain number: a model-choice filter would tell an unknown id (400) from another
    # institution's (an empty page).
    institution = django_filters.NumberFilter(field_name="institution")
    valid_on = django_filters.DateFilter(method="filter_valid_on", label="in its window on this date")

    class Meta:
        model = Filing
        fields = ["state", "institution"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value, valid_until__gte=value)


class FilingViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FilingOut
    filterset_class = FilingFilter

    def get_queryset(self):
        qs = Filing.objects.select_related("institution").prefetch_related("scopes__occupation")
        user = self.request.user
        if not user_is_regulator(user):
            qs = qs.filter(institution_id__in=user_institution_ids(user))
        return qs.order_by("institution__name", "-valid_from")

    @extend_schema(
        request=FilingTransitionIn,
        responses={200: FilingOut, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the filing to another state (regulator; the institution may withdraw), with a reason."""
        filing = self.get_object()
        serializer = FilingTransitionIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.filing_transition(filing=filing, actor=request.user, **serializer.validated_data)
        return Response(FilingOut(self.get_queryset().get(pk=filing.pk)).data, status=status.HTTP_200_OK)


class PersonDocumentOut(serializers.Serializer):
    person = serializers.IntegerField()
    document_type = serializers.CharField()
    document_number = serializers.CharField(help_text="the full number (regulator only; every read is recorded)")


@extend_schema(
    parameters=[OpenApiParameter("purpose", str, required=True, description="why the full number is needed")],
    responses={200: PersonDocumentOut, **ERROR_RESPONSES},
)
@api_view(["GET"])
def person_document(request, pk: int):
    """The full document number of a person, for the regulator only. Every read is recorded
    (who, when, whose, why) as a SensitiveRead; anyone else gets a 403 whether or not the
    person exists. The answer is never cached (registry/middleware.py)."""
    if not user_is_regulator(request.user):
        raise Forbidden(_("只有监管部门可以查看完整证件号码。"))
    person = get_object_or_404(Person, pk=pk)
    number = services.person_document_reveal(
        actor=request.user, person=person, purpose=request.query_params.get("purpose", ""), path=request.path
    )
    return Response({"person": person.pk, "document_type": person.document_type, "document_number": number})
