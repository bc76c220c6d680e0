"""Results publicity (成绩公示) and objections (异议): services, API and pages."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from certification import selectors
from certification.models import BatchFailure, Certificate, Objection, Result, ResultCorrection, Session
from certification.services import issuance, publicity
from certification.services.publicity import mask_name
from certification.views import publicity as publicity_views
from registry import identity
from registry.errors import DomainError, Forbidden
from registry.identity import mask_document_number

from .conftest import ISSUE_DAY, ready_session

pytestmark = pytest.mark.django_db


def in_publicity(world, n=2, failing=1, session=None) -> Session:
    """A submitted session whose publicity runs until today (inclusive)."""
    session = ready_session(world, n=n, failing=failing, session=session)
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=timezone.localdate())
    session.refresh_from_db()
    return session


def publicity_over(session):
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))


def results_of(session):
    return list(Result.objects.filter(application__session=session).select_related("application__person"))


def file(result, reason="成绩与实际不符", contact="13800000000"):
    return publicity.objection_file(result=result, reason=reason, contact=contact)


def run_chunks(batch):
    for chunk in batch.chunks.order_by("index"):
        issuance.chunk_issue(chunk_id=chunk.pk)


# --- the public form of a candidate ---


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳", "欧*"),
        ("李", "李*"),
        ("Anna Li", "A******"),
        ("", ""),
    ],
)
def test_mask_name_keeps_only_the_surname(name, masked):
    assert mask_name(name) == masked


def test_publicity_rows_show_the_public_form_only(world):
    session = in_publicity(world)
    rows = publicity.publicity_rows(session)
    people = {r.pk: r.application.person for r in results_of(session)}
    assert len(rows) == 3
    for row in rows:
        person = people[row.result_id]
        assert row.name == mask_name(person.name) and row.name != person.name
        # The one public mask of registry.identity (whatever it hides), never the full number.
        assert row.document == mask_document_number(person.document_number)
        assert person.document_number not in row.document
        assert row.occupation == world.electrician.name and row.level == session.get_level_display()
    # In the active language (another test may have switched it): 不合格 / 合格.
    failed, passed = str(Result.Outcome.FAILED.label), str(Result.Outcome.PASSED.label)
    assert sorted(r.outcome for r in rows) == sorted([failed, passed, passed])


# --- filing ---


def test_objection_only_during_the_results_publicity_period(world):
    session = in_publicity(world)
    result = results_of(session)[0]
    objection = file(result)
    assert (objection.state, objection.result, objection.contact) == ("open", result, "13800000000")
    publicity_over(session)
    with pytest.raises(DomainError) as caught:
        file(result)
    assert "公示期" in str(caught.value)
    assert Objection.objects.count() == 1


def test_a_republicised_result_takes_objections_in_its_own_period_alone(world):
    session = ready_session(world, n=2)  # the session's publicity is over
    corrected, other = results_of(session)
    publicity.correction_file(actor=world.admin_a, result=corrected, field="theory", value=50, reason="误录")
    file(corrected)
    with pytest.raises(DomainError):
        file(other)
    assert Objection.objects.get().result == corrected


def test_objection_needs_a_reason_and_a_contact(world):
    result = results_of(in_publicity(world))[0]
    with pytest.raises(DomainError) as caught:
        file(result, reason=" ", contact="")
    assert set(caught.value.message_dict) == {"reason", "contact"}
    assert not Objection.objects.exists()


# --- the hold ---


def test_an_open_objection_holds_that_candidate_only(world):
    session = in_publicity(world, n=3, failing=0)
    objected, *others = results_of(session)
    objection = file(objected)
    publicity_over(session)
    batch = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    run_chunks(batch)
    assert set(Certificate.objects.values_list("result_id", flat=True)) == {r.pk for r in others}
    failure = BatchFailure.objects.get(batch=batch)
    assert failure.result_id == objected.pk and "异议" in failure.reason
    session.refresh_from_db()
    assert (session.state, session.batch_id) == (Session.State.SUBMITTED, None)
    # Dismissed: the hold lifts and a follow-up batch certifies the candidate.
    publicity.objection_answer(actor=world.admin_a, objection=objection, text="经复核，评分无误")
    publicity.objection_resolve(actor=world.regulator, objection=objection, upheld=False, resolution="异议不成立")
    follow_up = issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY)
    run_chunks(follow_up)
    session.refresh_from_db()
    assert session.state == Session.State.ISSUED
    assert Certificate.objects.get(result=objected).batch == follow_up


# --- answer and resolution ---


def test_the_institution_answers_and_the_regulator_resolves_all_recorded(world):
    objection = file(results_of(in_publicity(world))[0])
    with pytest.raises(Forbidden):
        publicity.objection_answer(actor=world.admin_b, objection=objection, text="x")
    with pytest.raises(Forbidden):
        publicity.objection_resolve(actor=world.admin_a, objection=objection, upheld=False, resolution="x")
    with pytest.raises(DomainError):
        publicity.objection_answer(actor=world.admin_a, objection=objection, text=" ")
    publicity.objection_answer(actor=world.admin_a, objection=objection, text="已复核答卷")
    with pytest.raises(DomainError):  # answered once, in writing
        publicity.objection_answer(actor=world.admin_a, objection=objection, text="补充")
    with pytest.raises(DomainError):
        publicity.objection_resolve(actor=world.regulator, objection=objection, upheld=False, resolution="")
    publicity.objection_resolve(actor=world.regulator, objection=objection, upheld=False, resolution="依据不足")
    objection.refresh_from_db()
    assert (objection.answer, objection.answered_by, objection.state) == ("已复核答卷", world.admin_a, "dismissed")
    assert (objection.resolution, objection.resolved_by) == ("依据不足", world.regulator)
    assert objection.answered_at and objection.resolved_at
    with pytest.raises(DomainError):
        publicity.objection_resolve(actor=world.regulator, objection=objection, upheld=True, resolution="x")


def test_an_upheld_objection_corrects_through_the_audited_path(world):
    session = in_publicity(world)
    passed = next(r for r in results_of(session) if r.outcome == "passed")
    objection = file(passed, reason="该考生操作考核未完成")
    with pytest.raises(DomainError) as caught:  # upheld needs the correction
        publicity.objection_resolve(actor=world.regulator, objection=objection, upheld=True, resolution="属实")
    assert "field" in caught.value.message_dict
    publicity.objection_resolve(
        actor=world.regulator, objection=objection, upheld=True, resolution="属实", field="practical", value=30
    )
    objection.refresh_from_db()
    correction = objection.correction
    assert objection.state == "upheld"
    assert (correction.state, correction.field, correction.new_value, correction.corrected_by) == (
        ResultCorrection.State.APPLIED,
        "practical",
        "30.0",
        world.regulator,
    )
    assert f"异议 #{objection.pk}" in correction.reason
    passed.refresh_from_db()
    assert passed.outcome == "failed" and passed.publicity_ends_on is not None


def test_an_upheld_objection_that_would_pass_a_candidate_waits_for_approval(world):
    session = in_publicity(world)
    failed = next(r for r in results_of(session) if r.outcome == "failed")
    objection = file(failed, reason="漏计一题")
    publicity.objection_resolve(
        actor=world.regulator, objection=objection, upheld=True, resolution="属实", field="theory", value=70
    )
    objection.refresh_from_db()
    assert objection.correction.state == ResultCorrection.State.PENDING
    assert Result.objects.get(pk=failed.pk).outcome == "failed"


# --- API ---


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_objections_api_scoped_answered_and_resolved(world):
    objection = file(results_of(in_publicity(world))[0])
    admin, regulator = client_for(world.admin_a), client_for(world.regulator)
    assert [o["id"] for o in admin.get("/api/objections/").json()["results"]] == [objection.pk]
    assert client_for(world.admin_b).get("/api/objections/").json()["results"] == []
    assert client_for(world.admin_b).post(f"/api/objections/{objection.pk}/answer/", {"text": "x"}).status_code == 404
    assert admin.post(f"/api/objections/{objection.pk}/answer/", {"text": ""}).status_code == 400
    response = admin.post(f"/api/objections/{objection.pk}/answer/", {"text": "已复核"}, format="json")
    assert response.status_code == 200 and response.json()["answered_by"] == world.admin_a.username
    assert (
        admin.post(f"/api/objections/{objection.pk}/resolve/", {"upheld": False, "resolution": "x"}).status_code == 403
    )
    response = regulator.post(
        f"/api/objections/{objection.pk}/resolve/",
        {"upheld": True, "resolution": "属实", "field": "theory", "value": 20},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "upheld" and body["correction"] == objection.result.corrections.get().pk
    assert regulator.get("/api/objections/", {"state": "open"}).json()["results"] == []


def test_objections_list_query_count_does_not_grow(world, django_assert_max_num_queries):
    for result in results_of(in_publicity(world, n=3, failing=1)):
        file(result)
    with django_assert_max_num_queries(8):
        response = client_for(world.regulator).get("/api/objections/")
    assert response.json()["count"] == 4


# --- pages ---


def test_public_publicity_pages_list_and_mask(world, client):
    session = in_publicity(world)
    planned = world.plan(name="未提交")
    body = client.get(reverse("publicity-list")).content.decode()
    assert reverse("publicity-detail", args=[session.pk]) in body
    assert reverse("publicity-detail", args=[planned.pk]) not in body
    response = client.get(reverse("publicity-detail", args=[session.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for result in results_of(session):
        person = result.application.person
        assert person.document_number not in body and person.name not in body
        assert mask_name(person.name) in body and mask_document_number(person.document_number) in body
    # The objection form works without JavaScript; the page carries no inline script (the CSP).
    assert "<script>" not in body and 'name="reason"' in body
    assert client.get(reverse("publicity-detail", args=[planned.pk])).status_code == 404
    publicity_over(session)
    assert client.get(reverse("publicity-detail", args=[session.pk])).status_code == 404


def public_table(response) -> list[list[str]]:
    """The cells of the public results table, header first, tags and all (as text)."""
    table = re.search(r'<table id="publicity-results">.*?</table>', response.content.decode(), re.S).group(0)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd]>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]


def in_roster_order(session):
    return sorted(results_of(session), key=lambda r: r.application_id)


def test_publicity_page_shows_the_same_columns_as_before(world, client):
    """Masked name, the stored public form of the ID number, occupation, level, outcome (with
    the objection tag) and the last day (with the republicised tag), in roster order."""
    session = in_publicity(world, n=2, failing=1)
    results = in_roster_order(session)
    file(results[0])
    corrected_until = session.publicity_ends_on + datetime.timedelta(days=3)
    Result.objects.filter(pk=results[1].pk).update(publicity_ends_on=corrected_until)
    rows = public_table(client.get(reverse("publicity-detail", args=[session.pk])))
    assert rows[0] == ["姓名", "证件号码", "职业（工种）", "等级", "结果", "公示至"]
    ends = session.publicity_ends_on.isoformat()
    expected = []
    for result, until, tag in (
        (results[0], ends, ""),
        (results[1], corrected_until.isoformat(), " 更正后重新公示"),
        (results[2], ends, ""),
    ):
        person = result.application.person
        outcome = result.get_outcome_display() + (" 异议处理中" if result == results[0] else "")
        expected.append(
            [
                mask_name(person.name),
                mask_document_number(person.document_number),
                world.electrician.name,
                session.get_level_display(),
                outcome,
                until + tag,
            ]
        )
    assert rows[1:] == expected


def test_publicity_page_is_paged_and_a_page_past_the_end_shows_the_last(world, client, monkeypatch):
    monkeypatch.setattr(publicity_views, "PUBLICITY_PAGE_SIZE", 2)
    session = in_publicity(world, n=4, failing=1)
    names = [mask_name(r.application.person.name) for r in in_roster_order(session)]
    url = reverse("publicity-detail", args=[session.pk])
    pages = [[row[0] for row in public_table(client.get(url, {"page": n}))[1:]] for n in (1, 2, 3)]
    assert pages == [names[0:2], names[2:4], names[4:5]]
    body = client.get(url, {"page": 2}).content.decode()
    assert "第 2 / 3 页" in body and "?page=1#publicity-results" in body and "?page=3#publicity-results" in body
    past = client.get(url, {"page": 99})
    assert past.status_code == 200 and public_table(past)[1:] == public_table(client.get(url, {"page": 3}))[1:]
    assert public_table(client.get(url, {"page": "x"}))[1:] == public_table(client.get(url))[1:]
    # The objection form lists the page's candidates only, and keeps the page when posted.
    choices = re.search(r'<select name="result".*?</select>', body, re.S).group(0)
    assert choices.count("<option ") == 2 and f'action="{url}?page=2"' in body


def test_publicity_page_query_count_does_not_grow_with_candidates(world, client, django_assert_num_queries):
    """The same queries for 2 rows as for 20, on the first request (the candidates are counted)
    and on the next (the locked session's count is cached)."""
    small_session = in_publicity(world, n=1, failing=1)
    large_session = in_publicity(world, n=15, failing=5, session=world.plan(name="大批次"))
    for session in (small_session, large_session):
        file(results_of(session)[0])
    small_url = reverse("publicity-detail", args=[small_session.pk])
    large_url = reverse("publicity-detail", args=[large_session.pk])
    with CaptureQueriesContext(connection) as small_first:
        assert len(public_table(client.get(small_url))) == 1 + 2
    with CaptureQueriesContext(connection) as small_next:
        client.get(small_url)
    with django_assert_num_queries(len(small_first)):
        assert len(public_table(client.get(large_url))) == 1 + 20
    with django_assert_num_queries(len(small_next)):
        assert len(public_table(client.get(large_url))) == 1 + 20


def test_publicity_page_never_decrypts_nor_shows_a_full_id_number(world, client, monkeypatch):
    session = in_publicity(world)
    people = [r.application.person for r in results_of(session)]
    numbers = [p.document_number for p in people]

    def refuse(token):
        raise AssertionError("the public page decrypted an ID number")

    monkeypatch.setattr(identity, "decrypt", refuse)
    url = reverse("publicity-detail", args=[session.pk])
    body = client.get(url).content.decode()
    assert all(number not in body and mask_document_number(number) in body for number in numbers)
    response = client.post(url, {"result": results_of(session)[0].pk, "reason": "评分有误", "contact": "139"})
    assert response.status_code == 302 and Objection.objects.count() == 1


def test_after_its_period_the_page_shows_only_the_results_publicised_again(world, client):
    session = ready_session(world, n=2, failing=1)  # the session's own publicity is over
    corrected = in_roster_order(session)[1]
    publicity.correction_file(actor=world.admin_a, result=corrected, field="theory", value=50, reason="误录")
    rows = public_table(client.get(reverse("publicity-detail", args=[session.pk])))[1:]
    assert [row[0] for row in rows] == [mask_name(corrected.application.person.name)]
    assert rows[0][-1].endswith("更正后重新公示")


def test_one_sessions_rule_is_the_rule_of_all_results_in_publicity(world, run):
    """The page and the list decide the session's part of the rule in Python: the same results
    and sessions as the SQL rule in each case (own period, after it with a result publicised
    again, certified, planned)."""
    today = timezone.localdate()

    def same(session):
        session.refresh_from_db()
        mine = selectors.session_results(selectors.session_results_in_publicity(session, today), session.pk)
        every = selectors.results_in_publicity(today).filter(application__session=session)
        assert set(mine) == set(every)
        # The public list of sessions follows the same rule.
        assert selectors.sessions_in_publicity(today).filter(pk=session.pk).exists() == bool(every)
        return set(mine)

    session = in_publicity(world, n=2, failing=1)
    assert len(same(session)) == 3
    corrected, certified, objected = in_roster_order(session)  # passed, passed, failed
    file(objected)  # keeps the session submitted after its batch
    publicity_over(session)
    assert same(session) == set()
    publicity.correction_file(actor=world.admin_a, result=corrected, field="theory", value=50, reason="误录")
    assert same(session) == {corrected}
    run([session])
    assert Certificate.objects.get().result == certified and same(session) == {corrected}
    Result.objects.filter(pk=certified.pk).update(publicity_ends_on=today + datetime.timedelta(days=3))
    assert same(session) == {corrected}  # never a certified one
    Result.objects.filter(pk=corrected.pk).update(publicity_ends_on=today - datetime.timedelta(days=1))
    assert same(session) == set()
    assert same(world.plan(name="计划中")) == set()


def test_objection_on_a_later_page_is_taken_and_returns_to_that_page(world, client, monkeypatch):
    monkeypatch.setattr(publicity_views, "PUBLICITY_PAGE_SIZE", 2)
    session = in_publicity(world, n=2, failing=1)
    last = in_roster_order(session)[-1]
    url = reverse("publicity-detail", args=[session.pk])
    response = client.post(f"{url}?page=2", {"result": last.pk, "reason": "评分有误", "contact": "13900000000"})
    assert response.status_code == 302 and response.url == f"{url}?page=2"
    assert Objection.objects.get().result == last


def test_publicity_page_of_a_session_not_on_display_is_not_found_on_any_page(world, client):
    session = in_publicity(world)
    planned = world.plan(name="未提交")
    assert client.get(reverse("publicity-detail", args=[planned.pk]), {"page": 2}).status_code == 404
    publicity_over(session)
    assert client.get(reverse("publicity-detail", args=[session.pk]), {"page": 2}).status_code == 404


def test_objection_form_files_and_is_rate_limited_per_client(world, client, settings):
    settings.OBJECTION_RATE_LIMIT = (2, 3600)
    session = in_publicity(world)
    result = results_of(session)[0]
    url = reverse("publicity-detail", args=[session.pk])
    form = {"result": result.pk, "reason": "评分有误", "contact": "13900000000"}
    response = client.post(url, form, follow=True)
    assert response.status_code == 200 and "异议已提交" in response.content.decode()
    assert Objection.objects.get().reason == "评分有误"
    response = client.post(url, {**form, "reason": ""})
    assert response.status_code == 400 and Objection.objects.count() == 1
    response = client.post(url, form)
    assert response.status_code == 429 and "频繁" in response.content.decode()
    assert Objection.objects.count() == 1
    other = client.post(url, form, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302 and Objection.objects.count() == 2


def test_objection_form_refuses_a_result_of_another_session(world, client):
    session = in_publicity(world)
    foreign = ready_session(world, n=1, session=world.plan(name="另一批"))
    foreign_result = results_of(foreign)[0]
    response = client.post(
        reverse("publicity-detail", args=[session.pk]),
        {"result": foreign_result.pk, "reason": "x", "contact": "y"},
    )
    assert response.status_code == 400 and not Objection.objects.exists()
    # The choice field's own refusal, as when every candidate was a choice.
    assert str(foreign_result.pk) in response.context["form"].errors["result"][0]


def test_institution_answers_and_regulator_resolves_on_the_session_page(world, client):
    session = in_publicity(world)
    objection = file(results_of(session)[0])
    client.force_login(world.admin_a)
    page = client.get(reverse("web-session-detail", args=[session.pk])).content.decode()
    assert reverse("web-objection-answer", args=[objection.pk]) in page
    assert reverse("web-objection-resolve", args=[objection.pk]) not in page
    client.post(reverse("web-objection-answer", args=[objection.pk]), {"text": "经复核无误"})
    assert Objection.objects.get().answer == "经复核无误"
    client.force_login(world.regulator)
    page = client.get(reverse("web-session-detail", args=[session.pk])).content.decode()
    assert "经复核无误" in page and reverse("web-objection-resolve", args=[objection.pk]) in page
    client.post(
        reverse("web-objection-resolve", args=[objection.pk]), {"decision": "dismissed", "resolution": "不成立"}
    )
    objection.refresh_from_db()
    assert (objection.state, objection.resolved_by) == ("dismissed", world.regulator)


def test_regulator_approves_a_correction_request_on_the_session_page(world, client):
    session = ready_session(world, n=1, failing=1)
    failed = next(r for r in results_of(session) if r.outcome == "failed")
    correction = publicity.correction_file(actor=world.admin_a, result=failed, field="theory", value=70, reason="漏计")
    client.force_login(world.regulator)
    page = client.get(reverse("web-session-detail", args=[session.pk])).content.decode()
    assert reverse("web-correction-approve", args=[correction.pk]) in page
    client.post(reverse("web-correction-approve", args=[correction.pk]), {"note": "同意"})
    assert Result.objects.get(pk=failed.pk).outcome == "passed"


def test_an_open_objection_to_a_failed_result_keeps_the_session_open(world):
    """Upheld later, the objection's correction must still be possible: the session is not
    marked issued while it is open."""
    session = in_publicity(world, n=1, failing=1)
    failed = next(r for r in results_of(session) if r.outcome == "failed")
    objection = file(failed, reason="实操评分漏项")
    publicity_over(session)
    run_chunks(issuance.batch_create(actor=world.admin_a, sessions=[session], issue_date=ISSUE_DAY))
    session.refresh_from_db()
    assert (session.state, session.batch_id) == (Session.State.SUBMITTED, None)
    publicity.objection_resolve(
        actor=world.regulator, objection=objection, upheld=True, resolution="属实", field="practical", value=50
    )
    assert Result.objects.get(pk=failed.pk).corrections.get().state == ResultCorrection.State.APPLIED
