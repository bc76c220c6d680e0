"""API of issuance and certificates: batches with progress, ZIP archives, certificates with
their PDF and verifiable credential, revocation, and public verification."""

import hashlib
import json

from django.db.models import Prefetch, Sum
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from django.views.decorators.http import require_safe
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    authentication_classes,
    content_negotiation_class,
    permission_classes,
    renderer_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from registry.api import ERROR_RESPONSES, AnswerInJSON
from registry.identity import normalize_certificate_number
from registry.levels import Level
from registry.selectors import institutions_visible_to

from .. import pdf, selectors, signing
from ..models import BatchArchive, BatchFailure, Certificate, IssuanceBatch
from ..services import archives, certificates, issuance, reporting
from ..throttle import verification_check
from . import serializers as s


def _data(serializer_class, request):
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Ids of other objects as plain numbers: an unknown id and another institution's both give an
# empty page (a model-choice filter answers 400 for the first only: an existence oracle).
class BatchFilter(filters.FilterSet):
    institution = filters.NumberFilter(field_name="institution")
    created_after = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = IssuanceBatch
        fields = ["state", "institution", "issue_date"]


@extend_schema_view(
    list=extend_schema(responses={200: s.BatchOut(many=True), 400: ERROR_RESPONSES[400]}),
    retrieve=extend_schema(responses={200: s.BatchDetailOut, 404: ERROR_RESPONSES[404]}),
)
class BatchViewSet(viewsets.ReadOnlyModelViewSet):
    """发证批次: created from submitted sessions, processed by Celery in chunks."""

    queryset = IssuanceBatch.objects.none()
    filterset_class = BatchFilter

    def get_queryset(self):
        # Explicit order: Meta.ordering does not apply to a GROUP BY query (the sums), and an
        # unordered page list could repeat or skip batches between pages.
        qs = (
            selectors.batches_for(self.request.user)
            .annotate(issued=Sum("chunks__issued"), failed=Sum("chunks__failed"))
            .order_by("-created_at", "-id")
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                "sessions",
                Prefetch(
                    "failures", queryset=BatchFailure.objects.order_by("result_id")[:200], to_attr="first_failures"
                ),
            )
        return qs

    def get_serializer_class(self):
        return s.BatchOut if self.action == "list" else s.BatchDetailOut

    def _out(self, pk):
        batch = self.get_queryset().get(pk=pk)
        batch.issued, batch.failed = batch.issued or 0, batch.failed or 0
        return s.BatchDetailOut(batch).data

    def retrieve(self, request, pk=None):
        self.get_object()
        return Response(self._out(pk))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        for row in response.data["results"]:
            row["issued"], row["failed"] = row["issued"] or 0, row["failed"] or 0
        return response

    @extend_schema(request=s.BatchIn, responses={201: s.BatchDetailOut, **ERROR_RESPONSES})
    def create(self, request):
        """Submit sessions for issuance (all-or-nothing checks: submitted, unheld, publicity over,
        filing in force on the issue date, not already issued)."""
        data = _data(s.BatchIn, request)
        visible = selectors.sessions_for(request.user)
        sessions = list(visible.filter(pk__in=data["sessions"]))
        missing = set(data["sessions"]) - {session.pk for session in sessions}
        if missing:
            return Response(
                {"sessions": [f"评价批次 {sorted(missing)} 不存在或无权访问。"]}, status=status.HTTP_404_NOT_FOUND
            )
        batch = issuance.batch_create(actor=request.user, sessions=sessions, issue_date=data.get("issue_date"))
        return Response(self._out(batch.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: s.ArchiveOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Start building a ZIP of the batch's PDFs; poll the returned archive for progress."""
        archive = archives.archive_create(actor=request.user, batch=self.get_object())
        return Response(s.ArchiveOut(archive).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.ArchiveOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["get"], url_path=r"archives/(?P<archive_id>\d+)")
    def archive_status(self, request, pk=None, archive_id=None):
        archive = get_object_or_404(BatchArchive, pk=archive_id, batch=self.get_object())
        return Response(s.ArchiveOut(archive).data)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY, **ERROR_RESPONSES})
    @action(detail=True, methods=["get"], url_path=r"archives/(?P<archive_id>\d+)/download")
    def archive_download(self, request, pk=None, archive_id=None):
        archive = get_object_or_404(BatchArchive, pk=archive_id, batch=self.get_object(), state=BatchArchive.State.DONE)
        return FileResponse(open(archive.path, "rb"), as_attachment=True, filename=f"batch-{pk}.zip")

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
        description="GET /api/batches/{id}/report.xlsx or report.csv: the batch's unreported valid "
        "certificates in the national upload's column order (REPORT_COLUMNS), with full ID numbers. "
        "The issuing institution's admin (skill-level certificates) or the regulator.",
    )
    def report(self, request, pk=None, fmt="xlsx"):
        rows = reporting.unreported_certificates(actor=request.user, batch=self.get_object())
        return report_response(request, rows, fmt, f"batch-{pk}-report")

    @extend_schema(request=None, responses={200: s.MarkedOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"], url_path="mark-reported")
    def mark_reported(self, request, pk=None):
        """Record that the batch's unreported certificates were uploaded: who and when (idempotent)."""
        marked = reporting.certificates_mark_reported(actor=request.user, batch=self.get_object())
        return Response({"marked": marked})


REPORT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def report_response(request, queryset, fmt: str, filename: str) -> HttpResponse:
    """The national-upload export. It carries full ID numbers: never cached, never logged, and
    every export recorded as a sensitive read."""
    data = reporting.report_export(actor=request.user, certificates=queryset, fmt=fmt, path=request.path)
    content_type = REPORT_TYPES[fmt] + ("; charset=utf-8" if fmt == "csv" else "")
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


class CertificateFilter(filters.FilterSet):
    institution = filters.NumberFilter(field_name="institution")
    batch = filters.NumberFilter(field_name="batch")
    number = filters.CharFilter(method="filter_number", help_text="full-width, lower-case or spaced numbers match")
    status = filters.ChoiceFilter(choices=[("valid", "valid"), ("revoked", "revoked")], method="filter_status")
    level = filters.ChoiceFilter(choices=Level.choices)
    issued_after = filters.DateFilter(field_name="issued_on", lookup_expr="gte")
    issued_before = filters.DateFilter(field_name="issued_on", lookup_expr="lte")
    reported = filters.BooleanFilter(field_name="reported_at", lookup_expr="isnull", exclude=True)
    search = filters.CharFilter(
        method="filter_number", help_text="a certificate number, found by its unique index (as `number`)"
    )

    class Meta:
        model = Certificate
        fields = ["number", "institution", "occupation", "level", "evaluation_type", "batch", "status"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(revoked_at__isnull=(value == "valid"))

    def filter_number(self, queryset, name, value):
        return queryset.filter(number=normalize_certificate_number(value))


@extend_schema_view(
    list=extend_schema(responses={200: s.CertificateOut(many=True), 400: ERROR_RESPONSES[400]}),
    retrieve=extend_schema(responses={200: s.CertificateOut, 404: ERROR_RESPONSES[404]}),
)
class CertificateViewSet(viewsets.ReadOnlyModelViewSet):
    """证书: the regulator sees all, an institution what it issued, a worker their own."""

    queryset = Certificate.objects.none()
    serializer_class = s.CertificateOut
    filterset_class = CertificateFilter

    def get_queryset(self):
        qs = selectors.certificates_for(self.request.user)
        # Newest first by id: the primary key's index serves a page of a million rows without a
        # sort (the model's order, by issue date and number, would sort them all).
        return qs.order_by("-id") if self.action == "list" else qs

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, 404: ERROR_RESPONSES[404]})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        certificate = self.get_object()
        response = HttpResponse(pdf.certificate_pdf(certificate), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{certificate.number}.pdf"'
        return response

    @extend_schema(responses={(200, "application/vc+ld+json"): OpenApiTypes.OBJECT, 404: ERROR_RESPONSES[404]})
    @action(detail=True, methods=["get"])
    def credential(self, request, pk=None):
        """The W3C Verifiable Credential 2.0 (Open Badges 3.0) with its eddsa-jcs-2022 proof."""
        certificate = self.get_object()
        document = signing.attach_proof(certificate.credential, certificate.proof)
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False, indent=2), content_type="application/vc+ld+json"
        )
        response["Content-Disposition"] = f'attachment; filename="{certificate.number}.json"'
        return response

    @extend_schema(request=s.ReasonIn, responses={200: s.CertificateOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        data = _data(s.ReasonIn, request)
        certificates.certificate_revoke(actor=request.user, certificate=self.get_object(), reason=data["reason"])
        return Response(s.CertificateOut(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=s.ReissueIn, responses={201: s.ReissueOut, **ERROR_RESPONSES})
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        """补发: the same certificate printed again (same number and data), the reissue recorded."""
        data = _data(s.ReissueIn, request)
        reissue = certificates.certificate_reissue(
            actor=request.user,
            certificate=self.get_object(),
            reason=data["reason"],
            reissued_on=data.get("reissued_on"),
        )
        return Response(s.ReissueOut(reissue).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.BINARY, **ERROR_RESPONSES},
        description="GET /api/certificates/report.xlsx?institution={id} (or report.csv): an institution's "
        "unreported valid certificates for the national upload, with full ID numbers.",
        parameters=[OpenApiParameter("institution", int, required=True, description="the institution's id")],
    )
    def report(self, request, fmt="xlsx"):
        try:
            institution_id = int(request.query_params.get("institution", ""))
        except ValueError:
            return Response({"institution": ["请指定机构（institution）。"]}, status=status.HTTP_400_BAD_REQUEST)
        institution = get_object_or_404(institutions_visible_to(request.user), pk=institution_id)
        rows = reporting.unreported_certificates(actor=request.user, institution=institution)
        return report_response(request, rows, fmt, f"institution-{institution.pk}-report")

    @extend_schema(request=s.MarkReportedIn, responses={200: s.MarkedOut, **ERROR_RESPONSES})
    @action(detail=False, methods=["post"], url_path="mark-reported")
    def mark_reported(self, request):
        """Record that these certificates were uploaded to the national database (idempotent)."""
        data = _data(s.MarkReportedIn, request)
        marked = reporting.certificates_mark_reported(actor=request.user, certificate_ids=data["certificates"])
        return Response({"marked": marked})


# VerifyIn's fields, built once: a serializer built per request deep-copies its declared fields,
# which cost more than the look-up. run_validation keeps no state on the instance (is_valid does).
VERIFY_IN = s.VerifyIn()


@extend_schema(
    request=s.VerifyIn,
    responses={
        200: s.VerifyOut,
        400: ERROR_RESPONSES[400],
        429: OpenApiResponse(
            description="Too many requests from this client, for this ID number from this client, or for this "
            "certificate number today (then verify by the QR code); `detail` says how long to wait."
        ),
    },
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@renderer_classes([JSONRenderer])
@content_negotiation_class(AnswerInJSON)
def verify(request):
    """Public verification: name + ID number + certificate number (all must match), or the QR
    link's code. POST only, so that no ID number ever appears in a URL or an access log."""
    data = VERIFY_IN.run_validation(request.data)
    # The per-number limit applies to queries by number only: the QR code path stays open.
    refusal = verification_check(request, data.get("document_number"), None if data.get("code") else data.get("number"))
    if refusal:
        response = Response(
            {"detail": refusal.message, "limit": refusal.limit}, status=status.HTTP_429_TOO_MANY_REQUESTS
        )
        response["Retry-After"] = str(refusal.wait_seconds)
        return response
    if data.get("code"):
        row = certificates.certificate_by_code(data["code"])
    else:
        row = certificates.certificate_by_query(
            number=data.get("number", ""), name=data.get("name", ""), document_number=data.get("document_number", "")
        )
    # The summary is already VerifyOut's shape (strings, dates, booleans): encoded as it is, as
    # JSONRenderer would (compact, not ASCII-escaped), without building the serializer's fields
    # or DRF's rendering on every look-up.
    return JsonResponse(
        certificates.verification_summary(row), json_dumps_params={"ensure_ascii": False, "separators": (",", ":")}
    )


# Public documents a CDN may carry: the same bytes for everyone, so they are served with
# Cache-Control: public, a max-age, and a strong ETag that answers If-None-Match with 304.
PUBLIC_KEY_MAX_AGE = 3600  # keys change only on rotation, and a retired key stays listed
STATUS_LIST_MAX_AGE = 300  # the server's own cache of the list lives as long (revocation clears it)


def _cacheable_json(request, document: dict, max_age: int):
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=max_age)
    return get_conditional_response(request, etag=etag, response=response)


@require_safe
def public_key(request):
    """The registry's public key (controller document with a Multikey and a JWK)."""
    return _cacheable_json(request, signing.key_document(), PUBLIC_KEY_MAX_AGE)


@require_safe
def status_list(request):
    return _cacheable_json(request, certificates.status_list_credential(), STATUS_LIST_MAX_AGE)
