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
def issuance_in_request(settings):
    """Issuance runs in the task path the test chose (eager or a worker), never in the embedded
    default's background thread, unless a test turns that on (tests/certification/test_issuance_thread.py)."""
    settings.ISSUANCE_IN_THREAD = False


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language (Chinese). A request in English leaves English
    active in the thread afterwards (LocaleMiddleware activates, nothing deactivates), and
    messages built outside a request would then come out in English for the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def isolated_cache(settings):
    """Each test gets its own cache namespace (rate-limit counters, the status list), even on
    the shared Redis, without flushing what a running worker may need."""
    import uuid

    settings.CACHES = {name: {**config, "KEY_PREFIX": uuid.uuid4().hex} for name, config in settings.CACHES.items()}


@pytest.fixture(autouse=True)
def holiday_calendar(request):
    """The holiday calendar for every test that uses the database. The migration loads the
    package's years (2004–2026); a transactional test's flush empties the tables, so reload.
    Tests that submit a session "today" count publicity from the real date: so that they do not
    start failing once that period reaches a year nobody has entered yet, the years after the
    package's data up to next year are covered here as weekends only, marked as test data.
    (Production never guesses: see registry.workdays.) Tests of a missing year delete it first."""
    marker = request.node.get_closest_marker("django_db")
    wanted = {"db", "transactional_db"} & set(request.fixturenames)
    if marker is None and not wanted:
        return
    transactional = "transactional_db" in wanted or bool(marker and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")
    import datetime

    from registry.models import CalendarYear
    from registry.workdays import calendar_load_package

    calendar_load_package()
    last = max(CalendarYear.objects.values_list("year", flat=True))
    for year in range(last + 1, datetime.date.today().year + 2):
        CalendarYear.objects.get_or_create(year=year, defaults={"source": "tests only: weekends, no holidays"})
