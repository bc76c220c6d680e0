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

from ..models import Session
from ..selectors import results_in_publicity, sessions_in_publicity
from ..services import publicity
from ..throttle import objection_allowed
from .forms import errors_to_form
from .paging import page_of

# A 20,000-candidate session is shown a page at a time (as the roster is).
PUBLICITY_PAGE_SIZE = 50


class ResultChoiceField(forms.TypedChoiceField):
    """A candidate of the session on display. The list offers the page's rows, but any result of
    the session in publicity is valid (one index probe, not a choice list of the whole session);
    anything else is refused with the choice field's own message, as before."""

    def __init__(self, *args, allowed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.allowed = allowed

    def valid_value(self, value) -> bool:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return False
        return self.allowed is not None and self.allowed.filter(pk=pk).exists()


class ObjectionForm(forms.Form):
    result = ResultChoiceField(label=_lazy("考生"), coerce=int, choices=())
    reason = forms.CharField(label=_lazy("异议理由"), widget=forms.Textarea, max_length=publicity.MAX_REASON)
    contact = forms.CharField(label=_lazy("联系方式（电话或邮箱）"), max_length=publicity.MAX_CONTACT)

    def __init__(self, *args, rows=(), allowed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["result"].choices = [(row.result_id, f"{row.name} {row.document}") for row in rows]
        self.fields["result"].allowed = allowed


def publicity_list(request):
    sessions = sessions_in_publicity(timezone.localdate())[:200]
    return render(request, "certification/publicity_list.html", {"sessions": sessions})


@require_http_methods(["GET", "POST"])
def publicity_detail(request, pk: int):
    today = timezone.localdate()
    session = Session.objects.select_related("institution", "occupation", "specialty").filter(pk=pk).first()
    application_ids, count = publicity.publicity_roster(session, today) if session else (None, 0)
    if not count:
        raise Http404(_("该批次不在公示期内。"))
    page = page_of(request, application_ids, per_page=PUBLICITY_PAGE_SIZE, count=count, anchor="publicity-results")
    rows = publicity.public_rows(session, page.object_list, today)
    on_display = results_in_publicity(today).filter(application__session=session)
    form = ObjectionForm(request.POST or None, rows=rows, allowed=on_display)
    status = 200
    if request.method == "POST":
        if not objection_allowed(request):
            form.add_error(None, _("提交过于频繁，请一小时后再试。"))
            status = 429
        elif form.is_valid():
            try:
                objection = publicity.objection_file(
                    result=on_display.filter(pk=form.cleaned_data["result"]).first(),
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
                return redirect(request.get_full_path())  # the page the candidate was chosen on
        else:
            status = 400
    context = {"session": session, "rows": rows, "page": page, "form": form, "today": today}
    return render(request, "certification/publicity_detail.html", context, status=status)
