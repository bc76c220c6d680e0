"""Server-rendered pages: access (no page shows another institution's data, or a full ID number
to anyone but its holder) and the behaviour of each screen."""

import re

import pytest
from django.urls import reverse

from certification.models import Certificate, Session
from certification.services import certificates as certificate_services
from certification.services.accounts import activation_code_issue
from registry.models import Institution, Role
from tests import factories

from .conftest import enrol, ready_session

pytestmark = pytest.mark.django_db
FULL_ID = re.compile(r"\b\d{17}[\dX]\b")


def no_full_id(body: str, *numbers: str) -> None:
    for number in numbers:
        assert number not in body


@pytest.fixture
def issued(world, run):
    session = ready_session(world, n=2)
    run([session])
    session.refresh_from_db()
    return world, session, list(Certificate.objects.select_related("person").order_by("number"))


def login(client, user):
    client.force_login(user)
    return client


# --- public verification page ---


def test_verify_page_by_form(issued, client):
    world, _, (certificate, _other) = issued
    person = certificate.person
    response = client.post(
        reverse("verify"),
        {"name": person.name, "document_number": person.document_number, "number": certificate.number},
    )
    body = response.content.decode()
    assert "证书有效" in body and certificate.number in body and person.document_masked in body
    no_full_id(body, person.document_number)
    assert not FULL_ID.search(body)


def test_verify_page_misses_look_alike(issued, client):
    world, _, (certificate, other) = issued
    person = certificate.person
    bodies = set()
    for name, number, cert in [
        ("错名", person.document_number, certificate.number),
        (person.name, other.person.document_number, certificate.number),
        (person.name, person.document_number, other.number),
    ]:
        body = client.post(
            reverse("verify"), {"name": name, "document_number": number, "number": cert}
        ).content.decode()
        bodies.add(re.search(r'<section class="card" id="verification-result">.*?</section>', body, re.S).group(0))
    assert len(bodies) == 1 and "未查询到" in bodies.pop()


def test_verify_page_rate_limited_with_a_clear_message(issued, client, settings):
    settings.VERIFY_RATE_LIMIT = (2, 60)
    world, _, (certificate, _other) = issued
    data = {"name": "x", "document_number": certificate.person.document_number, "number": certificate.number}
    codes = [client.post(reverse("verify"), data).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "查询过于频繁" in client.post(reverse("verify"), data).content.decode()


def test_verify_page_malformed_number_names_the_field(issued, client):
    world, _, (certificate, _other) = issued
    response = client.post(
        reverse("verify"), {"name": "x", "document_number": certificate.person.document_number, "number": "12345"}
    )
    assert response.status_code == 400 and "证书编号格式不正确" in response.content.decode()


# --- worker: activation and record ---


def activation_form(person, code, username="zhang", **overrides):
    return {
        "name": person.name,
        "document_number": person.document_number,
        "activation_code": code,
        "username": username,
        "password": "Long-enough-pass-9",
        **overrides,
    }


# The account used to open with name + ID number + certificate number: all three are on the
# certificate (and the ID number could be rebuilt from its old mask), so it now needs the
# one-time code handed to the holder.
def test_activation_with_the_one_time_code_then_record(issued, client):
    world, _, (certificate, other) = issued
    person = certificate.person
    code = activation_code_issue(actor=world.admin_a, person=person)
    other_code = activation_code_issue(actor=world.admin_a, person=other.person)
    wrong = client.post(reverse("activate"), activation_form(person, other_code))
    assert "不匹配" in wrong.content.decode()
    response = client.post(reverse("activate"), activation_form(person, code.lower().replace("-", " ")))
    assert response.status_code == 302
    body = client.get(reverse("my-record")).content.decode()
    assert certificate.number in body and other.number not in body
    assert f"/v/{certificate.verification_code}" in body
    no_full_id(body, person.document_number)
    assert person.document_partial in body
    client.logout()
    again = client.post(reverse("activate"), activation_form(person, code, username="zhang2"))
    assert "不匹配" in again.content.decode()


def test_activation_refuses_the_id_number_as_username(issued, client):
    world, _, (certificate, _other) = issued
    person = certificate.person
    code = activation_code_issue(actor=world.admin_a, person=person)
    body = client.post(reverse("activate"), activation_form(person, code, username=person.document_number))
    assert "身份证号码作用户名" in body.content.decode()
    person.refresh_from_db()
    assert person.user_id is None and person.activation_codes.get().used_at is None


# --- institution screens ---


def test_session_pages_are_scoped_to_the_institution(issued, client):
    world, session, (certificate, _other) = issued
    session_b = world.plan(institution=world.b, admin=world.admin_b, name="B的批次")
    login(client, world.admin_b)
    listing = client.get(reverse("web-session-list")).content.decode()
    assert "B的批次" in listing and f"#{session.pk} " not in listing
    for name in ("web-session-detail", "web-session-scores", "web-roster-template"):
        assert client.get(reverse(name, args=[session.pk])).status_code == 404, name
    assert client.get(reverse("web-batch-detail", args=[session.batch_id])).status_code == 404
    assert client.post(reverse("web-session-submit", args=[session.pk])).status_code == 404
    login(client, world.admin_a)
    body = client.get(reverse("web-session-detail", args=[session.pk])).content.decode()
    assert certificate.person.document_masked in body
    no_full_id(body, certificate.person.document_number)
    assert client.get(reverse("web-session-detail", args=[session_b.pk])).status_code == 404


def test_unassigned_assessor_sees_nothing_and_admin_cannot_score(issued, client):
    world, session, _ = issued
    login(client, world.assessors_a[4].user)
    assert client.get(reverse("web-session-detail", args=[session.pk])).status_code == 404
    login(client, world.admin_a)
    assert client.get(reverse("web-session-scores", args=[session.pk])).status_code == 403


def test_score_grid_saves_and_computes_the_outcome(world, client):
    world.staff(world.session)
    application = enrol(world)
    login(client, world.assessors_a[0].user)
    page = client.get(reverse("web-session-scores", args=[world.session.pk])).content.decode()
    assert f'name="theory-{application.pk}"' in page
    response = client.post(
        reverse("web-session-scores", args=[world.session.pk]),
        {f"theory-{application.pk}": "85", f"practical-{application.pk}": "59.5"},
    )
    assert response.status_code == 302
    application.result.refresh_from_db()
    assert application.result.outcome == "failed"


def test_score_grid_bad_value_saves_nothing_and_names_the_row(world, client):
    world.staff(world.session)
    first, second = enrol(world, name="甲"), enrol(world, name="乙")
    login(client, world.assessors_a[0].user)
    response = client.post(
        reverse("web-session-scores", args=[world.session.pk]),
        {f"theory-{first.pk}": "80", f"theory-{second.pk}": "180"},
    )
    body = response.content.decode()
    assert response.status_code == 400 and "0–100" in body and 'value="180"' in body
    first.result.refresh_from_db()
    assert first.result.theory is None


def test_submit_and_issue_from_the_session_page(world, client, django_capture_on_commit_callbacks):
    session = ready_session(world, n=2)
    Session.objects.filter(pk=session.pk).update(state="planned", publicity_ends_on=None)
    login(client, world.admin_a)
    client.post(reverse("web-session-submit", args=[session.pk]))
    session.refresh_from_db()
    assert session.state == "submitted"
    body = client.get(reverse("web-session-detail", args=[session.pk])).content.decode()
    assert "公示截止" in body
    response = client.post(reverse("web-session-issue", args=[session.pk]), follow=True)
    assert "公示" in response.content.decode()  # publicity not over: refused with the reason
    Session.objects.filter(pk=session.pk).update(publicity_ends_on="2020-01-01")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("web-session-issue", args=[session.pk]))
    assert response.status_code == 302
    progress = client.get(
        response.url.replace("/institution/batches/", "/institution/batches/") + "progress.json"
    ).json()
    assert progress["state"] == "done" and progress["issued"] == 2


# --- school screens ---


def test_school_cohort_page_counts_certificates_per_student(world, run, client):
    world.a.kind, world.a.school_files_as = Institution.Kind.SCHOOL, "social"
    world.a.save()
    school_admin = factories.member(world.a, Role.SCHOOL_ADMIN)
    session = ready_session(world, n=2, failing=1)
    run([session])
    login(client, school_admin)
    body = client.get(reverse("school-cohort")).content.decode()
    assert '<dd id="student-count">3</dd>' in body
    assert '<dd id="certificate-count">2</dd>' in body
    assert '<dd id="per-student">0.67</dd>' in body
    no_full_id(body, *[c.person.document_number for c in Certificate.objects.all()])
    login(client, world.admin_b)
    assert client.get(reverse("school-cohort")).status_code == 403


def test_revoked_certificate_shows_on_the_record(issued, client):
    world, _, (certificate, _other) = issued
    person = certificate.person
    person.user = factories.UserFactory()
    person.save()
    certificate_services.certificate_revoke(actor=world.regulator, certificate=certificate, reason="撤销")
    body = login(client, person.user).get(reverse("my-record")).content.decode()
    assert "已撤销" in body


def test_pages_switch_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("verify")).content.decode()
    assert "Verify a certificate" in body


def test_batch_page_reissues_a_certificate_by_number(issued, client):
    from certification.models import Reissue

    world, session, (certificate, _other) = issued
    login(client, world.admin_a)
    url = reverse("web-batch-reissue", args=[session.batch_id])
    body = client.post(url, {"number": certificate.number, "reason": ""}, follow=True).content.decode()
    assert "理由" in body and not Reissue.objects.exists()
    body = client.post(url, {"number": "S" + "0" * 21, "reason": "遗失"}, follow=True).content.decode()
    assert "没有编号" in body and not Reissue.objects.exists()
    body = client.post(url, {"number": certificate.number.lower(), "reason": "遗失"}, follow=True).content.decode()
    assert "已于" in body and Reissue.objects.get().certificate == certificate
    # Typed full-width and grouped by spaces, as people copy it from a printed certificate.
    full_width = certificate.number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    spaced = " ".join([full_width[:1], full_width[1:7], full_width[7:13], full_width[13:]])
    body = client.post(url, {"number": spaced, "reason": "损毁"}, follow=True).content.decode()
    assert "已于" in body and Reissue.objects.filter(certificate=certificate).count() == 2
    assert Certificate.objects.count() == 2
    login(client, world.admin_b)
    assert client.post(url, {"number": certificate.number, "reason": "遗失"}).status_code == 404
    assert Reissue.objects.count() == 2


def test_batch_page_estimates_the_unreported_count_past_the_limit(issued, client, monkeypatch):
    """Counted up to the API's limit, past it the database's estimate, said to be one (约)."""
    from registry.api import pagination

    world, session, _certificates = issued
    login(client, world.admin_a)
    url = reverse("web-batch-detail", args=[session.batch_id])
    assert "本批次尚有约" not in client.get(url).content.decode()
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 1)
    page = client.get(url).content.decode()
    shown = int(re.search(r'<strong id="unreported-count">(\d+)</strong>', page).group(1))
    assert "本批次尚有约" in page and shown >= 2 and "report.xlsx" in page


def test_batch_page_links_the_report_and_marks_it_reported(issued, client):
    world, session, (certificate, other) = issued
    login(client, world.admin_a)
    page = client.get(reverse("web-batch-detail", args=[session.batch_id])).content.decode()
    assert '<strong id="unreported-count">2</strong>' in page
    assert (
        f"/api/batches/{session.batch_id}/report.xlsx" in page and f"/api/batches/{session.batch_id}/report.csv" in page
    )
    no_full_id(page, certificate.person.document_number, other.person.document_number)
    report = client.get(f"/api/batches/{session.batch_id}/report.csv")
    assert report.status_code == 200 and certificate.person.document_number in report.content.decode("utf-8-sig")
    client.post(reverse("web-batch-mark-reported", args=[session.batch_id]))
    assert set(Certificate.objects.values_list("reported_by", flat=True)) == {world.admin_a.pk}
    page = client.get(reverse("web-batch-detail", args=[session.batch_id])).content.decode()
    assert '<strong id="unreported-count">0</strong>' in page and "report.xlsx" not in page
