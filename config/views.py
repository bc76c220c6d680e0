from django.db import connection
from django.http import HttpResponse, JsonResponse


def healthz(request):
    """Liveness for the container health check: the app answers and its database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def home(request):
    return HttpResponse(
        '<!doctype html><meta charset="utf-8"><title>技能等级认证登记系统</title>'
        '<h1>技能等级认证登记系统</h1><ul><li><a href="/admin/">管理后台</a></li>'
        '<li><a href="/api/docs/">API 文档</a></li></ul>'
    )
