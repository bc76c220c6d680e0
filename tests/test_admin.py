"""The admin: every page of the demo world answers, nothing that only a service may change can be
changed there, and only the registry's own operators get in (issue 10: it is not tenant-scoped)."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from registry.admin_site import OPERATORS_GROUP
from registry.levels import Level
from registry.models import Filing, Institution, Membership, Person, Role, Scope, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the demo batch issues its certificates
        call_command("load_demo", stdout=open("/dev/null", "w"))


def _url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


def test_every_admin_page_of_the_demo_world_answers_without_error(demo, admin_client):
    """For each registered model: the changelist, the add page (403 where adding is disabled on
    purpose) and the change page of up to 3 objects."""
    registered = admin.site._registry
    assert len(registered) >= 15
    request = type("R", (), {"user": User.objects.get(username="admin")})()
    for model, model_admin in registered.items():
        response = admin_client.get(_url(model, "changelist"))
        assert response.status_code == 200, (model, "changelist", response.status_code)
        expected = 200 if model_admin.has_add_permission(request) else 403
        response = admin_client.get(_url(model, "add"))
        assert response.status_code == expected, (model, "add", response.status_code)
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:3]:
            response = admin_client.get(_url(model, "change", pk))
            assert response.status_code == 200, (model, "change", pk, response.status_code)


def test_scope_str_with_levels_renders(demo):
    scope = Scope.objects.exclude(levels=[]).select_related("occupation").first()
    assert str(Level(scope.levels[0]).label) in str(scope)


def _formset(prefix, total=0, initial=0, rows=()):
    data = {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def test_the_scope_of_a_filed_filing_cannot_be_deleted_changed_or_added_in_the_admin(demo, admin_client):
    filing = Filing.objects.filter(state=Filing.State.FILED).first()
    scope = filing.scopes.first()
    before = list(filing.scopes.values_list("pk", "levels", "occupation_id"))
    rows = [{"id": str(scope.pk), "filing": str(filing.pk), "DELETE": "on", "levels": "[1]"}]
    data = {
        "new_state": "",
        "reason": "",
        **_formset("scopes", total=1, initial=1, rows=rows),
        **_formset("transitions"),
    }
    admin_client.post(_url(Filing, "change", filing.pk), data)
    extra = _formset("scopes", total=2, initial=1, rows=rows + [{"occupation": str(scope.occupation_id)}])
    admin_client.post(_url(Filing, "change", filing.pk), {**data, **extra})
    assert list(filing.scopes.values_list("pk", "levels", "occupation_id")) == before
    page = admin_client.get(_url(Filing, "change", filing.pk)).content.decode()
    assert 'name="scopes-0-DELETE"' not in page and 'name="scopes-0-levels"' not in page


def test_the_scope_of_an_applied_filing_stays_editable_in_the_admin(demo, admin_client):
    filing = Filing.objects.filter(state=Filing.State.FILED).first()
    filing.state = Filing.State.APPLIED
    filing.save(update_fields=["state"])
    page = admin_client.get(_url(Filing, "change", filing.pk)).content.decode()
    assert 'name="scopes-0-DELETE"' in page


def test_a_filing_cannot_be_deleted_in_the_admin(demo, admin_client):
    filing = Filing.objects.filter(state=Filing.State.FILED).first()
    response = admin_client.post(_url(Filing, "delete", filing.pk), {"post": "yes"})
    assert response.status_code == 403
    response = admin_client.post(
        _url(Filing, "changelist"), {"action": "delete_selected", "_selected_action": [filing.pk], "post": "yes"}
    )
    assert Filing.objects.filter(pk=filing.pk, state=Filing.State.FILED).exists()
    assert filing.scopes.exists()


def test_a_filing_state_is_not_a_field_of_the_admin_form(demo, admin_client):
    filing = Filing.objects.filter(state=Filing.State.FILED).first()
    data = {"state": "revoked", "new_state": "", "reason": "", **_formset("scopes"), **_formset("transitions")}
    admin_client.post(_url(Filing, "change", filing.pk), data)
    filing.refresh_from_db()
    assert filing.state == Filing.State.FILED and filing.transitions.filter(to_state="revoked").count() == 0


@pytest.mark.parametrize(
    "model_name", ["session", "application", "result", "certificate", "issuancebatch", "signingkey"]
)
def test_the_process_records_cannot_be_added_changed_or_deleted_in_the_admin(demo, admin_client, model_name):
    from django.apps import apps

    model = apps.get_model("certification", model_name)
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the demo world has no {model_name}"
    model_admin = admin.site._registry[model]
    request = type("R", (), {"user": User.objects.get(username="admin")})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)
    assert admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


# --- Issue 10: the admin is for the registry's operators only ---


def _institution_staff_with_view_rights() -> User:
    institution = Institution.objects.exclude(kind=Institution.Kind.CENTRE).first()
    user = User.objects.create_user("clerk", password="pw-clerk-123", is_staff=True)
    Membership.objects.create(user=user, institution=institution, role=Role.INSTITUTION_ADMIN)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


def test_institution_staff_with_view_rights_get_no_admin(demo, client):
    user = _institution_staff_with_view_rights()
    client.force_login(user)
    person = Person.objects.first()
    for url in (reverse("admin:index"), _url(Person, "changelist"), _url(Person, "change", person.pk)):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert reverse("admin:login") in response["Location"]
        assert person.name not in response.content.decode()


def test_registry_operators_and_regulator_staff_get_the_admin(demo, client):
    user = _institution_staff_with_view_rights()
    user.groups.add(Group.objects.get_or_create(name=OPERATORS_GROUP)[0])
    client.force_login(user)
    assert client.get(_url(Person, "changelist")).status_code == 200
    regulator = User.objects.create_user("inspector", is_staff=True)
    Membership.objects.create(
        user=regulator, institution=Institution.objects.get(kind=Institution.Kind.CENTRE), role=Role.REGULATOR
    )
    regulator.user_permissions.set(Permission.objects.filter(codename="view_person"))
    client.force_login(regulator)
    assert client.get(_url(Person, "changelist")).status_code == 200


def test_person_admin_shows_no_birth_date_and_no_full_number(demo, admin_client):
    people = list(Person.objects.exclude(birth_date=None)[:3])
    assert people
    listing = admin_client.get(_url(Person, "changelist")).content.decode()
    for person in people:
        page = admin_client.get(_url(Person, "change", person.pk)).content.decode()
        assert person.document_masked in page
        for body in (page, listing):
            assert person.document_number not in body
            assert person.document_number[6:14] not in body  # the birth date digits
            for shown in (person.birth_date.isoformat(), f"{person.birth_date:%Y年%-m月%-d日}"):
                assert shown not in body
            assert "出生日期" not in body


def test_admin_refuses_a_name_with_invisible_characters(demo, admin_client):
    person = Person.objects.filter(certificates__isnull=True).first()
    url = _url(Person, "change", person.pk)
    form = {
        "name": "张\u200b三",
        "user": "",
        "_save": "1",
    }
    for prefix in ("educations", "work_experiences", "prior_certificates", "trainings", "awards", "appointments"):
        form.update(_formset(prefix))
    response = admin_client.post(url, form)
    assert response.status_code == 200 and "不可见" in response.content.decode()
    person.refresh_from_db()
    assert "\u200b" not in person.name


def test_the_admin_binds_no_account_and_renames_no_certificate_holder(demo, admin_client):
    """An account is bound only by the holder's activation (one-time code), and a certificate
    holder's name is printed on issued certificates: neither changes in the admin."""
    holder = Person.objects.filter(certificates__isnull=False).distinct().first()
    stranger = User.objects.create_user("stranger", password="x-long-pass-123")
    form = {"name": "改名", "user": str(stranger.pk), "_save": "1"}
    for prefix in ("educations", "work_experiences", "prior_certificates", "trainings", "awards", "appointments"):
        form.update(_formset(prefix))
    before = (holder.name, holder.user_id)
    admin_client.post(_url(Person, "change", holder.pk), form)
    holder.refresh_from_db()
    assert (holder.name, holder.user_id) == before
    other = Person.objects.filter(certificates__isnull=True, user__isnull=True).first()
    admin_client.post(_url(Person, "change", other.pk), {**form, "name": other.name})
    other.refresh_from_db()
    assert other.user_id is None


def test_the_demo_regulator_keeps_the_holiday_calendar_in_the_admin(demo, client):
    from registry.models import CalendarYear

    client.force_login(User.objects.get(username="regulator"))
    assert client.get(_url(CalendarYear, "changelist")).status_code == 200
    assert client.get(_url(CalendarYear, "add")).status_code == 200
