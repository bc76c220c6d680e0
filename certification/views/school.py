"""School screens: the graduating cohort, its sessions (planned like any institution's, through
the planning pages), each student's applications and certificates, and the figure a school's
support depends on: certificates per graduating-year student, by graduating year
(certification/cohorts.py says what counts)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from registry.errors import Forbidden
from registry.models import Role
from registry.selectors import user_institution_ids

from .. import cohorts
from ..models import Application, Session
from ..services.cohorts import cohort_export
from .paging import page_of

STUDENTS_PAGE_SIZE = 50
UNKNOWN = "unknown"


def _schools(request):
    schools = cohorts.schools_of(user_institution_ids(request.user, (Role.SCHOOL_ADMIN,)))
    if not schools:
        raise Forbidden(_("只有院校管理员可以查看本页。"))
    return schools


def _year_filter(request, students):
    """?year=2026 keeps one graduating year, ?year=unknown the students without one."""
    year = request.GET.get("year") or request.POST.get("year") or ""
    if year == UNKNOWN:
        return year, [s for s in students if s.year is None]
    if year.isdigit():
        return year, [s for s in students if s.year == int(year)]
    return "", students


@login_required
def cohort(request):
    schools = _schools(request)
    students = cohorts.cohort_students(schools=schools)
    figures = cohorts.cohort_figures(students)
    year, shown = _year_filter(request, students)
    page = page_of(request, shown, per_page=STUDENTS_PAGE_SIZE, anchor="students")
    ids = [s.person_id for s in page]
    applications = {}
    for a in (
        Application.objects.filter(person_id__in=ids, session__institution__in=schools)
        .select_related("session__occupation", "result")
        .order_by("session__starts_on", "pk")
    ):
        applications.setdefault(a.person_id, []).append(a)
    for student in page:
        student.applications = applications.get(student.person_id, [])
    sessions = Session.objects.filter(institution__in=schools).select_related("occupation").order_by("-starts_on")
    certificates = sum(f.certificates for f in figures)
    context = {
        "schools": schools,
        "planned": [s for s in sessions if s.state == Session.State.PLANNED],
        "session_count": len(sessions),
        "figures": figures,
        "years": [f.year for f in figures if f.year],
        "year": year,
        "page": page,
        "student_count": len(students),
        "certificates": certificates,
        "per_student": cohorts.per_student(certificates, len(students)),
    }
    return render(request, "certification/cohort.html", context)


@login_required
@require_POST
def cohort_export_view(request):
    """The list behind the figure as XLSX or CSV (masked ID numbers; logged per student)."""
    schools = _schools(request)
    fmt = "csv" if request.POST.get("format") == "csv" else "xlsx"
    _year, students = _year_filter(request, cohorts.cohort_students(schools=schools))
    data = cohort_export(actor=request.user, students=students, fmt=fmt, path=request.path)
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="cohort.{fmt}"'
    return response
