from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from certification.api.issuance_views import BatchViewSet, CertificateViewSet, verify
from certification.api.views import (
    ApplicationViewSet,
    CorrectionViewSet,
    FindingViewSet,
    ObjectionViewSet,
    ResultViewSet,
    SessionViewSet,
    person_activation_code,
)
from registry.api.views import FilingViewSet, InstitutionViewSet, OccupationViewSet, person_document
from registry.auth import obtain_auth_token

router = DefaultRouter()
router.register("occupations", OccupationViewSet, basename="occupation")
router.register("institutions", InstitutionViewSet, basename="institution")
router.register("filings", FilingViewSet, basename="filing")
router.register("sessions", SessionViewSet, basename="session")
router.register("applications", ApplicationViewSet, basename="application")
router.register("results", ResultViewSet, basename="result")
router.register("findings", FindingViewSet, basename="finding")
router.register("corrections", CorrectionViewSet, basename="correction")
router.register("objections", ObjectionViewSet, basename="objection")
router.register("batches", BatchViewSet, basename="batch")
router.register("certificates", CertificateViewSet, basename="certificate")

urlpatterns = [
    path("verify/", verify, name="api-verify"),  # first: the most frequent request
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("people/<int:pk>/document/", person_document, name="api-person-document"),
    path("people/<int:pk>/activation-code/", person_activation_code, name="api-person-activation-code"),
    # The national-upload exports, named by their file type (DRF reserves ?format= for renderers).
    re_path(
        r"^batches/(?P<pk>\d+)/report\.(?P<fmt>xlsx|csv)$", BatchViewSet.as_view({"get": "report"}), name="batch-report"
    ),
    re_path(
        r"^certificates/report\.(?P<fmt>xlsx|csv)$",
        CertificateViewSet.as_view({"get": "report"}),
        name="certificate-report",
    ),
    path("", include(router.urls)),
]
