"""A school's graduating cohort and the figure its support depends on (certification/cohorts.py):
certificates per graduating-year student, by graduating year, from any institution, revoked ones
never counted; the page, its planning links and its logged export."""

import csv
import datetime
import io
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from certification import cohorts
from certification.models import Application, Certificate, IssuanceBatch, Result
from certification.services.cohorts import EXPORT_PURPOSE
from registry.models import Education, EligibilityCondition, Institution, Role, SensitiveRead
from tests import factories

D = datetime.date
pytestmark = pytest.mark.django_db
_serial = itertools.count(1)


def student(world, session, name, graduated=None, school=""):
    person = factories.person(name=name)
    Application.objects.create(session=session, person=person, pathway="school_group", created_by=world.admin_a)
    if graduated:
        Education.objects.create(
            person=person,
            kind=EligibilityCondition.Education.HIGHER_VOCATIONAL,
            school=school,
            graduation_date=graduated,
        )
    return person


def certify(world, person, session, issued_on, revoked=False):
    """A certificate row for `person` from `session`'s institution (the issuance path has its own tests)."""
    application, _ = Application.objects.get_or_create(
        session=session, person=person, defaults={"created_by": world.admin_a}
    )
    result = Result.objects.create(application=application)
    batch = IssuanceBatch.objects.create(
        institution=session.institution, issue_date=issued_on, created_by=world.admin_a
    )
    n = next(_serial)
    return Certificate.objects.create(
        result=result,
        batch=batch,
        person=person,
        institution=session.institution,
        evaluation_type=session.evaluation_type,
        occupation=session.occupation,
        level=session.level,
        number=f"S000031000000{issued_on.year % 100:02d}5{n:06d}",
        issued_on=issued_on,
        verification_code=f"code-{n:06d}-abcdefgh",
        credential="{}",
        proof_created="x",
        proof_value="z",
        revoked_at=timezone.now() if revoked else None,
        revoked_by=world.regulator if revoked else None,
        revocation_reason="考试作弊" if revoked else "",
    )


@pytest.fixture
def cohort(world):
    """School A with six students and B a partner employer:
    2026: 零 0, 一 1 (A), 二 2 (A and B), 撤 1 revoked (A) -> 3 certificates / 4 students = 0.75
    2027: 晚 1 (B, 2027) -> 1 / 1 = 1.00
    unknown year: 无 1 (A)           -> 1 / 1 = 1.00
    Not counted: 后 (2025 graduate) whose only certificate came in 2026, after the graduating year;
    外 who holds a certificate but never enrolled at the school; 撤回 withdrawn from the school."""
    world.a.kind, world.a.school_files_as = Institution.Kind.SCHOOL, "social"
    world.a.save()
    world.b.kind = Institution.Kind.EMPLOYER
    world.b.save()
    school_admin = factories.member(world.a, Role.SCHOOL_ADMIN)
    own, partner = world.session, world.plan(institution=world.b, admin=world.admin_b)
    s = {}
    s["零"] = student(world, own, "零", D(2026, 6, 30))
    s["一"] = student(world, own, "一", D(2026, 6, 30))
    certify(world, s["一"], own, D(2026, 7, 1))
    s["二"] = student(world, own, "二", D(2026, 6, 30), school=world.a.name)
    Education.objects.create(  # an older diploma elsewhere: this school's record decides the year
        person=s["二"],
        kind=EligibilityCondition.Education.SECONDARY_VOCATIONAL,
        school="别校",
        graduation_date=D(2027, 1, 1),
    )
    certify(world, s["二"], own, D(2026, 7, 1))
    certify(world, s["二"], partner, D(2026, 3, 1))
    s["撤"] = student(world, own, "撤", D(2026, 6, 30))
    certify(world, s["撤"], own, D(2026, 7, 1), revoked=True)
    s["晚"] = student(world, own, "晚", D(2027, 6, 30))
    certify(world, s["晚"], partner, D(2027, 2, 1))
    s["无"] = student(world, own, "无")
    certify(world, s["无"], own, D(2026, 7, 1))
    s["后"] = student(world, own, "后", D(2025, 6, 30))
    certify(world, s["后"], partner, D(2026, 7, 1))
    outsider = factories.person(name="外")
    certify(world, outsider, partner, D(2026, 7, 1))
    withdrawn = student(world, own, "撤回", D(2026, 6, 30))
    Application.objects.filter(person=withdrawn).update(state=Application.State.WITHDRAWN)
    return world, school_admin, s


def test_figure_per_graduating_year_matches_the_hand_computed_dataset(cohort):
    world, _, _s = cohort
    figures = cohorts.cohort_figures(cohorts.cohort_students(schools=[world.a]))
    assert [(f.year, f.students, f.certificates, str(f.per_student)) for f in figures] == [
        (2025, 1, 0, "0.00"),
        (2026, 4, 3, "0.75"),
        (2027, 1, 1, "1.00"),
        (None, 1, 1, "1.00"),
    ]


def test_list_behind_the_figure_counts_partner_certificates_and_not_revoked_ones(cohort):
    world, _, s = cohort
    students = {x.name: x for x in cohorts.cohort_students(schools=[world.a])}
    assert set(students) == {"零", "一", "二", "撤", "晚", "无", "后"}  # not 外 (never enrolled), not 撤回
    assert students["二"].certificate_count == 2
    assert {c.institution_id for c in students["二"].certificates} == {world.a.pk, world.b.pk}
    assert students["撤"].certificate_count == 0  # revoked: void, never counted
    assert students["后"].certificate_count == 0  # obtained after the graduating year
    assert students["二"].year == 2026  # the record naming this school, not the later one elsewhere


def test_school_page_shows_the_figure_and_links_to_planning(cohort, client):
    world, school_admin, s = cohort
    client.force_login(school_admin)
    body = client.get(reverse("school-cohort")).content.decode()
    assert '<dd id="student-count">7</dd>' in body
    assert '<dd id="certificate-count">5</dd>' in body
    row = '<tr id="year-2026"><td><a href="?year=2026#students">2026</a></td><td>4</td><td>3</td><td>0.75</td></tr>'
    assert row in body
    assert reverse("web-session-new") in body
    for person in s.values():
        assert person.document_number not in body
        assert f"<td>{person.name}</td><td>{person.document_masked}</td>" in body
    filtered = client.get(reverse("school-cohort"), {"year": "2027"}).content.decode()
    assert "<td>晚</td>" in filtered and "<td>零</td>" not in filtered


def test_school_without_a_planned_session_is_offered_planning(world, client):
    world.a.kind, world.a.school_files_as = Institution.Kind.SCHOOL, "social"
    world.a.save()
    world.session.delete()
    school_admin = factories.member(world.a, Role.SCHOOL_ADMIN)
    client.force_login(school_admin)
    body = client.get(reverse("school-cohort")).content.decode()
    assert "暂无可报名的评价批次" in body
    assert f'<a class="button" href="{reverse("web-session-new")}">' in body
    assert client.get(reverse("web-session-new")).status_code == 200


def test_export_lists_masked_ids_only_and_is_logged_per_student(cohort, client):
    world, school_admin, s = cohort
    client.force_login(school_admin)
    response = client.post(reverse("school-cohort-export"), {"format": "csv", "year": "2026"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["毕业年份", "姓名", "证件号码", "证书数", "证书"]
    by_name = {row[1]: row for row in rows[1:]}
    assert set(by_name) == {"零", "一", "二", "撤"}
    assert by_name["二"][2] == s["二"].document_masked and by_name["二"][3] == "2"
    text = response.content.decode("utf-8-sig")
    for person in s.values():
        assert person.document_number not in text
    reads = SensitiveRead.objects.filter(user=school_admin, purpose=EXPORT_PURPOSE)
    assert set(reads.values_list("person__name", flat=True)) == {"零", "一", "二", "撤"}
    xlsx = client.post(reverse("school-cohort-export"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert reads.count() == 4 + 7


def test_only_a_school_admin_sees_or_exports_the_cohort(cohort, client):
    world, _, _s = cohort
    client.force_login(world.admin_b)
    assert client.get(reverse("school-cohort")).status_code == 403
    assert client.post(reverse("school-cohort-export"), {"format": "csv"}).status_code == 403
    assert client.get(reverse("school-cohort-export")).status_code == 405
    assert not SensitiveRead.objects.exists()


def test_another_schools_admin_does_not_see_this_cohort(cohort, client):
    world, _, s = cohort
    other = factories.InstitutionFactory(kind=Institution.Kind.SCHOOL, school_files_as="social")
    client.force_login(factories.member(other, Role.SCHOOL_ADMIN))
    body = client.get(reverse("school-cohort")).content.decode()
    assert '<dd id="student-count">0</dd>' in body
    assert "<td>二</td>" not in body


def test_school_roster_import_ties_the_diploma_to_the_school_and_the_cohort(world):
    from registry.levels import Level

    from .conftest import TODAY
    from .test_imports import roster, xlsx

    world.a.kind, world.a.school_files_as = Institution.Kind.SCHOOL, "social"
    world.a.save()
    session = world.plan(level=Level.GRADE_4)
    soon = TODAY + datetime.timedelta(days=30)
    headers = ["姓名", "证件号码", "申报途径", "学历类别", "专业", "毕业日期"]
    row = ["学生甲", factories.resident_id(D(2007, 3, 1)), "院校团体申报", "中职", "电气运行与控制", soon.isoformat()]
    assert roster(world, xlsx(headers, [row]), session=session).created == 1
    assert Education.objects.get().school == world.a.name
    (only,) = cohorts.cohort_students(schools=[world.a])
    assert (only.name, only.year) == ("学生甲", soon.year)


def test_school_page_and_export_queries_do_not_grow_with_the_cohort(cohort, client, django_assert_max_num_queries):
    world, school_admin, _s = cohort
    client.force_login(school_admin)
    client.get(reverse("school-cohort"))  # warm the session and role caches
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("school-cohort"))
    baseline = len(few.captured_queries)
    for i in range(5):
        certify(world, student(world, world.session, f"新{i}", D(2026, 6, 30)), world.session, D(2026, 7, 1))
    with django_assert_max_num_queries(baseline):
        body = client.get(reverse("school-cohort")).content.decode()
    assert '<dd id="student-count">12</dd>' in body
