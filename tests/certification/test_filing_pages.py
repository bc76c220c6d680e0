"""Issue 11: an institution admin applies for a filing scope in the browser, follows its state and
history, and withdraws it; the regulator decides it in the work queue; the filed scope can then
be planned. Another institution's filing is not found; bad input is a 400 that creates nothing."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from registry.levels import EvaluationType, Level
from registry.models import Filing, FilingTransition, Institution, Scope, Specialty
from tests import factories

pytestmark = pytest.mark.django_db

D = datetime.date


def login(client, user):
    client.force_login(user)
    return client


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def newcomer(world):
    """An employer with no filing yet, and its admin."""
    institution = factories.InstitutionFactory(name="新机构", kind=Institution.Kind.EMPLOYER)
    return institution, factories.member(institution)


def filing_form(institution, occupation, rows=None, **overrides) -> dict:
    rows = (
        rows
        if rows is not None
        else [{"evaluation_type": "skill_level", "occupation": occupation.pk, "levels": [1, 2]}]
    )
    data = {
        "institution": str(institution.pk),
        "valid_from": "2027-01-01",
        "valid_until": "2029-12-31",
        "scope-TOTAL_FORMS": "4",
        "scope-INITIAL_FORMS": "0",
        "scope-MIN_NUM_FORMS": "0",
        "scope-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"scope-{i}-{key}"] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data | overrides


def test_admin_applies_and_sees_the_state_and_history(world, client, newcomer):
    institution, admin = newcomer
    login(client, admin)
    page = client.get(reverse("web-filing-new")).content.decode()
    assert institution.name in page and world.a.name not in page  # only the admin's own institutions
    response = client.post(reverse("web-filing-new"), filing_form(institution, world.electrician))
    filing = Filing.objects.get(institution=institution)
    assert response.status_code == 302 and response.url == reverse("web-filing-detail", args=[filing.pk])
    assert (filing.state, filing.valid_from, filing.valid_until) == (
        Filing.State.APPLIED,
        D(2027, 1, 1),
        D(2029, 12, 31),
    )
    scope = filing.scopes.get()
    assert (scope.evaluation_type, scope.occupation, scope.levels) == ("skill_level", world.electrician, [1, 2])
    detail = client.get(response.url).content.decode()
    assert "已申请" in detail and "提交备案申请" in detail and str(Level.GRADE_4.label) in detail
    assert reverse("web-filing-detail", args=[filing.pk]) in client.get(reverse("web-filing-list")).content.decode()


def test_filing_round_trip_through_the_regulator_queue(world, client, newcomer):
    """Applied in the browser → listed in the queue → accepted and filed there with reasons → the
    institution sees both decisions and can plan a session in the new scope."""
    institution, admin = newcomer
    login(client, admin).post(
        reverse("web-filing-new"), filing_form(institution, world.electrician, valid_from="2026-01-01")
    )
    filing = Filing.objects.get(institution=institution)
    login(client, world.regulator)
    assert f'id="filing-{filing.pk}"' in client.get(reverse("regulator-queue")).content.decode()
    client.post(reverse("regulator-filing-accept", args=[filing.pk]), {"reason": "材料齐全，予以受理"})
    client.post(reverse("regulator-filing-file", args=[filing.pk]), {"reason": "现场核查合格"})
    filing.refresh_from_db()
    assert filing.state == Filing.State.FILED
    detail = login(client, admin).get(reverse("web-filing-detail", args=[filing.pk])).content.decode()
    assert "材料齐全，予以受理" in detail and "现场核查合格" in detail and "已备案" in detail
    assert f"{filing.scopes.get().pk}:{Level.GRADE_5}" in client.get(reverse("web-session-new")).content.decode()
    # Suspended by the regulator: the institution sees the state and the reason.
    login(client, world.regulator).post(
        reverse("regulator-filing-suspend", args=[filing.pk]), {"reason": "督导发现问题"}
    )
    detail = login(client, admin).get(reverse("web-filing-detail", args=[filing.pk])).content.decode()
    assert "限期整改" in detail and "督导发现问题" in detail
    # Revoked: the state, the reason, and nothing left for the institution to do.
    login(client, world.regulator).post(reverse("regulator-filing-revoke", args=[filing.pk]), {"reason": "整改不到位"})
    detail = login(client, admin).get(reverse("web-filing-detail", args=[filing.pk])).content.decode()
    assert "取消备案" in detail and "整改不到位" in detail and "withdraw-form" not in detail
    assert f"{filing.scopes.get().pk}:{Level.GRADE_5}" not in client.get(reverse("web-session-new")).content.decode()


def test_a_special_ability_scope_with_a_specialty_and_no_level(world, client, newcomer):
    institution, admin = newcomer
    specialty = Specialty.objects.create(occupation=world.electrician, name="维修电工")
    rows = [{"evaluation_type": "special_ability", "occupation": world.electrician.pk, "specialty": specialty.pk}]
    response = login(client, admin).post(reverse("web-filing-new"), filing_form(institution, world.electrician, rows))
    assert response.status_code == 302
    scope = Scope.objects.get(filing__institution=institution)
    assert (scope.evaluation_type, scope.specialty, scope.levels) == (EvaluationType.SPECIAL_ABILITY, specialty, [])


@pytest.mark.parametrize(
    "rows, overrides, message",
    [
        ([], {}, "备案须至少包含一项范围。"),
        ([{"evaluation_type": "skill_level", "occupation": "OCC", "levels": []}], {}, "须列出备案等级"),
        (
            [{"evaluation_type": "special_ability", "occupation": "OCC", "levels": [1]}],
            {},
            "专项职业能力考核不分等级。",
        ),
        ([{"evaluation_type": "qualification", "occupation": "OCC", "levels": [1]}], {}, "未列入国家职业资格目录"),
        ([{"evaluation_type": "skill_level", "levels": [1]}], {}, "请选择职业。"),
        (None, {"valid_until": "2026-12-31"}, "早于有效期起"),
        (None, {"scope-0-occupation": "999999"}, "999999"),
        (None, {"scope-0-levels": ["9"]}, "9"),
        (None, {"valid_from": "not a date"}, ""),
    ],
)
def test_bad_filing_input_is_a_400_naming_the_problem_and_creates_nothing(
    world, client, newcomer, rows, overrides, message
):
    institution, admin = newcomer
    if rows:
        rows = [{k: world.electrician.pk if v == "OCC" else v for k, v in row.items()} for row in rows]
    data = filing_form(institution, world.electrician, rows, **overrides)
    response = login(client, admin).post(reverse("web-filing-new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Filing.objects.filter(institution=institution).exists()


def test_an_overlapping_window_is_refused_with_the_services_message(world, client):
    response = login(client, world.admin_a).post(reverse("web-filing-new"), filing_form(world.a, world.electrician))
    assert response.status_code == 400 and "重叠" in response.content.decode()
    assert world.a.filings.count() == 1


def test_a_missing_management_form_is_a_400_not_a_500(world, client, newcomer):
    institution, admin = newcomer
    data = {k: v for k, v in filing_form(institution, world.electrician).items() if not k.startswith("scope-")}
    assert login(client, admin).post(reverse("web-filing-new"), data).status_code == 400
    assert not Filing.objects.filter(institution=institution).exists()


def test_filing_for_another_institution_is_refused(world, client, newcomer):
    institution, admin = newcomer
    response = login(client, admin).post(reverse("web-filing-new"), filing_form(world.b, world.electrician))
    assert response.status_code == 400  # not a choice offered to this admin
    assert world.b.filings.count() == 1


def test_another_institutions_filing_is_not_found(world, client):
    filing_b = world.b.filings.get()
    login(client, world.admin_a)
    assert client.get(reverse("web-filing-detail", args=[filing_b.pk])).status_code == 404
    assert client.post(reverse("web-filing-withdraw", args=[filing_b.pk]), {"reason": "x"}).status_code == 404
    assert f"filing-{filing_b.pk}" not in client.get(reverse("web-filing-list")).content.decode()
    filing_b.refresh_from_db()
    assert filing_b.state == Filing.State.FILED


def test_only_institution_admins_open_the_filing_pages(world, client):
    assert login(client, world.regulator).get(reverse("web-filing-list")).status_code == 403
    assert login(client, world.assessors_a[0].user).get(reverse("web-filing-new")).status_code == 403


def test_withdrawing_needs_a_reason_and_is_recorded(world, client):
    filing = world.a.filings.get()
    login(client, world.admin_a)
    response = client.post(reverse("web-filing-withdraw", args=[filing.pk]), {"reason": " "})
    assert response.status_code == 400 and "请填写理由" in response.content.decode()
    filing.refresh_from_db()
    assert filing.state == Filing.State.FILED
    response = client.post(reverse("web-filing-withdraw", args=[filing.pk]), {"reason": "不再开展该职业评价"})
    assert response.status_code == 302
    filing.refresh_from_db()
    transition = FilingTransition.objects.get(filing=filing)
    assert (filing.state, transition.actor, transition.reason) == ("withdrawn", world.admin_a, "不再开展该职业评价")
    assert "withdraw-form" not in client.get(reverse("web-filing-detail", args=[filing.pk])).content.decode()


def test_nav_links_show_for_institution_admins_only(world, client):
    links = (f'href="{reverse("web-filing-list")}"', f'href="{reverse("web-desk")}"')
    page = login(client, world.admin_a).get(reverse("verify")).content.decode()
    assert all(link in page for link in links)
    for user in (world.regulator, world.assessors_a[0].user):
        page = login(client, user).get(reverse("verify")).content.decode()
        assert not any(link in page for link in links)


def test_filing_pages_in_english(world, client):
    client.cookies["django_language"] = "en"
    page = login(client, world.admin_a).get(reverse("web-filing-detail", args=[world.a.filings.get().pk]))
    assert "Filed" in page.content.decode() and "已备案" not in page.content.decode()
