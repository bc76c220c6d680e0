"""The worker's pages: account activation and the lifelong record (我的技能档案)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache

from registry.errors import DomainError

from ..pdf import verification_url
from ..selectors import person_certificates
from ..services.accounts import NO_MATCH, activation_failed_for_person, worker_activate
from ..throttle import activation_check, activation_failed, verification_check
from .forms import errors_to_form


class SecretInput(forms.PasswordInput):
    """A text field that is never re-rendered with what was typed (an ID number or a code must not
    come back in the page after an error), shown as plain text while typing."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})}, render_value=False)


class ActivationForm(forms.Form):
    name = forms.CharField(label=_lazy("姓名"), max_length=100)
    document_number = forms.CharField(label=_lazy("身份证号码"), max_length=40, widget=SecretInput)
    activation_code = forms.CharField(label=_lazy("激活码（随证书通知发放）"), max_length=40, widget=SecretInput)
    username = forms.CharField(label=_lazy("用户名（登录用，勿用身份证号）"), max_length=150)
    password = forms.CharField(label=_lazy("密码"), widget=forms.PasswordInput)


@never_cache
def activate(request):
    """Limited per client and per ID number (as verification), and failures per person and
    client; every refusal states the real wait."""
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        id_number = form.cleaned_data["document_number"]
        refusal = verification_check(request, id_number) or activation_check(request, id_number)
        if refusal:
            form.add_error(None, refusal.message)
            return render(request, "certification/activate.html", {"form": form}, status=429)
        try:
            user = worker_activate(**form.cleaned_data)
        except DomainError as error:
            if NO_MATCH in error.messages:
                activation_failed(request, id_number)
                activation_failed_for_person(document_number=id_number)
            errors_to_form(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("账号已开通。"))
            return redirect("my-record")
    return render(request, "certification/activate.html", {"form": form})


@login_required
def my_record(request):
    person = getattr(request.user, "person", None)
    if person is None:
        return render(request, "certification/my_record.html", {"person": None})
    certificates = [{"certificate": c, "share_url": verification_url(c)} for c in person_certificates(person)]
    context = {
        "person": person,
        "certificates": certificates,
        "trainings": person.trainings.select_related("occupation"),
        "awards": person.awards.all(),
        # Only appointments the regulator has published are on the record (docs/domain.md).
        "appointments": person.appointments.filter(published_on__isnull=False).select_related("occupation"),
        "applications": person.applications.select_related(
            "session__occupation", "session__institution", "result__certificate"
        )
        .exclude(state="withdrawn")
        .order_by("-created_at"),
    }
    return render(request, "certification/my_record.html", context)
