import pytest

from registry.models import Occupation
from registry.tasks import catalogue_import
from tests.worker import celery_worker


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_project_task_against_postgres_and_redis(postgres):
    assert Occupation.objects.count() == 0
    with celery_worker() as (_, queue):
        result = catalogue_import.apply_async(queue=queue)
        report = result.get(timeout=60)
    assert report["occupations_created"] >= 30
    assert Occupation.objects.count() == report["occupations_created"]  # written by the worker, read here
