"""The skilled-talent database (certification.services.statistics): figures that match a small
dataset computed by hand, counted per person at the highest level held (not per certificate),
revoked certificates excluded; the refresh task; the exports; the regulator-only page."""

import csv
import datetime
import io
import uuid

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from certification import tasks
from certification.models import (
    Application,
    Certificate,
    HeldLevel,
    IssuanceBatch,
    Result,
    Session,
    StatisticsRun,
    StatisticValue,
)
from certification.services import issuance, statistics
from registry.errors import Forbidden
from registry.levels import EvaluationType, Level
from registry.models import Education, Institution, Occupation, PriorCertificate, Role
from tests import factories

D = datetime.date
pytestmark = pytest.mark.django_db


class Registry:
    """Certificates written directly (the issuance path has its own tests): just the rows the
    statistics read, with the chain of session, application and result a certificate needs."""

    def __init__(self):
        self.user = factories.UserFactory()
        self.o1 = factories.OccupationFactory(code="6-31-01-03", name="电工")
        self.o2 = factories.OccupationFactory(code="6-18-02-04", name="焊工")
        self.standards = {o.pk: factories.StandardFactory(occupation=o) for o in (self.o1, self.o2)}
        self.a = factories.InstitutionFactory(name="甲培训评价组织", kind=Institution.Kind.SOCIAL, district="310115")
        self.b = factories.InstitutionFactory(name="乙用人单位", kind=Institution.Kind.EMPLOYER, district="310104")
        self.s = factories.InstitutionFactory(
            name="丙技师学院", kind=Institution.Kind.SCHOOL, school_files_as="employer", district="310113"
        )
        self.births = iter(D(1980, 1, 1) + datetime.timedelta(days=n) for n in range(1000))

    def person(self, name):
        return factories.person(name, birth=next(self.births))

    def session(self, institution, occupation, level, ends_on, evaluation_type=EvaluationType.SKILL_LEVEL):
        return Session.objects.create(
            institution=institution,
            standard=self.standards[occupation.pk],
            evaluation_type=evaluation_type,
            occupation=occupation,
            level=level,
            starts_on=ends_on,
            ends_on=ends_on,
            site="考点",
            state=Session.State.ISSUED,
            created_by=self.user,
        )

    def certify(self, person, institution, occupation, level, issued_on, *, revoked=False, session=None, **kwargs):
        evaluation_type = kwargs.get("evaluation_type", EvaluationType.SKILL_LEVEL)
        session = session or self.session(institution, occupation, level, issued_on, evaluation_type)
        application, _ = Application.objects.get_or_create(
            session=session, person=person, defaults={"created_by": self.user}
        )
        result = Result.objects.create(application=application)
        Result.objects.filter(pk=result.pk).update(outcome=Result.Outcome.PASSED)
        batch = IssuanceBatch.objects.create(
            institution=institution, issue_date=issued_on, created_by=self.user, state=IssuanceBatch.State.DONE
        )
        return Certificate.objects.create(
            result=result,
            batch=batch,
            person=person,
            institution=institution,
            evaluation_type=evaluation_type,
            occupation=occupation,
            level=level,
            number=uuid.uuid4().hex[:22],
            issued_on=issued_on,
            verification_code=uuid.uuid4().hex,
            credential="{}",
            proof_created="",
            proof_value="",
            revoked_at=timezone.now() if revoked else None,
            revoked_by=self.user if revoked else None,
            revocation_reason="伪造材料" if revoked else "",
        )


@pytest.fixture
def world():
    """The hand-computed dataset (expected figures in the tests below):
    P1 四级 O1 at A 2019, then 三级 O1 at B 2022          → once, 三级 (high), B: 徐汇 employer
    P2 四级 O2 at A 2020, 二级 O2 at A 2021 REVOKED       → 四级, A: 浦东 social
    P3 only a revoked 三级                                 → not counted
    P4 prior 一级 O2 (qualification) 2018, 五级 O1 at A 2023 → 一级 (high), prior: district unknown
    P5 a special-ability certificate only (no level)       → not counted
    P6 三级 O1 at A 2024, 三级 O2 at B 2025 (same level)   → once, the earlier: A 浦东 social, O1
    P7 五级 O1 at A 2024-03, 四级 O1 at B 2025-10,         → 四级, B: 徐汇 employer
       五级 O1 at S 2026-06 (graduating-year student of S, school year 2026, in two of its sessions)
    P8 graduating-year student of S with no certificate
    School S (the rule of certification/cohorts.py): P7 and P8 graduate in 2026 (P8's own-school
    record wins over a later one elsewhere), so 2026: 2 students, 3 certificates (all of P7's,
    from A, B and S, issued up to the end of 2026) → 1.5 per student; P9 without an education
    record: year unknown, 1 student, 0 certificates; P10 withdrew: not a student."""
    r = Registry()
    p = {n: r.person(f"人员{n}") for n in range(1, 9)}
    r.certify(p[1], r.a, r.o1, Level.GRADE_4, D(2019, 5, 1))
    r.certify(p[1], r.b, r.o1, Level.GRADE_3, D(2022, 3, 1))
    r.certify(p[2], r.a, r.o2, Level.GRADE_4, D(2020, 1, 10))
    r.certify(p[2], r.a, r.o2, Level.GRADE_2, D(2021, 7, 1), revoked=True)
    r.certify(p[3], r.a, r.o1, Level.GRADE_3, D(2020, 6, 1), revoked=True)
    PriorCertificate.objects.create(
        person=p[4],
        evaluation_type=EvaluationType.QUALIFICATION,
        occupation=r.o2,
        level=Level.GRADE_1,
        number="1831000000000001",
        issuer="原劳动和社会保障局",
        issued_on=D(2018, 4, 1),
    )
    r.certify(p[4], r.a, r.o1, Level.GRADE_5, D(2023, 1, 1))
    r.certify(p[5], r.a, r.o1, None, D(2023, 2, 1), evaluation_type=EvaluationType.SPECIAL_ABILITY)
    r.certify(p[6], r.a, r.o1, Level.GRADE_3, D(2024, 1, 1))
    r.certify(p[6], r.b, r.o2, Level.GRADE_3, D(2025, 1, 1))
    cohort = r.session(r.s, r.o1, Level.GRADE_5, D(2026, 6, 1))
    r.certify(p[7], r.a, r.o1, Level.GRADE_5, D(2024, 3, 1))
    r.certify(p[7], r.b, r.o1, Level.GRADE_4, D(2025, 10, 1))
    r.certify(p[7], r.s, r.o1, Level.GRADE_5, D(2026, 6, 20), session=cohort)
    Application.objects.create(session=cohort, person=p[8], created_by=r.user)
    spring = r.session(r.s, r.o2, Level.GRADE_5, D(2026, 3, 1))  # P7 in a second session: still one student
    Application.objects.create(session=spring, person=p[7], created_by=r.user)
    Education.objects.create(person=p[7], kind="senior_technical", school="丙技师学院", graduation_date=D(2026, 6, 30))
    Education.objects.create(person=p[8], kind="senior_technical", school="丙技师学院", graduation_date=D(2026, 6, 30))
    Education.objects.create(person=p[8], kind="bachelor", school="某大学", graduation_date=D(2028, 6, 30))
    no_year = r.person("人员9")  # enrolled, no education record: "year unknown", still counted
    Application.objects.create(session=cohort, person=no_year, created_by=r.user)
    withdrawn = r.person("人员10")  # a withdrawn application makes no student
    Application.objects.create(session=cohort, person=withdrawn, created_by=r.user, state=Application.State.WITHDRAWN)
    r.people = p
    r.regulator = factories.regulator()
    return r


def table(figure) -> dict:
    return {key: tuple(row[1:]) for key, row in zip(figure.keys, figure.rows(), strict=True)}


def read(world, name):
    return statistics.figures_read(actor=world.regulator, names=(name,))[0]


def test_a_person_counts_once_at_the_highest_level_held_and_revoked_certificates_do_not_count(world):
    run = statistics.statistics_refresh()
    assert run.people == 5  # P1, P2, P4, P6, P7: not per certificate (10 unrevoked), not P3/P5/P8
    assert run.certificates == 10
    held = {h.person_id: h.level for h in HeldLevel.objects.all()}
    p = world.people
    assert held == {
        p[1].pk: Level.GRADE_3,
        p[2].pk: Level.GRADE_4,  # the revoked 二级 does not count
        p[4].pk: Level.GRADE_1,  # from the prior certificate
        p[6].pk: Level.GRADE_3,
        p[7].pk: Level.GRADE_4,
    }
    assert table(read(world, "level")) == {str(Level.GRADE_4): (2,), str(Level.GRADE_3): (2,), str(Level.GRADE_1): (1,)}


def test_breakdowns_come_from_the_credential_that_gives_the_highest_level(world):
    statistics.statistics_refresh()
    assert table(read(world, "district")) == {"310104": (2, 1), "310115": (2, 1), "": (1, 1)}
    assert table(read(world, "institution_kind")) == {"employer": (2, 1), "social": (2, 1), "prior": (1, 1)}
    assert table(read(world, "evaluation_type")) == {"qualification": (1, 1), "skill_level": (4, 2)}
    assert table(read(world, "occupation")) == {str(world.o1.pk): (3, 2), str(world.o2.pk): (2, 1)}
    district = read(world, "district")
    assert district.categories == ["徐汇区", "浦东新区", "外部发证（区不详）"]


def test_year_end_stock_share_against_35_percent_and_new_high_skill_against_the_plan(world):
    statistics.statistics_refresh()
    assert table(read(world, "year")) == {
        "2018": (1, 1),
        "2019": (2, 1),
        "2020": (3, 1),
        "2021": (3, 1),
        "2022": (3, 2),
        "2023": (3, 2),
        "2024": (5, 3),
        "2025": (5, 3),
    }
    share = read(world, "high_skill_share")
    assert table(share) == {
        "2018": (100,),
        "2019": (50,),
        "2020": (33.33,),
        "2021": (33.33,),
        "2022": (66.67,),
        "2023": (66.67,),
        "2024": (60,),
        "2025": (60,),
    }
    assert share.chart()["target"] == 35.0
    new = read(world, "new_high_skill")
    assert table(new) == {
        "2018": (1, None),
        "2019": (0, None),
        "2020": (0, None),
        "2021": (0, 0),
        "2022": (1, 1),
        "2023": (0, 1),
        "2024": (1, 2),
        "2025": (0, 2),
    }
    assert new.chart()["target"] == 200_000


def test_certificates_per_graduating_year_student_by_school_count_any_institution(world):
    statistics.statistics_refresh()
    school = read(world, "school")
    assert table(school) == {f"{world.s.pk}:2026": (1.5, 2, 3), f"{world.s.pk}:": (0, 1, 0)}
    assert school.categories == ["丙技师学院 2026", "丙技师学院 （毕业年份不详）"]


def test_urgent_list_occupations_are_those_the_regulator_put_on_it(world):
    statistics.occupation_urgent_set(
        actor=world.regulator, occupation=world.o2, urgent_from=D(2020, 1, 1), urgent_until=None
    )
    expired = factories.OccupationFactory(code="4-10-01-05", urgent_from=D(2020, 1, 1), urgent_until=D(2021, 1, 1))
    statistics.statistics_refresh()
    figure = read(world, "urgent_occupation")
    assert table(figure) == {str(world.o2.pk): (2, 1)}
    assert str(expired.pk) not in figure.keys


def test_only_the_regulator_sets_the_urgent_list(world):
    admin = factories.member(world.a)
    with pytest.raises(Forbidden):
        statistics.occupation_urgent_set(actor=admin, occupation=world.o1, urgent_from=D(2026, 1, 1), urgent_until=None)
    world.o1.refresh_from_db()
    assert world.o1.urgent_from is None


def test_revoking_the_highest_certificate_lowers_the_person_at_the_next_refresh(world):
    statistics.statistics_refresh()
    top = Certificate.objects.get(person=world.people[1], level=Level.GRADE_3)
    Certificate.objects.filter(pk=top.pk).update(
        revoked_at=timezone.now(), revoked_by=world.regulator, revocation_reason="伪造材料"
    )
    statistics.statistics_refresh()
    assert HeldLevel.objects.get(person=world.people[1]).level == Level.GRADE_4
    assert table(read(world, "level"))[str(Level.GRADE_3)] == (1,)


def test_the_refresh_task_replaces_the_figures_and_records_when(world):
    statistics.statistics_refresh()
    before = StatisticValue.objects.count()
    world.certify(world.people[8], world.b, world.o2, Level.GRADE_2, D(2025, 5, 1))
    tasks.statistics_refresh.delay("schedule")
    run = StatisticsRun.objects.latest()
    assert run.trigger == "schedule" and run.people == 6
    assert StatisticsRun.objects.count() == 2
    assert StatisticValue.objects.count() > before
    assert table(read(world, "level"))[str(Level.GRADE_2)] == (1,)


def test_a_finished_issuance_batch_refreshes_the_figures(world, django_capture_on_commit_callbacks):
    batch = IssuanceBatch.objects.create(institution=world.a, issue_date=D(2026, 6, 1), created_by=world.regulator)
    with django_capture_on_commit_callbacks(execute=True):
        issuance._finish(batch)
    run = StatisticsRun.objects.get()
    assert run.trigger == StatisticsRun.Trigger.ISSUANCE and run.people == 5


# --- The page, the exports and who may see them ---


def test_the_page_shows_every_figure_and_how_fresh_it_is(world, client):
    statistics.statistics_refresh()
    client.force_login(world.regulator)
    response = client.get("/regulator/statistics/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "数据计算于" in page and "刚刚" in page
    for spec in statistics.FIGURES:
        assert f'id="figure-{spec.name}"' in page
    assert "vendor/echarts/echarts.min.js" in page and "data-chart=" in page


def test_the_page_says_when_nothing_has_been_computed(world, client):
    client.force_login(world.regulator)
    assert "统计数据尚未计算" in client.get("/regulator/statistics/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/regulator/statistics/",
        "/regulator/statistics/export.csv",
        "/regulator/statistics/export.xlsx",
    ],
)
@pytest.mark.parametrize("role", [Role.INSTITUTION_ADMIN, Role.SCHOOL_ADMIN, "worker"])
def test_only_the_regulator_sees_the_statistics(world, client, path, role):
    statistics.statistics_refresh()
    if role == "worker":
        user = factories.UserFactory()
        world.people[1].user = user
        world.people[1].save()
    else:
        user = factories.member(world.s if role == Role.SCHOOL_ADMIN else world.a, role)
    client.force_login(user)
    assert client.get(path).status_code == 403


def test_posts_are_regulator_only_and_change_nothing_for_others(world, client):
    client.force_login(factories.member(world.a))
    assert client.post("/regulator/statistics/refresh/").status_code == 403
    response = client.post("/regulator/statistics/urgent/", {"code": world.o1.code, "urgent_from": "2026-01-01"})
    assert response.status_code == 403
    world.o1.refresh_from_db()
    assert world.o1.urgent_from is None and not StatisticsRun.objects.exists()


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/regulator/statistics/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_csv_export_carries_the_computed_date_and_each_figure(world, client):
    run = statistics.statistics_refresh()
    client.force_login(world.regulator)
    response = client.get("/regulator/statistics/export.csv", {"figure": "district"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["计算时间", timezone.localtime(run.computed_at).strftime("%Y-%m-%d %H:%M")]
    assert rows[2] == ["按区"]
    assert rows[3] == ["类别", "技能人才", "高技能人才"]
    assert rows[4:] == [["徐汇区", "2", "1"], ["浦东新区", "2", "1"], ["外部发证（区不详）", "1", "1"]]


def test_xlsx_export_has_a_sheet_per_figure(world, client):
    statistics.statistics_refresh()
    client.force_login(world.regulator)
    response = client.get("/regulator/statistics/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert len(book.sheetnames) == len(statistics.FIGURES)
    sheet = book[book.sheetnames[0]]
    rows = list(sheet.values)
    assert rows[0][0] == "计算时间" and rows[1] == ("类别", "持证人数")
    assert [list(r) for r in rows[2:]] == [["四级/中级工", 2], ["三级/高级工", 2], ["一级/高级技师", 1]]


def test_an_unknown_figure_is_refused_with_its_name(world, client):
    client.force_login(world.regulator)
    response = client.get("/regulator/statistics/export.csv", {"figure": "nonsense"})
    assert response.status_code == 400 and "nonsense" in response.content.decode()


def test_the_regulator_puts_an_occupation_on_the_urgent_list_and_takes_it_off(world, client):
    client.force_login(world.regulator)
    response = client.post("/regulator/statistics/urgent/", {"code": world.o1.code, "urgent_from": "2026-01-01"})
    assert response.status_code == 302
    world.o1.refresh_from_db()
    assert world.o1.urgent_from == D(2026, 1, 1) and world.o1.urgent_until is None
    client.post("/regulator/statistics/urgent/", {"code": world.o1.code})
    world.o1.refresh_from_db()
    assert world.o1.urgent_from is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "9-99-99-99", "urgent_from": "2026-01-01"}, "职业编码“9-99-99-99”不在职业目录中"),
        ({"code": "6-31-01-03", "urgent_from": "2026-13-01"}, "急需紧缺起始“2026-13-01”不是有效日期"),
        ({"code": "6-31-01-03", "urgent_from": "2026-05-01", "urgent_until": "2026-01-01"}, "截止日期早于起始日期"),
        ({"code": "6-31-01-03", "urgent_until": "2026-01-01"}, "请填写急需紧缺起始日期"),
    ],
)
def test_bad_urgent_input_is_refused_with_a_reason_and_changes_nothing(world, client, data, message):
    client.force_login(world.regulator)
    response = client.post("/regulator/statistics/urgent/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Occupation.objects.filter(urgent_from__isnull=False).exists()


def test_the_same_figures_come_out_on_sqlite_the_embedded_default(tmp_path):
    """The refresh is plain SQL (window functions, INSERT … SELECT) meant for both databases: the
    hand-computed tests above run again on SQLite, in a process of their own."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'stats.sqlite3'}"
    selected = " or ".join(
        ("highest_level_held", "breakdowns", "year_end", "graduating", "urgent_list_occupations", "replaces_the")
    )
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__, "-k", selected],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "6 passed" in completed.stdout, completed.stdout[-500:]


def test_the_regulator_refreshes_from_the_page(world, client):
    client.force_login(world.regulator)
    response = client.post("/regulator/statistics/refresh/")
    assert response.status_code == 302
    assert StatisticsRun.objects.get().trigger == StatisticsRun.Trigger.MANUAL


def test_the_beat_schedule_runs_the_registered_refresh_task():
    from django.conf import settings

    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["statistics-refresh"]
    assert entry["task"] == tasks.statistics_refresh.name and entry["task"] in app.tasks


def test_the_page_and_its_labels_in_english(world, client):
    statistics.statistics_refresh()
    client.force_login(world.regulator)
    client.cookies["django_language"] = "en"
    page = client.get("/regulator/statistics/").content.decode()
    assert "Skilled-talent statistics" in page and "By district" in page and "Figures computed at" in page
    assert "Xuhui" in page and "徐汇区" not in page


def test_a_long_figure_charts_its_first_30_and_the_table_keeps_all(world, client):
    for n in range(35):
        occupation = factories.OccupationFactory(code=f"2-02-{n // 100:02d}-{n % 100:02d}")
        world.standards[occupation.pk] = factories.StandardFactory(occupation=occupation)
        world.certify(world.person(f"工人{n}"), world.a, occupation, Level.GRADE_5, D(2024, 1, 1))
    statistics.statistics_refresh()
    figure = read(world, "occupation")
    assert len(figure.categories) == 37 and figure.truncated
    assert len(figure.chart()["categories"]) == 30 and len(figure.chart()["series"][0]["data"]) == 30
    client.force_login(world.regulator)
    assert "图中显示前 30 项（共 37 项）" in client.get("/regulator/statistics/").content.decode()


def test_by_school_figure_agrees_with_the_schools_own_page(world):
    """The regulator's by-school figure (SQL over the summary tables) and the school's page
    (certification/cohorts.py) implement one rule twice, for scale: on the same data they give
    the same students, certificates and ratio for every graduating year."""
    from certification.cohorts import cohort_figures, cohort_students

    statistics.statistics_refresh()
    city = table(read(world, "school"))
    own = {
        f"{world.s.pk}:{row.year or ''}": (float(row.per_student), row.students, row.certificates)
        for row in cohort_figures(cohort_students(schools=[world.s]))
    }
    assert own and city == own
