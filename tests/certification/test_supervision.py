"""Quality supervision (issue 12): findings on a session or an institution with severity and a
rectification deadline; the sanction a severe or overdue finding proposes, decided by the
regulator through the filing's state machine, and its effect on planning and issuance; the
public's reports that the regulator dismisses or turns into findings."""

import datetime

import pytest

from certification import selectors, services
from certification.models import Certificate, Finding, IssuanceBatch, Report, Sanction, Session
from certification.services.supervision import DEFAULT_RECTIFICATION_DAYS, proposes_sanction
from registry.errors import DomainError, Forbidden
from registry.models import Filing, FilingTransition

from .conftest import ready_session

D = datetime.date
VISIT = D(2026, 5, 20)
DEADLINE = D(2026, 6, 20)


def on_institution(world, severity="minor", deadline=DEADLINE, institution=None, actor=None):
    return services.finding_open(
        actor=actor or world.external_supervisor.user,
        institution=institution or world.a,
        text="档案管理不规范",
        severity=severity,
        visit_date=VISIT,
        deadline=deadline,
        today=D(2026, 5, 21),
    )


def attach(world, supervisor=None, role="internal_supervisor"):
    services.session_staff_assign(
        actor=world.regulator if role == "external_supervisor" else world.admin_a,
        session=world.session,
        assessor=supervisor or world.internal_supervisor,
        role=role,
    )


# --- Findings ---


def test_external_supervisor_files_a_finding_on_any_institution(world):
    finding = on_institution(world, severity="major", institution=world.b)
    assert finding.is_open and finding.session is None and finding.target_institution == world.b
    assert (finding.severity, finding.visit_date, finding.deadline) == ("major", VISIT, D(2026, 6, 20))
    assert finding.supervisor == world.external_supervisor and finding.opened_by == world.external_supervisor.user


def test_internal_supervisor_files_only_on_their_own_institution(world):
    assert on_institution(world, actor=world.internal_supervisor.user).target_institution == world.a
    with pytest.raises(Forbidden):
        on_institution(world, actor=world.internal_supervisor.user, institution=world.b)
    with pytest.raises(Forbidden):
        on_institution(world, actor=world.assessors_a[0].user)
    assert Finding.objects.count() == 1


def test_session_finding_holds_the_session_and_gets_a_default_deadline(world):
    attach(world)
    finding = services.finding_open(
        actor=world.internal_supervisor.user, session=world.session, text="监考不足", visit_date=VISIT, today=VISIT
    )
    assert finding.deadline == VISIT + datetime.timedelta(days=DEFAULT_RECTIFICATION_DAYS)
    assert finding.institution is None and finding.target_institution == world.a
    assert selectors.session_is_held(world.session)
    (supervised,) = selectors.supervised_sessions(world.internal_supervisor.user)
    assert supervised == world.session and supervised.held
    assert not selectors.supervised_sessions(world.assessors_a[0].user).exists()


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"text": " "}, "text"),
        ({"severity": "catastrophic"}, "severity"),
        ({"visit_date": D(2026, 5, 22)}, "visit_date"),
        ({"deadline": D(2026, 5, 19)}, "deadline"),
    ],
)
def test_bad_finding_names_the_field_and_creates_nothing(world, fields, field):
    values = {"text": "问题", "severity": "minor", "visit_date": VISIT, "deadline": None} | fields
    with pytest.raises(DomainError) as caught:
        services.finding_open(actor=world.external_supervisor.user, institution=world.a, today=D(2026, 5, 21), **values)
    assert field in caught.value.message_dict
    assert not Finding.objects.exists()


def test_a_finding_is_on_a_session_or_an_institution_not_both(world):
    attach(world)
    with pytest.raises(DomainError):
        services.finding_open(
            actor=world.internal_supervisor.user, session=world.session, institution=world.a, text="x"
        )
    with pytest.raises(DomainError):
        services.finding_open(actor=world.internal_supervisor.user, text="x")
    assert not Finding.objects.exists()


def test_institution_finding_is_seen_by_its_admin_and_not_by_another_institution(world):
    finding = on_institution(world)
    assert finding in selectors.findings_for(world.admin_a)
    assert finding not in selectors.findings_for(world.admin_b)
    assert finding in selectors.findings_for(world.external_supervisor.user)


# --- Sanctions ---


def test_minor_finding_proposes_a_sanction_only_once_overdue(world):
    finding = on_institution(world, deadline=D(2026, 6, 20))
    assert not proposes_sanction(finding, D(2026, 6, 20))
    assert finding not in selectors.findings_proposing_sanction(D(2026, 6, 20))
    assert proposes_sanction(finding, D(2026, 6, 21))
    assert finding in selectors.findings_proposing_sanction(D(2026, 6, 21))
    with pytest.raises(DomainError):  # not yet overdue: nothing to decide, nothing changed
        services.sanction_decide(
            actor=world.regulator, finding=finding, kind="suspend", reason="逾期", today=D(2026, 6, 20)
        )
    assert world.a.filings.get().state == Filing.State.FILED


def test_cleared_finding_proposes_nothing(world):
    finding = on_institution(world, severity="severe")
    assert finding in selectors.findings_proposing_sanction(D(2026, 5, 21))
    services.finding_clear(actor=world.regulator, finding=finding, clearance="已整改")
    assert not selectors.findings_proposing_sanction(D(2026, 7, 1)).exists()


def test_suspension_moves_the_filing_and_stops_planning_and_issuance(world, run):
    session = ready_session(world)
    finding = on_institution(world, severity="severe")
    sanction = services.sanction_decide(
        actor=world.regulator, finding=finding, kind="suspend", reason="严重违规，限期整改", today=D(2026, 5, 21)
    )
    filing = world.a.filings.get()
    assert filing.state == Filing.State.SUSPENDED and sanction.filing == filing
    transition = FilingTransition.objects.get(filing=filing, to_state=Filing.State.SUSPENDED)
    assert transition.actor == world.regulator and transition.reason == "严重违规，限期整改"
    assert finding not in selectors.findings_proposing_sanction(D(2026, 5, 21))  # decided
    with pytest.raises(DomainError) as caught:
        world.plan()
    assert "scope" in caught.value.message_dict
    with pytest.raises(DomainError) as caught:
        run([session])
    assert "备案" in str(caught.value)
    assert not IssuanceBatch.objects.exists() and not Certificate.objects.exists()
    assert Session.objects.filter(institution=world.a).count() == 1


def test_revocation_of_an_overdue_session_finding_revokes_the_session_scope_filing(world):
    attach(world)
    finding = services.finding_open(
        actor=world.internal_supervisor.user,
        session=world.session,
        text="替考",
        visit_date=VISIT,
        deadline=D(2026, 5, 25),
        today=VISIT,
    )
    services.sanction_decide(
        actor=world.regulator, finding=finding, kind="revoke", reason="逾期未整改", today=D(2026, 6, 1)
    )
    assert Filing.objects.get(pk=world.session.scope.filing_id).state == Filing.State.REVOKED
    with pytest.raises(DomainError) as caught:  # a revoked filing plans nothing
        world.plan()
    assert "scope" in caught.value.message_dict
    assert world.b.filings.get().state == Filing.State.FILED  # another institution untouched


def test_no_sanction_leaves_the_filing_and_removes_the_proposal(world):
    finding = on_institution(world, severity="severe")
    sanction = services.sanction_decide(
        actor=world.regulator, finding=finding, kind="none", reason="情节轻微", today=D(2026, 5, 21)
    )
    assert sanction.kind == Sanction.Kind.NONE
    assert world.a.filings.get().state == Filing.State.FILED
    assert not FilingTransition.objects.filter(to_state=Filing.State.SUSPENDED).exists()
    assert not selectors.findings_proposing_sanction(D(2026, 5, 21)).exists()
    assert finding.is_open  # the finding itself stays open until cleared


def test_sanction_refused_to_others_without_reason_twice_or_with_a_bad_kind(world):
    finding = on_institution(world, severity="severe")
    with pytest.raises(Forbidden):
        services.sanction_decide(actor=world.admin_a, finding=finding, kind="none", reason="x", today=D(2026, 5, 21))
    for kind, reason in (("suspend", " "), ("close", "x")):
        with pytest.raises(DomainError):
            services.sanction_decide(
                actor=world.regulator, finding=finding, kind=kind, reason=reason, today=D(2026, 5, 21)
            )
    assert not Sanction.objects.exists() and world.a.filings.get().state == Filing.State.FILED
    services.sanction_decide(
        actor=world.regulator, finding=finding, kind="suspend", reason="整改", today=D(2026, 5, 21)
    )
    with pytest.raises(DomainError):
        services.sanction_decide(
            actor=world.regulator, finding=finding, kind="revoke", reason="再", today=D(2026, 5, 21)
        )
    assert world.a.filings.get().state == Filing.State.SUSPENDED


def test_a_second_suspension_of_a_suspended_filing_is_recorded_without_a_move(world):
    first, second = on_institution(world, severity="severe"), on_institution(world, severity="severe")
    for finding in (first, second):
        services.sanction_decide(
            actor=world.regulator, finding=finding, kind="suspend", reason="整改", today=D(2026, 5, 21)
        )
    assert Sanction.objects.count() == 2
    assert FilingTransition.objects.filter(to_state=Filing.State.SUSPENDED).count() == 1


# --- Social supervision ---


def test_anyone_reports_and_the_regulator_dismisses_with_a_note(world):
    report = services.report_file(institution=world.a, text="收费不规范", contact="")
    assert report.state == Report.State.OPEN
    with pytest.raises(Forbidden):
        services.report_dismiss(actor=world.admin_a, report=report, note="x")
    with pytest.raises(DomainError):
        services.report_dismiss(actor=world.regulator, report=report, note=" ")
    report.refresh_from_db()
    assert report.state == Report.State.OPEN
    services.report_dismiss(actor=world.regulator, report=report, note="查无实据")
    report.refresh_from_db()
    assert (report.state, report.decided_by, report.note) == ("dismissed", world.regulator, "查无实据")
    with pytest.raises(DomainError):
        services.report_to_finding(actor=world.regulator, report=report, note="再议")
    assert not Finding.objects.exists()


def test_report_becomes_an_institution_finding_that_can_propose_a_sanction(world):
    report = services.report_file(institution=world.a, text="考场代考", contact="13800000000")
    finding = services.report_to_finding(
        actor=world.regulator, report=report, note="立案核查", severity="severe", deadline=D(2026, 7, 1), today=VISIT
    )
    report.refresh_from_db()
    assert report.state == Report.State.FINDING and report.finding == finding
    assert finding.target_institution == world.a and finding.supervisor is None and finding.opened_by == world.regulator
    assert finding.text == "考场代考" and finding in selectors.findings_proposing_sanction(VISIT)


@pytest.mark.parametrize(
    "fields, field",
    [({"text": ""}, "text"), ({"text": "x" * 2001}, "text"), ({"contact": "1" * 101}, "contact")],
)
def test_bad_report_names_the_field_and_creates_nothing(world, fields, field):
    values = {"institution": world.a, "text": "问题", "contact": ""} | fields
    with pytest.raises(DomainError) as caught:
        services.report_file(**values)
    assert field in caught.value.message_dict
    assert not Report.objects.exists()


def test_report_on_no_institution_or_the_regulator_centre_is_refused(world):
    centre = world.regulator.memberships.get().institution
    for institution in (None, centre):
        with pytest.raises(DomainError) as caught:
            services.report_file(institution=institution, text="问题")
        assert "institution" in caught.value.message_dict
    assert not Report.objects.exists()
