"""Public pages of results publicity (成绩公示): the sessions on display, one session's results
in their public form, and the objection (异议) form. No login; objections rate limited."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from registry.errors import DomainError

from ..selectors import results_in_publicity, sessions_in_publicity
from ..services import publicity
from ..throttle import objection_allowed
from .forms import errors_to_form


class ObjectionForm(forms.Form):
    result = forms.TypedChoiceField(label=_lazy("考生"), coerce=int, choices=())
    reason = forms.CharField(label=_lazy("异议理由"), widget=forms.Textarea, max_length=publicity.MAX_REASON)
    contact = forms.CharField(label=_lazy("联系方式（电话或邮箱）"), max_length=publicity.MAX_CONTACT)

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = [(row.result_id, f"{row.name} {row.document}") for row in rows]


def publicity_list(request):
    sessions = sessions_in_publicity(timezone.localdate())[:200]
    return render(request, "certification/publicity_list.html", {"sessions": sessions})


@require_http_methods(["GET", "POST"])
def publicity_detail(request, pk: int):
    today = timezone.localdate()
    session = sessions_in_publicity(today).filter(pk=pk).first()
    if session is None:
        raise Http404(_("该批次不在公示期内。"))
    rows = publicity.publicity_rows(session, today)
    form = ObjectionForm(request.POST or None, rows=rows)
    status = 200
    if request.method == "POST":
        if not objection_allowed(request):
            form.add_error(None, _("提交过于频繁，请一小时后再试。"))
            status = 429
        elif form.is_valid():
            result = results_in_publicity(today).filter(pk=form.cleaned_data["result"], application__session=session)
            try:
                objection = publicity.objection_file(
                    result=result.get() if result.exists() else None,
                    reason=form.cleaned_data["reason"],
                    contact=form.cleaned_data["contact"],
                    today=today,
                )
            except DomainError as error:
                errors_to_form(form, error)
                status = 400
            else:
                messages.success(
                    request,
                    _("异议已提交（编号 #%(id)s）。评价机构将答复，监管部门处理后通过您留下的联系方式告知。")
                    % {"id": objection.pk},
                )
                return redirect("publicity-detail", pk=pk)
        else:
            status = 400
    context = {"session": session, "rows": rows, "form": form, "today": today}
    return render(request, "certification/publicity_detail.html", context, status=status)
