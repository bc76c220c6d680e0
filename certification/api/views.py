"""Thin API views: each translates one HTTP request into one service call, on objects
fetched through the caller-scoped selectors (what you may not see is a 404)."""

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response

from registry.api import ERROR_RESPONSES
from registry.models import Occupation, Specialty
from registry.selectors import institutions_visible_to

from .. import selectors, services
from ..models import Application, Finding, Objection, Result, ResultCorrection, Session
from ..services import accounts, publicity
from . import serializers as s
from .filters import ApplicationFilter, FindingFilter, ResultFilter, SessionFilter

LIST_ERRORS = {400: ERROR_RESPONSES[400]}
READ_ERRORS = {404: ERROR_RESPONSES[404]}


def _data(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema_view(
    list=extend_schema(responses={200: s.SessionOut(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: s.SessionDetailOut, **READ_ERRORS}),
)
class SessionViewSet(viewsets.ReadOnlyModelViewSet):
    """评价批次: planned inside the institution's filed scope, staffed, scored, submitted."""

    filterset_class = SessionFilter
    queryset = Session.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        open_findings = Finding.objects.filter(session=OuterRef("pk"), cleared_at__isnull=True)
        return selectors.sessions_for(self.request.user).annotate(held=Exists(open_findings))

    def get_serializer_class(self):
        return s.SessionDetailOut if self.action != "list" else s.SessionOut

    def _detail(self, pk):
        session = self.get_queryset().prefetch_related("staff__assessor__person").get(pk=pk)
        session.staffing_shortfalls = services.session_staffing_shortfalls(session)
        return s.SessionDetailOut(session).data

    def retrieve(self, request, pk=None):
        self.get_object()
        return Response(self._detail(pk))

    @extend_schema(request=s.SessionIn, responses={201: s.SessionDetailOut, **ERROR_RESPONSES})
    def create(self, request):
        """Plan a session (institution admin); refused outside a filed, in-date scope."""
        data = _data(s.SessionIn, request)
        institution = get_object_or_404(institutions_visible_to(request.user), pk=data.pop("institution"))
        occupation = get_object_or_404(Occupation, pk=data.pop("occupation"))
        specialty_id = data.pop("specialty", None)
        specialty = get_object_or_404(Specialty, pk=specialty_id) if specialty_id else None
        session = services.session_plan(
            actor=request.user, institution=institution, occupation=occupation, specialty=specialty, **data
        )
        return Response(self._detail(session.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.SessionDetailOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit for issuance: locks the results and starts their publicity."""
        services.session_submit(actor=request.user, session=self.get_object())
        return Response(self._detail(pk))

    @extend_schema(request=s.StaffIn, responses={201: s.SessionDetailOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def staff(self, request, pk=None):
        """Assign an assessor, invigilator, reviewer or supervisor (外督: the regulator)."""
        session = self.get_object()
        data = _data(s.StaffIn, request)
        assessor = get_object_or_404(selectors.assessors_for(request.user), pk=data["assessor"])
        services.session_staff_assign(actor=request.user, session=session, assessor=assessor, role=data["role"])
        return Response(self._detail(pk), status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(responses={200: s.ApplicationOut(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: s.ApplicationOut, **READ_ERRORS}),
)
class ApplicationViewSet(viewsets.ReadOnlyModelViewSet):
    """申报: enrolment by pathway, with eligibility computed from the person's record."""

    serializer_class = s.ApplicationOut
    filterset_class = ApplicationFilter
    queryset = Application.objects.none()

    def get_queryset(self):
        return selectors.applications_for(self.request.user)

    def _session(self, request, pk):
        return get_object_or_404(selectors.sessions_for(request.user), pk=pk)

    @extend_schema(request=s.ApplicationIn, responses={201: s.ApplicationOut, **ERROR_RESPONSES})
    def create(self, request):
        data = _data(s.ApplicationIn, request)
        session = self._session(request, data.pop("session"))
        application = services.application_enrol(actor=request.user, session=session, **data)
        return Response(
            s.ApplicationOut(self.get_queryset().get(pk=application.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.BulkIn, responses={201: s.ApplicationOut(many=True), **ERROR_RESPONSES})
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Enrol many candidates at once, all or nothing; errors name each bad row."""
        data = _data(s.BulkIn, request)
        session = self._session(request, data["session"])
        created = services.application_enrol_bulk(actor=request.user, session=session, rows=data["rows"])
        applications = self.get_queryset().filter(pk__in=[a.pk for a in created])
        return Response(s.ApplicationOut(applications, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DecisionIn, responses={200: s.ApplicationOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Approve or reject 破格 / competition (regulator) or 直接认定 (the employer institution)."""
        data = _data(s.DecisionIn, request)
        services.application_decide(actor=request.user, application=self.get_object(), **data)
        return Response(s.ApplicationOut(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=s.ReasonIn, responses={200: s.ApplicationOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        data = _data(s.ReasonIn, request)
        services.application_withdraw(actor=request.user, application=self.get_object(), **data)
        return Response(s.ApplicationOut(self.get_queryset().get(pk=pk)).data)


@extend_schema_view(
    list=extend_schema(responses={200: s.ResultOut(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: s.ResultDetailOut, **READ_ERRORS}),
)
class ResultViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """成绩: scores recorded by assigned assessors; the outcome is computed, never typed."""

    filterset_class = ResultFilter
    queryset = Result.objects.none()
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        qs = selectors.results_for(self.request.user)
        return qs.prefetch_related("corrections__corrected_by") if self.action != "list" else qs

    def get_serializer_class(self):
        return s.ResultOut if self.action == "list" else s.ResultDetailOut

    @extend_schema(request=s.ScoresIn, responses={200: s.ResultDetailOut, **ERROR_RESPONSES})
    def partial_update(self, request, pk=None):
        """Record scores (an assessor assigned to the session, before submission)."""
        result = self.get_object()
        serializer = s.ScoresIn(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.result_record(actor=request.user, application=result.application, **serializer.validated_data)
        return Response(s.ResultDetailOut(self.get_queryset().get(pk=pk)).data)

    @extend_schema(exclude=True)
    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=s.CorrectionIn, responses={200: s.ResultDetailOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Correct a locked result with a reason; the old and new values are kept."""
        data = _data(s.CorrectionIn, request)
        services.result_correct(actor=request.user, result=self.get_object(), **data)
        return Response(s.ResultDetailOut(self.get_queryset().get(pk=pk)).data)


@extend_schema_view(
    list=extend_schema(responses={200: s.FindingOut(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: s.FindingOut, **READ_ERRORS}),
)
class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """督导发现: filed by a supervisor on a session; holds it until the regulator clears it."""

    serializer_class = s.FindingOut
    filterset_class = FindingFilter
    queryset = Finding.objects.none()

    def get_queryset(self):
        return selectors.findings_for(self.request.user)

    @extend_schema(request=s.FindingIn, responses={201: s.FindingOut, **ERROR_RESPONSES})
    def create(self, request):
        data = _data(s.FindingIn, request)
        session = get_object_or_404(selectors.sessions_for(request.user), pk=data["session"])
        finding = services.finding_open(
            actor=request.user,
            session=session,
            text=data["text"],
            severity=data["severity"],
            visit_date=data["visit_date"],
            deadline=data["deadline"],
        )
        return Response(s.FindingOut(self.get_queryset().get(pk=finding.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ClearanceIn, responses={200: s.FindingOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def clear(self, request, pk=None):
        data = _data(s.ClearanceIn, request)
        services.finding_clear(actor=request.user, finding=self.get_object(), clearance=data["clearance"])
        return Response(s.FindingOut(self.get_queryset().get(pk=pk)).data)


@extend_schema(request=None, responses={201: s.ActivationCodeOut, **ERROR_RESPONSES})
@api_view(["POST"])
def person_activation_code(request, pk: int):
    """A new one-time activation code for a person's account (earlier unused ones are voided):
    for the admins of an institution that enrolled or certified the person, and the regulator.
    The code is in this answer only; the registry keeps its hash."""
    person = get_object_or_404(selectors.people_for_activation(request.user), pk=pk)
    code = accounts.activation_code_issue(actor=request.user, person=person)
    issued = person.activation_codes.order_by("-issued_at", "-pk").first()
    return Response(
        {"person": person.pk, "activation_code": code, "expires_at": issued.expires_at}, status=status.HTTP_201_CREATED
    )


@extend_schema_view(
    list=extend_schema(responses={200: s.CorrectionRequestOut(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: s.CorrectionRequestOut, **READ_ERRORS}),
)
class CorrectionViewSet(viewsets.ReadOnlyModelViewSet):
    """成绩更正: corrections of submitted results; one that turns a fail into a pass waits for
    the regulator's approval (a person other than the requester)."""

    serializer_class = s.CorrectionRequestOut
    queryset = ResultCorrection.objects.none()

    def get_queryset(self):
        qs = selectors.corrections_for(self.request.user).order_by("-corrected_at", "-id")
        state = self.request.query_params.get("state")
        return qs.filter(state=state) if state in ResultCorrection.State.values else qs

    def _answer(self, pk):
        return Response(s.CorrectionRequestOut(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=s.CorrectionDecisionIn, responses={200: s.CorrectionRequestOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        data = _data(s.CorrectionDecisionIn, request)
        services.correction_approve(actor=request.user, correction=self.get_object(), note=data["note"])
        return self._answer(pk)

    @extend_schema(request=s.CorrectionDecisionIn, responses={200: s.CorrectionRequestOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        data = _data(s.CorrectionDecisionIn, request)
        services.correction_reject(actor=request.user, correction=self.get_object(), note=data["note"])
        return self._answer(pk)


@extend_schema_view(
    list=extend_schema(responses={200: s.ObjectionOut(many=True), **LIST_ERRORS}),
    retrieve=extend_schema(responses={200: s.ObjectionOut, **READ_ERRORS}),
)
class ObjectionViewSet(viewsets.ReadOnlyModelViewSet):
    """异议: filed by anyone on the public publicity page; the institution answers, the regulator
    resolves (upheld: the result is corrected; dismissed: the hold lifts)."""

    serializer_class = s.ObjectionOut
    queryset = Objection.objects.none()

    def get_queryset(self):
        qs = selectors.objections_for(self.request.user)
        state = self.request.query_params.get("state")
        return qs.filter(state=state) if state in Objection.State.values else qs

    def _answer(self, pk):
        return Response(s.ObjectionOut(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=s.AnswerIn, responses={200: s.ObjectionOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        data = _data(s.AnswerIn, request)
        publicity.objection_answer(actor=request.user, objection=self.get_object(), text=data["text"])
        return self._answer(pk)

    @extend_schema(request=s.ResolutionIn, responses={200: s.ObjectionOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        data = _data(s.ResolutionIn, request)
        publicity.objection_resolve(actor=request.user, objection=self.get_object(), **data)
        return self._answer(pk)
