"""Spreadsheet imports: candidate rosters and score sheets, XLSX or CSV, all or nothing.

A clerk uploads a file; every bad row is reported with its row number as the sheet shows it,
the column header and a reason in Chinese (never a full ID number), and nothing is written
unless every row is good. The checks are those of the one-row services: rosters go through
the set-based `enrol_rows` that `application_enrol` uses too, scores through the same
cleaning, permission and recusal helpers as `result_record`.
"""

import codecs
import contextlib
import csv
import dataclasses
import datetime
import functools
import gc
import io
import operator
import re
import unicodedata
from dataclasses import dataclass

import python_calamine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from registry import audit, identity
from registry.errors import DomainError, Forbidden
from registry.identity import DocumentType
from registry.levels import EVALUATION_TYPES, EvaluationType, Level
from registry.models import EligibilityCondition, Occupation

from .models import Application, Result, Session
from .services.applications import EducationRecord, EnrolRow, WorkRecord, enrol_rows, lock_for_enrolment
from .services.results import (
    RECUSAL_MESSAGE,
    check_parts_allowed,
    clean_values,
    compute_outcome,
    not_enrolled_error,
    recording_staff,
    recused,
)
from .services.sessions import required_parts

MAX_ROWS = 20_000
P = Application.Pathway


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number as the clerk sees it (header is row 1)
    field: str  # the column header as in the template, or "" for the whole row or file
    message: str  # why, in Chinese; never a full ID number


@dataclass
class ImportResult:
    created: int  # applications created (roster) or results updated (scores)
    errors: list[RowError]  # empty when the file was accepted
    warnings: list[RowError] = dataclasses.field(default_factory=list)  # accepted, but worth the clerk's eye


class TableRow(dict):
    """A data row: {header: text}, with `row`, its number in the sheet."""

    row: int

    def __init__(self, row: int, cells):
        super().__init__(cells)
        self.row = row


# --- Reading ---


def _excel_number(value: float) -> str:
    if value.is_integer():
        if abs(value) < 1e15:
            return str(int(value))
        # Beyond Excel's 15 significant digits the last digits are already lost: show the
        # number as Excel does (3.10101199001011E+17) so that ID validation refuses it.
        mantissa, exponent = f"{value:.14E}".split("E")
        return f"{mantissa.rstrip('0').rstrip('.')}E{exponent}"
    return format(value, ".15g")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _excel_number(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(data: bytes) -> list[list]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        name = next((n for n in names if n != NOTES_SHEET), names[0] if names else None)
        if name is None:
            raise DomainError(_("Excel 文件中没有工作表。"))
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except DomainError:
        raise
    except Exception:  # calamine raises its own zip, XML and password errors
        raise DomainError(
            _("无法读取该 Excel 文件：请确认是未加密的 .xlsx 文件（可在 Excel 中“另存为”.xlsx）。")
        ) from None


def _csv_rows(data: bytes) -> list[list[str]]:
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")  # Chinese Excel saves CSV as GBK; GB18030 contains it
            except UnicodeDecodeError:
                raise DomainError(_("无法识别 CSV 文件的编码：请另存为 UTF-8 或 GBK 编码的 CSV。")) from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise DomainError(_("CSV 文件格式有误，无法读取：请在 Excel 中另存为 CSV 后重试。")) from None


def _picker(positions: list[int]):
    """The items at `positions` of a list, as a tuple."""
    if len(positions) == 1:
        return lambda texts: (texts[positions[0]],)
    return operator.itemgetter(*positions)


def _header(cell: str) -> str:
    return unicodedata.normalize("NFKC", cell).strip()


def read_table(data: bytes, filename: str, *, required=()) -> list[dict[str, str]]:
    """The data rows of the first sheet of an .xlsx file, or of a .csv file (UTF-8 with or
    without BOM, or GBK/GB18030), as {header: text} with `.row` the row number in the sheet.
    Excel numbers come as integers without ".0", dates as yyyy-mm-dd; fully empty rows are
    skipped. A DomainError for an unreadable file, no header, a missing `required` column,
    no data or more than MAX_ROWS data rows."""
    suffix = (filename or "").lower().rsplit(".", 1)[-1] if "." in (filename or "") else ""
    if suffix == "xlsx":
        raw = _xlsx_rows(data)
    elif suffix == "csv":
        raw = _csv_rows(data)
    else:
        raise DomainError(_("只接受 .xlsx 或 .csv 文件（.xls 请在 Excel 中另存为 .xlsx）。"))
    if not raw or not any(_cell_text(cell) for cell in raw[0]):
        raise DomainError(_("第 1 行应为表头（如“姓名”“证件号码”），但它是空的：请使用下载的模板。"))
    headers = [_header(_cell_text(cell)) for cell in raw[0]]
    named = [h for h in headers if h]
    duplicates = sorted({h for h in named if named.count(h) > 1})
    if duplicates:
        raise DomainError(_("表头中的列重复：%(cols)s。") % {"cols": "、".join(duplicates)})
    missing = [column for column in required if column not in named]
    if missing:
        raise DomainError(_("缺少必填列：%(cols)s（表头须在第 1 行，列名与模板一致）。") % {"cols": "、".join(missing)})
    # A CSV's cells are all text; the named columns' cells picked in one call, a short row
    # padded with empty cells.
    cell_text = _cell_text if suffix == "xlsx" else str.strip
    width = len(headers)
    positions = [i for i, h in enumerate(headers) if h]
    pick = (lambda texts: texts) if len(positions) == width else _picker(positions)
    rows = []
    for number, cells in enumerate(raw[1:], start=2):
        texts = [cell_text(cell) for cell in cells]
        if not any(texts):
            continue
        if len(rows) == MAX_ROWS:
            raise DomainError(_("数据超过 %(n)d 行：请分成多个文件导入。") % {"n": MAX_ROWS})
        if len(texts) < width:
            texts += [""] * (width - len(texts))
        rows.append(TableRow(number, zip(named, pick(texts), strict=False)))  # cells past the header: ignored
    if not rows:
        raise DomainError(_("文件中没有数据行（第 2 行起）。"))
    return rows


# --- Rosters ---

NAME, DOCUMENT, DOCUMENT_TYPE, PATHWAY, REASON, EVIDENCE = (
    "姓名",
    "证件号码",
    "证件类型",
    "申报途径",
    "理由",
    "证明材料",
)
EDUCATION, MAJOR, GRADUATION, WORK_STARTED = "学历类别", "专业", "毕业日期", "本职业工作起始日期"
OCCUPATION_CODE, OCCUPATION_NAME, LEVEL, EVALUATION_TYPE, PHONE = "职业编码", "职业名称", "等级", "评价类型", "手机号"
ROSTER_COLUMNS = [
    NAME,
    DOCUMENT,
    DOCUMENT_TYPE,
    PHONE,
    EVALUATION_TYPE,
    OCCUPATION_CODE,
    OCCUPATION_NAME,
    LEVEL,
    PATHWAY,
    REASON,
    EVIDENCE,
    EDUCATION,
    MAJOR,
    GRADUATION,
    WORK_STARTED,
]
# enrol_rows' field names → the column a clerk fixes ("condition": the row as a whole).
ROSTER_FIELDS = {
    "name": NAME,
    "document_number": DOCUMENT,
    "document_type": DOCUMENT_TYPE,
    "pathway": PATHWAY,
    "reason": REASON,
    "evidence": EVIDENCE,
    "phone": PHONE,
}
EXAMPLE_NAME = "张三（示例行，导入前请删除）"
NOTES_SHEET = "说明"


def _labels(choices, aliases=None) -> dict[str, str]:
    """{label or value: value}, the label's parts split at "/" counting as labels too."""
    table = {}
    for value, label in choices:
        table[value] = value
        table[str(label)] = value
        for part in str(label).split("/"):
            table.setdefault(part, value)
    table.update(aliases or {})
    return table


DOCUMENT_TYPES = _labels(DocumentType.choices, identity.DOCUMENT_TYPE_ALIASES)
EVALUATION_TYPES_BY_LABEL = _labels(
    EvaluationType.choices,
    {
        "职业资格": EvaluationType.QUALIFICATION,
        "职业技能等级": EvaluationType.SKILL_LEVEL,
        "技能等级认定": EvaluationType.SKILL_LEVEL,
        "等级认定": EvaluationType.SKILL_LEVEL,
        "专项职业能力": EvaluationType.SPECIAL_ABILITY,
        "专项能力考核": EvaluationType.SPECIAL_ABILITY,
    },
)
# 五级/初级工 and its parts, the national digit ("5", "5级") and the short forms clerks write.
LEVELS_BY_LABEL = _labels(
    [(str(value), label) for value, label in Level.choices],
    {
        **{f"{digit}级": str(level) for level, digit in ((1, 5), (2, 4), (3, 3), (4, 2), (5, 1))},
        **{str(digit): str(level) for level, digit in ((1, 5), (2, 4), (3, 3), (4, 2), (5, 1))},
        "初级": "1",
        "中级": "2",
        "高级": "3",
    },
)
PATHWAYS = _labels(P.choices)
EDUCATIONS = _labels(
    EligibilityCondition.Education.choices,
    {"专科": "higher_vocational", "硕士": "master", "研究生": "master", "博士": "master"},
)
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$|^(\d{4})(\d{2})(\d{2})$")


def _shown(text: str) -> str:
    """A cell's text fit for an error message: anything that may be an ID number is masked."""
    text = text[:40]
    return identity.mask_document_number(text) if re.search(r"\d{7,}", text) else text


def _date(text: str) -> datetime.date:
    date = _parsed_date(text)
    if date is None:
        raise ValueError(_("“%(v)s”不是日期，请写成 yyyy-mm-dd（如 2024-07-01）。") % {"v": _shown(text)})
    return date


@functools.lru_cache(maxsize=1024)
def _parsed_date(text: str) -> datetime.date | None:
    """The date a cell states, or None (a roster's dates repeat: each is parsed once)."""
    match = _DATE.match(unicodedata.normalize("NFKC", text).strip())
    if match:
        year, month, day = (int(g) for g in match.groups() if g is not None)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            pass
    return None


def _choice(text: str, table: dict[str, str], header: str, bad: list) -> str | None:
    value = table.get(unicodedata.normalize("NFKC", text).strip())
    if value is None:
        options = "、".join(dict.fromkeys(k for k, v in table.items() if k != v and "/" not in k))
        bad.append(
            (
                header,
                _("“%(v)s”不是可选的%(col)s（可填：%(options)s）。")
                % {"v": _shown(text), "col": header, "options": options},
            )
        )
    return value


def _occupation_label(code: str, occupations: dict[str, Occupation]) -> str:
    other = occupations.get(code)
    return f"{code}（{other.name}）" if other is not None else _shown(code)


def _stated_occupation(record: TableRow, session: Session, occupations: dict, bad: list, notes: list) -> str | None:
    """What the row's 职业编码 / 职业名称 state when it is not the session's occupation (the row
    is refused, both named), else None. The code decides: a 2015-era code or a name the
    occupation had before the 2022 大典 is matched, with a note giving the current name."""
    occupation = session.occupation
    current = f"{occupation.code} {occupation.name}"
    code = "".join(unicodedata.normalize("NFKC", record.get(OCCUPATION_CODE, "")).split())
    name = "".join(unicodedata.normalize("NFKC", record.get(OCCUPATION_NAME, "")).split())
    if code:
        if code not in (occupation.code, occupation.code_2015):
            bad.append(
                (
                    OCCUPATION_CODE,
                    _(
                        "职业编码 %(row)s 与本批次的职业 %(session)s 不符："
                        "一个批次只报名一个职业，请在该职业的批次中导入此行。"
                    )
                    % {"row": _occupation_label(code, occupations), "session": current},
                )
            )
            return code
        if code != occupation.code:
            notes.append(
                (
                    OCCUPATION_CODE,
                    _("职业编码 %(old)s 是 2015 年版大典编码，现行编码为 %(session)s。")
                    % {"old": code, "session": current},
                )
            )
    if not name or name == occupation.name:
        return None
    if name in occupation.former_names:
        notes.append(
            (
                OCCUPATION_NAME,
                _("“%(old)s”是该职业在 2022 年版大典之前的名称，现名“%(name)s”（%(code)s），已按%(by)s匹配。")
                % {
                    "old": name,
                    "name": occupation.name,
                    "code": occupation.code,
                    "by": _("编码") if code else _("旧称"),
                },
            )
        )
        return None
    if code:
        bad.append(
            (
                OCCUPATION_NAME,
                _("职业名称“%(row)s”与职业编码 %(code)s 的职业“%(name)s”不符，请核对。")
                % {"row": _shown(name), "code": code, "name": occupation.name},
            )
        )
        return None
    bad.append(
        (
            OCCUPATION_NAME,
            _("职业“%(row)s”与本批次的职业 %(session)s 不符：一个批次只报名一个职业，请在该职业的批次中导入此行。")
            % {"row": _shown(name), "session": current},
        )
    )
    return name


def _stated_scope(record: TableRow, session: Session, occupations: dict, bad: list, notes: list) -> tuple | None:
    """None when the row's 评价类型, 职业 and 等级 (each where filled) are the session's;
    otherwise what the row states: such a row is refused, naming both values. (Refused rather
    than moved to another session: the clerk chose this session, and a file that mixes
    occupations or levels is more likely a wrong file than a wish.)"""
    text = record.get
    if not (text(EVALUATION_TYPE) or text(OCCUPATION_CODE) or text(OCCUPATION_NAME) or text(LEVEL)):
        return None  # the usual row: none of the four stated
    stated_type = stated_level = None
    if text(EVALUATION_TYPE):
        value = _choice(text(EVALUATION_TYPE), EVALUATION_TYPES_BY_LABEL, EVALUATION_TYPE, bad)
        if value is not None and value != session.evaluation_type:
            stated_type = value
            bad.append(
                (
                    EVALUATION_TYPE,
                    _("评价类型“%(row)s”与本批次的评价类型“%(session)s”不符。")
                    % {"row": EvaluationType(value).label, "session": session.get_evaluation_type_display()},
                )
            )
    stated_occupation = _stated_occupation(record, session, occupations, bad, notes)
    if text(LEVEL):
        if not EVALUATION_TYPES[EvaluationType(session.evaluation_type)].has_levels or session.level is None:
            stated_level = text(LEVEL)
            bad.append(
                (
                    LEVEL,
                    _("本批次是%(type)s，不分等级，而该行的等级为“%(row)s”：请清空等级，或在对应等级的批次中导入。")
                    % {"type": session.get_evaluation_type_display(), "row": _shown(text(LEVEL))},
                )
            )
        else:
            value = _choice(text(LEVEL), LEVELS_BY_LABEL, LEVEL, bad)
            if value is not None and int(value) != session.level:
                stated_level = int(value)
                bad.append(
                    (
                        LEVEL,
                        _(
                            "等级“%(row)s”与本批次的等级“%(session)s”不符：一个批次只报名一个等级，请在该等级的批次中导入此行。"
                        )
                        % {"row": Level(int(value)).label, "session": Level(session.level).label},
                    )
                )
    if stated_type is None and stated_occupation is None and stated_level is None:
        return None
    return (stated_type, stated_occupation, stated_level)


def _roster_row(
    record: TableRow, session: Session, on: datetime.date, occupations: dict | None = None
) -> tuple[EnrolRow | None, list[RowError], list[RowError]]:
    """The EnrolRow of one sheet row, the errors of its roster-only columns (labels, the
    session's scope and the records it brings) and its warnings. Identity, phone, pathway and
    eligibility are enrol_rows' to check."""
    bad: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    text = record.get
    if text(NAME, "") == EXAMPLE_NAME:
        return None, [RowError(record.row, "", _("这是模板中的示例行，请删除后再导入。"))], []
    document_type = DocumentType.RESIDENT_ID
    if text(DOCUMENT_TYPE):
        document_type = _choice(text(DOCUMENT_TYPE), DOCUMENT_TYPES, DOCUMENT_TYPE, bad)
        if document_type is not None:
            document_type = identity.resolve_document_type(document_type, text(DOCUMENT, ""))
            if document_type is None:
                bad.append(
                    (
                        DOCUMENT_TYPE,
                        _("港澳台居民居住证的号码应以 810000（香港）、820000（澳门）或 830000（台湾）开头。"),
                    )
                )
        if document_type is None:  # the number cannot be checked without its type
            return None, [RowError(record.row, field, message) for field, message in bad], []
    scope = _stated_scope(record, session, occupations or {}, bad, notes)
    pathway = _choice(text(PATHWAY), PATHWAYS, PATHWAY, bad) if text(PATHWAY) else P.NORMAL
    educations, work = [], []
    if text(EDUCATION) or text(MAJOR) or text(GRADUATION):
        kind = _choice(text(EDUCATION), EDUCATIONS, EDUCATION, bad) if text(EDUCATION) else None
        if not text(EDUCATION):
            bad.append((EDUCATION, _("填写了专业或毕业日期，还须填写学历类别。")))
        graduation = None
        if not text(GRADUATION):
            bad.append((GRADUATION, _("填写了学历，还须填写毕业（预计）日期。")))
        else:
            try:
                graduation = _date(text(GRADUATION))
            except ValueError as error:
                bad.append((GRADUATION, str(error)))
        if kind and graduation:
            educations.append(
                EducationRecord(
                    kind=kind,
                    major=text(MAJOR, "")[:100],
                    graduation_date=graduation,
                    related_occupation_id=session.occupation_id,
                    # A school's roster ties the diploma to the school (certification/cohorts.py).
                    school=session.institution.name if session.institution.kind == "school" else "",
                )
            )
    if text(WORK_STARTED):
        try:
            started = _date(text(WORK_STARTED))
        except ValueError as error:
            bad.append((WORK_STARTED, str(error)))
        else:
            if started > on:
                bad.append((WORK_STARTED, _("起始日期 %(d)s 晚于报名日期 %(on)s。") % {"d": started, "on": on}))
            else:
                work.append(WorkRecord(occupation_id=session.occupation_id, started=started))
    row = EnrolRow(
        row=record.row,
        name=text(NAME, ""),
        document_number=text(DOCUMENT, ""),
        document_type=document_type,
        pathway=pathway or P.NORMAL,
        reason=text(REASON, ""),
        evidence=text(EVIDENCE, ""),
        educations=educations,
        work=work,
        judge=not bad,
        phone=text(PHONE, ""),
        scope=scope,
    )
    errors = [RowError(record.row, field, message) for field, message in bad]
    return row, errors, [RowError(record.row, field, message) for field, message in notes]


def _ordered(errors: list[RowError], columns: list[str]) -> list[RowError]:
    return sorted(errors, key=lambda e: (e.row, columns.index(e.field) if e.field in columns else -1))


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Pause Python's cyclic garbage collector for one import. A 10,000-row file allocates some
    hundred thousand long-lived objects (cells, rows, records) that hold no reference cycles;
    with the collector on, each full collection walks all of them again, which cost a third of
    the import's time. Plain reference counting still frees everything; the collector
    resumes afterwards (left off if it was already off, e.g. by an overlapping import)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_cyclic_gc_paused()
@transaction.atomic
def roster_import(*, actor, session: Session, data: bytes, filename: str, on: datetime.date | None = None):
    """Enrol every candidate of a roster file into `session`, or none: an admin of the
    session's institution, the session still planned (as `application_enrol`)."""
    session = lock_for_enrolment(actor, session)
    on = on or timezone.localdate()
    table = read_table(data, filename, required=(NAME, DOCUMENT))
    occupations = {}
    if OCCUPATION_CODE in table[0]:
        for occupation in Occupation.objects.only("code", "code_2015", "name"):
            occupations.setdefault(occupation.code, occupation)
            if occupation.code_2015:
                occupations.setdefault(occupation.code_2015, occupation)
    rows, errors, warnings = [], [], []
    for record in table:
        row, row_errors, row_warnings = _roster_row(record, session, on, occupations)
        errors += row_errors
        warnings += row_warnings
        if row is not None:
            rows.append(row)
    created, problems = enrol_rows(actor=actor, session=session, rows=rows, on=on)
    errors += [RowError(p.row, ROSTER_FIELDS.get(p.field, ""), p.message) for p in problems]
    if errors:
        transaction.set_rollback(True)
        return ImportResult(created=0, errors=_ordered(errors, ROSTER_COLUMNS))
    return ImportResult(created=len(created), errors=[], warnings=_ordered(warnings, ROSTER_COLUMNS))


# --- Score sheets ---

APPLICATION_ID = "报名号"
SPECIAL = "专项考核结果"
PART_HEADERS = {"theory": "理论知识", "practical": "操作技能", "review": "综合评审"}
SPECIAL_VALUES = {"合格": True, "不合格": False}


def _as_stored(name: str) -> str:
    """A name as the registry stores it (spaces inside a Chinese name, dot look-alikes), or
    as typed when it is no valid name (it then differs from the stored one)."""
    try:
        return identity.clean_person_name(name)
    except ValidationError:
        return name


def _score_columns(session: Session, parts: dict[str, int]) -> dict[str, str]:
    """{header: Result field} of the session's score columns, in template order."""
    if session.evaluation_type == EvaluationType.SPECIAL_ABILITY:
        return {SPECIAL: "special_passed"}
    return {header: part for part, header in PART_HEADERS.items() if part in parts}


def _score_values(record: TableRow, session, parts, columns: dict[str, str], bad: list) -> dict:
    """The cleaned {field: value} of the non-blank score cells of one row."""
    clean = {}
    for header, field in columns.items():
        text = record.get(header, "")
        if not text:
            continue
        if field == "special_passed":
            if text not in SPECIAL_VALUES:
                bad.append((header, _("专项考核结果须填“合格”或“不合格”，收到“%(v)s”。") % {"v": _shown(text)}))
                continue
            value = SPECIAL_VALUES[text]
        elif re.search(r"\d{7,}", text):
            bad.append((header, _("分数须在 0–100 之间，收到一个很长的数字：是否填错了列？")))
            continue
        else:
            value = text
        try:
            clean.update(clean_values(session, {field: value}, parts=parts))
        except DomainError as error:
            bad += [(header, message) for message in error.messages]
    return clean


@transaction.atomic
def scores_import(*, actor, session: Session, data: bytes, filename: str) -> ImportResult:
    """Record the scores of a score sheet, every row or none: an assessor (theory, practical,
    special) or reviewer (review) assigned to the session, before it is submitted, never for
    themselves or a declared relation (as `result_record`). Blank cells leave a score as it is."""
    session = Session.objects.select_for_update().select_related("standard").get(pk=session.pk)
    allowed, staff = recording_staff(actor, session)
    table = read_table(data, filename, required=(APPLICATION_ID,))
    parts = required_parts(session)
    all_columns = {**{h: f for f, h in PART_HEADERS.items()}, SPECIAL: "special_passed"}
    columns = {h: f for h, f in all_columns.items() if h in table[0]}
    if not columns:
        wanted = "、".join(_score_columns(session, parts))
        raise DomainError(_("文件中没有成绩列：本批次应有 %(cols)s。") % {"cols": wanted})
    applications = {
        a.pk: a for a in Application.objects.filter(session=session).select_related("person", "result").order_by()
    }
    errors, seen, updates, missing, recorded = [], {}, [], {}, []
    for record in table:
        bad: list[tuple[str, str]] = []
        raw_id = record.get(APPLICATION_ID, "")
        if not re.fullmatch(r"\d{1,12}", raw_id):
            message = _("缺少报名号。") if not raw_id else _("报名号“%(v)s”不是数字。") % {"v": _shown(raw_id)}
            errors.append(RowError(record.row, APPLICATION_ID, message))
            continue
        pk = int(raw_id)
        if pk in seen:
            message = _("报名号 %(id)d 与第 %(row)d 行重复。") % {"id": pk, "row": seen[pk]}
            errors.append(RowError(record.row, APPLICATION_ID, message))
            continue
        seen[pk] = record.row
        application = applications.get(pk)
        if application is None:
            missing[pk] = record.row
            continue
        name = record.get(NAME, "")
        if name and _as_stored(name) != application.person.name:
            bad.append(
                (
                    NAME,
                    _("报名号 %(id)d 的考生是“%(known)s”，与表中“%(given)s”不符：是否错行？")
                    % {"id": pk, "known": application.person.name, "given": _shown(name)},
                )
            )
        clean = _score_values(record, session, parts, columns, bad)
        if clean:
            recorded.append((record.row, application, clean))
            error = not_enrolled_error(application)
            if error is not None:
                bad += [(APPLICATION_ID, message) for message in error.messages]
        errors += [RowError(record.row, field, message) for field, message in bad]
        if clean and not bad:
            updates.append((record.row, application, clean))
    if missing:
        elsewhere = set(Application.objects.filter(pk__in=list(missing)).values_list("pk", flat=True))
        for pk, row in missing.items():
            message = _("报名号 %(id)d 不是本批次的考生。") if pk in elsewhere else _("报名号 %(id)d 不存在。")
            errors.append(RowError(row, APPLICATION_ID, message % {"id": pk}))
    check_parts_allowed({field for _row, _a, clean in recorded for field in clean}, allowed)
    conflicts = recused(staff, {application.person_id for _row, application, _c in recorded})
    if conflicts:
        rows = "、".join(str(row) for row, application, _c in recorded if application.person_id in conflicts)
        raise Forbidden(_("%(message)s（第 %(rows)s 行）") % {"message": RECUSAL_MESSAGE, "rows": rows})
    if errors:
        transaction.set_rollback(True)
        return ImportResult(created=0, errors=_ordered(errors, [APPLICATION_ID, NAME, *all_columns]))
    results, fields = [], {"outcome", "recorded_by", "updated_at"}
    now = timezone.now()
    for _row, application, clean in updates:
        result: Result = application.result
        for field, value in clean.items():
            setattr(result, field, value)
        fields.update(clean)
        result.outcome = compute_outcome(result, session, parts=parts)
        result.recorded_by, result.updated_at = actor, now
        results.append(result)
    Result.objects.bulk_update(results, sorted(fields), batch_size=1000)
    # bulk_update sends no signal: the audit log's rows for the scores, in the same transaction.
    audit.bulk_record(results, user=actor, reason="score sheet import", institution_id=session.institution_id)
    return ImportResult(created=len(results), errors=[])


# --- Templates ---

ALL_AT_ONCE = _(
    "整个文件要么全部导入，要么一行也不导入：只要有一行有错，任何一行都不会保存，系统会列出每个出错的"
    "行号、列名和原因；改正后重新上传整个文件即可。"
)
FILE_NOTES = _(
    "表头须在第 1 行，列名与模板一致；数据从第 2 行起，空行会被跳过。"
    "支持 .xlsx 和 .csv（UTF-8 或 GBK 编码），每个文件最多 %(n)d 行。"
) % {"n": MAX_ROWS}


def _options(choices) -> str:
    return "、".join(str(label) for _value, label in choices)


def _workbook(title: str, headers: list[str], rows: list[list], text_columns: set[str], notes: list[tuple]) -> bytes:
    """An .xlsx: the sheet to fill (bold header, frozen, text columns formatted "@") and a
    second sheet 说明 with one line per column and the general rules."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, 2.2 * len(header) + 4)
        if header in text_columns:
            sheet.column_dimensions[letter].width = 24
            sheet.column_dimensions[letter].number_format = "@"
            for row_number in range(2, len(rows) + 2):
                sheet.cell(row=row_number, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet(NOTES_SHEET)
    guide.append([_("列名"), _("是否必填"), _("说明")])
    for row in notes:
        guide.append(list(row))
    guide.append([])
    guide.append([_("注意"), "", ALL_AT_ONCE])
    guide.append(["", "", FILE_NOTES])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    guide.column_dimensions["A"].width, guide.column_dimensions["B"].width = 20, 26
    guide.column_dimensions["C"].width = 110
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


SCOPE_RULE = _(
    "评价类型、职业编码、职业名称、等级四列选填；填写时须与本批次一致，不一致的行会被拒绝（并列出该行与本批次的值），"
    "不会被改为本批次的职业或等级，也不会转入其他批次：不同职业或等级的考生请分别在各自的批次中导入。"
    "职业按编码匹配，2015 年版编码和 2022 年版大典之前的职业名称也可识别，导入后会提示现行名称。"
)


def roster_template(session: Session | None = None) -> bytes:
    """The roster .xlsx: header, the ID and phone columns as text, one example row (in the
    session's type, occupation and level when given), and 说明."""
    example_id = identity.compose_resident_id("310115", datetime.date(1990, 1, 1), 123)
    scope = ["", "", "", ""]
    if session is not None:
        level = str(Level(session.level).label) if session.level is not None else ""
        scope = [str(session.get_evaluation_type_display()), session.occupation.code, session.occupation.name, level]
    example = [EXAMPLE_NAME, example_id, str(DocumentType.RESIDENT_ID.label), "13800138000", *scope]
    example += [str(P.NORMAL.label), "", "", "", "", ""]
    example.append((timezone.localdate() - datetime.timedelta(days=3 * 365)).isoformat())
    exceptional = "、".join(str(P(p).label) for p in (P.EXCEPTIONAL, P.DIRECT, P.COMPETITION))
    notes = [
        (NAME, _("必填"), _("与证件上的姓名一致；同一证件号码已登记的姓名不同会被拒绝。")),
        (
            DOCUMENT,
            _("必填"),
            _(
                "居民身份证 18 位（旧版 15 位自动转换；末位 x 大小写均可，全角数字、空格会自动去除）。"
                "本列须为文本格式：Excel 把号码存成数字会丢失末几位，这样的行会被拒绝。"
            ),
        ),
        (
            NAME,
            _("姓名规则"),
            _(
                "首尾空格自动去除，中文姓名中的空格（含全角空格）自动去除；少数民族姓名的间隔号统一为“·”；"
                "生僻字（如“𠮷”）按原样保存。含换行、零宽字符等不可见字符或超过 100 个字的姓名会被拒绝。"
            ),
        ),
        (
            DOCUMENT_TYPE,
            _("选填"),
            _(
                "默认居民身份证；可填：%(o)s，也可填证件全称（如港澳居民来往内地通行证、台湾居民来往大陆通行证、港澳台居民居住证、外国人永久居留身份证）。"
            )
            % {"o": _options(DocumentType.choices)},
        ),
        (PHONE, _("选填"), _("11 位大陆手机号；+86、空格和短横线会自动去除。")),
        (EVALUATION_TYPE, _("选填"), _("须与本批次一致；可填：%(o)s。") % {"o": _options(EvaluationType.choices)}),
        (OCCUPATION_CODE, _("选填"), _("须为本批次的职业，如 6-31-01-03；2015 年版编码也可识别。")),
        (OCCUPATION_NAME, _("选填"), _("须为本批次的职业；旧称可识别，导入后提示现名。")),
        (LEVEL, _("选填"), _("须与本批次一致，如“五级/初级工”“五级”“初级工”或“5”。")),
        (PATHWAY, _("选填"), _("默认正常申报；可填：%(o)s。") % {"o": _options(P.choices)}),
        (REASON, _("%(p)s必填") % {"p": exceptional}, _("申报理由，如“市级技术能手”。")),
        (EVIDENCE, _("%(p)s必填") % {"p": exceptional}, _("证明材料名称，如“获奖证书扫描件”。")),
        (
            EDUCATION,
            _("选填"),
            _("持本专业或相关专业学历申报（含应届毕业生）时填写；可填：%(o)s。")
            % {"o": _options(EligibilityCondition.Education.choices)},
        ),
        (MAJOR, _("选填"), _("所学专业名称。")),
        (GRADUATION, _("填学历类别时必填"), _("yyyy-mm-dd；在校生填预计毕业日期（一年内毕业的为毕业学年学生）。")),
        (WORK_STARTED, _("选填"), _("yyyy-mm-dd：从事本职业的起始日期（至今）；用于计算本职业工作年限。")),
    ]
    notes.append((_("职业与等级"), "", SCOPE_RULE))
    return _workbook(_("报名表"), ROSTER_COLUMNS, [example], {DOCUMENT, PHONE, OCCUPATION_CODE}, notes)


def scores_template(session: Session) -> bytes:
    """The score sheet of `session`: its enrolled candidates (报名号, 姓名, masked 证件号码) and an
    empty column for each part its level requires (or 专项考核结果)."""
    columns = list(_score_columns(session, required_parts(session)))
    enrolled = (
        Application.objects.filter(session=session, state=Application.State.ENROLLED)
        .order_by("id")
        .values_list("id", "person__name", "person__document_masked")
    )
    rows = [[pk, name, masked] + [""] * len(columns) for pk, name, masked in enrolled]
    notes = [
        (APPLICATION_ID, _("必填"), _("系统生成，请勿修改；按报名号找到考生。")),
        (NAME, _("仅供核对"), _("与报名号的考生不符时该行被拒绝（防止错行）。")),
        (DOCUMENT, _("仅供核对"), _("已脱敏显示，不读取。")),
    ]
    for header in columns:
        if header == SPECIAL:
            notes.append((header, _("选填"), _("填“合格”或“不合格”；留空表示不变。")))
        else:
            notes.append((header, _("选填"), _("0–100 分，最多一位小数；留空表示不变。")))
    return _workbook(_("成绩表"), [APPLICATION_ID, NAME, DOCUMENT, *columns], rows, {DOCUMENT}, notes)
