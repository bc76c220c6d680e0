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
        (lambda: member(InstitutionFactory(), Role.ASSESSOR), "/institution/"),
        (lambda: member(InstitutionFactory(), Role.SUPERVISOR), "/supervisor/"),
        (regulator, "/regulator/"),
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


def test_a_signed_in_user_changes_their_password_and_signs_in_with_the_new_one():
    user = worker_user()
    user.set_password(PW)
    user.save()
    client = signed_in(user)
    assert 'href="/accounts/password/change/"' in client.get("/verify/").content.decode()
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PW, "new_password1": "another-Passw0rd-2", "new_password2": "another-Passw0rd-2"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/done/"
    user.refresh_from_db()
    assert user.check_password("another-Passw0rd-2") and not user.check_password(PW)


def test_a_password_change_with_the_wrong_old_password_changes_nothing():
    user = worker_user()
    user.set_password(PW)
    user.save()
    response = signed_in(user).post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": "another-Passw0rd-2", "new_password2": "another-Passw0rd-2"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PW)


def test_password_reset_mails_a_link_that_sets_a_new_password(settings, mailoutbox):
    import re

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = worker_user()
    user.email = "worker@example.com"
    user.set_password(PW)
    user.save()
    assert 'href="/accounts/password/reset/"' in Client().get("/accounts/login/").content.decode()
    response = Client().post("/accounts/password/reset/", {"email": "worker@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["worker@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    client = Client()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and 'name="new_password1"' in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "reset-Passw0rd-3", "new_password2": "reset-Passw0rd-3"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password("reset-Passw0rd-3")
    assert "重设链接无效" in client.get(link, follow=True).content.decode()  # a used link does not work twice


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(mailoutbox):
    response = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/done/"
    assert mailoutbox == []


def test_the_home_page_says_who_the_site_is_for_and_how_each_starts():
    page = Client().get("/").content.decode()
    for section in ("劳动者", "评价机构和院校", "社会公众和用人单位"):
        assert section in page
    for link in ("/verify/", "/accounts/activate/", "/accounts/login/", "/publicity/"):
        assert f'href="{link}"' in page
    assert "激活码" in page


def test_the_home_page_offers_a_signed_in_worker_their_record_and_not_sessions():
    page = signed_in(worker_user()).get("/").content.decode()
    assert 'href="/me/"' in page and 'href="/institution/"' not in page and 'href="/accounts/activate/"' not in page
