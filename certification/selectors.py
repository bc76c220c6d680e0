"""Reads of the certification process, scoped to the caller so no view can forget the filter.

Who sees what (docs/domain.md, "Who uses it"):
- the regulator: everything;
- institution and school admins: their institutions' sessions and everything in them;
- assessors and supervisors: the sessions they are assigned to;
- a worker: their own applications and results.
"""

from django.core.cache import cache
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum

from assessors.models import Assessor
from registry.models import Institution, Person, Role, User
from registry.selectors import ADMIN_ROLES, user_institution_ids, user_is_regulator

from .models import (
    Application,
    Certificate,
    Finding,
    IssuanceBatch,
    Objection,
    Result,
    ResultCorrection,
    Session,
    SessionStaff,
)


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


def _own_person_subquery(user: User):
    # `person_id IN (SELECT …)` rather than a join on the person: over a million rows the
    # join is evaluated for each one, the subquery once.
    return Person.objects.filter(user=user).values("pk")


def applications_for(user: User) -> QuerySet[Application]:
    if not user.is_authenticated:
        return Application.objects.none()
    qs = Application.objects.select_related(
        "session__institution", "session__occupation", "person", "condition", "result__certificate"
    )
    if user_is_regulator(user):
        return qs
    return qs.filter(Q(session__in=_sessions_ids_subquery(user)) | Q(person__in=_own_person_subquery(user)))


def results_for(user: User) -> QuerySet[Result]:
    if not user.is_authenticated:
        return Result.objects.none()
    qs = Result.objects.select_related(
        "application__session__institution", "application__session__occupation", "application__person"
    )
    if user_is_regulator(user):
        return qs
    return qs.filter(
        Q(application__session__in=_sessions_ids_subquery(user)) | Q(application__person__in=_own_person_subquery(user))
    )


def findings_for(user: User) -> QuerySet[Finding]:
    """The regulator: all; others: those on sessions they see, those on institutions they
    administer, and those they filed."""
    qs = Finding.objects.select_related(
        "session__institution", "session__occupation", "institution", "supervisor__person"
    )
    if user_is_regulator(user):
        return qs
    return qs.filter(
        Q(session__in=_sessions_ids_subquery(user))
        | Q(institution_id__in=user_institution_ids(user, ADMIN_ROLES))
        | Q(supervisor__user=user)
    )


def supervised_sessions(user: User) -> QuerySet[Session]:
    """The sessions `user` is attached to as a supervisor (内督/外督), newest first."""
    attached = SessionStaff.objects.filter(
        session=OuterRef("pk"),
        assessor__user=user,
        role__in=(SessionStaff.Role.INTERNAL_SUPERVISOR, SessionStaff.Role.EXTERNAL_SUPERVISOR),
    )
    open_findings = Finding.objects.filter(session=OuterRef("pk"), cleared_at__isnull=True)
    return (
        Session.objects.filter(Exists(attached))
        .annotate(held=Exists(open_findings))
        .select_related("institution", "occupation", "specialty")
        .order_by("-starts_on", "-id")
    )


def findings_proposing_sanction(today) -> QuerySet[Finding]:
    """Open findings, severe or past their rectification deadline, with no sanction decided yet
    (certification.services.supervision.proposes_sanction, as a query)."""
    return (
        Finding.objects.filter(cleared_at__isnull=True, sanction__isnull=True)
        .filter(Q(severity=Finding.Severity.SEVERE) | Q(deadline__lt=today))
        .select_related("session__institution", "session__scope__filing", "institution", "supervisor__person")
        .order_by("deadline", "opened_at", "pk")
    )


def staff_role(user: User, session: Session) -> set[str]:
    """The roles `user` holds on `session` (assessor, reviewer, supervisor, …)."""
    return set(SessionStaff.objects.filter(session=session, assessor__user=user).values_list("role", flat=True))


def is_admin_of(user: User, institution_id: int) -> bool:
    """Whether `user` administers the institution: its admins, and for the regulator's own
    centre its regulator members (docs/domain.md: the centre runs its own qualification sessions,
    so they enrol, staff, submit and issue them). A regulator is never thereby the admin of
    any other institution: what it may do there is its own rule in each service."""
    if institution_id in user_institution_ids(user, ADMIN_ROLES):
        return True
    return (
        institution_id in user_institution_ids(user, (Role.REGULATOR,))
        and Institution.objects.filter(pk=institution_id, kind=Institution.Kind.CENTRE).exists()
    )


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
    # Both sides as lists of ids: PostgreSQL then ORs two index scans (a join or a subquery on
    # the person would be checked against each of a million certificates).
    own = list(Person.objects.filter(user=user).values_list("pk", flat=True))
    return qs.filter(Q(institution_id__in=user_institution_ids(user, ADMIN_ROLES)) | Q(person_id__in=own))


def batch_progress(batch: IssuanceBatch) -> dict:
    totals = batch.chunks.aggregate(issued=Sum("issued"), failed=Sum("failed"))
    return {"issued": totals["issued"] or 0, "failed": totals["failed"] or 0, "total": batch.total}


def person_certificates(person) -> QuerySet[Certificate]:
    """The lifelong record's certificates: every certificate issued here to the person."""
    return Certificate.objects.filter(person=person).select_related("institution", "occupation").order_by("-issued_on")


def people_for_activation(user: User) -> QuerySet[Person]:
    """Whom `user` may hand an activation code: everyone for the regulator; for an institution
    or school admin, the people their institutions have enrolled or certified."""
    if not user.is_authenticated:
        return Person.objects.none()
    if user_is_regulator(user):
        return Person.objects.all()
    admin_of = user_institution_ids(user, ADMIN_ROLES)
    enrolled = Application.objects.filter(person=OuterRef("pk"), session__institution_id__in=admin_of)
    certified = Certificate.objects.filter(person=OuterRef("pk"), institution_id__in=admin_of)
    return Person.objects.filter(Exists(enrolled) | Exists(certified))


def corrections_for(user: User) -> QuerySet[ResultCorrection]:
    """Corrections and correction requests, scoped like the results they change."""
    qs = ResultCorrection.objects.select_related(
        "result__application__person", "result__application__session", "corrected_by", "decided_by"
    )
    if user_is_regulator(user):
        return qs
    return qs.filter(result__in=results_for(user).values("pk"))


def objections_for(user: User) -> QuerySet[Objection]:
    """The regulator: all; an institution's admins: those against its sessions' results."""
    qs = Objection.objects.select_related(
        "result__application__person", "result__application__session__institution", "answered_by", "resolved_by"
    )
    if not user.is_authenticated:
        return qs.none()
    if user_is_regulator(user):
        return qs
    return qs.filter(result__application__session__institution_id__in=user_institution_ids(user, ADMIN_ROLES))


def results_in_publicity(today) -> QuerySet[Result]:
    """Results on public display (成绩公示) on `today`: those of a submitted session during its
    period, and afterwards a corrected result during its own period; never a certified one."""
    return Result.objects.filter(
        Q(application__session__publicity_ends_on__gte=today) | Q(publicity_ends_on__gte=today),
        application__state=Application.State.ENROLLED,
        application__session__state=Session.State.SUBMITTED,
        certificate__isnull=True,
    )


def session_results_in_publicity(session: Session, today) -> QuerySet[Result]:
    """The rule of `results_in_publicity(today)` for results of `session`, whose row is at hand:
    its part of the rule (its state, its period) is decided here rather than in SQL, where the OR
    across two tables made PostgreSQL scan every result of every session (a million) to find one
    session's. The caller narrows the results to the session's (`session_results`, or ids)."""
    if session.state != Session.State.SUBMITTED:
        return Result.objects.none()
    results = Result.objects.filter(application__state=Application.State.ENROLLED, certificate__isnull=True)
    if not session_in_own_publicity(session, today):
        results = results.filter(publicity_ends_on__gte=today)  # only those publicised again
    return results


def session_in_own_publicity(session: Session, today) -> bool:
    """The session's own publicity period is running (not only a corrected result's)."""
    return (
        session.state == Session.State.SUBMITTED
        and session.publicity_ends_on is not None
        and session.publicity_ends_on >= today
    )


def sessions_in_publicity(today) -> QuerySet[Session]:
    """The sessions with results on display (`results_in_publicity`): the submitted ones in their
    own period, and those with a result publicised again after a correction (a partial index
    holds those few). In its own period every enrolled candidate of a submitted session is on
    display (submission needs one, each has its result, and none can be certified before the
    period ends: see services.publicity.publicity_roster). Asked through the results instead,
    the list read the million results of every session on each request (0.3-0.6 s)."""
    again = Result.objects.filter(
        publicity_ends_on__gte=today, application__state=Application.State.ENROLLED, certificate__isnull=True
    ).values("application__session_id")
    return (
        Session.objects.filter(Q(publicity_ends_on__gte=today) | Q(pk__in=again), state=Session.State.SUBMITTED)
        .select_related("institution", "occupation", "specialty")
        .order_by("-submitted_at", "-id")
    )


# A locked session's roster no longer changes (docs/domain.md: submission locks it), so its counts
# are kept for a day; a planned one's are counted on each read (its roster is still being built).
COUNTS_TIMEOUT = 24 * 3600


def session_application_counts(sessions) -> dict[int, tuple[int, int]]:
    """{session id: (applications, enrolled)} for `sessions`, in at most one query: counting a
    20,000-candidate roster on every list read would scan it each time."""
    keys = {s.pk: f"session-counts:{s.pk}:{s.state}" for s in sessions}
    locked = {s.pk for s in sessions if s.is_locked}
    known = cache.get_many([keys[pk] for pk in locked]) if locked else {}
    counts = {pk: known[keys[pk]] for pk in locked if keys[pk] in known}
    missing = [pk for pk in keys if pk not in counts]
    if missing:
        rows = (
            Application.objects.filter(session_id__in=missing)
            .values("session_id")
            .annotate(total=Count("id"), enrolled=Count("id", filter=Q(state=Application.State.ENROLLED)))
            .order_by()
        )
        fresh = {pk: (0, 0) for pk in missing} | {r["session_id"]: (r["total"], r["enrolled"]) for r in rows}
        counts |= fresh
        cache.set_many({keys[pk]: fresh[pk] for pk in missing if pk in locked}, COUNTS_TIMEOUT)
    return counts


def session_results(results: QuerySet[Result], session_id: int) -> QuerySet[Result]:
    """`results` narrowed to one session's, for a page of them that stays small however late the
    session is. The session's applications have ids between its first and its last (two probes
    of the (session, id) index), and so do its results' application ids: said to PostgreSQL as
    well, a page starts its walk of the result table at the session's first row. Without it the
    planner, which takes a session's rows to be spread over the whole table, merged the result
    table from its first row (0.6 s for a page of the last of 50 sessions of 20,000). A session
    without applications has no results: none, without asking."""
    bounds = Application.objects.filter(session_id=session_id).aggregate(first=Min("id"), last=Max("id"))
    if bounds["first"] is None:
        return results.none()
    return results.filter(
        application__session_id=session_id, application__gte=bounds["first"], application__lte=bounds["last"]
    )


def session_roster(session: Session, search: str = "") -> QuerySet[Application]:
    """A visible session's candidates (the caller fetched `session` through `sessions_for`), in a
    stable order for paging. `search`: a certificate number (an index probe), an application
    number, or the start of a name."""
    from registry.identity import normalize_certificate_number

    # Results and certificates in queries of their own: joined to a page of a late session, the
    # planner may merge the whole result table from its start.
    qs = (
        Application.objects.filter(session=session)
        .select_related("person", "condition")
        .prefetch_related("result__certificate")
    )
    search = search.strip()[:100]
    if search:
        number = normalize_certificate_number(search)
        if number[:1].isalpha() and number[1:].isdigit() and len(number) > 1:
            qs = qs.filter(result__certificate__number=number)
        elif search.isdigit():
            qs = qs.filter(pk=int(search))
        else:
            qs = qs.filter(person__name__startswith=search)
    return qs.order_by("pk")
