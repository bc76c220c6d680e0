"""Supervision in the browser's pages (issues 11 and 12): the supervisor's page, the regulator's
queue sections for sanctions and public reports, and the public report page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certification import services
from certification.models import Finding, Report, Sanction
from registry.models import Filing

from .test_regulator_queue import flashed, login

pytestmark = pytest.mark.django_db

PAGE = "/supervisor/"
QUEUE = "/regulator/"
REPORT = "/supervision/report/"


def attach(world):
    services.session_staff_assign(
        actor=world.admin_a, session=world.session, assessor=world.internal_supervisor, role="internal_supervisor"
    )


def finding_post(target, **fields):
    today = timezone.localdate()
    return {
        "target": target,
        "visit_date": today.isoformat(),
        "severity": "major",
        "deadline": (today + datetime.timedelta(days=10)).isoformat(),
        "text": "考场监控缺失",
    } | fields


def severe(world):
    return services.finding_open(
        actor=world.external_supervisor.user, institution=world.a, text="替考", severity="severe"
    )


# --- The supervisor's page ---


def test_supervisor_page_refuses_who_is_no_supervisor(world, client):
    assert login(client, world.assessors_a[0].user).get(PAGE).status_code == 403
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the sign-in page


def test_supervisor_files_a_finding_on_an_attached_session_and_sees_it_held(world, client):
    attach(world)
    login(client, world.internal_supervisor.user)
    page = client.get(PAGE).content.decode()
    assert f'id="supervised-{world.session.pk}"' in page
    response = client.post(PAGE, finding_post(f"session-{world.session.pk}"))
    assert response.status_code == 302
    finding = Finding.objects.get()
    assert (finding.session, finding.severity, finding.supervisor) == (
        world.session,
        "major",
        world.internal_supervisor,
    )
    page = client.get(PAGE).content.decode()
    assert f'id="my-finding-{finding.pk}"' in page and "未解除，暂停中" in page and "督导暂停" in page
    services.finding_clear(actor=world.regulator, finding=finding, clearance="已整改")
    page = client.get(PAGE).content.decode()
    assert "已解除" in page and "未解除，暂停中" not in page


def test_bad_finding_form_says_which_field_and_changes_nothing(world, client):
    attach(world)
    login(client, world.internal_supervisor.user)
    today = timezone.localdate()
    response = client.post(
        PAGE, finding_post(f"session-{world.session.pk}", deadline=(today - datetime.timedelta(days=1)).isoformat())
    )
    assert response.status_code == 400
    assert "整改期限" in response.content.decode() and "不能早于督导日期" in response.content.decode()
    response = client.post(PAGE, finding_post(f"session-{world.session.pk}", deadline="not-a-date"))
    assert response.status_code == 400 and 'id="finding-errors"' in response.content.decode()
    assert not Finding.objects.exists()


def test_supervisor_cannot_file_on_a_session_or_institution_not_theirs(world, client):
    attach(world)
    other = world.plan()  # not attached
    login(client, world.internal_supervisor.user)
    for target in (f"session-{other.pk}", f"institution-{world.b.pk}"):
        assert client.post(PAGE, finding_post(target)).status_code == 400
    assert client.post(PAGE, finding_post(f"institution-{world.a.pk}")).status_code == 302  # its own institution
    assert list(Finding.objects.values_list("institution", flat=True)) == [world.a.pk]


def test_navigation_shows_the_supervisor_page_to_supervisors_only(world, client):
    link = f'href="{PAGE}"'
    assert link in login(client, world.internal_supervisor.user).get("/verify/").content.decode()
    assert link in login(client, world.external_supervisor.user).get("/verify/").content.decode()
    assert link not in login(client, world.assessors_a[0].user).get("/verify/").content.decode()
    assert link not in login(client, world.admin_a).get("/verify/").content.decode()


# --- The regulator's queue: sanctions ---


def test_queue_lists_a_severe_finding_and_suspends_the_filing_with_a_reason(world, client):
    finding = severe(world)
    login(client, world.regulator)
    page = client.get(QUEUE).content.decode()
    assert f'id="sanction-{finding.pk}"' in page and f'id="finding-{finding.pk}"' in page
    url = reverse("regulator-finding-sanction", args=[finding.pk])
    response = client.post(url, {"kind": "suspend", "reason": " "})
    assert "请填写决定理由。" in flashed(response)
    assert world.a.filings.get().state == Filing.State.FILED and not Sanction.objects.exists()
    client.post(url, {"kind": "suspend", "reason": "严重违规，限期整改"})
    assert world.a.filings.get().state == Filing.State.SUSPENDED
    page = client.get(QUEUE).content.decode()
    assert f'id="sanction-{finding.pk}"' not in page and f'id="finding-{finding.pk}"' in page


def test_only_the_regulator_decides_sanctions_and_reports(world, client):
    finding = severe(world)
    report = services.report_file(institution=world.a, text="乱收费")
    login(client, world.admin_a)
    assert (
        client.post(
            reverse("regulator-finding-sanction", args=[finding.pk]), {"kind": "none", "reason": "x"}
        ).status_code
        == 403
    )
    assert client.post(reverse("regulator-report-dismiss", args=[report.pk]), {"note": "x"}).status_code == 403
    assert not Sanction.objects.exists() and Report.objects.get().state == Report.State.OPEN


# --- Social supervision ---


def test_anyone_reports_a_problem_without_an_id_number_or_contact(world, client):
    page = client.get(REPORT).content.decode()
    assert "document_number" not in page and world.a.name in page
    response = client.post(REPORT, {"institution": world.a.pk, "text": "考场有人代考", "contact": ""})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.institution, report.text, report.contact, report.state) == (world.a, "考场有人代考", "", "open")


def test_bad_report_says_why_and_creates_nothing(world, client):
    response = client.post(REPORT, {"institution": "999999", "text": ""})
    assert response.status_code == 400
    assert "请选择所反映的评价机构。" in response.content.decode()
    assert not Report.objects.exists()


def test_reports_are_rate_limited_per_client(world, client, settings):
    settings.REPORT_RATE_LIMIT = (2, 3600)
    for _ in range(2):
        assert client.post(REPORT, {"institution": world.a.pk, "text": "问题"}).status_code == 302
    response = client.post(REPORT, {"institution": world.a.pk, "text": "问题"})
    assert response.status_code == 429 and "频繁" in response.content.decode()
    assert Report.objects.count() == 2
    other = client.post(REPORT, {"institution": world.a.pk, "text": "问题"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_regulator_dismisses_a_report_from_the_queue(world, client):
    report = services.report_file(institution=world.a, text="乱收费", contact="a@example.com")
    login(client, world.regulator)
    assert f'id="report-{report.pk}"' in client.get(QUEUE).content.decode()
    response = client.post(reverse("regulator-report-dismiss", args=[report.pk]), {"note": ""})
    assert "请填写处理意见。" in flashed(response)
    client.post(reverse("regulator-report-dismiss", args=[report.pk]), {"note": "查无实据"})
    report.refresh_from_db()
    assert report.state == Report.State.DISMISSED
    assert f'id="report-{report.pk}"' not in client.get(QUEUE).content.decode()


def test_regulator_turns_a_report_into_a_finding_from_the_queue(world, client):
    report = services.report_file(institution=world.a, text="考场代考")
    login(client, world.regulator)
    url = reverse("regulator-report-finding", args=[report.pk])
    response = client.post(url, {"note": "立案", "severity": "severe", "deadline": "2026-13-40"})
    assert any("日期" in message for message in flashed(response))
    assert not Finding.objects.exists()
    deadline = timezone.localdate() + datetime.timedelta(days=20)
    client.post(url, {"note": "立案核查", "severity": "severe", "deadline": deadline.isoformat()})
    report.refresh_from_db()
    finding = report.finding
    assert report.state == Report.State.FINDING and finding.institution == world.a and finding.deadline == deadline
    page = client.get(QUEUE).content.decode()
    assert f'id="sanction-{finding.pk}"' in page  # severe: proposes a sanction


def test_queue_supervision_sections_cost_the_same_queries_for_one_item_or_many(
    world, client, django_assert_max_num_queries
):
    attach(world)

    def add_one():  # a severe finding on an institution and one on a session, and a public report
        severe(world)
        services.finding_open(
            actor=world.internal_supervisor.user, session=world.session, text="考场问题", severity="severe"
        )
        services.report_file(institution=world.b, text="乱收费")

    login(client, world.regulator)
    add_one()
    client.get(QUEUE)
    with django_assert_max_num_queries(40) as few:
        client.get(QUEUE)
    baseline = len(few.captured_queries)
    for _ in range(3):
        add_one()
    with django_assert_max_num_queries(baseline):
        page = client.get(QUEUE).content.decode()
    assert page.count('class="card sanction"') == 8 and page.count('class="card report"') == 4


def test_supervisor_sees_the_sanction_decided_on_their_finding(world, client):
    finding = severe(world)
    services.sanction_decide(actor=world.regulator, finding=finding, kind="suspend", reason="限期整改三十日")
    page = login(client, world.external_supervisor.user).get(PAGE).content.decode()
    assert f'id="my-finding-{finding.pk}"' in page and "限期整改三十日" in page


def test_api_lists_an_institution_findings_on_it_and_on_its_sessions(world, client):
    attach(world)
    on_session = services.finding_open(actor=world.internal_supervisor.user, session=world.session, text="考场问题")
    on_institution = severe(world)
    services.finding_open(actor=world.external_supervisor.user, institution=world.b, text="别家机构")
    rows = login(client, world.regulator).get("/api/findings/", {"institution": world.a.pk}).json()
    rows = rows.get("results", rows)
    assert {row["id"] for row in rows} == {on_session.pk, on_institution.pk}
    assert {row["severity"] for row in rows} == {"minor", "severe"}
    client.force_login(world.admin_b)  # another institution's admin sees neither
    rows = client.get("/api/findings/", {"institution": world.a.pk}).json()
    assert rows.get("results", rows) == []


def test_history_of_a_finding_from_a_report_names_the_regulator_and_the_sanction(world, client):
    """A finding made from a public report has no supervisor: its history names who opened it and
    lists the sanction decided on it (this page answered 500 before)."""
    report = services.report_file(institution=world.a, text="考场代考")
    login(client, world.regulator)
    deadline = timezone.localdate() + datetime.timedelta(days=20)
    client.post(
        reverse("regulator-report-finding", args=[report.pk]),
        {"note": "立案核查", "severity": "severe", "deadline": deadline.isoformat()},
    )
    finding = Report.objects.get(pk=report.pk).finding
    client.post(reverse("regulator-finding-sanction", args=[finding.pk]), {"kind": "suspend", "reason": "严重违规"})
    response = client.get(reverse("regulator-history", args=["finding", finding.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "督导发现已提出" in page and world.regulator.username in page
    assert "限期整改" in page and "严重违规" in page
