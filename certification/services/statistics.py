"""The skilled-talent database (技能人才数据库): the regulator's figures, precomputed.

How people are counted (docs/statistics.md has the same rules for readers of the figures):
- A person counts once, at the **highest level held** (docs/domain.md: 技能人才 = any level,
  高技能人才 = 三级 and above), never once per certificate. Their breakdowns (district,
  occupation, institution kind, evaluation type, year reached) come from the credential that gives
  that level: the earliest one at that level, so that a later second certificate at the same
  level does not move the person.
- A revoked certificate counts for nothing; if it was the highest, the next highest counts.
- Special-ability certificates (专项职业能力) carry no level and make no one a skilled worker.
- **Prior certificates** (registry.PriorCertificate: issued outside this registry, entered so
  that eligibility can count them) are levels the person holds, so they count like a certificate
  issued here. They have no institution of ours: their institution kind is "prior" and their
  district unknown. Entering them is itself checked (number, issuer, date), so they are trusted.
- Published appointments (特级技师/首席技师) are not counted as a level here: an appointment
  requires 一级, so the person already counts as a high-skill worker; the headcount is the same.
- "New high-skill workers" in a year are the people whose first high-skill credential is dated
  that year; the plan's target is 200,000 over 2021–2025. Year-end stocks count everyone whose
  first credential (of any level, or of a high-skill level) is dated on or before 31 December.
- Certificates per graduating-year student, by school: the rule of the school's own page
  (certification/cohorts.py on main, docs/domain.md), so the regulator and the school read the same
  number: students are the people the school enrolled (applications not withdrawn or refused), the
  graduating year comes from their Education record (the school's own first, else the latest), and
  every unrevoked certificate from any institution issued up to the end of that year counts.
- Urgent-list (急需紧缺) occupations are those whose window (Occupation.urgent_from/urgent_until,
  set by the regulator) covers the day the figures are computed.

Nothing here reads raw certificates per request: `statistics_refresh` rebuilds the summary tables
(HeldLevel, then StatisticValue) in one transaction (a Celery beat task, and after each issuance
batch); the page and the exports read StatisticValue through `figures_read`. The SQL is plain
(window functions, INSERT … SELECT) and runs on PostgreSQL and on SQLite (the embedded default).
"""

import datetime
import logging
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.errors import DomainError, Forbidden
from registry.levels import LEVELS, EvaluationType, Level
from registry.models import District, Education, Institution, Occupation, User
from registry.selectors import user_is_regulator

from ..models import Application, Certificate, HeldLevel, StatisticsRun, StatisticValue

logger = logging.getLogger(__name__)

# docs/domain.md, "Figures the policy sets": high-skill > 35% of skilled workers; 200,000 new
# high-skill talents in the 14th five-year plan (2021–2025).
HIGH_SKILL_SHARE_TARGET = 35.0
NEW_HIGH_SKILL_TARGET = 200_000
PLAN_YEARS = (2021, 2025)
HIGH_SKILL_FROM = min(level for level, info in LEVELS.items() if info.high_skill)
PRIOR = "prior"  # institution kind of a prior certificate (issued outside this registry)

SERIES = {
    "people": gettext_lazy("持证人数"),
    "skilled": gettext_lazy("技能人才"),
    "high_skill": gettext_lazy("高技能人才"),
    "share": gettext_lazy("高技能人才占比（%）"),
    "new_high_skill": gettext_lazy("新增高技能人才"),
    "plan_cumulative": gettext_lazy("规划期累计"),
    "students": gettext_lazy("毕业学年学生"),
    "certificates": gettext_lazy("证书数"),
    "per_student": gettext_lazy("人均证书"),
}


@dataclass(frozen=True)
class FigureSpec:
    name: str
    title: Promise
    chart: str  # "bar", "hbar" (long category names) or "line"
    series: tuple[str, ...]
    target: float | None = None  # drawn as a line: the policy's target
    target_label: Promise | None = None
    target_series: str = ""
    charted: tuple[str, ...] = ()  # the series drawn, when not all (numbers of unlike scale)


FIGURES: tuple[FigureSpec, ...] = (
    FigureSpec("level", gettext_lazy("按最高等级"), "bar", ("people",)),
    FigureSpec("district", gettext_lazy("按区"), "hbar", ("skilled", "high_skill")),
    FigureSpec("occupation", gettext_lazy("按职业"), "hbar", ("skilled", "high_skill")),
    FigureSpec("institution_kind", gettext_lazy("按评价机构类别"), "bar", ("skilled", "high_skill")),
    FigureSpec("evaluation_type", gettext_lazy("按评价类型"), "bar", ("skilled", "high_skill")),
    FigureSpec("year", gettext_lazy("按年度（年末存量）"), "line", ("skilled", "high_skill")),
    FigureSpec(
        "high_skill_share",
        gettext_lazy("高技能人才占技能人才比例（年末）"),
        "line",
        ("share",),
        target=HIGH_SKILL_SHARE_TARGET,
        target_label=gettext_lazy("目标 35%"),
        target_series="share",
    ),
    FigureSpec(
        "new_high_skill",
        gettext_lazy("每年新增高技能人才与五年 20 万目标"),
        "bar",
        ("new_high_skill", "plan_cumulative"),
        target=NEW_HIGH_SKILL_TARGET,
        target_label=gettext_lazy("目标 200,000（2021–2025）"),
        target_series="plan_cumulative",
    ),
    FigureSpec(
        "school",
        gettext_lazy("院校毕业学年学生人均证书"),
        "hbar",
        ("per_student", "students", "certificates"),
        charted=("per_student",),
    ),
    FigureSpec("urgent_occupation", gettext_lazy("急需紧缺职业"), "hbar", ("skilled", "high_skill")),
)
FIGURES_BY_NAME = {spec.name: spec for spec in FIGURES}


CHART_LIMIT = 30


@dataclass
class Figure:
    spec: FigureSpec
    categories: list[str] = field(default_factory=list)  # display labels, in order
    keys: list[str] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)  # series → one value per category

    @property
    def truncated(self) -> bool:
        """A long list (occupations, schools) is charted by its first CHART_LIMIT categories; the
        table and the exports hold every one."""
        return self.spec.chart == "hbar" and len(self.categories) > CHART_LIMIT

    def chart(self) -> dict:
        """What the page's script draws (certification/static/certification/statistics.js)."""
        shown = CHART_LIMIT if self.truncated else len(self.categories)
        return {
            "type": self.spec.chart,
            "categories": self.categories[:shown],
            "series": [
                {"name": str(SERIES[s]), "data": self.values[s][:shown]} for s in self.spec.charted or self.spec.series
            ],
            "target": self.spec.target,
            "targetLabel": str(self.spec.target_label or ""),
            "targetSeries": str(SERIES[self.spec.target_series]) if self.spec.target_series else "",
        }

    def rows(self) -> list[list]:
        """The figure as a table: category, then one column per series (the exports)."""
        return [
            [category, *(self.values[s][i] for s in self.spec.series)] for i, category in enumerate(self.categories)
        ]

    def headers(self) -> list[str]:
        return [_("类别"), *(str(SERIES[s]) for s in self.spec.series)]


# --- Refresh ---

HELD_LEVEL_SQL = """
INSERT INTO certification_heldlevel
    (person_id, level, evaluation_type, occupation_id, institution_kind, district,
     reached_on, skilled_since, high_skill_since)
SELECT person_id, level, evaluation_type, occupation_id, institution_kind, district,
       issued_on, skilled_since, high_skill_since
FROM (
    SELECT held.*,
           ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY level DESC, issued_on, source, ident) AS nth,
           MIN(issued_on) OVER (PARTITION BY person_id) AS skilled_since,
           MIN(CASE WHEN level >= %s THEN issued_on END) OVER (PARTITION BY person_id) AS high_skill_since
    FROM (
        SELECT c.person_id, c.level, c.issued_on, c.evaluation_type, c.occupation_id,
               i.kind AS institution_kind, i.district, 0 AS source, c.id AS ident
        FROM certification_certificate c JOIN registry_institution i ON i.id = c.institution_id
        WHERE c.revoked_at IS NULL AND c.level >= 1
        UNION ALL
        SELECT p.person_id, p.level, p.issued_on, p.evaluation_type, p.occupation_id,
               %s, '', 1, p.id
        FROM registry_priorcertificate p
        WHERE p.level >= 1
    ) held
) ranked
WHERE nth = 1
"""


def _lock() -> None:
    """One refresh at a time (the beat task and an issuance may meet). SQLite serialises writers.
    PostgreSQL: the per-person window sorts every certificate; give this transaction's sort the
    memory to stay off disk (SET LOCAL ends with the transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x57A75])
            cursor.execute("SET LOCAL work_mem = '128MB'")


def _rebuild_held_levels() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Readers use StatisticValue only, so the exclusive lock TRUNCATE takes blocks nobody.
            cursor.execute("TRUNCATE certification_heldlevel")
        else:
            cursor.execute("DELETE FROM certification_heldlevel")
        cursor.execute(HELD_LEVEL_SQL, [HIGH_SKILL_FROM, PRIOR])


def _by(field_name: str) -> dict:
    """{key: (skilled, high_skill)} over HeldLevel grouped by one column."""
    rows = (
        HeldLevel.objects.values(field_name)
        .annotate(skilled=Count("pk"), high=Count("pk", filter=Q(level__gte=HIGH_SKILL_FROM)))
        .order_by(field_name)
    )
    return {row[field_name]: (row["skilled"], row["high"]) for row in rows}


def _per_year(date_field: str) -> Counter:
    rows = (
        HeldLevel.objects.filter(**{f"{date_field}__isnull": False})
        .annotate(year=ExtractYear(date_field))
        .values("year")
        .annotate(n=Count("pk"))
        .order_by("year")
    )
    return Counter({row["year"]: row["n"] for row in rows})


def _pairs(by: dict, keys: list, label) -> list[tuple[str, str, dict]]:
    return [(str(key), label(key), {"skilled": by[key][0], "high_skill": by[key][1]}) for key in keys]


def _per_student(certificates: int, students: int) -> float:
    if not students:
        return 0.0
    return float((Decimal(certificates) / Decimal(students)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _school_rows() -> list[tuple[str, str, dict]]:
    """Certificates per graduating-year student, by school and graduating year, counted by the
    rule of the school's own page (certification/cohorts.py, docs/domain.md): a school's students
    are the people with an application in its sessions that was not withdrawn or refused; the
    graduating year is the year of a graduation date on their Education records (the record naming
    the school first, else the latest; "unknown" without one); certificates count from any
    institution, unrevoked, issued up to the end of the graduating year (all of them for an unknown
    year). Set-based: three reads (enrolment, education, certificates per person and year)."""
    enrolled = Application.objects.filter(session__institution__kind=Institution.Kind.SCHOOL).exclude(
        state__in=(Application.State.WITHDRAWN, Application.State.REJECTED)
    )
    pairs = set(enrolled.values_list("session__institution_id", "person_id").distinct())
    if not pairs:
        return []
    names = dict(Institution.objects.filter(pk__in={school for school, _p in pairs}).values_list("pk", "name"))
    people = enrolled.values("person_id")
    educations = defaultdict(list)
    for person_id, school, graduated in Education.objects.filter(person_id__in=people).values_list(
        "person_id", "school", "graduation_date"
    ):
        educations[person_id].append((school, graduated))
    held = defaultdict(Counter)  # person → {issue year: certificates}
    for person_id, year, n in (
        Certificate.objects.filter(person_id__in=people, revoked_at__isnull=True)
        .annotate(year=ExtractYear("issued_on"))
        .values_list("person_id", "year")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        held[person_id][year] += n
    students, certificates = Counter(), Counter()
    for school_id, person_id in pairs:
        records = educations.get(person_id)
        year = max(records, key=lambda r: (r[0] == names[school_id], r[1]))[1].year if records else None
        students[(school_id, year)] += 1
        certificates[(school_id, year)] += sum(n for y, n in held[person_id].items() if year is None or y <= year)
    rows = []
    for school_id, year in sorted(students, key=lambda k: (names[k[0]], k[0], k[1] is None, k[1] or 0)):
        n, c = students[(school_id, year)], certificates[(school_id, year)]
        label = f"{names[school_id]} {year}" if year else names[school_id]  # "year unknown" added when read
        rows.append(
            (f"{school_id}:{year or ''}", label, {"students": n, "certificates": c, "per_student": _per_student(c, n)})
        )
    return rows


def _compute(today: datetime.date, timings: dict[str, float]) -> dict[str, list[tuple[str, str, dict]]]:
    """Every figure as (key, label, {series: value}) rows, from HeldLevel and the cohort;
    `timings` gets the seconds each step took (the benchmark prints them)."""
    figures: dict[str, list[tuple[str, str, dict]]] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = now - clock[0]
        clock[0] = now

    levels = dict(HeldLevel.objects.values("level").annotate(n=Count("pk")).values_list("level", "n"))
    figures["level"] = [(str(level), str(Level(level).label), {"people": levels[level]}) for level in sorted(levels)]

    lap("level")
    by = _by("district")
    order = [code for code in District.values if code in by] + [code for code in by if code not in District.values]
    figures["district"] = _pairs(by, order, lambda code: str(District(code).label) if code in District.values else "")

    lap("district")
    by = _by("occupation_id")
    occupations = {o.pk: o for o in Occupation.objects.filter(pk__in=by.keys())}
    order = sorted(by, key=lambda pk: (-by[pk][0], occupations[pk].code))
    figures["occupation"] = _pairs(by, order, lambda pk: f"{occupations[pk].code} {occupations[pk].name}")

    urgent = [pk for pk in order if occupations[pk].is_urgent_on(today)]
    urgent_extra = Occupation.objects.filter(urgent_from__lte=today).filter(
        Q(urgent_until__isnull=True) | Q(urgent_until__gte=today)
    )
    for occupation in urgent_extra.exclude(pk__in=urgent):  # on the list but nobody certified yet
        occupations[occupation.pk] = occupation
        by[occupation.pk] = (0, 0)
        urgent.append(occupation.pk)
    figures["urgent_occupation"] = [
        (str(pk), f"{occupations[pk].code} {occupations[pk].name}", {"skilled": by[pk][0], "high_skill": by[pk][1]})
        for pk in urgent
    ]

    lap("occupation+urgent_occupation")
    kinds = dict(Institution.Kind.choices) | {PRIOR: gettext_lazy("既有证书（外部发证）")}
    by = _by("institution_kind")
    figures["institution_kind"] = _pairs(by, [k for k in kinds if k in by], lambda k: str(kinds[k]))

    lap("institution_kind")
    types = dict(EvaluationType.choices)
    by = _by("evaluation_type")
    figures["evaluation_type"] = _pairs(by, [t for t in types if t in by], lambda t: str(types[t]))

    lap("evaluation_type")
    new_skilled, new_high = _per_year("skilled_since"), _per_year("high_skill_since")
    # Every year from the first credential (or the plan's first year) to now (or the plan's last).
    years = (
        list(range(min(min(new_skilled), PLAN_YEARS[0]), max(max(new_skilled), PLAN_YEARS[1]) + 1))
        if new_skilled
        else []
    )
    skilled = high = plan = 0
    figures["year"], figures["high_skill_share"], figures["new_high_skill"] = [], [], []
    for year in years:
        skilled, high = skilled + new_skilled[year], high + new_high[year]
        figures["year"].append((str(year), str(year), {"skilled": skilled, "high_skill": high}))
        share = round(100 * high / skilled, 2) if skilled else None
        figures["high_skill_share"].append((str(year), str(year), {"share": share}))
        in_plan = PLAN_YEARS[0] <= year <= PLAN_YEARS[1]
        plan += new_high[year] if in_plan else 0
        figures["new_high_skill"].append(
            (str(year), str(year), {"new_high_skill": new_high[year], "plan_cumulative": plan if in_plan else None})
        )
    lap("year+high_skill_share+new_high_skill")
    figures["school"] = _school_rows()
    lap("school")
    return figures


def statistics_refresh(
    *, trigger: str = StatisticsRun.Trigger.MANUAL, timings: dict[str, float] | None = None
) -> StatisticsRun:
    """Rebuild every figure from the certificates, in one transaction: a reader sees the last
    complete set until this one commits."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    computed_at = timezone.now()
    with transaction.atomic():
        _lock()
        _rebuild_held_levels()
        timings["held_levels"] = time.perf_counter() - started
        figures = _compute(timezone.localdate(computed_at), timings)
        StatisticValue.objects.all().delete()
        values = []
        for spec in FIGURES:
            for position, (key, label, numbers) in enumerate(figures.get(spec.name, [])):
                values += [
                    StatisticValue(
                        figure=spec.name, position=position, category=key[:40], label=label[:200], series=s, value=v
                    )
                    for s, v in numbers.items()
                    if v is not None
                ]
        StatisticValue.objects.bulk_create(values, batch_size=2000)
        run = StatisticsRun.objects.create(
            trigger=trigger,
            computed_at=computed_at,
            seconds=0,
            certificates=Certificate.objects.filter(revoked_at__isnull=True).count(),
            people=HeldLevel.objects.count(),
        )
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["seconds"])
    return run


PENDING_KEY = "statistics-refresh-pending"


def statistics_refresh_soon() -> None:
    """After an issuance batch: queue one refresh. Batches finishing close together share it
    (the key lives until the queued refresh starts). A failure to queue never fails issuance:
    the scheduled refresh catches up."""
    from ..tasks import statistics_refresh as task

    try:
        if cache.add(PENDING_KEY, 1, timeout=600):
            task.delay(StatisticsRun.Trigger.ISSUANCE)
    except Exception:
        logger.exception("could not queue the statistics refresh")


# --- Reading (the page and the exports) ---


def statistics_latest() -> StatisticsRun | None:
    return StatisticsRun.objects.order_by("-computed_at", "-id").first()


def figures_read(*, actor: User, names: tuple[str, ...] | None = None) -> list[Figure]:
    """The figures of the last refresh, in FIGURES order: one query over StatisticValue."""
    if not user_is_regulator(actor):
        raise Forbidden(_("只有监管部门可以查看技能人才统计。"))
    wanted = [spec for spec in FIGURES if names is None or spec.name in names]
    figures = {spec.name: Figure(spec, values={s: [] for s in spec.series}) for spec in wanted}
    rows = (
        StatisticValue.objects.filter(figure__in=figures.keys())
        .order_by("figure", "position")
        .values_list("figure", "position", "category", "label", "series", "value")
    )
    index: dict[tuple[str, int], int] = {}
    for name, position, key, label, series, value in rows:
        figure = figures[name]
        if (name, position) not in index:
            index[(name, position)] = len(figure.categories)
            figure.categories.append(_translated_label(name, key, label))
            figure.keys.append(key)
            for values in figure.values.values():
                values.append(None)
        if series in figure.values:
            figure.values[series][index[(name, position)]] = int(value) if float(value).is_integer() else value
    return list(figures.values())


def _translated_label(figure: str, key: str, label: str) -> str:
    """Labels of choices are stored in the refresh's language; show them in the reader's."""
    if figure == "level" and key.isdigit():
        return str(Level(int(key)).label)
    if figure == "district":
        return str(District(key).label) if key in District.values else _("外部发证（区不详）")
    if figure == "institution_kind":
        return str(dict(Institution.Kind.choices).get(key) or _("既有证书（外部发证）"))
    if figure == "school" and key.endswith(":"):
        return f"{label} {_('（毕业年份不详）')}"
    if figure == "evaluation_type" and key in EvaluationType.values:
        return str(EvaluationType(key).label)
    return label


# --- The urgent list (急需紧缺职业), as data the regulator sets ---


def occupation_urgent_set(
    *, actor: User, occupation: Occupation, urgent_from: datetime.date | None, urgent_until: datetime.date | None
) -> Occupation:
    """Put an occupation on the urgent list for a window, or take it off (both dates empty).
    The figures show the change at the next refresh."""
    if not user_is_regulator(actor):
        raise Forbidden(_("只有监管部门可以设置急需紧缺职业。"))
    if urgent_until and not urgent_from:
        raise DomainError(_("请填写急需紧缺起始日期。"))
    if urgent_from and urgent_until and urgent_until < urgent_from:
        raise DomainError(_("急需紧缺截止日期早于起始日期。"))
    occupation.urgent_from, occupation.urgent_until = urgent_from, urgent_until
    occupation.save(update_fields=["urgent_from", "urgent_until"])
    return occupation


# --- Exports (CSV and XLSX): each figure as a table, with the date it was computed ---


def _computed_line(run: StatisticsRun | None) -> list[str]:
    when = timezone.localtime(run.computed_at).strftime("%Y-%m-%d %H:%M") if run else _("尚未计算")
    return [_("计算时间"), when]


def figures_csv(*, figures: list[Figure], run: StatisticsRun | None) -> str:
    """One CSV for the figures asked for: the computed-at line, then each figure's table under
    its title. UTF-8 with a BOM, so that Excel in Chinese opens it correctly."""
    import csv
    import io

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(_computed_line(run))
    for figure in figures:
        writer.writerow([])
        writer.writerow([str(figure.spec.title)])
        writer.writerow(figure.headers())
        writer.writerows(["" if v is None else v for v in row] for row in figure.rows())
    return out.getvalue()


def figures_xlsx(*, figures: list[Figure], run: StatisticsRun | None) -> bytes:
    """One workbook, one sheet per figure, each starting with the computed-at line."""
    import io

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for number, figure in enumerate(figures, 1):
        title = re.sub(r"[\[\]:*?/\\]", " ", f"{number} {figure.spec.title}")
        sheet = book.create_sheet(title=title[:31])
        sheet.append(_computed_line(run))
        sheet.append(figure.headers())
        for row in figure.rows():
            sheet.append(row)
    if not figures:
        book.create_sheet().append(_computed_line(run))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
