"""Every list a person reads is searched, filtered and paged: the institution's sessions, a
session's candidates, the score grid and the API lists. Pages are stable (no row twice, none
lost), another institution's rows never appear, and the number of queries does not grow with
the number of rows."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from certification import services
from certification.models import Certificate, Session
from certification.views import institution as institution_views
from registry.api import pagination
from registry.levels import Level
from tests import factories

from .conftest import TODAY, enrol, held_on, ready_session

pytestmark = pytest.mark.django_db
SESSION_LINK = re.compile(r'href="/institution/sessions/(\d+)/"')


def signed_in(client, user):
    client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def listed(response) -> list[int]:
    table = re.search(r'<table id="sessions">.*?</table>', response.content.decode(), re.S).group(0)
    return [int(pk) for pk in SESSION_LINK.findall(table)]


def plan_many(world, n, institution=None, admin=None, **kwargs):
    return [world.plan(institution=institution, admin=admin, **kwargs) for _ in range(n)]


# --- the institution's session list ---


def test_session_list_pages_are_stable_and_complete(world, client, monkeypatch):
    monkeypatch.setattr(institution_views, "SESSION_PAGE_SIZE", 2)
    plan_many(world, 4)
    mine = set(Session.objects.filter(institution=world.a).values_list("pk", flat=True))
    signed_in(client, world.admin_a)
    pages = [listed(client.get(reverse("web-session-list"), {"page": n})) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [pk for page in pages for pk in page]
    assert len(seen) == len(set(seen)) and set(seen) == mine
    body = client.get(reverse("web-session-list"), {"page": 2}).content.decode()
    assert "?page=1" in body and "?page=3" in body


def test_session_list_never_shows_another_institutions_sessions(world, client):
    theirs = plan_many(world, 2, institution=world.b, admin=world.admin_b)
    signed_in(client, world.admin_a)
    for query in ({}, {"q": str(theirs[0].pk)}, {"q": "机构B"}, {"state": "planned"}):
        shown = listed(client.get(reverse("web-session-list"), query))
        assert not set(shown) & {s.pk for s in theirs}
    assert listed(client.get(reverse("web-session-list"), {"q": str(world.session.pk)})) == [world.session.pk]


def test_session_list_filters_by_state_level_occupation_and_dates(world, client):
    grade_4 = world.plan(level=Level.GRADE_4)
    later = held_on(world.plan(), starts_on=TODAY + datetime.timedelta(days=10))
    Session.objects.filter(pk=later.pk).update(state=Session.State.SUBMITTED)
    signed_in(client, world.admin_a)
    url = reverse("web-session-list")
    assert listed(client.get(url, {"level": Level.GRADE_4})) == [grade_4.pk]
    assert listed(client.get(url, {"state": "submitted"})) == [later.pk]
    assert set(listed(client.get(url, {"state": "planned"}))) == {world.session.pk, grade_4.pk}
    assert listed(client.get(url, {"starts_after": str(TODAY + datetime.timedelta(days=1))})) == [later.pk]
    assert later.pk not in listed(client.get(url, {"starts_before": str(TODAY)}))
    assert len(listed(client.get(url, {"occupation": world.electrician.pk}))) == 3
    assert "没有符合条件的评价批次" in client.get(url, {"q": "no such site"}).content.decode()


def test_session_list_bad_filter_is_a_400_naming_the_field(world, client):
    signed_in(client, world.admin_a)
    response = client.get(reverse("web-session-list"), {"starts_after": "2026-13-45", "state": "nonsense"})
    body = response.content.decode()
    assert response.status_code == 400
    assert "考核日期从" in body and "状态" in body


def test_session_list_counts_candidates_and_caches_them_once_locked(world, client):
    session = ready_session(world, n=2)
    signed_in(client, world.admin_a)
    body = client.get(reverse("web-session-list")).content.decode()
    assert re.search(rf'/institution/sessions/{session.pk}/".*?<td>2</td>', body, re.S)
    with CaptureQueriesContext(connection) as cached:
        client.get(reverse("web-session-list"))
    assert not any("GROUP BY" in q["sql"] and "certification_application" in q["sql"] for q in cached)


def test_session_list_query_count_does_not_grow_with_sessions(world, client, django_assert_max_num_queries):
    signed_in(client, world.admin_a)
    client.get(reverse("web-session-list"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("web-session-list"))
    plan_many(world, 6)
    for session in Session.objects.all()[:3]:
        enrol(world, session=session, name="甲")
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("web-session-list"))
    assert len(large) == len(small), [q["sql"][:100] for q in large.captured_queries]
    with django_assert_max_num_queries(12):
        client.get(reverse("web-session-list"))


# --- a session's candidates ---


def roster(response) -> list[str]:
    table = re.search(r'<table id="roster">.*?</table>', response.content.decode(), re.S).group(0)
    return re.findall(r"<tr><td>\d+</td><td>([^<]+)</td>", table)


def test_roster_is_paged_and_stable(world, client, monkeypatch):
    monkeypatch.setattr(institution_views, "ROSTER_PAGE_SIZE", 2)
    for i in range(5):
        enrol(world, name=f"考生{i}")
    signed_in(client, world.admin_a)
    url = reverse("web-session-detail", args=[world.session.pk])
    pages = [roster(client.get(url, {"page": n})) for n in (1, 2, 3)]
    assert pages == [["考生0", "考生1"], ["考生2", "考生3"], ["考生4"]]
    body = client.get(url, {"page": 2}).content.decode()
    assert "考生名单（5）" in body and "第 2 / 3 页" in body


def test_roster_search_by_name_number_and_certificate(world, client, run):
    session = ready_session(world, n=3)
    run([session])
    certificate = Certificate.objects.select_related("person").order_by("number").last()
    signed_in(client, world.admin_a)
    url = reverse("web-session-detail", args=[session.pk])
    assert roster(client.get(url, {"q": certificate.person.name})) == [certificate.person.name]
    spaced = " ".join(certificate.number[i : i + 4] for i in range(0, 22, 4)).lower()
    assert roster(client.get(url, {"q": spaced})) == [certificate.person.name]
    application = certificate.result.application
    assert roster(client.get(url, {"q": str(application.pk)})) == [certificate.person.name]
    assert "没有符合条件的考生" in client.get(url, {"q": "无此人"}).content.decode()


def test_roster_search_never_reaches_another_institutions_candidates(world, client, run):
    session = ready_session(world, n=1)
    run([session])
    certificate = Certificate.objects.get()
    theirs = world.plan(institution=world.b, admin=world.admin_b)
    signed_in(client, world.admin_b)
    url = reverse("web-session-detail", args=[theirs.pk])
    assert roster(client.get(url, {"q": certificate.number})) == []
    assert client.get(reverse("web-session-detail", args=[session.pk]), {"q": certificate.number}).status_code == 404


def test_roster_query_count_does_not_grow_with_candidates(world, client, django_assert_max_num_queries):
    enrol(world, name="甲")
    signed_in(client, world.admin_a)
    url = reverse("web-session-detail", args=[world.session.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(6):
        enrol(world, name=f"乙{i}")
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small), [q["sql"][:100] for q in large.captured_queries]


# --- the score grid ---


def test_score_grid_is_paged_and_saving_a_page_keeps_the_others(world, client, monkeypatch):
    monkeypatch.setattr(institution_views, "SCORES_PAGE_SIZE", 2)
    world.staff(world.session)
    applications = [enrol(world, name=f"考生{i}") for i in range(3)]
    assessor = world.assessors_a[0].user
    services.result_record(actor=assessor, application=applications[0], theory=70, practical=75)
    signed_in(client, assessor)
    url = reverse("web-session-scores", args=[world.session.pk])
    body = client.get(url, {"page": 2}).content.decode()
    assert f'data-application="{applications[2].pk}"' in body
    assert f'data-application="{applications[0].pk}"' not in body
    last = applications[2].pk
    response = client.post(f"{url}?page=2", {f"theory-{last}": "90", f"practical-{last}": "91"})
    assert response.status_code == 302 and response.url.endswith("?page=2")  # back to the page saved
    applications[0].result.refresh_from_db()
    applications[2].result.refresh_from_db()
    assert (applications[0].result.theory, applications[0].result.practical) == (70, 75)
    assert (applications[2].result.theory, applications[2].result.practical) == (90, 91)


# --- the API lists ---


def test_api_applications_of_a_session_are_paged_with_an_exact_count(world):
    for i in range(3):
        enrol(world, name=f"考生{i}")
    client = api(world.admin_a)
    first = client.get("/api/applications/", {"session": world.session.pk, "page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert first["count"] == 3 and first["count_is_estimate"] is False
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 3


def test_api_count_past_the_limit_is_the_planners_estimate(world, monkeypatch):
    """PostgreSQL: the planner's row estimate (the suite runs on PostgreSQL)."""
    monkeypatch.setattr(pagination, "EXACT_COUNT_LIMIT", 2)
    for i in range(4):
        enrol(world, name=f"考生{i}")
    page = api(world.regulator).get("/api/applications/", {"page_size": 2}).json()
    assert page["count_is_estimate"] is True and page["count"] >= 3
    assert len(page["results"]) == 2


def enrol_at_b(world, session, name):
    """A candidate of institution B's session, enrolled by B's admin."""
    from registry.services import person_register

    from .conftest import worked

    number = factories.resident_id()
    person = person_register(document_type="resident_id", document_number=number, name=name)
    worked(person, world.electrician, 2.0)
    return services.application_enrol(actor=world.admin_b, session=session, name=name, document_number=number, on=TODAY)


def results_of(user, session, **params) -> dict:
    return api(user).get("/api/results/", {"session": session.pk, **params}).json()


def test_api_results_of_a_session_are_paged_complete_and_its_own(world):
    # Another session's candidate enrolled between them: its id lies inside this session's range.
    other = world.plan()
    mine = [enrol(world, name="考生0"), enrol(world, session=other, name="别批考生")][:1]
    mine += [enrol(world, name=f"考生{i}") for i in (1, 2)]
    first = results_of(world.admin_a, world.session, page_size=2)
    second = api(world.admin_a).get(first["next"]).json()
    assert first["count"] == 3 and first["count_is_estimate"] is False and second["next"] is None
    rows = first["results"] + second["results"]
    assert [row["application"] for row in rows] == [a.pk for a in mine]
    assert {row["session"] for row in rows} == {world.session.pk}
    assert results_of(world.regulator, world.session)["count"] == 3
    assert results_of(world.admin_a, world.plan()) == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
        "count_is_estimate": False,
    }


def test_api_results_never_show_another_institutions_session(world):
    enrol(world, name="甲")
    theirs = world.plan(institution=world.b, admin=world.admin_b)
    enrol_at_b(world, theirs, "乙")
    assert results_of(world.admin_b, world.session)["results"] == []
    assert results_of(world.admin_a, theirs)["results"] == []
    assert [row["person"]["name"] for row in results_of(world.admin_b, theirs)["results"]] == ["乙"]
    assert api(world.admin_a).get("/api/results/").json()["count"] == 1


def test_api_results_query_count_does_not_grow_with_candidates(world, django_assert_num_queries):
    for i in range(2):
        enrol(world, name=f"甲{i}")
    client = api(world.admin_a)
    url = f"/api/results/?session={world.session.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url).json()["results"]) == 2
    for i in range(18):
        enrol(world, name=f"乙{i}")
    with django_assert_num_queries(len(small)):
        assert len(client.get(url).json()["results"]) == 20


def test_api_certificate_search_by_number(world, run):
    session = ready_session(world, n=3)
    run([session])
    certificate = Certificate.objects.order_by("number").first()
    for user in (world.admin_a, world.regulator):
        found = api(user).get("/api/certificates/", {"search": certificate.number.lower()}).json()
        assert [row["number"] for row in found["results"]] == [certificate.number]
    assert api(world.admin_b).get("/api/certificates/", {"search": certificate.number}).json()["results"] == []
    assert api(world.admin_b).get("/api/certificates/").json()["count"] == 0


def test_api_certificate_list_is_newest_first_and_stable(world, run):
    session = ready_session(world, n=3)
    run([session])
    client = api(world.admin_a)
    first = client.get("/api/certificates/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert ids == sorted(Certificate.objects.values_list("pk", flat=True), reverse=True)


def test_api_certificate_list_query_count_does_not_grow(world, run, django_assert_max_num_queries):
    first = ready_session(world, n=1)
    run([first])
    client = api(world.admin_a)
    client.get("/api/certificates/")
    with CaptureQueriesContext(connection) as small:
        client.get("/api/certificates/")
    ready_session(world, n=4, session=world.plan())
    run([Session.objects.filter(state=Session.State.SUBMITTED).get()])
    with CaptureQueriesContext(connection) as large:
        assert client.get("/api/certificates/").json()["count"] == 5
    assert len(large) == len(small)
    with django_assert_max_num_queries(8):
        client.get("/api/certificates/")


def test_worker_still_sees_own_applications_and_certificates(world, run):
    session = ready_session(world, n=1)
    run([session])
    certificate = Certificate.objects.select_related("person").get()
    user = factories.UserFactory()
    certificate.person.user = user
    certificate.person.save(update_fields=["user"])
    client = api(user)
    assert [row["id"] for row in client.get("/api/certificates/").json()["results"]] == [certificate.pk]
    assert client.get("/api/applications/").json()["count"] == 1
