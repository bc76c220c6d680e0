from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import identity, services
from .models import (
    Appointment,
    CalendarDay,
    CalendarYear,
    Competition,
    CompetitionAward,
    Education,
    EligibilityCondition,
    ExamRequirement,
    Filing,
    FilingTransition,
    Institution,
    Membership,
    Occupation,
    Person,
    PriorCertificate,
    PromotionRule,
    Scope,
    SensitiveRead,
    Specialty,
    StaffingRule,
    Standard,
    TrainingRecord,
    User,
    WorkExperience,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class RegistryUserAdmin(UserAdmin):
    inlines = [MembershipInline]


class SpecialtyInline(admin.TabularInline):
    model = Specialty
    extra = 0


class StandardInline(admin.TabularInline):
    model = Standard
    extra = 0
    show_change_link = True


@admin.register(Occupation)
class OccupationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "code_2015", "in_qualification_catalogue", "urgent_from", "urgent_until"]
    list_filter = ["in_qualification_catalogue"]
    search_fields = ["code", "code_2015", "name"]
    inlines = [SpecialtyInline, StandardInline]


class ConditionInline(admin.TabularInline):
    model = EligibilityCondition
    extra = 0


class ExamRequirementInline(admin.TabularInline):
    model = ExamRequirement
    extra = 0


class StaffingRuleInline(admin.TabularInline):
    model = StaffingRule
    extra = 0


@admin.register(Standard)
class StandardAdmin(admin.ModelAdmin):
    list_display = ["occupation", "version", "levels", "is_current"]
    list_filter = ["is_current"]
    search_fields = ["occupation__name", "occupation__code"]
    list_select_related = ["occupation"]
    inlines = [ConditionInline, ExamRequirementInline, StaffingRuleInline]
    filter_horizontal = ["related_occupations"]


class FilingInline(admin.TabularInline):
    model = Filing
    extra = 0
    fields = ["state", "valid_from", "valid_until"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "district", "site_code"]
    list_filter = ["kind", "district"]
    search_fields = ["name", "credit_code", "site_code"]
    inlines = [FilingInline, MembershipInline]


class ScopeInline(admin.TabularInline):
    """A filing's scope is what the regulator decided on: editable while the filing is only
    applied for, read-only from its acceptance on (a change would bypass the transition)."""

    model = Scope
    extra = 0
    raw_id_fields = ["occupation", "specialty"]

    def _editable(self, obj) -> bool:
        return obj is None or obj.state == Filing.State.APPLIED

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class TransitionInline(admin.TabularInline):
    model = FilingTransition
    extra = 0
    fields = ["at", "from_state", "to_state", "actor", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class FilingForm(forms.ModelForm):
    """State changes go through the service: pick the new state and give the reason."""

    new_state = forms.ChoiceField(label=_("变更状态为"), required=False, choices=[("", "—")] + Filing.State.choices)
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = Filing
        fields = ["institution", "valid_from", "valid_until"]


@admin.register(Filing)
class FilingAdmin(admin.ModelAdmin):
    form = FilingForm
    list_display = ["institution", "state", "valid_from", "valid_until"]
    list_filter = ["state"]
    search_fields = ["institution__name"]
    list_select_related = ["institution"]
    readonly_fields = ["state"]
    inlines = [ScopeInline, TransitionInline]

    def has_delete_permission(self, request, obj=None):
        # A filing is the record of what an institution was allowed to do: it is withdrawn or
        # revoked through a transition, never deleted.
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["state", "institution", "valid_from", "valid_until"] if obj else ["state"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.save()
            FilingTransition.objects.create(
                filing=obj, from_state="", to_state=obj.state, actor=request.user, reason=str(_("管理后台登记"))
            )
            return
        new_state = form.cleaned_data.get("new_state")
        if new_state and new_state != obj.state:
            try:
                services.filing_transition(
                    filing=obj, to_state=new_state, actor=request.user, reason=form.cleaned_data.get("reason", "")
                )
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, "；".join(getattr(error, "messages", [str(error)])))


class PersonChangeForm(forms.ModelForm):
    """Names follow identity.clean_person_name here as everywhere else."""

    def clean_name(self):
        try:
            return identity.clean_person_name(self.cleaned_data.get("name"))
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


class PersonAddForm(PersonChangeForm):
    document_number = forms.CharField(label=_("证件号码"), max_length=40)

    class Meta:
        model = Person
        fields = ["document_type", "name"]

    def clean(self):
        data = super().clean()
        if data.get("document_type") and data.get("document_number"):
            try:
                data["document_number"] = identity.validate_document_number(
                    data["document_type"], data["document_number"]
                )
            except ValidationError as error:
                self.add_error("document_number", error)
        return data


class EducationInline(admin.TabularInline):
    model = Education
    extra = 0
    raw_id_fields = ["related_occupation"]


class PriorCertificateInline(admin.TabularInline):
    model = PriorCertificate
    extra = 0
    raw_id_fields = ["occupation"]


class TrainingInline(admin.TabularInline):
    model = TrainingRecord
    extra = 0
    raw_id_fields = ["occupation"]


class RecordedByServiceInline(admin.TabularInline):
    """Awards and appointments are recorded through their services, which apply the promotion
    rule and the appointment prerequisites (certification.services): read-only here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AwardInline(RecordedByServiceInline):
    model = CompetitionAward
    fields = ["competition", "tier", "event", "award", "awarded_on"]


class AppointmentInline(RecordedByServiceInline):
    model = Appointment
    fields = ["level", "occupation", "employer", "term_from", "term_until", "published_on"]


class PromotionRuleInline(admin.TabularInline):
    model = PromotionRule
    extra = 1


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    """Competitions and their promotion rules are data: loaded by `load_competitions`, edited here."""

    list_display = ["name", "tier", "year", "organiser"]
    list_filter = ["tier", "year"]
    search_fields = ["name"]
    inlines = [PromotionRuleInline]


class WorkExperienceInline(admin.TabularInline):
    model = WorkExperience
    extra = 0
    raw_id_fields = ["occupation"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Shows the masked number only, and no birth date: beside the masked number it gives the
    digits the mask hides. There is no search by ID number: the admin's search is a GET and
    would put the full number in the URL and the access log."""

    form = PersonChangeForm
    list_display = ["name", "document_type", "document_masked", "sex"]
    list_filter = ["document_type", "sex"]
    search_fields = ["name"]
    readonly_fields = ["document_masked", "sex"]
    fields = ["document_type", "document_masked", "name", "sex", "user"]
    inlines = [
        EducationInline,
        WorkExperienceInline,
        PriorCertificateInline,
        TrainingInline,
        AwardInline,
        AppointmentInline,
    ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = PersonAddForm
            kwargs["fields"] = ["document_type", "name", "document_number"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["document_type", "document_number", "name"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # The account is bound only by the holder's own activation (one-time code); the name is
        # printed on issued certificates, so it no longer changes here once there are any.
        fixed = ["document_type", *self.readonly_fields, "user"]
        if obj.certificates.exists():
            fixed.append("name")
        return fixed

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        person = services.person_register(
            document_type=form.cleaned_data["document_type"],
            document_number=form.cleaned_data["document_number"],
            name=form.cleaned_data["name"],
        )
        obj.pk = person.pk
        obj.__dict__.update({k: v for k, v in person.__dict__.items() if not k.startswith("_")})


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 10
    fields = ["date", "kind", "name"]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """The regulator enters each year's holiday arrangement (放假 and 调休上班 days) once the State
    Council publishes it; working days in a year not entered are refused, never guessed."""

    list_display = ["year", "source", "loaded_at"]
    inlines = [CalendarDayInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only a service writes: shown, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SensitiveRead)
class SensitiveReadAdmin(ReadOnlyAdmin):
    """The log of every display of a full ID number to someone other than its holder."""

    list_display = ["at", "user", "person", "purpose", "path"]
    list_filter = ["purpose"]
    list_select_related = ["user", "person"]
    search_fields = ["user__username", "person__name"]
