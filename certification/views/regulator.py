"""The regulator's decisions on a session page: resolving objections to publicised results
and approving or rejecting correction requests (fail → pass needs a second person)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.errors import DomainError, Forbidden

from .. import selectors, services
from ..services import publicity


def _done(request, session_id, call, success: str):
    try:
        call()
    except Forbidden as error:
        messages.error(request, str(error))
    except DomainError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect("web-session-detail", pk=session_id)


@login_required
@require_POST
def objection_resolve(request, pk):
    objection = get_object_or_404(selectors.objections_for(request.user), pk=pk)
    upheld = request.POST.get("decision") == "upheld"
    field = request.POST.get("field") or None
    value = request.POST.get("value", "").strip()
    if field == "special_passed":
        value = {"pass": True, "fail": False}.get(value)
    return _done(
        request,
        objection.result.application.session_id,
        lambda: publicity.objection_resolve(
            actor=request.user,
            objection=objection,
            upheld=upheld,
            resolution=request.POST.get("resolution", ""),
            field=field if upheld else None,
            value=(value or None) if upheld else None,
        ),
        _("异议已处理。"),
    )


@login_required
@require_POST
def correction_decide(request, pk, decision: str):
    correction = get_object_or_404(selectors.corrections_for(request.user), pk=pk)
    note = request.POST.get("note", "")
    if decision == "approve":
        call, success = (
            lambda: services.correction_approve(actor=request.user, correction=correction, note=note),
            _("更正已批准生效，该考生结果将重新公示。"),
        )
    else:
        call, success = (
            lambda: services.correction_reject(actor=request.user, correction=correction, note=note),
            _("更正申请已驳回。"),
        )
    return _done(request, correction.result.application.session_id, call, success)
