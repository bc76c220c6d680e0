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
