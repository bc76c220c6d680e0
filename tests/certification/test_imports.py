"""Spreadsheet imports of rosters and score sheets: XLSX and CSV, all or nothing, every bad row
reported with its sheet row number, column and a reason that never shows a full ID number."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from assessors.models import Relation
from certification import imports
from certification.models import Application, Result, Session
from registry import identity
from registry.errors import DomainError, Forbidden
from registry.levels import Level
from registry.models import Education, Institution, Person, PriorCertificate, WorkExperience
from registry.services import person_register
from tests import factories

from .conftest import TODAY, ahead, enrol, held_on, load_occupations

pytestmark = pytest.mark.django_db
D = datetime.date
TWO_YEARS_AGO = (TODAY - datetime.timedelta(days=2 * 366)).isoformat()
HEADERS = ["姓名", "证件号码", "本职业工作起始日期"]
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def xlsx(headers, rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(headers, rows, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([["" if cell is None else str(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def eligible(n, prefix="考生"):
    return [[f"{prefix}{i}", factories.resident_id(), TWO_YEARS_AGO] for i in range(n)]


def roster(world, data, filename="名单.xlsx", session=None, actor=None):
    return imports.roster_import(
        actor=actor or world.admin_a, session=session or world.session, data=data, filename=filename, on=TODAY
    )


def counts():
    return (
        Person.objects.count(),
        Application.objects.count(),
        Result.objects.count(),
        WorkExperience.objects.count(),
        Education.objects.count(),
    )


def id_ending_in_x():
    for sequence in range(1000):
        number = identity.compose_resident_id("310104", D(1992, 3, 4), sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no check character X in 1000 sequences")


# --- reading ---


def test_xlsx_and_csv_in_utf8_bom_and_gbk_read_the_same():
    headers = ["姓名", "证件号码", "毕业日期", "分数"]
    number = factories.resident_id()
    excel_rows = [["张三", number, D(2024, 7, 1), 85], [None, None, None, None], ["李四", number, D(2025, 1, 2), 85.5]]
    text_rows = [["张三", number, "2024-07-01", "85"], ["", "", "", ""], ["李四", number, "2025-01-02", "85.5"]]
    tables = [
        imports.read_table(xlsx(headers, excel_rows), "a.xlsx"),
        imports.read_table(csv_file(headers, text_rows, "utf-8-sig"), "a.csv"),
        imports.read_table(csv_file(headers, text_rows, "utf-8"), "a.CSV"),
        imports.read_table(csv_file(headers, text_rows, "gbk"), "a.csv"),
    ]
    expected = [
        {"姓名": "张三", "证件号码": number, "毕业日期": "2024-07-01", "分数": "85"},
        {"姓名": "李四", "证件号码": number, "毕业日期": "2025-01-02", "分数": "85.5"},
    ]
    for table in tables:
        assert table == expected
        assert [row.row for row in table] == [2, 4]  # the empty row 3 is skipped, numbering kept


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"whatever", "a.xls", ".xlsx"),
        (b"not a zip", "a.xlsx", "无法读取"),
        (b"\xff\xfe\x00\x00\x81", "a.csv", "编码"),
        (csv_file(["", ""], [["张三", "1"]]), "a.csv", "表头"),
        (csv_file(["姓名"], [["张三"]]), "a.csv", "证件号码"),
        (csv_file(["姓名", "证件号码"], []), "a.csv", "没有数据"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data, filename, words):
    with pytest.raises(DomainError) as caught:
        imports.read_table(data, filename, required=("姓名", "证件号码"))
    assert words in " ".join(caught.value.messages)


def test_more_than_20000_data_rows_are_refused():
    rows = [[f"人{i}", "1"] for i in range(imports.MAX_ROWS + 1)]
    with pytest.raises(DomainError) as caught:
        imports.read_table(csv_file(["姓名", "证件号码"], rows), "a.csv")
    assert "20000" in " ".join(caught.value.messages)
    assert len(imports.read_table(csv_file(["姓名", "证件号码"], rows[:-1]), "a.csv")) == imports.MAX_ROWS


# --- rosters ---


def test_roster_xlsx_enrols_every_row_with_its_work_record(world):
    rows = eligible(3)
    result = roster(world, xlsx(HEADERS, rows))
    assert result == imports.ImportResult(created=3, errors=[])
    applications = Application.objects.filter(session=world.session).select_related("person", "condition", "result")
    assert sorted(a.person.name for a in applications) == ["考生0", "考生1", "考生2"]
    assert {(a.state, a.condition.code, a.result.outcome) for a in applications} == {("enrolled", "5-1", "pending")}
    assert sorted(p.document_number for p in Person.objects.filter(name__startswith="考生")) == sorted(
        r[1] for r in rows
    )
    work = WorkExperience.objects.filter(person__name__startswith="考生")
    assert {(w.occupation_id, w.started.isoformat(), w.ended) for w in work} == {
        (world.electrician.pk, TWO_YEARS_AGO, None)
    }
    assert work.count() == 3


def test_the_same_roster_as_gbk_csv_reuses_people_and_identical_work_records(world):
    rows = eligible(2)
    roster(world, xlsx(HEADERS, rows))
    before = counts()
    second = world.plan(name="第二批")
    result = roster(world, csv_file(HEADERS, rows, "gbk"), filename="名单.csv", session=second)
    assert (result.created, result.errors) == (2, [])
    people, applications, results, work, educations = counts()
    assert (people, work, educations) == (before[0], before[3], before[4])  # no new person, no duplicate record
    assert (applications, results) == (before[1] + 2, before[2] + 2)


def test_ids_with_full_width_digits_lowercase_x_and_spaces_are_accepted(world):
    with_x, plain, spaced = id_ending_in_x(), factories.resident_id(), factories.resident_id()
    rows = [
        ["甲", with_x.lower(), TWO_YEARS_AGO],
        ["乙", plain.translate(FULL_WIDTH), TWO_YEARS_AGO],
        ["丙", f" {spaced[:6]} {spaced[6:14]} {spaced[14:]} ", TWO_YEARS_AGO],
    ]
    assert roster(world, xlsx(HEADERS, rows)).created == 3
    numbers = {p.name: p.document_number for p in Person.objects.filter(name__in=["甲", "乙", "丙"])}
    assert numbers == {"甲": with_x, "乙": plain, "丙": spaced}


@pytest.mark.parametrize("filename", ["名单.xlsx", "名单.csv"])
def test_an_id_mangled_by_excel_is_refused_with_its_row(world, filename):
    good = eligible(1)
    mangled = ["王五", 3.10101199001011e17, TWO_YEARS_AGO]
    data = (
        xlsx(HEADERS, [*good, mangled])
        if filename.endswith("xlsx")
        else csv_file(HEADERS, [*good, ["王五", "3.10101199001011E+17", TWO_YEARS_AGO]])
    )
    before = counts()
    result = roster(world, data, filename=filename)
    assert result.created == 0
    assert [(e.row, e.field) for e in result.errors] == [(3, "证件号码")]
    assert "Excel" in result.errors[0].message
    assert counts() == before


def test_one_bad_row_changes_nothing_and_is_reported_with_row_and_field(world):
    rows = eligible(3)
    bad = rows[1][1][:17] + ("0" if rows[1][1][17] != "0" else "1")  # wrong check character
    rows.insert(2, ["错号", bad, TWO_YEARS_AGO])
    before = counts()
    result = roster(world, xlsx(HEADERS, rows))
    assert result.created == 0
    assert [(e.row, e.field) for e in result.errors] == [(4, "证件号码")]
    assert "校验位" in result.errors[0].message and bad not in result.errors[0].message
    assert counts() == before


def test_every_bad_row_is_listed(world):
    rows = [
        ["", factories.resident_id(), TWO_YEARS_AGO],  # 2: no name
        ["好人", factories.resident_id(), TWO_YEARS_AGO],  # 3: fine
        ["坏日期", factories.resident_id(), "2024-02-30"],  # 4: no such date
        ["未来", factories.resident_id(), (TODAY + datetime.timedelta(days=3)).isoformat()],  # 5
        ["短号", "31011519900101", TWO_YEARS_AGO],  # 6: 14 characters
    ]
    result = roster(world, xlsx(HEADERS, rows))
    assert [(e.row, e.field) for e in result.errors] == [
        (2, "姓名"),
        (4, "本职业工作起始日期"),
        (5, "本职业工作起始日期"),
        (6, "证件号码"),
    ]
    assert not Application.objects.exists()


def test_a_duplicate_id_inside_the_file_names_the_first_row(world):
    rows = eligible(2)
    rows.append(["又一个", rows[0][1], TWO_YEARS_AGO])
    result = roster(world, xlsx(HEADERS, rows))
    assert [(e.row, e.field) for e in result.errors] == [(4, "证件号码")]
    message = result.errors[0].message
    assert "第 2 行" in message and identity.mask_document_number(rows[0][1]) in message
    assert rows[0][1] not in message
    assert not Application.objects.exists()


def test_a_candidate_already_enrolled_is_refused(world):
    application = enrol(world, name="已报")
    rows = [*eligible(1), ["已报", application.person.document_number, TWO_YEARS_AGO]]
    result = roster(world, xlsx(HEADERS, rows))
    assert [(e.row, e.field) for e in result.errors] == [(3, "证件号码")]
    assert "已报名本批次" in result.errors[0].message
    assert Application.objects.count() == 1


def test_a_name_other_than_the_registered_one_is_refused(world):
    person = factories.person(name="赵六")
    result = roster(world, xlsx(HEADERS, [["赵陆", person.document_number, TWO_YEARS_AGO]]))
    assert [(e.row, e.field) for e in result.errors] == [(2, "姓名")]
    assert "赵陆" in result.errors[0].message and "赵六" not in result.errors[0].message  # registered name kept secret
    assert Person.objects.get(pk=person.pk).name == "赵六"
    assert not Application.objects.exists()


def test_ineligible_rows_list_the_conditions_missed(world):
    rows = [["新人", factories.resident_id()], ["半年", factories.resident_id()]]
    rows[1].append((TODAY - datetime.timedelta(days=183)).isoformat())
    result = roster(world, xlsx(HEADERS, rows))
    assert [(e.row, e.field) for e in result.errors] == [(2, ""), (3, "")]
    for error in result.errors:
        assert "不符合任何一项申报条件" in error.message and "5-1" in error.message and "5-2" in error.message
    assert "0 年 184 天，需 1 年" in result.errors[1].message  # updated: anniversaries, end inclusive
    assert not Person.objects.filter(name__in=["新人", "半年"]).exists()


def test_another_institutions_admin_is_forbidden(world):
    before = counts()
    with pytest.raises(Forbidden):
        roster(world, xlsx(HEADERS, eligible(2)), actor=world.admin_b)
    assert counts() == before


def test_a_submitted_session_takes_no_roster(world):
    Session.objects.filter(pk=world.session.pk).update(state=Session.State.SUBMITTED)
    before = counts()
    with pytest.raises(DomainError) as caught:
        roster(world, xlsx(HEADERS, eligible(2)))
    assert "已提交" in " ".join(caught.value.messages)
    assert counts() == before


def test_exceptional_routes_wait_for_approval_and_need_reason_and_evidence(world):
    headers = ["姓名", "证件号码", "申报途径", "理由", "证明材料"]
    rows = [
        ["能手", factories.resident_id(), "破格晋升", "市级技术能手", "获奖证书"],
        ["缺材料", factories.resident_id(), "破格晋升", "市级技术能手", ""],
        ["乱填", factories.resident_id(), "走后门", "", ""],
    ]
    result = roster(world, xlsx(headers, rows))
    assert [(e.row, e.field) for e in result.errors] == [(3, "理由"), (4, "申报途径")]
    assert "正常申报" in result.errors[1].message  # lists what may be written
    result = roster(world, xlsx(headers, rows[:1]))
    application = Application.objects.get()
    assert result.created == 1
    assert (application.state, application.pathway, application.condition) == ("pending_approval", "exceptional", None)
    assert not Result.objects.exists()


def test_the_proportion_cap_is_counted_once_for_the_whole_file(world):
    world.a.kind, world.a.high_level_cap, world.a.staff_count = Institution.Kind.EMPLOYER, Decimal("0.2"), 10
    world.a.save()
    session = world.plan(level=Level.GRADE_3)
    people = [factories.person(name=f"老师傅{i}") for i in range(3)]
    for person in people:
        PriorCertificate.objects.create(
            person=person,
            evaluation_type="skill_level",
            occupation=world.electrician,
            level=Level.GRADE_4,
            number=f"P{person.pk}",
            issuer="原鉴定所",
            issued_on=D(2010, 1, 1),
        )
        # Updated: "5 years after 四级" are years of work after the certificate (docs/domain.md).
        WorkExperience.objects.create(person=person, occupation=world.electrician, started=D(2010, 1, 2))
    rows = [[p.name, p.document_number] for p in people]
    result = roster(world, xlsx(["姓名", "证件号码"], rows), session=session)
    assert [(e.row, e.field) for e in result.errors] == [(4, "申报途径")]
    assert "名额为 2 人" in result.errors[0].message
    assert roster(world, xlsx(["姓名", "证件号码"], rows[:2]), session=session).created == 2


def test_school_cohort_enrols_graduating_year_students(world):
    world.a.kind, world.a.school_files_as = Institution.Kind.SCHOOL, "social"
    world.a.save()
    session = world.plan(level=Level.GRADE_4)
    headers = ["姓名", "证件号码", "申报途径", "学历类别", "专业", "毕业日期"]
    soon = (TODAY + datetime.timedelta(days=30)).isoformat()
    later = (TODAY + datetime.timedelta(days=600)).isoformat()
    students = [
        ["学生甲", factories.resident_id(D(2007, 3, 1)), "院校团体申报", "技工学校/中职", "电气运行与控制", soon],
        ["学生乙", factories.resident_id(D(2007, 5, 1)), "院校团体申报", "中职", "电气运行与控制", soon],
    ]
    not_yet = ["学生丙", factories.resident_id(D(2008, 5, 1)), "院校团体申报", "中职", "电气运行与控制", later]
    result = roster(world, xlsx(headers, [*students, not_yet]), session=session)
    assert [(e.row, e.field) for e in result.errors] == [(4, "申报途径")]
    assert "毕业学年" in result.errors[0].message
    assert not Education.objects.exists()
    result = roster(world, xlsx(headers, students), session=session)
    assert result.created == 2
    applications = Application.objects.filter(session=session).select_related("condition")
    assert {(a.pathway, a.state, a.condition.code) for a in applications} == {("school_group", "enrolled", "4-3")}
    educations = Education.objects.all()
    assert {(e.kind, e.related_occupation_id, e.graduation_date.isoformat()) for e in educations} == {
        ("secondary_vocational", world.electrician.pk, soon)
    }


def test_the_import_queries_do_not_grow_with_the_rows(world):
    with CaptureQueriesContext(connection) as few:
        assert roster(world, xlsx(HEADERS, eligible(5, "少"))).created == 5
    second = world.plan(name="多")
    with CaptureQueriesContext(connection) as many:
        assert roster(world, xlsx(HEADERS, eligible(60, "多")), session=second).created == 60
    assert len(many) == len(few)


# --- templates ---


def test_roster_template_has_the_columns_the_text_id_column_an_example_and_notes(world):
    workbook = openpyxl.load_workbook(io.BytesIO(imports.roster_template()))
    assert workbook.sheetnames[1] == "说明"
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header == imports.ROSTER_COLUMNS and header[:2] == ["姓名", "证件号码"]
    assert sheet.column_dimensions["B"].number_format == "@"
    assert sheet["B2"].number_format == "@" and isinstance(sheet["B2"].value, str)
    assert sheet.max_row == 2  # one example row
    notes = " ".join(str(c.value) for row in workbook["说明"].iter_rows() for c in row if c.value)
    assert "全部导入" in notes and "一行也不导入" in notes
    assert all(column in notes for column in imports.ROSTER_COLUMNS)
    # Uploaded as it is, the example row is refused.
    result = roster(world, imports.roster_template())
    assert [(e.row, e.message) for e in result.errors] == [(2, "这是模板中的示例行，请删除后再导入。")]


def test_scores_template_lists_enrolled_candidates_with_masked_ids_only(world):
    applications = [enrol(world, name=f"考生{i}") for i in range(2)]
    data = imports.scores_template(world.session)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["报名号", "姓名", "证件号码", "理论知识", "操作技能"]
    assert [row[:3] for row in rows[1:]] == [[a.pk, a.person.name, a.person.document_masked] for a in applications]
    assert all(row[3] is None and row[4] is None for row in rows[1:])
    for application in applications:
        assert "*" in application.person.document_masked
        assert application.person.document_number.encode() not in data
        assert all(application.person.document_number not in str(cell) for row in rows for cell in row)


# --- scores ---


@pytest.fixture
def scoring(world):
    world.staff(world.session)
    applications = [enrol(world, name=f"考生{i}") for i in range(3)]
    return world, applications, world.assessors_a[0].user


def score_sheet(rows, headers=("报名号", "姓名", "理论知识", "操作技能")):
    return xlsx(list(headers), rows)


def test_scores_import_records_scores_and_outcomes(scoring):
    world, (a, b, c), assessor = scoring
    data = score_sheet(
        [[a.pk, a.person.name, 80, 75.5], [b.pk, b.person.name, 40, 90], [c.pk, c.person.name, 70, None]]
    )
    result = imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.xlsx")
    assert result == imports.ImportResult(created=3, errors=[])
    results = {r.application_id: r for r in Result.objects.all()}
    assert (results[a.pk].theory, results[a.pk].practical, results[a.pk].outcome) == (
        Decimal("80.0"),
        Decimal("75.5"),
        "passed",
    )
    assert results[b.pk].outcome == "failed"
    assert (results[c.pk].practical, results[c.pk].outcome) == (None, "pending")
    assert {r.recorded_by for r in results.values()} == {assessor}
    # Blank cells leave the scores as they are.
    data = score_sheet([[c.pk, c.person.name, None, 61]], headers=("报名号", "姓名", "理论知识", "操作技能"))
    imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.xlsx")
    c_result = Result.objects.get(application=c)
    assert (c_result.theory, c_result.practical, c_result.outcome) == (Decimal("70.0"), Decimal("61.0"), "passed")


def test_scores_import_is_in_the_audit_log_with_its_assessor(scoring):
    """bulk_update sends no signal: the import writes the results' history itself, with who, the
    new scores and the institution, in the same transaction."""
    world, (a, b, c), assessor = scoring
    data = score_sheet([[a.pk, a.person.name, 80, 75.5]])
    imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.xlsx")
    entry = Result.history.filter(application_id=a.pk).latest("history_date")
    assert (entry.history_user, entry.theory, entry.outcome) == (assessor, Decimal("80.0"), "passed")
    assert entry.audit_institution == world.session.institution_id


def test_scores_import_reports_every_bad_row_and_changes_nothing(scoring):
    world, (a, b, c), assessor = scoring
    elsewhere = enrol(world, session=world.plan(name="别的批次"), name="别处")
    data = score_sheet(
        [
            [a.pk, a.person.name, 101, 80],  # 2: out of range
            [b.pk, b.person.name, 80.25, 80],  # 3: two decimals
            [99999, "", 80, 80],  # 4: unknown
            [elsewhere.pk, "别处", 80, 80],  # 5: another session
            [c.pk, "别人", 80, 80],  # 6: the name does not match (a shifted row)
            [a.pk, a.person.name, 80, 80],  # 7: duplicate
            ["abc", "", 80, 80],  # 8: not a number
        ]
    )
    result = imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.xlsx")
    assert result.created == 0
    assert [(e.row, e.field) for e in result.errors] == [
        (2, "理论知识"),
        (3, "理论知识"),
        (4, "报名号"),
        (5, "报名号"),
        (6, "姓名"),
        (7, "报名号"),
        (8, "报名号"),
    ]
    assert "0–100" in result.errors[0].message and "一位小数" in result.errors[1].message
    assert "不存在" in result.errors[2].message and "不是本批次" in result.errors[3].message
    assert set(Result.objects.values_list("theory", "practical", "outcome", "recorded_by")) == {
        (None, None, "pending", None)
    }


def test_scores_csv_and_a_part_the_level_does_not_examine(scoring):
    world, (a, _b, _c), assessor = scoring
    data = csv_file(["报名号", "理论知识", "操作技能", "综合评审"], [[a.pk, "88", "77", "90"]], "gbk")
    result = imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.csv")
    assert [(e.row, e.field) for e in result.errors] == [(2, "综合评审")]
    assert "不考综合评审" in result.errors[0].message
    assert Result.objects.get(application=a).theory is None
    data = csv_file(["报名号", "理论知识", "操作技能"], [[a.pk, "88", "77"]], "gbk")
    assert imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.csv").created == 1
    assert Result.objects.get(application=a).outcome == "passed"


def test_scores_import_refuses_users_not_assigned_to_the_session(scoring):
    world, (a, _b, _c), _assessor = scoring
    data = score_sheet([[a.pk, a.person.name, 80, 80]])
    for user in (world.admin_a, world.assessor_b.user, world.assessors_a[4].user):
        with pytest.raises(Forbidden):
            imports.scores_import(actor=user, session=world.session, data=data, filename="成绩.xlsx")
    assert Result.objects.get(application=a).theory is None


def test_scores_import_respects_recusal_and_the_submitted_lock(scoring):
    world, (a, b, _c), assessor = scoring
    Relation.objects.create(assessor=world.assessors_a[0], person=b.person, kind="relative")
    data = score_sheet([[a.pk, a.person.name, 80, 80], [b.pk, b.person.name, 80, 80]])
    with pytest.raises(Forbidden) as caught:
        imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.xlsx")
    assert "回避" in str(caught.value) and "第 3 行" in str(caught.value)
    assert Result.objects.get(application=a).theory is None
    other = world.assessors_a[1].user
    assert imports.scores_import(actor=other, session=world.session, data=data, filename="成绩.xlsx").created == 2
    Session.objects.filter(pk=world.session.pk).update(state=Session.State.SUBMITTED)
    with pytest.raises(DomainError):
        imports.scores_import(actor=other, session=world.session, data=data, filename="成绩.xlsx")


def test_scores_template_round_trips_through_the_import(scoring):
    world, applications, assessor = scoring
    workbook = openpyxl.load_workbook(io.BytesIO(imports.scores_template(world.session)))
    sheet = workbook.worksheets[0]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=4, value=90)
        sheet.cell(row=row, column=5, value=59 + row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = imports.scores_import(actor=assessor, session=world.session, data=buffer.getvalue(), filename="x.xlsx")
    assert result.created == len(applications)
    assert set(Result.objects.values_list("outcome", flat=True)) == {"passed"}


def test_api_bulk_enrolment_shares_the_fast_path(world):
    from certification import services

    number = factories.resident_id()
    person_register(document_type="resident_id", document_number=number, name="老员工")
    WorkExperience.objects.create(
        person=Person.objects.get(name="老员工"), occupation=world.electrician, started=D(2020, 1, 1)
    )
    rows = [{"name": "老员工", "document_number": number}, {"name": "老员工", "document_number": number}]
    with pytest.raises(DomainError) as caught:
        services.application_enrol_bulk(actor=world.admin_a, session=world.session, rows=rows, on=TODAY)
    assert caught.value.message_dict["rows"][0].startswith("第 2 行 — document_number")
    created = services.application_enrol_bulk(actor=world.admin_a, session=world.session, rows=rows[:1], on=TODAY)
    assert [a.condition.code for a in created] == ["5-1"] and created[0].result.outcome == "pending"


def test_the_portable_write_path_gives_the_same_records(world, monkeypatch):
    """The embedded default (SQLite) writes with bulk_create instead of COPY."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    headers = [*HEADERS, "申报途径", "理由", "证明材料"]
    rows = [[*row, "", "", ""] for row in eligible(2)]
    rows.append(["能手", factories.resident_id(), "", "竞赛晋升", "市赛金牌", "获奖文件"])
    assert roster(world, xlsx(headers, rows)).created == 3
    applications = Application.objects.filter(session=world.session).select_related("person", "condition")
    assert {a.person.name: (a.state, a.condition and a.condition.code) for a in applications} == {
        "能手": ("pending_approval", None),
        "考生0": ("enrolled", "5-1"),
        "考生1": ("enrolled", "5-1"),
    }
    assert Result.objects.count() == 2 and WorkExperience.objects.count() == 2
    assert {p.sex for p in Person.objects.filter(name__startswith="考生")} <= {"M", "F"}


def test_special_ability_score_sheet_takes_pass_or_fail(world):
    session = world.plan_special()
    world.staff(session)
    first, second = enrol(world, session=session, name="甲"), enrol(world, session=session, name="乙")
    assessor = world.assessors_a[0].user
    template = openpyxl.load_workbook(io.BytesIO(imports.scores_template(session))).active
    assert "专项考核结果" in [cell.value for cell in template[1]]
    bad = xlsx(["报名号", "姓名", "专项考核结果"], [[first.pk, "甲", "合格"], [second.pk, "乙", "优秀"]])
    result = imports.scores_import(actor=assessor, session=session, data=bad, filename="专项.xlsx")
    assert [(e.row, e.field) for e in result.errors] == [(3, "专项考核结果")]
    assert Result.objects.get(application=first).outcome == "pending"
    good = xlsx(["报名号", "姓名", "专项考核结果"], [[first.pk, "甲", "合格"], [second.pk, "乙", "不合格"]])
    assert imports.scores_import(actor=assessor, session=session, data=good, filename="专项.xlsx").errors == []
    assert Result.objects.get(application=first).outcome == "passed"
    assert Result.objects.get(application=second).outcome == "failed"


def test_scores_import_refused_before_the_sessions_first_day(scoring):
    world, (a, b, c), assessor = scoring
    Session.objects.filter(pk=world.session.pk).update(starts_on=ahead(), ends_on=ahead())
    world.session.refresh_from_db()
    data = score_sheet([[a.pk, a.person.name, 80, 75.5]])
    with pytest.raises(DomainError) as caught:
        imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.xlsx")
    assert str(ahead()) in " ".join(caught.value.messages)
    assert not Result.objects.filter(theory__isnull=False).exists()


# --- the roster's occupation, level, evaluation type and phone columns ---

SCOPED = ["姓名", "证件号码", "评价类型", "职业编码", "职业名称", "等级", "本职业工作起始日期"]


def test_rows_of_another_occupation_level_or_type_are_refused_naming_both_values(world):
    load_occupations("6-18-02-04")
    rows = [
        ["甲", factories.resident_id(), "职业技能等级认定", "6-31-01-03", "电工", "五级/初级工", TWO_YEARS_AGO],
        ["乙", factories.resident_id(), "职业技能等级认定", "6-18-02-04", "焊工", "五级/初级工", TWO_YEARS_AGO],
        ["丙", factories.resident_id(), "", "6-31-01-03", "电工", "三级/高级工", TWO_YEARS_AGO],
        ["丁", factories.resident_id(), "专项职业能力考核", "", "", "", TWO_YEARS_AGO],
        ["戊", factories.resident_id(), "", "", "焊工", "", TWO_YEARS_AGO],
    ]
    before = counts()
    result = roster(world, xlsx(SCOPED, rows))
    assert result.created == 0 and counts() == before
    by_row = {(e.row, e.field): e.message for e in result.errors}
    assert set(by_row) == {(3, "职业编码"), (4, "等级"), (5, "评价类型"), (6, "职业名称")}
    assert "6-18-02-04（焊工）" in by_row[3, "职业编码"] and "6-31-01-03 电工" in by_row[3, "职业编码"]
    assert "三级/高级工" in by_row[4, "等级"] and "五级/初级工" in by_row[4, "等级"]
    assert "专项职业能力考核" in by_row[5, "评价类型"] and "职业技能等级认定" in by_row[5, "评价类型"]
    assert "焊工" in by_row[6, "职业名称"] and "电工" in by_row[6, "职业名称"]


@pytest.mark.parametrize("level", ["五级/初级工", "五级", "初级工", "5", "5级", "初级"])
def test_the_session_level_is_recognised_in_the_forms_clerks_write(world, level):
    rows = [["甲", factories.resident_id(), "职业技能等级认定", "6-31-01-03", "电工", level, TWO_YEARS_AGO]]
    result = roster(world, csv_file(SCOPED, rows, "gbk"), filename="名单.csv")
    assert (result.created, result.errors, result.warnings) == (1, [], [])


def test_a_level_on_a_special_ability_roster_is_refused(world):
    session = world.plan_special()
    rows = [["甲", factories.resident_id(), "", "", "", "五级", TWO_YEARS_AGO]]
    result = roster(world, xlsx(SCOPED, rows), session=session)
    assert [(e.row, e.field) for e in result.errors] == [(2, "等级")]
    assert "不分等级" in result.errors[0].message


@pytest.fixture
def fitter_session(world):
    """A session of 装配钳工, named 钳工 before the 2022 大典."""
    (fitter,) = load_occupations("6-20-01-01")
    assert fitter.former_names == ["钳工"]
    world.a.filings.get().scopes.create(evaluation_type="skill_level", occupation=fitter, levels=[1, 2, 3, 4, 5])
    from certification import services

    session = services.session_plan(
        actor=world.admin_a,
        institution=world.a,
        evaluation_type="skill_level",
        occupation=fitter,
        level=Level.GRADE_5,
        starts_on=ahead(),
        ends_on=ahead(),
        site="x",
    )
    return held_on(session)


@pytest.mark.parametrize("filename", ["名单.xlsx", "名单.csv"])
def test_a_former_occupation_name_is_matched_by_code_with_a_warning_giving_the_current_name(
    world, fitter_session, filename
):
    rows = [
        ["甲", factories.resident_id(), "", "6-20-01-01", "钳工", "五级", TWO_YEARS_AGO],
        ["乙", factories.resident_id(), "", "", "钳工", "五级", TWO_YEARS_AGO],
        ["丙", factories.resident_id(), "", "6-20-01-01", "装配钳工", "五级", TWO_YEARS_AGO],
    ]
    data = xlsx(SCOPED, rows) if filename.endswith("xlsx") else csv_file(SCOPED, rows, "gbk")
    result = roster(world, data, filename=filename, session=fitter_session)
    assert (result.created, result.errors) == (3, [])
    assert [(w.row, w.field) for w in result.warnings] == [(2, "职业名称"), (3, "职业名称")]
    assert all("装配钳工" in w.message and "钳工" in w.message for w in result.warnings)
    assert Application.objects.filter(session=fitter_session).count() == 3


def test_a_former_name_under_another_occupations_code_is_refused(world, fitter_session):
    rows = [["甲", factories.resident_id(), "", "6-20-01-01", "电工", "五级", TWO_YEARS_AGO]]
    result = roster(world, xlsx(SCOPED, rows), session=fitter_session)
    assert [(e.row, e.field) for e in result.errors] == [(2, "职业名称")]
    assert "电工" in result.errors[0].message and "装配钳工" in result.errors[0].message


def test_the_import_page_shows_the_warnings(world, fitter_session, client):
    client.force_login(world.admin_a)
    rows = [["甲", factories.resident_id(), "", "6-20-01-01", "钳工", "五级", TWO_YEARS_AGO]]
    upload = io.BytesIO(xlsx(SCOPED, rows))
    upload.name = "名单.xlsx"
    response = client.post(f"/institution/sessions/{fitter_session.pk}/roster/", {"file": upload}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "已导入 1 名考生" in body and "现名“装配钳工”" in body


def test_the_duplicate_key_is_document_occupation_and_level(world):
    number = factories.resident_id()
    rows = [
        ["甲", number, "", "6-31-01-03", "电工", "五级", TWO_YEARS_AGO],
        ["甲", number, "", "6-31-01-03", "电工", "三级", TWO_YEARS_AGO],  # another level: refused as such
        ["甲", number, "", "6-31-01-03", "电工", "初级工", TWO_YEARS_AGO],  # the same key as row 2
    ]
    result = roster(world, xlsx(SCOPED, rows))
    assert [(e.row, e.field) for e in result.errors] == [(3, "等级"), (4, "证件号码")]
    assert "与第 2 行重复" in result.errors[1].message
    assert number not in " ".join(e.message for e in result.errors)


def test_phones_are_stored_as_11_digits(world):
    headers = ["姓名", "证件号码", "手机号", "本职业工作起始日期"]
    typed = ["+86 138-0013-8000", "１３９\u3000００１３\u3000８０００", "0086 150 0000 0000", "", 13700137000]
    rows = [[f"考生{i}", factories.resident_id(), phone, TWO_YEARS_AGO] for i, phone in enumerate(typed)]
    result = roster(world, xlsx(headers, rows))
    assert (result.created, result.errors) == (5, [])
    phones = dict(Application.objects.filter(session=world.session).values_list("person__name", "phone"))
    assert phones == {
        "考生0": "13800138000",
        "考生1": "13900138000",
        "考生2": "15000000000",
        "考生3": "",
        "考生4": "13700137000",
    }


@pytest.mark.parametrize("phone", ["12345678901", "1380013800", "138001380001", "021-12345678", "+1 415 555 0100"])
def test_a_phone_that_is_no_mainland_mobile_is_a_row_error(world, phone):
    headers = ["姓名", "证件号码", "手机号", "本职业工作起始日期"]
    before = counts()
    result = roster(world, csv_file(headers, [["甲", factories.resident_id(), phone, TWO_YEARS_AGO]]), "名单.csv")
    assert [(e.row, e.field) for e in result.errors] == [(2, "手机号")]
    assert counts() == before


# --- names ---


def test_names_are_trimmed_and_cleaned_but_rare_characters_kept_exactly(world):
    typed = {
        " 张　三 ": "张三",  # U+3000 inside, spaces around
        "李 四": "李四",
        "阿依古丽・买买提": "阿依古丽·买买提",  # katakana middle dot → U+00B7
        "买买提•艾力": "买买提·艾力",
        "𠮷田": "𠮷田",  # Extension B (U+20BB7): NFKC would keep it, but nothing may alter it
        "\uf900先生": "\uf900先生",  # a CJK compatibility ideograph: NFKC would turn it into U+8C48
        "John  Smith": "John Smith",
    }
    rows = [[name, factories.resident_id(), TWO_YEARS_AGO] for name in typed]
    result = roster(world, xlsx(HEADERS, rows))
    assert (result.created, result.errors) == (len(typed), [])
    stored = set(Person.objects.values_list("name", flat=True))
    assert set(typed.values()) <= stored
    assert "豈先生" not in stored


@pytest.mark.parametrize(
    "name",
    [
        "张\u0000三",
        "张\u202e三",
        "张\u202a三",
        "张\u2066三",
        "张\u2069三",
        "张\u200b三",
        "张\u200d三",
        "张\ufeff三",
        "张\n三",
    ],
)
def test_a_name_with_a_control_or_format_character_is_a_row_error(world, name):
    before = counts()
    rows = [["李四", factories.resident_id(), TWO_YEARS_AGO], [name, factories.resident_id(), TWO_YEARS_AGO]]
    result = roster(world, csv_file(HEADERS, rows), filename="名单.csv")
    assert [(e.row, e.field) for e in result.errors] == [(3, "姓名")]
    assert "不可见" in result.errors[0].message
    assert counts() == before


def test_a_name_longer_than_the_field_is_a_row_error_not_a_truncation(world, client):
    before = counts()
    rows = [["张" * 101, factories.resident_id(), TWO_YEARS_AGO]]
    result = roster(world, xlsx(HEADERS, rows))
    assert [(e.row, e.field) for e in result.errors] == [(2, "姓名")]
    assert "最多 100" in result.errors[0].message
    assert counts() == before
    client.force_login(world.admin_a)
    upload = io.BytesIO(csv_file(HEADERS, [["张\u0000" * 60, factories.resident_id(), TWO_YEARS_AGO]]))
    upload.name = "名单.csv"
    response = client.post(f"/institution/sessions/{world.session.pk}/roster/", {"file": upload})
    assert response.status_code == 400 and "不可见" in response.content.decode()
    assert counts() == before


# --- document types under their official names ---


@pytest.mark.parametrize(
    ("label", "number", "stored"),
    [
        ("港澳居民来往内地通行证", "H12345678", "hk_macao"),
        ("港澳通行证", "M1234567801", "hk_macao"),
        ("台湾居民来往大陆通行证", "12345678", "taiwan"),
        ("台胞证", "87654321", "taiwan"),
        ("港澳台居民居住证", "810000199001011234", "hk_macao"),
        ("港澳台居民居住证", "830000199001011234", "taiwan"),
        ("外国人永久居留身份证", "USA310090010101", "foreign_permanent"),
        ("港澳居民居住证/来往内地通行证", "H87654321", "hk_macao"),
        ("护照", "E12345678", "passport"),
    ],
)
def test_permits_are_accepted_under_their_full_official_names_and_short_ones(world, label, number, stored):
    headers = ["姓名", "证件号码", "证件类型", "本职业工作起始日期"]
    result = roster(world, xlsx(headers, [["陈大文", number, label, TWO_YEARS_AGO]]))
    assert (result.created, result.errors) == (1, [])
    assert Person.objects.get(name="陈大文").document_type == stored


def test_a_residence_permit_number_of_no_hong_kong_macao_or_taiwan_area_is_refused(world):
    headers = ["姓名", "证件号码", "证件类型", "本职业工作起始日期"]
    result = roster(world, xlsx(headers, [["陈大文", "310000199001011234", "港澳台居民居住证", TWO_YEARS_AGO]]))
    assert [(e.row, e.field) for e in result.errors] == [(2, "证件类型")]


def test_the_template_and_the_page_say_mismatching_rows_are_refused(world, client):
    workbook = openpyxl.load_workbook(io.BytesIO(imports.roster_template(world.session)))
    header = [cell.value for cell in workbook.worksheets[0][1]]
    assert {"职业编码", "职业名称", "等级", "评价类型", "手机号"} <= set(header)
    example = dict(zip(header, [cell.value for cell in workbook.worksheets[0][2]], strict=True))
    assert (example["职业编码"], example["等级"]) == ("6-31-01-03", "五级/初级工")
    notes = " ".join(str(c.value) for row in workbook["说明"].iter_rows() for c in row if c.value)
    assert "不一致的行会被拒绝" in notes and "港澳居民来往内地通行证" in notes
    client.force_login(world.admin_a)
    page = client.get(f"/institution/sessions/{world.session.pk}/").content.decode()
    assert "不一致的行会被拒绝" in page


def test_a_score_sheet_name_is_compared_as_the_registry_stores_names(scoring):
    world, (a, b, _c), assessor = scoring
    spaced = " ".join(a.person.name)  # 考 生 0: the same name, typed with spaces
    data = score_sheet([[a.pk, spaced, 80, 75], [b.pk, "别人", 80, 75]])
    result = imports.scores_import(actor=assessor, session=world.session, data=data, filename="成绩.xlsx")
    assert [(e.row, e.field) for e in result.errors] == [(3, "姓名")]


# --- the set-based write path (COPY, one query per kind of look-up) ---


def _snapshot():
    """Everything an import writes, keyed by what does not depend on ids or on the moment."""
    people = {
        p.pk: (p.document_type, p.document_number, p.document_hash, p.document_masked, p.name, p.sex, p.birth_date)
        for p in Person.objects.all()
    }
    return {
        "people": sorted(people.values(), key=str),
        "applications": sorted(
            (people[a.person_id][2], a.session_id, a.pathway, a.state, a.condition_id, a.reason, a.evidence, a.phone)
            for a in Application.objects.all()
        ),
        "results": sorted(
            (people[r.application.person_id][2], r.outcome) for r in Result.objects.select_related("application")
        ),
        "work": sorted(
            (people[w.person_id][2], w.occupation_id, w.started, w.ended, w.apprenticeship)
            for w in WorkExperience.objects.all()
        ),
        "educations": sorted(
            (people[e.person_id][2], e.kind, e.major, e.graduation_date, e.related_occupation_id)
            for e in Education.objects.all()
        ),
    }


def test_a_large_import_gives_the_same_records_as_importing_each_row_alone(world):
    """New and known people (known ones with their own work records and certificates), other
    documents, an old 15-digit ID, phones and an exceptional route: one file of 150 rows writes
    exactly what 150 one-row files write."""
    known = []
    for i in range(20):
        number = factories.resident_id(D(1980, 1, 1))
        person = person_register(document_type="resident_id", document_number=number, name=f"老员工{i}")
        WorkExperience.objects.create(person=person, occupation=world.electrician, started=D(2020, 1, 1))
        if i % 2:
            PriorCertificate.objects.create(
                person=person,
                evaluation_type="skill_level",
                occupation=world.electrician,
                level=Level.GRADE_5,
                number=f"P{i:06d}",
                issuer="某机构",
                issued_on=D(2021, 1, 1),
            )
        known.append([f"老员工{i}", number, "", "", "", "", "", ""])
    headers = ["姓名", "证件号码", "证件类型", "手机号", "申报途径", "理由", "证明材料", "本职业工作起始日期"]
    rows = [*known]
    rows += [
        [f"考生{i}", factories.resident_id(), "", f"1380013{i:04d}", "", "", "", TWO_YEARS_AGO] for i in range(120)
    ]
    rows += [["陈大文", "H12345678", "港澳居民来往内地通行证", "", "", "", "", TWO_YEARS_AGO]]
    rows += [["旧证号", "310115850315123", "", "", "", "", "", TWO_YEARS_AGO]]
    rows += [[f"能手{i}", factories.resident_id(), "", "", "竞赛晋升", "市赛金牌", "获奖文件", ""] for i in range(8)]
    people_before = Person.objects.count()
    with transaction.atomic():
        result = roster(world, csv_file(headers, rows), filename="名单.csv")
        assert (result.created, result.errors) == (len(rows), [])
        whole = _snapshot()
        transaction.set_rollback(True)
    for row in rows:
        assert roster(world, csv_file(headers, [row]), filename="名单.csv").created == 1
    assert _snapshot() == whole
    assert len(whole["applications"]) == len(rows) and len(whole["people"]) == people_before + len(rows) - 20
    assert len(whole["work"]) == 20 + 122 and len(whole["results"]) == len(rows) - 8


def test_a_person_another_enrolment_inserted_meanwhile_is_reused_not_duplicated(world, postgres, monkeypatch):
    """The look-up found nobody, then another transaction inserted the same person: the COPY
    meets the unique hash, is undone, and the rows go through INSERT … ON CONFLICT DO NOTHING;
    the other rows are inserted, the raced person read back (and the name compared)."""
    from certification.services import applications

    number = factories.resident_id()
    raced = person_register(document_type="resident_id", document_number=number, name="先到者")
    monkeypatch.setattr(applications, "_known_people", lambda hashes: {})
    rows = [["新人甲", factories.resident_id(), TWO_YEARS_AGO], ["先到者", number, TWO_YEARS_AGO]]
    rows.append(["新人乙", factories.resident_id(), TWO_YEARS_AGO])
    before = Person.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert roster(world, xlsx(HEADERS, rows)).created == 3
    assert any("ON CONFLICT DO NOTHING" in q["sql"] for q in queries)  # the path taken after the conflict
    assert Person.objects.count() == before + 2
    assert Application.objects.get(session=world.session, person__name="先到者").person_id == raced.pk
    other = world.plan(name="第二批")
    before = counts()
    renamed = [["新人丙", factories.resident_id(), TWO_YEARS_AGO], ["改名者", number, TWO_YEARS_AGO]]
    with pytest.raises(DomainError) as caught:
        roster(world, xlsx(HEADERS, renamed), session=other)
    assert "第 3 行" in caught.value.messages[0] and number not in caught.value.messages[0]
    assert counts() == before


def test_known_people_are_looked_up_in_the_same_queries_whatever_their_number(world):
    """People already registered (with work records) take one query per kind of look-up."""

    def registered(n, prefix):
        rows = []
        for i in range(n):
            number = factories.resident_id()
            person = person_register(document_type="resident_id", document_number=number, name=f"{prefix}{i}")
            WorkExperience.objects.create(person=person, occupation=world.electrician, started=D(2020, 1, 1))
            rows.append([f"{prefix}{i}", number, ""])
        return rows

    few_rows, many_rows = registered(3, "少"), registered(40, "多")
    with CaptureQueriesContext(connection) as few:
        assert roster(world, xlsx(HEADERS, few_rows)).created == 3
    second = world.plan(name="多")
    with CaptureQueriesContext(connection) as many:
        assert roster(world, xlsx(HEADERS, many_rows), session=second).created == 40
    assert len(many) == len(few)


def test_tabs_newlines_and_backslashes_in_a_cell_are_stored_exactly(world):
    """COPY's text format escapes them: a reason typed over two lines keeps its characters."""
    headers = ["姓名", "证件号码", "申报途径", "理由", "证明材料"]
    reason, evidence = "市级\t技术能手\n第二行 C:\\证书\\N", "获奖文件\\.\r\n附件"
    rows = [["能手", factories.resident_id(), "竞赛晋升", reason, evidence]]
    assert roster(world, csv_file(headers, rows), filename="名单.csv").created == 1
    application = Application.objects.get(session=world.session)
    assert (application.reason, application.evidence) == (reason, evidence)
