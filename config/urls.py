from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from certification.api.issuance_views import public_key, status_list
from certification.views import (
    appointments,
    competitions,
    desk,
    evaluation_map,
    filings,
    institution,
    planning,
    public,
    publicity,
    regulator,
    school,
    statistics,
    supervisor,
    worker,
)
from certification.views import audit as audit_views

from . import views

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(".well-known/registry-key.json", public_key, name="public-key"),
    path("status/1", status_list, name="status-list"),
    path("verify/", public.verify, name="verify"),
    path("v/<str:code>", public.verify_code, name="verify-code"),
    # Early, as the look-ups above: Django tries the patterns in order, and public verification
    # (POST /api/verify/) is the API's most frequent request.
    path("api/", include("config.api_urls")),
    path("publicity/", publicity.publicity_list, name="publicity-list"),
    path("publicity/<int:pk>/", publicity.publicity_detail, name="publicity-detail"),
    path("map/", evaluation_map.training_map, name="training-map"),
    path("institution/objections/<int:pk>/answer/", institution.objection_answer, name="web-objection-answer"),
    path("regulator/objections/<int:pk>/resolve/", regulator.objection_resolve, name="web-objection-resolve"),
    path("regulator/", regulator.queue, name="regulator-queue"),
    path("regulator/audit/", audit_views.audit_log, name="regulator-audit"),
    path("regulator/competitions/", competitions.competitions, name="regulator-competitions"),
    *(
        path(
            f"regulator/promotions/<int:pk>/{decision}/",
            competitions.promotion_decide,
            {"decision": decision},
            name=f"regulator-promotion-{decision}",
        )
        for decision in ("approve", "reject")
    ),
    path("regulator/appointments/", appointments.regulator_appointments, name="regulator-appointments"),
    path(
        "regulator/appointments/<int:pk>/publish/",
        appointments.appointment_publish,
        name="regulator-appointment-publish",
    ),
    path("institution/appointments/", appointments.institution_appointments, name="institution-appointments"),
    path("regulator/statistics/", statistics.statistics_page, name="regulator-statistics"),
    path("regulator/statistics/refresh/", statistics.statistics_refresh, name="regulator-statistics-refresh"),
    path("regulator/statistics/urgent/", statistics.urgent_set, name="regulator-statistics-urgent"),
    *[
        path(
            f"regulator/statistics/export.{fmt}",
            statistics.statistics_export,
            {"fmt": fmt},
            name=f"regulator-statistics-{fmt}",
        )
        for fmt in ("csv", "xlsx")
    ],
    *[
        path(
            f"regulator/filings/<int:pk>/{action}/",
            regulator.queue_filing,
            {"action": action},
            name=f"regulator-filing-{action}",
        )
        for action in regulator.FILING_ACTIONS
    ],
    *[
        path(
            f"regulator/applications/<int:pk>/{decision}/",
            regulator.queue_application,
            {"decision": decision},
            name=f"regulator-application-{decision}",
        )
        for decision in ("approve", "reject")
    ],
    *[
        path(
            f"regulator/queue/corrections/<int:pk>/{decision}/",
            regulator.queue_correction,
            {"decision": decision},
            name=f"regulator-correction-{decision}",
        )
        for decision in ("approve", "reject")
    ],
    path("regulator/findings/<int:pk>/clear/", regulator.queue_finding, name="regulator-finding-clear"),
    path("regulator/history/<str:kind>/<int:pk>/", regulator.item_history, name="regulator-history"),
    path("regulator/findings/<int:pk>/sanction/", regulator.queue_sanction, name="regulator-finding-sanction"),
    path("regulator/reports/<int:pk>/dismiss/", regulator.queue_report_dismiss, name="regulator-report-dismiss"),
    path("regulator/reports/<int:pk>/finding/", regulator.queue_report_finding, name="regulator-report-finding"),
    path("supervisor/", supervisor.supervisor_home, name="supervisor-home"),
    path("supervision/report/", supervisor.report, name="supervision-report"),
    path(
        "regulator/certificates/<int:pk>/revoke/",
        regulator.queue_certificate_revoke,
        name="regulator-certificate-revoke",
    ),
    path(
        "regulator/corrections/<int:pk>/approve/",
        regulator.correction_decide,
        {"decision": "approve"},
        name="web-correction-approve",
    ),
    path(
        "regulator/corrections/<int:pk>/reject/",
        regulator.correction_decide,
        {"decision": "reject"},
        name="web-correction-reject",
    ),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("start/", views.start, name="start"),
    path("accounts/activate/", worker.activate, name="activate"),
    path("me/", worker.my_record, name="my-record"),
    path("institution/", institution.session_list, name="web-session-list"),
    path("institution/sessions/new/", planning.session_new, name="web-session-new"),
    path("institution/sessions/<int:pk>/staff/", planning.staff_assign, name="web-staff-assign"),
    path("institution/sessions/<int:pk>/enrol/", planning.enrol_one, name="web-enrol-one"),
    path(
        "institution/sessions/<int:pk>/applications/<int:application_pk>/withdraw/",
        planning.withdraw,
        name="web-application-withdraw",
    ),
    path("institution/sessions/<int:pk>/", institution.session_detail, name="web-session-detail"),
    path("institution/sessions/<int:pk>/roster/", institution.roster_import, name="web-roster-import"),
    path("institution/sessions/<int:pk>/roster/template.xlsx", institution.roster_template, name="web-roster-template"),
    path("institution/sessions/<int:pk>/submit/", institution.session_submit, name="web-session-submit"),
    path(
        "institution/sessions/<int:pk>/applications/<int:application_pk>/activation-code/",
        institution.activation_code,
        name="web-activation-code",
    ),
    path("institution/sessions/<int:pk>/issue/", institution.session_issue, name="web-session-issue"),
    path("institution/sessions/<int:pk>/scores/", institution.scores, name="web-session-scores"),
    path("institution/sessions/<int:pk>/scores/import/", institution.scores_import, name="web-scores-import"),
    path("institution/sessions/<int:pk>/scores/template.xlsx", institution.scores_template, name="web-scores-template"),
    path("institution/batches/<int:pk>/", institution.batch_detail, name="web-batch-detail"),
    path("institution/batches/<int:pk>/progress.json", institution.batch_progress, name="web-batch-progress"),
    path("institution/batches/<int:pk>/archive/", institution.batch_archive, name="web-batch-archive"),
    path(
        "institution/batches/<int:pk>/mark-reported/", institution.batch_mark_reported, name="web-batch-mark-reported"
    ),
    path("institution/batches/<int:pk>/reissue/", institution.batch_reissue, name="web-batch-reissue"),
    path("institution/filings/", filings.filing_list, name="web-filing-list"),
    path("institution/filings/new/", filings.filing_new, name="web-filing-new"),
    path("institution/filings/<int:pk>/", filings.filing_detail, name="web-filing-detail"),
    path("institution/filings/<int:pk>/withdraw/", filings.filing_withdraw, name="web-filing-withdraw"),
    path("institution/desk/", desk.desk, name="web-desk"),
    *[
        path(
            f"institution/applications/<int:pk>/{decision}/",
            desk.direct_decide,
            {"decision": decision},
            name=f"web-direct-{decision}",
        )
        for decision in ("approve", "reject")
    ],
    path("institution/sessions/<int:pk>/corrections/new/", desk.correction_new, name="web-correction-new"),
    path("institution/certificates/find/", desk.certificate_find, name="web-certificate-find"),
    path("institution/certificates/<int:pk>/revoke/", desk.certificate_revoke_confirm, name="web-certificate-revoke"),
    path("school/", school.cohort, name="school-cohort"),
    path("school/export/", school.cohort_export_view, name="school-cohort-export"),
    path("admin/", admin.site.urls),
    # The language switch needs no CSRF token: the worst a forged request can do is change the
    # language a page is shown in, and a token in every page's chrome would make each page per-client
    # (the QR link's page is rendered once and filled in, registry/skeleton.py). `next` is checked
    # against the host as before, and without one the switch returns to the Referer.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Both pages load their scripts as files ('self'); Redoc writes its styles into <style>
    # elements at run time and searches in a blob: worker, so its page allows those two.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
]
