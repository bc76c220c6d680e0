"""The public training and evaluation map (培训评价地图): only filings in force, filters by
occupation, level, evaluation type and district, the district grid, and no personal data."""

import datetime

import pytest
from django.urls import reverse

from certification.evaluation_map import MapFilter, map_entries
from certification.models import Session
from registry.levels import EvaluationType, Level
from registry.models import Filing
from tests import factories

from .conftest import ahead, enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapped(world):
    """A (浦东, filed: electrician 1–5) with an upcoming session; B (浦东) suspended; C (徐汇, filed:
    electrician 3 only, and a special-ability scope of another occupation); D filed but expired;
    E applied. All named so the page can be searched for them."""
    upcoming = world.plan()
    Session.objects.filter(pk=upcoming.pk).update(starts_on=ahead(10), ends_on=ahead(11))
    Filing.objects.filter(institution=world.b).update(state=Filing.State.SUSPENDED)
    c = factories.InstitutionFactory(name="机构C", district="310104")
    filing_c = factories.FilingFactory(institution=c)
    factories.ScopeFactory(filing=filing_c, occupation=world.electrician, levels=[Level.GRADE_3])
    other = factories.OccupationFactory(name="茶艺")
    factories.ScopeFactory(filing=filing_c, occupation=other, evaluation_type=EvaluationType.SPECIAL_ABILITY, levels=[])
    d = factories.InstitutionFactory(name="机构D")
    factories.ScopeFactory(
        filing__institution=d,
        filing__valid_from=datetime.date(2018, 1, 1),
        filing__valid_until=datetime.date(2020, 12, 31),
        occupation=world.electrician,
    )
    e = factories.InstitutionFactory(name="机构E")
    factories.ScopeFactory(filing__institution=e, filing__state=Filing.State.APPLIED, occupation=world.electrician)
    return world, upcoming, other


def names(entries):
    return sorted(e.institution.name for e in entries)


def test_only_filings_in_force_appear(mapped):
    entries, per_district = map_entries(MapFilter())
    assert names(entries) == ["机构A", "机构C"]  # not B (suspended), D (expired), E (applied)
    assert per_district == {"310115": 1, "310104": 1}


def test_filters_by_occupation_level_type_and_district(mapped):
    world, upcoming, other = mapped
    assert names(map_entries(MapFilter(level=Level.GRADE_1))[0]) == ["机构A"]
    assert names(map_entries(MapFilter(level=Level.GRADE_3))[0]) == ["机构A", "机构C"]
    assert names(map_entries(MapFilter(occupation_id=other.pk))[0]) == ["机构C"]
    assert names(map_entries(MapFilter(evaluation_type=EvaluationType.SPECIAL_ABILITY))[0]) == ["机构C"]
    entries, per_district = map_entries(MapFilter(district="310104"))
    assert names(entries) == ["机构C"]
    assert per_district["310115"] == 1  # the grid still counts the other districts


def test_upcoming_sessions_open_for_enrolment_are_listed(mapped):
    world, upcoming, _other = mapped
    (a,) = [e for e in map_entries(MapFilter())[0] if e.institution == world.a]
    assert [s.pk for s in a.sessions] == [upcoming.pk]  # not world.session: it has been held
    Session.objects.filter(pk=upcoming.pk).update(state=Session.State.CANCELLED)
    (a,) = [e for e in map_entries(MapFilter())[0] if e.institution == world.a]
    assert a.sessions == []
    (a,) = map_entries(MapFilter(level=Level.GRADE_3, district="310115"))[0]
    assert a.sessions == []  # the upcoming session is 五级


def test_public_page_filters_and_shows_no_personal_data(mapped, client):
    world, upcoming, _other = mapped
    application = enrol(world, session=upcoming, name="王小明")
    body = client.get(reverse("training-map")).content.decode()
    assert "机构A" in body and "机构C" in body
    assert "机构B" not in body and "机构D" not in body and "机构E" not in body
    assert ahead(10).isoformat() in body
    assert '<a class="district has" href="?district=310104#results" id="district-310104">' in body
    assert "王小明" not in body and application.person.document_masked not in body
    assert application.person.document_number not in body
    filtered = client.get(reverse("training-map"), {"district": "310104"}).content.decode()
    assert "机构C" in filtered and "机构A</h3>" not in filtered
    by_level = client.get(reverse("training-map"), {"level": Level.GRADE_1}).content.decode()
    assert "机构A" in by_level and "机构C</h3>" not in by_level


def test_bad_filter_is_a_400_with_a_message(mapped, client):
    response = client.get(reverse("training-map"), {"district": "999999", "level": "x"})
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()


def test_map_queries_do_not_grow_with_the_institutions(mapped, client, django_assert_max_num_queries):
    world, _upcoming, _other = mapped
    client.get(reverse("training-map"))
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("training-map"))
    baseline = len(few.captured_queries)
    for i in range(5):
        institution = factories.InstitutionFactory(name=f"新机构{i}", district="310110")
        factories.ScopeFactory(filing__institution=institution, occupation=world.electrician, levels=[1, 2])
    with django_assert_max_num_queries(baseline):
        body = client.get(reverse("training-map")).content.decode()
    assert body.count('class="card map-entry"') == 7
