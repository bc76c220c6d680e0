"""Login throttling (issue 10): after 5 wrong passwords for one username from one client, that
pair is refused for the cool-off, even with the right password, on the login page and on the
API token endpoint. Other usernames and other clients are not affected."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
RIGHT, WRONG = "pw", "wrong-password"


def login_page(username, password, ip="198.51.100.1", **extra):
    client = Client(REMOTE_ADDR=ip, **extra)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response, client


def token(username, password, ip="198.51.100.1", **extra):
    return Client(REMOTE_ADDR=ip, **extra).post(
        "/api/auth/token/", {"username": username, "password": password}, content_type="application/json"
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_page_locks_a_username_and_client_after_five_failures(settings):
    user, other = UserFactory(), UserFactory()
    for _ in range(5):
        response, _client = login_page(user.username, WRONG)
        assert not logged_in(_client)
    response, client = login_page(user.username, RIGHT)
    assert response.status_code == 429 and not logged_in(client)
    text = response.content.decode()
    assert "登录失败次数过多" in text and "15 分钟后再试" in text

    # Another username from the same client, and the same username from another client, log in.
    response, client = login_page(other.username, RIGHT)
    assert response.status_code == 302 and logged_in(client)
    response, client = login_page(user.username, RIGHT, ip="198.51.100.2")
    assert response.status_code == 302 and logged_in(client)


def test_token_endpoint_locks_a_username_and_client_after_five_failures():
    user, other = UserFactory(), UserFactory()
    for _ in range(5):
        assert token(user.username, WRONG).status_code in (400, 429)
    response = token(user.username, RIGHT)
    assert response.status_code == 429
    assert "15 分钟后再试" in response.json()["detail"]
    assert not Token.objects.filter(user=user).exists()

    assert token(other.username, RIGHT).status_code == 200
    assert token(user.username, RIGHT, ip="198.51.100.2").status_code == 200


def test_failures_on_one_endpoint_count_on_the_other():
    user = UserFactory()
    for _ in range(5):
        token(user.username, WRONG)
    response, client = login_page(user.username, RIGHT)
    assert response.status_code == 429 and not logged_in(client)


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(settings):
    """Behind the proxy the client is the last hop; entries before it are the client's to forge."""
    settings.TRUST_X_FORWARDED_FOR = True
    user = UserFactory()
    for i in range(5):
        token(user.username, WRONG, ip="172.18.0.5", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}, 203.0.113.7")
    forged = token(user.username, RIGHT, ip="172.18.0.5", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")
    assert forged.status_code == 429
    other_client = token(user.username, RIGHT, ip="172.18.0.5", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other_client.status_code == 200


def test_a_successful_login_resets_the_count():
    user = UserFactory()
    for _ in range(2):
        for _ in range(4):
            login_page(user.username, WRONG)
        response, client = login_page(user.username, RIGHT)
        assert response.status_code == 302 and logged_in(client)
