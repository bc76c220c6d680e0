"""The audit log (issue 12): an admin edit and a service change both appear on the regulator's
page with who made them and the old → new values; only the regulator reads it; no full ID
number is stored in history or shown on the page."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate
from registry.admin_site import OPERATORS_GROUP
from registry.models import Filing, Person, User
from registry.services import filing_transition
from tests import factories

from .conftest import ready_session

pytestmark = pytest.mark.django_db
AUDIT = reverse("regulator-audit")


def _operator() -> User:
    user = factories.UserFactory(is_staff=True)
    group, _ = Group.objects.get_or_create(name=OPERATORS_GROUP)
    group.permissions.add(*Permission.objects.filter(codename__in=["view_person", "change_person"]))
    user.groups.add(group)
    return user


def _page(client, viewer, **query):
    client.force_login(viewer)
    return client.get(AUDIT, query)


def test_an_admin_edit_appears_with_its_operator_and_the_old_and_new_name(world, client):
    person = factories.person(name="王五")
    operator = _operator()
    client.force_login(operator)
    response = client.post(reverse("admin:registry_person_change", args=[person.pk]), {"name": "王伍"})
    assert response.status_code == 302
    change = person.history.get(history_type="~")
    assert change.history_user == operator
    page = _page(client, world.regulator, kind="person", object_id=person.pk).content.decode()
    assert operator.username in page
    assert "王五" in page and "王伍" in page


def test_a_service_change_appears_with_its_actor_and_the_state_change(world, client):
    filing = world.a.filings.get()
    client.force_login(world.regulator)
    response = client.post(reverse("regulator-filing-suspend", args=[filing.pk]), {"reason": "督导发现问题"})
    assert response.status_code == 302
    assert Filing.objects.get(pk=filing.pk).state == Filing.State.SUSPENDED
    record = filing.history.filter(history_type="~").latest("history_date")
    assert record.history_user == world.regulator
    assert record.audit_institution == world.a.pk
    page = _page(client, world.regulator, kind="filing", institution=world.a.pk).content.decode()
    assert world.regulator.username in page
    assert str(Filing.State.FILED.label) in page and str(Filing.State.SUSPENDED.label) in page


def test_a_service_called_outside_a_request_records_its_actor(world):
    filing = world.a.filings.get()
    filing_transition(filing=filing, to_state=Filing.State.SUSPENDED, actor=world.regulator, reason="整改")
    assert filing.history.latest("history_date").history_user == world.regulator


def test_revocation_and_reissue_of_a_certificate_are_recorded(world, run, client):
    from certification.services.certificates import certificate_reissue, certificate_revoke

    run([ready_session(world, n=2)])
    first, second = Certificate.objects.order_by("number")
    certificate_reissue(actor=world.admin_a, certificate=first, reason="遗失")
    certificate_revoke(actor=world.regulator, certificate=second, reason="弄虚作假")
    revoked = second.history.latest("history_date")
    assert revoked.history_type == "~" and revoked.revocation_reason == "弄虚作假"
    assert revoked.history_user == world.regulator
    assert first.reissues.get().history.get().history_user == world.admin_a
    page = _page(client, world.regulator, institution=world.a.pk).content.decode()
    assert "弄虚作假" in page and "遗失" in page


def test_the_page_filters_by_user_and_date(world, client):
    filing = world.a.filings.get()
    filing_transition(filing=filing, to_state=Filing.State.SUSPENDED, actor=world.regulator, reason="整改")
    other = factories.person(name="赵六")
    response = _page(client, world.regulator, user=world.regulator.username)
    assert [e.user for e in response.context["entries"]] == [world.regulator.username]
    assert response.context["entries"][0].kind == "filing"
    # The filter's days are local (Asia/Shanghai) days, as a clerk reads them; between midnight
    # and 08:00 there the UTC date is the day before.
    day = timezone.localdate(filing.history.latest("history_date").history_date)
    response = _page(client, world.regulator, kind="person", object_id=other.pk, date_from=day, date_to=day)
    assert response.context["page"].paginator.count == 1
    response = _page(client, world.regulator, kind="person", date_from="2000-01-01", date_to="2000-01-02")
    assert response.context["page"].paginator.count == 0


def test_bad_filters_answer_400_with_the_field_named(world, client):
    response = _page(client, world.regulator, date_from="2026-06-02", date_to="2026-06-01", object_id="x")
    assert response.status_code == 400
    assert "截止日期早于起始日期" in response.content.decode()


def test_the_page_is_paginated(world, client):
    for i in range(30):
        factories.person(name=f"批量{i}")
    response = _page(client, world.regulator, kind="person")
    assert response.context["page"].paginator.num_pages >= 2
    assert len(response.context["entries"]) == 25
    second = _page(client, world.regulator, kind="person", page=2)
    assert second.status_code == 200 and second.context["entries"]


@pytest.mark.parametrize("who", ["admin_a", "admin_b", "anonymous_worker"])
def test_only_the_regulator_reads_the_audit_log(world, client, who):
    user = factories.UserFactory() if who == "anonymous_worker" else getattr(world, who)
    client.force_login(user)
    assert client.get(AUDIT).status_code == 403


def test_history_stores_no_document_number_and_the_page_shows_none(world, client):
    person = factories.person(name="钱七")
    Person.objects.filter(pk=person.pk)  # the row keeps its ciphertext; history must not
    fields = {f.name for f in Person.history.model._meta.get_fields()}
    assert not fields & {"document_ciphertext", "document_hash"}
    person.name = "钱柒"
    person.save()
    page = _page(client, world.regulator, kind="person").content.decode()
    assert "钱柒" in page
    for someone in Person.objects.all():
        assert someone.document_number not in page


def test_a_created_object_shows_the_values_it_was_created_with(world, client):
    person = factories.person(name="孔八")
    response = _page(client, world.regulator, kind="person", object_id=person.pk)
    (entry,) = response.context["entries"]
    assert entry.action == "新建"
    assert {"姓名": "孔八"}.items() <= {c.field: c.new for c in entry.changes}.items()


def test_the_page_costs_the_same_queries_for_one_change_or_many(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.regulator)
    person = factories.person(name="曹一")
    person.name = "曹二"
    person.save()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(AUDIT, {"kind": "person"}).status_code == 200
        return len(queries)

    few = count()
    for i in range(10):
        person.name = f"曹{i}"
        person.save()
    assert count() == few


def test_a_session_issued_by_a_batch_is_recorded_with_the_batch_creator(world, run):
    session = ready_session(world, n=1)
    run([session])
    session.refresh_from_db()
    assert session.state == "issued"
    record = session.history.latest("history_date")
    assert (record.state, record.history_user, record.audit_institution) == ("issued", world.admin_a, world.a.pk)
    assert record.prev_record.state == "submitted"
