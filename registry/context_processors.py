"""What the navigation shows: only the pages the signed-in user's role can use."""

from django.utils.functional import SimpleLazyObject

from .models import Person, Role
from .selectors import user_roles

SESSION_ROLES = (Role.REGULATOR, Role.INSTITUTION_ADMIN, Role.SCHOOL_ADMIN, Role.ASSESSOR, Role.SUPERVISOR)


def user_nav(user) -> dict[str, bool]:
    """{worker, sessions, school, regulator, institution_admin} for `user`, in at most three queries: memberships,
    the linked person, and (only when no membership gives sessions) a staff assignment."""
    if not user.is_authenticated:
        return {"worker": False, "sessions": False, "school": False, "regulator": False, "institution_admin": False}
    from assessors.models import Assessor

    roles = user_roles(user)
    sessions = any(roles.get(role) for role in SESSION_ROLES)
    if not sessions:  # an assessor or supervisor assigned to a session without a membership
        sessions = Assessor.objects.filter(user=user, assignments__isnull=False).exists()
    return {
        "worker": Person.objects.filter(user=user).exists(),
        "sessions": sessions,
        "school": bool(roles.get(Role.SCHOOL_ADMIN)),
        "regulator": bool(roles.get(Role.REGULATOR)),
        "institution_admin": bool(roles.get(Role.INSTITUTION_ADMIN)),
    }


def nav(request):
    user = getattr(request, "user", None)
    if user is None:
        return {"nav": {}}
    return {"nav": SimpleLazyObject(lambda: user_nav(user))}
