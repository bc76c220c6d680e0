import pytest
from django.db import connection


@pytest.fixture
def postgres():
    """Marks a test that needs PostgreSQL: the suite always runs on it (make test)."""
    assert connection.vendor == "postgresql", "this test needs PostgreSQL: run it with `make test`"
    return connection


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 is deliberately slow; tests sign in dozens of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def celery_in_process(request):
    """Tasks run in the test process, unless the test starts a real worker (marker `worker`)."""
    from config.celery import app

    eager = request.node.get_closest_marker("worker") is None
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = eager, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Each test gets its own cache namespace (rate-limit counters, the status list), even on
    the shared Redis, without flushing what a running worker may need."""
    import uuid

    settings.CACHES = {name: {**config, "KEY_PREFIX": uuid.uuid4().hex} for name, config in settings.CACHES.items()}
