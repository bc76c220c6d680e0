"""Exactly once through real Celery workers on Redis and PostgreSQL: a retried task, a killed
worker child (acks late, requeued on a lost worker) and a whole worker killed (its unacked
message is restored after the visibility timeout and issued by the next worker)."""

import os
import signal
import time
import uuid
from unittest import mock

import psutil
import pytest

from certification.models import BatchChunk, BatchFailure, Certificate, IssuanceBatch
from certification.services import issuance
from certification.tasks import issue_chunk
from tests.worker import celery_worker

from .conftest import ISSUE_DAY, ready_session

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SLOW_CHUNKS = {"ISSUANCE_CHUNK_SIZE": "10", "ISSUANCE_TEST_DELAY_SECONDS": "3"}


def submit(world, sessions, queue, chunk_size=10, settings=None):
    settings.ISSUANCE_CHUNK_SIZE = chunk_size
    route = lambda chunk_id: issue_chunk.apply_async(args=[chunk_id], queue=queue)  # noqa: E731
    with mock.patch.object(issue_chunk, "delay", route):
        batch = issuance.batch_create(actor=world.admin_a, sessions=sessions, issue_date=ISSUE_DAY)
        issuance.dispatch(batch.pk)  # on_commit has run already in a transactional test; dispatching again is harmless
    return batch


def wait_done(batch, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.state == IssuanceBatch.State.DONE:
            return batch
        time.sleep(0.3)
    raise AssertionError(f"batch not done: {list(batch.chunks.values_list('index', 'state', 'attempts'))}")


def assert_exactly_once(count):
    numbers = list(Certificate.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == count
    assert Certificate.objects.values("result").distinct().count() == count
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, count + 1))  # gapless
    assert not BatchFailure.objects.exists()


def test_a_retried_task_creates_nothing_more(postgres, world, settings):
    session = ready_session(world, n=12)
    with celery_worker() as (_, queue):
        batch = wait_done(submit(world, [session], queue, settings=settings))
        for chunk in batch.chunks.all():  # the same tasks delivered again
            issue_chunk.apply_async(args=[chunk.pk], queue=queue).get(timeout=30)
    assert_exactly_once(12)
    assert batch.chunks.filter(state=BatchChunk.State.DONE).count() == 2


def test_killed_worker_child_mid_chunk_loses_and_duplicates_nothing(postgres, world, settings):
    session = ready_session(world, n=25)
    with celery_worker(pool="prefork", concurrency=1, env=SLOW_CHUNKS) as (worker, queue):
        batch = submit(world, [session], queue, settings=settings)
        time.sleep(1.5)  # the first chunk is signing, not yet committed
        children = psutil.Process(worker.pid).children()
        assert children, "no pool child to kill"
        assert not Certificate.objects.exists()
        for child in children:
            os.kill(child.pid, signal.SIGKILL)
        wait_done(batch)
    assert_exactly_once(25)


def test_killed_worker_message_is_redelivered_to_the_next_worker(postgres, world, settings):
    session = ready_session(world, n=15)
    queue = f"test-{uuid.uuid4().hex[:12]}"
    fast_restore = {
        **SLOW_CHUNKS,
        "CELERY_VISIBILITY_TIMEOUT": "4",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    with celery_worker(queue=queue, env=fast_restore) as (worker, _):
        batch = submit(world, [session], queue, settings=settings)
        time.sleep(1.5)
        assert not Certificate.objects.exists()
        worker.send_signal(signal.SIGKILL)  # the whole worker, mid-chunk: its message stays unacked
        worker.wait()
    assert not Certificate.objects.exists()
    with celery_worker(queue=queue, env=fast_restore):
        wait_done(batch, timeout=120)
    assert_exactly_once(15)
