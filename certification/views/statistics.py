"""The regulator's skilled-talent database page (/regulator/statistics/): every figure as a chart
and a table, its CSV/XLSX export, how fresh the figures are, a refresh, and the urgent list
(急需紧缺职业). The figures are read from the summary tables (services.statistics)."""

import datetime
import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.errors import DomainError
from registry.models import Occupation

from .. import tasks
from ..services import statistics
from .regulator import regulator_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(request, *, errors=(), status=200, form=None):
    run = statistics.statistics_latest()
    figures = statistics.figures_read(actor=request.user)
    for figure in figures:
        figure.chart_json = json.dumps(figure.chart(), ensure_ascii=False)
    urgent = Occupation.objects.filter(urgent_from__isnull=False).order_by("code")
    today = timezone.localdate()
    for occupation in urgent:
        occupation.urgent_now = occupation.is_urgent_on(today)
    age_minutes = int((timezone.now() - run.computed_at).total_seconds() // 60) if run else 0
    return render(
        request,
        "certification/statistics.html",
        {
            "run": run,
            "age_minutes": age_minutes,
            "age_hours": age_minutes // 60,
            "figures": figures,
            "chart_limit": statistics.CHART_LIMIT,
            "urgent": urgent,
            "errors": errors,
            "form": form or {},
        },
        status=status,
    )


@regulator_required
def statistics_page(request):
    return _page(request)


@regulator_required
def statistics_export(request, fmt: str):
    names = tuple(request.GET.getlist("figure")) or None
    unknown = [name for name in names or () if name not in statistics.FIGURES_BY_NAME]
    if unknown:
        return HttpResponse(_("没有名为 %(name)s 的统计图表。") % {"name": unknown[0]}, status=400)
    figures = statistics.figures_read(actor=request.user, names=names)
    run = statistics.statistics_latest()
    stamp = timezone.localtime(run.computed_at).strftime("%Y%m%d-%H%M") if run else "none"
    base = f"statistics-{names[0] if names and len(names) == 1 else 'all'}-{stamp}"
    if fmt == "csv":
        body = statistics.figures_csv(figures=figures, run=run)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(statistics.figures_xlsx(figures=figures, run=run), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{base}.{fmt}"'
    return response


@regulator_required
@require_POST
def statistics_refresh(request):
    # With Redis, a worker refreshes (a minute at city scale); without, it runs here and now.
    tasks.statistics_refresh.delay("manual")
    messages.success(request, _("已开始刷新统计数据；完成后页面显示新的计算时间。"))
    return redirect("regulator-statistics")


def _date(value: str, label: str) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        message = _("%(field)s“%(value)s”不是有效日期（格式 YYYY-MM-DD）。") % {"field": label, "value": value}
        raise DomainError(message) from None


@regulator_required
@require_POST
def urgent_set(request):
    code = request.POST.get("code", "").strip()
    form = {name: request.POST.get(name, "") for name in ("urgent_from", "urgent_until")} | {"code": code}
    try:
        occupation = Occupation.objects.filter(code=code).first()
        if occupation is None:
            raise DomainError(_("职业编码“%(code)s”不在职业目录中。") % {"code": code})
        statistics.occupation_urgent_set(
            actor=request.user,
            occupation=occupation,
            urgent_from=_date(form["urgent_from"], _("急需紧缺起始")),
            urgent_until=_date(form["urgent_until"], _("急需紧缺截止")),
        )
    except DomainError as error:
        return _page(request, errors=error.messages, status=400, form=form)
    if occupation.urgent_from:
        messages.success(request, _("%(name)s 已列入急需紧缺职业；下次刷新后计入统计。") % {"name": occupation.name})
    else:
        messages.success(request, _("%(name)s 已移出急需紧缺职业；下次刷新后计入统计。") % {"name": occupation.name})
    return redirect("regulator-statistics")
