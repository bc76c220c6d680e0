"""Login lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
one client, that pair is refused for AXES_COOLOFF_TIME, on the login page, the admin's and the
API token endpoint alike. Other usernames from the client, and the username from other
clients, are not affected (a lockout per username alone would let anyone lock out a clerk)."""

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses locked-out (username, client) pairs. A call without a request (the shell, a test's
    client.login) comes from no client, so there is nothing to count it against."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message(request=None) -> str:
    minutes = max(1, int(get_cool_off(request).total_seconds() // 60))
    return _("登录失败次数过多，该账号已在本设备暂时锁定。请 %(minutes)d 分钟后再试。") % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: 429 with the wait, as JSON for the API, as a page otherwise."""
    message = lockout_message(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


class ObtainAuthTokenWithLockout(ObtainAuthToken):
    """POST /api/auth/token/ under the same lockout as the login page. DRF authenticates with its
    own request object, on which axes' middleware never sees the lockout flag: checked here."""

    def post(self, request, *args, **kwargs):
        credentials = {"username": str(request.data.get("username", "")).strip()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return lockout_response(request)
        try:
            return super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            if not AxesProxyHandler.is_allowed(request, credentials):
                return lockout_response(request)
            raise


obtain_auth_token = ObtainAuthTokenWithLockout.as_view()
