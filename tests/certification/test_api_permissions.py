"""The permission matrix: for every endpoint and role, what is allowed and what is refused
(401/403/404), and that a refused call changes nothing."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from certification import services
from certification.models import (
    Application,
    BatchArchive,
    Certificate,
    Finding,
    Reissue,
    Result,
    ResultCorrection,
    Session,
    SessionStaff,
)
from certification.services import issuance
from registry.models import Filing, Person, User
from registry.services import person_register
from tests import factories

from .conftest import ISSUE_DAY, TODAY, ahead, enrol, worked

pytestmark = pytest.mark.django_db

ROLES = ["regulator", "admin_a", "admin_b", "assessor", "outsider", "supervisor", "worker", "anonymous"]


@dataclass
class Api:
    world: object
    application: Application
    result: Result
    users: dict

    def client(self, role: str) -> APIClient:
        client = APIClient()
        if role != "anonymous":
            client.force_authenticate(self.users[role])
        return client


@pytest.fixture
def api(world):
    world.staff(world.session)
    services.session_staff_assign(
        actor=world.admin_a, session=world.session, assessor=world.internal_supervisor, role="internal_supervisor"
    )
    application = enrol(world, name="工人")
    application.person.user = factories.UserFactory()
    application.person.save()
    result = services.result_record(actor=world.assessors_a[0].user, application=application, theory=80, practical=80)
    users = {
        "regulator": world.regulator,
        "admin_a": world.admin_a,
        "admin_b": world.admin_b,
        "assessor": world.assessors_a[0].user,
        "outsider": world.assessors_a[4].user,
        "supervisor": world.internal_supervisor.user,
        "worker": application.person.user,
    }
    return Api(world=world, application=application, result=result, users=users)


def fingerprint():
    return (
        list(Session.objects.order_by("pk").values_list("pk", "state")),
        SessionStaff.objects.count(),
        list(Application.objects.order_by("pk").values_list("pk", "state")),
        list(Result.objects.order_by("pk").values_list("pk", "theory", "practical", "outcome")),
        list(Finding.objects.order_by("pk").values_list("pk", "cleared_at")),
        ResultCorrection.objects.count(),
        list(Filing.objects.order_by("pk").values_list("pk", "state")),
        Person.objects.count(),
        list(Certificate.objects.order_by("pk").values_list("pk", "revoked_at", "reported_at")),
        Reissue.objects.count(),
        BatchArchive.objects.count(),
    )


def new_candidate(api):
    number = factories.resident_id()
    person = person_register(document_type="resident_id", document_number=number, name="新考生")
    worked(person, api.world.electrician, 3)
    return {"session": api.world.session.pk, "name": "新考生", "document_number": number}


def pending_exceptional(api):
    application = services.application_enrol(
        actor=api.world.admin_a,
        session=api.world.session,
        name="破格",
        document_number=factories.resident_id(),
        pathway="exceptional",
        reason="技术能手",
        evidence="证书",
        on=TODAY,
    )
    return f"/api/applications/{application.pk}/decide/", {"approve": True, "note": "同意"}


def open_finding(api):
    return services.finding_open(actor=api.world.internal_supervisor.user, session=api.world.session, text="问题")


def submitted(api):
    services.session_submit(actor=api.world.admin_a, session=api.world.session)


def issued(api):
    """world.session issued: the worker's own certificate, in a batch of institution A."""
    submitted(api)
    Session.objects.filter(pk=api.world.session.pk).update(publicity_ends_on=ISSUE_DAY - datetime.timedelta(days=1))
    batch = issuance.batch_create(actor=api.world.admin_a, sessions=[api.world.session], issue_date=ISSUE_DAY)
    for chunk in batch.chunks.all():
        issuance.chunk_issue(chunk_id=chunk.pk)
    api.batch = batch
    api.certificate = Certificate.objects.get(batch=batch)


@dataclass
class Case:
    name: str
    method: str
    request: Callable  # api -> (url, payload)
    expect: dict  # role -> status
    setup: Callable | None = None


def codes(ok, **overrides):
    """Default: anonymous 401; roles that cannot see the object 404; others 403."""
    base = {
        "regulator": 403,
        "admin_a": 403,
        "admin_b": 404,
        "assessor": 403,
        "outsider": 404,
        "supervisor": 403,
        "worker": 404,
        "anonymous": 401,
    }
    base.update({role: code for role, code in ok.items()})
    base.update(overrides)
    return base


S = lambda api: api.world.session.pk  # noqa: E731

CASES = [
    Case(
        "session-detail",
        "get",
        lambda a: (f"/api/sessions/{S(a)}/", None),
        codes({"regulator": 200, "admin_a": 200, "assessor": 200, "supervisor": 200}),
    ),
    Case(
        "session-plan",
        "post",
        lambda a: (
            "/api/sessions/",
            {
                "institution": a.world.a.pk,
                "evaluation_type": "skill_level",
                "occupation": a.world.electrician.pk,
                "level": 1,
                "starts_on": str(ahead(7)),
                "ends_on": str(ahead(8)),
                "site": "实训楼",
            },
        ),
        codes({"admin_a": 201}, outsider=403),
    ),
    Case(
        "session-staff",
        "post",
        lambda a: (f"/api/sessions/{S(a)}/staff/", {"assessor": a.world.assessors_a[3].pk, "role": "assessor"}),
        codes({"admin_a": 201}),
    ),
    Case("session-submit", "post", lambda a: (f"/api/sessions/{S(a)}/submit/", {}), codes({"admin_a": 200})),
    Case("application-enrol", "post", lambda a: ("/api/applications/", new_candidate(a)), codes({"admin_a": 201})),
    Case(
        "application-bulk",
        "post",
        lambda a: ("/api/applications/bulk/", {"session": S(a), "rows": [new_candidate(a)]}),
        codes({"admin_a": 201}),
    ),
    Case("application-decide", "post", pending_exceptional, codes({"regulator": 200})),
    Case(
        "application-withdraw",
        "post",
        lambda a: (f"/api/applications/{a.application.pk}/withdraw/", {"reason": "放弃"}),
        codes({"admin_a": 200}, worker=403),
    ),
    Case(
        "application-detail",
        "get",
        lambda a: (f"/api/applications/{a.application.pk}/", None),
        codes({"regulator": 200, "admin_a": 200, "assessor": 200, "supervisor": 200, "worker": 200}),
    ),
    Case(
        "result-score",
        "patch",
        lambda a: (f"/api/results/{a.result.pk}/", {"theory": 90}),
        codes({"assessor": 200}, worker=403),
    ),
    Case(
        "result-correct",
        "post",
        lambda a: (f"/api/results/{a.result.pk}/correct/", {"field": "theory", "value": 95, "reason": "复核"}),
        codes({"regulator": 200, "admin_a": 200}, worker=403),
        setup=submitted,
    ),
    Case(
        "finding-open",
        "post",
        lambda a: ("/api/findings/", {"session": S(a), "text": "考场违纪"}),
        codes({"supervisor": 201}),
    ),
    Case(
        "finding-clear",
        "post",
        lambda a: (f"/api/findings/{open_finding(a).pk}/clear/", {"clearance": "已整改"}),
        codes({"regulator": 200}),
    ),
    # Certificates and batches: the issuing institution's admins and the regulator; the holder
    # sees their own certificate; the institution's assessors and supervisors see neither.
    *[
        Case(
            f"certificate-{what}",
            "get",
            lambda a, what=what: (f"/api/certificates/{a.certificate.pk}/{what}", None),
            codes({"regulator": 200, "admin_a": 200, "worker": 200}, assessor=404, supervisor=404),
            setup=issued,
        )
        for what in ("", "pdf/", "credential/")
    ],
    Case(
        "certificate-revoke",
        "post",
        lambda a: (f"/api/certificates/{a.certificate.pk}/revoke/", {"reason": "作弊"}),
        codes({"regulator": 200, "admin_a": 200}, assessor=404, supervisor=404, worker=403),
        setup=issued,
    ),
    Case(
        "certificate-reissue",
        "post",
        lambda a: (f"/api/certificates/{a.certificate.pk}/reissue/", {"reason": "遗失"}),
        # A skill-level certificate: its institution reissues it, not the regulator.
        codes({"admin_a": 201}, assessor=404, supervisor=404, worker=403),
        setup=issued,
    ),
    Case(
        "certificate-mark-reported",
        "post",
        lambda a: ("/api/certificates/mark-reported/", {"certificates": [a.certificate.pk]}),
        # Nothing is visible to mark for the others: a 400 naming the certificate.
        codes({"regulator": 200, "admin_a": 200}, admin_b=400, assessor=400, outsider=400, supervisor=400, worker=400),
        setup=issued,
    ),
    Case(
        "batch-detail",
        "get",
        lambda a: (f"/api/batches/{a.batch.pk}/", None),
        codes({"regulator": 200, "admin_a": 200}, assessor=404, supervisor=404),
        setup=issued,
    ),
    *[
        Case(
            f"batch-report-{fmt}",
            "get",
            lambda a, fmt=fmt: (f"/api/batches/{a.batch.pk}/report.{fmt}", None),
            codes({"regulator": 200, "admin_a": 200}, assessor=404, supervisor=404),
            setup=issued,
        )
        for fmt in ("xlsx", "csv")
    ],
    Case(
        "batch-mark-reported",
        "post",
        lambda a: (f"/api/batches/{a.batch.pk}/mark-reported/", {}),
        codes({"regulator": 200, "admin_a": 200}, assessor=404, supervisor=404),
        setup=issued,
    ),
    Case(
        "batch-archive",
        "post",
        lambda a: (f"/api/batches/{a.batch.pk}/archive/", {}),
        codes({"regulator": 201, "admin_a": 201}, assessor=404, supervisor=404),
        setup=issued,
    ),
    Case(
        "filing-transition",
        "post",
        lambda a: (
            f"/api/filings/{a.world.a.filings.get().pk}/transition/",
            {"to_state": "suspended", "reason": "督导"},
        ),
        codes({"regulator": 200}, outsider=403),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_permission_matrix(api, case, role):
    if case.setup:
        case.setup(api)
    url, payload = case.request(api)
    before = fingerprint()
    response = getattr(api.client(role), case.method)(url, payload, format="json")
    expected = case.expect[role]
    assert response.status_code == expected, (case.name, role, response.status_code, response.content[:300])
    if expected >= 400:
        assert fingerprint() == before, f"{case.name} refused for {role} but changed something"
    elif case.method != "get":
        assert fingerprint() != before, f"{case.name} allowed for {role} but changed nothing"


LISTS = {
    "/api/sessions/": {"regulator", "admin_a", "assessor", "supervisor"},
    "/api/applications/": {"regulator", "admin_a", "assessor", "supervisor", "worker"},
    "/api/results/": {"regulator", "admin_a", "assessor", "supervisor", "worker"},
    "/api/findings/": {"regulator", "admin_a", "assessor", "supervisor"},
    "/api/institutions/": {"regulator", "admin_a", "assessor", "outsider", "supervisor"},
    "/api/filings/": {"regulator", "admin_a", "assessor", "outsider", "supervisor"},
}


ISSUED_LISTS = {
    "/api/certificates/": {"regulator", "admin_a", "worker"},
    "/api/batches/": {"regulator", "admin_a"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", list(ISSUED_LISTS))
def test_certificate_and_batch_lists_show_institution_a_only_to_whom_it_concerns(api, url, role):
    issued(api)
    response = api.client(role).get(url)
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    seen = {row["id"] for row in response.json()["results"]}
    ids_of_a = {api.certificate.pk} if url == "/api/certificates/" else {api.batch.pk}
    if role in ISSUED_LISTS[url]:
        assert ids_of_a <= seen
    else:
        assert not ids_of_a & seen


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", list(LISTS))
def test_lists_show_institution_a_only_to_whom_it_concerns(api, url, role):
    open_finding(api)
    response = api.client(role).get(url)
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    rows = response.json()["results"]
    ids_of_a = {
        "/api/sessions/": {api.world.session.pk},
        "/api/applications/": {api.application.pk},
        "/api/results/": {api.result.pk},
        "/api/findings/": set(Finding.objects.values_list("pk", flat=True)),
        "/api/institutions/": {api.world.a.pk},
        "/api/filings/": set(api.world.a.filings.values_list("pk", flat=True)),
    }[url]
    seen = {row["id"] for row in rows}
    if role in LISTS[url]:
        assert ids_of_a <= seen
    else:
        assert not ids_of_a & seen


def test_admin_b_sees_only_b(api):
    session_b = api.world.plan(institution=api.world.b, admin=api.world.admin_b)
    rows = api.client("admin_b").get("/api/sessions/").json()["results"]
    assert [row["id"] for row in rows] == [session_b.pk]


def test_worker_sees_only_their_own_application(api):
    enrol(api.world, name="别人")
    rows = api.client("worker").get("/api/applications/").json()["results"]
    assert [row["id"] for row in rows] == [api.application.pk]


def test_no_full_id_number_in_any_api_response(api):
    number = api.application.person.document_number
    for url in [
        "/api/applications/",
        "/api/results/",
        f"/api/applications/{api.application.pk}/",
        f"/api/results/{api.result.pk}/",
    ]:
        for role in ("regulator", "admin_a", "worker"):
            body = api.client(role).get(url).content.decode()
            assert number not in body
            assert api.application.person.document_masked in body


def test_occupations_readable_by_every_signed_in_user(api):
    for role in ROLES[:-1]:
        assert api.client(role).get("/api/occupations/").json()["count"] >= 1
    assert api.client("anonymous").get("/api/occupations/").status_code == 401


def test_token_authentication(api):
    user = api.users["admin_a"]
    user.set_password("secret-pass-1")
    user.save()
    token = (
        APIClient().post("/api/auth/token/", {"username": user.username, "password": "secret-pass-1"}).json()["token"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/sessions/").json()["count"] == 1
    assert User.objects.filter(auth_token__key=token).get() == user
