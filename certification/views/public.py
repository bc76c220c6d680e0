"""Public pages: certificate verification by form and by QR link."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from registry.errors import DomainError

from ..services import certificates
from ..throttle import verification_check
from .forms import errors_to_form
from .worker import SecretInput


class VerifyForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100)
    document_number = forms.CharField(label=_("身份证号码"), max_length=40, widget=SecretInput)
    number = forms.CharField(label=_("证书编号"), max_length=40)


def home(request):
    """Who the site is for and how each starts; the role's own links come from the `nav` context."""
    return render(request, "home.html")


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request):
    """By name + ID number + certificate number, POSTed so the ID number never enters a URL.
    Every miss, whichever input was wrong, gets the same answer."""
    form = VerifyForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        refusal = verification_check(request, form.cleaned_data["document_number"], form.cleaned_data["number"])
        if refusal:
            context["refusal"] = refusal
            return render(request, "certification/verify.html", context, status=429)
        try:
            row = certificates.certificate_by_query(**form.cleaned_data)
        except DomainError as error:  # malformed input: say which field (this reveals nothing stored)
            errors_to_form(form, error)
            return render(request, "certification/verify.html", context, status=400)
        context["summary"] = certificates.verification_summary(row)
    return render(request, "certification/verify.html", context)


@never_cache
def verify_code(request, code: str):
    """The QR link: an unguessable code (limited per client only)."""
    refusal = verification_check(request)
    if refusal:
        return render(request, "certification/verify.html", {"refusal": refusal, "by_code": True}, status=429)
    try:
        row = certificates.certificate_by_code(code)
    except DomainError:
        return render(request, "certification/verify.html", {"bad_code": True, "by_code": True}, status=400)
    status = 200 if row else 404
    context = {"summary": certificates.verification_summary(row), "by_code": True}
    return render(request, "certification/verify.html", context, status=status)
