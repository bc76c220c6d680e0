"""Regulator queue additions: verification sweeps recorded by the throttle and listed in the
queue (digests only), and the history of each queue item (its transitions and decisions)."""

import pytest
from django.urls import reverse

from certification import services, throttle
from certification.models import Certificate, Result, Session, VerificationSweep
from certification.services import publicity
from certification.services.certificates import certificate_revoke
from registry.models import Filing
from registry.services import filing_transition
from tests import factories

from .conftest import TODAY, ready_session
from .test_regulator_queue import QUEUE, open_finding, pending_correction, pending_exceptional

pytestmark = pytest.mark.django_db


class FakeRequest:
    def __init__(self, ip="10.9.0.1", path="/verify/"):
        self.META = {"REMOTE_ADDR": ip}
        self.path = path


# --- (a) verification sweeps ---


def test_client_limit_records_one_sweep_per_window_without_the_address(db, settings):
    settings.VERIFY_RATE_LIMIT = (3, 60)
    request = FakeRequest()
    results = [throttle.verification_check(request) for _ in range(6)]
    assert [r is None for r in results] == [True, True, True, False, False, False]
    sweep = VerificationSweep.objects.get()  # the first refusal only, not one row per refused request
    assert sweep.limit == "client" and sweep.path == "/verify/"
    assert "10.9.0.1" not in sweep.client and len(sweep.client) == 24
    throttle.verification_check(FakeRequest(ip="10.9.0.2"))
    assert VerificationSweep.objects.count() == 1  # another client within its limit: nothing


def test_certificate_number_limit_records_a_sweep_with_the_numbers_digest(db, settings):
    settings.VERIFY_RATE_LIMIT_PER_NUMBER = (2, 86400)
    number = "S000031000000265000001"
    for i in range(4):  # spread over clients: the per-number limit is shared
        throttle.verification_check(FakeRequest(ip=f"10.8.0.{i}"), "310115199001010011", number)
    sweep = VerificationSweep.objects.get(limit="number")
    assert number not in sweep.subject and sweep.subject


def test_id_limit_and_activation_failures_record_sweeps(db, settings):
    settings.VERIFY_RATE_LIMIT_PER_ID = (1, 3600)
    settings.ACTIVATION_RATE_LIMIT_PER_PERSON = (2, 3600)
    request, id_number = FakeRequest(), factories.resident_id()
    throttle.verification_check(request, id_number)
    throttle.verification_check(request, id_number)
    throttle.activation_failed(request, id_number)
    assert not VerificationSweep.objects.filter(limit="person").exists()
    throttle.activation_failed(request, id_number)  # reaches the limit: refused from now on
    assert throttle.activation_check(request, id_number) is not None
    assert set(VerificationSweep.objects.values_list("limit", flat=True)) == {"id", "person"}
    assert all(id_number not in s.subject for s in VerificationSweep.objects.all())


def test_sweeps_are_listed_in_the_regulators_queue_only(world, client, settings):
    settings.VERIFY_RATE_LIMIT = (1, 60)
    for _ in range(2):
        client.get(reverse("verify-code", args=["no-such-code-123"]), REMOTE_ADDR="10.7.0.1")
    sweep = VerificationSweep.objects.get()
    client.force_login(world.regulator)
    page = client.get(QUEUE).content.decode()
    assert f"<code>{sweep.client}</code>" in page and "10.7.0.1" not in page
    assert "同一客户端查验次数" in page
    client.force_login(world.admin_a)
    assert client.get(QUEUE).status_code == 403


# --- (b) history of each item ---


def history(client, kind, pk):
    return client.get(reverse("regulator-history", args=[kind, pk]))


def test_filing_history_lists_each_transition_with_who_and_why(world, client):
    filing = factories.FilingFactory(state=Filing.State.APPLIED)
    filing_transition(filing=filing, to_state=Filing.State.ACCEPTED, actor=world.regulator, reason="材料齐全")
    client.force_login(world.regulator)
    queue = client.get(QUEUE).content.decode()
    assert reverse("regulator-history", args=["filing", filing.pk]) in queue
    body = history(client, "filing", filing.pk).content.decode()
    assert "提交备案申请" in body and "材料齐全" in body and str(world.regulator) in body


def test_correction_and_objection_history_show_the_results_decisions(world, client, run):
    session = ready_session(world, n=2, failing=1, session=world.plan(name="更正批次"))
    Session.objects.filter(pk=session.pk).update(publicity_ends_on=TODAY.replace(year=TODAY.year + 100))
    correction = pending_correction(world, session)
    passed = Result.objects.filter(application__session=session, outcome=Result.Outcome.PASSED).first()
    objection = publicity.objection_file(result=passed, reason="成绩与实际不符", contact="13800000000")
    services.objection_answer(actor=world.admin_a, objection=objection, text="已复核无误")
    client.force_login(world.regulator)
    queue = client.get(QUEUE).content.decode()
    assert reverse("regulator-history", args=["correction", correction.pk]) in queue
    body = history(client, "correction", correction.pk).content.decode()
    assert "复核发现漏计" in body and "报名" in body
    body = history(client, "objection", objection.pk).content.decode()
    assert "成绩与实际不符" in body and "已复核无误" in body
    assert "13800000000" not in body  # the objector's contact stays private
    for person in (correction.result.application.person, passed.application.person):
        assert person.document_number not in body


def test_application_and_finding_history(world, client):
    application = pending_exceptional(world)
    finding = open_finding(world, text="替考嫌疑")
    services.finding_clear(actor=world.regulator, finding=finding, clearance="已核实无替考")
    client.force_login(world.regulator)
    body = history(client, "application", application.pk).content.decode()
    assert "破格" in body and "技术革新成果突出" in body
    body = history(client, "finding", finding.pk).content.decode()
    assert "替考嫌疑" in body and "已核实无替考" in body


def test_certificate_history_shows_issue_and_revocation(world, client, run):
    run([ready_session(world, n=1)])
    certificate = Certificate.objects.get()
    certificate_revoke(actor=world.regulator, certificate=certificate, reason="考核舞弊")
    client.force_login(world.regulator)
    queue = client.get(QUEUE, {"number": certificate.number}).content.decode()
    assert reverse("regulator-history", args=["certificate", certificate.pk]) in queue
    body = history(client, "certificate", certificate.pk).content.decode()
    assert certificate.number in body and "撤销证书" in body and "考核舞弊" in body


def test_history_is_the_regulators_and_unknown_items_are_404(world, client):
    filing = world.a.filings.get()
    client.force_login(world.admin_a)
    assert history(client, "filing", filing.pk).status_code == 403
    client.force_login(world.regulator)
    assert history(client, "filing", 987654).status_code == 404
    assert history(client, "nonsense", filing.pk).status_code == 404
