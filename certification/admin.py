"""Admin pages: read-mostly views of the process. State changes go through the services
(the API and the screens), so that every rule and audit entry applies."""

from django.contrib import admin

from .models import Application, Finding, Result, ResultCorrection, Session, SessionStaff


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
    fields = ["supervisor", "text", "opened_at", "cleared_at", "cleared_by", "clearance"]
    readonly_fields = fields


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
    fields = ["field", "old_value", "new_value", "reason", "corrected_by", "corrected_at"]
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
