"""The QR link's page is rendered once per language and shape, then filled in (registry/skeleton.py):
it must read exactly as the ordinary rendering, escape what it fills in, carry nothing of an
earlier request, and leave signed-in users their own chrome."""

import datetime

import pytest
from django.http import HttpResponse
from django.shortcuts import render
from django.template import engines
from django.test import Client, RequestFactory
from django.utils import translation

from certification.models import Certificate
from certification.services import certificates
from certification.views.public import shown
from registry import skeleton
from registry.skeleton import Fill, plain, render_filled

from .conftest import ready_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world, run):
    run([ready_session(world, n=2)])
    return world, list(Certificate.objects.select_related("person").order_by("number"))


@pytest.fixture(autouse=True)
def fresh_skeletons():
    skeleton._skeletons.clear()
    yield
    skeleton._skeletons.clear()


def ordinary(path: str, context: dict, status: int = 200) -> HttpResponse:
    """What `render` gives for the same anonymous request and context."""
    request = RequestFactory().get(path)
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    request.user, request.session = AnonymousUser(), SessionStore()
    request._messages = FallbackStorage(request)
    return render(request, "certification/verify.html", plain(context), status=status)


def test_the_filled_page_is_the_ordinary_page_in_every_state(issued, client):
    world, (first, second) = issued
    certificates.certificate_revoke(actor=world.regulator, certificate=second, reason="材料<造假>")
    cases = [(first.verification_code, 200), (second.verification_code, 200), ("A" * 22, 404)]
    for _ in range(2):  # the second round is filled in from the kept skeletons
        for code, status in cases:
            response = client.get(f"/v/{code}")
            assert response.status_code == status
            row = certificates.certificate_by_code(code)
            context = {"summary": shown(certificates.verification_summary(row)), "by_code": True}
            assert response.content.decode() == ordinary(f"/v/{code}", context, status).content.decode()
    assert len(skeleton._skeletons) == 3  # valid, revoked, not found: one page each, whatever the code
    revoked = client.get(f"/v/{second.verification_code}").content.decode()
    assert "材料&lt;造假&gt;" in revoked and "<造假>" not in revoked
    assert datetime.date.today().isoformat() in revoked


def test_each_answer_carries_its_own_certificate_only(issued, client):
    _world, (first, second) = issued
    page_one = client.get(f"/v/{first.verification_code}").content.decode()
    page_two = client.get(f"/v/{second.verification_code}").content.decode()
    assert first.number in page_one and second.number not in page_one
    assert second.number in page_two and first.number not in page_two
    assert first.verification_code not in page_two and second.verification_code not in page_two
    assert "\x00" not in page_two


def test_filled_text_is_escaped_as_the_template_would(rf):
    request = rf.get("/v/x")
    context = {"summary": {"found": False}, "refusal": {"message": Fill('<script>alert("x")</script> & 1')}}
    for _ in range(2):
        html = render_filled(request, "certification/verify.html", context, status=429).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 1" in html and "<script>alert" not in html


def test_each_language_has_its_own_page(issued, client):
    _world, (first, _second) = issued
    chinese = client.get(f"/v/{first.verification_code}").content.decode()
    english = client.get(f"/v/{first.verification_code}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    again = client.get(f"/v/{first.verification_code}").content.decode()
    assert "证书有效" in chinese and "证书有效" not in english and 'lang="en"' in english
    assert again == chinese


def test_a_signed_in_reader_gets_the_ordinary_page_with_their_navigation(issued, client):
    world, (first, _second) = issued
    client.get(f"/v/{first.verification_code}")  # keeps the anonymous skeleton
    client.force_login(world.regulator)
    page = client.get(f"/v/{first.verification_code}").content.decode()
    assert "监管工作台" in page and first.number in page
    anonymous = Client().get(f"/v/{first.verification_code}").content.decode()
    assert "监管工作台" not in anonymous


def test_a_page_that_asks_for_a_csrf_token_is_never_kept(rf, monkeypatch):
    template = engines["django"].from_string("<form>{% csrf_token %}{{ v }}</form>")
    monkeypatch.setattr(skeleton, "render_to_string", lambda name, context, request: template.render(context, request))
    pages = [render_filled(rf.get("/"), "any.html", {"v": Fill(str(n))}).content.decode() for n in range(2)]
    assert skeleton._skeletons == {}
    assert pages[0] != pages[1] and pages[1].endswith("1</form>") and "csrfmiddlewaretoken" in pages[1]


def test_the_language_switch_needs_no_csrf_token_and_returns_to_the_page(client):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/i18n/setlang/", {"language": "en"}, HTTP_REFERER="http://testserver/verify/")
    assert response.status_code == 302 and response["Location"] == "http://testserver/verify/"
    assert csrf_client.cookies["django_language"].value == "en"
    with translation.override("zh-hans"):
        assert csrf_client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"}).url == "/"


def test_the_look_up_is_prepared_on_postgresql(issued):
    """Planning the look-up's join cost PostgreSQL about four times running it: after a few runs
    on a connection it is a prepared statement (certificates._lookup_cursor). The suite runs on
    PostgreSQL (make test), where pg_prepared_statements exists."""
    from django.db import connection

    _world, (first, _second) = issued
    for _ in range(8):
        assert certificates.certificate_by_code(first.verification_code)["number"] == first.number
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%verification_code%"])
        assert cursor.fetchone()[0] == 1
