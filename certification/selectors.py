"""Reads of the certification process, scoped to the caller so no view can forget the filter.

Who sees what (DOMAIN.md, "Who uses it"):
- the regulator: everything;
- institution and school admins: their institutions' sessions and everything in them;
- assessors and supervisors: the sessions they are assigned to;
- a worker: their own applications and results.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum

from assessors.models import Assessor
from registry.models import User
from registry.selectors import ADMIN_ROLES, user_institution_ids, user_is_regulator

from .models import Application, Certificate, Finding, IssuanceBatch, Result, Session, SessionStaff


def sessions_for(user: User) -> QuerySet[Session]:
    if user_is_regulator(user):
        qs = Session.objects.all()
    else:
        admin_of = user_institution_ids(user, ADMIN_ROLES)
        staffed = SessionStaff.objects.filter(session=OuterRef("pk"), assessor__user=user)
        qs = Session.objects.filter(Q(institution_id__in=admin_of) | Q(Exists(staffed)))
    return qs.select_related("institution", "occupation", "specialty")


def assessors_for(user: User) -> QuerySet[Assessor]:
    """Assessors and supervisors the user may name (to staff a session): the regulator's are all,
    an institution member's are their institutions'. Another institution's assessor is then
    "not found", exactly like an id that does not exist (no existence oracle)."""
    if user_is_regulator(user):
        return Assessor.objects.select_related("person")
    return Assessor.objects.filter(institution_id__in=user_institution_ids(user)).select_related("person")


def _sessions_ids_subquery(user: User):
    return sessions_for(user).values("pk")


def applications_for(user: User) -> QuerySet[Application]:
    if not user.is_authenticated:
        return Application.objects.none()
    qs = Application.objects.select_related(
        "session__institution", "session__occupation", "person", "condition", "result"
    )
    if user_is_regulator(user):
        return qs
    return qs.filter(Q(session__in=_sessions_ids_subquery(user)) | Q(person__user=user))


def results_for(user: User) -> QuerySet[Result]:
    if not user.is_authenticated:
        return Result.objects.none()
    qs = Result.objects.select_related(
        "application__session__institution", "application__session__occupation", "application__person"
    )
    if user_is_regulator(user):
        return qs
    return qs.filter(Q(application__session__in=_sessions_ids_subquery(user)) | Q(application__person__user=user))


def findings_for(user: User) -> QuerySet[Finding]:
    qs = Finding.objects.select_related("session__institution", "session__occupation", "supervisor__person")
    if user_is_regulator(user):
        return qs
    return qs.filter(session__in=_sessions_ids_subquery(user))


def staff_role(user: User, session: Session) -> set[str]:
    """The roles `user` holds on `session` (assessor, reviewer, supervisor, …)."""
    return set(SessionStaff.objects.filter(session=session, assessor__user=user).values_list("role", flat=True))


def is_admin_of(user: User, institution_id: int) -> bool:
    return institution_id in user_institution_ids(user, ADMIN_ROLES)


def session_is_held(session: Session) -> bool:
    return session.findings.filter(cleared_at__isnull=True).exists()


def batches_for(user: User) -> QuerySet[IssuanceBatch]:
    qs = IssuanceBatch.objects.select_related("institution", "created_by")
    if user_is_regulator(user):
        return qs
    return qs.filter(institution_id__in=user_institution_ids(user, ADMIN_ROLES))


def certificates_for(user: User) -> QuerySet[Certificate]:
    """The regulator: all; an institution's admins: what it issued; a worker: their own."""
    qs = Certificate.objects.select_related("person", "institution", "occupation")
    if not user.is_authenticated:
        return qs.none()
    if user_is_regulator(user):
        return qs
    return qs.filter(Q(institution_id__in=user_institution_ids(user, ADMIN_ROLES)) | Q(person__user=user))


def batch_progress(batch: IssuanceBatch) -> dict:
    totals = batch.chunks.aggregate(issued=Sum("issued"), failed=Sum("failed"))
    return {"issued": totals["issued"] or 0, "failed": totals["failed"] or 0, "total": batch.total}


def person_certificates(person) -> QuerySet[Certificate]:
    """The lifelong record's certificates: every certificate issued here to the person."""
    return Certificate.objects.filter(person=person).select_related("institution", "occupation").order_by("-issued_on")
