"""Admin pages: read-mostly views of the process. State changes go through the services
(the API and the screens), so that every rule and audit entry applies."""

from django.contrib import admin
from django.db.models import Sum

from registry.admin import ReadOnlyAdmin

from .models import (
    ActivationCode,
    Application,
    BatchChunk,
    BatchFailure,
    Certificate,
    Finding,
    IssuanceBatch,
    Objection,
    Reissue,
    Result,
    ResultCorrection,
    Session,
    SessionStaff,
    SigningKey,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StaffInline(ReadOnlyInline):
    model = SessionStaff
    fields = ["assessor", "role", "assigned_by", "assigned_at"]
    readonly_fields = fields


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = [
        "supervisor",
        "visit_date",
        "severity",
        "deadline",
        "text",
        "opened_at",
        "cleared_at",
        "cleared_by",
        "clearance",
    ]
    readonly_fields = fields


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ["id", "institution", "occupation", "level", "starts_on", "state", "publicity_ends_on"]
    list_filter = ["state", "evaluation_type", "level"]
    search_fields = ["institution__name", "occupation__name", "occupation__code", "name"]
    list_select_related = ["institution", "occupation"]
    date_hierarchy = "starts_on"
    inlines = [StaffInline, FindingInline]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "person", "session", "pathway", "state", "condition"]
    list_filter = ["pathway", "state"]
    search_fields = ["person__name", "session__institution__name"]
    list_select_related = ["person", "session__institution", "session__occupation", "condition"]


class CorrectionInline(ReadOnlyInline):
    model = ResultCorrection
    fields = ["field", "old_value", "new_value", "reason", "corrected_by", "corrected_at", "state", "decided_by"]
    readonly_fields = fields


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ["id", "application", "theory", "practical", "review", "special_passed", "outcome"]
    list_filter = ["outcome"]
    search_fields = ["application__person__name"]
    list_select_related = [
        "application__person",
        "application__session__institution",
        "application__session__occupation",
    ]
    inlines = [CorrectionInline]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["id", "session", "supervisor", "opened_at", "cleared_at"]
    list_filter = ["cleared_at"]
    list_select_related = ["session__institution", "session__occupation", "supervisor__person"]


class ChunkInline(ReadOnlyInline):
    model = BatchChunk
    fields = ["index", "state", "issued", "failed", "attempts"]
    readonly_fields = fields


class FailureInline(ReadOnlyInline):
    model = BatchFailure
    fields = ["result", "reason"]
    readonly_fields = fields


@admin.register(IssuanceBatch)
class BatchAdmin(ReadOnlyAdmin):
    """Progress while it runs: issued / total / failed, with the reasons below."""

    list_display = [
        "id",
        "institution",
        "issue_date",
        "state",
        "total",
        "issued",
        "failed",
        "created_at",
        "finished_at",
    ]
    list_filter = ["state"]
    list_select_related = ["institution"]
    inlines = [ChunkInline, FailureInline]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(issued_sum=Sum("chunks__issued"), failed_sum=Sum("chunks__failed"))
        )

    @admin.display(description="已发证书")
    def issued(self, obj):
        return obj.issued_sum or 0

    @admin.display(description="失败")
    def failed(self, obj):
        return obj.failed_sum or 0


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["number", "person", "occupation", "level", "institution", "issued_on", "revoked_at", "reported_at"]
    list_filter = ["evaluation_type", "level", "issued_on"]
    search_fields = ["number", "person__name"]
    list_select_related = ["person", "occupation", "institution"]
    exclude = ["credential", "proof_value", "verification_code"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    """Objections to publicised results; answered and resolved on the site (the services)."""

    list_display = ["result", "state", "filed_at", "answered_at", "resolved_at"]
    list_filter = ["state"]
    list_select_related = ["result__application__person"]
    exclude = ["contact"]  # the objector's contact is for the institution's answer only


@admin.register(Reissue)
class ReissueAdmin(ReadOnlyAdmin):
    list_display = ["certificate", "reissued_on", "reissued_by", "reason"]
    list_select_related = ["certificate", "reissued_by"]
    search_fields = ["certificate__number"]


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    """Every key the registry has signed with (public parts only); rotation is SIGNING_KEY."""

    list_display = ["method_id", "state", "created_at", "retired_at"]


@admin.register(ActivationCode)
class ActivationCodeAdmin(ReadOnlyAdmin):
    """Who was handed a code, by whom, and whether it was used; the code itself is never kept."""

    list_display = ["person", "issued_by", "issued_at", "expires_at", "used_at", "voided_at"]
    list_select_related = ["person", "issued_by"]
    exclude = ["code_hash"]
