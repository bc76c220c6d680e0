"""School screens: the graduating cohort, its applications and certificates, and the number
of certificates per graduating student (the figure a school's support depends on)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext as _

from registry.errors import Forbidden
from registry.models import Institution, Person, Role
from registry.selectors import user_institution_ids

from ..models import Certificate, Session


@login_required
def cohort(request):
    schools = Institution.objects.filter(
        kind=Institution.Kind.SCHOOL, id__in=user_institution_ids(request.user, (Role.SCHOOL_ADMIN,))
    )
    if not schools:
        raise Forbidden(_("只有院校管理员可以查看本页。"))
    sessions = Session.objects.filter(institution__in=schools).select_related("occupation").order_by("-starts_on")
    students = (
        Person.objects.filter(applications__session__institution__in=schools)
        .distinct()
        .annotate(
            certificate_count=Count(
                "certificates",
                filter=Q(certificates__institution__in=schools, certificates__revoked_at__isnull=True),
                distinct=True,
            )
        )
        .prefetch_related("applications__session__occupation", "applications__result", "certificates__occupation")
        .order_by("name")
    )
    students = list(students)
    for student in students:
        student.school_applications = [
            a for a in student.applications.all() if a.session.institution_id in {s.id for s in schools}
        ]
        student.school_certificates = [
            c for c in student.certificates.all() if c.institution_id in {s.id for s in schools}
        ]
    certificates = Certificate.objects.filter(institution__in=schools, revoked_at__isnull=True).count()
    context = {
        "schools": schools,
        "sessions": sessions,
        "planned": [s for s in sessions if s.state == Session.State.PLANNED],
        "students": students,
        "certificates": certificates,
        "per_student": round(certificates / len(students), 2) if students else 0,
    }
    return render(request, "certification/cohort.html", context)
