"""The embedded default (no Redis): issuance runs in a background thread, so the "issue" request
returns before the batch is finished, the progress page sees it part-way, and it then completes.
The thread is held between chunks by a gate (no timing is asserted)."""

import threading

import pytest
from django.urls import reverse

from certification.models import Certificate, IssuanceBatch
from certification.services import issuance

from .conftest import ready_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gated_thread(settings, monkeypatch):
    """Background issuance on, one result per chunk, and the thread stopped before its second
    chunk until the test opens the gate."""
    settings.ISSUANCE_IN_THREAD = True
    settings.ISSUANCE_CHUNK_SIZE = 1
    gate, waiting, calls = threading.Event(), threading.Event(), []

    def pace():
        calls.append(1)
        if len(calls) == 2:  # the first chunk is committed; hold the second
            waiting.set()
            assert gate.wait(60), "the test never opened the gate"

    monkeypatch.setattr(issuance, "_pace", pace)
    yield gate, waiting
    gate.set()
    for thread in issuance.BACKGROUND.values():
        thread.join(60)
    issuance.BACKGROUND.clear()


def test_issue_returns_at_once_and_the_batch_completes_in_the_background(world, client, gated_thread):
    gate, waiting = gated_thread
    session = ready_session(world, n=3)
    client.force_login(world.admin_a)
    response = client.post(reverse("web-session-issue", args=[session.pk]))
    assert response.status_code == 302
    batch = IssuanceBatch.objects.get(sessions=session)
    assert response["Location"] == reverse("web-batch-detail", args=[batch.pk])
    assert batch.chunks.count() == 3
    # The request has returned while the thread waits before its second chunk.
    assert waiting.wait(60)
    progress = client.get(reverse("web-batch-progress", args=[batch.pk])).json()
    assert progress["issued"] == 1 and progress["total"] == 3
    assert progress["state"] != IssuanceBatch.State.DONE
    assert Certificate.objects.filter(batch=batch).count() == 1
    page = client.get(reverse("web-batch-detail", args=[batch.pk]))
    assert b'id="batch-bar"' in page.content and b'value="1"' in page.content
    gate.set()
    issuance.BACKGROUND[batch.pk].join(60)
    progress = client.get(reverse("web-batch-progress", args=[batch.pk])).json()
    assert (progress["issued"], progress["failed"], progress["state"]) == (3, 0, IssuanceBatch.State.DONE)
    assert Certificate.objects.filter(batch=batch).count() == 3


def test_with_a_broker_or_the_setting_off_issuance_stays_on_the_task_path(world, client, settings):
    settings.ISSUANCE_IN_THREAD = False
    session = ready_session(world, n=2)
    client.force_login(world.admin_a)
    client.post(reverse("web-session-issue", args=[session.pk]))
    batch = IssuanceBatch.objects.get(sessions=session)
    assert batch.pk not in issuance.BACKGROUND
    assert batch.state == IssuanceBatch.State.DONE  # eager Celery: done when the request returns
