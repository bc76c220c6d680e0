from celery import shared_task

from .catalogue import catalogue_load_file


@shared_task
def catalogue_import(path: str | None = None) -> dict:
    """Load (or refresh) the occupation catalogue; idempotent, safe to run on a schedule."""
    report = catalogue_load_file(path) if path else catalogue_load_file()
    return report.__dict__
