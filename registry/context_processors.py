"""What the navigation shows: only the pages the signed-in user's role can use."""

from django.db.models import Count
from django.utils.functional import SimpleLazyObject

from .models import Person, Role
from .selectors import user_roles

SUPERVISOR_KINDS = {"internal_supervisor", "external_supervisor"}  # assessors.models.Assessor.Kind
SESSION_ROLES = (Role.REGULATOR, Role.INSTITUTION_ADMIN, Role.SCHOOL_ADMIN, Role.ASSESSOR, Role.SUPERVISOR)


def user_nav(user) -> dict[str, bool]:
    """{worker, sessions, institution, school, regulator, supervisor} for `user`, in three queries:
    memberships, the linked person, and the user's accreditations (assessor, supervisor)."""
    if not user.is_authenticated:
        return dict.fromkeys(("worker", "sessions", "institution", "school", "regulator", "supervisor"), False)
    from assessors.models import Assessor

    roles = user_roles(user)
    rows = Assessor.objects.filter(user=user).values("kind").annotate(assigned=Count("assignments"))
    accreditations = {row["kind"]: row["assigned"] for row in rows}
    # An assessor or supervisor assigned to a session sees the sessions even without a membership.
    sessions = any(roles.get(role) for role in SESSION_ROLES) or any(accreditations.values())
    supervisor = bool(roles.get(Role.SUPERVISOR)) or bool(set(accreditations) & SUPERVISOR_KINDS)
    return {
        "worker": Person.objects.filter(user=user).exists(),
        "sessions": sessions,
        # an institution's or school's admin: its filings and its desk (直接认定, objections, corrections)
        "institution": bool(roles.get(Role.INSTITUTION_ADMIN) or roles.get(Role.SCHOOL_ADMIN)),
        "school": bool(roles.get(Role.SCHOOL_ADMIN)),
        "regulator": bool(roles.get(Role.REGULATOR)),
        "supervisor": supervisor,
    }


def nav(request):
    user = getattr(request, "user", None)
    if user is None:
        return {"nav": {}}
    return {"nav": SimpleLazyObject(lambda: user_nav(user))}
