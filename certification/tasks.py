"""Celery tasks: each calls one service. Acknowledged late and requeued on a lost worker
(settings), retried on database errors; the services make a repeat harmless."""

import psycopg
from celery import shared_task
from django.db import DatabaseError

from .services import archives, issuance, statistics


@shared_task(autoretry_for=(DatabaseError, psycopg.Error), retry_backoff=True, retry_backoff_max=60, max_retries=10)
def issue_chunk(chunk_id: int) -> int:
    return issuance.chunk_issue(chunk_id=chunk_id).issued


@shared_task
def build_archive(archive_id: int) -> int:
    return archives.archive_build(archive_id=archive_id).done


@shared_task
def statistics_refresh(trigger: str = "schedule") -> int:
    """The beat schedule (settings.CELERY_BEAT_SCHEDULE) and every finished issuance batch."""
    from django.core.cache import cache

    cache.delete(statistics.PENDING_KEY)
    return statistics.statistics_refresh(trigger=trigger).pk
