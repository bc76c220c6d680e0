"""Navigation, start pages, error pages, password change and reset (issue 11, "Everyone"):
each role sees and lands on what it can use, and every page a user meets is the site's own."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.models import Institution, Role
from tests.factories import InstitutionFactory, UserFactory, member, person, regulator

pytestmark = pytest.mark.django_db
PW = "a-long-Passw0rd-1"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def worker_user():
    user = UserFactory()
    worker = person()
    worker.user = user
    worker.save(update_fields=["user"])
    return user


def school_admin():
    return member(InstitutionFactory(kind=Institution.Kind.SCHOOL, school_files_as="social"), Role.SCHOOL_ADMIN)


def nav_links(user) -> set[str]:
    page = signed_in(user).get("/verify/").content.decode()
    return {href for href in ("/me/", "/institution/", "/school/") if f'href="{href}"' in page}


def test_navigation_shows_a_worker_only_their_record():
    assert nav_links(worker_user()) == {"/me/"}


def test_navigation_shows_institution_staff_the_sessions_and_not_a_worker_record():
    assert nav_links(member(InstitutionFactory())) == {"/institution/"}
    assert nav_links(regulator()) == {"/institution/"}
    assert nav_links(member(InstitutionFactory(), Role.ASSESSOR)) == {"/institution/"}


def test_navigation_shows_the_school_page_only_to_school_admins():
    assert nav_links(school_admin()) == {"/institution/", "/school/"}


def test_navigation_shows_a_user_with_no_role_neither_record_nor_sessions():
    assert nav_links(UserFactory()) == set()


def test_navigation_costs_a_constant_number_of_queries():
    counts = []
    for user in (UserFactory(), worker_user(), school_admin(), regulator()):
        client = signed_in(user)
        with CaptureQueriesContext(connection) as queries:
            client.get("/verify/")
        counts.append(len(queries))
    assert max(counts) <= min(counts) + 1


@pytest.mark.parametrize(
    "make, target",
    [
        (worker_user, "/me/"),
        (school_admin, "/school/"),
        (lambda: member(InstitutionFactory()), "/institution/"),
        (lambda: member(InstitutionFactory(), Role.SUPERVISOR), "/institution/"),
        (regulator, "/institution/"),
        (UserFactory, "/"),
    ],
)
def test_sign_in_lands_each_role_on_its_own_start_page(make, target):
    user = make()
    user.set_password(PW)
    user.save()
    response = Client().post("/accounts/login/", {"username": user.username, "password": PW}, follow=True)
    assert response.redirect_chain[-1][0] == target


def test_sign_in_with_next_goes_to_next():
    user = worker_user()
    user.set_password(PW)
    user.save()
    response = Client().post("/accounts/login/?next=/verify/", {"username": user.username, "password": PW})
    assert response.status_code == 302 and response["Location"] == "/verify/"


def in_language(client: Client, language: str) -> Client:
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize(
    "language, site, reason",
    [("zh-hans", "技能等级认证登记系统", "页面不存在"), ("en", "Skill-level certification registry", "Page not found")],
)
def test_a_missing_page_is_the_sites_own_404_in_the_users_language(settings, language, site, reason):
    settings.DEBUG = False
    response = in_language(Client(), language).get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404 and site in page and reason in page


@pytest.mark.parametrize(
    "language, site, reason",
    [
        ("zh-hans", "技能等级认证登记系统", "只有院校管理员可以查看本页。"),
        ("en", "Skill-level certification registry", "Only school administrators can view this page."),
    ],
)
def test_a_refusal_is_the_sites_own_403_with_the_services_reason(settings, language, site, reason):
    settings.DEBUG = False
    response = in_language(signed_in(member(InstitutionFactory())), language).get("/school/")
    page = response.content.decode()
    assert response.status_code == 403 and site in page and reason in page


def test_a_server_error_is_the_sites_own_500_page_without_a_request_context():
    from django.test import RequestFactory
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500 and "技能等级认证登记系统" in page and "服务出错" in page
