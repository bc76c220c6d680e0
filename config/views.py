from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect

from registry.context_processors import user_nav


def healthz(request):
    """Liveness for the container health check: the app answers and its database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_required
def start(request):
    """Where sign-in lands (LOGIN_REDIRECT_URL; a `next` parameter still wins): each role's own
    start page. Work comes first: an assessor who also holds certificates lands on the sessions;
    the regulator on the work queue; a supervisor who administers nothing on the supervision page."""
    nav = user_nav(request.user)
    if nav["school"]:
        return redirect("school-cohort")
    if nav["regulator"]:
        return redirect("regulator-queue")
    if nav["supervisor"] and not nav["institution"]:
        return redirect("supervisor-home")
    if nav["sessions"]:
        return redirect("web-session-list")
    if nav["worker"]:
        return redirect("my-record")
    return redirect("home")
