"""Issue 10, citizens' ID numbers stay private: each attack of the issue, run in miniature, and
shown to fail (the public form of an ID number, verification limited per certificate number, no
lock-out of someone else, activation with a one-time code, no echoes, no caching, revocation
shown first, recorded sensitive reads)."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from certification import pdf, throttle
from certification.models import ActivationCode, Certificate
from certification.services import certificates as certificate_services
from certification.services.accounts import activation_code_hash, activation_code_issue
from registry import identity
from registry.errors import Forbidden
from registry.models import Role, SensitiveRead
from tests import factories
from tests.privacy import candidates_for_public_form

from .conftest import ready_session
from .test_certificates import pdf_text

pytestmark = pytest.mark.django_db
PUBLIC_FORM = re.compile(r"\b\d{6}\*{12}")
ANY_ID_FORM = re.compile(r"\b\d{6}[\d*]{11}[\dX*]")


@pytest.fixture
def issued(world, run):
    session = ready_session(world, n=2)
    run([session])
    return world, list(Certificate.objects.select_related("person").order_by("number"))


def api(user=None):
    client = APIClient()
    if user:
        client.force_authenticate(user)
    return client


def activate(client, form, ip="127.0.0.1", **overrides):
    return client.post(reverse("activate"), {**form, **overrides}, REMOTE_ADDR=ip)


def share_page(client, certificate) -> str:
    return client.get(f"/v/{certificate.verification_code}").content.decode()


def candidates(public: str, true_number: str, how_many: int) -> list[str]:
    """The attacker's list: numbers fitting the public form in plausible order (births from
    1926), with the true number after the first `how_many` wrong ones (an attacker who knew
    where to start would still meet the per-number limit first: see the count test)."""
    area = public[:6]
    out, day = [], datetime.date(1926, 1, 1)
    while len(out) < how_many:
        number = identity.compose_resident_id(area, day, 1)
        if number != true_number:
            out.append(number)
        day += datetime.timedelta(days=1)
    return out + [true_number]


# --- 1. the full ID number from a share link ---


def test_public_form_on_every_public_surface_leaves_a_million_candidates(issued, client):
    world, (certificate, _other) = issued
    person = certificate.person
    page = share_page(client, certificate)
    answer = api().post("/api/verify/", {"code": certificate.verification_code}, format="json").json()
    text = pdf_text(pdf.certificate_pdf(certificate))
    for surface in (page, answer["holder_document"], text):
        shown = ANY_ID_FORM.findall(surface)
        assert shown == [person.document_masked], shown
        assert candidates_for_public_form(shown[0]) >= 10**6
        assert person.document_partial not in surface and person.document_number not in surface


def test_stored_public_form_is_recomputed_by_the_migration(issued):
    """The data migration rewrote old masks: every stored public form is area code + stars."""
    from importlib import import_module

    from django.apps import apps

    world, (certificate, _other) = issued
    person = certificate.person
    type(person).objects.filter(pk=person.pk).update(document_masked=person.document_partial)
    import_module("registry.migrations.0004_privacy_sensitive_reads").remask(apps, None)
    person.refresh_from_db()
    assert person.document_masked == person.document_number[:6] + "*" * 12


def test_recovery_attack_from_the_share_page_is_stopped(issued, client, settings):
    """From the share page: name, public form, certificate number. Enumerating the ID number
    through POST /api/verify/ from ever new addresses meets the per-number limit first; the QR
    link keeps working; and activation with the number but without the code fails regardless."""
    settings.VERIFY_RATE_LIMIT_PER_NUMBER = (30, 86400)
    world, (certificate, _other) = issued
    person = certificate.person
    page = share_page(client, certificate)
    public = PUBLIC_FORM.search(page).group(0)
    assert candidates_for_public_form(public) >= 10**6
    assert person.name in page and certificate.number in page

    found, refusals = None, []
    for i, guess in enumerate(candidates(public, person.document_number, 40)):
        query = {"name": person.name, "document_number": guess, "number": certificate.number}
        response = api().post("/api/verify/", query, format="json", REMOTE_ADDR=f"198.51.{i // 250}.{i % 250}")
        if response.status_code == 429:
            refusals.append(response.json()["detail"])
        elif response.json()["found"]:
            found = guess
            break
    assert found is None
    assert len(refusals) == 41 - 30 and all("请使用证书上的二维码查验" in r for r in refusals)
    # The holder's QR link still answers.
    assert client.get(f"/v/{certificate.verification_code}").status_code == 200
    assert "证书有效" in share_page(client, certificate)

    # Activation with everything on the certificate and even the full number, but no code.
    form = {"name": person.name, "document_number": person.document_number, "username": "thief"}
    form.update(password="Long-enough-pass-9", certificate_number=certificate.number)
    for code in ("", "AAAAA-AAAAA"):
        response = client.post(reverse("activate"), {**form, "activation_code": code})
        assert response.status_code in (200, 429)
    person.refresh_from_db()
    assert person.user_id is None


def test_per_number_limit_counts_spellings_of_one_number_and_spares_the_qr_path(issued, client, settings):
    settings.VERIFY_RATE_LIMIT_PER_NUMBER = (2, 86400)
    world, (certificate, _other) = issued
    person = certificate.person
    spellings = [certificate.number, certificate.number.lower(), " " + certificate.number]
    codes = []
    for i, number in enumerate(spellings):
        data = {"name": person.name, "document_number": person.document_number, "number": number}
        codes.append(client.post(reverse("verify"), data, REMOTE_ADDR=f"10.9.0.{i}").status_code)
    assert codes == [200, 200, 429]
    data = {"name": person.name, "document_number": person.document_number, "number": certificate.number}
    body = client.post(reverse("verify"), data, REMOTE_ADDR="10.9.1.1").content.decode()
    assert "请使用证书上的二维码查验" in body and "证书有效" not in body
    assert api().post("/api/verify/", {"code": certificate.verification_code}, format="json").json()["found"]
    assert client.get(f"/v/{certificate.verification_code}").status_code == 200


# --- 2. no lock-out of someone else, and the real wait ---


def test_one_clients_failures_do_not_lock_out_another(issued, client, settings):
    settings.VERIFY_RATE_LIMIT_PER_ID = (10, 3600)
    world, (certificate, _other) = issued
    person = certificate.person
    wrong = {"name": "陌生人", "document_number": person.document_number, "number": certificate.number}
    for _ in range(12):
        client.post(reverse("verify"), wrong, REMOTE_ADDR="203.0.113.66")
        client.post(
            reverse("activate"),
            {**wrong, "activation_code": "AAAAA-AAAAA", "username": "x", "password": "Long-enough-pass-9"},
            REMOTE_ADDR="203.0.113.66",
        )
    assert client.post(reverse("verify"), wrong, REMOTE_ADDR="203.0.113.66").status_code == 429
    right = {"name": person.name, "document_number": person.document_number, "number": certificate.number}
    body = client.post(reverse("verify"), right, REMOTE_ADDR="192.0.2.7").content.decode()
    assert "证书有效" in body
    code = activation_code_issue(actor=world.admin_a, person=person)
    form = {**right, "activation_code": code, "username": "holder", "password": "Long-enough-pass-9"}
    assert client.post(reverse("activate"), form, REMOTE_ADDR="192.0.2.7").status_code == 302
    person.refresh_from_db()
    assert person.user.username == "holder"


def test_refusal_states_the_real_wait_and_the_window_is_not_the_clock_hour(world, settings, monkeypatch):
    """The old window was the clock hour and the message said "one minute". Now a window starts
    at its first hit: hits at 00:50 are still counted at 01:01, with 49 minutes left."""
    from django.test import RequestFactory

    settings.VERIFY_RATE_LIMIT_PER_ID = (2, 3600)
    now = [3000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    request = RequestFactory().post("/verify/", REMOTE_ADDR="10.3.0.1")
    number = factories.resident_id()
    assert throttle.verification_check(request, number) is None
    assert throttle.verification_check(request, number) is None
    now[0] = 3700.0
    refusal = throttle.verification_check(request, number)
    assert refusal is not None and refusal.limit == "id" and refusal.wait_seconds == 2900
    assert "请 49 分钟后再试" in refusal.message
    now[0] = 6590.0
    assert "请 1 分钟后再试" in throttle.verification_check(request, number).message


def test_verify_page_refusal_names_the_wait(issued, client, settings):
    settings.VERIFY_RATE_LIMIT = (1, 60)
    world, (certificate, _other) = issued
    data = {"name": "x", "document_number": certificate.person.document_number, "number": certificate.number}
    client.post(reverse("verify"), data)
    body = client.post(reverse("verify"), data).content.decode()
    assert "请 1 分钟后再试" in body and "一分钟" not in body


# --- activation with a one-time code ---


def test_activation_code_is_issued_by_the_enrolling_institution_or_the_regulator(issued):
    world, (certificate, _other) = issued
    person = certificate.person
    response = api(world.admin_a).post(f"/api/people/{person.pk}/activation-code/")
    assert response.status_code == 201
    code = response.json()["activation_code"]
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", code)
    stored = ActivationCode.objects.get(person=person)
    assert stored.code_hash == activation_code_hash(code) and code.replace("-", "") not in stored.code_hash
    assert api(world.admin_b).post(f"/api/people/{person.pk}/activation-code/").status_code == 404
    assert api(world.assessors_a[0].user).post(f"/api/people/{person.pk}/activation-code/").status_code == 404
    assert ActivationCode.objects.filter(person=person).count() == 1
    assert api(world.regulator).post(f"/api/people/{person.pk}/activation-code/").status_code == 201
    first, second = ActivationCode.objects.filter(person=person).order_by("pk")
    assert first.voided_at is not None and second.voided_at is None  # a new code voids the old
    with pytest.raises(Forbidden):
        activation_code_issue(actor=world.admin_b, person=person)


def test_institution_page_issues_the_code_once_and_it_opens_the_account(issued, client):
    world, (certificate, _other) = issued
    person = certificate.person
    application = person.applications.get()
    url = reverse("web-activation-code", args=[application.session_id, application.pk])
    client.force_login(world.admin_b)
    assert client.post(url).status_code == 404
    client.force_login(world.assessors_a[0].user)  # staffed on the session, not an admin
    assert client.post(url).status_code == 403
    client.force_login(world.admin_a)
    roster = client.get(reverse("web-session-detail", args=[application.session_id])).content.decode()
    assert url in roster
    response = client.post(url)
    assert response.status_code == 200 and no_store(response)
    code = re.search(r'id="activation-code">([A-Z2-9-]+)<', response.content.decode()).group(1)
    assert person.document_number not in response.content.decode()
    client.logout()
    form = {"name": person.name, "document_number": person.document_number, "password": "Long-enough-pass-9"}
    assert activate(client, form, activation_code=code, username="holder").status_code == 302


def test_activation_code_is_single_use_and_expires(issued, client):
    world, (certificate, _other) = issued
    person = certificate.person
    old = activation_code_issue(actor=world.admin_a, person=person)
    code = activation_code_issue(actor=world.admin_a, person=person)
    form = {"name": person.name, "document_number": person.document_number, "password": "Long-enough-pass-9"}
    assert (
        "不匹配" in client.post(reverse("activate"), {**form, "activation_code": old, "username": "a"}).content.decode()
    )
    ActivationCode.objects.filter(person=person, voided_at__isnull=True).update(
        expires_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    )
    assert (
        "不匹配"
        in client.post(reverse("activate"), {**form, "activation_code": code, "username": "a"}).content.decode()
    )
    person.refresh_from_db()
    assert person.user_id is None
    fresh = activation_code_issue(actor=world.regulator, person=person)
    assert client.post(reverse("activate"), {**form, "activation_code": fresh, "username": "a"}).status_code == 302
    client.logout()
    second = {**form, "activation_code": fresh, "username": "b"}
    assert "不匹配" in client.post(reverse("activate"), second).content.decode()
    assert ActivationCode.objects.get(person=person, used_at__isnull=False)


def test_activation_failures_are_limited_per_person_and_client(issued, client, settings):
    settings.ACTIVATION_RATE_LIMIT_PER_PERSON = (3, 3600)
    world, (certificate, _other) = issued
    person = certificate.person
    code = activation_code_issue(actor=world.admin_a, person=person)
    form = {"name": person.name, "document_number": person.document_number, "password": "Long-enough-pass-9"}
    statuses = [
        client.post(
            reverse("activate"),
            {**form, "activation_code": f"WRONG-CODE{i}", "username": "guess"},
            REMOTE_ADDR="10.5.0.1",
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # Refused even with the right code from that client, and the message says how long.
    refused = client.post(
        reverse("activate"), {**form, "activation_code": code, "username": "me"}, REMOTE_ADDR="10.5.0.1"
    )
    assert refused.status_code == 429 and "请 60 分钟后再试" in refused.content.decode()
    person.refresh_from_db()
    assert person.user_id is None
    # The holder, from their own address, is not locked out.
    ok = activate(client, form, activation_code=code, username="me", ip="10.5.0.2")
    assert ok.status_code == 302


def test_guessing_a_code_from_many_clients_voids_the_code_after_a_few_failures(issued, client, settings):
    """Per-client limits alone would let a botnet guess a code; failures counted per person across
    all clients void the person's unused codes (nobody is locked out: a new code works at once)."""
    settings.ACTIVATION_CODE_MAX_FAILURES = 4
    world, (certificate, _other) = issued
    person = certificate.person
    code = activation_code_issue(actor=world.admin_a, person=person)
    form = {"name": person.name, "document_number": person.document_number, "password": "Long-enough-pass-9"}
    for i in range(4):
        response = client.post(
            reverse("activate"),
            {**form, "activation_code": f"WRONG-CODE{i}", "username": "guess"},
            REMOTE_ADDR=f"10.6.0.{i + 1}",
        )
        assert response.status_code == 200
    # The right code, from a fresh address, no longer opens the account.
    refused = activate(client, form, activation_code=code, username="me", ip="10.6.1.1")
    assert refused.status_code == 200
    person.refresh_from_db()
    assert person.user_id is None
    # A new code from the institution works at once.
    fresh = activation_code_issue(actor=world.admin_a, person=person)
    assert activate(client, form, activation_code=fresh, username="me", ip="10.6.1.1").status_code == 302


# --- 3. no echoes, no caching ---


def test_forms_never_render_the_id_number_or_code_back(issued, client):
    world, (certificate, _other) = issued
    person = certificate.person
    code = activation_code_issue(actor=world.admin_a, person=person)
    body = client.post(
        reverse("activate"),
        {
            "name": person.name,
            "document_number": person.document_number,
            "activation_code": code,
            "username": "zhang",
            "password": "short",  # refused: the page is shown again with errors
        },
    ).content.decode()
    assert "errors" in body
    assert person.document_number not in body and code not in body
    body = client.post(
        reverse("verify"), {"name": person.name, "document_number": person.document_number, "number": "bad"}
    ).content.decode()
    assert "证书编号格式不正确" in body and person.document_number not in body


def no_store(response) -> bool:
    value = response.get("Cache-Control", "")
    return "no-store" in value and "private" in value


def test_personal_pages_and_answers_are_never_cached(issued, client):
    world, (certificate, _other) = issued
    person = certificate.person
    data = {"name": person.name, "document_number": person.document_number, "number": certificate.number}
    assert no_store(client.post(reverse("verify"), data))
    assert no_store(client.get(reverse("verify")))
    assert no_store(client.get(f"/v/{certificate.verification_code}"))
    assert no_store(client.get(reverse("activate")))
    assert no_store(api().post("/api/verify/", data, format="json"))
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {factories_token(world.admin_a)}")
    assert no_store(token_client.get("/api/applications/"))
    client.force_login(world.admin_a)
    assert no_store(client.get(reverse("web-session-list")))
    assert no_store(client.get(reverse("web-session-detail", args=[world.session.pk])))
    user = factories.UserFactory()
    person.user = user
    person.save(update_fields=["user"])
    client.force_login(user)
    assert no_store(client.get(reverse("my-record")))
    client.logout()
    assert not no_store(client.get("/healthz"))


def factories_token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


# --- 4. revocation leads, no green check ---


def test_revoked_certificate_leads_with_revocation_date_and_reason_and_no_green_check(issued, client):
    world, (certificate, _other) = issued
    certificate_services.certificate_revoke(actor=world.regulator, certificate=certificate, reason="考核舞弊，依规撤销")
    certificate.refresh_from_db()
    page = share_page(client, certificate)
    result = re.search(r'<section class="card" id="verification-result">.*?</section>', page, re.S).group(0)
    day = timezone.localtime(certificate.revoked_at).date().isoformat()
    assert "撤销" in result and day in result and "考核舞弊，依规撤销" in result
    assert result.index("考核舞弊") < result.index(certificate.number)  # revocation first
    assert 'class="ok"' not in result and "验证通过" not in result and "证书有效" not in result
    answer = api().post("/api/verify/", {"code": certificate.verification_code}, format="json").json()
    assert answer["status"] == "revoked" and answer["revocation_reason"] == "考核舞弊，依规撤销"


def test_valid_certificate_shows_no_revocation_reason(issued, client):
    world, (certificate, _other) = issued
    answer = api().post("/api/verify/", {"code": certificate.verification_code}, format="json").json()
    assert answer["status"] == "valid" and answer["revocation_reason"] == ""
    assert "验证通过" in share_page(client, certificate)


# --- 5. sensitive reads are recorded ---


def test_regulator_reading_a_full_number_is_recorded(issued):
    world, (certificate, _other) = issued
    person = certificate.person
    url = f"/api/people/{person.pk}/document/"
    assert api(world.regulator).get(url).status_code == 400  # no purpose given
    assert not SensitiveRead.objects.exists()
    response = api(world.regulator).get(url, {"purpose": "核查举报"})
    assert response.status_code == 200 and response.json()["document_number"] == person.document_number
    read = SensitiveRead.objects.get()
    assert (read.user, read.person, read.purpose, read.path) == (world.regulator, person, "核查举报", url)
    assert no_store(response)


def test_others_cannot_read_a_full_number_and_nothing_is_recorded(issued, client):
    world, (certificate, _other) = issued
    person = certificate.person
    school_admin = factories.member(world.a, Role.SCHOOL_ADMIN)
    for user in (world.admin_a, world.admin_b, world.assessors_a[0].user, school_admin):
        response = api(user).get(f"/api/people/{person.pk}/document/", {"purpose": "x"})
        assert response.status_code == 403 and person.document_number not in response.content.decode()
        assert api(user).get("/api/people/999999/document/", {"purpose": "x"}).status_code == 403  # no oracle
    assert api().get(f"/api/people/{person.pk}/document/").status_code in (401, 403)
    # The holder's own page shows their form of the number and records nothing.
    user = factories.UserFactory()
    person.user = user
    person.save(update_fields=["user"])
    client.force_login(user)
    assert person.document_partial in client.get(reverse("my-record")).content.decode()
    assert not SensitiveRead.objects.exists()
