"""The regulator's audit log page (/regulator/audit/): who changed what and when, old → new.
The rows come from certification.audit; only the regulator may read them (403 otherwise)."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from registry.models import Institution

from .. import audit
from .paging import page_of
from .regulator import regulator_required

AUDIT_PAGE_SIZE = 25


class AuditFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("对象类型"), required=False)
    object_id = forms.IntegerField(label=_("对象编号"), required=False, min_value=1)
    user = forms.CharField(label=_("操作人（用户名）"), required=False, max_length=150)
    institution = forms.ModelChoiceField(label=_("机构"), required=False, queryset=Institution.objects.order_by("name"))
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部"))] + [
            (key, model._meta.verbose_name) for key, model in audit.AUDITED.items()
        ]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("截止日期早于起始日期。"))
        return data

    def filters(self) -> audit.AuditFilters:
        data = self.cleaned_data
        return audit.AuditFilters(
            kind=data.get("kind") or "",
            object_id=data.get("object_id"),
            username=(data.get("user") or "").strip(),
            institution_id=data["institution"].pk if data.get("institution") else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


@regulator_required
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    filters = form.filters() if request.GET and valid else audit.AuditFilters()
    status = 200 if valid else 400
    page = page_of(request, audit.audit_rows(filters) if valid else [], per_page=AUDIT_PAGE_SIZE)
    return render(
        request,
        "certification/audit_log.html",
        {"form": form, "page": page, "entries": audit.audit_entries(list(page))},
        status=status,
    )
