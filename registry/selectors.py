"""Reads of the registry with the caller's scope applied."""

import datetime

from django.db.models import QuerySet

from . import identity
from .models import Filing, Institution, Membership, Occupation, Person, Role, Scope, User

ADMIN_ROLES = (Role.INSTITUTION_ADMIN, Role.SCHOOL_ADMIN)


def user_roles(user: User) -> dict[str, set[int]]:
    """{role: {institution ids}} for a signed-in user, read once per request object."""
    cached = getattr(user, "_registry_roles", None)
    if cached is None:
        cached = {}
        if user.is_authenticated:
            for role, institution_id in Membership.objects.filter(user=user).values_list("role", "institution_id"):
                cached.setdefault(role, set()).add(institution_id)
        user._registry_roles = cached
    return cached


def user_is_regulator(user: User) -> bool:
    return bool(user_roles(user).get(Role.REGULATOR))


def user_institution_ids(user: User, roles: tuple[str, ...] = tuple(Role.values)) -> set[int]:
    held = user_roles(user)
    return set().union(*(held.get(role, set()) for role in roles))


def regulator_centre(user: User | None = None) -> Institution | None:
    """The regulator's centre (Institution.Kind.CENTRE), in whose name qualification and
    special-ability certificates are issued: the centre `user` serves as regulator, else the
    first centre registered (load_demo registers one, 上海市职业技能鉴定中心)."""
    centres = Institution.objects.filter(kind=Institution.Kind.CENTRE).order_by("pk")
    if user is not None and user.is_authenticated:
        own = centres.filter(memberships__user=user, memberships__role=Role.REGULATOR).first()
        if own is not None:
            return own
    return centres.first()


def institutions_visible_to(user: User) -> QuerySet[Institution]:
    if user_is_regulator(user):
        return Institution.objects.all()
    return Institution.objects.filter(id__in=user_institution_ids(user))


def scope_covering(
    *,
    institution: Institution,
    evaluation_type: str,
    occupation: Occupation,
    specialty_id: int | None,
    level: int | None,
    on: datetime.date,
) -> Scope | None:
    """The filed, unsuspended, in-date scope row that allows this evaluation, if any."""
    scopes = Scope.objects.filter(
        filing__institution=institution,
        filing__state=Filing.State.FILED,
        filing__valid_from__lte=on,
        filing__valid_until__gte=on,
        evaluation_type=evaluation_type,
        occupation=occupation,
    )
    for scope in scopes:
        if scope.covers(
            evaluation_type=evaluation_type, occupation_id=occupation.id, specialty_id=specialty_id, level=level
        ):
            return scope
    return None


def scope_window_gap(
    *,
    institution: Institution,
    evaluation_type: str,
    occupation: Occupation,
    specialty_id: int | None,
    level: int | None,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> tuple[Scope | None, datetime.date | None]:
    """(the scope row in force on `starts_on`, the first day of [starts_on, ends_on] that no filed,
    unsuspended, in-date scope row allowing this evaluation covers, or None when every day is).
    One query: the windows of the matching rows are merged, so two filings that follow each other
    cover a session across their seam, and a gap between them is found on whichever day it falls."""
    rows = [
        scope
        for scope in Scope.objects.filter(
            filing__institution=institution,
            filing__state=Filing.State.FILED,
            filing__valid_from__lte=ends_on,
            filing__valid_until__gte=starts_on,
            evaluation_type=evaluation_type,
            occupation=occupation,
        ).select_related("filing")
        if scope.covers(
            evaluation_type=evaluation_type, occupation_id=occupation.id, specialty_id=specialty_id, level=level
        )
    ]
    first = next((s for s in rows if s.filing.valid_from <= starts_on <= s.filing.valid_until), None)
    day = starts_on
    for scope in sorted(rows, key=lambda s: s.filing.valid_from):
        if scope.filing.valid_from > day:
            break
        day = max(day, scope.filing.valid_until + datetime.timedelta(days=1))
        if day > ends_on:
            return first, None
    return first, day


def person_by_document(document_type: str, number: str) -> Person | None:
    """Exact look-up by the keyed hash of a canonical document number."""
    return Person.objects.filter(document_hash=identity.document_hash(document_type, number)).first()


def filings_for(user: User) -> QuerySet[Filing]:
    """The filings of the institutions `user` administers (never the regulator's view of all:
    the regulator reviews filings in its work queue)."""
    return Filing.objects.filter(institution_id__in=user_institution_ids(user, ADMIN_ROLES)).select_related(
        "institution"
    )
