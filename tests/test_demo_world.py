"""The demo (issue 11): something in every screen, the README's accounts and verification triple
true, and `make demo` pointing links at the port it runs on."""

import re
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from certification.demo import HELD_SESSION, OPEN_SESSION, PUBLICITY_SESSION, READY_SESSION, SCHOOL_SESSION
from certification.models import Application, Certificate, Finding, Objection, ResultCorrection, Session
from certification.services.certificates import certificate_by_query
from registry.models import Filing, User
from registry.selectors import user_roles

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=open("/dev/null", "w"))


def test_the_demo_has_a_session_in_each_state_and_work_waiting_for_each_role(demo):
    sessions = {s.name: s for s in Session.objects.all()}
    today = timezone.localdate()
    assert sessions[OPEN_SESSION].state == Session.State.PLANNED and sessions[OPEN_SESSION].starts_on > today
    assert sessions[OPEN_SESSION].applications.filter(state=Application.State.ENROLLED).exists()
    assert sessions[OPEN_SESSION].applications.filter(state=Application.State.PENDING_APPROVAL).exists()  # 破格
    held = sessions[HELD_SESSION]
    assert held.state == Session.State.PLANNED and held.ends_on < today
    assert Finding.objects.filter(session=held, cleared_at__isnull=True).exists()
    publicity = sessions[PUBLICITY_SESSION]
    assert publicity.state == Session.State.SUBMITTED and publicity.publicity_ends_on >= today
    assert Objection.objects.filter(result__application__session=publicity, state=Objection.State.OPEN).exists()
    assert ResultCorrection.objects.filter(
        result__application__session=publicity, state=ResultCorrection.State.PENDING
    ).exists()
    ready = sessions[READY_SESSION]
    assert ready.state == Session.State.SUBMITTED and ready.publicity_ends_on < today and ready.batch_id is None
    assert ready.applications.count() >= 10  # enough chunks for the progress bar to move
    assert Session.objects.filter(state=Session.State.ISSUED).exists()
    assert Filing.objects.filter(state=Filing.State.APPLIED).exists()
    from certification.models import Promotion

    assert Promotion.objects.filter(state=Promotion.State.PENDING).exists()  # a competition award's
    school = sessions[SCHOOL_SESSION]
    assert school.institution.kind == "school"
    assert school.applications.filter(pathway=Application.Pathway.SCHOOL_GROUP, state="enrolled").count() >= 3


def test_the_demo_world_is_loaded_once(demo):
    counts = [m.objects.count() for m in (Session, Certificate, Finding, Objection, ResultCorrection, Filing)]
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert [m.objects.count() for m in (Session, Certificate, Finding, Objection, ResultCorrection, Filing)] == counts


def test_the_readme_verification_triple_verifies(demo):
    match = re.search(
        r"\*\*Try verification\*\* at `/verify/` with (\S+), ID number `(\w+)`.*?number `(\w+)`", README, re.S
    )
    assert match, "README names a name, an ID number and a certificate number"
    name, document_number, number = match.groups()
    year = f"{timezone.localdate():%y}"  # the README's number was loaded in its year; the year is digits 13-14
    number = number[:13] + year + number[15:]
    row = certificate_by_query(number=number, name=name, document_number=document_number)
    assert row is not None


def test_the_readme_accounts_exist_with_their_roles(demo):
    table = README[README.index("| account | role |") : README.index("**Try verification**")]
    accounts = dict(re.findall(r"^\| `(\w+)` \| ([^|]+)\|", table, re.M))
    assert len(accounts) >= 7
    expected = {
        "regulator": "regulator",
        "baosteel_admin": "institution_admin",
        "college_admin": "school_admin",
        "baosteel_assessor_0": "assessor",
        "baosteel_internal_supervisor_4": "supervisor",
    }
    for username, described in accounts.items():
        user = authenticate(username=username, password="demo-pass-2026")
        assert user is not None, username
        if username in expected:
            assert user_roles(user).get(expected[username]), (username, described)
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="worker").person.certificates.exists()


def test_make_demo_points_links_at_its_port():
    out = subprocess.run(
        ["make", "-n", "demo", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    lines = [line for line in out.splitlines() if "manage.py load_demo" in line or "manage.py runserver" in line]
    assert len(lines) == 2
    for line in lines:
        assert "PUBLIC_BASE_URL=http://127.0.0.1:8123" in line
        assert "REDIS_URL= " in line  # the embedded default: issuance in a background thread
    assert "runserver 127.0.0.1:8123" in lines[1]
