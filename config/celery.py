"""The Celery app. With REDIS_URL unset, tasks run in-process (the embedded default)."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def close_old_connections(task=None, **kwargs):
    """A worker keeps its database connection from task to task, as a web process does from
    request to request (settings.CELERY_DB_REUSE_MAX): closed after DB_CONN_MAX_AGE seconds or
    when an error left it unusable. Not for a task run eagerly inside a caller's transaction."""
    if not getattr(getattr(task, "request", None), "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
