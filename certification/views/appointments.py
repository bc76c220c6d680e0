"""Appointments of 特级技师 / 首席技师: an enterprise's admin records them (/institution/appointments/),
the regulator publishes them (/regulator/appointments/ and the work queue). The rules and their
messages are in certification.services.appointments."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from registry import identity
from registry.errors import DomainError
from registry.levels import APPOINTMENT_PREREQUISITES, Level
from registry.models import Appointment, Institution, Occupation, Person
from registry.selectors import ADMIN_ROLES, person_by_document, user_institution_ids
from registry.services import person_identify

from .. import services
from .forms import errors_to_form
from .regulator import _back, regulator_required


def _employer_institutions(user):
    return Institution.objects.filter(pk__in=user_institution_ids(user, ADMIN_ROLES)).order_by("name")


LEVEL_CHOICES = [(int(level), level.label) for level in APPOINTMENT_PREREQUISITES]


class AppointmentForm(forms.Form):
    institution = forms.ModelChoiceField(label=gettext_lazy("聘任企业"), queryset=Institution.objects.none())
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100)
    document_type = forms.ChoiceField(
        label=gettext_lazy("证件类型"), choices=identity.DocumentType.choices, initial="resident_id"
    )
    document_number = forms.CharField(label=gettext_lazy("证件号码"), max_length=40)
    occupation = forms.ModelChoiceField(label=gettext_lazy("职业"), queryset=Occupation.objects.all())
    level = forms.TypedChoiceField(
        label=gettext_lazy("聘任等级"),
        coerce=int,
        choices=LEVEL_CHOICES,
    )
    term_from = forms.DateField(label=gettext_lazy("聘期起"), widget=forms.DateInput(attrs={"type": "date"}))
    term_until = forms.DateField(label=gettext_lazy("聘期止"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = _employer_institutions(user)


def _person(data) -> Person | None:
    """The person named by the form, or None — an unknown number and a different name read the
    same to the enterprise as a missing prerequisite (no existence oracle)."""
    name, number = person_identify(
        document_type=data["document_type"], document_number=data["document_number"], name=data["name"]
    )
    person = person_by_document(data["document_type"], number)
    return person if person is not None and person.name == name else None


@login_required
def institution_appointments(request):
    institutions = _employer_institutions(request.user)
    if not institutions:
        raise PermissionDenied(_("只有用人单位管理员可以录入聘任。"))
    form = AppointmentForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = _person(data)
                if person is None:
                    raise DomainError(
                        {
                            "name": _("%(p)s 未取得本职业%(r)s，不能聘为%(l)s。")
                            % {
                                "p": data["name"],
                                "r": Level(APPOINTMENT_PREREQUISITES[Level(data["level"])]).label,
                                "l": Level(data["level"]).label,
                            }
                        }
                    )
                services.appointment_record(
                    actor=request.user,
                    institution=data["institution"],
                    person=person,
                    occupation=data["occupation"],
                    level=data["level"],
                    term_from=data["term_from"],
                    term_until=data["term_until"],
                )
            except DomainError as error:
                errors_to_form(form, error)
            else:
                messages.success(request, _("聘任已录入，待监管部门公布。"))
                return redirect("institution-appointments")
        status = 400
    rows = (
        Appointment.objects.filter(institution__in=institutions)
        .select_related("person", "occupation", "institution")
        .order_by("-id")[:100]
    )
    return render(
        request,
        "certification/appointments.html",
        {"form": form, "appointments": rows, "regulator": False},
        status=status,
    )


@regulator_required
def regulator_appointments(request):
    rows = (
        Appointment.objects.filter(institution__isnull=False)
        .select_related("person", "occupation", "institution")
        .order_by(F("published_on").asc(nulls_first=True), "-id")[:200]  # unpublished first
    )
    return render(request, "certification/appointments.html", {"appointments": rows, "regulator": True})


@regulator_required
@require_POST
def appointment_publish(request, pk):
    appointment = get_object_or_404(Appointment, pk=pk)
    return _back(
        request,
        lambda: services.appointment_publish(actor=request.user, appointment=appointment),
        _("聘任已公布。"),
    )
