"""Public pages: certificate verification by form and by QR link."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from registry.errors import DomainError
from registry.skeleton import Fill, plain, render_filled

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
        context["summary"] = plain(shown(certificates.verification_summary(row)))
    return render(request, "certification/verify.html", context)


@never_cache
def verify_code(request, code: str):
    """The QR link: an unguessable code (limited per client only). The page is filled in rather
    than rendered (registry/skeleton.py): it is the registry's most requested page."""
    refusal = verification_check(request)
    if refusal:
        context = {"refusal": {"message": Fill(str(refusal.message))}, "by_code": True}
        return render_filled(request, "certification/verify.html", context, status=429)
    try:
        row = certificates.certificate_by_code(code)
    except DomainError:
        return render_filled(request, "certification/verify.html", {"bad_code": True, "by_code": True}, status=400)
    context = {"summary": shown(certificates.verification_summary(row)), "by_code": True}
    return render_filled(request, "certification/verify.html", context, status=200 if row else 404)


def shown(summary: dict) -> dict:
    """The verification summary as the page shows it: the flags that choose what it says, and
    the text it shows (dates as YYYY-MM-DD, a level or "—")."""
    if not summary["found"]:
        return {"found": False}
    text = ("number", "holder_name", "holder_document", "occupation", "institution", "revocation_reason")
    return {
        "found": True,
        "status": summary["status"],
        "signature_valid": summary["signature_valid"],
        **{field: Fill(summary[field]) for field in text},
        "level": Fill(summary["level"] or "—"),
        "issued_on": Fill(summary["issued_on"].isoformat()),
        "revoked_on": Fill(summary["revoked_on"].isoformat() if summary["revoked_on"] else ""),
    }
