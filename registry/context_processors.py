"""Template context every page needs: whether the user is the regulator (the nav's link to
the work queue). Lazy, so pages that never ask do not query."""

from django.utils.functional import SimpleLazyObject

from .selectors import user_is_regulator


def roles(request):
    user = getattr(request, "user", None)
    return {
        "user_is_regulator": SimpleLazyObject(lambda: bool(user and user.is_authenticated and user_is_regulator(user)))
    }
