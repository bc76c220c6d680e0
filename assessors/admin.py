from django.contrib import admin

from .models import Assessor, Relation


class RelationInline(admin.TabularInline):
    model = Relation
    extra = 0
    raw_id_fields = ["person"]


@admin.register(Assessor)
class AssessorAdmin(admin.ModelAdmin):
    list_display = ["person", "kind", "institution", "card_number", "valid_from", "valid_until", "active"]
    list_filter = ["kind", "active", "institution"]
    search_fields = ["person__name", "card_number", "institution__name"]
    raw_id_fields = ["user", "person"]
    list_select_related = ["person", "institution"]
    inlines = [RelationInline]
