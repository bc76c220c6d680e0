"""Working days from the holiday calendar kept as data (CalendarYear, CalendarDay).

A working day is a weekday that is not a holiday, or a make-up working day (调休上班) on a
weekend. Only years whose arrangement has been entered are counted: a date in any other
year is refused with a message asking for that year's calendar, never guessed from weekends.

The national arrangements 2004–2026 come from the package `chinese-calendar`; later years
are entered by the regulator in the admin once the State Council has published them.
"""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from .errors import DomainError
from .models import CalendarDay, CalendarYear

PACKAGE_SOURCE = "chinese-calendar {version}（国务院办公厅节假日安排）"


def calendar_load_package(*, models=(CalendarYear, CalendarDay)) -> list[int]:
    """Load the years the package covers that the registry lacks; returns the years loaded.
    Idempotent; a year already present (perhaps edited by the regulator) is left alone.
    `models`: the historical models when called from a data migration."""
    import chinese_calendar
    from chinese_calendar import constants

    year_model, day_model = models
    try:
        from importlib.metadata import version

        source = PACKAGE_SOURCE.format(version=version("chinese-calendar"))
    except Exception:  # noqa: BLE001 - the version is only a label
        source = PACKAGE_SOURCE.format(version="")
    by_year: dict[int, list] = {}
    for day, name in constants.holidays.items():
        by_year.setdefault(day.year, []).append((day, "holiday", name))
    for day, name in constants.workdays.items():
        by_year.setdefault(day.year, []).append((day, "workday", name))
    present = set(year_model.objects.values_list("year", flat=True))
    chinese = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    loaded = []
    with transaction.atomic():
        for year in sorted(set(by_year) - present):
            row = year_model.objects.create(year=year, source=source)
            day_model.objects.bulk_create(
                day_model(year=row, date=day, kind=kind, name=chinese.get(name, name or "")[:50])
                for day, kind, name in sorted(by_year[year])
            )
            loaded.append(year)
    return loaded


def missing_year_error(year: int) -> DomainError:
    return DomainError(
        _(
            "尚未录入 %(year)d 年的节假日安排，无法计算工作日：请先录入 %(year)d 年的节假日安排"
            "（监管部门在管理后台“节假日安排”中录入）。"
        )
        % {"year": year}
    )


class WorkingDays:
    """The calendar between two dates, read in two queries; asks for a missing year."""

    def __init__(self, first: datetime.date, last: datetime.date):
        self.first, self.last = first, last
        self.years = set(
            CalendarYear.objects.filter(year__gte=first.year, year__lte=last.year).values_list("year", flat=True)
        )
        self.marks = dict(CalendarDay.objects.filter(date__gte=first, date__lte=last).values_list("date", "kind"))

    def is_working(self, day: datetime.date) -> bool:
        if not self.first <= day <= self.last:
            raise ValueError(f"{day} outside {self.first}..{self.last}")
        if day.year not in self.years:
            raise missing_year_error(day.year)
        kind = self.marks.get(day)
        if kind is not None:
            return kind == CalendarDay.Kind.WORKDAY
        return day.weekday() < 5


def is_working_day(day: datetime.date) -> bool:
    return WorkingDays(day, day).is_working(day)


def add_working_days(day: datetime.date, days: int) -> datetime.date:
    """The `days`-th working day after `day` (`day` itself is not counted)."""
    # The longest run of rest days in a year is about 9 (Spring Festival with a weekend):
    # a window of twice the days plus three weeks holds the answer; widen it if it does not.
    span = days * 2 + 21
    while True:
        calendar = WorkingDays(day + datetime.timedelta(days=1), day + datetime.timedelta(days=span))
        current, left = day, days
        while left > 0 and current < calendar.last:
            current += datetime.timedelta(days=1)
            if calendar.is_working(current):
                left -= 1
        if left == 0:
            return current
        span *= 2
