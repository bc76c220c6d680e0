import pytest
from django.core.management import call_command
from django.urls import reverse

from registry.models import Filing, Institution, Occupation, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=open("/dev/null", "w"))


def test_demo_world_has_each_institution_kind_with_filings(demo):
    assert Occupation.objects.count() >= 30
    kinds = set(Institution.objects.values_list("kind", flat=True))
    assert kinds == set(Institution.Kind.values)
    for institution in Institution.objects.exclude(kind=Institution.Kind.CENTRE):
        assert institution.filings.filter(state=Filing.State.FILED).exists(), institution
    assert Person.objects.count() >= 6


def test_demo_loader_is_idempotent(demo):
    counts = [model.objects.count() for model in (Occupation, Institution, Filing, Person)]
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert [model.objects.count() for model in (Occupation, Institution, Filing, Person)] == counts


@pytest.mark.parametrize(
    "model",
    ["occupation", "standard", "institution", "filing", "person", "user"],
)
def test_admin_lists_the_demo_world(demo, admin_client, model):
    app = "registry"
    response = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200


def test_admin_person_page_shows_only_the_masked_number(demo, admin_client):
    person = Person.objects.first()
    response = admin_client.get(reverse("admin:registry_person_change", args=[person.pk]))
    body = response.content.decode()
    assert person.document_masked in body
    assert person.document_number not in body


def test_admin_search_does_not_match_full_id_numbers(demo, admin_client):
    # A GET search would carry the number in the URL: the admin does not offer it.
    person = Person.objects.first()
    response = admin_client.get(reverse("admin:registry_person_changelist"), {"q": person.document_number})
    assert person.document_masked not in response.content.decode()


def test_admin_filing_transition_goes_through_the_service(demo, admin_client):
    from registry.models import Membership, Role, User

    admin_user = User.objects.get(username="admin")
    Membership.objects.create(user=admin_user, institution=Institution.objects.get(kind="centre"), role=Role.REGULATOR)
    filing = Filing.objects.filter(state=Filing.State.FILED).first()
    url = reverse("admin:registry_filing_change", args=[filing.pk])
    admin_client.post(url, {"new_state": "suspended", "reason": "", **_inline_management()})
    filing.refresh_from_db()
    assert filing.state == Filing.State.FILED  # no reason: refused
    admin_client.post(url, {"new_state": "suspended", "reason": "督导发现问题", **_inline_management()})
    filing.refresh_from_db()
    assert filing.state == Filing.State.SUSPENDED
    assert filing.transitions.last().reason == "督导发现问题"


def _inline_management():
    data = {}
    for prefix in ("scopes", "transitions"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def test_health_and_home(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert "技能等级认证登记系统" in client.get("/").content.decode()


@pytest.mark.parametrize("model", ["session", "application", "result", "finding", "issuancebatch", "certificate"])
def test_certification_admin_pages_render(demo, admin_client, model):
    assert admin_client.get(reverse(f"admin:certification_{model}_changelist")).status_code == 200


def test_demo_centre_has_a_site_code_to_number_its_own_certificates(demo):
    centre = Institution.objects.get(kind=Institution.Kind.CENTRE)
    assert centre.site_code and len(centre.site_code) == 6
    # A database loaded before the centre had a code gets it on the next load, once.
    Institution.objects.filter(pk=centre.pk).update(site_code=None)
    call_command("load_demo", stdout=open("/dev/null", "w"))
    centre.refresh_from_db()
    assert centre.site_code == "000900"
