"""Responses that carry personal data are never stored by browsers or shared caches."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


class NoStorePersonalDataMiddleware:
    """`Cache-Control: no-store, private` (with max-age=0) on every response to a signed-in user
    (their pages and API answers show personal data) and on every response of the public paths
    that take or show personal data (verification, activation: `NO_STORE_PATHS`). Runs after the
    view, so it also sees the user that DRF authenticated by token."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path.startswith(tuple(settings.NO_STORE_PATHS)):
            add_never_cache_headers(response)
        return response
